//! The Jinja tests Ansible adds or defines differently: task results (`failed`, `changed`,
//! `finished`, ...), regexes (`match`, `search`, `regex`, with Python's `re`), versions
//! (`version.rs`), paths (`file`, `directory`, `link`, `mount`, ...), sets (`subset`,
//! `superset`, `contains`), URIs, `any`/`all`, `truthy`/`falsy`, `nan`, vault tests, and
//! Jinja2's `callable`. minijinja's builtins provide defined, undefined, none, string,
//! number, mapping, sequence, iterable, boolean, in, escaped, sameas, ...

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::pyregex::{compile, Anchor, Flags};
use super::values::{err, text_of, Args};
use super::version::version_test;

/// Registers the tests.
pub(crate) fn register(env: &mut Environment<'static>) {
    register_results(env);
    env.add_test("all", |v: Value| every(&v, true));
    env.add_test("any", |v: Value| {
        every(&v, false).map(|all_false| !all_false)
    });
    env.add_test("callable", |v: Value| v.kind() == ValueKind::Plain);
    env.add_test("contains", contains);
    env.add_test("falsy", |v: Value, a: Rest<ValueOrKwargs>| {
        truthy(v, a).map(|t| !t)
    });
    env.add_test("match", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, Some(Anchor::Start))
    });
    env.add_test("nan", |v: Value| f64::try_from(v).is_ok_and(f64::is_nan));
    env.add_test("isnan", |v: Value| f64::try_from(v).is_ok_and(f64::is_nan));
    env.add_test("regex", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, None)
    });
    env.add_test("search", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, Some(Anchor::None))
    });
    env.add_test("subset", |a: Value, b: Value| subset(&a, &b));
    env.add_test("issubset", |a: Value, b: Value| subset(&a, &b));
    env.add_test("superset", |a: Value, b: Value| subset(&b, &a));
    env.add_test("issuperset", |a: Value, b: Value| subset(&b, &a));
    env.add_test("truthy", truthy);
    env.add_test("uri", |v: Value, schemes: Option<Value>| {
        uri(&v, schemes.as_ref())
    });
    env.add_test("url", url);
    env.add_test("urn", |v: Value| uri(&v, Some(&Value::from(vec!["urn"]))));
    env.add_test("vault_encrypted", |v: Value| {
        v.as_str().is_some_and(crate::vault::was_inline)
    });
    env.add_test("vaulted_file", vaulted_file);
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
    register_paths(env);
}

/// The tests on a task's result (a mapping, as `register:` keeps it).
fn register_results(env: &mut Environment<'static>) {
    for name in ["failed", "failure"] {
        env.add_test(name, move |v: Value| key(&v, name, "failed"));
    }
    for name in ["succeeded", "success", "successful"] {
        env.add_test(name, move |v: Value| key(&v, name, "failed").map(|f| !f));
    }
    env.add_test("unreachable", |v: Value| {
        key(&v, "unreachable", "unreachable")
    });
    env.add_test("reachable", |v: Value| {
        key(&v, "reachable", "unreachable").map(|u| !u)
    });
    for name in ["skipped", "skip"] {
        env.add_test(name, move |v: Value| key(&v, name, "skipped"));
    }
    for name in ["changed", "change"] {
        env.add_test(name, move |v: Value| changed(&v, name));
    }
    for name in ["finished", "started"] {
        env.add_test(name, move |v: Value| async_state(&v, name));
    }
    env.add_test("timedout", |v: Value| {
        let timedout = result(&v, "timedout")?.get_attr("timedout")?;
        Ok::<_, Error>(timedout.is_true() && timedout.get_attr("period")?.is_true())
    });
}

/// The result `v`, or the error Ansible gives when a result test gets something else.
fn result<'v>(v: &'v Value, test: &str) -> Result<&'v Value, Error> {
    if v.kind() == ValueKind::Map {
        Ok(v)
    } else {
        Err(err(format!("The '{test}' test expects a dictionary")))
    }
}

/// The truth of `result[field]` (false when missing).
fn key(v: &Value, test: &str, field: &str) -> Result<bool, Error> {
    Ok(result(v, test)?.get_attr(field)?.is_true())
}

