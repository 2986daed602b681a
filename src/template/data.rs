//! Ansible's filters on data (the `mathstuff` and `core` families): `combine` with
//! `list_merge`, the set filters (`union`, `intersect`, `difference`,
//! `symmetric_difference`), `zip_longest`, `product`, `combinations`, `permutations`,
//! `extract`, `subelements`, `type_debug`, `random` with `start`/`step`/`seed`, `shuffle`.

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};
use serde_json::Value as Json;

use super::values::{err, from_json, to_json};

/// Registers the filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("combine", combine);
    env.add_filter("union", |a: Value, b: Value| -> Result<Value, Error> {
        Ok(Value::from(unique(
            items(&a)?.into_iter().chain(items(&b)?).collect(),
        )))
    });
    env.add_filter("intersect", |a: Value, b: Value| -> Result<Value, Error> {
        let b = items(&b)?;
        Ok(Value::from(unique(
            items(&a)?.into_iter().filter(|x| b.contains(x)).collect(),
        )))
    });
    env.add_filter("difference", |a: Value, b: Value| -> Result<Value, Error> {
        let b = items(&b)?;
        Ok(Value::from(unique(
            items(&a)?.into_iter().filter(|x| !b.contains(x)).collect(),
        )))
    });
    env.add_filter(
        "symmetric_difference",
        |a: Value, b: Value| -> Result<Value, Error> {
            let (a, b) = (items(&a)?, items(&b)?);
            let both: Vec<Value> = a.iter().filter(|x| b.contains(x)).cloned().collect();
            let all = unique(a.into_iter().chain(b).collect());
            Ok(Value::from(
                all.into_iter()
                    .filter(|x| !both.contains(x))
                    .collect::<Vec<_>>(),
            ))
        },
    );
    env.add_filter("zip_longest", zip_longest);
    env.add_filter("product", product);
    env.add_filter(
        "combinations",
        |a: Value, r: usize| -> Result<Value, Error> {
            let pool = items(&a)?;
            let mut out = Vec::new();
            choose(&pool, r, 0, &mut Vec::new(), &mut out, false);
            Ok(Value::from(out))
        },
    );
    env.add_filter(
        "permutations",
        |a: Value, r: Option<usize>| -> Result<Value, Error> {
            let pool = items(&a)?;
            let mut out = Vec::new();
            choose(
                &pool,
                r.unwrap_or(pool.len()),
                0,
                &mut Vec::new(),
                &mut out,
                true,
            );
            Ok(Value::from(out))
        },
    );
    env.add_filter("extract", extract);
    env.add_filter("subelements", subelements);
    env.add_filter("type_debug", |v: Value| type_name(&v));
    env.add_filter("random", random);
    env.add_filter("shuffle", shuffle);
}

/// The items of a list (or the characters of a string, the keys of a dict).
fn items(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(v.try_iter()?.collect())
}

/// The items without repeats, in their first order.
fn unique(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Python's type name of a value, as `type_debug` gives it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::None => "NoneType",
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::Bool => "bool",
        ValueKind::Number => match to_json(v) {
            Json::Number(n) if n.is_f64() => "float",
            _ => "int",
        },
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

/// `combine(*dicts, recursive=False, list_merge='replace')`; lists of dicts are read as
/// their dicts.
fn combine(base: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge: String = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    if ![
        "replace",
        "keep",
        "append",
        "prepend",
        "append_rp",
        "prepend_rp",
    ]
    .contains(&list_merge.as_str())
    {
        return Err(err(format!(
            "combine: '{list_merge}' is not a valid list_merge value"
        )));
    }
    let mut dicts = Vec::new();
    for term in std::iter::once(base).chain(others.0) {
        match to_json(&term) {
            Json::Array(list) => dicts.extend(list),
            other => dicts.push(other),
        }
    }
    let mut acc = Json::Object(Default::default());
    for d in dicts {
        if !d.is_object() {
            return Err(err(format!(
                "failed to combine variables, expected dicts but got a '{}'",
                type_name(&from_json(&d))
            )));
        }
        merge(&mut acc, d, recursive, &list_merge);
    }
    Ok(from_json(&acc))
}

fn merge(into: &mut Json, from: Json, recursive: bool, list_merge: &str) {
    let (Json::Object(a), Json::Object(b)) = (into, from) else {
        return;
    };
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(old @ Json::Object(_)), v @ Json::Object(_)) if recursive => {
                merge(old, v, true, list_merge)
            }
            (Some(Json::Array(old)), Json::Array(new)) => {
                let merged = merge_lists(std::mem::take(old), new, list_merge);
                *old = merged;
            }
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

fn merge_lists(old: Vec<Json>, new: Vec<Json>, how: &str) -> Vec<Json> {
    match how {
        "keep" => old,
        "append" => old.into_iter().chain(new).collect(),
        "prepend" => new.into_iter().chain(old).collect(),
        "append_rp" => {
            let kept = old.into_iter().filter(|x| !new.contains(x));
            kept.chain(new.iter().cloned()).collect()
        }
        "prepend_rp" => {
            let kept: Vec<Json> = old.into_iter().filter(|x| !new.contains(x)).collect();
            new.into_iter().chain(kept).collect()
        }
        _ => new,
    }
}

fn zip_longest(a: Value, rest: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill: Value = kwargs
        .get::<Option<Value>>("fillvalue")?
        .unwrap_or(Value::from(()));
    kwargs.assert_all_used()?;
    let lists: Vec<Vec<Value>> = std::iter::once(a)
        .chain(rest.0)
        .map(|l| items(&l))
        .collect::<Result<_, _>>()?;
    let n = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..n)
        .map(|i| {
            let row: Vec<Value> = lists
                .iter()
                .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                .collect();
            Value::from(row)
        })
        .collect())
}

