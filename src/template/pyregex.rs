//! Python's `re` on top of `fancy-regex`: a Python pattern is translated to fancy-regex's
//! syntax, matches are walked as Python's `finditer` walks them, and `re.sub` replacement
//! templates (`\1`, `\g<1>`, `\g<name>`) are parsed as Python parses them.
//!
//! fancy-regex hands a pattern without lookaround or backreferences to the `regex` crate, so
//! plain patterns cost no backtracking. Python-only syntax is translated: `\Z` (end of text),
//! `$` (end, or before a final newline), a `{` that is no quantifier (a literal), `[` inside a
//! class (a literal), `\u`/`\U`/`\0` escapes. Escapes Python refuses (`\p`, `\e`, ...) are
//! refused too, so a pattern fails in ferry when it fails in Ansible.
//!
//! Owns the regex engine; the filters and tests that use it live in `regex.rs` and
//! `predicates.rs`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use fancy_regex::{Captures, Regex};
use minijinja::Error;

use super::values::err;

/// The flags of a compiled pattern: Python's `re.I`, `re.M`, and how a match is anchored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Flags {
    pub(crate) ignorecase: bool,
    pub(crate) multiline: bool,
    pub(crate) anchor: Anchor,
}

/// Where a match may be: anywhere (`re.search`), at the start (`re.match`), the whole text
/// (`re.fullmatch`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Anchor {
    Full,
    #[default]
    None,
    Start,
}

/// One piece of a replacement template.
#[derive(Debug, PartialEq)]
enum Piece {
    Group(usize),
    Text(String),
}

/// A parsed `re.sub` replacement.
#[derive(Debug)]
pub(crate) struct Replacement(Vec<Piece>);

/// The compiled form of a Python pattern (cached per thread: templates in loops reuse it).
pub(crate) fn compile(pattern: &str, flags: Flags) -> Result<Arc<Regex>, Error> {
    const KEPT: usize = 64;
    thread_local! {
        static CACHE: RefCell<HashMap<(String, Flags), Arc<Regex>>> = RefCell::default();
    }
    let key = (pattern.to_string(), flags);
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(hit);
    }
    let invalid =
        |e: &dyn std::fmt::Display| err(format!("invalid regular expression '{pattern}': {e}"));
    let multiline = flags.multiline || inline_multiline(pattern);
    let body = translate(pattern, multiline).map_err(|e| invalid(&e))?;
    let mut full = String::from(match (flags.ignorecase, flags.multiline) {
        (true, true) => "(?im)",
        (true, false) => "(?i)",
        (false, true) => "(?m)",
        (false, false) => "",
    });
    match flags.anchor {
        Anchor::None => full.push_str(&body),
        Anchor::Start => full.push_str(&format!(r"\A(?:{body})")),
        Anchor::Full => full.push_str(&format!(r"\A(?:{body})\z")),
    }
    // On error, report the pattern's own error: the flags and anchors around it would shift
    // the positions fancy-regex reports.
    let re = Regex::new(&full).map_err(|e| invalid(&Regex::new(&body).err().unwrap_or(e)))?;
    let re = Arc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= KEPT {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// True if the pattern turns multiline mode on itself (`(?m)` at its start).
fn inline_multiline(pattern: &str) -> bool {
    pattern
        .strip_prefix("(?")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_alphabetic)
                .any(|c| c == 'm')
        })
        .unwrap_or(false)
}

/// The fancy-regex form of a Python pattern.
fn translate(p: &str, multiline: bool) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let (mut i, mut class) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => i = escape(&chars, i, class, &mut out)?,
            '[' if class => out.push_str(r"\["),
            '&' | '~' if class => {
                out.push('\\');
                out.push(c);
            }
            ']' if class => {
                class = false;
                out.push(']');
            }
            '[' => {
                class = true;
                out.push('[');
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '{' if !class => i = brace(&chars, i, &mut out),
            '}' if !class => out.push_str(r"\}"),
            '$' if !class && !multiline => out.push_str(r"(?=\n?\z)"),
            _ => out.push(c),
        }
    }
    if class {
        return Err(format!(
            "unterminated character set at position {}",
            p.len()
        ));
    }
    Ok(out)
}

