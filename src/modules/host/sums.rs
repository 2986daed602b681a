//! Remembered checksums of files on hosts, so a warm run does not hash unchanged files
//! again: hashing a 10 MB file costs more than everything else a `copy` does.
//!
//! A sha1 is remembered with the file's stamp, `inode:size:mtime:ctime` with nanoseconds,
//! as `stat` printed it when the sum was taken. The next check sends the remembered stamp
//! along; the host hashes the file only when its stamp differs. Content cannot change
//! without changing ctime (which no user can set back), so a matching stamp means the same
//! content, the test git's index relies on too. The sums live in
//! `$XDG_CACHE_HOME/ferry/sums` (or `~/.cache/ferry/sums`), one appended line per sum; set
//! `FERRY_NO_SUM_CACHE=1` to hash every time, as Ansible does.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// (host, path) → (stamp, sha1).
type Sums = HashMap<(String, String), (String, String)>;

/// Lines beyond this many per remembered file make the next load rewrite the file.
const COMPACT_RATIO: usize = 4;

struct Cache {
    path: Option<PathBuf>,
    sums: Sums,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Cache::load(file_path())))
}

fn file_path() -> Option<PathBuf> {
    if std::env::var_os("FERRY_NO_SUM_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::paths::home_dir().map(|h| h.join(".cache")))?;
    Some(base.join("ferry").join("sums"))
}

impl Cache {
    fn load(path: Option<PathBuf>) -> Cache {
        let mut sums = Sums::new();
        let text = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let mut lines = 0;
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            if let [host, file, stamp, sum] = f[..] {
                lines += 1;
                sums.insert((host.into(), file.into()), (stamp.into(), sum.into()));
            }
        }
        let cache = Cache { path, sums };
        if lines > COMPACT_RATIO * cache.sums.len().max(64) {
            cache.rewrite();
        }
        cache
    }

    /// Writes only the newest line of each file (through a temporary file).
    fn rewrite(&self) {
        let Some(path) = &self.path else { return };
        let mut text = String::new();
        for ((host, file), (stamp, sum)) in &self.sums {
            text.push_str(&line(host, file, stamp, sum));
        }
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

fn line(host: &str, file: &str, stamp: &str, sum: &str) -> String {
    format!("{host}\t{file}\t{stamp}\t{sum}\n")
}

/// The remembered (stamp, sha1) of `file` on `host`.
pub(crate) fn get(host: &str, file: &str) -> Option<(String, String)> {
    let cache = cache().lock().ok()?;
    cache.path.as_ref()?;
    cache.sums.get(&(host.to_owned(), file.to_owned())).cloned()
}

/// Remembers that `file` on `host` had `sum` when its stamp was `stamp`. Names with a tab or
/// newline are not remembered (they would break the line format).
pub(crate) fn put(host: &str, file: &str, stamp: &str, sum: &str) {
    let bad = |s: &str| s.contains(['\t', '\n']) || s.is_empty();
    if bad(host) || bad(file) || bad(stamp) || bad(sum) {
        return;
    }
    let Ok(mut cache) = cache().lock() else {
        return;
    };
    let Some(path) = cache.path.clone() else {
        return;
    };
    let key = (host.to_owned(), file.to_owned());
    if cache
        .sums
        .get(&key)
        .is_some_and(|(st, s)| st == stamp && s == sum)
    {
        return;
    }
    cache.sums.insert(key, (stamp.to_owned(), sum.to_owned()));
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // One write per line, in append mode: runs in parallel do not tear each other's lines.
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = f.write_all(line(host, file, stamp, sum).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_line_wins_and_bad_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sums");
        std::fs::write(
            &p,
            "h1\t/a\t1:2:x:y\taaa\nbroken line\nh1\t/a\t1:2:x:z\tbbb\nh2\t/a\t5:5:x:y\tccc\n",
        )
        .unwrap();
        let c = Cache::load(Some(p));
        let get = |h: &str| c.sums.get(&(h.to_owned(), "/a".to_owned())).cloned();
        assert_eq!(get("h1"), Some(("1:2:x:z".into(), "bbb".into())));
        assert_eq!(get("h2"), Some(("5:5:x:y".into(), "ccc".into())));
        assert_eq!(c.sums.len(), 2);
    }
}
