//! `pip`'s package names as Ansible reads them: a list whose items may be split at commas
//! (`django>1.11.1`, `<1.11.3` is one requirement), each a plain requirement
//! (`name[extras] specifiers`, whose installed version can be checked with PEP 440 rules) or
//! something only pip understands (a URL, a path, a VCS link), which is never "already
//! installed".

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

/// One requirement of `name`.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    /// As written (what pip is given).
    pub text: String,
    /// The canonical name (`-` for runs of `-_.`, lowercase), for a plain requirement.
    pub name: Option<String>,
    /// Its version specifiers (empty: any version).
    specifiers: Option<VersionSpecifiers>,
}

const OPERATORS: &[&str] = &[">=", "<=", ">", "<", "==", "!=", "~="];

/// Joins the items of `name` into requirements as Ansible's `_recover_package_name` does.
pub(crate) fn recover(names: &[String]) -> Vec<String> {
    let parts: Vec<&str> = names.iter().flat_map(|n| n.split(',')).collect();
    let mut out: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_brackets = false;
    for part in parts {
        let is_name = !OPERATORS.iter().any(|op| part.trim_start().starts_with(op));
        if is_name && !in_brackets && !current.is_empty() {
            out.push(current.join(","));
            current.clear();
        }
        if part.contains('[') {
            in_brackets = true;
        }
        if in_brackets && part.contains(']') {
            in_brackets = false;
        }
        current.push(part);
    }
    out.push(current.join(","));
    out
}

/// Python's canonical distribution name.
pub(crate) fn canonical(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl Package {
    /// Reads one requirement; `version` (the `version` argument) is joined to it as Ansible
    /// joins it (`==` before a bare number).
    pub(crate) fn parse(text: &str, version: Option<&str>) -> Package {
        let mut text = text.trim().to_string();
        if let Some(v) = version.map(str::trim_start).filter(|v| !v.is_empty()) {
            let sep = if v.starts_with(|c: char| c.is_ascii_digit()) {
                "=="
            } else {
                " "
            };
            text = format!("{text}{sep}{v}");
        }
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(text.len());
        let (name, mut rest) = text.split_at(end);
        let plain_start = name.starts_with(|c: char| c.is_ascii_alphanumeric());
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('[') {
            rest = after.split_once(']').map_or("", |(_, r)| r).trim_start();
        }
        let rest = rest.split(';').next().unwrap_or("").trim();
        let specifiers = match rest {
            "" => Some(VersionSpecifiers::from_str("").ok()).flatten(),
            spec => VersionSpecifiers::from_str(spec).ok(),
        };
        let plain =
            plain_start && !rest.contains("://") && (rest.is_empty() || specifiers.is_some());
        Package {
            name: plain.then(|| canonical(name)),
            specifiers: if plain { specifiers } else { None },
            text,
        }
    }

    /// Whether it names versions (`version` then conflicts with it).
    pub(crate) fn has_specifier(&self) -> bool {
        self.specifiers.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// Whether `installed` (`name==version` lines of `pip list --format=freeze`) satisfies it.
    pub(crate) fn is_present(&self, installed: &str) -> bool {
        let Some(want) = &self.name else {
            return false;
        };
        installed.lines().any(|line| {
            let Some((name, version)) = line.split_once("==") else {
                return false;
            };
            if canonical(name.trim()) != *want {
                return false;
            }
            match (&self.specifiers, Version::from_str(version.trim())) {
                (None, _) => true,
                (Some(spec), Ok(v)) => spec.contains(&v),
                (Some(spec), Err(_)) => spec.is_empty(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recovered_as_ansible_recovers_them() {
        let names: Vec<String> = [
            "django>1.11.1",
            "<1.11.3",
            "ipaddress",
            "simple>1.1.0,<2.0.0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            recover(&names),
            ["django>1.11.1,<1.11.3", "ipaddress", "simple>1.1.0,<2.0.0"]
        );
        let extras = vec!["req[security,socks]>=2".to_string()];
        assert_eq!(recover(&extras), ["req[security,socks]>=2"]);
    }

    #[test]
    fn presence_follows_pep440() {
        let installed = "Ferry_Toy==1.1\nother==2.0rc1\n";
        for (text, version, present) in [
            ("ferry-toy", None, true),
            ("ferry.toy>=1.0,<2", None, true),
            ("ferry_toy", Some("1.0"), false),
            ("ferry_toy", Some("1.1"), true),
            ("other>=1.0", None, true),
            ("missing", None, false),
            ("git+https://example.com/x.git", None, false),
            ("./local/dir", None, false),
        ] {
            assert_eq!(
                Package::parse(text, version).is_present(installed),
                present,
                "{text}"
            );
        }
        assert!(Package::parse("x[a]>=1", None).has_specifier());
        assert!(!Package::parse("x", None).has_specifier());
    }
}
