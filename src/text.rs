//! Ansible's conventions for plain-text values, shared by every layer: the words that mean
//! true and false, valid variable names, and `key=value` free-form arguments.
//!
//! A leaf: it imports nothing of ferry's but [`crate::vars`].

use crate::vars::Vars;

/// Ansible's `boolean()` on a string: None when it is not a boolean word.
pub fn ansible_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "1" | "true" | "t" | "y" => Some(true),
        "no" | "off" | "0" | "false" | "f" | "n" | "" => Some(false),
        _ => None,
    }
}

/// A valid Ansible variable name.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits Ansible's `key=value` free-form arguments. Tokens are separated by spaces outside
/// quotes and `{{ }}`/`{% %}`; a `key=value` token whose key is in `keys` (or any key when
/// `keys` is `None`) becomes an argument; the rest stays, as written, in the raw text.
pub fn parse_free_form(text: &str, keys: Option<&[&str]>) -> (Vars, String) {
    let mut params = Vars::new();
    let mut raw: Vec<&str> = Vec::new();
    for token in split_args(text) {
        let param = token.split_once('=').filter(|(k, _)| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && keys.is_none_or(|keys| keys.contains(k))
        });
        match param {
            Some((k, v)) => {
                params.insert(k.to_string(), decode_escapes(&unquote(v)).into());
            }
            None => raw.push(token),
        }
    }
    (params, raw.join(" "))
}

/// Backslash escapes in `key=value` values (`\n`, `\t`, `\\`, quotes), as Ansible's parse_kv
/// decodes them.
fn decode_escapes(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o @ ('\\' | '"' | '\'')) => out.push(o),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

fn split_args(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let next = chars.get(i + 1).map(|&(_, c)| c);
        if start.is_none() && !c.is_whitespace() {
            start = Some(pos);
        }
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => i += 1,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{') if matches!(next, Some('{' | '%' | '#')) => {
                depth += 1;
                i += 1;
            }
            (None, '}' | '%' | '#') if depth > 0 && next == Some('}') => {
                depth -= 1;
                i += 1;
            }
            (None, c) if c.is_whitespace() && depth == 0 => {
                if let Some(s) = start.take() {
                    tokens.push(&text[s..pos]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(s) = start {
        tokens.push(&text[s..]);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_split() {
        let cmd = Some(&["chdir", "creates"][..]);
        for (text, keys, params, raw) in [
            ("docker rmi x", cmd, "{}", "docker rmi x"),
            ("ls -l chdir=/tmp", cmd, r#"{"chdir":"/tmp"}"#, "ls -l"),
            ("echo a=b", cmd, "{}", "echo a=b"),
            (
                "msg='hello world' var=x",
                None,
                r#"{"msg":"hello world","var":"x"}"#,
                "",
            ),
            (
                "msg={{ a ~ ' ' ~ b }}",
                None,
                r#"{"msg":"{{ a ~ ' ' ~ b }}"}"#,
                "",
            ),
            ("echo \"a  b\" 'c d'", cmd, "{}", "echo \"a  b\" 'c d'"),
        ] {
            let (p, r) = parse_free_form(text, keys);
            assert_eq!(serde_json::Value::Object(p).to_string(), params, "{text}");
            assert_eq!(r, raw, "{text}");
        }
    }
}
