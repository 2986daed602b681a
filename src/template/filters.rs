//! The filters, tests and functions Ansible adds to Jinja (or defines differently), on top of
//! minijinja's builtins (map, select, selectattr, join, sort, unique, first, last, length, ...).

use base64::Engine;
use minijinja::value::{Kwargs, Rest, Serde, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::output::pyjson::dumps;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

fn from_json(j: &Json) -> Value {
    Value::from(Serde(j))
}

/// Registers everything.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("to_json", |v: Value| dumps(&to_json(&v), None, false));
    env.add_filter("to_nice_json", |v: Value| {
        dumps(&to_json(&v), Some(4), true)
    });
    env.add_filter("from_json", |s: String| {
        serde_json::from_str::<Json>(&s)
            .map(|j| from_json(&j))
            .map_err(|e| err(format!("from_json: {e}")))
    });
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_yaml);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s)
    });
    env.add_filter("b64decode", |s: String| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| err(format!("b64decode: {e}")))
    });
    env.add_filter("basename", |s: String| {
        s.rsplit('/').next().unwrap_or("").to_string()
    });
    env.add_filter("dirname", |s: String| match s.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => s[..i].to_string(),
        None => String::new(),
    });
    env.add_filter("expanduser", |s: String| {
        match (s.strip_prefix('~'), std::env::var("HOME")) {
            (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
                format!("{home}{rest}")
            }
            _ => s,
        }
    });
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter(
        "ternary",
        |v: Value, a: Value, b: Value, n: Option<Value>| match (v.kind(), n) {
            (ValueKind::None, Some(n)) => n,
            _ if v.is_true() => a,
            _ => b,
        },
    );
    env.add_filter("quote", |s: String| crate::ssh::quote(&s));
    env.add_filter("flatten", flatten);
    env.add_filter(
        "zip",
        |a: Value, rest: Rest<Value>| -> Result<Value, Error> {
            let lists: Vec<Vec<Value>> = std::iter::once(a)
                .chain(rest.0)
                .map(|l| l.try_iter().map(|i| i.collect()).unwrap_or_default())
                .collect();
            let n = lists.iter().map(Vec::len).min().unwrap_or(0);
            Ok(Value::from(
                (0..n)
                    .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
                    .collect::<Vec<_>>(),
            ))
        },
    );
    env.add_filter("mandatory", |v: Value, msg: Option<String>| {
        if v.is_undefined() {
            Err(Error::new(
                ErrorKind::UndefinedError,
                msg.unwrap_or_else(|| "Mandatory variable not defined.".into()),
            ))
        } else {
            Ok(v)
        }
    });
    env.add_filter("hash", |s: String, alg: Option<String>| {
        checksum(&s, alg.as_deref().unwrap_or("sha1"))
    });
    env.add_filter("checksum", |s: String| checksum(&s, "sha1"));
    env.add_filter("dict", |v: Value| -> Result<Value, Error> {
        let pairs: Vec<(Value, Value)> = v
            .try_iter()?
            .map(|p| {
                (
                    p.get_item_by_index(0).unwrap_or_default(),
                    p.get_item_by_index(1).unwrap_or_default(),
                )
            })
            .collect();
        Ok(Value::from_iter(pairs))
    });
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
    env.add_function("lookup", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(|v| Value::from(v.join(",")))
    });
    env.add_function("query", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(Value::from)
    });
    env.add_function("q", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(Value::from)
    });
}

fn flag(v: &Value, key: &str) -> bool {
    v.get_attr(key).map(|x| x.is_true()).unwrap_or(false)
}

fn regex(p: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(p).map_err(|e| err(format!("invalid regular expression '{p}': {e}")))
}

fn default(value: Value, def: Option<Value>, boolean: Option<bool>) -> Value {
    let missing = value.is_undefined() || (boolean.unwrap_or(false) && !value.is_true());
    if missing {
        def.unwrap_or_else(|| Value::from(""))
    } else {
        value
    }
}

fn to_bool(v: Value) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => v.as_i64().map(|n| n == 1).unwrap_or(false),
        ValueKind::String => {
            crate::playbook::ansible_bool(v.as_str().unwrap_or("")).unwrap_or(false)
        }
        _ => false,
    }
}

fn to_int(v: Value, default: Option<i64>) -> i64 {
    let d = default.unwrap_or(0);
    match v.kind() {
        ValueKind::Bool => i64::from(v.is_true()),
        ValueKind::Number => v
            .as_i64()
            .unwrap_or_else(|| f64::try_from(v.clone()).map(|f| f as i64).unwrap_or(d)),
        ValueKind::String => {
            let s = v.as_str().unwrap_or("").trim();
            s.parse::<i64>()
                .or_else(|_| s.parse::<f64>().map(|f| f as i64))
                .unwrap_or(d)
        }
        _ => d,
    }
}

fn to_yaml(v: Value) -> Result<String, Error> {
    serde_saphyr::to_string(&to_json(&v)).map_err(|e| err(format!("to_yaml: {e}")))
}