fn product(a: Value, rest: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let lists: Vec<Vec<Value>> = std::iter::once(a)
        .chain(rest.0)
        .map(|l| items(&l))
        .collect::<Result<_, _>>()?;
    let lists: Vec<&Vec<Value>> = (0..repeat).flat_map(|_| lists.iter()).collect();
    let mut rows: Vec<Vec<Value>> = vec![vec![]];
    for list in lists {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                list.iter().map(move |x| {
                    let mut r = row.clone();
                    r.push(x.clone());
                    r
                })
            })
            .collect();
    }
    Ok(rows.into_iter().map(Value::from).collect())
}

/// Combinations (in order, without reuse) or permutations of `r` items, in itertools' order.
fn choose(
    pool: &[Value],
    r: usize,
    start: usize,
    current: &mut Vec<usize>,
    out: &mut Vec<Value>,
    ordered: bool,
) {
    if current.len() == r {
        out.push(Value::from(
            current.iter().map(|&i| pool[i].clone()).collect::<Vec<_>>(),
        ));
        return;
    }
    let from = if ordered { 0 } else { start };
    for i in from..pool.len() {
        if ordered && current.contains(&i) {
            continue;
        }
        current.push(i);
        choose(pool, r, i + 1, current, out, ordered);
        current.pop();
    }
}

/// `key | extract(container, morekeys)`: `container[key][morekey]...`.
fn extract(key: Value, container: Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut v = container.get_item(&key)?;
    if let Some(more) = morekeys {
        let keys = match more.kind() {
            ValueKind::Seq => items(&more)?,
            _ => vec![more],
        };
        for k in keys {
            v = v.get_item(&k)?;
        }
    }
    Ok(v)
}

/// `list | subelements('path.to.list', skip_missing=False)`: `[item, subitem]` pairs.
fn subelements(list: Value, path: String, kwargs: Kwargs) -> Result<Value, Error> {
    let skip_missing = match kwargs.get::<Option<Value>>("skip_missing")? {
        Some(v) => v.is_true(),
        None => false,
    };
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    for item in items(&list)? {
        let mut sub = item.clone();
        let mut missing = false;
        for key in path.split('.') {
            match sub.get_attr(key) {
                Ok(v) if !v.is_undefined() => sub = v,
                _ => {
                    missing = true;
                    break;
                }
            }
        }
        if missing {
            if skip_missing {
                continue;
            }
            return Err(err(format!(
                "could not find '{path}' key in iterated item '{}'",
                super::py_repr(&item)
            )));
        }
        if !matches!(sub.kind(), ValueKind::Seq) {
            return Err(err(format!("the key '{path}' should point to a list")));
        }
        for s in items(&sub)? {
            out.push(Value::from(vec![item.clone(), s]));
        }
    }
    Ok(Value::from(out))
}

/// A random generator: seeded from the text of `seed` when one is given.
fn rng(seed: Option<Value>) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    match seed {
        Some(s) => {
            let text = super::py_repr(&s);
            let digest = crate::checksum::sha1_hex(text.as_bytes());
            let n = u64::from_str_radix(&digest[..16], 16).unwrap_or(0);
            rand::rngs::StdRng::seed_from_u64(n)
        }
        None => rand::rngs::StdRng::from_os_rng(),
    }
}

/// `random`: a random item of a list, or a number of `range(start, end, step)`.
fn random(v: Value, start: Option<i64>, step: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    use rand::Rng;
    let start = start.or(kwargs.get("start")?).unwrap_or(0);
    let step = step.or(kwargs.get("step")?).unwrap_or(1);
    let mut rng = rng(kwargs.get("seed")?);
    kwargs.assert_all_used()?;
    if let Some(end) = v.as_i64() {
        if step <= 0 || end <= start {
            return Err(err("random: empty range"));
        }
        let count = (end - start + step - 1) / step;
        return Ok(Value::from(start + step * rng.random_range(0..count)));
    }
    let all = items(&v)?;
    if all.is_empty() {
        return Err(err("random: the sequence is empty"));
    }
    Ok(all[rng.random_range(0..all.len())].clone())
}

fn shuffle(v: Value, seed: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    use rand::seq::SliceRandom;
    let mut rng = rng(seed.or(kwargs.get("seed")?));
    kwargs.assert_all_used()?;
    let mut all = items(&v)?;
    all.shuffle(&mut rng);
    Ok(Value::from(all))
}
