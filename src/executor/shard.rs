//! `--shard`: a run keeps to its slice of the hosts its plays select (after `--limit`), the
//! same slice in every play, so a host's facts and registered results follow it from play to
//! play. Owns which hosts are sliced and what is said about keywords whose meaning becomes
//! per shard; the slicing rule itself is [`crate::shard`].
//!
//! Not sliced: the controller's own hosts (`ansible_connection: local`, as the implicit
//! localhost), which every shard's runner has and runs; hosts `add_host` creates during the run
//! (the shard that creates them runs them); `delegate_to` targets (a task delegates for its own
//! shard's hosts, wherever the delegate falls).

use std::collections::HashSet;
use std::sync::Arc;

use crate::events::ShardPlan;
use crate::executor::Executor;
use crate::playbook::{AtPlayStart, Flag, Item, Play, Playbook};
use crate::shard::Shard;

impl Executor {
    /// Under `--shard`, keeps the run to this shard's slice of the hosts `playbooks` select
    /// and announces it; sets `ferry_shard_index` and `ferry_shard_count` as extra
    /// variables. Without `--shard`, nothing. Called once, before the first playbook runs.
    pub fn shard(&mut self, playbooks: &[Playbook]) {
        let Some((plan, out)) = self.slice(playbooks) else {
            return;
        };
        self.shard_out = Arc::new(out);
        self.shard_idle = plan.hosts.is_empty() && plan.local.is_empty();
        let vars = &mut self.opts.extra_vars;
        vars.insert("ferry_shard_index".into(), plan.index.into());
        vars.insert("ferry_shard_count".into(), plan.count.into());
        self.reporter.shard(&plan);
    }

    /// Under `--shard`, the hosts this shard would run (its slice and the controller's own),
    /// as `--list-hosts` shows them; runs nothing.
    pub fn shard_hosts(&self, playbooks: &[Playbook]) -> Option<HashSet<String>> {
        let (plan, _) = self.slice(playbooks)?;
        Some(plan.hosts.into_iter().chain(plan.local).collect())
    }

    /// The shard's plan, and the selected hosts the other shards run.
    fn slice(&self, playbooks: &[Playbook]) -> Option<(ShardPlan, HashSet<String>)> {
        let shard = self.opts.shard?;
        let mut selected: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for play in playbooks.iter().flat_map(|pb| &pb.plays) {
            for host in self.play_hosts(play).unwrap_or_default() {
                if seen.insert(host.clone()) {
                    selected.push(host);
                }
            }
        }
        let (local, remote): (Vec<String>, Vec<String>) =
            selected.into_iter().partition(|h| self.is_local(h));
        let hosts = shard.slice(&remote);
        let mine: HashSet<&String> = hosts.iter().collect();
        let out: HashSet<String> = remote
            .iter()
            .filter(|h| !mine.contains(h))
            .cloned()
            .collect();
        let plan = ShardPlan {
            index: shard.index,
            count: shard.count,
            selected: remote.len(),
            hosts,
            local,
            notes: notes(shard, playbooks),
        };
        Some((plan, out))
    }

    /// A host on the controller itself: every shard has one.
    fn is_local(&self, host: &str) -> bool {
        let vars = self.inventory.host_vars(host);
        vars.get("ansible_connection").and_then(|c| c.as_str()) == Some("local")
    }
}

fn set(flag: &Option<Flag>) -> bool {
    matches!(flag, Some(Flag::Const(true)) | Some(Flag::Template(_)))
}

/// What each play keeps only within the shard, said once per play.
fn notes(shard: Shard, playbooks: &[Playbook]) -> Vec<String> {
    let n = shard.count;
    let mut notes = Vec::new();
    if n == 1 {
        return notes;
    }
    for play in playbooks.iter().flat_map(|pb| &pb.plays) {
        let name = play.display_name();
        let serial = !matches!(&play.serial, AtPlayStart::Const(s) if s.is_empty());
        if serial {
            notes.push(format!(
                "play '{name}': serial batches are of this shard's hosts, and the {n} shards run theirs at the same time (run the shards one after another to keep one batch at a time fleet-wide)"
            ));
        }
        if set(&play.opts.run_once) || tasks(play).any(|t| set(&t.opts.run_once)) {
            notes.push(format!(
                "play '{name}': run_once tasks run once in each of the {n} shards (add `when: ferry_shard_index | default(0) == 0` to one that must run once in the whole rollout)"
            ));
        }
        if set(&play.opts.any_errors_fatal) || tasks(play).any(|t| set(&t.opts.any_errors_fatal)) {
            notes.push(format!(
                "play '{name}': any_errors_fatal stops this shard only; the other shards go on"
            ));
        }
        if play.max_fail_percentage.is_some() {
            notes.push(format!(
                "play '{name}': max_fail_percentage counts this shard's hosts only"
            ));
        }
    }
    notes
}

/// Every task of `play`, handlers too.
fn tasks(play: &Play) -> impl Iterator<Item = &crate::playbook::Task> {
    let mut all = Vec::new();
    for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
        Item::visit(section, &mut |t| all.push(t));
    }
    all.extend(play.handlers.iter());
    all.into_iter()
}
