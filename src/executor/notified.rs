//! Pending handler notifications of a play: which hosts notified which handlers (by name or
//! `listen` topic), taken in handler definition order when handlers run.

use std::collections::{BTreeSet, HashMap};

use crate::playbook::Task;

/// Pending notifications: host → indexes of notified handlers.
#[derive(Default)]
pub(crate) struct Notified(HashMap<String, BTreeSet<usize>>);

impl Notified {
    /// Records that `host` notified `name` (a handler name or a listen topic) among
    /// `handlers` (the play's, then those includes added).
    pub(crate) fn notify<'a>(
        &mut self,
        handlers: impl Iterator<Item = &'a Task>,
        host: &str,
        name: &str,
    ) {
        let set = self.0.entry(host.to_string()).or_default();
        for (i, h) in handlers.enumerate() {
            if h.answers_to(name) {
                set.insert(i);
            }
        }
    }

    /// Takes the hosts (among `active`) that notified handler `index`.
    pub(crate) fn take(&mut self, index: usize, active: &[String]) -> Vec<String> {
        active
            .iter()
            .filter(|h| self.0.get_mut(*h).is_some_and(|set| set.remove(&index)))
            .cloned()
            .collect()
    }
}
