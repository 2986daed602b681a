//! The one transaction of a `dnf` task that names groups or module streams: its lines (the
//! groups', streams' and packages' commands, from `dnf_comps.rs` and `dnf_plan.rs`) given to
//! one `dnf shell`, which marks them all and runs them as one transaction, as Ansible's dnf
//! does through dnf's API. A dry run (`--assumeno`) comes first: it finds the failures Ansible
//! would report before changing anything, and whether any package would change — when none
//! would, nothing runs (Ansible's "Nothing to do", which leaves dnf's history alone too);
//! under check mode its table is the answer.

use crate::connection::ExecOutput;
use crate::modules::dnf::failure;
use crate::modules::dnf_args::Args;
use crate::modules::dnf_outcome::{apply, nothing, outcome};
use crate::modules::host::dnf::{self as host_dnf, run_locked, Probe};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};

/// Runs `lines` in one `dnf shell` transaction (`erase`: removals may take the packages that
/// need them, as Ansible's removals do); `notes` lead Ansible's `results`.
pub(crate) async fn transact(
    ctx: &ModuleCtx<'_>,
    a: &Args,
    p: &Probe,
    lines: &[String],
    notes: Vec<String>,
    erase: bool,
) -> Outcome {
    if lines.is_empty() {
        return Ok(nothing(notes));
    }
    let mut opts = a.transaction_options();
    if erase && !a.allowerasing {
        opts.push_str(" --allowerasing");
    }
    // Ansible's module API switches an enabled stream to the one named; dnf's command line
    // does so only when told.
    opts.push_str(" --setopt=module_stream_switch=True");
    let tail = format!(
        "shell /dev/stdin <<'FERRY_DNF_SHELL'\n{}\nrun\nFERRY_DNF_SHELL",
        lines.join("\n")
    );
    let dry = run_locked(
        ctx,
        &format!("dnf {opts} --assumeno {tail}"),
        a.lock_timeout,
    )
    .await?;
    if dry.rc != 0 {
        return Err(failure(host_dnf::dnf_error(&dry), Some(dry.rc)));
    }
    refused(&dry)?;
    let (add, remove) = host_dnf::transaction(&dry.stdout, &p.installed);
    if (add.is_empty() && remove.is_empty()) || ctx.check_mode {
        return Ok(outcome(ctx, a, &add, &remove, notes));
    }
    let (add, remove) = apply(ctx, a, p, &opts, &tail).await?;
    Ok(outcome(ctx, a, &add, &remove, notes))
}

/// Ansible's failure for what a dry run of the shell reported: a module spec dnf could not
/// resolve (`broken groups or modules: fmod:1.0` after `Error: Problems in request:`), a
/// package no repository offers, a dependency problem, or any other `Error:` line.
fn refused(out: &ExecOutput) -> Result<(), ModuleResult> {
    let missing: Vec<String> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("Error: Unable to find a match: "))
        .flat_map(str::split_whitespace)
        .map(|x| format!("No package {x} available."))
        .collect();
    let marking: Vec<String> = out
        .stderr
        .lines()
        .filter_map(|l| {
            ["broken groups or modules", "missing groups or modules"]
                .iter()
                .find_map(|kind| Some((*kind, l.strip_prefix(kind)?.strip_prefix(": ")?)))
        })
        .flat_map(|(kind, specs)| {
            specs
                .split(", ")
                .map(move |s| format!("{s} Problems in request:\n{kind}: {s}"))
        })
        .chain(missing)
        .collect();
    if !marking.is_empty() {
        let mut r = failure("Failed to install some of the specified packages", Some(1));
        r.data.insert("failures".into(), marking.into());
        return Err(r);
    }
    let problem: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Problem"))
        .take_while(|l| !l.is_empty())
        .collect();
    if !problem.is_empty() {
        let msg = format!("Depsolve Error occurred: \n {}", problem.join("\n"));
        return Err(failure(msg, Some(1)));
    }
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Error:") && !l.contains("Operation aborted"))
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(failure(errors.join("\n"), Some(1))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_fails_as_ansible_would_or_not_at_all() {
        let aborted = "Detection of Platform Module failed: No valid Platform ID detected\nError: Operation aborted.\n";
        let cases = [
            (aborted, "", None),
            (
                "Error: Problems in request:\nbroken groups or modules: fmod:1.0\nError: Operation aborted.\n",
                "",
                Some(("Failed to install some of the specified packages", r#"["fmod:1.0 Problems in request:\nbroken groups or modules: fmod:1.0"]"#)),
            ),
            (
                "No match for argument: nosuch\nError: Unable to find a match: nosuch other\n",
                "",
                Some(("Failed to install some of the specified packages", r#"["No package nosuch available.","No package other available."]"#)),
            ),
            (
                aborted,
                "Problem: conflicting requests\n  - nothing provides x\n\nNothing to do.\n",
                Some(("Depsolve Error occurred: \n Problem: conflicting requests\n  - nothing provides x", "null")),
            ),
            ("Error: No group marked for upgrade.\n", "", Some(("Error: No group marked for upgrade.", "null"))),
        ];
        for (stderr, stdout, want) in cases {
            let out = ExecOutput {
                rc: 0,
                stdout: stdout.into(),
                stderr: stderr.into(),
            };
            let got = refused(&out).err().map(|r| {
                let failures = r.data.get("failures").cloned().unwrap_or_default();
                (
                    r.data["msg"].as_str().unwrap_or_default().to_string(),
                    failures.to_string(),
                )
            });
            let want = want.map(|(m, f)| (m.to_string(), f.to_string()));
            assert_eq!(got, want, "{stderr}");
        }
    }
}
