//! The known_hosts reader: OpenSSH's file format and its host-matching rules.
//!
//! It understands plain and comma-separated host lists, `[host]:port` names, `*`/`?`
//! wildcards and `!` negations, hashed `|1|salt|hash` names, and the `@cert-authority` and
//! `@revoked` markers. It answers one question: is this key known, unknown, changed or
//! revoked for this host? What to do about the answer is `hostkey.rs`'s business.

use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_encoding::base64::{Base64, Encoding};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::PublicKey;
use sha1::Sha1;

/// One parsed known_hosts file.
#[derive(Debug)]
pub(crate) struct KnownHostsFile {
    pub(crate) path: PathBuf,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// 1-based line number, for messages.
    line: usize,
    marker: Option<Marker>,
    hosts: HostList,
    key: KeyData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    CertAuthority,
    Revoked,
}

#[derive(Debug, Clone)]
enum HostList {
    /// `|1|salt|hash`: HMAC-SHA1 of the name, keyed by the salt.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    /// Comma-separated patterns, lowercased.
    Patterns(Vec<Pattern>),
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    negated: bool,
}

/// Where a key stands for one host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A line records exactly this key (or a trusted authority signed it).
    Known,
    /// No line records a key of this type for the host.
    Unknown,
    /// A line records a different key of the same type for the host.
    Changed { file: PathBuf, line: usize },
    /// A `@revoked` line names this key.
    Revoked { file: PathBuf, line: usize },
}

impl KnownHostsFile {
    /// Reads and parses `path`; a missing file is an empty one.
    pub(crate) fn read(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Self::parse(path, &String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::parse(path, "")),
            Err(e) => Err(e),
        }
    }

    /// Parses known_hosts text. Lines OpenSSH would not understand are skipped, as it does.
    pub(crate) fn parse(path: &Path, text: &str) -> Self {
        let entries = text
            .lines()
            .enumerate()
            .filter_map(|(i, line)| parse_line(i + 1, line))
            .collect();
        KnownHostsFile {
            path: path.to_owned(),
            entries,
        }
    }

    /// The lines of `path` that can speak for `name` (from [`lookup_name`]): those naming
    /// it and the marked ones (`@cert-authority`, `@revoked`). A connection keeps its policy
    /// for its whole life, so it keeps only these; the file is parsed once per run (and again
    /// when it changes), not once per host: a fleet's file has a line per host.
    pub(crate) fn for_host(path: &Path, name: &str) -> std::io::Result<Self> {
        let parsed = Parsed::cached(path)?;
        let mut lines: Vec<usize> = parsed.by_name.get(name).cloned().unwrap_or_default();
        lines.extend(parsed.others.iter().copied().filter(|&i| {
            parsed.entries[i].marker.is_some() || parsed.entries[i].hosts.matches(name)
        }));
        lines.sort_unstable();
        Ok(KnownHostsFile {
            path: path.to_owned(),
            entries: lines
                .into_iter()
                .map(|i| parsed.entries[i].clone())
                .collect(),
        })
    }

    fn matching<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.hosts.matches(name))
    }
}

/// A parsed file, with its plain lines indexed by the names they list.
struct Parsed {
    /// The file's modification time and length when it was read.
    stamp: Option<(std::time::SystemTime, u64)>,
    entries: Vec<Entry>,
    /// Lines listing only plain names (no wildcard, no negation), by name.
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Every other line: hashed names, patterns, marked lines.
    others: Vec<usize>,
}

