//! The `subelements` plugin: `[item, subitem]` for every element of a list held under a key
//! of each item (a dotted key reaches into nested dicts).
//!
//! As in Ansible, the item given back no longer holds the list it was paired from.

use serde_json::Value as Json;

use super::{Call, Fail, Found};
use crate::vars::Vars;

/// `subelements`: terms are the list (or dict of items), the key, and optionally
/// `{skip_missing: bool}`.
pub(crate) fn subelements(call: &Call) -> Found {
    let bad = |why: &str| {
        Fail::Soft(format!(
            "subelements lookup expects a list of two or three items, {why}"
        ))
    };
    let (list, key, flags) = match call.terms.as_slice() {
        [l, Json::String(k)] => (l, k, None),
        [l, Json::String(k), f] => (l, k, Some(f)),
        _ => {
            return Err(bad(
                "first a dict or a list, second a string pointing to the subkey",
            ))
        }
    };
    let skip_missing = match flags {
        None => false,
        Some(Json::Object(f)) => f.get("skip_missing").is_some_and(super::truthy),
        Some(_) => {
            return Err(bad(
                "the optional third item must be a dict with flags skip_missing",
            ))
        }
    };
    let elements: Vec<Json> = match list {
        Json::Array(items) => items.clone(),
        Json::Object(o) if o.get("skipped").is_some_and(|s| s != &Json::Bool(false)) => {
            return Ok(Vec::new())
        }
        Json::Object(o) => o.values().cloned().collect(),
        _ => {
            return Err(bad(
                "first a dict or a list, second a string pointing to the subkey",
            ))
        }
    };
    let path: Vec<&str> = key.split('.').collect();
    let mut out = Vec::new();
    for element in elements {
        let Json::Object(mut item) = element else {
            return Err(Fail::Soft(format!(
                "subelements lookup expects a dictionary, got '{}'",
                super::repr(&element)
            )));
        };
        if item.get("skipped").is_some_and(|s| s != &Json::Bool(false)) {
            continue;
        }
        let sublist = take_sublist(&mut item, &path, skip_missing)?;
        for sub in sublist {
            out.push(Json::Array(vec![Json::Object(item.clone()), sub]));
        }
    }
    Ok(out)
}

/// Removes and returns the list at `path` in `item` (empty when missing and skipped).
fn take_sublist(item: &mut Vars, path: &[&str], skip_missing: bool) -> Result<Vec<Json>, Fail> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Vec::new());
    };
    let shown = super::repr(&Json::Object(item.clone()));
    let Some(value) = item.get_mut(*first) else {
        if skip_missing {
            return Ok(Vec::new());
        }
        return Err(Fail::Soft(format!(
            "could not find '{first}' key in iterated item '{shown}'"
        )));
    };
    if rest.is_empty() {
        let Json::Array(_) = value else {
            return Err(Fail::Soft(format!(
                "the key {first} should point to a list, got '{}'",
                super::repr(value)
            )));
        };
        return match item.remove(*first) {
            Some(Json::Array(list)) => Ok(list),
            _ => Ok(Vec::new()),
        };
    }
    match value {
        Json::Object(inner) => take_sublist(inner, rest, skip_missing),
        _ if skip_missing => Ok(Vec::new()),
        other => Err(Fail::Soft(format!(
            "the key {first} should point to a dictionary, got '{}'",
            super::repr(other)
        ))),
    }
}
