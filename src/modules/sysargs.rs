//! Argument helpers of the system modules (user, group, cron, sysctl, mount, ...): the
//! run-time check of a templated argument that takes one of a fixed set of values (the
//! load-time one is `args.rs`' `refuse_choice`); numbers that arrive as text; lists that
//! arrive as comma-separated text.

use serde_json::Value as Json;

/// The run-time form of [`crate::modules::args::refuse_choice`]: a templated value outside
/// `allowed` fails the task.
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
