//! The run's inventory as plays change it: a task whose module edits the inventory
//! (`add_host`, `group_by`: its spec's `edits_inventory`) works on a copy, which replaces the
//! run's inventory when the task is done; later tasks see the new `groups` and `group_names`,
//! later plays select the new hosts and groups. The free strategies' forks each edit their
//! own copy; their edits are replayed onto the run's when they are merged back.

use std::sync::{Arc, Mutex};

use crate::executor::Executor;
use crate::inventory::Inventory;
use crate::playbook::Task;

impl Executor {
    /// The copy of the inventory `task` edits, if its module edits the inventory.
    pub(crate) fn editable_inventory(&self, task: &Task) -> Option<Mutex<Inventory>> {
        task.module
            .edits_inventory
            .then(|| Mutex::new((*self.inventory).clone()))
    }

    /// Takes back the copy a task edited (if it changed).
    pub(crate) fn take_inventory(&mut self, edited: Option<Mutex<Inventory>>) {
        let Some(edited) = edited else {
            return;
        };
        let edited = edited.into_inner().unwrap_or_else(|e| e.into_inner());
        if edited.edit_count() != self.inventory.edit_count() {
            self.install_inventory(edited);
        }
    }

    /// Replays onto the run's inventory what a fork's tasks changed in theirs since `base`
    /// edits (the count when the forks started).
    pub(crate) fn replay_edits(&mut self, fork: &Executor, base: usize) {
        let edits = fork.inventory.edits_since(base);
        if edits.is_empty() {
            return;
        }
        let mut inventory = (*self.inventory).clone();
        for edit in edits {
            inventory.edit(edit.clone());
        }
        self.install_inventory(inventory);
    }

    /// Makes `fresh` the run's inventory: the `groups` variable and the inventory variables
    /// of known hosts follow it.
    pub(crate) fn install_inventory(&mut self, fresh: Inventory) {
        self.groups = serde_json::Value::Object(fresh.groups());
        self.magic_in_inventory =
            super::hostvars::inventory_names_magic(&fresh, &self.opts.extra_vars);
        for (name, state) in self.hosts.iter_mut() {
            if fresh.contains_host(name) {
                state.inv_vars = fresh.host_vars(name);
            }
        }
        self.inventory = Arc::new(fresh);
    }
}
