//! Delegation (`delegate_to`, `local_action`): which host a delegated task runs on — an
//! inventory host's connection, or the controller for a `localhost` the inventory lacks —,
//! `delegate_to` rendered for each loop item as ansible-core renders it
//! (`delegate_to: "{{ item }}"`), and how the default callback names the delegated-to host in
//! a result's label (`host -> to`, `host -> to(address)`).
//!
//! Not here: the connection cache (`Executor::delegate_conn`), `delegate_facts` (the executor
//! applies the facts where the job says).

use std::sync::Arc;

use serde_json::Value as Json;

use crate::connection::{ConnectOptions, Pool};
use crate::events::Delegated;
use crate::inventory::Inventory;
use crate::modules::{HostConn, ModuleResult};
use crate::template::{Templar, OMIT};
use crate::vars::Vars;

/// Where a delegated task runs, when not on its own host.
#[derive(Debug, Clone)]
pub(crate) struct Delegation {
    /// The delegated-to host's name, as `delegate_to` rendered it.
    pub to: String,
    /// Its `ansible_host` as the inventory writes it (unrendered, as ansible-core shows it),
    /// when that is not its name.
    pub address: Option<String>,
}

impl Delegation {
    /// The delegation as a result `r` is labelled: ansible-core learns the address when the
    /// task reaches the delegated host's connection, so a result that failed before it (its
    /// arguments, `when`, the loop did not render) or could not reach the host has none.
    pub(crate) fn shown(&self, r: &ModuleResult) -> Delegated<'_> {
        let reached = !r.task_error && !r.unreachable;
        Delegated {
            to: &self.to,
            address: self.address.as_deref().filter(|_| reached),
        }
    }
}

/// What a task needs to reach any host it may delegate to.
pub(crate) struct Targets<'a> {
    pub inventory: &'a Inventory,
    pub pool: &'a Arc<Pool>,
    /// The play's `remote_user`.
    pub play_user: Option<&'a str>,
    pub connect: &'a ConnectOptions,
}

impl Targets<'_> {
    /// A connection to `target`: an inventory host's, or the controller for a `localhost` (or
    /// `127.0.0.1`) the inventory does not name, as ansible-core's implicit localhost.
    pub(crate) fn conn(&self, target: &str) -> Arc<HostConn> {
        let known = self.inventory.contains_host(target);
        let mut vars = if known {
            self.inventory.host_vars(target)
        } else {
            Vars::new()
        };
        if !known && matches!(target, "localhost" | "127.0.0.1") {
            vars.insert("ansible_connection".into(), "local".into());
        }
        let spec = crate::connection::resolve_spec(target, &vars, self.play_user, self.connect);
        Arc::new(HostConn {
            pool: Arc::clone(self.pool),
            spec,
        })
    }

    /// How results delegated to `target` name it: its `ansible_host` as the inventory writes
    /// it, when that is not its name (a host the inventory lacks has no other address).
    pub(crate) fn delegation(&self, target: &str) -> Delegation {
        let address = if self.inventory.contains_host(target) {
            match self.inventory.host_vars(target).get("ansible_host") {
                Some(Json::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
                None => None,
            }
        } else {
            None
        };
        Delegation {
            to: target.to_string(),
            address: address.filter(|a| a != target),
        }
    }
}

/// `delegate_to` rendered with `vars`: the host's name; `None` for `omit` (no delegation, as
/// in Ansible: `"{{ 'localhost' if local else omit }}"`); why the task fails when it does not
/// render, or renders empty.
pub(crate) fn render(templar: &Templar, text: &str, vars: &Vars) -> Result<Option<String>, String> {
    let name = if text.contains("{{") {
        match templar.render_str(text, vars) {
            Ok(Json::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => return Err(e.to_string()),
        }
    } else {
        text.to_string()
    };
    if name.is_empty() {
        return Err(format!(
            "Empty hostname produced from delegate_to: \"{text}\""
        ));
    }
    Ok(Some(name).filter(|n| n != OMIT))
}

/// A looped task's `delegate_to`, rendered again for each item.
pub(crate) struct PerItem {
    /// `delegate_to` as written.
    pub template: String,
    /// The host's own connection, for an item that delegates to the host itself.
    pub own: Arc<HostConn>,
    /// `delegate_facts`: an item's facts go to the host it delegates to.
    pub delegate_facts: bool,
}

/// Where one loop item runs: its connection and its delegation (`None`: on the host itself).
pub(crate) struct ItemTarget {
    pub conn: Arc<HostConn>,
    pub delegated: Option<Delegation>,
}

impl PerItem {
    /// How a result names the delegation before `delegate_to` is rendered (the loop, or the
    /// template itself, failed): as written, as ansible-core's task still holds it.
    pub(crate) fn unrendered(&self) -> Delegation {
        Delegation {
            to: self.template.clone(),
            address: None,
        }
    }

    /// Where the item whose variables are `vars` runs, for `host`; the template's error when
    /// `delegate_to` does not render for it.
    pub(crate) fn target(
        &self,
        targets: &Targets<'_>,
        templar: &Templar,
        host: &str,
        vars: &Vars,
    ) -> Result<ItemTarget, String> {
        Ok(match render(templar, &self.template, vars)? {
            Some(to) if to != host => ItemTarget {
                conn: targets.conn(&to),
                delegated: Some(targets.delegation(&to)),
            },
            _ => ItemTarget {
                conn: Arc::clone(&self.own),
                delegated: None,
            },
        })
    }
}
