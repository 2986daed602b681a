//! A collection's plugin routing, from its `meta/runtime.yml` (`plugin_routing`): a module or
//! action plugin moved elsewhere (`redirect`), removed (`tombstone`), or run by a named action
//! plugin (`action_plugin`). A file that cannot be read routes nothing, as Ansible treats a
//! collection without one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value as Json;

/// The kinds of plugin a task's action name can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `plugins/modules/`: any file named after the module.
    Module,
    /// `plugins/action/`: `<name>.py`.
    Action,
}

impl Kind {
    /// The key of this kind under `plugin_routing`.
    fn key(self) -> &'static str {
        match self {
            Kind::Module => "modules",
            Kind::Action => "action",
        }
    }
}

/// What routing says of one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// It now lives under this FQCN.
    Redirect(String),
    /// It was removed; why, or what to use instead.
    Tombstone(String),
    /// A module run by the action plugin of this name.
    ActionPlugin(String),
}

/// One collection's routing, by kind and resource name (`sub.name` for a subdirectory).
#[derive(Debug, Clone, Default)]
pub(crate) struct Routing(Arc<HashMap<(&'static str, String), Route>>);

impl Routing {
    /// Reads `meta/runtime.yml` at `path`.
    pub(crate) fn read(path: &Path) -> Routing {
        let Ok(node) = crate::yaml::load_file(path) else {
            return Routing::default();
        };
        Routing::from_json(&node.to_json())
    }

    /// The routing in a parsed `runtime.yml`.
    pub(crate) fn from_json(doc: &Json) -> Routing {
        let mut all = HashMap::new();
        for kind in [Kind::Module, Kind::Action] {
            let entries = doc
                .get("plugin_routing")
                .and_then(|r| r.get(kind.key()))
                .and_then(Json::as_object);
            for (name, entry) in entries.into_iter().flatten() {
                if let Some(route) = route(entry) {
                    all.insert((kind.key(), name.clone()), route);
                }
            }
        }
        Routing(Arc::new(all))
    }

    /// The route of plugin `name` of `kind`, if any.
    pub(crate) fn get(&self, kind: Kind, name: &str) -> Option<&Route> {
        self.0.get(&(kind.key(), name.to_string()))
    }
}

/// One entry: a tombstone wins over a redirect, which wins over an action plugin (as Ansible
/// checks them).
fn route(entry: &Json) -> Option<Route> {
    if let Some(t) = entry.get("tombstone") {
        let why = t.get("warning_text").and_then(Json::as_str).unwrap_or("");
        return Some(Route::Tombstone(why.to_string()));
    }
    if let Some(to) = entry.get("redirect").and_then(Json::as_str) {
        return Some(Route::Redirect(to.to_string()));
    }
    let action = entry.get("action_plugin").and_then(Json::as_str)?;
    Some(Route::ActionPlugin(action.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redirects_tombstones_and_action_plugins() {
        let doc = serde_json::json!({"plugin_routing": {
            "modules": {
                "old": {"redirect": "ns.other.new", "deprecation": {"warning_text": "x"}},
                "gone": {"tombstone": {"warning_text": "use new", "removal_version": "2.0.0"}},
                "sub.cfg": {"action_plugin": "ns.coll.network"},
                "plain": {"deprecation": {"removal_version": "3.0.0"}},
            },
            "action": {"old": {"redirect": "ns.other.act"}},
        }});
        let r = Routing::from_json(&doc);
        let redirect = |to: &str| Some(Route::Redirect(to.into()));
        assert_eq!(
            r.get(Kind::Module, "old").cloned(),
            redirect("ns.other.new")
        );
        assert_eq!(
            r.get(Kind::Action, "old").cloned(),
            redirect("ns.other.act")
        );
        assert_eq!(
            r.get(Kind::Module, "gone").cloned(),
            Some(Route::Tombstone("use new".into()))
        );
        assert_eq!(
            r.get(Kind::Module, "sub.cfg").cloned(),
            Some(Route::ActionPlugin("ns.coll.network".into()))
        );
        assert_eq!(r.get(Kind::Module, "plain"), None);
        assert_eq!(Routing::from_json(&serde_json::json!("x")).0.len(), 0);
    }
}