fn from_yaml(s: String) -> Result<Value, Error> {
    let file = crate::error::SourceFile::new("<from_yaml>", s);
    crate::yaml::parse(file)
        .map(|n| from_json(&n.to_json()))
        .map_err(|e| err(format!("from_yaml: {}", e.message)))
}

fn regex_replace(
    s: String,
    p: String,
    rep: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let icase: Option<bool> = kwargs.get("ignorecase")?;
    let pat = if icase.unwrap_or(false) {
        format!("(?i){p}")
    } else {
        p
    };
    let rep = rep.unwrap_or_default();
    // Python's \1 / \g<1> back-references become ${1}.
    let rep = regex::Regex::new(r"\\g<(\w+)>|\\(\d+)")
        .expect("valid")
        .replace_all(&rep, |c: &regex::Captures| {
            format!(
                "${{{}}}",
                c.get(1).or(c.get(2)).map(|m| m.as_str()).unwrap_or("")
            )
        });
    Ok(regex(&pat)?.replace_all(&s, rep.as_ref()).into_owned())
}

fn regex_search(s: String, p: String, groups: Rest<String>) -> Result<Value, Error> {
    let re = regex(&p)?;
    let Some(c) = re.captures(&s) else {
        return Ok(Value::from(()));
    };
    if groups.0.is_empty() {
        return Ok(Value::from(c.get(0).map(|m| m.as_str()).unwrap_or("")));
    }
    let picked: Vec<Value> = groups
        .0
        .iter()
        .map(|g| {
            let g = g.trim_start_matches('\\');
            let m = g
                .parse::<usize>()
                .ok()
                .and_then(|i| c.get(i))
                .or_else(|| c.name(g.trim_start_matches("g<").trim_end_matches('>')));
            Value::from(m.map(|m| m.as_str()).unwrap_or(""))
        })
        .collect();
    Ok(Value::from(picked))
}

fn regex_findall(s: String, p: String) -> Result<Value, Error> {
    let re = regex(&p)?;
    Ok(Value::from(
        re.find_iter(&s)
            .map(|m| m.as_str().to_string())
            .collect::<Vec<_>>(),
    ))
}

fn combine(base: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive: Option<bool> = kwargs.get("recursive")?;
    let mut acc = to_json(&base);
    for o in others.0 {
        merge(&mut acc, to_json(&o), recursive.unwrap_or(false));
    }
    Ok(from_json(&acc))
}

fn merge(into: &mut Json, from: Json, recursive: bool) {
    match (into, from) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if recursive && existing.is_object() && v.is_object() => {
                        merge(existing, v, true)
                    }
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, other) => *slot = other,
    }
}

fn dict2items(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key: Option<String> = kwargs.get("key_name")?;
    let val: Option<String> = kwargs.get("value_name")?;
    let (kn, vn) = (
        key.unwrap_or_else(|| "key".into()),
        val.unwrap_or_else(|| "value".into()),
    );
    let Json::Object(m) = to_json(&v) else {
        return Err(err("dict2items requires a dictionary"));
    };
    Ok(from_json(&Json::Array(
        m.into_iter()
            .map(|(k, v)| serde_json::json!({kn.clone(): k, vn.clone(): v}))
            .collect(),
    )))
}

fn items2dict(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key: Option<String> = kwargs.get("key_name")?;
    let val: Option<String> = kwargs.get("value_name")?;
    let (kn, vn) = (
        key.unwrap_or_else(|| "key".into()),
        val.unwrap_or_else(|| "value".into()),
    );
    let mut out = serde_json::Map::new();
    if let Json::Array(items) = to_json(&v) {
        for i in items {
            let k = match i.get(&kn) {
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => return Err(err(format!("items2dict: an item has no '{kn}'"))),
            };
            out.insert(k, i.get(&vn).cloned().unwrap_or(Json::Null));
        }
    }
    Ok(from_json(&Json::Object(out)))
}

fn flatten(v: Value, levels: Option<usize>) -> Value {
    fn go(j: Json, depth: Option<usize>, out: &mut Vec<Json>) {
        match j {
            Json::Array(items) if depth != Some(0) => {
                for i in items {
                    go(i, depth.map(|d| d - 1), out);
                }
            }
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    if let Json::Array(items) = to_json(&v) {
        for i in items {
            go(i, levels, &mut out);
        }
    }
    from_json(&Json::Array(out))
}

fn checksum(s: &str, alg: &str) -> Result<String, Error> {
    match alg {
        "sha1" => Ok(crate::modules::remote::sha1_hex(s.as_bytes())),
        other => Err(err(format!(
            "hash algorithm '{other}' is not supported by ferry (sha1 is)"
        ))),
    }
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

fn lookup(kind: &str, args: &[String]) -> Result<Vec<String>, Error> {
    match kind {
        "env" => Ok(args
            .iter()
            .map(|a| std::env::var(a).unwrap_or_default())
            .collect()),
        "file" => args
            .iter()
            .map(|a| {
                std::fs::read_to_string(a)
                    .map(|s| s.trim_end_matches('\n').to_string())
                    .map_err(|e| err(format!("lookup('file', '{a}'): {e}")))
            })
            .collect(),
        other => Err(err(format!(
            "lookup plugin '{other}' is not supported by ferry (env and file are)"
        ))),
    }
}
