//! Filter and test names as Ansible resolves them, made names minijinja answers: a rewrite
//! step (`rewrite.rs` runs it) over the code of a template or expression.
//!
//! - `ansible.builtin.NAME` and `ansible.legacy.NAME` of one of ansible-core's filters or tests
//!   that ferry has natively become `NAME`;
//! - any other name ferry has no native filter or test for (`ns.coll.name`, a name from a
//!   `filter_plugins/` directory, one of Jinja2's ferry lacks) becomes a call of
//!   `__pyfilter('name', args...)` or `__pytest('name', args...)`, which runs it in Python
//!   (`pyplugins/`), where an unknown name fails with Ansible's `Could not load "name"`;
//! - the same holds for the names `map`, `select`, `reject`, `selectattr` and `rejectattr`
//!   take as string arguments.
//!
//! A template that names only native filters and tests comes back as it is.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::builtin_names::{ANSIBLE_FILTERS, ANSIBLE_TESTS};
use super::rewrite::string_end;

/// A filter or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Filter,
    Test,
}

/// What becomes of a name.
#[derive(Debug, PartialEq)]
enum Route<'a> {
    /// Native as written.
    Keep,
    /// Native under this short name.
    Rename(&'a str),
    /// Run in Python.
    Python,
}

impl Kind {
    fn ansible_names(self) -> &'static [&'static str] {
        match self {
            Kind::Filter => ANSIBLE_FILTERS,
            Kind::Test => ANSIBLE_TESTS,
        }
    }

    /// The generic call that runs a plugin of this kind in Python.
    fn generic(self) -> &'static str {
        match self {
            Kind::Filter => "__pyfilter",
            Kind::Test => "__pytest",
        }
    }

    /// Whether ferry's environment has `name` natively. minijinja lists no names, so each is
    /// asked once: a call without arguments fails as unknown only for a name it lacks.
    fn native(self, name: &str) -> bool {
        static SEEN: OnceLock<Mutex<HashMap<(Kind, String), bool>>> = OnceLock::new();
        let seen = || SEEN.get_or_init(Mutex::default).lock();
        let key = (self, name.to_string());
        if let Some(known) = seen().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return *known;
        }
        // Asked without the lock held: the call must not wait on a template it renders.
        let mut state = super::compiled::env().empty_state();
        let unknown = match self {
            Kind::Filter => state.apply_filter(name, &[]).err(),
            Kind::Test => state.perform_test(name, &[]).err(),
        };
        let native = !unknown.is_some_and(|e| {
            matches!(
                e.kind(),
                minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownTest
            )
        });
        seen()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, native);
        native
    }

    fn route(self, name: &str) -> Route<'_> {
        let short = name
            .strip_prefix("ansible.builtin.")
            .or_else(|| name.strip_prefix("ansible.legacy."));
        match short {
            Some(short) if self.ansible_names().binary_search(&short).is_ok() => {
                match self.native(short) {
                    true => Route::Rename(short),
                    false => Route::Python,
                }
            }
            Some(_) => Route::Python,
            None if self.native(name) => Route::Keep,
            None => Route::Python,
        }
    }
}

/// `source` (a template when `text`, else an expression) with its filter and test names
/// routed; borrowed when nothing changes.
pub(crate) fn rewrite(source: &str, text: bool) -> Cow<'_, str> {
    match text {
        true => rewrite_template(source, &DEFAULT_DELIMITERS),
        false => rewrite_ranges(source, vec![(0, source.len())]),
    }
}

/// Jinja's delimiters: block, variable and comment start and end strings.
pub(crate) type Delimiters = [String; 6];

static DEFAULT_DELIMITERS: std::sync::LazyLock<Delimiters> =
    std::sync::LazyLock::new(|| ["{%", "%}", "{{", "}}", "{#", "#}"].map(String::from));

