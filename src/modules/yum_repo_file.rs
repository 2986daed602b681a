//! A `.repo` file as Python's `configparser.RawConfigParser` reads and writes it, which is
//! how ansible.builtin.yum_repository edits one: `[section]` headers, `key = value` (or
//! `key: value`) with keys lowercased, indented continuation lines, comments dropped; written
//! back as `key = value` with continuation lines indented by a tab and a blank line after
//! each section; dumped (for `changed` and the diff) with sections and keys sorted.

/// The sections of a file, in file order, each with its keys in order.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RepoFile {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl RepoFile {
    pub(crate) fn parse(text: &str) -> RepoFile {
        let mut file = RepoFile::default();
        for raw in text.lines() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                if !file.sections.iter().any(|(s, _)| s == name) {
                    file.sections.push((name.to_string(), Vec::new()));
                }
                continue;
            }
            let Some((_, keys)) = file.sections.last_mut() else {
                continue;
            };
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = keys.last_mut() {
                    value.push('\n');
                    value.push_str(trimmed);
                }
                continue;
            }
            let at = trimmed.find(['=', ':']).unwrap_or(trimmed.len());
            let key = trimmed[..at].trim().to_lowercase();
            let value = trimmed.get(at + 1..).unwrap_or("").trim().to_string();
            keys.retain(|(k, _)| *k != key);
            keys.push((key, value));
        }
        file
    }

    /// Removes a section (when there).
    pub(crate) fn remove(&mut self, section: &str) {
        self.sections.retain(|(s, _)| s != section);
    }

    /// Adds a section at the end with `keys` in their order.
    pub(crate) fn add(&mut self, section: &str, keys: Vec<(String, String)>) {
        self.remove(section);
        self.sections.push((section.to_string(), keys));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// The file's text as configparser writes it.
    pub(crate) fn write(&self) -> String {
        let mut out = String::new();
        for (section, keys) in &self.sections {
            out.push_str(&format!("[{section}]\n"));
            for (k, v) in keys {
                out.push_str(&format!("{k} = {}\n", v.replace('\n', "\n\t")));
            }
            out.push('\n');
        }
        out
    }

    /// Sections and keys sorted, values as they are: what Ansible compares and shows.
    pub(crate) fn dump(&self) -> String {
        let mut sections: Vec<&(String, Vec<(String, String)>)> = self.sections.iter().collect();
        sections.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::new();
        for (section, keys) in sections {
            out.push_str(&format!("[{section}]\n"));
            let mut keys: Vec<&(String, String)> = keys.iter().collect();
            keys.sort();
            for (k, v) in keys {
                out.push_str(&format!("{k} = {v}\n"));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_as_configparser_does() {
        let text = "# a comment\n[b]\nName=B\nbaseurl = http://x\n  http://y\n[a]\nenabled: 1\n";
        let mut f = RepoFile::parse(text);
        assert_eq!(
            f.write(),
            "[b]\nname = B\nbaseurl = http://x\n\thttp://y\n\n[a]\nenabled = 1\n\n"
        );
        assert_eq!(
            f.dump(),
            "[a]\nenabled = 1\n\n[b]\nbaseurl = http://x\nhttp://y\nname = B\n\n"
        );
        assert_eq!(RepoFile::parse(&f.write()), f);
        f.add("a", vec![("name".into(), "A".into())]);
        assert_eq!(f.write().split("\n\n").nth(1), Some("[a]\nname = A"));
        f.remove("a");
        f.remove("b");
        assert!(f.is_empty());
    }
}
