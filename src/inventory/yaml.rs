//! Ansible's YAML inventory format (also JSON): `all: {hosts: {h: {vars}}, vars: {},
//! children: {g: {hosts:, vars:, children:}}}`; top-level keys other than `all` are groups too.
//! As in ansible-core 2.18, `hosts:`, `children:` and `vars:` may also be a single name, host
//! keys may carry a port and ranges (`web[1:3]:2222`), and host and group names must be
//! strings. Where Ansible only warns (an unknown key, a group that is not a mapping) ferry
//! refuses the file, with the position and a suggestion.

use crate::error::{did_you_mean, LoadError};
use crate::inventory::model::{Model, Origin};
use crate::inventory::range::expand_hostpattern;
use crate::yaml::{Node, NodeKind};

const GROUP_KEYS: &[&str] = &["children", "hosts", "vars"];

/// Reads a parsed YAML inventory into `model`.
pub(crate) fn load(root: &Node, origin: &Origin, model: &mut Model) -> Result<(), LoadError> {
    match &root.kind {
        NodeKind::Null => Ok(()),
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                group(k, v, origin, model)?;
            }
            Ok(())
        }
        _ => Err(root.error(format!(
            "a YAML inventory must be a mapping of groups, found {}",
            root.type_name()
        ))),
    }
}

/// Reads one group; returns its name.
fn group(key: &Node, node: &Node, origin: &Origin, model: &mut Model) -> Result<String, LoadError> {
    let name = name_of(key, "group")?;
    model.add_group(&name);
    let entries = match &node.kind {
        NodeKind::Null => return Ok(name),
        NodeKind::Map(e) => e,
        _ => {
            return Err(node.error(format!(
                "group '{name}' must be a mapping of hosts, vars and children, found {}",
                node.type_name()
            )))
        }
    };
    for (k, v) in entries {
        let section = k.key_string();
        if !GROUP_KEYS.contains(&section.as_str()) {
            let e = k.error(format!("unknown key '{section}' in group '{name}'"));
            return Err(match did_you_mean(&section, GROUP_KEYS.iter().copied()) {
                Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                None => e.with_hint("a group takes hosts, vars and children"),
            });
        }
        for (item, value) in items(v, &section, &name)? {
            match section.as_str() {
                "vars" => {
                    let json = value.map_or(serde_json::Value::Null, Node::to_json);
                    model
                        .set_group_var(&name, &item.key_string(), json)
                        .map_err(|m| value.unwrap_or(item).error(m.to_string()))?;
                }
                "children" => {
                    let child = match value {
                        Some(v) => group(item, v, origin, model)?,
                        None => {
                            let child = name_of(item, "group")?;
                            model.add_group(&child);
                            child
                        }
                    };
                    model
                        .add_child(&name, &child)
                        .map_err(|m| item.error(m.to_string()))?;
                }
                _ => hosts(item, value, &name, origin, model)?,
            }
        }
    }
    Ok(name)
}

/// The entries of a `hosts`, `vars` or `children` value: a mapping, a single name, or nothing.
fn items<'a>(
    node: &'a Node,
    section: &str,
    group: &str,
) -> Result<Vec<(&'a Node, Option<&'a Node>)>, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Str(_) => Ok(vec![(node, None)]),
        NodeKind::Map(entries) => Ok(entries.iter().map(|(k, v)| (k, Some(v))).collect()),
        _ => Err(node
            .error(format!(
                "'{section}' of group '{group}' must be a mapping, found {}",
                node.type_name()
            ))
            .with_hint(match section {
                "hosts" => "write each host as a key: `hosts: {web1: {}, web2: {}}`",
                "children" => "write each child group as a key: `children: {web: {}}`",
                _ => "write each variable as a key: `vars: {port: 80}`",
            })),
    }
}

fn hosts(
    key: &Node,
    value: Option<&Node>,
    group: &str,
    origin: &Origin,
    model: &mut Model,
) -> Result<(), LoadError> {
    let pattern = name_of(key, "host")?;
    let vars = match value.map(|v| (v, v.to_json())) {
        None | Some((_, serde_json::Value::Null)) => serde_json::Map::new(),
        Some((_, serde_json::Value::Object(m))) => m,
        Some((v, _)) => {
            return Err(v.error(format!(
                "the vars of host '{pattern}' must be a mapping, found {}",
                v.type_name()
            )))
        }
    };
    let (names, port) = expand_hostpattern(&pattern).map_err(|m| key.error(m.to_string()))?;
    for name in names {
        model
            .add_host(group, &name, port, origin)
            .map_err(|m| key.error(m.to_string()))?;
        for (k, v) in &vars {
            model.set_host_var(&name, k, v.clone());
        }
    }
    Ok(())
}

/// A host or group name: a non-empty string (`1:` or `true:` are refused, as in Ansible).
fn name_of(key: &Node, what: &str) -> Result<String, LoadError> {
    match &key.kind {
        NodeKind::Str(s) if !s.is_empty() => Ok(s.clone()),
        NodeKind::Str(_) => Err(key.error(format!("empty {what} name"))),
        _ => Err(key
            .error(format!(
                "a {what} name must be a string, found {} '{}'",
                key.type_name(),
                key.key_string()
            ))
            .with_hint("quote it: '\"10\": ...'")),
    }
}
