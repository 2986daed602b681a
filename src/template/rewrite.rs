//! Source rewrites before compiling, for what Jinja2 evaluates and minijinja does not:
//! - Python's `%` string formatting (`'%s-%02d' % (name, n)`): a string literal followed by
//!   `%` and its operand becomes the `__pyformat` filter;
//! - a conditional expression without `else` (`{{ '--force' if force }}`), which Jinja2
//!   renders as nothing when false: it gets `else none`;
//! - `{% set name = [..] %}` and `{..}`: a list or mapping the template can change;
//! - `{% block %}` inside a `{% macro %}` (minijinja refuses it): rendered in place;
//! - filter and test names routed to ferry's own or to Python plugins (`plugin_names.rs`);
//! - lookups (`a.b`, `a[k]`) made chainable on undefined values (`chains.rs`), last.

use std::borrow::Cow;
use std::sync::OnceLock;

use minijinja::formatting::{format, FormatStyle};
use minijinja::value::Value;
use minijinja::{Environment, Error};
use regex::Regex;

/// Registers the filters the rewrite calls.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("__pyformat", |fmt: String, arg: Value| printf(&fmt, &[arg]));
    env.add_filter("__pyformat_tuple", |fmt: String, args: Vec<Value>| {
        printf(&fmt, &args)
    });
}

/// Python's `fmt % args`; an undefined argument fails, as Ansible's undefined does.
fn printf(fmt: &str, args: &[Value]) -> Result<String, Error> {
    if args.iter().any(Value::is_undefined) {
        return Err(Error::new(
            minijinja::ErrorKind::UndefinedError,
            "format argument",
        ));
    }
    format(FormatStyle::Printf, fmt, args)
}

/// `source` (an expression, or a template when `text`) with the rewrites applied; most
/// sources need none and come back borrowed.
pub(crate) fn rewrite(source: &str, text: bool) -> Cow<'_, str> {
    let steps: [Step; 7] = [
        super::plugin_names::rewrite,
        percent,
        missing_else,
        date_difference,
        mutable_sets,
        blocks_in_macros,
        chains,
    ];
    apply(source, text, &steps)
}

/// A template file read with other delimiters than `{{ }}` and `{% %}`: its filter and test
/// names routed where those delimiters put code, then the rewrites that do not depend on them.
pub(crate) fn rewrite_custom_delimiters<'a>(
    source: &'a str,
    delimiters: &super::plugin_names::Delimiters,
) -> Cow<'a, str> {
    let routed = super::plugin_names::rewrite_template(source, delimiters);
    let done = match apply(&routed, true, &[percent, missing_else, date_difference]) {
        Cow::Owned(changed) => Cow::Owned(changed),
        Cow::Borrowed(_) => routed,
    };
    let [bs, be, vs, ve, cs, ce] = delimiters.clone();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .block_delimiters(bs, be)
        .variable_delimiters(vs, ve)
        .comment_delimiters(cs, ce)
        .build();
    match (syntax, &done) {
        (Ok(syntax), _) => match super::chains::chainable(&done, true, syntax) {
            Cow::Owned(changed) => Cow::Owned(changed),
            Cow::Borrowed(_) => done,
        },
        (Err(_), _) => done,
    }
}

/// Lookups made chainable (`chains.rs`), in a source read with Jinja's delimiters.
fn chains(source: &str, text: bool) -> Cow<'_, str> {
    super::chains::chainable(source, text, minijinja::syntax::SyntaxConfig::default())
}

type Step = fn(&str, bool) -> Cow<'_, str>;

fn apply<'a>(source: &'a str, text: bool, steps: &[Step]) -> Cow<'a, str> {
    let mut current = Cow::Borrowed(source);
    for step in steps {
        if let Cow::Owned(changed) = step(&current, text) {
            current = Cow::Owned(changed);
        }
    }
    current
}

/// `{% set name = [..] %}` / `{% set name = {..} %}`: the value wrapped in `__mutable`, so
/// the template may `append` to it or `update` it (`mutable.rs`).
fn mutable_sets(source: &str, text: bool) -> Cow<'_, str> {
    static SET: OnceLock<Regex> = OnceLock::new();
    if !text || !source.contains("set") {
        return Cow::Borrowed(source);
    }
    let re = SET.get_or_init(|| {
        Regex::new(r"(?s)(\{%[-+]?\s*set\s+[A-Za-z_][A-Za-z0-9_]*\s*=\s*)([\[{].*?)(\s*[-+]?%\})")
            .expect("valid regex")
    });
    re.replace_all(source, "${1}__mutable((${2}))${3}")
}

