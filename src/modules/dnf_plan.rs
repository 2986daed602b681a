//! The dnf module's decisions and its one transaction: which named packages differ from the
//! wanted state (decided as ansible.builtin.dnf's `_mark_package_install` decides, from
//! [`host::dnf::probe`]), the one `dnf install`/`remove`/`upgrade`/`autoremove` that changes
//! them (run and reported by `dnf_outcome.rs`; dnf's `--assumeno` table under check mode); a
//! task that names groups or module streams goes to `dnf_comps.rs` and `dnf_shell.rs`.

use std::cmp::Ordering;

use serde_json::json;

use crate::connection::quote;
use crate::modules::dnf::failure;
use crate::modules::dnf_args::Args;
use crate::modules::dnf_outcome::{apply, nothing, outcome};
use crate::modules::host::dnf::{self as host_dnf, probe, run_locked, Probe};
use crate::modules::host::rpmversion::{Pkg, PkgSpec};
use crate::modules::{dnf_comps, dnf_shell, get_url_fetch};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};

/// What the task asks of its packages, sorted out of `name`.
#[derive(Default)]
struct Wanted {
    specs: Vec<PkgSpec>,
    /// Absolute paths of files a package provides (`/usr/bin/vi`).
    paths: Vec<String>,
    /// `.rpm` files on the host.
    files: Vec<String>,
    /// Groups, environment groups and module streams: the names less their first character.
    comps: Vec<String>,
}

fn sort_names(names: &[String]) -> Result<Wanted, ModuleResult> {
    let mut w = Wanted::default();
    for n in names {
        if n.ends_with(".rpm") {
            w.files.push(n.clone());
        } else if n.starts_with('/') {
            w.paths.push(n.clone());
        } else if n.starts_with('@') || n.contains('/') {
            // As Ansible's dnf: the first character goes, whether it is an `@` or not.
            let rest = n.char_indices().nth(1).map_or("", |(i, _)| &n[i..]);
            w.comps.push(rest.trim().to_string());
        } else {
            w.specs.push(PkgSpec::parse(n));
        }
    }
    Ok(w)
}

/// What one install decision added: a dnf argument, a line of `results`, or a spec no
/// repository offers.
#[derive(Debug, PartialEq)]
enum Step {
    Nothing,
    Install(String),
    Note(String),
    Missing(String),
}

/// The highest of `pkgs`.
fn best(pkgs: &[&Pkg]) -> Option<Pkg> {
    pkgs.iter()
        .max_by(|a, b| a.cmp_evr(b))
        .map(|p| (*p).clone())
}

/// One spec under `present` (`upgrade: false`) or `latest` (`upgrade: true`), as Ansible's
/// dnf module decides it.
fn decide(spec: &PkgSpec, p: &Probe, a: &Args, upgrade: bool) -> Step {
    let avail: Vec<&Pkg> = p.available.iter().filter(|x| spec.matches(x)).collect();
    let inst: Vec<&Pkg> = p.installed.iter().filter(|x| spec.matches(x)).collect();
    let is_installed = match spec.is_glob() {
        true => avail
            .iter()
            .all(|x| p.installed.iter().any(|i| i.name == x.name)),
        false => !inst.is_empty(),
    };
    // A newer version of what the spec names is installed (compared per arch).
    let newer = avail.first().is_some_and(|first| {
        p.installed
            .iter()
            .filter(|i| i.name == first.name)
            .any(|i| {
                let same: Vec<&Pkg> = avail.iter().copied().filter(|x| x.arch == i.arch).collect();
                best(&same).is_some_and(|b| i.cmp_evr(&b) == Ordering::Greater)
            })
    });
    if a.update_only && !is_installed {
        let note = format!(
            "Packages providing {} not installed due to update_only specified",
            spec.text
        );
        return Step::Note(note);
    }
    if newer {
        return match a.allow_downgrade {
            true => Step::Install(spec.text.clone()),
            false => Step::Nothing,
        };
    }
    if is_installed && !(upgrade || a.update_only) {
        return Step::Nothing;
    }
    if is_installed {
        // The best available of each installed name and arch, when newer.
        let ups: Vec<String> = inst
            .iter()
            .filter_map(|i| {
                let same: Vec<&Pkg> = avail
                    .iter()
                    .copied()
                    .filter(|x| x.name == i.name && x.arch == i.arch)
                    .collect();
                best(&same).filter(|b| b.cmp_evr(i) == Ordering::Greater)
            })
            .map(|b| b.nevra())
            .collect();
        return match ups.is_empty() {
            true => Step::Nothing,
            false => Step::Install(ups.join(" ")),
        };
    }
    match avail.is_empty() {
        true => Step::Missing(spec.text.clone()),
        false => Step::Install(spec.text.clone()),
    }
}

