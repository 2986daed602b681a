//! Pending handler notifications of a play: which hosts notified which names (a handler's name
//! or a `listen` topic). As in Ansible, a name is matched to handlers when handlers run, not
//! when it is notified: a role included later can bring the handler that answers.

use std::collections::{BTreeSet, HashMap};

use crate::playbook::Task;

/// Pending notifications: host → names notified, and → indexes of handlers to run.
#[derive(Default)]
pub(crate) struct Notified {
    names: HashMap<String, Vec<String>>,
    resolved: HashMap<String, BTreeSet<usize>>,
}

impl Notified {
    /// Records that `host` notified `name` (a handler name or a listen topic).
    pub(crate) fn notify(&mut self, host: &str, name: &str) {
        let names = self.names.entry(host.to_string()).or_default();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }

    /// Matches the names notified so far to `handlers` (the play's, then those includes
    /// added): of handlers with the same name the last one read answers; every handler
    /// listening to a topic answers (once per handler name).
    pub(crate) fn resolve<'a>(&mut self, handlers: impl Iterator<Item = &'a Task>) {
        let handlers: Vec<&Task> = handlers.collect();
        for (host, names) in self.names.drain() {
            let set = self.resolved.entry(host).or_default();
            for name in names {
                if let Some(i) = handlers.iter().rposition(|h| h.named(&name)) {
                    set.insert(i);
                }
                let mut seen: Vec<&str> = Vec::new();
                for (i, h) in handlers.iter().enumerate().rev() {
                    if !h.listens_to(&name) {
                        continue;
                    }
                    if let Some(n) = h.name.as_deref() {
                        if seen.contains(&n) {
                            continue;
                        }
                        seen.push(n);
                    }
                    set.insert(i);
                }
            }
        }
    }

    /// Takes the hosts (among `active`) that notified handler `index`.
    pub(crate) fn take(&mut self, index: usize, active: &[String]) -> Vec<String> {
        active
            .iter()
            .filter(|h| {
                self.resolved
                    .get_mut(*h)
                    .is_some_and(|set| set.remove(&index))
            })
            .cloned()
            .collect()
    }
}
