//! The `version` test (alias `version_compare`): compares two versions under one of Ansible's
//! schemes. `loose` (the default) splits a version into numbers and words and compares the
//! lists as Python does (`'2.0'` is not `'2.0.0'`; a number against a word cannot be ordered);
//! `strict` reads `major.minor[.patch][a|bN]` (`'2.0'` is `'2.0.0'`); `semver`/`semantic` is
//! Semantic Versioning 2.0 (the `semver` crate, build metadata ignored); `pep440` is Python's
//! packaging rules (the `pep440_rs` crate).

use std::cmp::Ordering;
use std::str::FromStr;
use std::sync::OnceLock;

use minijinja::value::{Rest, Value, ValueOrKwargs};
use minijinja::Error;
use regex::Regex;

use super::values::{err, text_of, Args};

const OPERATORS: &[(&str, &str)] = &[
    ("==", "eq"),
    ("=", "eq"),
    ("eq", "eq"),
    ("<", "lt"),
    ("lt", "lt"),
    ("<=", "le"),
    ("le", "le"),
    (">", "gt"),
    ("gt", "gt"),
    (">=", "ge"),
    ("ge", "ge"),
    ("!=", "ne"),
    ("<>", "ne"),
    ("ne", "ne"),
];

const SCHEMES: &[&str] = &["loose", "strict", "semver", "semantic", "pep440"];

/// `value is version(other, operator='eq', strict=None, version_type=None)`.
pub(crate) fn version_test(value: Value, args: Rest<ValueOrKwargs>) -> Result<bool, Error> {
    let args = Args::split(args)?;
    let other = args.get(0, "version")?.unwrap_or_default();
    let operator = args.get(1, "operator")?;
    let strict = args.get(2, "strict")?.filter(|v| !v.is_none());
    let scheme = args.get(3, "version_type")?.filter(|v| !v.is_none());
    args.check("version", 4)?;
    if strict.is_some() && scheme.is_some() {
        return Err(err("Cannot specify both 'strict' and 'version_type'"));
    }
    if !value.is_true() {
        return Err(err("Input version value cannot be empty"));
    }
    if !other.is_true() {
        return Err(err("Version parameter to compare against cannot be empty"));
    }
    let scheme = match (&strict, &scheme) {
        (Some(s), _) if s.is_true() => "strict".to_string(),
        (_, Some(t)) => text_of(t)?,
        _ => "loose".to_string(),
    };
    if !SCHEMES.contains(&scheme.as_str()) {
        let known = SCHEMES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>();
        return Err(err(format!(
            "Invalid version type ({scheme}). Must be one of {}",
            known.join(", ")
        )));
    }
    let operator = operator.map(|o| text_of(&o)).transpose()?;
    let operator = operator.as_deref().unwrap_or("eq");
    let Some(&(_, op)) = OPERATORS.iter().find(|(name, _)| *name == operator) else {
        let known = OPERATORS
            .iter()
            .map(|(s, _)| format!("'{s}'"))
            .collect::<Vec<_>>();
        return Err(err(format!(
            "Invalid operator type ({operator}). Must be one of {}",
            known.join(", ")
        )));
    };
    let order = compare(&scheme, &text_of(&value)?, &text_of(&other)?)
        .map_err(|e| err(format!("Version comparison failed: {e}")))?;
    Ok(match op {
        "eq" => order == Ordering::Equal,
        "ne" => order != Ordering::Equal,
        "lt" => order == Ordering::Less,
        "le" => order != Ordering::Greater,
        "gt" => order == Ordering::Greater,
        _ => order != Ordering::Less,
    })
}

/// How `a` compares with `b` under `scheme`; the error says why they cannot be compared.
fn compare(scheme: &str, a: &str, b: &str) -> Result<Ordering, String> {
    match scheme {
        "strict" => Ok(strict(a)?.cmp(&strict(b)?)),
        "semver" | "semantic" => Ok(semantic(a)?.cmp_precedence(&semantic(b)?)),
        "pep440" => Ok(pep440(a)?.cmp(&pep440(b)?)),
        _ => loose_cmp(&loose(a), &loose(b)),
    }
}

/// One part of a loose version: a number or the text between numbers.
#[derive(Debug, PartialEq)]
enum Part {
    Number(u128),
    Text(String),
}