/// The packages of `present`/`latest`: the dnf arguments, notes and failures.
fn install_steps(w: &Wanted, p: &Probe, a: &Args, upgrade: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = w.specs.iter().map(|s| decide(s, p, a, upgrade)).collect();
    for path in &w.paths {
        let known = p.provided.contains(path);
        steps.push(match (known, a.update_only) {
            (true, _) => Step::Nothing,
            (false, true) => Step::Nothing,
            (false, false) => Step::Install(path.clone()),
        });
    }
    steps
}

/// `state: present | installed | latest | absent | removed`, `autoremove`, `name: '*'`;
/// `.rpm` URLs are fetched on the host first, into a directory removed after the task.
pub(crate) async fn ensure(ctx: &ModuleCtx<'_>, a: &Args, state: &str) -> Outcome {
    let urls = a.name.iter().any(|n| n.contains("://"));
    if !urls || matches!(state, "absent" | "removed") {
        return ensure_names(ctx, a, state, &a.name).await;
    }
    let dir = host_dnf::tmp_dir(ctx).await?;
    let done = match fetch_urls(ctx, a, &dir).await {
        Ok(names) => ensure_names(ctx, a, state, &names).await,
        Err(r) => Err(r),
    };
    host_dnf::remove_dir(ctx, &dir).await;
    done
}

/// `name` with each URL replaced by the file it was fetched into, in `dir` on the host, under
/// the URL's file name (as Ansible's dnf fetches them into its temporary directory).
async fn fetch_urls(ctx: &ModuleCtx<'_>, a: &Args, dir: &str) -> Result<Vec<String>, ModuleResult> {
    let mut names = Vec::new();
    for n in &a.name {
        if !n.contains("://") {
            names.push(n.clone());
            continue;
        }
        let req = get_url_fetch::Request {
            url: n,
            timeout: 10,
            validate_certs: a.validate_certs,
            use_proxy: true,
            agent: "ansible-httpget",
            tmp_dir: dir,
            ..Default::default()
        };
        let resp = get_url_fetch::fetch(ctx, &req).await?;
        let ok_scheme = n.starts_with("file:/");
        if !((resp.status == 200 || ok_scheme) && resp.rc == 0) {
            let why = match resp.status {
                0 | 200 => resp.error.clone(),
                _ => resp.reason(),
            };
            return Err(failure(format!("Failure downloading {n}, {why}"), None));
        }
        let file = format!("{dir}/{}", get_url_fetch::url_filename(n));
        host_dnf::rename(ctx, &resp.tmp, &file).await?;
        names.push(file);
    }
    Ok(names)
}

