//! What is at a path on the host: one `stat` command (with sha1 of regular files, remembered
//! between runs in [`sums`](super::sums)), prefetched for the items of a loop in one command,
//! and the result keys the file modules report for a path.

use super::exec::run;
use super::sums;
use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// What is at a remote path.
#[derive(Debug, Clone, Default)]
pub(crate) struct RemoteStat {
    pub exists: bool,
    pub kind: String,
    pub mode: String,
    pub owner: String,
    pub group: String,
    pub size: u64,
    pub uid: u64,
    pub gid: u64,
    pub link_target: Option<String>,
    pub sha1: Option<String>,
    /// `inode:size:mtime:ctime`, to tell whether the content may have changed.
    pub stamp: String,
}

impl RemoteStat {
    pub fn is_dir(&self) -> bool {
        self.exists && self.kind == "directory"
    }
    pub fn is_file(&self) -> bool {
        self.exists && self.kind.contains("regular")
    }
    pub fn is_link(&self) -> bool {
        self.exists && self.kind == "symbolic link"
    }
}

const ABSENT: &str = "__ferry_absent__";

/// Stats `path` on the host (following no link); sha1 of regular files when `checksum`
/// (remembered between runs: see [`sums`](crate::modules::sums)). A stat prefetched for the
/// items of a loop is used (once) instead of asking the host again.
pub(crate) async fn stat(
    ctx: &ModuleCtx<'_>,
    path: &str,
    checksum: bool,
) -> Result<RemoteStat, ModuleResult> {
    if let Some(st) = ctx.prefetched.and_then(|p| p.take(path, checksum)) {
        return Ok(st);
    }
    let known = known_sum(ctx.host, path, checksum);
    let out = run(ctx, &stat_script(path, checksum_mode(checksum, &known))).await?;
    finish_stat(ctx.host, path, &out, known)
}

/// Stats several paths at once (the destinations of a loop's items): one `stat` process for
/// all of them, then one `sha1sum` for the regular files whose remembered sum is stale. The
/// results go to `into`, for [`stat`] to use. Whatever cannot be read this way (a link, an odd
/// name, a failure) is left out: that item stats its own path.
pub(crate) async fn prefetch(ctx: &ModuleCtx<'_>, paths: &[String], into: &Prefetched) {
    let quoted: Vec<String> = paths.iter().map(|p| quote(p)).collect();
    let script = format!(
        "stat -c '{STAT_FORMAT}|%n' -- {} 2>/dev/null; true",
        quoted.join(" ")
    );
    let Ok(out) = run(ctx, &script).await else {
        return;
    };
    let mut found: Vec<(String, RemoteStat)> = Vec::new();
    for line in out.lines() {
        let fields: Vec<&str> = line.splitn(10, '|').collect();
        let [.., name] = fields[..] else { continue };
        if fields.len() != 10 || !paths.iter().any(|p| p == name) {
            continue;
        }
        if let Ok(st) = parse_stat(name, &format!("{}\n\n", fields[..9].join("|"))) {
            found.push((name.to_string(), st));
        }
    }
    let mut stale = Vec::new();
    for (path, st) in &mut found {
        if !st.is_file() {
            continue;
        }
        match sums::get(ctx.host, path) {
            Some((stamp, sum)) if stamp == st.stamp => st.sha1 = Some(sum),
            _ => stale.push(path.clone()),
        }
    }
    if !stale.is_empty() {
        let quoted: Vec<String> = stale.iter().map(|p| quote(p)).collect();
        let sums_out = run(ctx, &format!("sha1sum -- {}", quoted.join(" ")))
            .await
            .unwrap_or_default();
        for line in sums_out.lines() {
            let Some((sum, name)) = line.split_once("  ") else {
                continue;
            };
            if let Some((path, st)) = found.iter_mut().find(|(p, _)| p == name) {
                sums::put(ctx.host, path, &st.stamp, sum);
                st.sha1 = Some(sum.to_string());
            }
        }
    }
    for path in paths {
        match found.iter().find(|(p, _)| p == path) {
            Some((_, st)) if st.is_link() || (st.is_file() && st.sha1.is_none()) => {}
            Some((_, st)) => into.put(path, st.clone()),
            None => into.put(path, RemoteStat::default()),
        }
    }
}

/// Stats taken ahead of time for one loop, each used at most once.
#[derive(Debug, Default)]
pub struct Prefetched(std::sync::Mutex<std::collections::HashMap<String, RemoteStat>>);

impl Prefetched {
    fn put(&self, path: &str, st: RemoteStat) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(path.to_string(), st);
        }
    }

    /// The stat of `path`, if prefetched (with a sha1 when one is needed); removes it.
    fn take(&self, path: &str, checksum: bool) -> Option<RemoteStat> {
        let st = self.0.lock().ok()?.remove(path)?;
        (!checksum || !st.is_file() || st.sha1.is_some()).then_some(st)
    }
}