/// A `{` at `chars[i - 1]`: a quantifier (`{m}`, `{m,}`, `{,n}`, `{m,n}`) or a literal, as
/// Python reads it. Returns the index after what it consumed.
fn brace(chars: &[char], i: usize, out: &mut String) -> usize {
    let close = chars[i..].iter().position(|&c| c == '}').map(|n| i + n);
    let Some(close) = close else {
        out.push_str(r"\{");
        return i;
    };
    let inner: String = chars[i..close].iter().collect();
    let (lo, hi) = inner.split_once(',').unwrap_or((&inner, &inner));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if inner.is_empty() || !digits(lo) || !digits(hi) {
        out.push_str(r"\{");
        return i;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    match inner.split_once(',') {
        Some(_) => out.push_str(&format!("{{{lo},{hi}}}")),
        None => out.push_str(&format!("{{{lo}}}")),
    }
    close + 1
}

/// The escape after a backslash at `chars[i - 1]`, translated; returns the index after it.
fn escape(chars: &[char], i: usize, class: bool, out: &mut String) -> Result<usize, String> {
    let Some(&c) = chars.get(i) else {
        return Err("bad escape (end of pattern)".into());
    };
    let hex = |n: usize| -> Result<(u32, usize), String> {
        let digits: String = chars[i + 1..].iter().take(n).collect();
        match u32::from_str_radix(&digits, 16) {
            Ok(v) if digits.len() == n && digits.chars().all(|d| d.is_ascii_hexdigit()) => {
                Ok((v, i + 1 + n))
            }
            _ => Err(format!("incomplete escape \\{c}{digits}")),
        }
    };
    let (code, next) = match c {
        'x' => hex(2)?,
        'u' => hex(4)?,
        'U' => hex(8)?,
        '0'..='7' if class || c == '0' => octal(chars, i),
        '1'..='9' => {
            let n = chars[i..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count()
                .min(2);
            let group: String = chars[i..i + n].iter().collect();
            out.push_str(&format!(r"(?:\{group})"));
            return Ok(i + n);
        }
        'Z' if !class => {
            out.push_str(r"\z");
            return Ok(i + 1);
        }
        'b' if class => (8, i + 1),
        'A' | 'B' | 'b' if !class => {
            out.push('\\');
            out.push(c);
            return Ok(i + 1);
        }
        'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'n' | 'r' | 't' | 'f' | 'v' | 'a' => {
            out.push('\\');
            out.push(c);
            return Ok(i + 1);
        }
        c if c.is_ascii_alphanumeric() => return Err(format!("bad escape \\{c}")),
        c => (u32::from(c), i + 1),
    };
    let ch = char::from_u32(code).ok_or_else(|| format!("bad escape \\{c}: not a character"))?;
    out.push_str(&format!(r"\x{{{:X}}}", u32::from(ch)));
    Ok(next)
}

/// An octal escape starting at `chars[i]` (up to three digits); its value and the index after.
fn octal(chars: &[char], i: usize) -> (u32, usize) {
    let n = chars[i..]
        .iter()
        .take(3)
        .take_while(|d| ('0'..='7').contains(*d))
        .count();
    let digits: String = chars[i..i + n].iter().collect();
    (u32::from_str_radix(&digits, 8).unwrap_or(0), i + n)
}

/// Every match of `re` in `text` as Python's `finditer` yields them: an empty match is allowed
/// right after a non-empty one, but not twice at the same place. `visit` returns false to stop.
pub(crate) fn each_match<'t>(
    re: &Regex,
    text: &'t str,
    mut visit: impl FnMut(&Captures<'t, str>) -> bool,
) -> Result<(), Error> {
    let mut pos = 0;
    let mut empty_at = None;
    while pos <= text.len() {
        let found = re
            .captures_from_pos(text, pos)
            .map_err(|e| err(format!("regular expression failed: {e}")))?;
        let Some(caps) = found else { break };
        let whole = caps.get(0).expect("group 0 is the whole match");
        if whole.start() == whole.end() && empty_at == Some(whole.start()) {
            pos = next_char(text, whole.start());
            continue;
        }
        if !visit(&caps) {
            break;
        }
        empty_at = (whole.start() == whole.end()).then_some(whole.end());
        pos = whole.end();
    }
    Ok(())
}

/// The byte index after the character at `i` (one past the end at the end).
fn next_char(text: &str, i: usize) -> usize {
    text[i..].chars().next().map_or(i + 1, |c| i + c.len_utf8())
}

/// The group number `name` stands for: a number below `groups`, or a named group of `re`.
fn group_index(re: &Regex, name: &str) -> Result<usize, Error> {
    if let Ok(n) = name.parse::<usize>() {
        return (n < re.captures_len())
            .then_some(n)
            .ok_or_else(|| err(format!("invalid group reference {n}")));
    }
    re.capture_names()
        .position(|n| n == Some(name))
        .ok_or_else(|| err(format!("unknown group name '{name}'")))
}

impl Replacement {
    /// Parses a Python replacement template for `re`.
    pub(crate) fn parse(template: &str, re: &Regex) -> Result<Replacement, Error> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            let group = match chars.next() {
                None => return Err(err("bad escape (end of template)")),
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err(err("missing < in group reference"));
                    }
                    let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                    group_index(re, &name)?
                }
                Some(d @ '0'..='9') => match numbered(d, &mut chars)? {
                    Ok(ch) => {
                        text.push(ch);
                        continue;
                    }
                    Err(digits) => group_index(re, &digits)?,
                },
                Some(e) => {
                    match e {
                        'a' => text.push('\x07'),
                        'b' => text.push('\x08'),
                        'f' => text.push('\x0c'),
                        'n' => text.push('\n'),
                        'r' => text.push('\r'),
                        't' => text.push('\t'),
                        'v' => text.push('\x0b'),
                        '\\' => text.push('\\'),
                        e if e.is_ascii_alphabetic() => {
                            return Err(err(format!("bad escape \\{e}")))
                        }
                        e => {
                            text.push('\\');
                            text.push(e);
                        }
                    }
                    continue;
                }
            };
            pieces.push(Piece::Text(std::mem::take(&mut text)));
            pieces.push(Piece::Group(group));
        }
        pieces.push(Piece::Text(text));
        Ok(Replacement(pieces))
    }

    /// The replacement for one match (a group that did not take part gives nothing).
    pub(crate) fn expand(&self, caps: &Captures<'_, str>, out: &mut String) {
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
            }
        }
    }
}

