//! The plugins that read variables and the environment: `env`, `vars`, `varnames`,
//! `inventory_hostnames` (from the `groups` variable).

use regex::Regex;
use serde_json::Value as Json;

use super::scope::templar;
use super::{text, Call, Fail, Found};

/// `env`: each environment variable of the control node (`default`, else `""`, when unset).
pub(crate) fn env(call: &Call) -> Found {
    let default = call.opts.get("default").cloned().unwrap_or(Json::from(""));
    Ok(call
        .terms
        .iter()
        .map(|t| {
            let name = text(t);
            let name = name.split_whitespace().next().unwrap_or("");
            std::env::var(name).map_or_else(|_| default.clone(), Json::from)
        })
        .collect())
}

/// The Python type name Ansible's messages show for a value.
fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

/// A term that must name something: its text, or Ansible's complaint.
fn identifier(t: &Json) -> Result<&str, Fail> {
    t.as_str().ok_or_else(|| {
        Fail::Soft(format!(
            "Invalid setting identifier, \"{}\" is not a string, its a <class '{}'>",
            text(t),
            type_name(t)
        ))
    })
}

/// `vars`: each named variable (`default` for a missing one, else an error). A variable
/// written as a template that the scope has not rendered yet is rendered; any other value is
/// given as it is — a registered result or a fact holding `{{ }}` text is data, which Ansible
/// marks unsafe and never renders.
pub(crate) fn vars(call: &Call) -> Found {
    let default = call.opts.get("default").filter(|d| !d.is_null());
    let all = call.scope.vars();
    let lazy = |name: &str| match all.get(crate::template::LAZY) {
        Some(Json::Array(names)) => names.iter().any(|n| n.as_str() == Some(name)),
        _ => false,
    };
    let mut found = Vec::new();
    for t in &call.terms {
        let name = identifier(t)?;
        let value = match (all.get(name), default) {
            (Some(v), _) if lazy(name) => templar()
                .render_value(v, all)
                .map_err(|e| Fail::Hard(e.to_string()))?,
            (Some(v), _) => v.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => {
                return Err(Fail::Hard(format!(
                    "No variable found with this name: {name}"
                )))
            }
        };
        found.push(value);
    }
    Ok(found)
}

/// `varnames`: the names of the variables each regular expression finds, in scope order.
pub(crate) fn varnames(call: &Call) -> Found {
    let mut found = Vec::new();
    for t in &call.terms {
        let pattern = identifier(t)?;
        let re = Regex::new(pattern).map_err(|e| {
            Fail::Soft(format!(
                "Unable to use \"{pattern}\" as a search parameter: {e}"
            ))
        })?;
        found.extend(
            call.scope
                .vars()
                .keys()
                .filter(|k| re.is_match(k))
                .map(|k| Json::from(k.as_str())),
        );
    }
    Ok(found)
}

/// `inventory_hostnames`: the hosts each pattern selects from the `groups` variable
/// (`all`, groups, hosts, `*` wildcards, `a:b` or `a,b` unions, `&` and `!` prefixes).
pub(crate) fn inventory_hostnames(call: &Call) -> Found {
    let Some(Json::Object(groups)) = call.scope.vars().get("groups") else {
        return Err(Fail::Soft("'groups'".into()));
    };
    let members = |g: &str| -> Vec<String> {
        groups
            .get(g)
            .and_then(Json::as_array)
            .map(|hosts| hosts.iter().map(text).collect())
            .unwrap_or_default()
    };
    let all = members("all");
    let mut found: Vec<String> = Vec::new();
    for t in &call.terms {
        let mut selected: Vec<String> = Vec::new();
        for part in text(t)
            .split([',', ':'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (op, name) = match part.split_at(usize::from(part.starts_with(['!', '&']))) {
                ("", name) => ('+', name),
                (op, name) => (op.chars().next().unwrap_or('+'), name),
            };
            let hosts = resolve(name, groups, &all, &members);
            match op {
                '!' => selected.retain(|h| !hosts.contains(h)),
                '&' => selected.retain(|h| hosts.contains(h)),
                _ => {
                    for h in hosts {
                        if !selected.contains(&h) {
                            selected.push(h);
                        }
                    }
                }
            }
        }
        for h in selected {
            if !found.contains(&h) {
                found.push(h);
            }
        }
    }
    Ok(found.into_iter().map(Json::from).collect())
}

/// The hosts one pattern word names: a group, a host, or a `*` wildcard over both.
fn resolve(
    name: &str,
    groups: &crate::vars::Vars,
    all: &[String],
    members: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    if name == "all" || name == "*" {
        return all.to_vec();
    }
    if groups.contains_key(name) {
        return members(name);
    }
    if name.contains('*') {
        let re = Regex::new(&format!("^{}$", regex::escape(name).replace("\\*", ".*")));
        let Ok(re) = re else {
            return Vec::new();
        };
        let mut hosts: Vec<String> = all.iter().filter(|h| re.is_match(h)).cloned().collect();
        for g in groups.keys().filter(|g| re.is_match(g)) {
            hosts.extend(members(g));
        }
        return all.iter().filter(|h| hosts.contains(h)).cloned().collect();
    }
    all.iter().filter(|h| *h == name).cloned().collect()
}
