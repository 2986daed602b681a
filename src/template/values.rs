//! What the filter, test and lookup files share: conversions between minijinja values and
//! JSON values, and the error a bad argument raises. A leaf of `template/`.

use minijinja::value::{from_args, Kwargs, Rest, Serde, Value, ValueOrKwargs};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

use super::pyrepr::py_repr;

/// The error a filter or test raises for a bad argument.
pub(crate) fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Marks a filter's own error (Ansible's `AnsibleFilterError`) in a minijinja error's detail.
pub(crate) const FILTER_ERROR: &str = "\u{1}filter error: ";

/// A filter's own error, which Ansible reports as its bare message.
pub(crate) fn filter_error(msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{FILTER_ERROR}{msg}"))
}

/// A template value as JSON (`null` when it has no JSON form).
pub(crate) fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// A JSON value as a template value.
pub(crate) fn from_json(j: &Json) -> Value {
    Value::from(Serde(j))
}

/// A value as the text a filter or test reads as its text: a string as it is, anything else as Python's
/// `str()` shows it; an undefined value is an error.
pub(crate) fn text_of(v: &Value) -> Result<String, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "a filter or test that reads text was given an undefined value",
        ));
    }
    Ok(v.as_str().map_or_else(|| py_repr(v), str::to_string))
}

/// A function's arguments as Python binds them: positional ones, then keyword ones.
pub(crate) struct Args {
    positional: Vec<Value>,
    kwargs: Kwargs,
}

impl Args {
    /// Splits the arguments a filter or test was called with.
    pub(crate) fn split(args: Rest<ValueOrKwargs>) -> Result<Args, Error> {
        let values = args.into_values();
        let (positional, kwargs) = from_args::<(&[Value], Kwargs)>(&values)?;
        Ok(Args {
            positional: positional.to_vec(),
            kwargs,
        })
    }

    /// The parameter at `index` (positional) or called `name` (keyword), if given.
    pub(crate) fn get(&self, index: usize, name: &str) -> Result<Option<Value>, Error> {
        let named: Option<Value> = self.kwargs.get(name)?;
        match (self.positional.get(index), named) {
            (Some(_), Some(_)) => Err(err(format!("got multiple values for argument '{name}'"))),
            (Some(v), None) => Ok(Some(v.clone())),
            (None, v) => Ok(v),
        }
    }

    /// The parameter at `index` or called `name`, read as Python reads `if flag:`.
    pub(crate) fn flag(&self, index: usize, name: &str) -> Result<bool, Error> {
        Ok(self.get(index, name)?.is_some_and(|v| v.is_true()))
    }

    /// The positional arguments from `index` on.
    pub(crate) fn rest(&self, index: usize) -> &[Value] {
        self.positional.get(index..).unwrap_or_default()
    }

    /// Fails if more than `max` positional arguments or an unknown keyword was given.
    pub(crate) fn check(&self, what: &str, max: usize) -> Result<(), Error> {
        if self.positional.len() > max {
            return Err(err(format!(
                "{what} takes at most {max} arguments ({} given)",
                self.positional.len()
            )));
        }
        self.kwargs.assert_all_used()
    }
}
