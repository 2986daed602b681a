//! Ansible host patterns, evaluated as ansible-core 2.18's `InventoryManager.get_hosts`:
//!
//! - splitting: on `,` when there is one; else a pattern that is itself a host address
//!   (`::1`, `web[1:3]`) stays whole; else it splits on `:` and blanks outside brackets;
//! - order: plain terms are united first (in the order given), then `&` terms intersect, then
//!   `!` terms exclude; only `&`/`!` terms means `all` first;
//! - a term: an exact host name; else groups whose names match (a glob `web*`, `db-?`,
//!   `db[ab]`, or a `~regex` matched at the start), and hosts too when no group matched or the
//!   term is a regex or has `.`, `?`, `*`, `[`; a missing localhost name is the implicit
//!   localhost (or the inventory's first localhost-like host);
//! - subscripts `g[0]`, `g[-1]`, `g[0:2]` (inclusive), `g[1:]` apply to a term's hosts.
//!
//! Results keep Ansible's order and are deduplicated. This file does not know where hosts
//! come from.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::inventory::model::{Model, LOCALHOST};
use crate::inventory::{address, glob};

static SUBSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").expect("valid regex")
});
static TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").expect("valid regex"));

/// A host pattern that cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    /// A `~regex` (or a glob) that is not a valid regular expression.
    #[error("invalid host pattern '{pattern}': {why}")]
    Regex {
        /// The term.
        pattern: String,
        /// The regex engine's message.
        why: String,
    },
    /// A subscript past the end of the hosts its term matched.
    #[error("no hosts matched the subscripted pattern '{0}'")]
    Subscript(String),
    /// A lone `&` or `!`.
    #[error("invalid host pattern '{0}': '&' and '!' need a pattern after them")]
    Empty(String),
}

/// The hosts `pattern` selects, in Ansible's order, deduplicated.
pub(crate) fn select(model: &Model, pattern: &str) -> Result<Vec<String>, PatternError> {
    let terms = order(split(pattern));
    let mut hosts: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for t in &terms {
        if let Some((name, _)) = model.hosts.get_key_value(t.as_str()) {
            if seen.insert(name) {
                hosts.push(name);
            }
            continue;
        }
        let matched = term(model, t)?;
        if t.starts_with(['!', '&']) {
            let set: HashSet<&str> = matched.into_iter().collect();
            let keep = t.starts_with('&');
            hosts.retain(|h| set.contains(h) == keep);
            seen = hosts.iter().copied().collect();
        } else {
            for h in matched {
                if seen.insert(h) {
                    hosts.push(h);
                }
            }
        }
    }
    Ok(hosts.into_iter().map(String::from).collect())
}

