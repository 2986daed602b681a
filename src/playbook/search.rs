//! The `collections` keyword: the collections a task's short module name (and a short role
//! name) is looked up in, as ansible-core 2.18 computes the list for a play, a block, a task
//! and a role. Resolving a name against the list is `collections/resolve.rs`.
//!
//! A play's or block's list applies to the tasks inside, not to roles: a role searches its own
//! collection (when it lives in one), then its `meta/main.yml` `collections:`. A playbook that
//! lives in an installed collection searches that collection first.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::collections::{Installed, Resolution};
use crate::error::LoadError;
use crate::modules::{self, ModuleSpec};
use crate::yaml::{Node, NodeKind};

/// Where a task's module names and role names are looked for: what a dynamic include keeps
/// to read what it names as if it were read in place.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// The installed collections.
    pub installed: Arc<Installed>,
    /// The collection the playbook lives in (Ansible's default collection), if any.
    pub default_collection: Option<String>,
    /// The `collections` search list in effect (the play's, a block's, the role's).
    pub collections: Vec<String>,
    /// Directories whose `library/` and `action_plugins/` hold local plugins: the playbook's
    /// and every role's read so far (as Ansible adds them to its plugin search for good).
    pub plugin_dirs: Vec<PathBuf>,
}

impl Search {
    /// The list a play or block keyword gives (none: `None`): the playbook's collection first,
    /// and `ansible.legacy` last unless ansible-core's collection is named.
    pub(crate) fn scope_list(&self, own: Option<Vec<String>>) -> Vec<String> {
        let mut list = own.unwrap_or_default();
        if let Some(default) = &self.default_collection {
            if !list.contains(default) {
                list.insert(0, default.clone());
            }
        }
        with_fallback(list, LEGACY)
    }

    /// The list a task searches: its own `collections`, or the one in effect where it is (the
    /// block's, the play's, the role's); outside roles the playbook's collection comes first.
    pub(crate) fn task_list(&self, in_role: bool, own: Option<Vec<String>>) -> Vec<String> {
        let mut list = own.unwrap_or_else(|| self.collections.clone());
        if let (Some(default), false) = (&self.default_collection, in_role) {
            if !list.contains(default) {
                list.insert(0, default.clone());
            }
        }
        with_fallback(list, LEGACY)
    }

    /// A role's list: its own collection (or, for a role outside collections, the playbook's),
    /// then the `collections` of its `meta/main.yml`, then ansible-core's.
    pub(crate) fn role_list(&self, collection: Option<&str>, meta: &[String]) -> Vec<String> {
        let mut list: Vec<String> = collection
            .map(str::to_string)
            .or_else(|| self.default_collection.clone())
            .into_iter()
            .collect();
        for c in meta {
            if !list.contains(c) {
                list.push(c.clone());
            }
        }
        let fallback = if collection.is_some() {
            BUILTIN
        } else {
            LEGACY
        };
        with_fallback(list, fallback)
    }

    /// What the task's action `name` is, searched in `list`: ferry's module, or another that
    /// loads (and fails when run).
    pub(crate) fn resolve_module(
        &self,
        name: &str,
        list: &[String],
    ) -> Result<&'static ModuleSpec, Unresolved> {
        match self.installed.resolve_action(name, list, &self.plugin_dirs) {
            Resolution::Builtin(fqcn) | Resolution::Collection(fqcn) => {
                Ok(modules::resolved(&fqcn, false))
            }
            Resolution::Local(name) => Ok(modules::resolved(&name, true)),
            Resolution::Removed(why) => Err(Unresolved::Removed(why)),
            // ferry's own modules answer to their names even without their collection installed.
            Resolution::Missing => modules::lookup(name).ok_or(Unresolved::Unknown),
        }
    }
}

const BUILTIN: &str = "ansible.builtin";
const LEGACY: &str = "ansible.legacy";

