//! Dynamic inventory scripts, Ansible's protocol: an executable `-i` file is run with
//! `--list` and prints JSON, `{"group": {"hosts": [...], "vars": {...}, "children": [...]},
//! "_meta": {"hostvars": {"host": {...}}}}` (a group may also be just a list of hosts).
//! Without `_meta`, the script is asked `--host NAME` for each host's variables.

use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::inventory::model::{Model, Origin};

/// Runs the script and reads what it prints into `model`.
pub(crate) fn load(path: &Path, origin: &Origin, model: &mut Model) -> Result<(), LoadError> {
    let data = run(path, &["--list"])?;
    let Json::Object(groups) = data else {
        return Err(fail(path, "its --list output is not a JSON object"));
    };
    let mut hostvars = groups
        .get("_meta")
        .and_then(|m| m.get("hostvars"))
        .and_then(Json::as_object)
        .cloned();
    let mut seen = Vec::new();
    for (name, group) in &groups {
        if name != "_meta" {
            add_group(path, origin, model, name, group, &mut seen)?;
        }
    }
    for host in &seen {
        let vars = match hostvars.as_mut() {
            Some(all) => all.remove(host).unwrap_or(Json::Null),
            None => run(path, &["--host", host])?,
        };
        add_host_vars(path, model, host, vars)?;
    }
    Ok(())
}

/// One group of the `--list` output (a list of hosts, or `hosts`/`vars`/`children`); its
/// hosts are appended to `seen` in order, once each.
fn add_group(
    path: &Path,
    origin: &Origin,
    model: &mut Model,
    name: &str,
    group: &Json,
    seen: &mut Vec<String>,
) -> Result<(), LoadError> {
    model.add_group(name);
    let (hosts, vars, children) = match group {
        Json::Array(hosts) => (Some(hosts), None, None),
        Json::Object(g) => (
            g.get("hosts").and_then(Json::as_array),
            g.get("vars").and_then(Json::as_object),
            g.get("children").and_then(Json::as_array),
        ),
        _ => {
            return Err(fail(
                path,
                &format!("group '{name}' is neither a list of hosts nor a mapping"),
            ))
        }
    };
    for h in hosts.into_iter().flatten() {
        let host =
            name_of(h).ok_or_else(|| fail(path, &format!("a host of '{name}' is not a name")))?;
        model
            .add_host(name, &host, None, origin)
            .map_err(|e| fail(path, &e.to_string()))?;
        if !seen.contains(&host) {
            seen.push(host);
        }
    }
    for (k, v) in vars.into_iter().flatten() {
        model
            .set_group_var(name, k, v.clone())
            .map_err(|e| fail(path, &e.to_string()))?;
    }
    for c in children.into_iter().flatten() {
        let child =
            name_of(c).ok_or_else(|| fail(path, &format!("a child of '{name}' is not a name")))?;
        model
            .add_child(name, &child)
            .map_err(|e| fail(path, &e.to_string()))?;
    }
    Ok(())
}

/// A host's variables, from `_meta.hostvars` or `--host`.
fn add_host_vars(path: &Path, model: &mut Model, host: &str, vars: Json) -> Result<(), LoadError> {
    match vars {
        Json::Object(v) => {
            for (k, val) in v {
                model.set_host_var(host, &k, val);
            }
            Ok(())
        }
        Json::Null => Ok(()),
        _ => Err(fail(
            path,
            &format!("the variables of '{host}' are not a mapping"),
        )),
    }
}

fn name_of(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn run(path: &Path, args: &[&str]) -> Result<Json, LoadError> {
    let out = Command::new(path)
        .args(args)
        .output()
        .map_err(|e| fail(path, &format!("cannot run it: {e}")))?;
    if !out.status.success() {
        let code = out
            .status
            .code()
            .map_or("a signal".to_string(), |c| format!("exit {c}"));
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(fail(
            path,
            &format!(
                "the inventory script failed with {code} on {}: {}",
                args.join(" "),
                err.trim()
            ),
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        fail(
            path,
            &format!(
                "the inventory script's {} output is not JSON: {e}",
                args.join(" ")
            ),
        )
    })
}

fn fail(path: &Path, msg: &str) -> LoadError {
    LoadError::plain(format!("{}: {msg}", path.display()))
        .with_hint("an inventory script prints JSON for --list (and --host NAME), as Ansible's script inventory expects")
}
