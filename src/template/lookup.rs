//! `lookup()`, `query()` and `q()` with the `env` and `file` plugins (on the control node).

use minijinja::value::{Rest, Value};
use minijinja::{Environment, Error};

use super::values::err;

/// Registers the lookup functions.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(|v| Value::from(v.join(",")))
    });
    env.add_function("query", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(Value::from)
    });
    env.add_function("q", |kind: String, args: Rest<String>| {
        lookup(&kind, &args.0).map(Value::from)
    });
}
fn lookup(kind: &str, args: &[String]) -> Result<Vec<String>, Error> {
    match kind {
        "env" => Ok(args
            .iter()
            .map(|a| std::env::var(a).unwrap_or_default())
            .collect()),
        "file" => args
            .iter()
            .map(|a| {
                std::fs::read_to_string(a)
                    .map(|s| s.trim_end_matches('\n').to_string())
                    .map_err(|e| err(format!("lookup('file', '{a}'): {e}")))
            })
            .collect(),
        other => Err(err(format!(
            "lookup plugin '{other}' is not supported by ferry (env and file are)"
        ))),
    }
}
