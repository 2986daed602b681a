//! `find`'s filters, as Ansible's module applies them to each entry: name patterns (globs as
//! `fnmatch`, or Python regexes with `use_regex`) and excludes, type, depth, hidden names,
//! age, size, mode, then content (`contains`) and checksums on the files left.

use std::sync::Arc;

use serde_json::{json, Value as Json};

use crate::modules::find_args::{list, Args};
use crate::modules::host::exec::read_each;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::template::{py_regex, PyRegexFlags};

/// One entry as `find -printf` described it.
#[derive(Clone)]
pub(crate) struct Entry {
    kind: char,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    inode: u64,
    dev: u64,
    nlink: u64,
    times: [f64; 3],
    pw_name: String,
    gr_name: String,
    path: String,
    checksum: Option<String>,
    /// How many entries Ansible's walk had looked at when it reached this one's directory.
    examined: usize,
}

impl Entry {
    /// Reads one `FORMAT` record (without its `E`).
    pub(crate) fn parse(record: &str) -> Option<Entry> {
        let f: Vec<&str> = record.splitn(14, '|').collect();
        if f.len() != 14 {
            return None;
        }
        let n = |i: usize| f[i].parse::<u64>().unwrap_or(0);
        let t = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
        Some(Entry {
            kind: f[0].chars().next().unwrap_or('?'),
            mode: u32::from_str_radix(f[1], 8).unwrap_or(0),
            uid: n(2),
            gid: n(3),
            size: n(4),
            inode: n(5),
            dev: n(6),
            nlink: n(7),
            times: [t(8), t(9), t(10)],
            pw_name: f[11].to_string(),
            gr_name: f[12].to_string(),
            path: f[13].replace("//", "/"),
            checksum: None,
            examined: 0,
        })
    }

    fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The dictionary Ansible's `statinfo` makes, with `path` (and `checksum`).
    pub(crate) fn into_json(self) -> Json {
        let m = self.mode;
        let bit = |b: u32| m & b != 0;
        let mut v = json!({
            "path": self.path, "mode": format!("{:04o}", m & 0o7777),
            "isdir": self.kind == 'd', "ischr": self.kind == 'c', "isblk": self.kind == 'b',
            "isreg": self.kind == 'f', "isfifo": self.kind == 'p', "islnk": self.kind == 'l',
            "issock": self.kind == 's', "uid": self.uid, "gid": self.gid, "size": self.size,
            "inode": self.inode, "dev": self.dev, "nlink": self.nlink,
            "atime": self.times[0], "mtime": self.times[1], "ctime": self.times[2],
            "gr_name": self.gr_name, "pw_name": self.pw_name,
            "wusr": bit(0o200), "rusr": bit(0o400), "xusr": bit(0o100),
            "wgrp": bit(0o020), "rgrp": bit(0o040), "xgrp": bit(0o010),
            "woth": bit(0o002), "roth": bit(0o004), "xoth": bit(0o001),
            "isuid": bit(0o4000), "isgid": bit(0o2000),
        });
        if let Some(c) = self.checksum {
            v["checksum"] = c.into();
        }
        v
    }
}

/// What the remote script printed.
pub(crate) struct Listing {
    /// The host's time (seconds since the epoch).
    pub now: f64,
    /// Per path: `None` when it is not a directory, else its entries.
    pub paths: Vec<Option<Vec<Entry>>>,
}

/// The entries a task selected, and how many were looked at.
pub(crate) struct Found {
    pub files: Vec<Entry>,
    pub examined: usize,
    pub limited: bool,
}

/// The task's filters, compiled.
pub(crate) struct Filters<'a> {
    args: &'a Args,
    patterns: Vec<Arc<fancy_regex::Regex>>,
    excludes: Vec<Arc<fancy_regex::Regex>>,
    age: Option<i64>,
    size: Option<i64>,
    mode: Option<u32>,
    contains: Option<Arc<fancy_regex::Regex>>,
}

/// `-?N` with one of `units`' suffixes (Ansible's `age` and `size`).
fn amount(text: &str, units: &[(char, i64)], what: &str) -> Result<i64, String> {
    let t = text.to_lowercase();
    let (num, unit) = match t.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&t[..t.len() - 1], Some(c)),
        _ => (t.as_str(), None),
    };
    let factor = match unit {
        None => Some(1),
        Some(u) => units.iter().find(|(c, _)| *c == u).map(|(_, f)| *f),
    };
    match (num.parse::<i64>(), factor) {
        (Ok(n), Some(f)) => Ok(n * f),
        _ => Err(format!("failed to process {what}")),
    }
}

