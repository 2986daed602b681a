//! Ansible's backslash rule for template strings: inside `{{ … }}`, a string literal's
//! backslashes are taken as they are written. Ansible doubles them before Jinja reads the
//! template, so `'\d+'`, `'\1'` and `'\n'` reach a filter as backslash-d, backslash-one and
//! backslash-n, as YAML already processed the escapes once. `{% … %}` tags, comments, raw
//! blocks and the text around them are left alone, as are template files (the template
//! module renders those without the rule).
//!
//! Owns only this rewrite of a template's source; `mod.rs` decides where it applies.

use std::borrow::Cow;

/// The source with every backslash inside a string literal of a `{{ … }}` block doubled.
pub(crate) fn escape(source: &str) -> Cow<'_, str> {
    if !source.contains('\\') || !source.contains("{{") {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 8);
    let mut rest = source;
    while let Some(start) = next_block(rest) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = match &rest[..2] {
            "{{" => {
                rest = &rest[copy_expression(rest, &mut out)..];
                continue;
            }
            "{#" => rest.find("#}").map_or(rest.len(), |i| i + 2),
            _ if is_raw(rest) => rest.find("endraw").map_or(rest.len(), |i| {
                rest[i..].find("%}").map_or(rest.len(), |j| i + j + 2)
            }),
            _ => scan(rest, "%}", |_, _| {}),
        };
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Where the next `{{`, `{%` or `{#` starts.
fn next_block(s: &str) -> Option<usize> {
    s.match_indices('{')
        .map(|(i, _)| i)
        .find(|&i| matches!(s.as_bytes().get(i + 1), Some(b'{' | b'%' | b'#')))
}

/// True if the tag `s` starts with is `{% raw %}` (with or without whitespace control).
fn is_raw(s: &str) -> bool {
    let inner = s[2..].trim_start_matches(['-', '+']).trim_start();
    inner.starts_with("raw") && inner[3..].trim_start().starts_with(['-', '+', '%'])
}

/// Copies the `{{ … }}` expression `s` starts with, doubling the backslashes of its string
/// literals; returns its length.
fn copy_expression(s: &str, out: &mut String) -> usize {
    let mut last = 0;
    let end = scan(s, "}}", |start, end| {
        out.push_str(&s[last..start]);
        out.push_str(&s[start..end].replace('\\', "\\\\"));
        last = end;
    });
    out.push_str(&s[last..end]);
    end
}

/// Walks a block from its opening delimiter to `close` (outside strings and `{ }` pairs),
/// calling `on_string(start, end)` for each string literal; returns the block's length.
fn scan(s: &str, close: &str, mut on_string: impl FnMut(usize, usize)) -> usize {
    let bytes = s.as_bytes();
    let (mut i, mut depth) = (2, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                on_string(start, i);
                continue;
            }
            b'{' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            _ if depth == 0 && bytes[i..].starts_with(close.as_bytes()) => return i + close.len(),
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn doubles_backslashes_in_strings_of_expressions_only() {
        let cases = [
            (r"no backslash {{ x }}", r"no backslash {{ x }}"),
            (r"a\b {{ x }}", r"a\b {{ x }}"),
            (
                r"{{ x | regex_replace('(\d)', '\1') }}",
                r"{{ x | regex_replace('(\\d)', '\\1') }}",
            ),
            (r#"{{ "a\nb" }} \n"#, r#"{{ "a\\nb" }} \n"#),
            (
                r"{% if x == '\n' %}{{ '\t' }}{% endif %}",
                r"{% if x == '\n' %}{{ '\\t' }}{% endif %}",
            ),
            (r"{# '\n' #}{{ '}}\\' }}", r"{# '\n' #}{{ '}}\\\\' }}"),
            (
                r"{% raw %}{{ '\n' }}{% endraw %}",
                r"{% raw %}{{ '\n' }}{% endraw %}",
            ),
            (r"{{ {'a': {'b': '\s'}} }}", r"{{ {'a': {'b': '\\s'}} }}"),
            (r"{{ 'open\", r"{{ 'open\\"),
        ];
        for (source, want) in cases {
            assert_eq!(escape(source), want, "{source}");
        }
    }
}
