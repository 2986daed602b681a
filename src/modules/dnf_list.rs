//! dnf's `list`: `installed`, `updates`/`upgrades`, `available`, `repos`/`repositories`, or
//! the packages a spec names, as ansible.builtin.dnf lists them in `results`.

use serde_json::{json, Value as Json};

use crate::connection::quote;
use crate::modules::dnf::failure;
use crate::modules::dnf_args::Args;
use crate::modules::host::dnf::{dnf_error, installed, rpm_qa, run_locked};
use crate::modules::host::rpmversion::{Pkg, PkgSpec};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

const QF: &str = "'%{name}|%{epoch}|%{version}|%{release}|%{arch}|%{repoid}'";

/// A package as Ansible lists it.
fn entry(p: &Pkg) -> Json {
    json!({
        "name": p.name,
        "arch": p.arch,
        "epoch": p.epoch.to_string(),
        "release": p.release,
        "version": p.version,
        "repo": p.repo,
        "envra": p.envra(),
        "nevra": p.envra(),
        "yumstate": if p.repo == "@System" { "installed" } else { "available" },
    })
}

/// `list: what`.
pub(crate) async fn list(ctx: &ModuleCtx<'_>, a: &Args, what: &str) -> Outcome {
    let opts = match a.update_cache {
        true => format!("{} --refresh", a.options()),
        false => a.options(),
    };
    let repoquery = |extra: &str| format!("dnf {opts} -q repoquery {extra} --qf {QF}");
    let cmd = match what {
        "installed" => rpm_qa(&a.installroot),
        "updates" | "upgrades" => repoquery("--upgrades"),
        "available" => repoquery(""),
        "repos" | "repositories" => format!("dnf {opts} -q repolist --enabled"),
        spec => format!(
            "{}; {} -- {}",
            rpm_qa(&a.installroot),
            repoquery(""),
            quote(&PkgSpec::parse(spec).pattern)
        ),
    };
    let out = run_locked(ctx, &cmd, a.lock_timeout).await?;
    if out.rc != 0 {
        return Err(failure(dnf_error(&out), Some(1)));
    }
    let results: Vec<Json> = match what {
        "repos" | "repositories" => out
            .stdout
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .map(|id| json!({"repoid": id, "state": "enabled"}))
            .collect(),
        "installed" => installed(&out.stdout).iter().map(entry).collect(),
        _ => {
            let spec = PkgSpec::parse(what);
            let named = |p: &Pkg| {
                what == "available"
                    || what.ends_with("upgrades")
                    || what == "updates"
                    || spec.matches(p)
            };
            let mut pkgs: Vec<Pkg> = out
                .stdout
                .lines()
                .filter_map(|l| Pkg::parse(l, "@System"))
                .filter(|p| named(p))
                .collect();
            pkgs.dedup();
            pkgs.iter().map(entry).collect()
        }
    };
    let mut data = Vars::new();
    data.insert("msg".into(), "".into());
    data.insert("results".into(), Json::Array(results));
    Ok(ModuleResult::ok(data))
}