fn known_sum(host: &str, path: &str, checksum: bool) -> Option<(String, String)> {
    if checksum {
        sums::get(host, path)
    } else {
        None
    }
}

fn checksum_mode(checksum: bool, known: &Option<(String, String)>) -> Checksum<'_> {
    match (checksum, known) {
        (false, _) => Checksum::None,
        (true, None) => Checksum::Compute,
        (true, Some((stamp, _))) => Checksum::Unless(stamp),
    }
}

/// Reads a stat script's output, with a remembered sum for `=` and a new sum remembered.
fn finish_stat(
    host: &str,
    path: &str,
    out: &str,
    known: Option<(String, String)>,
) -> Result<RemoteStat, ModuleResult> {
    let mut st = parse_stat(path, out)?;
    match (st.sha1.as_deref(), known) {
        (Some(SAME), Some((_, sum))) => st.sha1 = Some(sum),
        (Some(SAME), None) => st.sha1 = None,
        (Some(sum), _) => sums::put(host, path, &st.stamp, sum),
        (None, _) => {}
    }
    Ok(st)
}

/// Whether and when [`stat_script`] hashes a regular file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Checksum<'a> {
    None,
    Compute,
    /// Print [`SAME`] instead of hashing when the file's stamp is this one.
    Unless(&'a str),
}

/// Type, mode, owner, group, size, uid, gid, mtime, and the stamp (inode:size:mtime:ctime).
const STAT_FORMAT: &str = "%F|%a|%U|%G|%s|%u|%g|%Y|%i:%s:%y:%z";

/// What the stat script prints instead of a sum for a file whose stamp is as remembered.
const SAME: &str = "=";

/// The command [`stat`] runs: a `stat` line (or the absent marker), the link target line,
/// and the `sha1sum` line. Few processes: on a warm run this is most of the remote work.
pub(crate) fn stat_script(path: &str, checksum: Checksum<'_>) -> String {
    let p = quote(path);
    let sum = match checksum {
        Checksum::None => String::new(),
        Checksum::Compute => format!("case $s in regular*) sha1sum -- {p};; *) echo;; esac; "),
        Checksum::Unless(stamp) => format!(
            "case $s in regular*) if [ \"${{s##*|}}\" = {} ]; then echo {SAME}; \
             else sha1sum -- {p}; fi;; *) echo;; esac; ",
            quote(stamp)
        ),
    };
    format!(
        "if s=$(stat -c '{STAT_FORMAT}' -- {p} 2>/dev/null); then \
         echo \"$s\"; case $s in 'symbolic link'*) readlink -- {p};; *) echo;; esac; {sum}\
         else echo {ABSENT}; fi"
    )
}

/// Reads what [`stat_script`] printed.
pub(crate) fn parse_stat(path: &str, out: &str) -> Result<RemoteStat, ModuleResult> {
    let mut lines = out.lines();
    let first = lines.next().unwrap_or("");
    if first == ABSENT {
        return Ok(RemoteStat::default());
    }
    let f: Vec<&str> = first.split('|').collect();
    if f.len() < 9 {
        return Err(ModuleResult::failed(format!(
            "cannot stat {path}: unexpected output '{first}'"
        )));
    }
    let num = |s: &str| s.trim().parse::<u64>().unwrap_or(0);
    let link = lines.next().unwrap_or("").to_string();
    // sha1sum marks a name with a backslash or newline by a leading backslash.
    let sha1 = lines
        .next()
        .and_then(|l| l.split_whitespace().next())
        .map(|s| s.trim_start_matches('\\'))
        .filter(|s| !s.is_empty())
        .map(String::from);
    Ok(RemoteStat {
        exists: true,
        kind: f[0].to_string(),
        mode: format!("{:0>4}", f[1]),
        owner: f[2].into(),
        group: f[3].into(),
        size: num(f[4]),
        uid: num(f[5]),
        gid: num(f[6]),
        link_target: (!link.is_empty()).then_some(link),
        sha1,
        stamp: f[8].to_string(),
    })
}

/// The common result keys of a path.
pub(crate) fn path_result(path: &str, st: &RemoteStat) -> Vars {
    let mut v = Vars::new();
    v.insert("path".into(), path.into());
    if st.exists {
        v.insert("mode".into(), st.mode.clone().into());
        v.insert("owner".into(), st.owner.clone().into());
        v.insert("group".into(), st.group.clone().into());
        v.insert("uid".into(), st.uid.into());
        v.insert("gid".into(), st.gid.into());
        v.insert("size".into(), st.size.into());
        let state = if st.is_dir() {
            "directory"
        } else if st.is_link() {
            "link"
        } else {
            "file"
        };
        v.insert("state".into(), state.into());
    } else {
        v.insert("state".into(), "absent".into());
    }
    v
}
