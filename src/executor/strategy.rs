//! The free strategies (`strategy: free`, `strategy: host_pinned`): each host of a batch runs
//! the play's sections on its own, without waiting for the others; `host_pinned` lets at most
//! `--forks` hosts into the play at once, each keeping its slot until it is done.
//!
//! Each host runs in an executor of its own (a fork of this one: same inventory, templar,
//! connections, forks semaphore and reporter) that sees the other hosts' state as the batch
//! started (`hostvars`); when all are done, their state is merged back. As in ansible-core's
//! free strategy, `run_once` runs on every host, and `any_errors_fatal` and
//! `max_fail_percentage` stop nothing but the failing host (each with Ansible's warning).
//! `throttle` still bounds a task across the hosts (the limits are shared).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use tokio::sync::Semaphore;

use crate::executor::play_ctx::PlayCtx;
use crate::executor::Executor;
use crate::playbook::{Strategy, Task};

/// A semaphore per (task address, limit).
type ThrottleMap = HashMap<(usize, usize), Arc<Semaphore>>;

/// What the forks of one executor share: `throttle` limits and the warnings already shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared {
    /// One semaphore per task (by address) and limit.
    throttles: Arc<Mutex<ThrottleMap>>,
    /// Warnings shown once per run, as Ansible's display shows each once.
    warned: Arc<Mutex<HashSet<String>>>,
    /// Hosts that failed or went unreachable while running alone: the others' play hosts
    /// (`ansible_play_hosts`) no longer list them, as in Ansible.
    gone: Arc<Mutex<HashSet<String>>>,
}

impl Shared {
    /// The semaphore that bounds `task` to `limit` hosts at once (`None`: no limit).
    pub(crate) fn throttle(&self, task: &Task, limit: Option<usize>) -> Option<Arc<Semaphore>> {
        let limit = limit.filter(|t| *t > 0)?;
        let key = (task as *const Task as usize, limit);
        let mut map = self.throttles.lock().unwrap_or_else(|e| e.into_inner());
        let sem = map
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(limit)));
        Some(Arc::clone(sem))
    }

    /// `host` failed or is unreachable.
    pub(crate) fn gone(&self, host: &str) {
        let mut gone = self.gone.lock().unwrap_or_else(|e| e.into_inner());
        gone.insert(host.to_string());
    }

    /// The hosts of `batch` still in the play.
    pub(crate) fn still_in(&self, batch: &[String]) -> Vec<String> {
        let gone = self.gone.lock().unwrap_or_else(|e| e.into_inner());
        batch
            .iter()
            .filter(|h| !gone.contains(*h))
            .cloned()
            .collect()
    }

    /// True the first time `message` is seen.
    fn first(&self, message: &str) -> bool {
        let mut seen = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        seen.insert(message.to_string())
    }
}

impl Executor {
    /// Runs a batch with each host on its own, then merges what they did.
    pub(crate) async fn run_batch_free(&mut self, ctx: &mut PlayCtx<'_>) {
        let play = ctx.play;
        if play.max_fail_percentage.is_some() {
            self.warn_once("Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host");
        }
        let peers = Arc::new(self.hosts.clone());
        let pinned = (play.strategy == Strategy::HostPinned)
            .then(|| Semaphore::new(self.opts.forks.clamp(1, 1024)));
        let runs = ctx.active.clone().into_iter().map(|host| {
            let mut fork = self.fork(&host, &peers);
            let mut alone = PlayCtx::new(play, ctx.hosts.clone(), vec![host], "".as_ref());
            alone.playbook_dir.clone_from(&ctx.playbook_dir);
            alone.together.clone_from(&ctx.batch);
            let pinned = pinned.as_ref();
            async move {
                let _slot = match pinned {
                    Some(slots) => slots.acquire().await.ok(),
                    None => None,
                };
                fork.run_batch(&mut alone).await;
                (fork, alone.failed, alone.end_play)
            }
        });
        let base = self.inventory.edit_count();
        let done = futures::future::join_all(runs).await;
        for (fork, failed, end_play) in done {
            self.replay_edits(&fork, base);
            self.merge(fork);
            ctx.failed.extend(failed);
            ctx.end_play |= end_play;
        }
        let known: Vec<String> = self
            .waiting_facts
            .keys()
            .filter(|h| self.hosts.contains_key(*h))
            .cloned()
            .collect();
        for name in known {
            if let (Some(waiting), Some(state)) =
                (self.waiting_facts.remove(&name), self.hosts.get_mut(&name))
            {
                state.facts.extend(waiting.facts);
                state.included_vars.extend(waiting.included_vars);
            }
        }
        ctx.active.clear();
    }

