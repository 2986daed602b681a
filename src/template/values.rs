//! What the filter, test and lookup files share: conversions between minijinja values and
//! JSON values, and the error a bad argument raises. A leaf of `template/`.

use minijinja::value::{Serde, Value};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

/// The error a filter or test raises for a bad argument.
pub(crate) fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// A template value as JSON (`null` when it has no JSON form).
pub(crate) fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// A JSON value as a template value.
pub(crate) fn from_json(j: &Json) -> Value {
    Value::from(Serde(j))
}