async fn ensure_names(ctx: &ModuleCtx<'_>, a: &Args, state: &str, names: &[String]) -> Outcome {
    let w = sort_names(names)?;
    let comps = match w.comps.is_empty() {
        true => None,
        false => Some(dnf_comps::targets(
            &w.comps,
            &dnf_comps::probe(ctx, a, &w.comps).await?,
        )?),
    };
    let mut names: Vec<String> = w.specs.iter().map(|s| s.pattern.clone()).collect();
    if state == "latest" && a.name == ["*"] {
        names.clear();
    }
    let opts = match a.update_cache {
        true => format!("{} --refresh", a.options()),
        false => a.options(),
    };
    let p = probe(ctx, &opts, &a.installroot, &names, &w.paths, a.lock_timeout).await?;
    let files = match w.files.is_empty() {
        true => Vec::new(),
        false => host_dnf::rpm_files(ctx, &w.files).await?,
    };
    let mut notes = Vec::new();
    let absent = matches!(state, "absent" | "removed");
    let (verb, args) = match state {
        _ if absent => removal(&w, &p, a, &mut notes)?,
        "latest" if a.name == ["*"] => ("upgrade", Vec::new()),
        _ => {
            let streams = comps.iter().flatten().any(dnf_comps::Target::is_module);
            let mut list = installs(&w, &p, a, state == "latest", streams, &mut notes)?;
            list.extend(local_files(&files, &p, a)?);
            ("install", list)
        }
    };
    let (mut lines, comps_notes) = match &comps {
        Some(t) => dnf_comps::plan(state, t, a.update_only),
        None => Default::default(),
    };
    let installed_files = w.files.iter().filter(|_| !absent);
    let notes: Vec<String> = installed_files
        .map(|f| format!("Installed {f}"))
        .chain(comps_notes)
        .chain(notes)
        .collect();
    let packages = !(verb.is_empty() || (verb == "install" && args.is_empty()));
    if comps.is_some() {
        if packages {
            lines.push(format!("{verb} {}", args.join(" ")));
        }
        return dnf_shell::transact(ctx, a, &p, &lines, notes, absent).await;
    }
    if !packages {
        return Ok(nothing(notes));
    }
    transact(ctx, a, &p, verb, &args, notes).await
}

/// `state: absent`: the dnf command and arguments that remove the installed ones among the
/// named packages (`autoremove` alone when none is); a line of `notes` for each not installed.
fn removal(
    w: &Wanted,
    p: &Probe,
    a: &Args,
    notes: &mut Vec<String>,
) -> Result<(&'static str, Vec<String>), ModuleResult> {
    if !w.files.is_empty() {
        let msg = "Cannot remove paths -- please specify package name.";
        return Err(failure(msg, None));
    }
    let mut gone = Vec::new();
    for s in &w.specs {
        match p.installed.iter().any(|i| s.matches(i)) {
            true => gone.push(quote(&s.text)),
            false => notes.push(format!("No match for argument: {}", s.text)),
        }
    }
    for path in w.paths.iter().filter(|x| p.provided.contains(x)) {
        gone.push(quote(path));
    }
    Ok(match (gone.is_empty(), a.autoremove) {
        (true, true) => ("autoremove", Vec::new()),
        (true, false) => ("", Vec::new()),
        (false, _) => ("remove", gone),
    })
}

/// `state: present | latest`: the `dnf install` arguments of what differs, or Ansible's
/// failure when a package is not available — unless `defer`: a module stream the task enables
/// may offer it, and dnf decides; notes (`update_only`) added to `notes`.
fn installs(
    w: &Wanted,
    p: &Probe,
    a: &Args,
    latest: bool,
    defer: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, ModuleResult> {
    let steps = install_steps(w, p, a, latest);
    let failures: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Missing(x) if !defer => Some(format!("No package {x} available.")),
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
        let mut r = failure("Failed to install some of the specified packages", Some(1));
        r.data.insert("failures".into(), json!(failures));
        return Err(r);
    }
    let mut list = Vec::new();
    for s in steps {
        match s {
            Step::Install(x) => list.extend(x.split(' ').map(quote)),
            Step::Missing(x) => list.push(quote(&x)),
            Step::Note(n) => notes.push(n),
            _ => {}
        }
    }
    Ok(list)
}

