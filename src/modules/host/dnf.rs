//! What rpm and dnf know on a host, read in one command ([`probe`]: the installed packages
//! from rpm, the named ones the repositories offer from `dnf repoquery`); dnf commands run
//! with an untranslated locale, again while another process holds dnf's lock
//! (`lock_timeout`); and dnf's transaction table (`--assumeno`) read back as packages.

use crate::connection::{quote, ExecOutput};
use crate::modules::host::locked::exec_until_free;
use crate::modules::host::rpmversion::Pkg;
use crate::modules::{ModuleCtx, ModuleResult};

/// The environment ferry runs rpm and dnf with: output it can read.
pub(crate) const ENV: &str = "export LC_ALL=C LANG=C LANGUAGE=C; ";

/// rpm's query format for [`Pkg::parse`].
pub(crate) const RPM_QF: &str = "'%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}\\n'";

/// dnf's exit code when another process holds its lock and `exit_on_lock` is set.
const LOCKED: i32 = 200;

/// The installed packages and those the repositories offer for the named specs.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    pub installed: Vec<Pkg>,
    pub available: Vec<Pkg>,
    /// The file paths among the specs that an installed package provides.
    pub provided: Vec<String>,
}

/// `rpm -qa` under `root` (the installroot).
pub(crate) fn rpm_qa(root: &str) -> String {
    format!("rpm --root {} -qa --qf {RPM_QF}", quote(root))
}

/// Reads `rpm -qa` lines.
pub(crate) fn installed(text: &str) -> Vec<Pkg> {
    text.lines()
        .filter_map(|l| Pkg::parse(l, "@System"))
        .collect()
}

/// One command: rpm's installed packages, which of `paths` are provided, and what
/// `dnf OPTS repoquery` finds for `names` (skipped when there are none).
pub(crate) async fn probe(
    ctx: &ModuleCtx<'_>,
    opts: &str,
    root: &str,
    names: &[String],
    paths: &[String],
    lock_timeout: u64,
) -> Result<Probe, ModuleResult> {
    let q = |v: &[String]| v.iter().map(|n| quote(n)).collect::<Vec<_>>().join(" ");
    let mut script = format!(
        "{}; echo @@paths; for p in {}; do rpm --root {} -q --whatprovides -- \"$p\" >/dev/null 2>&1 && echo \"$p\"; done; echo @@available",
        rpm_qa(root),
        q(paths),
        quote(root)
    );
    if !names.is_empty() {
        script.push_str(&format!(
            "; dnf {opts} -q repoquery --qf '%{{name}}|%{{epoch}}|%{{version}}|%{{release}}|%{{arch}}|%{{repoid}}' -- {}",
            q(names)
        ));
    }
    let out = run_locked(ctx, &script, lock_timeout).await?;
    if out.rc != 0 {
        let mut r = ModuleResult::failed(dnf_error(&out));
        r.data.insert("rc".into(), 1.into());
        r.data.insert("results".into(), serde_json::json!([]));
        return Err(r);
    }
    let (rpm, rest) = out.stdout.split_once("@@paths\n").unwrap_or(("", ""));
    let (paths, repo) = rest.split_once("@@available\n").unwrap_or((rest, ""));
    Ok(Probe {
        installed: installed(rpm),
        available: repo
            .lines()
            .filter_map(|l| Pkg::parse(l, ""))
            .filter(|p| p.repo != "@System")
            .collect(),
        provided: paths.lines().map(str::to_string).collect(),
    })
}

/// The package in each `.rpm` file on the host (`None`: rpm cannot read it).
/// A new directory on the host only its owner can enter, for the task's downloads.
pub(crate) async fn tmp_dir(ctx: &ModuleCtx<'_>) -> Result<String, ModuleResult> {
    let out = super::run(ctx, "umask 077; mktemp -d /tmp/ferry-dnf.XXXXXXXX").await?;
    Ok(out.trim().to_string())
}

/// Moves `from` to `to` on the host.
pub(crate) async fn rename(ctx: &ModuleCtx<'_>, from: &str, to: &str) -> Result<(), ModuleResult> {
    super::run(ctx, &format!("mv -f -- {} {}", quote(from), quote(to))).await?;
    Ok(())
}

/// Removes the directory `dir` from the host, whatever is in it (a failure is ignored: the
/// task's result stands).
pub(crate) async fn remove_dir(ctx: &ModuleCtx<'_>, dir: &str) {
    let _ = ctx.exec(&format!("rm -rf -- {}", quote(dir))).await;
}

pub(crate) async fn rpm_files(
    ctx: &ModuleCtx<'_>,
    files: &[String],
) -> Result<Vec<(String, Option<Pkg>)>, ModuleResult> {
    let mut script = String::from(ENV);
    for f in files {
        let f = quote(f);
        script.push_str(&format!(
            "echo @@file; rpm -qp --nosignature --qf {RPM_QF} -- {f} 2>/dev/null; "
        ));
    }
    let out = super::run(ctx, &format!("{script}true")).await?;
    let found = out
        .split("@@file\n")
        .skip(1)
        .map(|t| Pkg::parse(t, "@commandline"));
    Ok(files.iter().cloned().zip(found).collect())
}

