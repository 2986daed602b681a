//! Load-time checks the network modules (`get_url`, `unarchive`, `git`, `pip`) share: an
//! argument that takes one of a fixed set of values is refused at load, naming the argument
//! and the values allowed, before any host is touched. A templated value is decided at run
//! time and passes here.

use serde_json::Value as Json;

use crate::modules::ArgProblem;
use crate::vars::Vars;

/// Refuses an argument that is a boolean flag when it is not one (`yes`, `no`, `true`, ...).
pub(crate) fn boolean(args: &Vars, module: &str, names: &[&str]) -> Result<(), ArgProblem> {
    for name in names {
        let ok = match args.get(*name) {
            None | Some(Json::Bool(_)) | Some(Json::Null) => true,
            Some(Json::String(s)) => s.contains("{{") || crate::text::ansible_bool(s).is_some(),
            Some(Json::Number(n)) => matches!(n.as_u64(), Some(0 | 1)),
            Some(_) => false,
        };
        if !ok {
            return Err(ArgProblem {
                message: format!("argument '{name}' of module '{module}' must be a boolean"),
                hint: format!("set '{name}' to true or false"),
            });
        }
    }
    Ok(())
}

/// Refuses two arguments of a pair given together.
pub(crate) fn exclusive(
    args: &Vars,
    module: &str,
    pairs: &[(&str, &str)],
) -> Result<(), ArgProblem> {
    for (a, b) in pairs {
        if args.contains_key(*a) && args.contains_key(*b) {
            return Err(ArgProblem {
                message: format!("parameters are mutually exclusive: {a}|{b} (module '{module}')"),
                hint: format!("give '{a}' or '{b}', not both"),
            });
        }
    }
    Ok(())
}

/// A list of strings, or one string (Ansible's `type=list` splits it at commas).
pub(crate) fn de_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::Deserialize;
    let text = |v: Json| match v {
        Json::String(s) => s,
        other => other.to_string(),
    };
    Ok(match Json::deserialize(d)? {
        Json::Null => Vec::new(),
        Json::Array(items) => items.into_iter().map(text).collect(),
        Json::String(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        other => vec![text(other)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_refuse_only_written_values_that_are_not_booleans() {
        let args = |v: Json| {
            let mut a = Vars::new();
            a.insert("state".into(), v);
            a
        };
        assert!(boolean(&args("maybe".into()), "pip", &["state"]).is_err());
        assert!(boolean(&args("yes".into()), "pip", &["state"]).is_ok());
    }
}
