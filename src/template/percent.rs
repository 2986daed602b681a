//! Python's `%` string formatting in expressions (`'%s-%02d' % (name, n)`), which Jinja2
//! evaluates as Python does and minijinja does not: before compiling, a string literal
//! followed by `%` and its operand is rewritten into the `pyformat` filter.

use std::borrow::Cow;

use minijinja::formatting::{format, FormatStyle};
use minijinja::value::Value;
use minijinja::{Environment, Error};

/// Registers the filters the rewrite calls.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("__pyformat", |fmt: String, arg: Value| printf(&fmt, &[arg]));
    env.add_filter("__pyformat_tuple", |fmt: String, args: Vec<Value>| {
        printf(&fmt, &args)
    });
}

fn printf(fmt: &str, args: &[Value]) -> Result<String, Error> {
    format(FormatStyle::Printf, fmt, args)
}

/// `source` (an expression, or a template when `text`) with each `'literal' % operand`
/// rewritten; most sources have no `%` after a quote and come back borrowed.
pub(crate) fn rewrite(source: &str, text: bool) -> Cow<'_, str> {
    if !source.contains('%') || !(source.contains("'") || source.contains('"')) {
        return Cow::Borrowed(source);
    }
    let b = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 16);
    let mut i = 0;
    let mut code = !text;
    let mut changed = false;
    while i < b.len() {
        if text && !code {
            if source[i..].starts_with("{{") || source[i..].starts_with("{%") {
                code = true;
                out.push_str(&source[i..i + 2]);
                i += 2;
                continue;
            }
        } else if text && (source[i..].starts_with("}}") || source[i..].starts_with("%}")) {
            code = false;
            out.push_str(&source[i..i + 2]);
            i += 2;
            continue;
        } else if b[i] == b'\'' || b[i] == b'"' {
            let end = string_end(b, i);
            let mut j = end;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            let is_mod = j < b.len() && b[j] == b'%' && b.get(j + 1) != Some(&b'}');
            if is_mod {
                let start = skip_spaces(b, j + 1);
                let stop = operand_end(b, start);
                if stop > start {
                    let operand = source[start..stop].trim_end();
                    let literal = &source[i..end];
                    out.push_str(&match tuple_items(operand) {
                        Some(items) => format!("({literal} | __pyformat_tuple([{items}]))"),
                        None => format!("({literal} | __pyformat({operand}))"),
                    });
                    changed = true;
                    i = stop;
                    continue;
                }
            }
            out.push_str(&source[i..end]);
            i = end;
            continue;
        }
        let c = source[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(source)
    }
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    i
}

/// The end of the string literal starting at `i` (past its closing quote).
fn string_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() && b[j] != q {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(b.len())
}

/// The end of a bracketed group starting at `i`.
fn group_end(b: &[u8], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\'' | b'"' => {
                j = string_end(b, j);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// The end of the operand of `%`: a unary primary with its attribute, index and call
/// suffixes and any filters (which bind tighter than `%` in Jinja).
fn operand_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    if i < b.len() && b[i] == b'-' {
        i += 1;
    }
    i = primary_end(b, i);
    loop {
        let j = skip_spaces(b, i);
        match b.get(j) {
            Some(b'.') | Some(b'[') | Some(b'(') if j == i => i = primary_end(b, j),
            Some(b'|') if b.get(j + 1) != Some(&b'|') => {
                let k = skip_spaces(b, j + 1);
                let name_end = primary_end(b, k);
                if name_end == k {
                    return i;
                }
                i = name_end;
            }
            _ => return i,
        }
    }
}

/// The end of one primary (or suffix) starting at `i`: a literal, a name, a group.
fn primary_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'\'') | Some(b'"') => string_end(b, i),
        Some(b'(') | Some(b'[') | Some(b'{') => group_end(b, i),
        Some(b'.') => {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            j
        }
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                if b[j] == b'.'
                    && !b
                        .get(j + 1)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    break;
                }
                j += 1;
            }
            j
        }
        _ => i,
    }
}

/// The items of a parenthesized tuple `(a, b)` (or `(a,)`), as text for a list.
fn tuple_items(operand: &str) -> Option<&str> {
    let inner = operand.strip_prefix('(')?.strip_suffix(')')?;
    if group_end(operand.as_bytes(), 0) != operand.len() {
        return None;
    }
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                i = string_end(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => {
                i = group_end(b, i);
                continue;
            }
            b',' => return Some(inner),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_followed_by_percent_become_the_filter() {
        assert_eq!(
            rewrite("'%s-%d' % ('a', 3)", false),
            "('%s-%d' | __pyformat_tuple(['a', 3]))"
        );
        assert_eq!(
            rewrite("'%05.1f' % f ~ 'x'", false),
            "('%05.1f' | __pyformat(f)) ~ 'x'"
        );
        assert_eq!(
            rewrite("'%s' % x.y[0] | upper", false),
            "('%s' | __pyformat(x.y[0] | upper))"
        );
        assert_eq!(
            rewrite("a {{ 'n=%d' % n }} 50%", true),
            "a {{ ('n=%d' | __pyformat(n)) }} 50%"
        );
        assert_eq!(
            rewrite("{% if x %}'%'{% endif %}", true),
            "{% if x %}'%'{% endif %}"
        );
        assert_eq!(rewrite("n % 2", false), "n % 2");
    }
}
