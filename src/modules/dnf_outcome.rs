//! A dnf transaction run for real and Ansible's result of it, for both ways a `dnf` task
//! transacts (one dnf command, `dnf_plan.rs`; one `dnf shell`, `dnf_shell.rs`): what it
//! installed and removed, read from rpm's database before and after, and the `msg`,
//! `results` (`Installed: n-v-r.a`, `Removed: ...`) and `rc` Ansible reports.

use serde_json::json;

use crate::modules::dnf::failure;
use crate::modules::dnf_args::Args;
use crate::modules::host::dnf::{self as host_dnf, installed, rpm_qa, run_locked, Probe};
use crate::modules::host::rpmversion::Pkg;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// Ansible's result when the transaction is empty.
pub(crate) fn nothing(notes: Vec<String>) -> ModuleResult {
    let mut data = Vars::new();
    data.insert("msg".into(), "Nothing to do".into());
    data.insert("results".into(), json!(notes));
    data.insert("rc".into(), 0.into());
    ModuleResult::ok(data)
}

/// Runs `dnf OPTS -y TAIL` (a command and its arguments, or `shell` and its script) for real:
/// the packages it installed and removed, read from rpm's database before (`p`) and after
/// (from its table with `download_only`); dnf's failure, or an `Error:` line of its shell.
pub(crate) async fn apply(
    ctx: &ModuleCtx<'_>,
    a: &Args,
    p: &Probe,
    opts: &str,
    tail: &str,
) -> Result<(Vec<Pkg>, Vec<Pkg>), ModuleResult> {
    let cmd = format!(
        "dnf {opts} -y {tail}\nrc=$?; echo; echo @@after; {}; exit $rc",
        rpm_qa(&a.installroot)
    );
    let out = run_locked(ctx, &cmd, a.lock_timeout).await?;
    let (shown, after) = out
        .stdout
        .split_once("\n@@after\n")
        .unwrap_or((&out.stdout, ""));
    let shell_error = out.stderr.lines().any(|l| l.starts_with("Error:"));
    if out.rc != 0 || (tail.starts_with("shell") && shell_error) {
        let mut r = failure(host_dnf::complaint(&out.stderr, shown), Some(out.rc.max(1)));
        r.data.insert("stdout".into(), shown.into());
        return Err(r);
    }
    Ok(match a.download_only {
        true => host_dnf::transaction(shown, &p.installed),
        false => changes(&p.installed, &installed(after)),
    })
}

/// Ansible's result of a transaction that installed (downloaded) `add` and removed `remove`
/// ("Nothing to do" when both are empty), after the lines of `notes`.
pub(crate) fn outcome(
    ctx: &ModuleCtx<'_>,
    a: &Args,
    add: &[Pkg],
    remove: &[Pkg],
    notes: Vec<String>,
) -> ModuleResult {
    if add.is_empty() && remove.is_empty() {
        return nothing(notes);
    }
    let action = if a.download_only {
        "Downloaded"
    } else {
        "Installed"
    };
    let mut results = notes;
    let mut line = |what: &str, pkgs: &[Pkg]| {
        let mut v: Vec<String> = pkgs
            .iter()
            .map(|x| format!("{what}: {}", x.nevra()))
            .collect();
        v.sort();
        results.extend(v);
    };
    line(action, add);
    line("Removed", remove);
    let mut data = Vars::new();
    let msg = match ctx.check_mode {
        true => "Check mode: No changes made, but would have if not in check mode",
        false => "",
    };
    data.insert("msg".into(), msg.into());
    data.insert("results".into(), json!(results));
    data.insert("rc".into(), 0.into());
    ModuleResult::changed(data, true)
}

/// The packages in `after` and not `before` (installed), and the reverse (removed).
fn changes(before: &[Pkg], after: &[Pkg]) -> (Vec<Pkg>, Vec<Pkg>) {
    let missing = |from: &[Pkg], other: &[Pkg]| -> Vec<Pkg> {
        from.iter()
            .filter(|x| !other.contains(x))
            .cloned()
            .collect()
    };
    (missing(after, before), missing(before, after))
}