/// Python's `fnmatch.translate`: a glob as a whole-name pattern.
fn glob(pattern: &str) -> String {
    let mut out = String::from(r"\A(?s:");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => match chars[i..].iter().skip(1).position(|&c| c == ']') {
                Some(end) => {
                    let mut class: String = chars[i..i + 1 + end].iter().collect();
                    i += end + 2;
                    if let Some(rest) = class.strip_prefix('!') {
                        class = format!("^{rest}");
                    }
                    out.push_str(&format!("[{}]", class.replace('\\', r"\\")));
                }
                None => out.push_str(r"\["),
            },
            c => out.push_str(&fancy_regex::escape(&c.to_string())),
        }
    }
    out.push_str(r")\z");
    out
}

impl<'a> Filters<'a> {
    pub(crate) fn new(args: &'a Args) -> Result<Filters<'a>, String> {
        let start = PyRegexFlags {
            anchor: crate::template::PyRegexAnchor::Start,
            ..Default::default()
        };
        let compile = |p: &String| -> Result<Arc<fancy_regex::Regex>, String> {
            if args.use_regex {
                py_regex(p, start).map_err(|e| e.to_string())
            } else {
                fancy_regex::Regex::new(&glob(p))
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            }
        };
        let mut patterns = list(&args.patterns);
        if patterns.is_empty() {
            patterns.push(if args.use_regex { ".*" } else { "*" }.into());
        }
        let time_units = [
            ('s', 1),
            ('m', 60),
            ('h', 3600),
            ('d', 86400),
            ('w', 604800),
        ];
        let size_units = [
            ('b', 1),
            ('k', 1 << 10),
            ('m', 1 << 20),
            ('g', 1 << 30),
            ('t', 1 << 40),
        ];
        let mode = match &args.mode {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(Json::String(s)) => Some(u32::from_str_radix(s, 8).map_err(|_| {
                format!("mode '{s}': ferry's find takes an octal mode (symbolic modes are not supported)")
            })? & 0o7777),
            Some(other) => {
                let kind = if other.is_number() { "int" } else { "dict" };
                return Err(format!("argument 'mode' is not a string and conversion is not allowed, value is of type {kind}"));
            }
        };
        if let Some(l) = args.limit.filter(|l| *l <= 0) {
            return Err(format!("limit cannot be {l} (use None for unlimited)"));
        }
        Ok(Filters {
            args,
            patterns: patterns.iter().map(compile).collect::<Result<_, _>>()?,
            excludes: list(&args.excludes)
                .iter()
                .map(compile)
                .collect::<Result<_, _>>()?,
            age: args
                .age
                .as_deref()
                .map(|a| amount(a, &time_units, "age"))
                .transpose()?,
            size: args
                .size
                .as_deref()
                .map(|s| amount(s, &size_units, "size"))
                .transpose()?,
            mode,
            contains: args
                .contains
                .as_deref()
                .map(|c| py_regex(c, PyRegexFlags::default()).map_err(|e| e.to_string()))
                .transpose()?,
        })
    }

    fn named(&self, name: &str) -> bool {
        let hit = |res: &[Arc<fancy_regex::Regex>]| {
            res.iter().any(|re| re.is_match(name).unwrap_or(false))
        };
        hit(&self.patterns) && !hit(&self.excludes)
    }

    fn aged(&self, e: &Entry, now: f64) -> bool {
        let stamp = match self.args.age_stamp.as_str() {
            "atime" => e.times[0],
            "ctime" => e.times[2],
            _ => e.times[1],
        };
        match self.age {
            None => true,
            Some(a) if a >= 0 => now - stamp >= a as f64,
            Some(a) => now - stamp <= a.unsigned_abs() as f64,
        }
    }

    fn sized(&self, e: &Entry) -> bool {
        match self.size {
            None => true,
            Some(s) if s >= 0 => e.size >= s as u64,
            Some(s) => e.size <= s.unsigned_abs(),
        }
    }

    fn moded(&self, e: &Entry) -> bool {
        match self.mode {
            None => true,
            Some(m) if self.args.exact_mode => e.mode & 0o7777 == m,
            Some(m) => e.mode & m != 0,
        }
    }

    /// Whether an entry passes every filter but content.
    fn passes(&self, e: &Entry, now: f64) -> bool {
        let kind_ok = match self.args.file_type.as_str() {
            "any" => e.kind != 'f' || self.sized(e),
            "directory" => e.kind == 'd',
            "link" => e.kind == 'l',
            _ => e.kind == 'f' && self.sized(e),
        };
        kind_ok && self.named(e.name()) && self.aged(e, now) && self.moded(e)
    }

    /// The entries of each path that pass; a path that is no directory is skipped.
    pub(crate) fn select(
        &self,
        listing: &Listing,
        paths: &[String],
        skipped: &mut serde_json::Map<String, Json>,
    ) -> Found {
        let limit = self.args.depth.filter(|d| *d > 0 && self.args.recurse);
        let mut found = Found {
            files: Vec::new(),
            examined: 0,
            limited: false,
        };
        for (path, entries) in paths.iter().zip(&listing.paths) {
            let Some(entries) = entries else {
                skipped.insert(path.clone(), format!("'{path}' is not a directory").into());
                continue;
            };
            let base = format!("{}/", path.trim_end_matches('/'))
                .matches('/')
                .count() as i64;
            for batch in walk_batches(entries, path.trim_end_matches('/')) {
                found.examined += batch.len();
                for e in batch.into_iter().map(|i| &entries[i]) {
                    let depth = e.path.matches('/').count() as i64 - base + 1;
                    let hidden = e.name().starts_with('.') && !self.args.hidden;
                    if limit.is_some_and(|l| depth > l) || hidden || !self.passes(e, listing.now) {
                        continue;
                    }
                    found.files.push(Entry {
                        examined: found.examined,
                        ..e.clone()
                    });
                }
            }
        }
        found
    }

    /// `contains` (files only) and `get_checksum` on the entries left, then `limit`.
    pub(crate) async fn finish(
        &self,
        ctx: &ModuleCtx<'_>,
        found: &mut Found,
    ) -> Result<(), ModuleResult> {
        let by_content = self.contains.is_some() && self.args.file_type == "file";
        let sum = self.args.get_checksum && matches!(self.args.file_type.as_str(), "file" | "any");
        if by_content || sum {
            let regular: Vec<&str> = found
                .files
                .iter()
                .filter(|e| e.kind == 'f')
                .map(|e| e.path.as_str())
                .collect();
            let encoding = self.args.encoding.as_deref().filter(|_| by_content);
            let mut data = read_each(ctx, &regular, encoding).await?.into_iter();
            let mut keep = Vec::with_capacity(found.files.len());
            for mut e in found.files.drain(..) {
                if e.kind == 'f' {
                    let bytes = data.next().flatten().unwrap_or_default();
                    if by_content && !self.has_content(&bytes) {
                        continue;
                    }
                    if sum {
                        e.checksum = Some(crate::checksum::sha1_hex(&bytes));
                    }
                }
                keep.push(e);
            }
            found.files = keep;
        }
        if let Some(l) = self.args.limit.and_then(|l| usize::try_from(l).ok()) {
            if found.files.len() >= l {
                found.limited = true;
                found.files.truncate(l);
                found.examined = found.files.last().map_or(found.examined, |e| e.examined);
            }
        }
        Ok(())
    }

    /// A line starting with a match (`re.match` per line), or a match anywhere in the whole
    /// text with `read_whole_file`.
    fn has_content(&self, bytes: &[u8]) -> bool {
        let Some(re) = &self.contains else {
            return true;
        };
        let text = String::from_utf8_lossy(bytes).into_owned();
        if self.args.read_whole_file {
            return re.is_match(text.as_str()).unwrap_or(false);
        }
        text.split_inclusive('\n')
            .any(|line| matches!(re.find(line), Ok(Some(m)) if m.start() == 0))
    }
}

/// The entries (indices) in the batches `os.walk` yields them in: top-down, one batch per
/// directory, its files before its directories, in the directory's own order.
fn walk_batches(entries: &[Entry], root: &str) -> Vec<Vec<usize>> {
    let mut children: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, e) in entries.iter().enumerate() {
        let parent = e.path.rsplit_once('/').map_or("", |(p, _)| p);
        children.entry(parent).or_default().push(i);
    }
    let mut batches = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let kids = children.get(dir).map(Vec::as_slice).unwrap_or_default();
        let (dirs, files): (Vec<usize>, Vec<usize>) =
            kids.iter().partition(|&&i| entries[i].kind == 'd');
        stack.extend(dirs.iter().rev().map(|&i| entries[i].path.as_str()));
        batches.push(files.into_iter().chain(dirs).collect());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_fnmatch() {
        for (pattern, name, want) in [
            ("*.txt", "a.txt", true),
            ("*.txt", "a.txt.bak", false),
            ("a?c", "abc", true),
            ("[!a]*", "abc", false),
            ("[ab]*", "bcd", true),
            ("a.c", "abc", false),
        ] {
            let re = fancy_regex::Regex::new(&glob(pattern)).unwrap();
            assert_eq!(re.is_match(name).unwrap(), want, "{pattern} {name}");
        }
        assert_eq!(amount("2k", &[('k', 1024)], "size"), Ok(2048));
        assert!(amount("2x", &[('k', 1024)], "size").is_err());
    }
}