/// `collections: [ns.coll, ...]` (one name alone is a list of one).
pub(crate) fn parse_collections(node: &Node) -> Result<Vec<String>, LoadError> {
    let one = |n: &Node| match &n.kind {
        NodeKind::Str(s) => Ok(s.clone()),
        _ => Err(n.error(format!(
            "'collections' must be a list of collection names, found {}",
            n.type_name()
        ))),
    };
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(one).collect(),
        _ => Ok(vec![one(node)?]),
    }
}

/// A non-empty list always ends in ansible-core (`fallback`) unless it names it.
fn with_fallback(mut list: Vec<String>, fallback: &str) -> Vec<String> {
    if !list.is_empty() && !list.iter().any(|c| c == BUILTIN || c == LEGACY) {
        list.push(fallback.to_string());
    }
    list
}

/// The directories whose `library/` and `action_plugins/` a playbook outside collections
/// adds to the plugin search (a playbook inside one adds none).
pub(crate) fn playbook_plugin_dirs(dir: &Path, default_collection: Option<&str>) -> Vec<PathBuf> {
    match default_collection {
        Some(_) => Vec::new(),
        None => vec![dir.to_path_buf()],
    }
}

/// Why a task's action name is no module.
pub(crate) enum Unresolved {
    /// Nothing answers to it.
    Unknown,
    /// It was removed; what to use instead.
    Removed(String),
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::playbook::{load, Item};

