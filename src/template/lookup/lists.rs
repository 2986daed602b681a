//! The plugins that reshape their terms: `items`, `list`, `indexed_items`, `nested`,
//! `together`, `dict`, `random_choice`, `flattened`.
//!
//! Python iterates strings by character and dicts by key; these plugins do too where
//! Ansible's do, so odd inputs give Ansible's odd results.

use rand::seq::IndexedRandom;
use serde_json::Value as Json;

use super::scope::templar;
use super::{Call, Fail, Found};
use crate::template::is_template;

/// The items of `v` as Python's `for x in v` sees them.
fn iterate(v: &Json) -> Result<Vec<Json>, Fail> {
    match v {
        Json::Array(items) => Ok(items.clone()),
        Json::String(s) => Ok(s.chars().map(|c| Json::from(c.to_string())).collect()),
        Json::Object(o) => Ok(o.keys().map(|k| Json::from(k.as_str())).collect()),
        Json::Null => Err(Fail::Soft("'NoneType' object is not iterable".into())),
        Json::Bool(_) => Err(Fail::Soft("'bool' object is not iterable".into())),
        Json::Number(n) if n.is_f64() => Err(Fail::Soft("'float' object is not iterable".into())),
        Json::Number(_) => Err(Fail::Soft("'int' object is not iterable".into())),
    }
}

/// The items of `v` with its lists opened one level.
fn flatten_once(v: &Json) -> Result<Vec<Json>, Fail> {
    let mut out = Vec::new();
    for item in iterate(v)? {
        match item {
            Json::Array(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A term made a list as Ansible's loops make one: a string or scalar becomes a list of one.
fn listify(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(items) => items.clone(),
        Json::Object(o) => o.keys().map(|k| Json::from(k.as_str())).collect(),
        other => vec![other.clone()],
    }
}

/// `items`: the terms, lists opened one level.
pub(crate) fn items(call: &Call) -> Found {
    flatten_once(&Json::Array(call.terms.clone()))
}

/// `list`: the terms as they are.
pub(crate) fn list(call: &Call) -> Found {
    Ok(call.terms.clone())
}

/// `indexed_items`: `[index, item]` pairs of the terms, lists opened one level.
pub(crate) fn indexed_items(call: &Call) -> Found {
    let items = flatten_once(&Json::Array(call.terms.clone()))?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| Json::Array(vec![i.into(), v]))
        .collect())
}

/// `nested`: the product of the lists, each combination flattened one level.
pub(crate) fn nested(call: &Call) -> Found {
    let mut lists = call.terms.iter().map(listify);
    let Some(mut result) = lists.next() else {
        return Err(Fail::Soft(
            "with_nested requires at least one element in the nested list".into(),
        ));
    };
    for next in lists {
        let mut combined = Vec::new();
        for x in &result {
            for y in &next {
                combined.push(Json::Array(flatten_once(&Json::Array(vec![
                    x.clone(),
                    y.clone(),
                ]))?));
            }
        }
        result = combined;
    }
    result
        .iter()
        .map(|x| flatten_once(x).map(Json::Array))
        .collect()
}

/// `together`: the lists zipped, shorter ones padded with `None`.
pub(crate) fn together(call: &Call) -> Found {
    let lists: Vec<Vec<Json>> = call.terms.iter().map(listify).collect();
    if lists.is_empty() {
        return Err(Fail::Soft(
            "with_together requires at least one element in each list".into(),
        ));
    }
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .map(|i| {
            let row: Vec<Json> = lists
                .iter()
                .map(|l| l.get(i).cloned().unwrap_or(Json::Null))
                .collect();
            flatten_once(&Json::Array(row)).map(Json::Array)
        })
        .collect()
}

/// `dict`: `{key, value}` for every entry of every dict.
pub(crate) fn dict(call: &Call) -> Found {
    let mut out = Vec::new();
    for term in &call.terms {
        let Json::Object(map) = term else {
            return Err(Fail::Soft("with_dict expects a dict".into()));
        };
        for (k, v) in map {
            out.push(serde_json::json!({ "key": k, "value": v }));
        }
    }
    Ok(out)
}

/// `random_choice`: one of the terms at random (nothing for no terms).
pub(crate) fn random_choice(call: &Call) -> Found {
    Ok(call
        .terms
        .choose(&mut rand::rng())
        .cloned()
        .into_iter()
        .collect())
}

/// `flattened` (community.general's): every nested list opened, strings that are templates
/// rendered first; a `None` or `null` string ends the list.
pub(crate) fn flattened(call: &Call) -> Found {
    flatten_deep(&call.terms, call)
}

fn flatten_deep(terms: &[Json], call: &Call) -> Found {
    let mut out = Vec::new();
    for term in terms {
        let mut term = single(term).clone();
        if term == "None" || term == "null" {
            break;
        }
        if let Json::String(s) = &term {
            if is_template(s) {
                term = templar()
                    .render_str(s.trim(), call.scope.vars())
                    .map_err(|e| Fail::Hard(e.to_string()))?;
            }
        }
        match term {
            Json::Array(inner) => out.extend(flatten_deep(&inner, call)?),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The item a list of one (list of one ...) holds; anything else as it is.
fn single(v: &Json) -> &Json {
    match v {
        Json::Array(items) if items.len() == 1 => single(&items[0]),
        other => other,
    }
}