/// `{% block %}` inside a `{% macro %}`, which minijinja refuses and Jinja2 renders in place
/// when no child template overrides it: an `{% if true %}` with the same whitespace control.
/// (A child template's override of such a block is not seen.)
fn blocks_in_macros(source: &str, text: bool) -> Cow<'_, str> {
    static MACRO: OnceLock<Regex> = OnceLock::new();
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    static END: OnceLock<Regex> = OnceLock::new();
    if !text || !source.contains("macro") || !source.contains("block") {
        return Cow::Borrowed(source);
    }
    let macro_re = MACRO.get_or_init(|| {
        Regex::new(r"(?s)\{%[-+]?\s*macro\b.*?\{%[-+]?\s*endmacro\s*[-+]?%\}").expect("valid regex")
    });
    let block = BLOCK.get_or_init(|| {
        Regex::new(r"\{%([-+]?)\s*block\s+\w+(?:\s+scoped)?(?:\s+required)?\s*([-+]?)%\}")
            .expect("valid regex")
    });
    let end = END.get_or_init(|| {
        Regex::new(r"\{%([-+]?)\s*endblock(?:\s+\w+)?\s*([-+]?)%\}").expect("valid regex")
    });
    let changed = macro_re.replace_all(source, |c: &regex::Captures| {
        let opened = block.replace_all(&c[0], "{%${1} if true ${2}%}");
        end.replace_all(&opened, "{%${1} endif ${2}%}").into_owned()
    });
    match changed {
        Cow::Owned(s) if s != source => Cow::Owned(s),
        _ => Cow::Borrowed(source),
    }
}

/// `(a | to_datetime) - (b | to_datetime)` (or `now() - (...)`): the `__sub` function, which
/// subtracts datetimes into a timedelta as Python does.
fn date_difference(source: &str, _text: bool) -> Cow<'_, str> {
    if !(source.contains("to_datetime") || source.contains("now(")) || !source.contains(") - (") {
        return Cow::Borrowed(source);
    }
    let b = source.as_bytes();
    let Some(minus) = source.find(") - (") else {
        return Cow::Borrowed(source);
    };
    let left_end = minus + 1;
    let Some(mut left_start) = group_start(b, minus) else {
        return Cow::Borrowed(source);
    };
    while left_start > 0 && is_word(b[left_start - 1]) {
        left_start -= 1;
    }
    let right_start = minus + 4;
    let right_end = group_end(b, right_start);
    let rewritten = format!(
        "{}__sub({}, {}){}",
        &source[..left_start],
        &source[left_start..left_end],
        &source[right_start..right_end],
        &source[right_end..]
    );
    Cow::Owned(date_difference(&rewritten, _text).into_owned())
}

/// The start of the bracketed group that ends at `end` (its closing bracket).
fn group_start(b: &[u8], end: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = end as isize;
    while i >= 0 {
        match b[i as usize] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i as usize);
                }
            }
            _ => {}
        }
        i -= 1;
    }
    None
}

/// Each `'literal' % operand` rewritten.
fn percent(source: &str, text: bool) -> Cow<'_, str> {
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
pub(super) fn string_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() && b[j] != q {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(b.len())
}

/// The end of a bracketed group starting at `i`.
fn group_end(b: &[u8], i: usize) -> usize {
    code(b, i)
        .find(|&(_, c, depth)| depth == 1 && matches!(c, b')' | b']' | b'}'))
        .map(|(at, _, _)| at + 1)
        .unwrap_or(b.len())
}

/// The bytes of `b` from `from` that are outside string literals, each with the bracket
/// depth before it.
fn code(b: &[u8], from: usize) -> impl Iterator<Item = (usize, u8, i32)> + '_ {
    let (mut i, mut depth) = (from, 0);
    std::iter::from_fn(move || {
        while i < b.len() && (b[i] == b'\'' || b[i] == b'"') {
            i = string_end(b, i);
        }
        let c = *b.get(i)?;
        let item = (i, c, depth);
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
        Some(item)
    })
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
    code(inner.as_bytes(), 0)
        .any(|(_, c, depth)| c == b',' && depth == 0)
        .then_some(inner)
}