    /// A tree of files under a temp dir: an installed collection `ns.coll` beside the playbooks
    /// (in `collections/`), with a module, an action plugin, a removed module and a role.
    fn tree(extra: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let c = "collections/ansible_collections/ns/coll";
        let runtime = "plugin_routing:\n  modules:\n    gone:\n      tombstone:\n        \
                       warning_text: Use ns.coll.thing instead.\n";
        let files = [
            (format!("{c}/plugins/modules/thing.py"), ""),
            (format!("{c}/plugins/action/act.py"), ""),
            (format!("{c}/meta/runtime.yml"), runtime),
            (format!("{c}/roles/web/tasks/main.yml"), "- thing: {a: 1}\n"),
            (
                format!("{c}/roles/web/meta/main.yml"),
                "dependencies: [dep]\n",
            ),
            (format!("{c}/roles/dep/tasks/main.yaml"), "- act:\n"),
        ];
        let all = files
            .iter()
            .map(|(p, t)| (p.as_str(), *t))
            .chain(extra.iter().copied());
        for (path, text) in all {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        dir
    }

    /// Loads `play` (written as `site.yml` beside `extra` files): the modules of its tasks, or
    /// the error text with the temp dir left out.
    fn modules(play: &str, extra: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let dir = tree(&[extra, &[("site.yml", play)]].concat());
        load_at(dir.path(), "site.yml")
    }

    fn load_at(dir: &Path, file: &str) -> Result<Vec<String>, String> {
        match load(&dir.join(file)) {
            Ok(pb) => {
                let mut names = Vec::new();
                for play in &pb.plays {
                    Item::visit(&play.tasks, &mut |t| {
                        let native = if t.module.native { "" } else { " (not native)" };
                        names.push(format!("{}{native}", t.module.name));
                    });
                }
                Ok(names)
            }
            Err(e) => Err(e
                .to_string()
                .replace(&format!("{}/", dir.display()), "")
                .lines()
                .next()
                .unwrap_or("")
                .to_string()),
        }
    }

    fn ok(names: &[&str]) -> Result<Vec<String>, String> {
        Ok(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn module_names_resolve_through_installed_collections() {
        let thing = "ns.coll.thing (not native)";
        let unknown = |line: &str, name: &str| -> Result<Vec<String>, String> {
            Err(format!(
                "site.yml:{line}: unknown module or keyword '{name}'"
            ))
        };
        for (play, want) in [
            ("- hosts: all\n  tasks:\n    - ns.coll.thing: {x: 1}\n", ok(&[thing])),
            ("- hosts: all\n  tasks:\n    - ns.coll.act:\n", ok(&["ns.coll.act (not native)"])),
            ("- hosts: all\n  tasks:\n    - thing:\n", unknown("3:7", "thing")),
            ("- hosts: all\n  tasks:\n    - ns.coll.nothing:\n", unknown("3:7", "ns.coll.nothing")),
            (
                "- hosts: all\n  tasks:\n    - thing:\n  collections: [ns.coll]\n",
                ok(&[thing]),
            ),
            (
                "- hosts: all\n  collections: ns.coll\n  tasks:\n    - copy: {content: x, dest: /y}\n",
                ok(&["copy"]),
            ),
            (
                "- hosts: all\n  tasks:\n    - block: [thing: ]\n      collections: [ns.coll]\n    - thing:\n",
                unknown("5:7", "thing"),
            ),
            (
                "- hosts: all\n  tasks:\n    - block: [thing: ]\n      collections: [ns.coll]\n",
                ok(&[thing]),
            ),
            ("- hosts: all\n  tasks:\n    - thing:\n      collections: [ns.coll]\n", ok(&[thing])),
            (
                "- hosts: all\n  tasks:\n    - ansible.builtin.systemd: {name: x}\n    - ansible.legacy.copy: {content: x, dest: /y}\n    - yum: {name: x}\n",
                ok(&["systemd_service", "copy", "dnf"]),
            ),
            (
                "- hosts: all\n  tasks:\n    - ns.coll.gone:\n",
                Err("site.yml:3:7: module 'ns.coll.gone' was removed: ns.coll.gone has been removed. Use ns.coll.thing instead.".into()),
            ),
            // ferry's own modules need no collection installed.
            ("- hosts: all\n  tasks:\n    - community.docker.docker_image: {name: x}\n", ok(&["docker_image"])),
        ] {
            assert_eq!(modules(play, &[]), want, "{play}");
        }
    }

    #[test]
    fn roles_search_their_own_collections() {
        let thing = "ns.coll.thing (not native)";
        let act = "ns.coll.act (not native)";
        let legacy = [("roles/mine/tasks/main.yml", "- thing:\n")];
        let with_meta = [
            ("roles/mine/tasks/main.yml", "- thing:\n"),
            (
                "roles/mine/meta/main.yml",
                "collections: [ns.coll]\ndependencies:\n",
            ),
        ];
        for (play, extra, want) in [
            (
                "- hosts: all\n  roles: [ns.coll.web]\n",
                &[][..],
                ok(&[act, thing]),
            ),
            (
                "- hosts: all\n  collections: [ns.coll]\n  roles: [web]\n",
                &[],
                ok(&[act, thing]),
            ),
            (
                "- hosts: all\n  roles: [web]\n",
                &[],
                Err("site.yml:2:11: the role 'web' was not found".to_string()),
            ),
            (
                "- hosts: all\n  tasks:\n    - import_role: {name: ns.coll.web}\n",
                &[],
                ok(&[act, thing]),
            ),
            // The play's collections do not reach into a role.
            (
                "- hosts: all\n  collections: [ns.coll]\n  roles: [mine]\n",
                &legacy,
                Err("roles/mine/tasks/main.yml:1:3: unknown module or keyword 'thing'".into()),
            ),
            ("- hosts: all\n  roles: [mine]\n", &with_meta, ok(&[thing])),
        ] {
            assert_eq!(modules(play, extra), want, "{play}");
        }
    }

    #[test]
    fn local_plugins_beside_the_playbook_and_in_roles_load() {
        let local = [
            ("library/mine.sh", ""),
            ("roles/r/action_plugins/mine_too.py", ""),
            ("roles/r/tasks/main.yml", "- mine_too:\n"),
        ];
        assert_eq!(
            modules("- hosts: all\n  roles: [r]\n  tasks: [mine: ]\n", &local),
            ok(&["mine_too (not native)", "mine (not native)"])
        );
    }
}
