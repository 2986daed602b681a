//! The apt module's actions: which of the named packages differ from what is wanted (decided
//! as ansible.builtin.apt decides, from [`host::apt::probe`]), the one `apt-get` command that
//! changes them, and the other operations (`.deb` files, upgrades, autoremove, autoclean,
//! clean) with Ansible's results: `changed`, `stdout`, `stderr`, `diff.prepared`.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::apt_args::{Args, APT_GET};
use crate::modules::command::put_output;
use crate::modules::host::apt::{probe, run_locked, with_policy_rc_d, PkgState};
use crate::modules::host::debversion::compare;
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::template::glob_match;
use crate::vars::Vars;

/// What apt-get prints when it did nothing.
pub(crate) const APT_GET_ZERO: &str = "\n0 upgraded, 0 newly installed, 0 to remove";

/// A package as the task names it: `name`, `name=1.2*` or `name>=1.2`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    pub name: String,
    /// `=` (a version pattern) or `>=`.
    pub cmp: Option<&'static str>,
    pub version: Option<String>,
    /// As written.
    pub text: String,
}

impl Spec {
    pub(crate) fn parse(text: &str) -> Spec {
        let found = text.find('=').map(|i| match text[..i].ends_with('>') {
            true => (i - 1, ">=", i + 1),
            false => (i, "=", i + 1),
        });
        match found {
            Some((end, cmp, start)) => Spec {
                name: text[..end].to_string(),
                cmp: Some(cmp),
                version: Some(text[start..].to_string()),
                text: text.to_string(),
            },
            None => Spec {
                name: text.to_string(),
                cmp: None,
                version: None,
                text: text.to_string(),
            },
        }
    }
}

/// What the install decision needs to know of one package: whether it is installed, whether
/// the installed version is what is wanted, and the version to install (`Some("")`: the
/// name alone, for a virtual package).
struct Status {
    installed: bool,
    version_ok: bool,
    installable: Option<String>,
}

fn best_match(st: &PkgState, spec: &Spec) -> Option<String> {
    match (spec.cmp, &spec.version) {
        (Some("="), Some(pattern)) => st
            .versions
            .iter()
            .filter(|v| glob_match(pattern.as_bytes(), v.as_bytes()))
            .max_by(|a, b| compare(a, b))
            .cloned(),
        _ => st.candidate.clone(),
    }
}

fn status(st: &PkgState, spec: &Spec) -> Result<Status, String> {
    let virtual_ = st.candidate.is_none() && st.versions.is_empty();
    if st.provided && st.installed.is_none() && virtual_ {
        let (installed, version_ok, installable) = (true, true, None);
        return Ok(Status {
            installed,
            version_ok,
            installable,
        });
    }
    if !st.known {
        return Err(format!("No package matching '{}' is available", spec.name));
    }
    if virtual_ {
        let (installed, version_ok, installable) = (false, false, Some(String::new()));
        return Ok(Status {
            installed,
            version_ok,
            installable,
        });
    }
    let best = best_match(st, spec);
    let Some(current) = &st.installed else {
        return Ok(Status {
            installed: false,
            version_ok: false,
            installable: best,
        });
    };
    let wanted = |v: &str| match (spec.cmp, &spec.version) {
        (Some("="), Some(p)) => glob_match(p.as_bytes(), v.as_bytes()),
        (Some(_), Some(min)) => compare(v, min) != Ordering::Less,
        _ => true,
    };
    let installable = best.filter(|b| b != current && wanted(b));
    Ok(Status {
        installed: true,
        version_ok: wanted(current),
        installable,
    })
}

