//! `dnf` (and `yum`, which ansible-core 2.18 redirects here): RPM packages as
//! ansible.builtin.dnf manages them, with the dnf 4 command line instead of its Python API —
//! the backend chosen as Ansible's dnf action chooses it, the named packages queried in one
//! command, only those that differ passed to one dnf call, `--assumeno` under check mode,
//! Ansible's `results` (`Installed: n-v-r.a`, `Removed: ...`), `list`, `update_cache`;
//! package groups and module streams (`@...`) with the packages in one `dnf shell`.
//! What to change is decided in `dnf_plan.rs` (groups and streams: `dnf_comps.rs`, their
//! transaction `dnf_shell.rs`); the arguments are in `dnf_args.rs`; the host probes in
//! `host/dnf.rs`.

use serde_json::{json, Value as Json};

use crate::modules::args::{refuse_choice, refuse_together};
use crate::modules::dnf_args::Args;
use crate::modules::host::dnf::run_locked;
use crate::modules::host::pkg_mgr;
use crate::modules::{
    argnames, dnf_list, dnf_plan, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "dnf",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("dnf", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

const STATES: &[&str] = &["absent", "installed", "latest", "present", "removed"];
const BACKENDS: &[&str] = &["auto", "dnf", "dnf4", "dnf5", "yum", "yum4"];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "dnf", &["state"], STATES)?;
    refuse_choice(args, "dnf", &["use_backend"], BACKENDS)?;
    refuse_together(args, "dnf", &[&["name", "pkg"], &["list"]])?;
    refuse_together(args, "dnf", &[&["best"], &["nobest"]])?;
    refuse_together(args, "dnf", &[&["use"], &["use_backend"]])
}

/// A failure with Ansible's `results: []` (and `rc` when given).
pub(crate) fn failure(msg: impl Into<String>, rc: Option<i32>) -> ModuleResult {
    let mut r = ModuleResult::failed(msg);
    r.data.insert("results".into(), json!([]));
    if let Some(rc) = rc {
        r.data.insert("rc".into(), rc.into());
    }
    r
}

async fn run(ctx: &ModuleCtx<'_>, mut a: Args) -> Outcome {
    backend(ctx, &a).await?;
    a.name = a
        .name
        .iter()
        .flat_map(|n| n.split(','))
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let spaced = |n: &String| n.contains(' ') && !n.contains(['@', '>', '<', '=']);
    if a.name.iter().any(spaced) {
        return Err(ModuleResult::failed("It appears that a space separated string of packages was passed in as an argument. To operate on several packages, pass a comma separated string of packages or a list of packages."));
    }
    let state = match a.state.clone() {
        Some(s) => s,
        None if a.autoremove => "absent".into(),
        None => "present".into(),
    };
    if a.autoremove && state != "absent" && state != "removed" {
        return Err(failure(
            "Autoremove should be used alone or with state=absent",
            None,
        ));
    }
    if let Some(c) = &a.conf_file {
        let readable = ctx
            .exec(&format!("test -r {}", crate::connection::quote(c)))
            .await;
        if !matches!(readable, Ok(out) if out.rc == 0) {
            let mut r = failure("cannot read configuration file", None);
            r.data.insert("conf_file".into(), c.clone().into());
            return Err(r);
        }
    }
    if a.update_cache && a.name.is_empty() && a.list.is_none() {
        return refresh(ctx, &a).await;
    }
    if let Some(what) = a.list.clone() {
        return dnf_list::list(ctx, &a, &what).await;
    }
    dnf_plan::ensure(ctx, &a, &state).await
}

/// The backend as Ansible's dnf action picks it (`use`, `use_backend`, else the `pkg_mgr`
/// fact, else the host's package manager): dnf 4 runs here; anything else fails as there.
async fn backend(ctx: &ModuleCtx<'_>, a: &Args) -> Result<(), ModuleResult> {
    let mut chosen = a.use_.clone().unwrap_or_else(|| a.use_backend.clone());
    if chosen == "auto" || chosen == "yum" {
        let fact = ctx
            .vars
            .get("ansible_facts")
            .and_then(|f| f.get("pkg_mgr"))
            .and_then(Json::as_str);
        chosen = match fact {
            Some(f) => f.to_string(),
            None => pkg_mgr::detect(ctx).await?.unwrap_or("auto").to_string(),
        };
    }
    match chosen.as_str() {
        "dnf" | "dnf4" | "yum4" => Ok(()),
        "dnf5" => Err(ModuleResult::failed(
            "ferry's dnf module drives dnf 4; the dnf5 backend runs only through Ansible (FERRY_FALLBACK_MODULES=ansible.builtin.dnf5)",
        )),
        _ => {
            let mut r = ModuleResult::failed("");
            r.data.insert(
                "msg".into(),
                json!([
                    "Could not detect which major revision of dnf is in use, which is required to determine module backend.",
                    "You should manually specify use_backend to tell the module whether to use the dnf4 or dnf5 backend})"
                ]),
            );
            Err(r)
        }
    }
}

/// `update_cache` alone: the metadata refreshed, never a change (as Ansible reports it).
async fn refresh(ctx: &ModuleCtx<'_>, a: &Args) -> Outcome {
    let cmd = format!("dnf {} -q makecache --refresh", a.options());
    let out = run_locked(ctx, &cmd, a.lock_timeout).await?;
    if out.rc != 0 {
        let msg = crate::modules::host::dnf::dnf_error(&out);
        return Err(failure(msg, Some(1)));
    }
    let mut data = Vars::new();
    data.insert("msg".into(), "Cache updated".into());
    data.insert("results".into(), json!([]));
    data.insert("rc".into(), 0.into());
    Ok(ModuleResult::ok(data))
}