    /// An executor for `host` alone, sharing this one's resources.
    fn fork(&self, host: &str, peers: &Arc<IndexMap<String, super::HostState>>) -> Executor {
        let mut hosts = IndexMap::new();
        hosts.insert(host.to_string(), self.hosts[host].clone());
        Executor {
            inventory: Arc::clone(&self.inventory),
            opts: self.opts.clone(),
            templar: Arc::clone(&self.templar),
            pool: Arc::clone(&self.pool),
            reporter: Arc::clone(&self.reporter),
            forks: Arc::clone(&self.forks),
            hosts,
            groups: self.groups.clone(),
            magic_in_inventory: self.magic_in_inventory,
            delegates: self.delegates.clone(),
            started: self.started,
            failed_hosts: Default::default(),
            unreachable_hosts: Default::default(),
            fatal: None,
            peers: Some(Arc::clone(peers)),
            shared: self.shared.clone(),
            waiting_facts: Default::default(),
            shard_out: Arc::clone(&self.shard_out),
            shard_idle: false,
        }
    }

    /// Takes back what a fork did: its host's state, failures, connections.
    fn merge(&mut self, fork: Executor) {
        for (name, state) in fork.hosts {
            self.hosts.insert(name, state);
        }
        self.failed_hosts.extend(fork.failed_hosts);
        self.unreachable_hosts.extend(fork.unreachable_hosts);
        for (key, conn) in fork.delegates {
            self.delegates.entry(key).or_insert(conn);
        }
        // Facts a host delegated to another (`delegate_facts`) reach it once all are merged.
        for (name, waiting) in fork.waiting_facts {
            let into = self.waiting_facts.entry(name).or_default();
            into.facts.extend(waiting.facts);
            into.included_vars.extend(waiting.included_vars);
        }
        self.started |= fork.started;
        if self.fatal.is_none() {
            self.fatal = fork.fatal;
        }
    }

    /// Under a free strategy, warns (once) that `run_once` does not hold: true when it is
    /// to be ignored.
    pub(crate) fn free_run_once(&self, ctx: &PlayCtx<'_>) -> bool {
        if ctx.play.strategy == Strategy::Linear {
            return false;
        }
        self.warn_once("Using run_once with the free strategy is not currently supported. This task will still be executed for every host in the inventory list.");
        true
    }

    /// Under a free strategy, warns (once) that a module that bypasses the host loop
    /// (`add_host`) runs on every host (ansible-playbook stops the run there): true then.
    pub(crate) fn free_bypass(&self, ctx: &PlayCtx<'_>, task: &Task) -> bool {
        if ctx.play.strategy == Strategy::Linear {
            return false;
        }
        self.warn_once(&format!("The '{}' module bypasses the host loop, which is currently not supported in the free strategy and would instead execute for every host in the inventory list.", task.module.name));
        true
    }

    /// Under a free strategy, warns (once) that `any_errors_fatal` does not hold: true when
    /// it is to be ignored.
    pub(crate) fn free_fatal(&self, ctx: &PlayCtx<'_>) -> bool {
        if ctx.play.strategy == Strategy::Linear {
            return false;
        }
        self.warn_once("Using any_errors_fatal with the free strategy is not supported, as tasks are executed independently on each host");
        true
    }

    /// Shows `message` as a warning, once per run.
    pub(crate) fn warn_once(&self, message: &str) {
        if self.shared.first(message) {
            self.reporter.warning(message);
        }
    }
}