/// `changed`: the result's `changed`, or, without one, whether any of its loop `results` changed.
fn changed(v: &Value, test: &str) -> Result<bool, Error> {
    let v = result(v, test)?;
    let flag = v.get_attr("changed")?;
    if !flag.is_undefined() {
        return Ok(flag.is_true());
    }
    let results = v.get_attr("results")?;
    if results.kind() != ValueKind::Seq {
        return Ok(false);
    }
    let first = results.try_iter()?.next();
    let first = first.ok_or_else(|| err("list index out of range"))?;
    if first.kind() != ValueKind::Map {
        return Ok(false);
    }
    Ok(results
        .try_iter()?
        .any(|r| r.get_attr("changed").is_ok_and(|c| c.is_true())))
}

/// `finished` / `started`: the async status is 1; a result without one counts as done.
fn async_state(v: &Value, field: &str) -> Result<bool, Error> {
    let state = result(v, field)?.get_attr(field)?;
    Ok(state.is_undefined() || state.as_i64() == Some(1) || state == Value::from(true))
}

/// `all` (`want` true) or "none is true" (`want` false) over the items of `v`.
fn every(v: &Value, want: bool) -> Result<bool, Error> {
    Ok(v.try_iter()?.all(|item| item.is_true() == want))
}

/// `contains`: `item in container` as Python reads it (a substring of a string, a key of a
/// mapping, an item of a list).
fn contains(container: Value, item: Value) -> Result<bool, Error> {
    if let (Some(haystack), Some(needle)) = (container.as_str(), item.as_str()) {
        return Ok(haystack.contains(needle));
    }
    Ok(container.try_iter()?.any(|x| x == item))
}

/// Every item of `a` is in `b` (Python's `set(a) <= set(b)`).
fn subset(a: &Value, b: &Value) -> Result<bool, Error> {
    let unhashable = |v: &Value| matches!(v.kind(), ValueKind::Seq | ValueKind::Map);
    let a: Vec<Value> = a.try_iter()?.collect();
    let b: Vec<Value> = b.try_iter()?.collect();
    if let Some(bad) = a.iter().chain(&b).find(|v| unhashable(v)) {
        let name = if bad.kind() == ValueKind::Map {
            "dict"
        } else {
            "list"
        };
        return Err(err(format!("unhashable type: '{name}'")));
    }
    Ok(a.iter().all(|x| b.contains(x)))
}

/// `truthy(convert_bool=False)`: Python's truth, or Ansible's boolean reading of yes/no/on/off.
fn truthy(v: Value, args: Rest<ValueOrKwargs>) -> Result<bool, Error> {
    let args = Args::split(args)?;
    let convert = args.flag(0, "convert_bool")?;
    args.check("truthy", 1)?;
    if convert {
        let text = v
            .as_str()
            .map(str::to_string)
            .or_else(|| matches!(v.kind(), ValueKind::Number).then(|| v.to_string()));
        if let Some(b) = text.and_then(|t| crate::text::ansible_bool(&t)) {
            return Ok(b);
        }
    }
    Ok(v.is_true())
}

/// `match`, `search` and `regex(pattern, ignorecase, multiline, match_type)`.
fn regex(v: Value, args: Rest<ValueOrKwargs>, anchor: Option<Anchor>) -> Result<bool, Error> {
    let text = text_of(&v)?;
    let args = Args::split(args)?;
    let pattern = args.get(0, "pattern")?.map(|p| text_of(&p)).transpose()?;
    let ignorecase = args.flag(1, "ignorecase")?;
    let multiline = args.flag(2, "multiline")?;
    let max_args = if anchor.is_none() { 4 } else { 3 };
    let anchor = match anchor {
        Some(anchor) => anchor,
        None => match args.get(3, "match_type")? {
            None => Anchor::None,
            Some(t) => match text_of(&t)?.as_str() {
                "search" => Anchor::None,
                "match" => Anchor::Start,
                "fullmatch" => Anchor::Full,
                other => {
                    return Err(err(format!(
                        "regex: unknown match_type '{other}' (search, match or fullmatch)"
                    )))
                }
            },
        },
    };
    args.check("regex", max_args)?;
    let flags = Flags {
        ignorecase,
        multiline,
        anchor,
    };
    let re = compile(&pattern.unwrap_or_default(), flags)?;
    re.is_match(&text)
        .map_err(|e| err(format!("regular expression failed: {e}")))
}

