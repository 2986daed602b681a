//! Reading a module's typed arguments: [`typed`] (the usual `SPEC.run`), arguments read in two
//! parts, load-time refusals, and serde helpers for values templating leaves as text.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{ArgProblem, IntoResult, ModuleResult};
use crate::vars::Vars;

/// Reads a module's typed arguments, or the failure Ansible reports for bad ones.
fn parse_args<T: DeserializeOwned>(module: &str, args: Vars) -> Result<T, ModuleResult> {
    serde_json::from_value(Json::Object(args))
        .map_err(|e| ModuleResult::failed(format!("invalid arguments for module '{module}': {e}")))
}

/// Reads a module's typed arguments, then runs it with them; bad arguments are its failure.
/// A module's `SPEC.run` is `|ctx, args| Box::pin(typed("name", args, move |a| run(ctx, a)))`.
pub(crate) async fn typed<T: DeserializeOwned, R: IntoResult, F: Future<Output = R>>(
    module: &str,
    args: Vars,
    run: impl FnOnce(T) -> F,
) -> ModuleResult {
    match parse_args(module, args) {
        Ok(a) => run(a).await.into_result(),
        Err(r) => r,
    }
}

/// [`typed`] for arguments read in two parts (see [`parse_parts`]), joined by `join`.
pub(crate) async fn typed_parts<T, P, R, F>(
    module: &str,
    args: Vars,
    join: fn(T, P) -> T,
    run: impl FnOnce(T) -> F,
) -> ModuleResult
where
    T: DeserializeOwned,
    P: DeserializeOwned,
    R: IntoResult,
    F: Future<Output = R>,
{
    match parse_parts(module, args) {
        Ok((a, p)) => run(join(a, p)).await.into_result(),
        Err(r) => r,
    }
}

/// Reads typed arguments in two parts from the same mapping: the module's own struct and a
/// shared part it reads separately (`command`'s options shared with `shell`, the file
/// modules' mode/owner/group).
fn parse_parts<T: DeserializeOwned, P: DeserializeOwned>(
    module: &str,
    args: Vars,
) -> Result<(T, P), ModuleResult> {
    Ok((parse_args(module, args.clone())?, parse_args(module, args)?))
}

/// For a load-time [`ModuleSpec::check`]: refuses argument `name` when it is written as the
/// boolean `unsupported` (a template is decided at run time, and passes here).
pub(crate) fn refuse_flag(
    args: &Vars,
    module: &str,
    name: &str,
    unsupported: bool,
    why: &str,
) -> Result<(), ArgProblem> {
    let given = match args.get(name) {
        Some(Json::Bool(b)) => Some(*b),
        Some(Json::String(s)) => crate::text::ansible_bool(s),
        _ => None,
    };
    if given != Some(unsupported) {
        return Ok(());
    }
    Err(ArgProblem {
        message: format!(
            "'{name}: {unsupported}' of module '{module}' is not supported by ferry yet"
        ),
        hint: why.to_string(),
    })
}

/// `true`: the serde default of the boolean arguments that are on unless turned off.
pub(crate) fn yes() -> bool {
    true
}

/// Accepts YAML/Ansible booleans written as strings in templated arguments.
pub(crate) fn de_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::de::Error;
    match Json::deserialize(d)? {
        Json::Bool(b) => Ok(b),
        Json::Number(n) => Ok(n.as_f64() != Some(0.0)),
        Json::String(s) => crate::text::ansible_bool(&s)
            .ok_or_else(|| D::Error::custom(format!("'{s}' is not a boolean"))),
        other => Err(D::Error::custom(format!("{other} is not a boolean"))),
    }
}

/// Accepts numbers written as strings (free-form `timeout=5` arrives as text).
pub(crate) fn de_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match Json::deserialize(d)? {
        Json::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number"))),
        Json::String(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("'{s}' is not a whole number"))),
        other => Err(D::Error::custom(format!("{other} is not a whole number"))),
    }
}

/// [`de_u64`] for optional arguments.
pub(crate) fn de_opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_u64(d).map(Some)
}
