//! `module_defaults` (play, block, role, include, task): argument defaults per module or per
//! action group, as ansible-core 2.18 applies them. Each level's mapping replaces the outer
//! level's entry for the same name; a task's own arguments override everything; a group's
//! defaults come before the module's own. Names are normalised at load (`copy`,
//! `ansible.builtin.copy` and `ansible.legacy.copy` are one entry); values are templated
//! with the task's variables when the task runs.

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::modules::{self, ModuleSpec};
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

/// Reads `module_defaults:`: a mapping, or a list of mappings (later entries win).
pub(crate) fn parse(node: &Node) -> Result<Vars, LoadError> {
    let maps: Vec<&Node> = match &node.kind {
        NodeKind::Null => Vec::new(),
        NodeKind::Map(_) => vec![node],
        NodeKind::Seq(items) => items.iter().collect(),
        _ => return Err(shape_error(node)),
    };
    let mut out = Vars::new();
    for map in maps {
        let Some(entries) = map.as_map() else {
            return Err(shape_error(map));
        };
        for (key, value) in entries {
            if !matches!(value.kind, NodeKind::Map(_) | NodeKind::Null) {
                return Err(value.error(format!(
                    "module_defaults for '{}' must be a mapping of arguments, found {}",
                    key.key_string(),
                    value.type_name()
                )));
            }
            out.insert(normalise(&key.key_string()), value.to_json());
        }
    }
    Ok(out)
}

fn shape_error(node: &Node) -> LoadError {
    node.error(format!(
        "'module_defaults' must be a mapping of module names to arguments, found {}",
        node.type_name()
    ))
    .with_hint("e.g. 'module_defaults: {ansible.builtin.file: {mode: \"0644\"}}'")
}

/// A module's entry under its full name; groups and modules ferry lacks stay as written.
fn normalise(name: &str) -> String {
    if name.starts_with("group/") {
        return name.to_string();
    }
    match modules::lookup(name) {
        Some(spec) => full_name(spec),
        None => name.to_string(),
    }
}

fn full_name(spec: &ModuleSpec) -> String {
    format!("{}.{}", spec.collection, spec.name)
}

/// `args` with the defaults that apply to `spec` under them (unrendered).
pub(crate) fn apply(defaults: &Vars, spec: &ModuleSpec, args: &Json) -> Json {
    let mut merged = Vars::new();
    for (name, value) in defaults {
        let group = name.strip_prefix("group/");
        if let (Some(group), Json::Object(v)) = (group, value) {
            if spec.groups.contains(&group) {
                merged.extend(v.clone());
            }
        }
    }
    if let Some(Json::Object(own)) = defaults.get(&full_name(spec)) {
        merged.extend(own.clone());
    }
    if let Json::Object(args) = args {
        merged.extend(args.clone());
    }
    Json::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_then_the_module_then_the_task() {
        let defaults = |v: Json| v.as_object().unwrap().clone();
        let image = modules::lookup("community.docker.docker_image").unwrap();
        let k8s = modules::lookup("k8s").unwrap();
        let copy = modules::lookup("copy").unwrap();
        let d = defaults(json!({
            "group/community.docker.docker": {"debug": true, "tls": true},
            "group/kubernetes.core.k8s": {"kubeconfig": "/k"},
            "community.docker.docker_image": {"tls": false, "source": "pull"},
        }));
        let args = json!({"name": "app", "source": "build"});
        assert_eq!(
            apply(&d, image, &args),
            json!({"debug": true, "tls": false, "source": "build", "name": "app"})
        );
        assert_eq!(apply(&d, k8s, &json!({})), json!({"kubeconfig": "/k"}));
        assert_eq!(
            apply(&d, copy, &json!({"dest": "/x"})),
            json!({"dest": "/x"})
        );
        for (written, stored) in [
            ("copy", "ansible.builtin.copy"),
            ("ansible.legacy.copy", "ansible.builtin.copy"),
            (
                "community.docker.docker_login",
                "community.docker.docker_login",
            ),
            (
                "group/community.docker.docker",
                "group/community.docker.docker",
            ),
            ("unknown.col.thing", "unknown.col.thing"),
        ] {
            assert_eq!(normalise(written), stored);
        }
    }
}
