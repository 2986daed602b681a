//! `to_json`, `to_nice_json`, `to_yaml` and `to_nice_yaml` with Python's and PyYAML's layout
//! and the keyword arguments Ansible passes on (`indent`, `sort_keys`, `ensure_ascii`,
//! `default_flow_style`, `width`, `explicit_start`).

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};

use super::pyyaml::{dump, Style};
use super::values::to_json;
use crate::pyjson::dumps;

/// Registers the filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", |v: Value, kwargs: Kwargs| json(v, kwargs, false));
    env.add_filter("to_nice_json", |v: Value, kwargs: Kwargs| {
        json(v, kwargs, true)
    });
    env.add_filter("to_yaml", |v: Value, kwargs: Kwargs| yaml(v, kwargs, false));
    env.add_filter("to_nice_yaml", |v: Value, kwargs: Kwargs| {
        yaml(v, kwargs, true)
    });
}

fn json(v: Value, kwargs: Kwargs, nice: bool) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let indent = if nice {
        Some(indent.unwrap_or(4))
    } else {
        indent
    };
    let sort = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(nice);
    let ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    let _: Option<Value> = kwargs.get("separators")?;
    let _: Option<bool> = kwargs.get("vault_to_text")?;
    let _: Option<bool> = kwargs.get("preprocess_unsafe")?;
    kwargs.assert_all_used()?;
    let text = dumps(&to_json(&v), indent, sort);
    Ok(if ascii {
        crate::pyjson::ascii_only(&text)
    } else {
        text
    })
}

fn yaml(v: Value, kwargs: Kwargs, nice: bool) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let flow: Option<Option<bool>> = kwargs.get::<Option<Value>>("default_flow_style")?.map(|f| {
        if f.is_none() {
            None
        } else {
            Some(f.is_true())
        }
    });
    let style = Style {
        indent: indent.unwrap_or(if nice { 4 } else { 2 }).clamp(2, 9),
        flow: flow.unwrap_or(if nice { Some(false) } else { None }),
        sort_keys: kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true),
        width: kwargs.get::<Option<usize>>("width")?.unwrap_or(80),
    };
    let start = kwargs
        .get::<Option<bool>>("explicit_start")?
        .unwrap_or(false);
    let _: Option<bool> = kwargs.get("allow_unicode")?;
    kwargs.assert_all_used()?;
    let text = dump(&to_json(&v), &style);
    Ok(if start { format!("---\n{text}") } else { text })
}
