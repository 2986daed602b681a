//! What apt knows on a host, read with `dpkg-query`, `apt-cache policy` and `apt-mark` in one
//! command ([`probe`]); the cache's age; and apt commands run with Ansible's environment,
//! retried while another process holds the dpkg or lists lock (`lock_timeout`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::connection::{quote, ExecOutput};
use crate::modules::{ModuleCtx, ModuleResult};

/// The environment Ansible's apt modules run apt with: no prompts, untranslated output.
pub(crate) const ENV: &str = "export DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical \
    LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C LANGUAGE=C; ";

/// What one package name is on the host.
#[derive(Debug, Default, Clone)]
pub(crate) struct PkgState {
    /// apt knows the name (a real or a virtual package).
    pub known: bool,
    /// The installed version, when dpkg has it fully installed.
    pub installed: Option<String>,
    /// dpkg has files of it (installed, or removed with its configuration kept).
    pub has_files: bool,
    /// apt marked it installed automatically (as a dependency).
    pub auto: bool,
    /// The version apt would install (`apt-cache policy`'s candidate).
    pub candidate: Option<String>,
    /// Every version apt can install, highest first.
    pub versions: Vec<String>,
    /// An installed package provides it (a virtual package).
    pub provided: bool,
}

/// The states of `names` (plain package names) as apt sees them, with `default_release`
/// deciding candidates as `apt-get -t` would.
pub(crate) async fn probe(
    ctx: &ModuleCtx<'_>,
    names: &[String],
    default_release: Option<&str>,
) -> Result<BTreeMap<String, PkgState>, ModuleResult> {
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let list = list.join(" ");
    let release = default_release.map_or(String::new(), |r| format!("-t {} ", quote(r)));
    let script = format!(
        "{ENV}dpkg-query -W -f='${{Package}}|${{db:Status-Abbrev}}|${{Version}}\\n' -- {list} 2>/dev/null; \
         echo @@policy; apt-cache {release}policy -- {list} 2>/dev/null; \
         echo @@auto; apt-mark showauto -- {list} 2>/dev/null; \
         echo @@provides; dpkg-query -W -f='${{db:Status-Abbrev}}|${{Provides}}\\n' 2>/dev/null | grep '^.i' ; true"
    );
    let out = super::run(ctx, &script).await?;
    Ok(parse_probe(&out, names))
}

/// Reads [`probe`]'s output.
fn parse_probe(out: &str, names: &[String]) -> BTreeMap<String, PkgState> {
    let mut states: BTreeMap<String, PkgState> = names
        .iter()
        .map(|n| (n.clone(), PkgState::default()))
        .collect();
    let bare = |n: &str| n.split(':').next().unwrap_or(n).to_string();
    let mut section = "dpkg";
    let mut current: Option<String> = None;
    for line in out.lines() {
        if let Some(s) = line.strip_prefix("@@") {
            section = match s {
                "policy" => "policy",
                "auto" => "auto",
                _ => "provides",
            };
            continue;
        }
        match section {
            "dpkg" => dpkg_line(&mut states, line, bare),
            "policy" => policy_line(&mut states, line, &mut current),
            "auto" => {
                for (name, st) in states.iter_mut() {
                    if bare(name) == bare(line.trim()) {
                        st.auto = true;
                    }
                }
            }
            _ => {
                let provides = line.split_once('|').map_or("", |(_, p)| p);
                for item in provides.split(',') {
                    let item = item.split_whitespace().next().unwrap_or("");
                    if let Some(st) = states.get_mut(item) {
                        st.provided = true;
                    }
                }
            }
        }
    }
    states
}

