//! Host keys of INI and YAML inventories: an optional port (`web1:2222`) and host ranges
//! (`web[01:03].example.com`, `db-[a:c]`, `node[1:9:2]`, `web[:2]`), expanded as Ansible's
//! `expand_hostname_range` does: zero padding of the start is kept (start and end must then be
//! equally long), letter ranges run through `a-zA-Z`, several ranges multiply.
//!
//! One deliberate difference: a numeric range whose start is after its end is an error here,
//! where Ansible silently adds no host.

use crate::inventory::address;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A host range that cannot be expanded: the host key and what is wrong with its range.
#[derive(Debug, thiserror::Error)]
#[error("bad host range in '{line}': {why}")]
pub(crate) struct RangeError {
    line: String,
    why: &'static str,
}

/// The host names and port of a host key: `web[1:2]:22` → (["web1", "web2"], Some(22)).
pub(crate) fn expand_hostpattern(key: &str) -> Result<(Vec<String>, Option<u64>), RangeError> {
    let (pattern, port) = address::parse(key, true).unwrap_or_else(|| (key.to_string(), None));
    let names = if pattern.contains('[') {
        expand(&pattern)?
    } else {
        vec![pattern]
    };
    Ok((names, port))
}

/// Expands the first `[begin:end(:step)]` of `line`, then the rest, recursively.
pub(crate) fn expand(line: &str) -> Result<Vec<String>, RangeError> {
    let bad = |why: &'static str| RangeError {
        line: line.to_string(),
        why,
    };
    // Ansible splits at the first '[' and the first ']', whatever their order.
    let marked = line.replacen('[', "|", 1).replacen(']', "|", 1);
    let [head, body, tail] = marked.split('|').collect::<Vec<_>>()[..] else {
        return Err(bad("expected one [begin:end] or [begin:end:step]"));
    };
    let bounds: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&bounds.len()) {
        return Err(bad("a range is [begin:end] or [begin:end:step]"));
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(bad("the range has no end"));
    }
    let width = if begin.len() > 1 && begin.starts_with('0') {
        if begin.len() != end.len() {
            return Err(bad(
                "a zero-padded begin and the end must have the same length",
            ));
        }
        begin.len()
    } else {
        0
    };
    let step = match bounds.get(2) {
        None => 1,
        Some(s) => match py_int(s) {
            Some(n) if n > 0 => n as usize,
            _ => return Err(bad("the step must be a positive number")),
        },
    };
    let items = sequence(begin, end, step).map_err(bad)?;
    let mut out = Vec::new();
    for item in items {
        let name = format!("{head}{item:0>width$}{tail}");
        if name.contains('[') {
            out.extend(expand(&name)?);
        } else {
            out.push(name);
        }
    }
    Ok(out)
}

/// The items of a letter range (when both ends are found in `a-zA-Z`), else a numeric one.
fn sequence(begin: &str, end: &str, step: usize) -> Result<Vec<String>, &'static str> {
    if let (Some(b), Some(e)) = (LETTERS.find(begin), LETTERS.find(end)) {
        if b > e {
            return Err("the begin is after the end");
        }
        return Ok(LETTERS[b..=e]
            .chars()
            .step_by(step)
            .map(String::from)
            .collect());
    }
    let (Some(b), Some(e)) = (py_int(begin), py_int(end)) else {
        return Err("begin and end must both be numbers or both be letters");
    };
    if b > e {
        return Err("the begin is after the end");
    }
    Ok((b..=e).step_by(step).map(|n| n.to_string()).collect())
}

/// An integer as Python's `int()` reads text: blanks around, a sign, `_` between digits.
fn py_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    let n: i64 = digits.replace('_', "").parse().ok().filter(|_| ok)?;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        for (key, want) in [
            ("web[01:03].x", Ok("web01.x web02.x web03.x")),
            ("db-[a:c]", Ok("db-a db-b db-c")),
            ("n[1:7:3]", Ok("n1 n4 n7")),
            ("r[1:2]-[a:b]", Ok("r1-a r1-b r2-a r2-b")),
            ("web[:2]", Ok("web0 web1 web2")),
            ("web[x:B]", Ok("webx weby webz webA webB")),
            ("web[8:11]", Ok("web8 web9 web10 web11")),
            ("web[08:11]", Ok("web08 web09 web10 web11")),
            ("10.0.0.[1:2]", Ok("10.0.0.1 10.0.0.2")),
            ("bad[3:1]", Err("bad host range in 'bad[3:1]': the begin is after the end")),
            ("bad[c:a]", Err("bad host range in 'bad[c:a]': the begin is after the end")),
            ("bad[1]", Err("bad host range in 'bad[1]': a range is [begin:end] or [begin:end:step]")),
            ("bad[1:]", Err("bad host range in 'bad[1:]': the range has no end")),
            ("bad[01:100]", Err("bad host range in 'bad[01:100]': a zero-padded begin and the end must have the same length")),
            ("bad[1:3:0]", Err("bad host range in 'bad[1:3:0]': the step must be a positive number")),
            ("bad[a:5]", Err("bad host range in 'bad[a:5]': begin and end must both be numbers or both be letters")),
            ("[web", Err("bad host range in '[web': expected one [begin:end] or [begin:end:step]")),
        ] {
            let got = expand(key).map(|v| v.join(" ")).map_err(|e| e.to_string());
            assert_eq!(got.as_deref().map_err(String::as_str), want, "{key}");
        }
    }

    #[test]
    fn host_patterns() {
        for (key, names, port) in [
            ("web1", "web1", None),
            ("web1:2222", "web1", Some(2222)),
            ("web[1:2]:22", "web1 web2", Some(22)),
            ("[::1]:22", "::1", Some(22)),
            ("host:abc", "host:abc", None),
            ("fe80::1", "fe80::1", None),
        ] {
            let (got, p) = expand_hostpattern(key).unwrap();
            assert_eq!((got.join(" ").as_str(), p), (names, port), "{key}");
        }
    }
}