/// A replacement escape that starts with the digit `d`, read as Python reads it: `\0` and
/// three octal digits are a character (`Ok`); one or two digits are a group number (`Err`).
fn numbered(
    d: char,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<Result<char, String>, Error> {
    let is_octal = |c: &char| ('0'..='7').contains(c);
    let mut digits = d.to_string();
    if d == '0' {
        while digits.len() < 3 && chars.peek().is_some_and(is_octal) {
            digits.extend(chars.next());
        }
    } else if chars.peek().is_some_and(char::is_ascii_digit) {
        digits.extend(chars.next());
        if digits.chars().all(|c| is_octal(&c)) && chars.peek().is_some_and(is_octal) {
            digits.extend(chars.next());
        }
    }
    if d != '0' && digits.len() < 3 {
        return Ok(Err(digits));
    }
    let code = u32::from_str_radix(&digits, 8).unwrap_or(0);
    if code > 0o377 {
        return Err(err(format!(
            "octal escape value \\{digits} outside of range 0-0o377"
        )));
    }
    Ok(Ok(char::from_u32(code).unwrap_or('\0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_matches(pattern: &str, flags: Flags, text: &str) -> Vec<String> {
        let re = compile(pattern, flags).unwrap();
        let mut found = Vec::new();
        each_match(&re, text, |c| {
            found.push(c.get(0).unwrap().as_str().to_string());
            true
        })
        .unwrap();
        found
    }

    #[test]
    fn matches_as_python_re_does() {
        let plain = Flags::default();
        let multi = Flags {
            multiline: true,
            ..Flags::default()
        };
        let cases: &[(&str, Flags, &str, &[&str])] = &[
            ("x*", plain, "abxd", &["", "", "x", "", ""]),
            ("e$", plain, "line\n", &["e"]),
            ("e$", plain, "e\nline\n", &["e"]),
            ("e$", plain, "e\nlin\n", &[]),
            ("e$", multi, "e\nline\n", &["e", "e"]),
            (r"b\Z", plain, "ab\n", &[]),
            ("a{,2}", plain, "aaa", &["aa", "a", ""]),
            ("{x}", plain, "a{x}", &["{x}"]),
            ("[[]", plain, "a[b", &["["]),
            ("[]a]", plain, "]a", &["]", "a"]),
            (r"(\w)\1", plain, "aab cc", &["aa", "cc"]),
            (r"\d+", plain, "x٣4", &["٣4"]),
            (r"\x41\u0042", plain, "AB", &["AB"]),
        ];
        for (pattern, flags, text, want) in cases {
            assert_eq!(
                all_matches(pattern, *flags, text),
                *want,
                "{pattern} in {text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_python_refuses() {
        for (pattern, message) in [
            (r"\p{L}", r"bad escape \p"),
            ("[a", "unterminated character set"),
            (r"a\", "bad escape (end of pattern)"),
            (r"\x4", r"incomplete escape \x4"),
        ] {
            let e = compile(pattern, Flags::default()).unwrap_err().to_string();
            assert!(e.contains(message), "{pattern}: {e}");
            assert!(e.contains("invalid regular expression"), "{pattern}: {e}");
        }
    }

    #[test]
    fn reads_replacement_templates() {
        let re = compile("(?P<a>x)(y)?", Flags::default()).unwrap();
        let caps = re.captures("x").unwrap().unwrap();
        for (template, want) in [
            (r"\1-\g<1>-\g<a>", "x-x-x"),
            (r"[\2]", "[]"),
            (r"\n\t\\\-", "\n\t\\\\-"),
            (r"\0\101", "\0A"),
        ] {
            let mut out = String::new();
            Replacement::parse(template, &re)
                .unwrap()
                .expand(&caps, &mut out);
            assert_eq!(out, want, "{template}");
        }
        for (template, message) in [
            (r"\3", "invalid group reference 3"),
            (r"\g<b>", "unknown group name 'b'"),
            (r"\q", r"bad escape \q"),
            (r"\g1", "missing <"),
        ] {
            let e = Replacement::parse(template, &re).unwrap_err().to_string();
            assert!(e.contains(message), "{template}: {e}");
        }
    }
}