/// A `Package|Status-Abbrev|Version` line of dpkg-query.
fn dpkg_line(states: &mut BTreeMap<String, PkgState>, line: &str, bare: impl Fn(&str) -> String) {
    let mut parts = line.splitn(3, '|');
    let (Some(pkg), Some(status), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let current = status.as_bytes().get(1).copied().unwrap_or(b'n');
    for (name, st) in states.iter_mut() {
        if bare(name) != pkg {
            continue;
        }
        st.has_files |= current != b'n';
        if current == b'i' {
            st.installed = Some(version.to_string());
        }
    }
}

/// A line of `apt-cache policy`: a package header, its candidate, or a version of its table.
fn policy_line(states: &mut BTreeMap<String, PkgState>, line: &str, current: &mut Option<String>) {
    if !line.starts_with(' ') {
        let header = line.strip_suffix(':').unwrap_or(line);
        *current = states
            .keys()
            .find(|n| *n == header || n.split(':').next() == Some(header))
            .cloned();
        if let Some(st) = current.as_ref().and_then(|n| states.get_mut(n)) {
            st.known = true;
        }
        return;
    }
    let Some(st) = current.as_ref().and_then(|n| states.get_mut(n)) else {
        return;
    };
    let trimmed = line.trim();
    if let Some(c) = trimmed.strip_prefix("Candidate:") {
        let c = c.trim();
        st.candidate = (c != "(none)").then(|| c.to_string());
        return;
    }
    // Version lines are indented by five (" *** 2.10-3 500"); their sources by eight.
    let body = line.get(5..).unwrap_or("");
    if (line.starts_with(" *** ") || line.starts_with("     ")) && !body.starts_with(' ') {
        if let Some(v) = body.split_whitespace().next() {
            if !st.versions.iter().any(|x| x == v) {
                st.versions.push(v.to_string());
            }
        }
    }
}

/// The package names apt knows that match the shell pattern `pattern` (names with an
/// architecture only when the pattern has one, as Ansible matches).
pub(crate) async fn expand(
    ctx: &ModuleCtx<'_>,
    pattern: &str,
) -> Result<Vec<String>, ModuleResult> {
    let out = super::run(ctx, &format!("{ENV}apt-cache pkgnames 2>/dev/null; true")).await?;
    let with_arch = pattern.contains(':');
    let mut names: Vec<String> = out
        .lines()
        .filter(|n| with_arch || !n.contains(':'))
        .filter(|n| crate::template::glob_match(pattern.as_bytes(), n.as_bytes()))
        .map(str::to_string)
        .collect();
    names.sort();
    Ok(names)
}

/// The apt cache's age: the mtime Ansible reads (the update-success stamp, else the lists
/// directory) and the host's clock, in seconds.
pub(crate) async fn cache_time(ctx: &ModuleCtx<'_>) -> Result<(i64, i64), ModuleResult> {
    let out = super::run(
        ctx,
        "stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null \
         || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0; date +%s",
    )
    .await?;
    let mut nums = out.split_whitespace().map(|n| n.parse().unwrap_or(0));
    Ok((nums.next().unwrap_or(0), nums.next().unwrap_or(0)))
}

/// Whether apt or dpkg refused because another process holds its lock.
fn locked(out: &ExecOutput) -> bool {
    let text = format!("{}{}", out.stdout, out.stderr);
    text.contains("Could not get lock")
        || text.contains("Unable to acquire the dpkg frontend lock")
        || text.contains("Unable to lock")
        || text.contains("dpkg status database is locked")
}

/// Runs an apt command (with [`ENV`]), again every second while the dpkg or lists lock is
/// held by another process, for up to `lock_timeout` seconds.
pub(crate) async fn run_locked(
    ctx: &ModuleCtx<'_>,
    cmd: &str,
    lock_timeout: u64,
) -> Result<ExecOutput, ModuleResult> {
    let script = format!("{ENV}{cmd}");
    super::locked::exec_until_free(ctx, &script, lock_timeout, |out| out.rc != 0 && locked(out))
        .await
}

/// `apt-get update`, tried `retries` times with growing pauses (up to `max_delay` seconds)
/// as Ansible's apt modules try it; `Ok(Err(message))` when it kept failing.
pub(crate) async fn update(
    ctx: &ModuleCtx<'_>,
    retries: u64,
    max_delay: u64,
    lock_timeout: u64,
) -> Result<Result<(), String>, ModuleResult> {
    let mut err = String::new();
    for retry in 0..retries {
        let out = run_locked(ctx, "apt-get update -q", lock_timeout).await?;
        let text = format!("{}{}", out.stdout, out.stderr);
        if out.rc == 0 && !text.contains("Failed to fetch") {
            return Ok(Ok(()));
        }
        err = out.stderr.trim().to_string();
        let pause = (1u64 << retry.min(16)).min(max_delay);
        let jitter = rand::random::<u64>() % 1000;
        tokio::time::sleep(Duration::from_millis(pause * 1000 + jitter)).await;
    }
    let err = if err.is_empty() {
        "unknown reason".into()
    } else {
        err
    };
    Ok(Err(format!(
        "Failed to update apt cache after {retries} retries: {err}"
    )))
}

/// `cmd` run with `/usr/sbin/policy-rc.d` answering `code` (Ansible's `policy_rc_d`), the
/// host's own file put back afterwards.
pub(crate) fn with_policy_rc_d(cmd: &str, code: Option<i64>) -> String {
    let Some(code) = code else {
        return cmd.to_string();
    };
    let p = "/usr/sbin/policy-rc.d";
    format!(
        "b=; if [ -e {p} ]; then b=$(mktemp -d) && mv {p} \"$b/\"; fi; \
         printf '#!/bin/sh\\nexit {code}\\n' > {p} && chmod 755 {p}; \
         {cmd}; rc=$?; rm -f {p}; if [ -n \"$b\" ]; then mv \"$b/policy-rc.d\" {p}; rmdir \"$b\"; fi; exit $rc"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_policy_and_marks() {
        let out = "hello|ii |2.10-3\nsl|rc |5.02-1+b1\n@@policy\nhello:\n  Installed: 2.10-3\n  Candidate: 2.10-3\n  Version table:\n *** 2.10-3 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\n     2.10-2 100\n        100 http://x bookworm/main amd64 Packages\nsl:\n  Installed: (none)\n  Candidate: 5.02-1+b1\n  Version table:\n     5.02-1+b1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\nmail-transport-agent:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n@@auto\nhello\n@@provides\nii |\nii |mail-transport-agent, foo (= 1)\n";
        let names: Vec<String> = ["hello", "sl", "nope", "mail-transport-agent"]
            .map(String::from)
            .to_vec();
        let s = parse_probe(out, &names);
        let hello = &s["hello"];
        assert_eq!(hello.installed.as_deref(), Some("2.10-3"));
        assert!(hello.known && hello.has_files && hello.auto);
        assert_eq!(hello.versions, ["2.10-3", "2.10-2"]);
        let sl = &s["sl"];
        assert!(sl.installed.is_none() && sl.has_files && !sl.auto);
        assert_eq!(sl.candidate.as_deref(), Some("5.02-1+b1"));
        assert!(!s["nope"].known);
        let mta = &s["mail-transport-agent"];
        assert!(mta.known && mta.candidate.is_none() && mta.provided);
    }

    #[test]
    fn policy_rc_d_wraps_the_command() {
        assert_eq!(with_policy_rc_d("apt-get x", None), "apt-get x");
        let w = with_policy_rc_d("apt-get x", Some(101));
        assert!(
            w.contains("exit 101") && w.contains("apt-get x; rc=$?"),
            "{w}"
        );
    }
}
