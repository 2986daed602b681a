//! The fact script built for a set of collectors, and its output split into the parts the
//! collectors read: named sections (`@@ferry:<name>` lines), the contents of the files asked
//! for (one `grep -H` over all of them) and the paths that exist.

use std::collections::{BTreeMap, BTreeSet};

use crate::connection::quote;
use crate::facts::{Collector, Options};

/// The whole script, parts marked `#: name`.
const SCRIPT: &str = include_str!("gather.sh");

/// The script for `chosen`: their parts of `gather.sh`, the files and paths they read,
/// run in a subshell so nothing it sets stays in a persistent shell.
pub(crate) fn script(chosen: &[&Collector], opts: &Options, python: &str) -> String {
    let names: BTreeSet<&str> = chosen
        .iter()
        .flat_map(|c| c.parts.iter().copied())
        .collect();
    let files: BTreeSet<&str> = chosen
        .iter()
        .flat_map(|c| c.files.iter().copied())
        .collect();
    let exists: BTreeSet<&str> = chosen
        .iter()
        .flat_map(|c| c.exists.iter().copied())
        .collect();
    let mut out = String::from("(\n");
    out.push_str(&format!(
        "FERRY_FILES={}\nFERRY_EXISTS={}\nFERRY_PYTHON={}\nFERRY_FACT_PATH={}\nFERRY_TIMEOUT={}\n",
        quote(&files.into_iter().collect::<Vec<_>>().join(" ")),
        quote(&exists.into_iter().collect::<Vec<_>>().join(" ")),
        quote(python),
        quote(opts.fact_path.trim_end_matches('/')),
        opts.timeout.max(1),
    ));
    for (name, body) in parts() {
        if name == "head" || name == "files" || names.contains(name) {
            out.push_str(body);
        }
    }
    out.push_str(") 2>/dev/null\n");
    out
}

/// `gather.sh` split at its `#: name` lines.
fn parts() -> Vec<(&'static str, &'static str)> {
    let mut parts = Vec::new();
    let mut rest = SCRIPT;
    while let Some(at) = rest.find("\n#: ") {
        rest = &rest[at + 4..];
        let (name, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let end = body.find("\n#: ").map(|e| e + 1).unwrap_or(body.len());
        parts.push((name.trim(), &body[..end]));
        rest = &body[end.saturating_sub(1)..];
    }
    parts
}

/// The script's output, split.
#[derive(Debug, Default)]
pub(crate) struct Output {
    sections: Vec<(String, String)>,
    files: BTreeMap<String, String>,
    exists: BTreeSet<String>,
}

impl Output {
    /// Splits `stdout` into its parts.
    pub(crate) fn read(stdout: &str) -> Output {
        let mut out = Output::default();
        let mut chunks = stdout.split("\n@@ferry:");
        let _ = chunks.next();
        for chunk in chunks {
            let (name, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
            match name {
                "ip4" => out.split_ip(body, "8.8.8.8 ", &["route4", "addr", "local4"]),
                "ip6" => out.split_ip(body, "2404:6800:400a:800::1012 ", &["route6", "local6"]),
                _ => out.sections.push((name.to_string(), body.to_string())),
            }
        }
        let mut files: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (name, body) in &out.sections {
            if name != "files" {
                continue;
            }
            for line in body.lines() {
                if let Some((path, text)) = line.split_once(':') {
                    files.entry(path.to_string()).or_default().push(text);
                }
            }
        }
        out.files = files.into_iter().map(|(k, v)| (k, v.join("\n"))).collect();
        out.exists = out.section("exists").lines().map(String::from).collect();
        out
    }

    /// One `ip -batch` run's output as the sections of its commands, in `names`' order: the
    /// route to `dest` (a line starting with it, then indented ones), with three names the
    /// addresses (`N: dev:` lines and indented ones), then the local table (the rest).
    fn split_ip(&mut self, body: &str, dest: &str, names: &[&str]) {
        let mut parts = vec![String::new(); names.len()];
        let mut at = 0;
        for (i, line) in body.lines().enumerate() {
            let indented = line.starts_with([' ', '\t']);
            if i == 0 && line.starts_with(dest) {
                at = 0;
            } else if !indented && (at == 0 || at == 1 && !is_link_header(line)) {
                at = if names.len() == 3 && is_link_header(line) {
                    1
                } else {
                    names.len() - 1
                };
            }
            parts[at].push_str(line);
            parts[at].push('\n');
        }
        for (name, text) in names.iter().zip(parts) {
            self.sections.push((name.to_string(), text));
        }
    }

    /// The text of the first section called `name` ("" if none).
    pub(crate) fn section(&self, name: &str) -> &str {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_str())
            .unwrap_or("")
    }

    /// Every section called `name`, in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.sections
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, b)| b.as_str())
    }

    /// A file's content, if it was there and readable.
    pub(crate) fn file(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// A file's content with surrounding blanks trimmed (Ansible's `get_file_content`).
    pub(crate) fn text(&self, path: &str) -> Option<&str> {
        self.file(path).map(str::trim)
    }

    /// The files read under `prefix` (path, content).
    pub(crate) fn files_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.files
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether `path` exists (if it was asked about).
    pub(crate) fn exists(&self, path: &str) -> bool {
        self.exists.contains(path)
    }
}

/// `ip addr`'s first line of a link: `N: name: <FLAGS> ...`.
fn is_link_header(line: &str) -> bool {
    line.split_once(": ")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_has_every_collectors_part() {
        let names: Vec<&str> = parts().iter().map(|(n, _)| *n).collect();
        assert_eq!(names[..2], ["head", "files"]);
        for c in crate::facts::subset::ALL {
            for part in c.parts {
                assert!(names.contains(part), "{}: {part}", c.name);
            }
        }
        for (_, body) in parts() {
            assert!(!body.contains("\n#: "));
        }
    }

    #[test]
    fn output_splits_sections_files_and_paths() {
        let text = "\n@@ferry:files\n/a:one\n/a:two\n/b:\n/c:x:y\n\n@@ferry:exists\n/p\n\n@@ferry:uname\nLinux h\n";
        let out = Output::read(text);
        assert_eq!(out.file("/a"), Some("one\ntwo"));
        assert_eq!(out.file("/b"), Some(""));
        assert_eq!(out.file("/c"), Some("x:y"));
        assert_eq!(out.file("/d"), None);
        assert!(out.exists("/p") && !out.exists("/q"));
        assert_eq!(out.section("uname"), "Linux h\n");
    }

    #[test]
    fn ip_batch_output_splits_into_each_commands_section() {
        let text =
            "\n@@ferry:ip4\n8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n\
                    1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n\
                    4: eth0: <BROADCAST> mtu 1400\n    link/ether 02:fc:00:00:00:01\n\
                    local 127.0.0.1 dev lo proto kernel\nbroadcast 192.0.2.255 dev eth0\n\
                    \n@@ferry:ip6\nlocal ::1 dev lo proto kernel metric 0 pref medium\n";
        let out = Output::read(text);
        assert!(out.section("route4").starts_with("8.8.8.8 via"));
        assert!(out.section("route4").ends_with("cache \n"));
        assert!(out.section("addr").starts_with("1: lo:"));
        assert!(out.section("addr").ends_with("02:fc:00:00:00:01\n"));
        assert!(out.section("local4").starts_with("local 127.0.0.1"));
        assert_eq!(out.section("route6"), "");
        assert!(out.section("local6").starts_with("local ::1"));
    }
}