/// A template read with `delimiters`, with its filter and test names routed.
pub(crate) fn rewrite_template<'a>(source: &'a str, delimiters: &Delimiters) -> Cow<'a, str> {
    rewrite_ranges(source, code_ranges(source, delimiters))
}

fn rewrite_ranges(source: &str, ranges: Vec<(usize, usize)>) -> Cow<'_, str> {
    let mut out = String::with_capacity(source.len() + 32);
    let mut changed = false;
    let mut done = 0;
    for (start, end) in ranges {
        out.push_str(&source[done..start]);
        changed |= rewrite_code(&source[start..end], &mut out);
        done = end;
    }
    if !changed {
        return Cow::Borrowed(source);
    }
    out.push_str(&source[done..]);
    Cow::Owned(out)
}

/// The byte ranges of a template that are code: the insides of its variable and block tags,
/// outside `raw` blocks and comments.
fn code_ranges(source: &str, delimiters: &Delimiters) -> Vec<(usize, usize)> {
    let [block, block_end, var, var_end, comment, comment_end] = delimiters.each_ref();
    let b = source.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    loop {
        let next = [(block, block_end), (var, var_end), (comment, comment_end)]
            .into_iter()
            .filter_map(|(open, close)| Some((source[i..].find(open.as_str())? + i, open, close)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, open, close)) = next else {
            return ranges;
        };
        let start = at + open.len();
        let end = code_end(b, start, close);
        i = (end + close.len()).min(b.len());
        if open == comment {
            i = source[start..]
                .find(close.as_str())
                .map_or(b.len(), |p| start + p + close.len());
        } else if open == block && is_word(&source[start..end], "raw") {
            i = raw_end(source, end, block, block_end);
        } else {
            ranges.push((start, end));
        }
    }
}

