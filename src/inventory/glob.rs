//! Shell-style globs in host patterns, translated to a regex as Python's `fnmatch.translate`
//! does (Ansible matches group and host names with it): `*`, `?`, `[seq]`, `[!seq]`, ranges
//! `[a-c]` (reversed ones dropped), and a `[` without its `]` taken literally. The whole name
//! must match, case-sensitively.

/// The regex (for the `regex` crate) equivalent to glob `pattern`.
pub(crate) fn translate(pattern: &str) -> String {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut re = String::from("^(?s:");
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if !re.ends_with(".*") {
                    re.push_str(".*");
                }
            }
            '?' => re.push('.'),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    re.push_str("\\[");
                } else {
                    re.push_str(&class(&pat[i..j]));
                    i = j + 1;
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(")\\z");
    re
}

/// A `[...]` body (without the brackets) as a regex class.
fn class(body: &[char]) -> String {
    let negated = body.first() == Some(&'!');
    let body = if negated { &body[1..] } else { body };
    let mut chunks: Vec<Vec<char>> = Vec::new();
    if body.contains(&'-') {
        // Split at the hyphens that make ranges (not a leading one), as Python does.
        let mut start = 0;
        let mut k = 1;
        while let Some(off) = body
            .get(k..)
            .and_then(|rest| rest.iter().position(|&c| c == '-'))
        {
            let at = k + off;
            chunks.push(body[start..at].to_vec());
            start = at + 1;
            k = at + 3;
        }
        let last = body[start.min(body.len())..].to_vec();
        if last.is_empty() {
            if let Some(prev) = chunks.last_mut() {
                prev.push('-');
            }
        } else {
            chunks.push(last);
        }
        // Drop reversed ranges (invalid in a regex).
        let mut k = chunks.len().saturating_sub(1);
        while k > 0 {
            let (a, b) = (chunks[k - 1].last().copied(), chunks[k].first().copied());
            if let (Some(a), Some(b)) = (a, b) {
                if a > b {
                    let tail: Vec<char> = chunks[k][1..].to_vec();
                    chunks[k - 1].pop();
                    chunks[k - 1].extend(tail);
                    chunks.remove(k);
                }
            }
            k -= 1;
        }
    } else {
        chunks.push(body.to_vec());
    }
    let escaped: Vec<String> = chunks
        .iter()
        .map(|chunk| chunk.iter().map(|&c| escape_in_class(c)).collect())
        .collect();
    let stuff = escaped.join("-");
    match (stuff.is_empty(), negated) {
        (true, false) => "[^\\s\\S]".into(),
        (true, true) => ".".into(),
        (false, true) => format!("[^{stuff}]"),
        (false, false) => format!("[{stuff}]"),
    }
}

/// A character inside a class, escaped when the regex crate would read it as syntax.
fn escape_in_class(c: char) -> String {
    match c {
        '\\' | '-' | '[' | ']' | '^' | '&' | '~' | '|' => format!("\\{c}"),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn globs() {
        for (glob, name, want) in [
            ("web*", "web01", true),
            ("web*", "xweb01", false),
            ("*", "", true),
            ("db-?", "db-a", true),
            ("db-?", "db-ab", false),
            ("db[ab]", "dba", true),
            ("db[!ab]", "dba", false),
            ("db[!ab]", "dbc", true),
            ("db[a-c]", "dbb", true),
            ("db[c-a]", "dbb", false),
            ("db[-a]", "db-", true),
            ("db[a-]", "db-", true),
            ("db[]a]", "db]", true),
            ("db[!]]", "dbx", true),
            ("db[^a]", "db^", true),
            ("db[&&a]", "db&", true),
            ("db[[]", "db[", true),
            ("a.b*", "axb", false),
            ("a.b*", "a.bc", true),
            ("x[", "x[", true),
            ("web\nx", "web\nx", true),
        ] {
            let re = Regex::new(&translate(glob)).unwrap();
            assert_eq!(re.is_match(name), want, "{glob} vs {name:?}");
        }
    }
}
