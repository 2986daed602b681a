//! Ansible's backslash rule for templated values: inside `{{ }}`, each backslash of a string
//! literal is doubled before Jinja reads it, so `'\d+'` and `'C:\Users'` mean what they show
//! and a playbook needs no double escaping. `{% %}` tags, text outside the tags, and template
//! files are left as they are.

use std::borrow::Cow;

/// `template` with the backslashes of string literals inside `{{ }}` doubled.
pub(crate) fn backslashes(template: &str) -> Cow<'_, str> {
    if !template.contains('\\') || !template.contains("{{") {
        return Cow::Borrowed(template);
    }
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open + 2]);
        rest = &rest[open + 2..];
        let end = expression(rest, &mut out);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Copies one expression up to (not including) its closing `}}` into `out`, doubling the
/// backslashes of its string literals; returns how much of `src` it read.
fn expression(src: &str, out: &mut String) -> usize {
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '}' if src[i..].starts_with("}}") => return i,
            '\'' | '"' => {
                out.push(c);
                // The literal as Jinja's lexer finds it: a backslash escapes the next char.
                while let Some((_, d)) = chars.next() {
                    if d == '\\' {
                        out.push_str("\\\\");
                        if let Some((_, e)) = chars.next() {
                            if e == '\\' {
                                out.push_str("\\\\");
                            } else {
                                out.push(e);
                            }
                        }
                        continue;
                    }
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_backslashes_in_literals_inside_expressions_only() {
        for (src, want) in [
            (
                r"{{ x | regex_replace('(\d+)', '<\1>') }}",
                r"{{ x | regex_replace('(\\d+)', '<\\1>') }}",
            ),
            (r"a\b {{ 'C:\Users' }} c\d", r"a\b {{ 'C:\\Users' }} c\d"),
            (r"{% if x %}\n{% endif %}", r"{% if x %}\n{% endif %}"),
            (r#"{{ "a\\b" }}"#, r#"{{ "a\\\\b" }}"#),
            ("{{ x }}", "{{ x }}"),
        ] {
            assert_eq!(backslashes(src), want, "{src}");
        }
    }
}