/// The `apt-get install` arguments for `specs` (quoted), or the failure Ansible reports.
fn install_list(
    specs: &[Spec],
    states: &std::collections::BTreeMap<String, PkgState>,
    latest: bool,
    only_upgrade: bool,
) -> Result<Vec<String>, String> {
    let mut list = Vec::new();
    for spec in specs {
        let st = states.get(&spec.name).cloned().unwrap_or_default();
        let s = status(&st, spec)?;
        if !s.installed && only_upgrade {
            continue;
        }
        if !s.version_ok && s.installable.is_none() {
            return Err(format!(
                "no available installation candidate for {}",
                spec.text
            ));
        }
        let Some(version) = s.installable else {
            continue;
        };
        if (!s.installed && !only_upgrade) || latest || !s.version_ok {
            list.push(match (version.as_str(), &spec.version) {
                ("", Some(v)) => format!("{}={v}", spec.name),
                ("", None) => spec.name.clone(),
                (v, _) => format!("{}={v}", spec.name),
            });
        } else if spec.cmp == Some("=") {
            list.push(spec.text.clone());
        }
    }
    Ok(list.iter().map(|p| quote(p)).collect())
}

/// `state: present | latest | build-dep | fixed`.
pub(crate) async fn install(ctx: &ModuleCtx<'_>, a: &Args, specs: &[Spec]) -> Outcome {
    let build_dep = a.state == "build-dep";
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let states = probe(ctx, &names, a.default_release.as_deref()).await?;
    let list = match build_dep {
        true => specs.iter().map(|s| quote(&s.text)).collect(),
        false => install_list(specs, &states, a.state == "latest", a.only_upgrade)
            .map_err(ModuleResult::failed)?,
    };
    let mut result = ModuleResult::ok(Vars::new());
    if !list.is_empty() {
        let flag = |on: bool, f: &'static str| if on { f } else { "" };
        let (fixed, sim) = (flag(a.state == "fixed", "--fix-broken"), simulate(ctx));
        let (only, force) = (
            flag(a.only_upgrade, "--only-upgrade"),
            flag(a.force, "--force-yes"),
        );
        let no_remove = flag(a.fail_on_autoremove, "--no-remove");
        let mut cmd = match build_dep {
            true => format!(
                "{APT_GET} -y {} {only} {fixed} {force} {no_remove} {sim} build-dep {}",
                a.dpkg_flags(),
                list.join(" ")
            ),
            false => format!(
                "{APT_GET} -y {} {only} {fixed} {force} {} {no_remove} {sim} install {}",
                a.dpkg_flags(),
                flag(a.autoremove, "--auto-remove"),
                list.join(" ")
            ),
        };
        cmd.push_str(&a.release_flag());
        cmd.push_str(&common_flags(a));
        let out = apt_cmd(ctx, a, &cmd).await?;
        result = out;
        if build_dep {
            result.changed = !result.data["stdout"]
                .as_str()
                .unwrap_or("")
                .contains(APT_GET_ZERO);
        }
    }
    if !build_dep && !ctx.check_mode {
        mark_manual(ctx, &names, &states).await?;
    }
    Ok(result)
}

/// `-o APT::Install-Recommends`, `--allow-*`: appended to install commands.
pub(crate) fn common_flags(a: &Args) -> String {
    let mut out = String::new();
    match a.install_recommends {
        Some(false) => out.push_str(" -o APT::Install-Recommends=no"),
        Some(true) => out.push_str(" -o APT::Install-Recommends=yes"),
        None => {}
    }
    for (on, flag) in [
        (a.allow_unauthenticated, " --allow-unauthenticated"),
        (a.allow_downgrade, " --allow-downgrades"),
        (
            a.allow_change_held_packages,
            " --allow-change-held-packages",
        ),
    ] {
        if on {
            out.push_str(flag);
        }
    }
    out
}

