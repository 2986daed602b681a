//! RPM packages as dnf names them: a package's name, epoch, version, release, arch and
//! repository ([`Pkg`], written `name-[epoch:]version-release.arch` as dnf prints it), rpm's
//! version ordering (`rpmvercmp`, epoch-version-release), and whether a package spec as dnf
//! reads one (`name`, `name-1.0`, `name-1.0-1.noarch`, `name.arch`, globs, `name >= 1.0`)
//! names a package.

use std::cmp::Ordering;

use crate::template::glob_match;

/// One package, installed (repo `@System`) or in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pkg {
    pub name: String,
    pub epoch: u64,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub repo: String,
}

impl Pkg {
    /// Reads `name|epoch|version|release|arch[|repo]` (epoch `(none)` or empty is 0).
    pub(crate) fn parse(line: &str, repo: &str) -> Option<Pkg> {
        let f: Vec<&str> = line.trim().split('|').collect();
        if f.len() < 5 || f[0].is_empty() {
            return None;
        }
        Some(Pkg {
            name: f[0].into(),
            epoch: f[1].parse().unwrap_or(0),
            version: f[2].into(),
            release: f[3].into(),
            arch: f[4].into(),
            repo: f.get(5).map_or(repo, |r| r).to_string(),
        })
    }

    /// `[epoch:]version-release`.
    pub(crate) fn evr(&self) -> String {
        match self.epoch {
            0 => format!("{}-{}", self.version, self.release),
            e => format!("{e}:{}-{}", self.version, self.release),
        }
    }

    /// As dnf prints it: `name-[epoch:]version-release.arch`.
    pub(crate) fn nevra(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr(), self.arch)
    }

    /// `epoch:name-version-release.arch`, the `envra` of Ansible's package listings.
    pub(crate) fn envra(&self) -> String {
        format!(
            "{}:{}-{}-{}.{}",
            self.epoch, self.name, self.version, self.release, self.arch
        )
    }

    /// Orders two packages by epoch, version and release.
    pub(crate) fn cmp_evr(&self, other: &Pkg) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| vercmp(&self.version, &other.version))
            .then_with(|| vercmp(&self.release, &other.release))
    }

    /// The forms dnf matches a spec against.
    fn forms(&self) -> [String; 8] {
        let (n, v, r, a, e) = (
            &self.name,
            &self.version,
            &self.release,
            &self.arch,
            self.epoch,
        );
        [
            n.clone(),
            format!("{n}.{a}"),
            format!("{n}-{v}"),
            format!("{n}-{v}-{r}"),
            format!("{n}-{v}-{r}.{a}"),
            format!("{n}-{e}:{v}-{r}"),
            format!("{n}-{e}:{v}-{r}.{a}"),
            format!("{e}:{n}-{v}-{r}.{a}"),
        ]
    }
}

/// A package spec: a NEVRA pattern, or a name with a version comparison (`foo >= 1.0`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PkgSpec {
    /// As written.
    pub text: String,
    /// The pattern, or the name before the comparison.
    pub pattern: String,
    /// The comparison and its `[epoch:]version[-release]`.
    pub cmp: Option<(String, String)>,
}

impl PkgSpec {
    pub(crate) fn parse(text: &str) -> PkgSpec {
        let words: Vec<&str> = text.split_whitespace().collect();
        let cmp = match words[..] {
            [name, op, ver] if ["<", "<=", "=", "==", ">=", ">"].contains(&op) => {
                Some((name, op, ver))
            }
            _ => None,
        };
        PkgSpec {
            text: text.trim().to_string(),
            pattern: cmp.map_or(text.trim(), |(n, _, _)| n).to_string(),
            cmp: cmp.map(|(_, op, v)| (op.to_string(), v.to_string())),
        }
    }

    /// Whether the spec has shell wildcards (then "installed" means every matching name is).
    pub(crate) fn is_glob(&self) -> bool {
        self.pattern.contains(['*', '?', '['])
    }

