//! Ansible host patterns: `all`, `*`, `a:b` / `a,b` (union), `a:&b` (intersection), `a:!b`
//! (exclusion), globs `web*`, `~regex`, subscripts `g[0]`, `g[-1]`, `g[0:2]`. Plain terms are
//! united first, then intersections apply, then exclusions, as Ansible orders them.

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

/// Splits on `:` and `,` outside brackets (and not inside a `~regex` term's brackets).
fn terms(pattern: &str) -> Vec<String> {
    let sep = if pattern.contains(',') { ',' } else { ':' };
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in pattern.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 {
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

/// The hosts `pattern` selects, in inventory order.
pub(crate) fn select(model: &Model, pattern: &str) -> Result<Vec<String>, PatternError> {
    let all = terms(pattern);
    let (mut plain, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for t in all {
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
    for t in &plain {
        for h in term(model, t)? {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    for t in &and {
        let keep = term(model, t)?;
        hosts.retain(|h| keep.contains(h));
    }
    for t in &not {
        let drop = term(model, t)?;
        hosts.retain(|h| !drop.contains(h));
    }
    let order: Vec<&String> = model.hosts.keys().collect();
    hosts.sort_by_key(|h| order.iter().position(|o| *o == h).unwrap_or(usize::MAX));
    Ok(hosts)
}

/// One term, with an optional subscript.
fn term(model: &Model, t: &str) -> Result<Vec<String>, PatternError> {
    let (name, sub) = match (t.starts_with('~'), t.rfind('['), t.ends_with(']')) {
        (false, Some(i), true) if i > 0 => (&t[..i], Some(&t[i + 1..t.len() - 1])),
        _ => (t, None),
    };
    let hosts = matches(model, name)?;
    match sub {
        None => Ok(hosts),
        Some(s) => subscript(&hosts, s).ok_or_else(|| err(t, format!("bad subscript [{s}]"))),
    }
}

fn matches(model: &Model, name: &str) -> Result<Vec<String>, PatternError> {
    if name == "all" || name == "*" {
        return Ok(model.hosts.keys().cloned().collect());
    }
    if model.groups.contains_key(name) {
        return Ok(model.group_hosts(name));
    }
    if model.hosts.contains_key(name) {
        return Ok(vec![name.to_string()]);
    }
    let re = if let Some(r) = name.strip_prefix('~') {
        Regex::new(&format!("^(?:{r})")).map_err(|e| err(name, e.to_string()))?
    } else if name.contains(['*', '?']) {
        Regex::new(&glob(name)).map_err(|e| err(name, e.to_string()))?
    } else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for g in model.groups.keys().filter(|g| re.is_match(g)) {
        out.extend(model.group_hosts(g));
    }
    out.extend(model.hosts.keys().filter(|h| re.is_match(h)).cloned());
    let mut seen = std::collections::HashSet::new();
    out.retain(|h| seen.insert(h.clone()));
    Ok(out)
}

fn glob(p: &str) -> String {
    let mut re = String::from("^");
    for c in p.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

/// `[i]`, `[-1]`, `[a:b]` (inclusive, as Ansible), `[a:]`, `[:b]`.
fn subscript(hosts: &[String], s: &str) -> Option<Vec<String>> {
    let n = hosts.len() as i64;
    let idx = |x: &str, default: i64| -> Option<i64> {
        if x.trim().is_empty() {
            return Some(default);
        }
        let v: i64 = x.trim().parse().ok()?;
        Some(if v < 0 { n + v } else { v })
    };
    match s.split_once(':') {
        None => {
            let i = idx(s, 0)?;
            Some(
                hosts
                    .get(usize::try_from(i).ok()?)
                    .cloned()
                    .into_iter()
                    .collect(),
            )
        }
        Some((a, b)) => {
            let (a, b) = (idx(a, 0)?.max(0), idx(b, n - 1)?.min(n - 1));
            Some(if a > b {
                Vec::new()
            } else {
                hosts[a as usize..=b as usize].to_vec()
            })
        }
    }
}