/// The `.rpm` files to install: those whose package is not installed in that version, and
/// not older than the installed one unless `allow_downgrade` (with `update_only`, only
/// upgrades of installed packages).
fn local_files(
    files: &[(String, Option<Pkg>)],
    p: &Probe,
    a: &Args,
) -> Result<Vec<String>, ModuleResult> {
    let mut list = Vec::new();
    for (file, pkg) in files {
        let Some(pkg) = pkg else {
            let msg = format!("Error occurred attempting remote rpm operation: cannot read {file} as an rpm package");
            return Err(failure(msg, Some(1)));
        };
        let same = |i: &&Pkg| i.name == pkg.name && i.arch == pkg.arch;
        let current: Vec<&Pkg> = p.installed.iter().filter(same).collect();
        let newest = best(&current);
        let wanted = match (&newest, a.update_only) {
            (None, true) => false,
            (None, false) => true,
            (Some(n), true) => pkg.cmp_evr(n) == Ordering::Greater,
            (Some(n), false) => match pkg.cmp_evr(n) {
                Ordering::Equal => false,
                Ordering::Less => a.allow_downgrade,
                Ordering::Greater => true,
            },
        };
        if wanted {
            list.push(quote(file));
        }
    }
    Ok(list)
}

/// The one dnf transaction (`--assumeno` under check mode), and Ansible's result of it.
async fn transact(
    ctx: &ModuleCtx<'_>,
    a: &Args,
    p: &Probe,
    verb: &str,
    args: &[String],
    notes: Vec<String>,
) -> Outcome {
    let opts = a.transaction_options();
    let tail = format!("{verb} {}", args.join(" "));
    if !ctx.check_mode {
        let (add, remove) = apply(ctx, a, p, &opts, &tail).await?;
        return Ok(outcome(ctx, a, &add, &remove, notes));
    }
    let cmd = format!("dnf {opts} --assumeno {tail}");
    let out = run_locked(ctx, &cmd, a.lock_timeout).await?;
    if out.stdout.contains("Error") || out.stderr.contains("Error:") {
        return Err(failure(host_dnf::dnf_error(&out), Some(1)));
    }
    let (add, remove) = host_dnf::transaction(&out.stdout, &p.installed);
    Ok(outcome(ctx, a, &add, &remove, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: serde_json::Value) -> Args {
        serde_json::from_value(extra).unwrap()
    }

    fn probe_of(installed: &str, available: &str) -> Probe {
        Probe {
            installed: host_dnf::installed(installed),
            available: available
                .lines()
                .filter_map(|l| Pkg::parse(l, "repo"))
                .collect(),
            provided: Vec::new(),
        }
    }

    #[test]
    fn only_what_differs_is_installed() {
        let p = probe_of(
            "fdemo|0|1.0|1|noarch\n",
            "fdemo|0|1.0|1|noarch\nfdemo|0|2.0|1|noarch\nflib|0|1.0|1|noarch\n",
        );
        let plain = args(json!({}));
        let d = |s: &str, a: &Args, up| decide(&PkgSpec::parse(s), &p, a, up);
        assert_eq!(d("fdemo", &plain, false), Step::Nothing);
        assert_eq!(
            d("fdemo", &plain, true),
            Step::Install("fdemo-2.0-1.noarch".into())
        );
        assert_eq!(d("flib", &plain, false), Step::Install("flib".into()));
        assert_eq!(
            d("fdemo-2.0", &plain, false),
            Step::Install("fdemo-2.0".into())
        );
        assert_eq!(d("nope", &plain, false), Step::Missing("nope".into()));
        let only = args(json!({"update_only": true}));
        assert_eq!(
            d("flib", &only, true),
            Step::Note("Packages providing flib not installed due to update_only specified".into())
        );
        let newer = probe_of(
            "fdemo|0|2.0|1|noarch\n",
            "fdemo|0|1.0|1|noarch\nfdemo|0|2.0|1|noarch\n",
        );
        let dn = |a: &Args| decide(&PkgSpec::parse("fdemo-1.0"), &newer, a, false);
        assert_eq!(dn(&plain), Step::Nothing);
        let down = args(json!({"allow_downgrade": true}));
        assert_eq!(dn(&down), Step::Install("fdemo-1.0".into()));
    }
}