pub(crate) fn simulate(ctx: &ModuleCtx<'_>) -> &'static str {
    if ctx.check_mode {
        "--simulate"
    } else {
        ""
    }
}

/// Named packages apt had marked as installed automatically become manual, as Ansible does.
async fn mark_manual(
    ctx: &ModuleCtx<'_>,
    names: &[String],
    states: &std::collections::BTreeMap<String, PkgState>,
) -> Result<(), ModuleResult> {
    let auto: Vec<String> = names
        .iter()
        .filter(|n| states.get(*n).is_some_and(|s| s.auto))
        .map(|n| quote(n))
        .collect();
    if auto.is_empty() {
        return Ok(());
    }
    let cmd = format!("apt-mark manual {}", auto.join(" "));
    let out = run_locked(ctx, &cmd, 60).await?;
    if out.rc != 0 {
        return Err(failure(&cmd, out));
    }
    Ok(())
}

/// Runs a changing apt command (under `policy_rc_d`, retried on the lock): changed with
/// stdout, stderr and the diff, or Ansible's failure naming the command.
async fn apt_cmd(ctx: &ModuleCtx<'_>, a: &Args, cmd: &str) -> Outcome {
    apt_cmd_named(ctx, a, cmd, cmd).await
}

pub(crate) async fn apt_cmd_named(ctx: &ModuleCtx<'_>, a: &Args, cmd: &str, what: &str) -> Outcome {
    let out = run_locked(ctx, &with_policy_rc_d(cmd, a.policy_rc_d), a.lock_timeout).await?;
    if out.rc != 0 {
        return Err(failure(what, out));
    }
    Ok(done(ctx, out, Vars::new()))
}

/// A changing command that ran: `data` with its output and diff, changed.
fn done(ctx: &ModuleCtx<'_>, out: crate::connection::ExecOutput, mut data: Vars) -> ModuleResult {
    data.insert("diff".into(), diff(ctx, &out.stdout));
    put_output(&mut data, "stdout", out.stdout, None);
    put_output(&mut data, "stderr", out.stderr, None);
    ModuleResult {
        changed: true,
        ..ModuleResult::ok(data)
    }
}

/// Ansible's failure of an apt command: `'what' failed: stderr`, with its output and rc.
fn failure(what: &str, out: crate::connection::ExecOutput) -> ModuleResult {
    let mut r = ModuleResult::failed(format!("'{what}' failed: {}", out.stderr));
    put_output(&mut r.data, "stdout", out.stdout, None);
    put_output(&mut r.data, "stderr", out.stderr, None);
    r.data.insert("rc".into(), out.rc.into());
    r
}

/// `diff.prepared` under `--diff` (apt's summary of what it does), else an empty mapping.
pub(crate) fn diff(ctx: &ModuleCtx<'_>, stdout: &str) -> Json {
    if !ctx.diff {
        return Json::Object(Vars::new());
    }
    prepared(stdout)
}

/// The lines of apt's output from after "Reading state information..." through the
/// "N upgraded, ..." summary, as Ansible's `parse_diff` takes them.
pub(crate) fn prepared(stdout: &str) -> Json {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Resolving dependencies...")
        .or_else(|| {
            lines
                .iter()
                .position(|l| *l == "Reading state information...")
        })
        .map_or(0, |i| i + 1);
    let summary = regex::Regex::new(r"^[0-9]+ (packages )?upgraded").expect("valid regex");
    let end = lines
        .iter()
        .position(|l| summary.is_match(l))
        .map_or(lines.len(), |i| i + 1);
    let text = lines
        .get(start..end.max(start))
        .unwrap_or_default()
        .join("\n");
    serde_json::json!({ "prepared": text })
}

/// `state: absent`: removes (or purges) the named packages that are there.
pub(crate) async fn remove(ctx: &ModuleCtx<'_>, a: &Args, specs: &[Spec]) -> Outcome {
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let states = probe(ctx, &names, None).await?;
    let list: Vec<String> = specs
        .iter()
        .filter(|s| {
            let st = states.get(&s.name).cloned().unwrap_or_default();
            let version_ok = st
                .installed
                .as_deref()
                .is_some_and(|v| match (s.cmp, &s.version) {
                    (Some("="), Some(p)) => glob_match(p.as_bytes(), v.as_bytes()),
                    (Some(_), Some(min)) => compare(v, min) != Ordering::Less,
                    _ => true,
                });
            version_ok || (st.has_files && a.purge)
        })
        .map(|s| quote(&s.text))
        .collect();
    if list.is_empty() {
        return Ok(ModuleResult::ok(Vars::new()));
    }
    let flag = |on: bool, f: &'static str| if on { f } else { "" };
    let packages = list.join(" ");
    let cmd = format!(
        "{APT_GET} -q -y {} {} {} {} {} {} remove {packages}",
        a.dpkg_flags(),
        flag(a.purge, "--purge"),
        flag(a.force, "--force-yes"),
        flag(a.autoremove, "--auto-remove"),
        simulate(ctx),
        flag(a.allow_change_held_packages, "--allow-change-held-packages"),
    );
    apt_cmd_named(ctx, a, &cmd, &format!("apt-get remove {packages}")).await
}

/// `autoremove` / `autoclean` without packages: changed when apt removed or deleted something.
pub(crate) async fn cleanup(ctx: &ModuleCtx<'_>, a: &Args, operation: &str) -> Outcome {
    let flag = |on: bool, f: &'static str| if on { f } else { "" };
    let cmd = format!(
        "{APT_GET} -y {} {} {} {operation} {}",
        a.dpkg_flags(),
        flag(a.purge, "--purge"),
        flag(a.force, "--force-yes"),
        simulate(ctx)
    );
    let mut r = apt_cmd_named(ctx, a, &cmd, &format!("apt-get {operation}")).await?;
    let marker = match operation {
        "autoremove" => "The following packages will be REMOVED",
        _ => "Del ",
    };
    r.changed = r.data["stdout"].as_str().unwrap_or("").contains(marker);
    Ok(r)
}

/// `clean: true`: `apt-get clean`, always changed.
pub(crate) async fn clean(ctx: &ModuleCtx<'_>) -> Outcome {
    let out = run_locked(ctx, "apt-get clean", 60).await?;
    if out.rc != 0 || !out.stderr.is_empty() {
        let mut r = ModuleResult::failed(format!("apt-get clean failed: {}", out.stderr));
        r.data.insert("stdout".into(), out.stdout.into());
        r.data.insert("rc".into(), out.rc.into());
        return Err(r);
    }
    let mut data = Vars::new();
    data.insert("msg".into(), out.stdout.clone().into());
    Ok(done(ctx, out, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(installed: Option<&str>, candidate: &str, versions: &[&str]) -> PkgState {
        PkgState {
            known: true,
            installed: installed.map(String::from),
            has_files: installed.is_some(),
            candidate: Some(candidate.into()),
            versions: versions.iter().map(|v| v.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn specs_split_at_the_first_comparison() {
        let s = Spec::parse("hello=2.10*");
        assert_eq!(
            (s.name.as_str(), s.cmp, s.version.as_deref()),
            ("hello", Some("="), Some("2.10*"))
        );
        let s = Spec::parse("hello>=2.9");
        assert_eq!(
            (s.name.as_str(), s.cmp, s.version.as_deref()),
            ("hello", Some(">="), Some("2.9"))
        );
        assert_eq!(Spec::parse("sl").cmp, None);
    }

    #[test]
    fn only_what_differs_is_installed() {
        let mut states = std::collections::BTreeMap::new();
        states.insert("a".to_string(), state(Some("1.0"), "2.0", &["2.0", "1.0"]));
        states.insert("b".to_string(), state(None, "2.0", &["2.0", "1.0"]));
        let specs = |t: &[&str]| t.iter().map(|s| Spec::parse(s)).collect::<Vec<_>>();
        let list = |t: &[&str], latest| install_list(&specs(t), &states, latest, false);
        assert_eq!(list(&["a", "b"], false).unwrap(), ["b=2.0"]);
        assert_eq!(list(&["a", "b"], true).unwrap(), ["a=2.0", "b=2.0"]);
        assert_eq!(list(&["a=1.*", "b=1.*"], false).unwrap(), ["b=1.0"]);
        assert_eq!(list(&["a=2*"], false).unwrap(), ["a=2.0"]);
        assert_eq!(list(&["a>=1.0"], false).unwrap(), Vec::<String>::new());
        assert_eq!(
            list(&["b=3*"], false).unwrap_err(),
            "no available installation candidate for b=3*"
        );
        assert_eq!(
            install_list(&specs(&["zz"]), &states, false, false).unwrap_err(),
            "No package matching 'zz' is available"
        );
        assert_eq!(
            install_list(&specs(&["b"]), &states, false, true).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn prepared_is_apts_summary() {
        let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  hello\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nInst hello (2.10-3 Debian:12.0/stable [amd64])\n";
        assert_eq!(
            prepared(out)["prepared"],
            "The following NEW packages will be installed:\n  hello\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
        );
    }
}