/// `else none` added to each expression (a whole `source`, or each `{{ }}` of a template)
/// whose conditional has no `else`.
fn missing_else(source: &str, text: bool) -> Cow<'_, str> {
    if !source.contains(" if ") {
        return Cow::Borrowed(source);
    }
    if !text {
        return match lacks_else(source) {
            true => Cow::Owned(format!("{source} else none")),
            false => Cow::Borrowed(source),
        };
    }
    let mut out = String::with_capacity(source.len() + 16);
    let mut rest = source;
    let mut changed = false;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open + 2]);
        rest = &rest[open + 2..];
        let close = expression_end(rest.as_bytes());
        let (expr, trim) = match rest[..close].strip_suffix('-') {
            Some(e) => (e, "-"),
            None => (&rest[..close], ""),
        };
        out.push_str(expr);
        if lacks_else(expr) {
            out.push_str(" else none ");
            changed = true;
        }
        out.push_str(trim);
        rest = &rest[close..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(source)
    }
}

/// Where the expression starting at the beginning of `b` ends (its `}}`).
fn expression_end(b: &[u8]) -> usize {
    code(b, 0)
        .find(|&(at, c, _)| c == b'}' && b.get(at + 1) == Some(&b'}'))
        .map(|(at, _, _)| at)
        .unwrap_or(b.len())
}

/// Whether an expression has more `if`s than `else`s outside brackets and strings.
fn lacks_else(expr: &str) -> bool {
    let b = expr.as_bytes();
    let (mut ifs, mut elses) = (0, 0);
    for (at, c, depth) in code(b, 0) {
        let word_start = (c.is_ascii_alphabetic() || c == b'_') && (at == 0 || !is_word(b[at - 1]));
        if !word_start || depth != 0 {
            continue;
        }
        let len = b[at..].iter().take_while(|c| is_word(**c)).count();
        match &expr[at..at + len] {
            "if" => ifs += 1,
            "else" => elses += 1,
            _ => {}
        }
    }
    ifs > elses
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_followed_by_percent_become_the_filter() {
        assert_eq!(
            percent("'%s-%d' % ('a', 3)", false),
            "('%s-%d' | __pyformat_tuple(['a', 3]))"
        );
        assert_eq!(
            percent("'%05.1f' % f ~ 'x'", false),
            "('%05.1f' | __pyformat(f)) ~ 'x'"
        );
        assert_eq!(
            percent("'%s' % x.y[0] | upper", false),
            "('%s' | __pyformat(x.y[0] | upper))"
        );
        assert_eq!(
            percent("a {{ 'n=%d' % n }} 50%", true),
            "a {{ ('n=%d' | __pyformat(n)) }} 50%"
        );
        assert_eq!(
            percent("{% if x %}'%'{% endif %}", true),
            "{% if x %}'%'{% endif %}"
        );
        assert_eq!(percent("n % 2", false), "n % 2");
    }

    #[test]
    fn datetime_differences_become_sub() {
        assert_eq!(
            date_difference("((a | to_datetime) - (b | to_datetime)).days", false),
            "(__sub((a | to_datetime), (b | to_datetime))).days"
        );
        assert_eq!(
            date_difference("(now() - (b | to_datetime)).days", false),
            "(__sub(now(), (b | to_datetime))).days"
        );
        assert_eq!(date_difference("(a) - (b)", false), "(a) - (b)");
    }

    #[test]
    fn conditionals_without_else_get_one() {
        assert_eq!(missing_else("1 if x", false), "1 if x else none");
        assert_eq!(missing_else("1 if x else 2", false), "1 if x else 2");
        assert_eq!(
            missing_else("a {{ '-f' if force -}} b", true),
            "a {{ '-f' if force  else none -}} b"
        );
        assert_eq!(
            missing_else("{% if x %}{{ 'if' }}{% endif %}", true),
            "{% if x %}{{ 'if' }}{% endif %}"
        );
        assert_eq!(
            missing_else("[1 if x else 2, 3] | first if y", false),
            "[1 if x else 2, 3] | first if y else none"
        );
    }
}
