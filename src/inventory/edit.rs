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
