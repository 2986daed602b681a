//! Host ranges in inventory names: `web[01:03].example.com`, `db-[a:c]`, `node[1:10:2]`.

/// Expands every `[start:end(:step)]` in `pattern` (zero padding kept).
pub(crate) fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_string()]);
    };
    let Some(close_rel) = pattern[open..].find(']') else {
        return Err(format!("unclosed '[' in host range '{pattern}'"));
    };
    let close = open + close_rel;
    let (head, body, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = body.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!(
            "bad host range '[{body}]' in '{pattern}': expected [start:end] or [start:end:step]"
        ));
    }
    let step: usize = match parts.get(2) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("bad step in host range '[{body}]'"))?,
        None => 1,
    };
    if step == 0 {
        return Err(format!("bad step in host range '[{body}]'"));
    }
    let (start, end) = (parts[0], parts[1]);
    let items: Vec<String> = if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        if a > b {
            return Err(format!("bad host range '[{body}]': start is after end"));
        }
        let width = if start.len() > 1 && start.starts_with('0') {
            start.len()
        } else {
            0
        };
        (a..=b)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else if start.len() == 1 && end.len() == 1 && start.chars().all(|c| c.is_ascii_alphabetic()) {
        let (a, b) = (start.as_bytes()[0], end.as_bytes()[0]);
        if a > b {
            return Err(format!("bad host range '[{body}]': start is after end"));
        }
        (a..=b)
            .step_by(step)
            .map(|c| (c as char).to_string())
            .collect()
    } else {
        return Err(format!("bad host range '[{body}]' in '{pattern}'"));
    };
    let mut out = Vec::new();
    for item in items {
        for rest in expand(tail)? {
            out.push(format!("{head}{item}{rest}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        for (p, want) in [
            ("web[01:03].x", "web01.x web02.x web03.x"),
            ("db-[a:c]", "db-a db-b db-c"),
            ("n[1:7:3]", "n1 n4 n7"),
            ("plain", "plain"),
            ("r[1:2]-[a:b]", "r1-a r1-b r2-a r2-b"),
        ] {
            assert_eq!(expand(p).unwrap().join(" "), want, "{p}");
        }
        assert!(expand("bad[3:1]").is_err());
        assert!(expand("bad[1]").is_err());
    }
}
