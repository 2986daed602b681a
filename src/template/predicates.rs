//! The Jinja tests Ansible adds or defines differently: result tests (`failed`, `changed`,
//! `skipped`, ...), regex tests (`match` is anchored), `contains`, `truthy`, `version`.
//! minijinja's builtins provide defined, undefined, none, string, number, mapping, sequence,
//! iterable, boolean, in, ...

use minijinja::value::Value;
use minijinja::{Environment, Error, State};

use super::filters::regex;
use super::values::err;

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
    env.add_test("match", |s: String, p: String| {
        regex(&format!("^(?:{p})")).map(|r| r.is_match(&s))
    });
    env.add_test("search", |s: String, p: String| {
        regex(&p).map(|r| r.is_match(&s))
    });
    env.add_test("regex", |s: String, p: String| {
        regex(&p).map(|r| r.is_match(&s))
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
