//! Handlers as Ansible runs them: notified only by a changed result, run once per host, in the
//! order they are defined, at the end of the tasks section and at `meta: flush_handlers`.

use std::collections::{BTreeSet, HashMap};

use crate::events::TaskKind;
use crate::executor::play::PlayCtx;
use crate::executor::Executor;
use crate::playbook::Play;

/// Pending notifications: host → indexes of notified handlers.
#[derive(Default)]
pub(crate) struct Notified(HashMap<String, BTreeSet<usize>>);

impl Notified {
    /// Records that `host` notified `name` (a handler name or a listen topic).
    pub(crate) fn notify(&mut self, play: &Play, host: &str, name: &str) {
        let set = self.0.entry(host.to_string()).or_default();
        for (i, h) in play.handlers.iter().enumerate() {
            if h.answers_to(name) {
                set.insert(i);
            }
        }
    }

    /// Takes the hosts (among `active`) that notified handler `index`.
    fn take(&mut self, index: usize, active: &[String]) -> Vec<String> {
        active
            .iter()
            .filter(|h| self.0.get_mut(*h).is_some_and(|set| set.remove(&index)))
            .cloned()
            .collect()
    }
}

impl Executor {
    /// Runs every notified handler, in definition order, on the hosts that notified it.
    pub(crate) async fn flush_handlers(&mut self, ctx: &mut PlayCtx<'_>) {
        let play = ctx.play;
        for (index, handler) in play.handlers.iter().enumerate() {
            let mut eligible = ctx.active.clone();
            if self.opts.force_handlers || play.force_handlers {
                eligible.extend(ctx.failed.iter().cloned());
            }
            let hosts = ctx.notified.take(index, &eligible);
            if hosts.is_empty() {
                continue;
            }
            let failed = self
                .run_task(ctx, handler, TaskKind::Handler, hosts, false)
                .await;
            self.fail_hosts(ctx, &failed);
        }
    }
}