/// dnf's complaint: its error lines, else all it printed (less the release-version
/// warning it gives on hosts without a release package).
pub(crate) fn dnf_error(out: &ExecOutput) -> String {
    complaint(&out.stderr, &out.stdout)
}

/// [`dnf_error`] of what a command printed.
pub(crate) fn complaint(stderr: &str, stdout: &str) -> String {
    let text = format!("{stderr}{stdout}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("Unable to detect release version"))
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("Error") || l.contains("Failed"))
        .collect();
    match errors.is_empty() {
        true => lines.join("\n").trim().to_string(),
        false => errors.join("\n"),
    }
}

/// Runs a command with [`ENV`], again every second while dnf reports its lock held by
/// another process, for up to `lock_timeout` seconds.
pub(crate) async fn run_locked(
    ctx: &ModuleCtx<'_>,
    cmd: &str,
    lock_timeout: u64,
) -> Result<ExecOutput, ModuleResult> {
    let script = format!("{ENV}{cmd}");
    exec_until_free(ctx, &script, lock_timeout, |out| out.rc == LOCKED).await
}

/// Whether a section of a transaction table lists packages (`Installing:`, `Installing
/// dependencies:`, `Installing group/module packages:`, `Removing unused dependencies:`) rather
/// than groups or module streams (`Installing Groups:`, `Enabling module streams:`).
fn packages(section: &str) -> bool {
    !section.contains(' ') || section.ends_with("packages") || section.ends_with("dependencies")
}

/// The packages a transaction table (`dnf --assumeno ...`) would install and remove; an
/// upgraded or downgraded package's installed version (from `installed`) is removed.
pub(crate) fn transaction(table: &str, installed: &[Pkg]) -> (Vec<Pkg>, Vec<Pkg>) {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    let mut section = "";
    let mut carried = String::new();
    for line in table.lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            carried.clear();
            continue;
        }
        if line.trim_start().starts_with("replacing ") || !packages(section) {
            continue;
        }
        let joined = format!("{carried} {line}");
        let cols: Vec<&str> = joined.split_whitespace().collect();
        if cols.len() == 1 {
            carried = cols[0].to_string();
            continue;
        }
        carried.clear();
        let [name, arch, evr, repo, ..] = cols[..] else {
            continue;
        };
        let (epoch, vr) = evr.split_once(':').unwrap_or(("0", evr));
        let (version, release) = vr.rsplit_once('-').unwrap_or((vr, ""));
        let pkg = Pkg {
            name: name.into(),
            epoch: epoch.parse().unwrap_or(0),
            version: version.into(),
            release: release.into(),
            arch: arch.into(),
            repo: repo.into(),
        };
        if section.starts_with("Removing") {
            remove.push(pkg);
            continue;
        }
        if section.starts_with("Upgrading") || section.starts_with("Downgrading") {
            let old = installed
                .iter()
                .filter(|p| p.name == pkg.name && p.arch == pkg.arch);
            remove.extend(old.cloned());
        }
        if section.starts_with("Installing")
            || section.starts_with("Upgrading")
            || section.starts_with("Downgrading")
            || section.starts_with("Reinstalling")
        {
            add.push(pkg);
        }
    }
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_table_reads_as_packages_in_and_out() {
        let table = "Dependencies resolved.\n====\n Package  Architecture  Version  Repository  Size\n====\nInstalling:\n fapp  noarch  1.0-1  ferrytest  6.0 k\n a-very-long-package-name-that-wraps\n       noarch  1:2.0-1  ferrytest  5.9 k\nUpgrading:\n fdemo  noarch  2.0-1  ferrytest  5.9 k\nInstalling group/module packages:\n fmodpkg  noarch  1.0-1  ferrytest  6.0 k\nInstalling Groups:\n Ferry Tools With Many Long Words\nEnabling module streams:\n fmod     1.0\nRemoving unused dependencies:\n flib  noarch  1.0-1  @ferrytest  4\n\nTransaction Summary\n====\nInstall  3 Packages\n";
        let old = installed("fdemo|0|1.0|1|noarch\nflib|0|1.0|1|noarch\n");
        let (add, remove) = transaction(table, &old);
        let names = |v: &[Pkg]| v.iter().map(Pkg::nevra).collect::<Vec<_>>();
        assert_eq!(
            names(&add),
            [
                "fapp-1.0-1.noarch",
                "a-very-long-package-name-that-wraps-1:2.0-1.noarch",
                "fdemo-2.0-1.noarch",
                "fmodpkg-1.0-1.noarch"
            ]
        );
        assert_eq!(names(&remove), ["fdemo-1.0-1.noarch", "flib-1.0-1.noarch"]);
    }
}
