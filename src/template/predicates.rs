//! The Jinja tests Ansible adds or defines differently: result tests (`failed`, `changed`,
//! `skipped`, ...), regex tests (`match`, `search`, `regex`, with Python's `re`), `contains`, `truthy`, `version`.
//! minijinja's builtins provide defined, undefined, none, string, number, mapping, sequence,
//! iterable, boolean, in, ...

use minijinja::value::{Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, State};

use super::pyregex::{compile, Anchor, Flags};
use super::values::{err, text_of, Args};

/// Registers the tests.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_test("succeeded", |v: Value| !flag(&v, "failed"));
    env.add_test("success", |v: Value| !flag(&v, "failed"));
    env.add_test("failed", |v: Value| flag(&v, "failed"));
    env.add_test("failure", |v: Value| flag(&v, "failed"));
    env.add_test("changed", |v: Value| flag(&v, "changed"));
    env.add_test("change", |v: Value| flag(&v, "changed"));
    env.add_test("skipped", |v: Value| flag(&v, "skipped"));
    env.add_test("skip", |v: Value| flag(&v, "skipped"));
    env.add_test("match", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, Some(Anchor::Start))
    });
    env.add_test("search", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, Some(Anchor::None))
    });
    env.add_test("regex", |v: Value, a: Rest<ValueOrKwargs>| {
        regex(v, a, None)
    });
    env.add_test("contains", |c: Value, item: Value| {
        c.try_iter()
            .map(|mut i| i.any(|x| x == item))
            .unwrap_or(false)
    });
    env.add_test("truthy", |v: Value| v.is_true());
    env.add_test("falsy", |v: Value| !v.is_true());
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
}

fn flag(v: &Value, key: &str) -> bool {
    v.get_attr(key).map(|x| x.is_true()).unwrap_or(false)
}

fn version_test(_state: &State, a: String, b: String, op: Option<String>) -> Result<bool, Error> {
    let parse = |s: &str| -> Vec<u64> {
        s.split(['.', '-', '+'])
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    let (x, y) = (parse(&a), parse(&b));
    let n = x.len().max(y.len());
    let pad = |v: &Vec<u64>| {
        (0..n)
            .map(|i| v.get(i).copied().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    let ord = pad(&x).cmp(&pad(&y));
    use std::cmp::Ordering::*;
    Ok(match op.as_deref().unwrap_or("eq") {
        "<" | "lt" => ord == Less,
        "<=" | "le" => ord != Greater,
        ">" | "gt" => ord == Greater,
        ">=" | "ge" => ord != Less,
        "==" | "=" | "eq" => ord == Equal,
        "!=" | "<>" | "ne" => ord != Equal,
        other => return Err(err(format!("version: unknown operator '{other}'"))),
    })
}

/// `match`, `search` and `regex(pattern, ignorecase, multiline, match_type)`.
fn regex(v: Value, args: Rest<ValueOrKwargs>, anchor: Option<Anchor>) -> Result<bool, Error> {
    let text = text_of(&v)?;
    let args = Args::split(args)?;
    let pattern = args.get(0, "pattern")?.map(|p| text_of(&p)).transpose()?;
    let ignorecase = args.flag(1, "ignorecase")?;
    let multiline = args.flag(2, "multiline")?;
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
    args.check("regex", if anchor == Anchor::None { 4 } else { 3 })?;
    let flags = Flags {
        ignorecase,
        multiline,
        anchor,
    };
    let re = compile(&pattern.unwrap_or_default(), flags)?;
    re.is_match(&text)
        .map_err(|e| err(format!("regular expression failed: {e}")))
}
