//! Filters on lists and dictionaries that Ansible adds: dict2items, items2dict,
//! flatten, zip, dict. minijinja's builtins provide map, select, selectattr, unique, sort,
//! min, max, sum, first, last, length, list, ...

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error};
use serde_json::Value as Json;

use super::values::{err, from_json, to_json};

/// Registers the collection filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("flatten", flatten);
    env.add_filter("zip", zip);
    env.add_filter("dict", dict);
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

fn flatten(v: Value, levels: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get("levels")?,
    };
    kwargs.assert_all_used()?;
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
    Ok(from_json(&Json::Array(out)))
}

fn zip(a: Value, rest: Rest<Value>) -> Value {
    let lists: Vec<Vec<Value>> = std::iter::once(a)
        .chain(rest.0)
        .map(|l| l.try_iter().map(|i| i.collect()).unwrap_or_default())
        .collect();
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    (0..n)
        .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
        .collect()
}

fn dict(v: Value) -> Result<Value, Error> {
    let pairs: indexmap::IndexMap<Value, Value> = v
        .try_iter()?
        .map(|p| {
            (
                p.get_item_by_index(0).unwrap_or_default(),
                p.get_item_by_index(1).unwrap_or_default(),
            )
        })
        .collect();
    Ok(Value::from_object(pairs))
}
