//! Ansible host patterns: `all`, `*`, `a:b` / `a,b` (union), `a:&b` (intersection), `a:!b`
//! (exclusion), globs `web*` / `db-?` / `web[12]` (fnmatch), `~regex` (anchored at the start, as
//! Python's `re.match`), subscripts `g[0]`, `g[-1]`, `g[0:2]` (inclusive end).
//!
//! Plain terms are united first, then intersections apply, then exclusions, as Ansible orders
//! them. The result keeps Ansible's order: the hosts of the first term (in inventory order), then
//! the new hosts of the next term, and so on. This file does not know where hosts come from.

use std::collections::HashSet;

use regex::Regex;

use crate::inventory::model::Model;

/// A malformed host pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid host pattern '{pattern}': {why}")]
pub struct PatternError {
    pattern: String,
    why: String,
}

fn err(pattern: &str, why: impl Into<String>) -> PatternError {
    PatternError {
        pattern: pattern.to_string(),
        why: why.into(),
    }
}

/// Names Ansible treats as the implicit localhost when the inventory does not name them.
pub(crate) const LOCALHOST: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// Splits on `,` when there is one (Ansible then does not split on `:`), else on `:` outside
/// brackets, so `web[0:2]` and `~db[0-9]` stay whole.
fn terms(pattern: &str) -> Vec<String> {
    let sep = if pattern.contains(',') { ',' } else { ':' };
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in pattern.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c == sep && depth <= 0 {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The hosts `pattern` selects, deduplicated.
pub(crate) fn select(model: &Model, pattern: &str) -> Result<Vec<String>, PatternError> {
    let (mut plain, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for t in terms(pattern) {
        if let Some(x) = t.strip_prefix('&') {
            and.push(x.to_string());
        } else if let Some(x) = t.strip_prefix('!') {
            not.push(x.to_string());
        } else {
            plain.push(t);
        }
    }
    if plain.is_empty() {
        plain.push("all".into());
    }
    let mut hosts: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for t in &plain {
        for h in term(model, t)? {
            if seen.insert(h.clone()) {
                hosts.push(h);
            }
        }
    }
    for t in &and {
        let keep: HashSet<String> = term(model, t)?.into_iter().collect();
        hosts.retain(|h| keep.contains(h));
    }
    for t in &not {
        let drop: HashSet<String> = term(model, t)?.into_iter().collect();
        hosts.retain(|h| !drop.contains(h));
    }
    Ok(hosts)
}

/// A subscript: `[i]` or `[start:end]` / `[start:]` (`[start-end]` is the old spelling).
#[derive(Debug, PartialEq)]
enum Subscript {
    Index(i64),
    Range(usize, Option<usize>),
}

/// `web[0]` → ("web", Index(0)); only numeric subscripts count, so `web[12]`-style fnmatch
/// classes with letters (`db[ab]`) stay globs, and `~regex` never has one.
fn split_subscript(t: &str) -> (&str, Option<Subscript>) {
    let none = (t, None);
    if t.starts_with('~') || !t.ends_with(']') {
        return none;
    }
    let Some(open) = t.rfind('[').filter(|&i| i > 0) else {
        return none;
    };
    let (name, inner) = (&t[..open], &t[open + 1..t.len() - 1]);
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let idx = inner.strip_prefix('-').unwrap_or(inner);
    if digits(idx) {
        return match inner.parse() {
            Ok(i) => (name, Some(Subscript::Index(i))),
            Err(_) => none,
        };
    }
    let Some(sep) = inner.find([':', '-']) else {
        return none;
    };
    let (a, b) = (&inner[..sep], &inner[sep + 1..]);
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return none;
    }
    match (a.parse(), b.parse().ok()) {
        (Ok(a), b) => (name, Some(Subscript::Range(a, b))),
        _ => none,
    }
}

/// One term: an exact host name, else a group / glob / regex, then its subscript.
fn term(model: &Model, t: &str) -> Result<Vec<String>, PatternError> {
    if model.hosts.contains_key(t) {
        return Ok(vec![t.to_string()]);
    }
    let (expr, sub) = split_subscript(t);
    let hosts = enumerate(model, expr)?;
    let n = hosts.len() as i64;
    match sub {
        None => Ok(hosts),
        // Python slicing: an empty end means "to the last"; `[i:0]` is read as `[i]`.
        Some(Subscript::Range(a, Some(b))) if b > 0 => {
            let end = (b + 1).min(hosts.len());
            Ok(hosts
                .get(a..end)
                .map(<[String]>::to_vec)
                .unwrap_or_default())
        }
        Some(Subscript::Range(a, None)) => {
            Ok(hosts.get(a..).map(<[String]>::to_vec).unwrap_or_default())
        }
        Some(Subscript::Range(a, Some(_))) => index(&hosts, a as i64, t),
        Some(Subscript::Index(i)) => index(&hosts, if i < 0 { n + i } else { i }, t),
    }
}

fn index(hosts: &[String], i: i64, t: &str) -> Result<Vec<String>, PatternError> {
    usize::try_from(i)
        .ok()
        .and_then(|i| hosts.get(i))
        .map(|h| vec![h.clone()])
        .ok_or_else(|| err(t, "no hosts matched the subscripted pattern"))
}

/// Groups (and, for wildcards, names with a dot, or when no group matched, hosts) matching
/// `expr`; the implicit localhost when nothing else does.
fn enumerate(model: &Model, expr: &str) -> Result<Vec<String>, PatternError> {
    if expr == "all" || expr == "*" {
        return Ok(model.hosts.keys().cloned().collect());
    }
    let re = if let Some(r) = expr.strip_prefix('~') {
        Some(Regex::new(&format!("^(?:{r})")).map_err(|e| err(expr, e.to_string()))?)
    } else if expr.contains(['*', '?', '[']) {
        Some(Regex::new(&fnmatch(expr)).map_err(|e| err(expr, e.to_string()))?)
    } else {
        None
    };
    let mut out = Vec::new();
    let groups: Vec<&String> = match &re {
        Some(re) => model.groups.keys().filter(|g| re.is_match(g)).collect(),
        None => model
            .groups
            .get_key_value(expr)
            .map(|(k, _)| k)
            .into_iter()
            .collect(),
    };
    for g in &groups {
        out.extend(model.group_hosts(g));
    }
    if groups.is_empty() || re.is_some() || expr.contains('.') {
        match &re {
            Some(re) => out.extend(model.hosts.keys().filter(|h| re.is_match(h)).cloned()),
            None if model.hosts.contains_key(expr) => out.push(expr.to_string()),
            None => {}
        }
    }
    let mut seen = HashSet::new();
    out.retain(|h| seen.insert(h.clone()));
    if out.is_empty() && LOCALHOST.contains(&expr) {
        out.push(expr.to_string());
    }
    Ok(out)
}

/// Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; the whole name must match.
fn fnmatch(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut re = String::from("(?s)^");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut j = i + 1;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str("\\[");
                } else {
                    let body: String = chars[i + 1..j].iter().collect();
                    let body = match body.strip_prefix('!') {
                        Some(rest) => format!("^{}", rest.replace('\\', "\\\\")),
                        None => body.replace('\\', "\\\\"),
                    };
                    re.push('[');
                    re.push_str(&body.replace('[', "\\["));
                    re.push(']');
                    i = j;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push_str("\\z");
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscripts_parse_like_ansible() {
        use Subscript::*;
        for (t, name, sub) in [
            ("web[0]", "web", Some(Index(0))),
            ("web[-1]", "web", Some(Index(-1))),
            ("web[0:2]", "web", Some(Range(0, Some(2)))),
            ("web[1:]", "web", Some(Range(1, None))),
            ("web[0-1]", "web", Some(Range(0, Some(1)))),
            ("db[ab]", "db[ab]", None),
            ("~web[0]", "~web[0]", None),
            ("[0]", "[0]", None),
        ] {
            assert_eq!(split_subscript(t), (name, sub), "{t}");
        }
    }

    #[test]
    fn fnmatch_translation() {
        for (glob, name, want) in [
            ("web*", "web01", true),
            ("web*", "xweb01", false),
            ("db-?", "db-a", true),
            ("db-?", "db-ab", false),
            ("db[ab]", "dba", true),
            ("db[!ab]", "dba", false),
            ("db[!ab]", "dbc", true),
            ("a.b*", "axb", false),
            ("x[", "x[", true),
        ] {
            let re = Regex::new(&fnmatch(glob)).unwrap();
            assert_eq!(re.is_match(name), want, "{glob} vs {name}");
        }
    }
}