    /// Whether the spec names `p`.
    pub(crate) fn matches(&self, p: &Pkg) -> bool {
        if let Some((op, ver)) = &self.cmp {
            if !glob_match(self.pattern.as_bytes(), p.name.as_bytes()) {
                return false;
            }
            let ord = cmp_to(p, ver);
            return match op.as_str() {
                "<" => ord == Ordering::Less,
                "<=" => ord != Ordering::Greater,
                ">=" => ord != Ordering::Less,
                ">" => ord == Ordering::Greater,
                _ => ord == Ordering::Equal,
            };
        }
        p.forms()
            .iter()
            .any(|f| glob_match(self.pattern.as_bytes(), f.as_bytes()))
    }
}

/// Orders `p` against `[epoch:]version[-release]`; a side without a release ignores releases.
fn cmp_to(p: &Pkg, evr: &str) -> Ordering {
    let (epoch, vr) = match evr.split_once(':') {
        Some((e, vr)) => (e.parse().unwrap_or(0), vr),
        None => (0, evr),
    };
    let (version, release) = match vr.rsplit_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (vr, None),
    };
    p.epoch
        .cmp(&epoch)
        .then_with(|| vercmp(&p.version, version))
        .then_with(|| release.map_or(Ordering::Equal, |r| vercmp(&p.release, r)))
}

/// rpm's `rpmvercmp`: segments of digits compare as numbers, of letters as text; `~` sorts
/// before everything, `^` after the version it follows but before any longer one.
pub(crate) fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            (i, j) = (i + 1, j + 1);
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            match (x, y) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(b'^'), Some(b'^')) => (i, j) = (i + 1, j + 1),
                (Some(b'^'), _) => return Ordering::Less,
                _ => return Ordering::Greater,
            }
            continue;
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let class = |c: &u8| match numeric {
            true => c.is_ascii_digit(),
            false => c.is_ascii_alphabetic(),
        };
        let seg_a: &[u8] = &a[i..i + a[i..].iter().take_while(|c| class(c)).count()];
        let seg_b: &[u8] = &b[j..j + b[j..].iter().take_while(|c| class(c)).count()];
        (i, j) = (i + seg_a.len(), j + seg_b.len());
        if seg_b.is_empty() {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = match numeric {
            true => {
                let trim = |s: &[u8]| s.iter().position(|c| *c != b'0').map_or(0, |p| s.len() - p);
                let (la, lb) = (trim(seg_a), trim(seg_b));
                la.cmp(&lb)
                    .then_with(|| seg_a[seg_a.len() - la..].cmp(&seg_b[seg_b.len() - lb..]))
            }
            false => seg_a.cmp(seg_b),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        _ => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn versions_order_as_rpm_orders_them() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("1.010", "1.9", Greater),
            ("1.05", "1.5", Equal),
            ("1.0a", "1.0", Greater),
            ("a", "1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("1_0", "1.0", Equal),
            ("fc4", "fc.4", Equal),
        ] {
            assert_eq!(vercmp(a, b), want, "{a} vs {b}");
            assert_eq!(vercmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn specs_name_packages_as_dnf_reads_them() {
        let p = Pkg::parse("ferry-demo|0|1.0|1|noarch", "@System").unwrap();
        assert_eq!(p.nevra(), "ferry-demo-1.0-1.noarch");
        let yes = [
            "ferry-demo",
            "ferry-demo-1.0",
            "ferry-demo-1.0-1",
            "ferry-demo-1.0-1.noarch",
            "ferry-demo.noarch",
            "ferry-*",
            "ferry-demo >= 1.0",
            "ferry-demo < 2",
            "ferry-demo-0:1.0-1.noarch",
        ];
        for s in yes {
            assert!(PkgSpec::parse(s).matches(&p), "{s}");
        }
        for s in [
            "ferry",
            "ferry-demo-2.0",
            "ferry-demo > 1.0",
            "ferry-demo.x86_64",
        ] {
            assert!(!PkgSpec::parse(s).matches(&p), "{s}");
        }
        let e = Pkg::parse("x|2|1.0|3|noarch|local", "").unwrap();
        assert_eq!(
            (e.nevra().as_str(), e.repo.as_str()),
            ("x-2:1.0-3.noarch", "local")
        );
        assert_eq!(e.envra(), "2:x-1.0-3.noarch");
    }
}