/// A loose version's parts: runs of digits, runs of lowercase letters and whatever else lies
/// between them, without the dots.
fn loose(v: &str) -> Vec<Part> {
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    let token = TOKEN.get_or_init(|| Regex::new(r"\d+|[a-z]+|\.").expect("valid regex"));
    let mut parts = Vec::new();
    let mut last = 0;
    let mut push = |piece: &str| {
        if piece.is_empty() || piece == "." {
            return;
        }
        parts.push(match piece.parse() {
            Ok(n) => Part::Number(n),
            Err(_) => Part::Text(piece.to_string()),
        });
    };
    for m in token.find_iter(v) {
        push(&v[last..m.start()]);
        push(m.as_str());
        last = m.end();
    }
    push(&v[last..]);
    parts
}

/// Python's list comparison of two loose versions: a number and a text at the first place they
/// differ cannot be ordered.
fn loose_cmp(a: &[Part], b: &[Part]) -> Result<Ordering, String> {
    let name = |p: &Part| match p {
        Part::Number(_) => "int",
        Part::Text(_) => "str",
    };
    for (x, y) in a.iter().zip(b) {
        let order = match (x, y) {
            (Part::Number(x), Part::Number(y)) => x.cmp(y),
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            _ => {
                return Err(format!(
                    "'<' not supported between instances of '{}' and '{}'",
                    name(x),
                    name(y)
                ))
            }
        };
        if order != Ordering::Equal {
            return Ok(order);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// A strict version's sort key: the release; `None` for a pre-release, which sorts below
/// `Some(())`, a final release; the pre-release (`a` or `b` and its number).
type StrictKey = ((u64, u64, u64), Option<()>, Option<(char, u64)>);

/// A strict version (`major.minor[.patch][a|bN]`) as its sort key.
fn strict(v: &str) -> Result<StrictKey, String> {
    static STRICT: OnceLock<Regex> = OnceLock::new();
    let re = STRICT.get_or_init(|| {
        Regex::new(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?\n?$").expect("valid regex")
    });
    let invalid = || format!("invalid version number '{v}'");
    let caps = re.captures(v).ok_or_else(invalid)?;
    let num = |i: usize| -> Result<u64, String> {
        caps.get(i)
            .map_or(Ok(0), |m| m.as_str().parse().map_err(|_| invalid()))
    };
    let pre = match caps.get(4) {
        Some(letter) => Some((letter.as_str().chars().next().unwrap_or('a'), num(5)?)),
        None => None,
    };
    let is_final = pre.is_none().then_some(());
    Ok(((num(1)?, num(2)?, num(3)?), is_final, pre))
}

fn semantic(v: &str) -> Result<semver::Version, String> {
    semver::Version::parse(v).map_err(|_| format!("invalid semantic version '{v}'"))
}

fn pep440(v: &str) -> Result<pep440_rs::Version, String> {
    pep440_rs::Version::from_str(v.trim()).map_err(|_| format!("Invalid version: '{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_as_ansible_does() {
        use Ordering::*;
        let cases: &[(&str, &str, &str, Result<Ordering, ()>)] = &[
            ("loose", "2.0", "2.0.0", Ok(Less)),
            ("loose", "1.2.10", "1.2.9", Ok(Greater)),
            ("loose", "1.0a", "1.0.1", Err(())),
            ("loose", "1.0-rc1", "1.0-rc1", Ok(Equal)),
            ("strict", "2.0", "2.0.0", Ok(Equal)),
            ("strict", "1.0a1", "1.0", Ok(Less)),
            ("strict", "1.0b1", "1.0a2", Ok(Greater)),
            ("strict", "1.0.0-1", "1.0", Err(())),
            ("semver", "1.0.0-rc.1", "1.0.0", Ok(Less)),
            ("semver", "1.0.0+b1", "1.0.0+b2", Ok(Equal)),
            ("semver", "1.0", "1.0.0", Err(())),
            ("pep440", "1.0rc1", "1.0", Ok(Less)),
            ("pep440", "1.0", "1.0.0", Ok(Equal)),
            ("pep440", "1.0.post1", "1.0", Ok(Greater)),
        ];
        for (scheme, a, b, want) in cases {
            let got = compare(scheme, a, b).map_err(|_| ());
            assert_eq!(got, *want, "{scheme}: {a} vs {b}");
        }
    }
}