/// Ansible's `split_host_pattern`.
fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<&str> = if pattern.contains(',') {
        pattern.split(',').collect()
    } else if address::parse(pattern, true).is_some() {
        vec![pattern]
    } else {
        TERM.find_iter(pattern).map(|m| m.as_str()).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// Plain terms, then `&` terms, then `!` terms; `all` when there is no plain term.
fn order(terms: Vec<String>) -> Vec<String> {
    let (mut plain, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for t in terms {
        match t.chars().next() {
            Some('!') => not.push(t),
            Some('&') => and.push(t),
            _ => plain.push(t),
        }
    }
    if plain.is_empty() {
        plain.push("all".into());
    }
    plain.into_iter().chain(and).chain(not).collect()
}

/// One term (without regard to its `&`/`!`): its hosts, after its subscript.
fn term<'a>(model: &'a Model, t: &'a str) -> Result<Vec<&'a str>, PatternError> {
    let bare = t.strip_prefix(['&', '!']).unwrap_or(t);
    if bare.is_empty() {
        return Err(PatternError::Empty(t.to_string()));
    }
    let (expr, subscript) = split_subscript(bare);
    let hosts = enumerate(model, expr)?;
    apply(hosts, subscript).ok_or_else(|| PatternError::Subscript(bare.to_string()))
}

/// A subscript: an index, or a start and an inclusive end (`None` = to the last).
#[derive(Debug, PartialEq)]
enum Subscript {
    Index(i64),
    Range(usize, Option<usize>),
}

/// `web[0]` → ("web", Index(0)); `~regex` never has one; `db[ab]` is a glob, not a subscript.
fn split_subscript(t: &str) -> (&str, Option<Subscript>) {
    if t.starts_with('~') {
        return (t, None);
    }
    let Some(c) = SUBSCRIPT.captures(t) else {
        return (t, None);
    };
    let name = c.get(1).map_or(t, |m| m.as_str());
    let number = |i: usize| {
        c.get(i)
            .map(|m| m.as_str().parse::<i64>().unwrap_or(i64::MAX))
    };
    if let Some(i) = number(2) {
        return (name, Some(Subscript::Index(i)));
    }
    let start = number(3).unwrap_or(0).max(0) as usize;
    let end = match c.get(5).map_or("", |m| m.as_str()) {
        "" => None,
        e => Some(e.parse::<usize>().unwrap_or(usize::MAX)),
    };
    // Ansible reads an end of 0 as "no end given": `[2:0]` is `[2]`.
    match end {
        Some(0) => (name, Some(Subscript::Index(start as i64))),
        end => (name, Some(Subscript::Range(start, end))),
    }
}

/// Applies a subscript as Python indexing and slicing would; `None` for an index past the end.
fn apply(hosts: Vec<&str>, subscript: Option<Subscript>) -> Option<Vec<&str>> {
    let (Some(sub), false) = (subscript, hosts.is_empty()) else {
        return Some(hosts);
    };
    let n = hosts.len();
    match sub {
        Subscript::Index(i) => {
            let i = if i < 0 { i.checked_add(n as i64)? } else { i };
            hosts.get(usize::try_from(i).ok()?).map(|h| vec![*h])
        }
        Subscript::Range(start, end) => {
            let end = end.map_or(n, |e| e.saturating_add(1).min(n));
            Some(
                hosts
                    .get(start..end)
                    .map(<[&str]>::to_vec)
                    .unwrap_or_default(),
            )
        }
    }
}

/// Ansible's `_enumerate_matches`: hosts of the matching groups, then matching hosts (with
/// repeats, which subscripts see), or the implicit localhost.
fn enumerate<'a>(model: &'a Model, expr: &'a str) -> Result<Vec<&'a str>, PatternError> {
    let re = matcher(expr)?;
    let mut out = Vec::new();
    let mut any_group = false;
    for g in model.groups.keys().filter(|g| re.is_match(g)) {
        any_group = true;
        out.extend(model.group_hosts(g).iter().map(String::as_str));
    }
    if !any_group || expr.starts_with('~') || expr.contains(['.', '?', '*', '[']) {
        out.extend(
            model
                .hosts
                .keys()
                .filter(|h| re.is_match(h))
                .map(String::as_str),
        );
    }
    if out.is_empty() && LOCALHOST.contains(&expr) {
        out.push(model.localhost.as_deref().unwrap_or(expr));
    }
    Ok(out)
}

/// `~regex` matches from the start of a name (Python's `re.match`); anything else is a glob
/// that must match the whole name.
fn matcher(expr: &str) -> Result<Regex, PatternError> {
    let source = match expr.strip_prefix('~') {
        Some(r) => format!("^(?:{r})"),
        None => glob::translate(expr),
    };
    Regex::new(&source).map_err(|e| PatternError::Regex {
        pattern: expr.to_string(),
        why: e
            .to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("error: ")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        for (pattern, want) in [
            ("web:db", "web|db"),
            ("web,db", "web|db"),
            ("web, db ,", "web|db"),
            ("web db", "web|db"),
            ("web[0:2]:db", "web[0:2]|db"),
            ("web[0:2]", "web[0:2]"),
            ("~db[0-9]:!x", "~db[0-9]|!x"),
            ("all:!db:&web", "all|!db|&web"),
            ("::1", "::1"),
            ("fe80::1:22", "fe80::1:22"),
            ("web01:22", "web01:22"),
            ("10.0.0.1:db", "10.0.0.1|db"),
            ("web]", "web"),
            ("[", ""),
            ("~[", "~"),
            ("a:b,c", "a:b|c"),
        ] {
            assert_eq!(split(pattern).join("|"), want, "{pattern}");
        }
    }

    #[test]
    fn subscripts_parse_like_ansible() {
        use Subscript::*;
        for (t, name, sub) in [
            ("web[0]", "web", Some(Index(0))),
            ("web[-1]", "web", Some(Index(-1))),
            ("web[0:2]", "web", Some(Range(0, Some(2)))),
            ("web[1:]", "web", Some(Range(1, None))),
            ("web[0-1]", "web", Some(Range(0, Some(1)))),
            ("web[2:0]", "web", Some(Index(2))),
            ("db[ab]", "db[ab]", None),
            ("~web[0]", "~web[0]", None),
            ("[0]", "[0]", None),
            ("web[-1:]", "web[-1:]", None),
        ] {
            assert_eq!(split_subscript(t), (name, sub), "{t}");
        }
    }
}
