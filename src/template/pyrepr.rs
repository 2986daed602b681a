//! Values written the way Python writes them, which is what Ansible shows: `True`, `None`,
//! `['a', 1]`, `{'k': 'v'}`; and the formatter that makes `{{ x }}` print that way and refuse
//! to print an undefined value.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

/// The environment's formatter: Python-style text; printing an undefined value is an error.
pub(crate) fn format(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    let text = match value.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "undefined value printed",
            ));
        }
        ValueKind::String => {
            return out
                .write_str(value.as_str().unwrap_or(""))
                .map_err(Error::from)
        }
        _ => py_repr(value),
    };
    out.write_str(&text).map_err(Error::from)
}

/// `repr()` of a value as Python would print it inside a container, `str()` at top level for
/// scalars.
pub fn py_repr(value: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, value, true);
    s
}

fn write_value(s: &mut String, value: &Value, top: bool) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => s.push_str("None"),
        ValueKind::Bool => s.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::String if top => s.push_str(value.as_str().unwrap_or("")),
        ValueKind::String => quote(s, value.as_str().unwrap_or("")),
        ValueKind::Seq | ValueKind::Iterable => {
            s.push('[');
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    write_value(s, &item, false);
                }
            }
            s.push(']');
        }
        ValueKind::Map => {
            s.push('{');
            if let Ok(keys) = value.try_iter() {
                for (i, key) in keys.enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    write_value(s, &key, false);
                    s.push_str(": ");
                    let v = value.get_item(&key).unwrap_or(Value::UNDEFINED);
                    write_value(s, &v, false);
                }
            }
            s.push('}');
        }
        _ => {
            let _ = write!(s, "{value}");
        }
    }
}

/// Python's repr of a str: single quotes unless the text has one and no double quote.
fn quote(s: &mut String, text: &str) {
    let q = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    s.push(q);
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c == q => {
                s.push('\\');
                s.push(c);
            }
            c => s.push(c),
        }
    }
    s.push(q);
}