/// `uri(schemes=None)`: Python's `urlparse` reads it, and its scheme is one of `schemes`.
fn uri(v: &Value, schemes: Option<&Value>) -> Result<bool, Error> {
    let Some(parts) = v.as_str().and_then(split_url) else {
        return Ok(false);
    };
    match schemes.filter(|s| s.is_true()) {
        None => Ok(true),
        Some(s) => Ok(s.try_iter()?.any(|x| x.as_str() == Some(parts.0.as_str()))),
    }
}

/// `url(schemes=None)`: a URI with a host (or a `file:` URI).
fn url(v: Value, schemes: Option<Value>) -> Result<bool, Error> {
    if !uri(&v, schemes.as_ref())? {
        return Ok(false);
    }
    let parts = v.as_str().and_then(split_url);
    Ok(parts.is_some_and(|(scheme, netloc)| !netloc.is_empty() || scheme == "file"))
}

/// A URL's scheme (lowercase, maybe empty) and network location, as `urlsplit` finds them;
/// `None` where `urlsplit` fails (an unbalanced `[` or `]` in the location).
fn split_url(url: &str) -> Option<(String, String)> {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some((head, tail)) = url.split_once(':') {
        let valid = head.starts_with(|c: char| c.is_ascii_alphabetic())
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = head.to_ascii_lowercase();
            rest = tail;
        }
    }
    let netloc = match rest.strip_prefix("//") {
        Some(r) => r.split(['/', '?', '#']).next().unwrap_or(""),
        None => "",
    };
    if netloc.contains('[') != netloc.contains(']') {
        return None;
    }
    Some((scheme, netloc.to_string()))
}

/// `vaulted_file`: the file starts with Ansible Vault's header.
fn vaulted_file(path: Value) -> Result<bool, Error> {
    let path = text_of(&path)?;
    let data = std::fs::read(&path)
        .map_err(|e| err(format!("Cannot test if the file {path} is a vault: {e}")))?;
    Ok(data.starts_with(b"$ANSIBLE_VAULT;"))
}

/// A test on a path.
type PathTest = fn(&Path) -> bool;

/// The path tests (`os.path`'s isdir, isfile, islink, exists, lexists, isabs, samefile,
/// ismount), each under its name and its `is_` alias.
fn register_paths(env: &mut Environment<'static>) {
    let tests: [(&str, &str, PathTest); 6] = [
        ("directory", "is_dir", Path::is_dir),
        ("file", "is_file", Path::is_file),
        ("link", "is_link", Path::is_symlink),
        ("exists", "exists", Path::exists),
        ("link_exists", "link_exists", |p| {
            p.symlink_metadata().is_ok()
        }),
        ("mount", "is_mount", is_mount),
    ];
    for (name, alias, test) in tests {
        for n in [name, alias] {
            env.add_test(n, move |v: Value| {
                v.as_str().is_some_and(|s| test(Path::new(s)))
            });
        }
    }
    for n in ["abs", "is_abs"] {
        env.add_test(n, |v: Value| -> Result<bool, Error> {
            Ok(text_of(&v)?.starts_with('/'))
        });
    }
    for n in ["same_file", "is_same_file"] {
        env.add_test(n, same_file);
    }
}

/// `same_file`: both paths lead (through links) to the same file; a missing one is an error.
fn same_file(a: Value, b: Value) -> Result<bool, Error> {
    let stat = |v: &Value| -> Result<std::fs::Metadata, Error> {
        let p = text_of(v)?;
        std::fs::metadata(&p).map_err(|e| err(format!("same_file: {p}: {e}")))
    };
    let (a, b) = (stat(&a)?, stat(&b)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

/// A mount point: not a link, and on another device than its parent (or its own parent).
fn is_mount(p: &Path) -> bool {
    let Ok(meta) = p.symlink_metadata() else {
        return false;
    };
    if meta.file_type().is_symlink() {
        return false;
    }
    let Ok(parent) = p.join("..").symlink_metadata() else {
        return false;
    };
    meta.dev() != parent.dev() || meta.ino() == parent.ino()
}
