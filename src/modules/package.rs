//! `package`: the host's own package module, chosen as Ansible's package action chooses it —
//! `use`, else the `ansible_package_use` variable, else the `pkg_mgr` fact, else detected on
//! the host — and run with the task's other arguments. ferry's backends: `apt`, `dnf` (also
//! for `yum`).

use serde_json::Value as Json;

use crate::modules::host::pkg_mgr;
use crate::modules::{apt, dnf, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

/// Any arguments load, as under Ansible, whose package action hands them all to the backend
/// module: `name`, `state` and `use` are common to every backend, the rest are the backend's
/// own (`disablerepo` for dnf, `install_recommends` for apt), checked when the task runs on a
/// host, by the backend chosen there.
pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "package",
    args: None,
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

/// The backends ferry has, by the name Ansible's `pkg_mgr` gives them.
fn backend(name: &str) -> Option<&'static ModuleSpec> {
    match name {
        "apt" | "ansible.builtin.apt" | "ansible.legacy.apt" => Some(&apt::SPEC),
        "dnf"
        | "ansible.builtin.dnf"
        | "ansible.legacy.dnf"
        | "yum"
        | "ansible.builtin.yum"
        | "ansible.legacy.yum" => Some(&dnf::SPEC),
        _ => None,
    }
}

async fn run(ctx: &ModuleCtx<'_>, mut args: Vars) -> ModuleResult {
    let chosen = match args.shift_remove("use").as_ref().and_then(Json::as_str) {
        Some(u) if u != "auto" => Some(u.to_string()),
        _ => chosen(ctx),
    };
    let name = match chosen {
        Some(n) => n,
        None => match pkg_mgr::detect(ctx).await {
            Ok(Some(found)) => found.to_string(),
            Ok(None) => {
                return ModuleResult::failed(
                    "Could not detect a package manager. Try using the \"use\" option.",
                )
            }
            Err(r) => return r,
        },
    };
    match backend(&name) {
        Some(spec) => {
            // Ansible's package action runs the dnf module itself, past the dnf action's
            // choice of backend.
            if spec.name == "dnf" && !args.contains_key("use_backend") {
                args.insert("use_backend".into(), "dnf".into());
            }
            (spec.run)(ctx, args).await
        }
        None => ModuleResult::failed(format!(
            "ferry has no native module for the '{name}' package manager (package's backend); ferry's: apt, dnf"
        )),
    }
}

/// `ansible_package_use`, else the gathered `pkg_mgr` fact.
fn chosen(ctx: &ModuleCtx<'_>) -> Option<String> {
    let var = ctx.vars.get("ansible_package_use").and_then(Json::as_str);
    let fact = || {
        ctx.vars
            .get("ansible_facts")
            .and_then(|f| f.get("pkg_mgr"))
            .and_then(Json::as_str)
    };
    var.filter(|v| !v.is_empty())
        .or_else(fact)
        .map(str::to_string)
}
