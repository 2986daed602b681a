//! Ansible's regex filters with Python's `re` semantics: `regex_search`, `regex_findall`,
//! `regex_replace`, `regex_escape`. The engine (pattern translation, match walking,
//! replacement templates) is `pyregex.rs`; the regex tests (`match`, `search`, `regex`) are in
//! `predicates.rs`.

use fancy_regex::Regex;
use minijinja::value::{Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::pyregex::{compile, each_match, Anchor, Flags, Replacement};
use super::pyrepr::py_repr;
use super::values::{err, text_of, Args};

/// Registers the regex filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
}

/// The flags of a filter call (`ignorecase`, `multiline` by name or at their positions).
fn flags(args: &Args, ignorecase: usize, multiline: usize) -> Result<Flags, Error> {
    Ok(Flags {
        ignorecase: args.flag(ignorecase, "ignorecase")?,
        multiline: args.flag(multiline, "multiline")?,
        anchor: Anchor::None,
    })
}

/// `regex_search`: the first match, or the groups named by `'\1'` / `'\g<name>'` arguments
/// as a list; no match gives None. Unknown keywords are ignored, as Ansible ignores them.
fn regex_search(value: Value, pattern: String, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let text = text_of(&value)?;
    let args = Args::split(args)?;
    let flags = flags(&args, usize::MAX, usize::MAX)?;
    let wanted: Vec<GroupRef> = args
        .rest(0)
        .iter()
        .map(GroupRef::parse)
        .collect::<Result<_, _>>()?;
    let re = compile(&pattern, flags)?;
    let caps = re
        .captures(&text)
        .map_err(|e| err(format!("regex_search: {e}")))?;
    let Some(caps) = caps else {
        return Ok(Value::from(()));
    };
    if wanted.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut picked = Vec::with_capacity(wanted.len());
    for g in &wanted {
        let index = g.index(&re)?;
        picked.push(
            caps.get(index)
                .map_or(Value::from(()), |m| Value::from(m.as_str())),
        );
    }
    Ok(Value::from(picked))
}

/// A group argument of `regex_search`.
enum GroupRef {
    Name(String),
    Number(usize),
}

impl GroupRef {
    fn parse(arg: &Value) -> Result<GroupRef, Error> {
        let s = arg.as_str().unwrap_or_default();
        if let Some(name) = s.strip_prefix("\\g<").and_then(|r| r.split_once('>')) {
            return Ok(GroupRef::Name(name.0.to_string()));
        }
        let digits: String = s
            .strip_prefix('\\')
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().map(GroupRef::Number).map_err(|_| {
            err(format!(
                "regex_search: unknown argument {} (groups are given as '\\1' or '\\g<name>')",
                py_repr(arg)
            ))
        })
    }

    /// The group's number in `re`.
    fn index(&self, re: &Regex) -> Result<usize, Error> {
        match self {
            GroupRef::Name(name) => re
                .capture_names()
                .position(|n| n == Some(name.as_str()))
                .ok_or_else(|| err(format!("regex_search: no such group '{name}'"))),
            GroupRef::Number(n) if *n < re.captures_len() => Ok(*n),
            GroupRef::Number(n) => Err(err(format!("regex_search: no such group {n}"))),
        }
    }
}

/// `regex_findall`: every match; with one group, that group of each; with several, a list of
/// each match's groups (Python's tuples).
fn regex_findall(value: Value, pattern: String, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let text = text_of(&value)?;
    let args = Args::split(args)?;
    let flags = flags(&args, 1, 0)?;
    args.check("regex_findall", 2)?;
    let re = compile(&pattern, flags)?;
    let groups = re.captures_len() - 1;
    let mut found = Vec::new();
    each_match(&re, &text, |caps| {
        let group = |i: usize| Value::from(caps.get(i).map_or("", |m| m.as_str()));
        found.push(match groups {
            0 => group(0),
            1 => group(1),
            n => Value::from((1..=n).map(group).collect::<Vec<_>>()),
        });
        true
    })?;
    Ok(Value::from(found))
}

/// `regex_replace`: Python's `re.sub`, with `count` and `mandatory_count`.
fn regex_replace(value: Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let text = text_of(&value)?;
    let args = Args::split(args)?;
    let flags = flags(&args, 2, 3)?;
    let string = |i, name| -> Result<String, Error> {
        Ok(args
            .get(i, name)?
            .map(|v| text_of(&v))
            .transpose()?
            .unwrap_or_default())
    };
    let (pattern, replacement) = (string(0, "pattern")?, string(1, "replacement")?);
    let number = |i, name| -> Result<i64, Error> {
        match args.get(i, name)? {
            None => Ok(0),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| err(format!("regex_replace: {name} must be an integer"))),
        }
    };
    let (count, mandatory) = (number(4, "count")?, number(5, "mandatory_count")?);
    args.check("regex_replace", 6)?;
    let re = compile(&pattern, flags)?;
    let template = Replacement::parse(&replacement, &re)?;
    let limit = usize::try_from(count)
        .ok()
        .filter(|&c| c > 0)
        .unwrap_or(usize::MAX);
    let (mut out, mut last, mut subs) = (String::with_capacity(text.len()), 0, 0usize);
    each_match(&re, &text, |caps| {
        let whole = caps.get(0).expect("group 0 is the whole match");
        out.push_str(&text[last..whole.start()]);
        template.expand(caps, &mut out);
        last = whole.end();
        subs += 1;
        subs < limit
    })?;
    out.push_str(&text[last..]);
    if mandatory != 0 && usize::try_from(mandatory) != Ok(subs) {
        // Ansible's message shows the `count` argument where it means the matches.
        return Err(super::values::filter_error(format!(
            "'{pattern}' should match {mandatory} times, but matches {count} times in '{text}'"
        )));
    }
    Ok(out)
}

/// `regex_escape`: the text with the special characters of a Python (`re_type='python'`) or
/// POSIX basic (`'posix_basic'`) regular expression escaped.
fn regex_escape(value: Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let text = text_of(&value)?;
    let args = Args::split(args)?;
    let re_type = args.get(0, "re_type")?.map(|v| text_of(&v)).transpose()?;
    args.check("regex_escape", 1)?;
    let special: &str = match re_type.as_deref().unwrap_or("python") {
        "python" => "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c",
        "posix_basic" => "[].^$*\\",
        "posix_extended" => return Err(err("Regex type (posix_extended) not yet implemented")),
        other => return Err(err(format!("Invalid regex type ({other})"))),
    };
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}