impl Parsed {
    /// `path` parsed, from the run's cache while the file is unchanged.
    fn cached(path: &Path) -> std::io::Result<std::sync::Arc<Parsed>> {
        use std::sync::{Arc, Mutex};
        type Cache = std::collections::HashMap<PathBuf, Arc<Parsed>>;
        static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
        let stamp = match std::fs::metadata(path) {
            Ok(m) => Some((m.modified()?, m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        let cache = cache.get_or_insert_with(Default::default);
        if let Some(hit) = cache.get(path).filter(|p| p.stamp == stamp) {
            return Ok(Arc::clone(hit));
        }
        let parsed = Arc::new(Parsed::index(stamp, KnownHostsFile::read(path)?.entries));
        cache.insert(path.to_owned(), Arc::clone(&parsed));
        Ok(parsed)
    }

    fn index(stamp: Option<(std::time::SystemTime, u64)>, entries: Vec<Entry>) -> Parsed {
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut others = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match &e.hosts {
                HostList::Patterns(ps)
                    if e.marker.is_none()
                        && ps
                            .iter()
                            .all(|p| !p.negated && !p.glob.contains(['*', '?'])) =>
                {
                    for p in ps {
                        by_name.entry(p.glob.clone()).or_default().push(i);
                    }
                }
                _ => others.push(i),
            }
        }
        Parsed {
            stamp,
            entries,
            by_name,
            others,
        }
    }
}

fn parse_line(line: usize, text: &str) -> Option<Entry> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    let mut fields = text.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@cert-authority" => Some(Marker::CertAuthority),
        "@revoked" => Some(Marker::Revoked),
        other if other.starts_with('@') => return None,
        _ => None,
    };
    if marker.is_some() {
        first = fields.next()?;
    }
    let hosts = HostList::parse(first)?;
    let (key_type, key_base64) = (fields.next()?, fields.next()?);
    let key = PublicKey::from_openssh(&format!("{key_type} {key_base64}")).ok()?;
    Some(Entry {
        line,
        marker,
        hosts,
        key: key.key_data().clone(),
    })
}

impl HostList {
    fn parse(field: &str) -> Option<Self> {
        if let Some(rest) = field.strip_prefix("|1|") {
            let (salt, hash) = rest.split_once('|')?;
            return Some(HostList::Hashed {
                salt: Base64::decode_vec(salt).ok()?,
                hash: Base64::decode_vec(hash).ok()?,
            });
        }
        if field.starts_with('|') {
            return None; // an unknown hash format
        }
        let patterns = field
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| match p.strip_prefix('!') {
                Some(glob) => Pattern {
                    glob: glob.to_lowercase(),
                    negated: true,
                },
                None => Pattern {
                    glob: p.to_lowercase(),
                    negated: false,
                },
            })
            .collect();
        Some(HostList::Patterns(patterns))
    }

    /// Whether `name` (lowercase, `host` or `[host]:port`) is on this list. As in OpenSSH, a
    /// matching negated pattern wins over any positive one.
    fn matches(&self, name: &str) -> bool {
        match self {
            HostList::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            HostList::Patterns(patterns) => {
                let mut found = false;
                for p in patterns {
                    if glob_match(p.glob.as_bytes(), name.as_bytes()) {
                        if p.negated {
                            return false;
                        }
                        found = true;
                    }
                }
                found
            }
        }
    }
}

/// `*` matches any run of bytes, `?` any one byte; everything else matches itself.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it matched to).
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The name OpenSSH looks up for `address` and `port`: lowercase `host`, or `[host]:port`.
pub(crate) fn lookup_name(address: &str, port: u16) -> String {
    crate::connection::error::known_hosts_name(&address.to_lowercase(), port)
}

/// Checks a plain host key for `name` (from [`lookup_name`]) against all `files`.
pub(crate) fn check_key(files: &[KnownHostsFile], name: &str, key: &KeyData) -> Verdict {
    if let Some(verdict) = revoked(files, name, key) {
        return verdict;
    }
    let mut changed = None;
    for file in files {
        for entry in file.matching(name).filter(|e| e.marker.is_none()) {
            if entry.key == *key {
                return Verdict::Known;
            }
            if changed.is_none() && entry.key.algorithm() == key.algorithm() {
                changed = Some(Verdict::Changed {
                    file: file.path.clone(),
                    line: entry.line,
                });
            }
        }
    }
    changed.unwrap_or(Verdict::Unknown)
}

/// The `@revoked` verdict for `key`, if a line matching `name` revokes it.
pub(crate) fn revoked(files: &[KnownHostsFile], name: &str, key: &KeyData) -> Option<Verdict> {
    files.iter().find_map(|file| {
        file.matching(name)
            .find(|e| e.marker == Some(Marker::Revoked) && e.key == *key)
            .map(|e| Verdict::Revoked {
                file: file.path.clone(),
                line: e.line,
            })
    })
}

/// The keys of `@cert-authority` lines that match `name`.
pub(crate) fn authorities<'a>(
    files: &'a [KnownHostsFile],
    name: &'a str,
) -> impl Iterator<Item = &'a KeyData> + 'a {
    files.iter().flat_map(move |file| {
        file.matching(name)
            .filter(|e| e.marker == Some(Marker::CertAuthority))
            .map(|e| &e.key)
    })
}

#[cfg(test)]
#[path = "known_hosts_tests.rs"]
mod tests;
