//! Argument helpers of the system modules (user, group, cron, sysctl, mount, ...): load-time
//! checks of arguments that take one of a fixed set of values (`state`, `update_password`),
//! refused before any host is touched, naming the argument and what it allows (a templated
//! value is decided at run time and passes there); numbers that arrive as text; lists that
//! arrive as comma-separated text.

use serde_json::Value as Json;

use crate::modules::ArgProblem;
use crate::vars::Vars;

/// Refuses `name` when it is written as a value outside `allowed`.
pub(crate) fn one_of(
    args: &Vars,
    module: &str,
    name: &str,
    allowed: &[&str],
) -> Result<(), ArgProblem> {
    let given = match args.get(name) {
        Some(Json::String(s)) if !s.contains("{{") && !s.contains("{%") => s.clone(),
        Some(Json::Bool(b)) => b.to_string(),
        Some(Json::Number(n)) => n.to_string(),
        _ => return Ok(()),
    };
    if allowed.contains(&given.as_str()) {
        return Ok(());
    }
    Err(ArgProblem {
        message: format!(
            "value of '{name}' of module '{module}' must be one of: {}, got: {given}",
            allowed.join(", ")
        ),
        hint: format!("set '{name}' to one of: {}", allowed.join(", ")),
    })
}

/// [`one_of`] for several arguments at once.
pub(crate) fn all_of(
    args: &Vars,
    module: &str,
    table: &[(&str, &[&str])],
) -> Result<(), ArgProblem> {
    table
        .iter()
        .try_for_each(|(name, allowed)| one_of(args, module, name, allowed))
}

/// The run-time form of [`one_of`]: a templated value outside `allowed` fails the task.
pub(crate) fn at_run(
    name: &str,
    value: &str,
    allowed: &[&str],
) -> Result<(), crate::modules::ModuleResult> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(crate::modules::ModuleResult::failed(format!(
        "value of {name} must be one of: {}, got: {value}",
        allowed.join(", ")
    )))
}

/// An optional number written as a number or as text (`uid: "1001"`, `expires: -1`).
pub(crate) fn de_opt_num<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    use serde::de::Error;
    use serde::Deserialize;
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        Json::Number(n) => n
            .to_string()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{n} is not a valid number here"))),
        Json::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("'{s}' is not a valid number"))),
        other => Err(D::Error::custom(format!("{other} is not a number"))),
    }
}

/// An optional list of strings, written as a list or as comma-separated text (Ansible's
/// `type='list'`); `None` when not given.
pub(crate) fn de_opt_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    use serde::de::Error;
    use serde::Deserialize;
    let text = |v: Json| match v {
        Json::String(s) => Ok(s),
        Json::Number(n) => Ok(n.to_string()),
        other => Err(D::Error::custom(format!("{other} is not a string"))),
    };
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        Json::Array(items) => items
            .into_iter()
            .map(text)
            .collect::<Result<_, _>>()
            .map(Some),
        v => Ok(Some(
            text(v)?.split(',').map(|s| s.trim().to_string()).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_set_are_refused_templates_pass() {
        for (value, ok) in [
            (Json::from("present"), true),
            (Json::from("{{ s }}"), true),
            (Json::from("gone"), false),
            (Json::from(true), false),
        ] {
            let mut args = Vars::new();
            args.insert("state".into(), value.clone());
            let r = one_of(&args, "user", "state", &["absent", "present"]);
            assert_eq!(r.is_ok(), ok, "{value}");
        }
        let mut args = Vars::new();
        args.insert("state".into(), "gone".into());
        let e = one_of(&args, "user", "state", &["absent", "present"]).unwrap_err();
        assert_eq!(
            e.message,
            "value of 'state' of module 'user' must be one of: absent, present, got: gone"
        );
    }
}
