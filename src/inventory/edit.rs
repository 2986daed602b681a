//! What a play changes in the run's inventory (`add_host`, `group_by`), as ansible-core's
//! strategy applies those modules' results: each [`Edit`] says whether it changed anything
//! (the task's `changed`), and the model is reconciled again after a change. The edits are
//! kept in order so that a copy of the inventory edited elsewhere (a free strategy's fork) can
//! be replayed onto the run's.

use serde_json::Value as Json;

use crate::inventory::model::{Origin, LOCALHOST};
use crate::inventory::Inventory;
use crate::vars::Vars;

/// One change to the in-memory inventory.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// `add_host`: the host (created in `all` if new), its new variables, its groups.
    AddHost {
        /// The host's name (a `:port` already taken out into `ansible_ssh_port`).
        name: String,
        /// Groups to add it to (created if new).
        groups: Vec<String>,
        /// Variables merged over the host's own.
        vars: Vars,
    },
    /// `group_by`: `host` joins `group`, which becomes a child of each of `parents`.
    GroupBy {
        /// The inventory host that ran the task.
        host: String,
        /// The group it joins (created if new).
        group: String,
        /// The group's parents (created if new).
        parents: Vec<String>,
    },
}

impl Inventory {
    /// Applies `edit`; true if the inventory changed (then it is reconciled).
    pub fn edit(&mut self, edit: Edit) -> bool {
        let changed = match &edit {
            Edit::AddHost { name, groups, vars } => self.add_host(name, groups, vars),
            Edit::GroupBy {
                host,
                group,
                parents,
            } => self.group_by(host, group, parents),
        };
        if changed {
            let warned = self.model.warnings.len();
            self.model.finish();
            self.model.warnings.truncate(warned);
            self.edits.push(edit);
        }
        changed
    }

    /// The edits made since the first `since` (the count [`Inventory::edit_count`] gave).
    pub fn edits_since(&self, since: usize) -> &[Edit] {
        self.edits.get(since..).unwrap_or_default()
    }

    /// How many edits changed this inventory so far.
    pub fn edit_count(&self) -> usize {
        self.edits.len()
    }

    fn add_host(&mut self, name: &str, groups: &[String], vars: &Vars) -> bool {
        let model = &mut self.model;
        let mut changed = false;
        if !model.hosts.contains_key(name) && !name.is_empty() {
            let origin = Origin {
                file: Json::Null,
                dir: Json::Null,
            };
            // Ansible's add_host puts a new host straight into `all`.
            let _ = model.add_host("all", name, None, &origin);
            if let Some(h) = model.hosts.get_mut(name) {
                h.vars.remove("inventory_file");
                h.vars.remove("inventory_dir");
            }
            changed = true;
        }
        let Some(host) = model.hosts.get_mut(name) else {
            return false;
        };
        for (k, v) in vars {
            if host.vars.get(k) != Some(v) {
                host.vars.insert(k.clone(), v.clone());
                changed = true;
            }
        }
        for group in groups {
            if !model.has_group(group) {
                model.add_group(group);
                changed = true;
            }
            changed |= model.groups[group.as_str()].hosts.insert(name.to_string());
        }
        if changed {
            self.dirs.learn(&[], &[name]);
            self.dirs
                .learn(&groups.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        }
        changed
    }

    fn group_by(&mut self, host: &str, group: &str, parents: &[String]) -> bool {
        let model = &mut self.model;
        let mut changed = false;
        if !model.hosts.contains_key(host) && !LOCALHOST.contains(&host) {
            return false;
        }
        model.add_group(group);
        for parent in parents {
            if !model.has_group(parent) {
                model.add_group(parent);
                changed = true;
            }
            let linked = model.groups[parent.as_str()]
                .children
                .iter()
                .any(|c| c == group);
            if !linked && model.add_child(parent, group).is_ok() {
                changed = true;
            }
        }
        if !model.hosts.contains_key(host) {
            let origin = Origin {
                file: Json::Null,
                dir: Json::Null,
            };
            let _ = model.add_host(group, host, None, &origin);
            changed = true;
        } else {
            changed |= model.groups[group].hosts.insert(host.to_string());
        }
        if changed {
            let mut names: Vec<&str> = parents.iter().map(String::as_str).collect();
            names.push(group);
            self.dirs.learn(&names, &[]);
        }
        changed
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    fn inventory(dir: &std::path::Path) -> Inventory {
        std::fs::write(dir.join("hosts"), "web1\n[db]\ndb1\n").unwrap();
        std::fs::create_dir_all(dir.join("group_vars")).unwrap();
        std::fs::write(dir.join("group_vars/late.yml"), "from_late: yes\n").unwrap();
        Inventory::load(&[dir.join("hosts")], None).unwrap()
    }

    fn group_by(host: &str, group: &str, parents: &[&str]) -> Edit {
        Edit::GroupBy {
            host: host.into(),
            group: group.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn group_by_changes_once_and_reads_the_new_groups_vars() {
        let dir = tempfile::tempdir().unwrap();
        let mut inv = inventory(dir.path());
        assert!(inv.edit(group_by("web1", "late", &["all"])));
        assert!(!inv.edit(group_by("web1", "late", &["all"])));
        assert!(inv.edit(group_by("db1", "late", &["all"])));
        assert_eq!(inv.select("late").unwrap(), ["web1", "db1"]);
        assert_eq!(inv.host_vars("web1")["from_late"], json!(true));
        assert_eq!(inv.host_vars("web1")["group_names"], json!(["late"]));
        // web1 left ungrouped; a new parent is a change of its own.
        assert_eq!(inv.select("ungrouped").unwrap(), Vec::<String>::new());
        assert!(inv.edit(group_by("web1", "late", &["tiers"])));
        assert_eq!(inv.select("tiers").unwrap(), ["web1", "db1"]);
        assert_eq!(
            inv.edit_count(),
            3,
            "edits that change nothing are not kept"
        );
    }

    #[test]
    fn add_host_adds_once_and_edits_replay_on_another_copy() {
        let dir = tempfile::tempdir().unwrap();
        let mut inv = inventory(dir.path());
        let base = inv.clone();
        let mut vars = Vars::new();
        vars.insert("ansible_ssh_port".into(), json!(2222));
        let add = Edit::AddHost {
            name: "new1".into(),
            groups: vec!["late".into()],
            vars,
        };
        assert!(inv.edit(add.clone()));
        assert!(!inv.edit(add));
        assert_eq!(inv.host_vars("new1")["ansible_ssh_port"], json!(2222));
        assert_eq!(inv.host_vars("new1")["from_late"], json!(true));
        assert!(inv.hosts().any(|h| h == "new1"));
        let mut other = base;
        for edit in inv.edits_since(0) {
            other.edit(edit.clone());
        }
        assert_eq!(other.select("late").unwrap(), ["new1"]);
    }
}
