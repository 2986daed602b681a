//! Scalar filters Ansible adds to Jinja or defines differently (default, bool, int, float,
//! to_json, to_yaml, b64encode, hash, ...). Collection filters live in
//! `collections.rs`, regex filters in `regex.rs`, tests in `predicates.rs`, the helpers they
//! share in `values.rs`.

use base64::Engine;
use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};
use serde_json::Value as Json;

use super::values::{err, from_json, Args};

/// Registers everything.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("from_json", |s: String| {
        serde_json::from_str::<Json>(&s)
            .map(|j| from_json(&j))
            .map_err(|e| err(format!("from_json: {e}")))
    });
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
    env.add_filter("expanduser", |s: String| crate::paths::expand_tilde(&s));
    env.add_filter(
        "ternary",
        |v: Value, a: Value, b: Value, n: Option<Value>| match (v.kind(), n) {
            (ValueKind::None, Some(n)) => n,
            _ if v.is_true() => a,
            _ => b,
        },
    );
    env.add_filter("mandatory", |v: Value, msg: Option<String>| {
        if !v.is_undefined() {
            return Ok(v);
        }
        Err(super::values::filter_error(
            msg.as_deref().unwrap_or(super::errors::MANDATORY),
        ))
    });
}

/// Jinja's `default(default_value='', boolean=False)`: a default that is itself undefined is
/// given as it is, so a further `default` in the chain still applies (`x | d(y.z) | d(0)`).
fn default(value: Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let args = Args::split(args)?;
    let boolean = args.flag(1, "boolean")?;
    let def = match args.rest(0).first() {
        Some(def) => Some(def.clone()),
        None => args.get(0, "default_value")?,
    };
    args.check("default", 2)?;
    let missing = value.is_undefined() || (boolean && !value.is_true());
    Ok(match missing {
        true => def.unwrap_or_else(|| Value::from("")),
        false => value,
    })
}

fn to_bool(v: Value) -> Value {
    Value::from(match v.kind() {
        // Ansible's bool passes None through.
        ValueKind::None => return v,
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => v.as_i64().map(|n| n == 1).unwrap_or(false),
        ValueKind::String => crate::text::ansible_bool(v.as_str().unwrap_or("")).unwrap_or(false),
        _ => false,
    })
}

fn to_int(v: Value, default: Option<i64>, base: Option<u32>, kwargs: Kwargs) -> Result<i64, Error> {
    let d = default.or(kwargs.get("default")?).unwrap_or(0);
    let base: Option<u32> = base.or(kwargs.get("base")?);
    kwargs.assert_all_used()?;
    if let (Some(base), Some(s)) = (base.filter(|b| *b != 10), v.as_str()) {
        let s = s.trim().to_ascii_lowercase();
        let digits = ["0x", "0o", "0b"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .unwrap_or(&s);
        return Ok(i64::from_str_radix(digits, base).unwrap_or(d));
    }
    Ok(int_of(&v, d))
}

fn int_of(v: &Value, d: i64) -> i64 {
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

fn from_yaml(s: String) -> Result<Value, Error> {
    let file = crate::error::SourceFile::new("<from_yaml>", s);
    crate::yaml::parse(file)
        .map(|n| from_json(&n.to_json()))
        .map_err(|e| err(format!("from_yaml: {}", e.message)))
}
