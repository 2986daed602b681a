//! Reading a module's typed arguments: [`typed`] (the usual `SPEC.run`), arguments read in two
//! parts, load-time refusals, and serde helpers for values templating leaves as text.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::host::Attrs;
use crate::modules::{argnames, ArgProblem, IntoResult, ModuleResult};
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

/// Arguments that take the common file arguments (`mode`, `owner`, `group`, `seuser`, ...:
/// [`Attrs`]) besides their own. Serde names no fields of a flattened struct, so the two parts
/// are read separately and joined.
pub(crate) trait FileArgs: DeserializeOwned {
    /// These arguments with the file arguments (read separately) put in.
    fn with_attrs(self, attrs: Attrs) -> Self;
}

/// The argument names of a module whose arguments are [`FileArgs`]: its own, then the file
/// arguments.
pub(crate) fn file_arg_names<T: FileArgs>() -> Vec<&'static str> {
    [argnames::of::<T>(), argnames::of::<Attrs>()].concat()
}

/// [`typed`] for [`FileArgs`].
pub(crate) async fn typed_file<T, R, F>(
    module: &str,
    args: Vars,
    run: impl FnOnce(T) -> F,
) -> ModuleResult
where
    T: FileArgs,
    R: IntoResult,
    F: Future<Output = R>,
{
    typed_parts(module, args, T::with_attrs, run).await
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

/// Accepts optional booleans written as strings (`install_recommends: "{{ x }}"`).
pub(crate) fn de_opt_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        v => de_bool(v).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Ansible's `type: list` of strings: a list, or one string split at commas.
pub(crate) fn de_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error;
    let text = |v: Json| match v {
        Json::String(s) => Ok(s),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(if b { "True" } else { "False" }.to_string()),
        other => Err(D::Error::custom(format!("{other} is not a string"))),
    };
    match Json::deserialize(d)? {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items.into_iter().map(text).collect(),
        Json::String(s) => Ok(s.split(',').map(|p| p.trim().to_string()).collect()),
        other => Ok(vec![text(other)?]),
    }
}

/// For a load-time [`ModuleSpec::check`]: refuses argument `name` (or one of its aliases,
/// `names[1..]`) when it is written as a value outside `allowed` (a template is decided at
/// run time, and passes here; so does `null`, which leaves the argument unset). A boolean
/// stands for `yes`/`no` when those are allowed.
pub(crate) fn refuse_choice(
    args: &Vars,
    module: &str,
    names: &[&str],
    allowed: &[&str],
) -> Result<(), ArgProblem> {
    let Some(value) = names.iter().find_map(|n| args.get(*n)) else {
        return Ok(());
    };
    let given = match value {
        Json::String(s) if s.contains("{{") || s.contains("{%") => return Ok(()),
        Json::Null => return Ok(()),
        Json::String(s) => s.clone(),
        Json::Bool(b) if allowed.contains(&"yes") => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string(),
    };
    if allowed.contains(&given.as_str()) {
        return Ok(());
    }
    Err(ArgProblem {
        message: format!(
            "value of {} must be one of: {}, got: {given}",
            names[0],
            allowed.join(", ")
        ),
        hint: format!(
            "module '{module}' takes {}: {}",
            names[0],
            allowed.join(", ")
        ),
    })
}

/// [`refuse_choice`] for several arguments, each with its own allowed values.
pub(crate) fn refuse_choices(
    args: &Vars,
    module: &str,
    table: &[(&str, &[&str])],
) -> Result<(), ArgProblem> {
    table
        .iter()
        .try_for_each(|(name, allowed)| refuse_choice(args, module, &[name], allowed))
}

/// For a load-time [`ModuleSpec::check`]: refuses arguments given together that exclude each
/// other (each group: a name and its aliases).
pub(crate) fn refuse_together(
    args: &Vars,
    module: &str,
    groups: &[&[&str]],
) -> Result<(), ArgProblem> {
    let given: Vec<&str> = groups
        .iter()
        .filter(|g| g.iter().any(|n| args.contains_key(*n)))
        .map(|g| g[0])
        .collect();
    if given.len() < 2 {
        return Ok(());
    }
    let all: Vec<&str> = groups.iter().map(|g| g[0]).collect();
    Err(ArgProblem {
        message: format!("parameters are mutually exclusive: {}", all.join("|")),
        hint: format!("module '{module}' takes only one of: {}", all.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_refuse_only_written_values_outside_the_set() {
        let allowed = ["absent", "present"];
        for (value, ok) in [
            (Json::from("present"), true),
            (Json::from("{{ s }}"), true),
            (Json::Null, true),
            (Json::from("gone"), false),
            (Json::from(true), false),
            (Json::from(3), false),
        ] {
            let mut args = Vars::new();
            args.insert("state".into(), value.clone());
            let r = refuse_choice(&args, "user", &["state"], &allowed);
            assert_eq!(r.is_ok(), ok, "{value}");
        }
        let mut args = Vars::new();
        args.insert("state".into(), "gone".into());
        let e = refuse_choices(&args, "user", &[("state", &allowed)]).unwrap_err();
        assert_eq!(
            e.message,
            "value of state must be one of: absent, present, got: gone"
        );
        assert_eq!(e.hint, "module 'user' takes state: absent, present");
    }
}
