//! Ansible's YAML inventory format: `all: {hosts: {h: {vars}}, vars: {}, children: {g: ...}}`;
//! top-level keys other than `all` are groups too.

use std::path::Path;

use crate::error::LoadError;
use crate::inventory::model::Model;
use crate::inventory::range::expand;
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

const GROUP_KEYS: &[&str] = &["children", "hosts", "vars"];

/// Reads a YAML inventory (already parsed) into `model`.
pub(crate) fn load(path: &Path, root: &Node, model: &mut Model) -> Result<(), LoadError> {
    match &root.kind {
        NodeKind::Null => Ok(()),
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                group(path, &k.key_string(), v, model)?;
            }
            Ok(())
        }
        _ => Err(root.error(format!(
            "a YAML inventory must be a mapping of groups, found {}",
            root.type_name()
        ))),
    }
}

fn group(path: &Path, name: &str, node: &Node, model: &mut Model) -> Result<(), LoadError> {
    model.group(name);
    let entries = match &node.kind {
        NodeKind::Null => return Ok(()),
        NodeKind::Map(e) => e,
        _ => {
            return Err(node.error(format!(
                "group '{name}' must be a mapping, found {}",
                node.type_name()
            )))
        }
    };
    for (k, v) in entries {
        match k.key_string().as_str() {
            "hosts" => hosts(path, name, v, model)?,
            "vars" => match v.to_json() {
                serde_json::Value::Object(m) => model.group(name).vars.extend(m),
                serde_json::Value::Null => {}
                _ => return Err(v.error(format!("vars of group '{name}' must be a mapping"))),
            },
            "children" => {
                let Some(children) = v.as_map() else {
                    if v.is_null() {
                        continue;
                    }
                    return Err(v.error(format!("children of group '{name}' must be a mapping")));
                };
                for (ck, cv) in children {
                    let child = ck.key_string();
                    group(path, &child, cv, model)?;
                    let g = model.group(name);
                    if !g.children.contains(&child) {
                        g.children.push(child);
                    }
                }
            }
            other => {
                let e = k.error(format!("unknown key '{other}' in group '{name}'"));
                return Err(
                    match crate::error::did_you_mean(other, GROUP_KEYS.iter().copied()) {
                        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                        None => e.with_hint("a group takes hosts, vars and children"),
                    },
                );
            }
        }
    }
    Ok(())
}

fn hosts(path: &Path, group: &str, node: &Node, model: &mut Model) -> Result<(), LoadError> {
    let Some(entries) = node.as_map() else {
        if node.is_null() {
            return Ok(());
        }
        return Err(node.error(format!(
            "hosts of group '{group}' must be a mapping of host names"
        )));
    };
    for (k, v) in entries {
        let vars: Vars = match v.to_json() {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => Vars::new(),
            _ => {
                return Err(v.error(format!(
                    "the vars of host '{}' must be a mapping",
                    k.key_string()
                )))
            }
        };
        for name in expand(&k.key_string()).map_err(|m| k.error(m))? {
            model.add_host(group, &name, vars.clone(), path);
        }
    }
    Ok(())
}