/// Where the code starting at `i` ends: at `close` outside string literals.
fn code_end(b: &[u8], mut i: usize, close: &str) -> usize {
    while i < b.len() {
        if b[i] == b'\'' || b[i] == b'"' {
            i = string_end(b, i);
        } else if b[i..].starts_with(close.as_bytes()) {
            return i;
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Whether a tag's code is `word` alone (with whitespace control marks).
fn is_word(code: &str, word: &str) -> bool {
    code.trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '+') == word
}

/// The end of the `endraw` tag after a raw block starting at `from`.
fn raw_end(source: &str, from: usize, open: &str, close: &str) -> usize {
    let mut i = from;
    while let Some(at) = source[i..].find(open).map(|p| p + i) {
        let end = code_end(source.as_bytes(), at + open.len(), close);
        if is_word(&source[at + open.len()..end], "endraw") {
            return (end + close.len()).min(source.len());
        }
        i = end;
    }
    source.len()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end of the identifier starting at `i` (`i` when there is none).
fn ident_end(b: &[u8], i: usize) -> usize {
    if i >= b.len() || !(b[i].is_ascii_alphabetic() || b[i] == b'_') {
        return i;
    }
    let mut j = i;
    while j < b.len() && is_ident(b[j]) {
        j += 1;
    }
    j
}

/// The end of the dotted name (`a`, `ns.coll.a`) starting at `i`.
fn name_end(b: &[u8], i: usize) -> usize {
    let mut end = ident_end(b, i);
    while end > i && b.get(end) == Some(&b'.') && ident_end(b, end + 1) > end + 1 {
        end = ident_end(b, end + 1);
    }
    end
}

/// Rewrites the names in one piece of code into `out`; whether any changed.
fn rewrite_code(code: &str, out: &mut String) -> bool {
    let b = code.as_bytes();
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            let end = string_end(b, i);
            out.push_str(&code[i..end]);
            i = end;
        } else if c == b'|' {
            let at = skip_spaces(b, i + 1);
            out.push_str(&code[i..at]);
            i = name_use(code, at, Kind::Filter, out, &mut changed);
        } else if is_ident(c) {
            let start = i;
            i = ident_end(b, i).max(i + 1);
            out.push_str(&code[start..i]);
            if &code[start..i] == "is" && (start == 0 || b[start - 1] != b'.') {
                i = after_is(code, i, out, &mut changed);
            }
        } else {
            let ch = code[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    changed
}

/// After the word `is` ending at `i`: an optional `not`, then a test's name.
fn after_is(code: &str, i: usize, out: &mut String, changed: &mut bool) -> usize {
    let b = code.as_bytes();
    let mut at = skip_spaces(b, i);
    if at == i {
        return i;
    }
    if ident_end(b, at) == at + 3 && &code[at..at + 3] == "not" {
        at = skip_spaces(b, at + 3);
    }
    out.push_str(&code[i..at]);
    name_use(code, at, Kind::Test, out, changed)
}

/// The filter or test name at `at`, written to `out` as routed; where the code goes on.
fn name_use(code: &str, at: usize, kind: Kind, out: &mut String, changed: &mut bool) -> usize {
    let b = code.as_bytes();
    let end = name_end(b, at);
    let name = &code[at..end];
    if name.is_empty() {
        return at;
    }
    match kind.route(name) {
        Route::Keep => {
            out.push_str(name);
            if kind == Kind::Filter {
                return name_arguments(code, end, name, out, changed);
            }
            end
        }
        Route::Rename(short) => {
            *changed = true;
            out.push_str(short);
            end
        }
        Route::Python => {
            *changed = true;
            out.push_str(&format!("{}('{name}'", kind.generic()));
            let open = skip_spaces(b, end);
            if b.get(open) != Some(&b'(') {
                // `x is t 3`: a test takes one argument without brackets.
                let arg_end = match kind {
                    Kind::Test => bare_argument_end(b, open),
                    Kind::Filter => open,
                };
                if arg_end > open {
                    out.push_str(&format!(", {})", &code[open..arg_end]));
                    return arg_end;
                }
                out.push(')');
                return end;
            }
            let first = skip_spaces(b, open + 1);
            if b.get(first) == Some(&b')') {
                out.push(')');
                return first + 1;
            }
            out.push_str(", ");
            first
        }
    }
}

/// The end of the one argument a test takes without brackets, starting at `at` (`at` when
/// there is none): a string, a number or a dotted variable, as Jinja reads `x is t arg`.
fn bare_argument_end(b: &[u8], at: usize) -> usize {
    match b.get(at) {
        Some(b'\'' | b'"') => string_end(b, at),
        Some(c) if c.is_ascii_digit() => {
            let mut j = at;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_') {
                j += 1;
            }
            j
        }
        Some(_) => {
            let end = name_end(b, at);
            let word = std::str::from_utf8(&b[at..end]).unwrap_or_default();
            match word {
                "and" | "or" | "else" | "is" | "if" | "not" | "in" => at,
                _ => end,
            }
        }
        None => at,
    }
}

/// The string arguments of `map`, `select`, `reject` (the first) and `selectattr`,
/// `rejectattr` (the second) that name a filter or test, routed.
fn name_arguments(
    code: &str,
    end: usize,
    filter: &str,
    out: &mut String,
    changed: &mut bool,
) -> usize {
    let (kind, skip) = match filter {
        "map" => (Kind::Filter, 0),
        "select" | "reject" => (Kind::Test, 0),
        "selectattr" | "rejectattr" => (Kind::Test, 1),
        _ => return end,
    };
    let b = code.as_bytes();
    let open = skip_spaces(b, end);
    if b.get(open) != Some(&b'(') {
        return end;
    }
    let mut at = skip_spaces(b, open + 1);
    for _ in 0..skip {
        if !matches!(b.get(at), Some(b'\'' | b'"')) {
            return end;
        }
        at = skip_spaces(b, string_end(b, at));
        if b.get(at) != Some(&b',') {
            return end;
        }
        at = skip_spaces(b, at + 1);
    }
    if !matches!(b.get(at), Some(b'\'' | b'"')) {
        return end;
    }
    let close = string_end(b, at);
    let name = &code[at + 1..close.saturating_sub(1).max(at + 1)];
    if name_end(name.as_bytes(), 0) != name.len() || name.is_empty() {
        return end;
    }
    out.push_str(&code[end..at]);
    match kind.route(name) {
        Route::Keep => out.push_str(&code[at..close]),
        Route::Rename(short) => out.push_str(&format!("'{short}'")),
        Route::Python => out.push_str(&format!("'{}', '{name}'", kind.generic())),
    }
    *changed |= kind.route(name) != Route::Keep;
    close
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_names_to_native_filters_or_python() {
        for (source, text, want) in [
            ("x | to_json", false, "x | to_json"),
            ("x | ansible.builtin.to_json", false, "x | to_json"),
            (
                "x | ansible.legacy.to_json(indent=2)",
                false,
                "x | to_json(indent=2)",
            ),
            (
                "x | ansible.builtin.upper",
                false,
                "x | __pyfilter('ansible.builtin.upper')",
            ),
            ("x | ns.coll.f", false, "x | __pyfilter('ns.coll.f')"),
            ("x | ns.coll.f()", false, "x | __pyfilter('ns.coll.f')"),
            (
                "x | ns.coll.f ( 1, k=2 )",
                false,
                "x | __pyfilter('ns.coll.f', 1, k=2 )",
            ),
            ("x|my_own|upper", false, "x|__pyfilter('my_own')|upper"),
            ("x is ansible.builtin.match('a')", false, "x is match('a')"),
            (
                "x is not ns.c.t(1)",
                false,
                "x is not __pytest('ns.c.t', 1)",
            ),
            (
                "x is ns.c.t 3 and y",
                false,
                "x is __pytest('ns.c.t', 3) and y",
            ),
            (
                "x is ns.c.t y.z or 1",
                false,
                "x is __pytest('ns.c.t', y.z) or 1",
            ),
            ("x is ns.c.t 'a'", false, "x is __pytest('ns.c.t', 'a')"),
            ("x is ns.c.t and y", false, "x is __pytest('ns.c.t') and y"),
            (
                "x is defined and this is ns.c.t",
                false,
                "x is defined and this is __pytest('ns.c.t')",
            ),
            ("'a | ns.c.f' ~ this_is", false, "'a | ns.c.f' ~ this_is"),
            (
                "l | map('ns.c.f', 1) | list",
                false,
                "l | map('__pyfilter', 'ns.c.f', 1) | list",
            ),
            (
                "l | map('ansible.builtin.to_json')",
                false,
                "l | map('to_json')",
            ),
            ("l | map(attribute='a')", false, "l | map(attribute='a')"),
            (
                "l | select('ns.c.t')",
                false,
                "l | select('__pytest', 'ns.c.t')",
            ),
            (
                "l | selectattr('a', 'ns.c.t', 2)",
                false,
                "l | selectattr('a', '__pytest', 'ns.c.t', 2)",
            ),
            (
                "a {{ x | ns.c.f }} b",
                true,
                "a {{ x | __pyfilter('ns.c.f') }} b",
            ),
            (
                "{% if x is ns.c.t %}|y{% endif %}",
                true,
                "{% if x is __pytest('ns.c.t') %}|y{% endif %}",
            ),
            (
                "{# x | ns.c.f #}{% raw %}{{ x | ns.c.f }}{% endraw %}",
                true,
                "{# x | ns.c.f #}{% raw %}{{ x | ns.c.f }}{% endraw %}",
            ),
            ("a | b {{ x }}", true, "a | b {{ x }}"),
        ] {
            assert_eq!(rewrite(source, text), want, "{source}");
        }
    }

    #[test]
    fn leaves_native_templates_borrowed() {
        let source = "{{ x | default('a') | to_json }} {% if y is defined %}1{% endif %}";
        assert!(matches!(rewrite(source, true), Cow::Borrowed(_)));
    }
}
