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
        // Ansible's finalize: None prints as nothing.
        ValueKind::None => return Ok(()),
        _ => py_repr(value),
    };
    out.write_str(&text).map_err(Error::from)
}

/// [`py_repr`] of a JSON value (what the output prints of a loop item).
pub fn py_repr_json(value: &serde_json::Value) -> String {
    py_repr(&super::values::from_json(value))
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
        ValueKind::Seq if value.downcast_object_ref::<Tuple>().is_some() => {
            s.push('(');
            let items: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_value(s, item, false);
            }
            if items.len() == 1 {
                s.push(',');
            }
            s.push(')');
        }
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
        ValueKind::Number => match value.as_i64() {
            Some(i) if !is_float(value) => {
                let _ = write!(s, "{i}");
            }
            _ => s.push_str(&py_float(f64::try_from(value.clone()).unwrap_or(f64::NAN))),
        },
        _ => {
            let _ = write!(s, "{value}");
        }
    }
}

/// Whether a number value is a float (`1.0`) rather than an integer.
fn is_float(value: &Value) -> bool {
    matches!(
        serde_json::to_value(value),
        Ok(serde_json::Value::Number(n)) if n.is_f64()
    )
}

/// A float as Python's `repr` writes it: `3.0`, `0.30000000000000004`, `1e+20`, `1e-05`,
/// `inf`, `nan`.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let plain = format!("{f}");
    if plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
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

/// A Python tuple (what `splitext` and `win_splitdrive` give): a sequence in templates, and
/// written `('a', 'b')`, which Ansible does not read back as a list.
#[derive(Debug)]
pub(crate) struct Tuple(pub(crate) Vec<Value>);

impl minijinja::value::Object for Tuple {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_i64()?;
        let i = if i < 0 { self.0.len() as i64 + i } else { i };
        self.0.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.len())
    }
}
