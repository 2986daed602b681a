//! Python methods called on values (`s.rsplit('-', 1)`, `lst.index(x)`): minijinja's
//! pycompat answers most; the few it lacks that playbooks use are answered here.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::values::err;

/// The environment's unknown-method callback: pycompat first, then these.
pub(crate) fn call(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    if method == "items" && value.kind() == ValueKind::Map && args.is_empty() {
        // Python's dict.items() gives tuples: written `('k', 1)` in text.
        let pairs = value.try_iter()?.map(|k| {
            let v = value.get_item(&k).unwrap_or_default();
            Value::from_object(super::pyrepr::Tuple(vec![k, v]))
        });
        return Ok(Value::from_iter(pairs));
    }
    match minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args) {
        Err(e) if e.kind() == ErrorKind::UnknownMethod => {
            more(value, method, args).unwrap_or(Err(e))
        }
        other => other,
    }
}

fn more(value: &Value, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    match value.kind() {
        ValueKind::String => string_method(value.as_str()?, method, args),
        ValueKind::Seq if method == "index" => {
            let needle = args.first().cloned().unwrap_or_default();
            let found = value.try_iter().ok()?.position(|x| x == needle);
            Some(
                found
                    .map(Value::from)
                    .ok_or_else(|| err(format!("{needle} is not in list"))),
            )
        }
        _ => None,
    }
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let text = |i: usize| args.get(i).and_then(Value::as_str).map(str::to_string);
    let int = |i: usize| args.get(i).and_then(Value::as_i64);
    match method {
        "rsplit" => {
            let limit = int(1).filter(|n| *n >= 0).map(|n| n as usize);
            let mut parts: Vec<String> = match (text(0), limit) {
                (Some(sep), Some(n)) => s.rsplitn(n + 1, sep.as_str()).map(String::from).collect(),
                (Some(sep), None) => s.rsplit(sep.as_str()).map(String::from).collect(),
                (None, Some(n)) => {
                    let words: Vec<&str> = s.split_whitespace().collect();
                    let cut = words.len().saturating_sub(n);
                    let mut out: Vec<String> =
                        words[cut..].iter().rev().map(|w| w.to_string()).collect();
                    if cut > 0 {
                        out.push(words[..cut].join(" "));
                    }
                    out
                }
                (None, None) => s.split_whitespace().rev().map(String::from).collect(),
            };
            parts.reverse();
            Some(Ok(Value::from(parts)))
        }
        "index" => {
            let needle = text(0)?;
            Some(
                s.find(&needle)
                    .map(|i| Value::from(s[..i].chars().count()))
                    .ok_or_else(|| err("substring not found")),
            )
        }
        "zfill" => {
            let width = int(0)? as usize;
            let (sign, digits) = match s.strip_prefix(['-', '+']) {
                Some(rest) => (&s[..1], rest),
                None => ("", s),
            };
            let pad = width.saturating_sub(s.chars().count());
            Some(Ok(Value::from(format!(
                "{sign}{}{digits}",
                "0".repeat(pad)
            ))))
        }
        "ljust" | "rjust" => {
            let width = int(0)? as usize;
            let fill = text(1).and_then(|f| f.chars().next()).unwrap_or(' ');
            let pad: String =
                std::iter::repeat_n(fill, width.saturating_sub(s.chars().count())).collect();
            Some(Ok(Value::from(if method == "ljust" {
                format!("{s}{pad}")
            } else {
                format!("{pad}{s}")
            })))
        }
        "removeprefix" => {
            let p = text(0)?;
            Some(Ok(Value::from(s.strip_prefix(p.as_str()).unwrap_or(s))))
        }
        "removesuffix" => {
            let p = text(0)?;
            Some(Ok(Value::from(s.strip_suffix(p.as_str()).unwrap_or(s))))
        }
        _ => None,
    }
}
