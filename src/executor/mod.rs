//! Runs plays: for each task, every active host in parallel (bounded by `--forks`); handlers;
//! per-host outcomes and the recap.
//!
//! A host's failure is data ([`Status::Failed`]), never a `?`: the other hosts go on. All
//! output goes through the [`Reporter`].

mod block;
mod delegation;
mod facts;
mod handlers;
mod host_task;
mod hostvars;
mod include;
mod inventory_edits;
mod keyword_value;
mod looping;
mod meta;
mod notified;
mod play;
mod play_ctx;
mod select;
mod shard;
mod strategy;
mod task;
mod vars_files;

use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::Semaphore;

pub use crate::events::{HostStats, Recap, Status};

use crate::connection::{ConnectOptions, Pool};
use crate::error::LoadErrors;
use crate::events::Reporter;
use crate::inventory::Inventory;
use crate::modules::HostConn;
use crate::playbook::Playbook;
use crate::template::Templar;
use crate::vars::Vars;

/// Options of a run that come from the command line.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How many hosts run a task at once.
    pub forks: usize,
    /// `-e` variables (highest precedence).
    pub extra_vars: Vars,
    /// `--limit` pattern.
    pub limit: Option<String>,
    /// How to reach hosts: keys, known_hosts, ssh config, timeouts.
    pub connect: ConnectOptions,
    /// `-C`: change nothing, report what would change.
    pub check: bool,
    /// `-D`: show differences.
    pub diff: bool,
    /// `-v` count (debug's `verbosity` compares with it).
    pub verbosity: u8,
    /// `-b`: become for every task that does not say otherwise.
    pub become_: bool,
    /// `--become-user`.
    pub become_user: Option<String>,
    /// `--become-method` or ansible.cfg's `become_method`.
    pub become_method: Option<String>,
    /// ansible.cfg's `become_exe` (`ANSIBLE_BECOME_EXE`).
    pub become_exe: Option<String>,
    /// ansible.cfg's `become_flags` (`ANSIBLE_BECOME_FLAGS`).
    pub become_flags: Option<String>,
    /// `-K`: the sudo password (sent to sudo on stdin, never shown).
    pub become_password: Option<String>,
    /// `-t`: only tasks with these tags (default: all).
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// `--force-handlers`.
    pub force_handlers: bool,
    /// `--start-at-task`.
    pub start_at_task: Option<String>,
    /// `--shard`: the run takes this slice of its hosts (see [`Executor::shard`]).
    pub shard: Option<crate::shard::Shard>,
}

/// Per-host state that lives across tasks and plays.
#[derive(Clone, Default)]
struct HostState {
    /// Inventory variables (computed once).
    inv_vars: Vars,
    /// set_fact, register and gathered facts.
    facts: Vars,
    /// Variables from `include_vars` (below facts, as in Ansible).
    included_vars: Vars,
    /// Recap counts.
    stats: HostStats,
    /// Failed or unreachable: out of the rest of the run.
    out: bool,
    /// The host's connection (spec decided at first use).
    conn: Option<Arc<HostConn>>,
}

impl HostState {
    /// Keeps the `ansible_facts` of `task`'s `result`: as facts, or as included variables for
    /// a module whose spec says so (`include_vars`).
    fn set_facts(&mut self, task: &crate::playbook::Task, result: &crate::modules::ModuleResult) {
        let Some(serde_json::Value::Object(facts)) = result.data.get("ansible_facts") else {
            return;
        };
        if task.module.included_vars {
            for (k, v) in facts {
                self.included_vars.insert(k.clone(), v.clone());
            }
            return;
        }
        if task.module.plain_facts {
            for (k, v) in facts {
                self.facts.insert(k.clone(), v.clone());
            }
            return;
        }
        // Gathered facts are variables, and `ansible_facts` holds them without their prefix.
        let existing = self.facts.get("ansible_facts").cloned();
        for (k, v) in crate::facts::as_variables(facts, existing.as_ref()) {
            self.facts.insert(k, v);
        }
    }
}

/// Runs playbooks against an inventory.
pub struct Executor {
    inventory: Arc<Inventory>,
    opts: RunOptions,
    templar: Arc<Templar>,
    pool: Arc<Pool>,
    reporter: Arc<dyn Reporter>,
    forks: Arc<Semaphore>,
    hosts: IndexMap<String, HostState>,
    groups: serde_json::Value,
    /// Whether an inventory or extra variable names a play-wide magic variable (`groups`,
    /// `ansible_play_hosts`, ...): then every task's variables carry them.
    magic_in_inventory: bool,
    delegates: std::collections::HashMap<String, Arc<HostConn>>,
    /// False until `--start-at-task` has matched.
    started: bool,
    /// Hosts whose failure stands (for the exit code).
    failed_hosts: std::collections::BTreeSet<String>,
    /// Hosts that were unreachable.
    unreachable_hosts: std::collections::BTreeSet<String>,
    /// Content a dynamic include read that does not load: the run stops with it.
    fatal: Option<LoadErrors>,
    /// Under the free strategies, the other hosts' state as the batch started (`hostvars`).
    peers: Option<Arc<IndexMap<String, HostState>>>,
    /// What forks of this executor share (`throttle` limits, warnings shown).
    shared: strategy::Shared,
    /// Facts delegated (`delegate_facts`) to hosts no play has run on yet.
    waiting_facts: std::collections::HashMap<String, HostState>,
    /// `--shard`: the selected hosts other shards run.
    shard_out: Arc<std::collections::HashSet<String>>,
    /// `--shard`: this shard has no host at all.
    shard_idle: bool,
}

impl Executor {
    /// An executor for `inventory` reporting to `reporter`.
    pub fn new(inventory: Inventory, opts: RunOptions, reporter: Arc<dyn Reporter>) -> Executor {
        let groups = serde_json::Value::Object(inventory.groups());
        let started = opts.start_at_task.is_none();
        let magic_in_inventory = hostvars::inventory_names_magic(&inventory, &opts.extra_vars);
        Executor {
            forks: Arc::new(Semaphore::new(opts.forks.clamp(1, 1024))),
            inventory: Arc::new(inventory),
            opts,
            templar: Arc::new(Templar::new()),
            pool: Arc::new(Pool::new()),
            reporter,
            hosts: IndexMap::new(),
            groups,
            magic_in_inventory,
            delegates: Default::default(),
            started,
            failed_hosts: Default::default(),
            unreachable_hosts: Default::default(),
            fatal: None,
            peers: None,
            shared: Default::default(),
            waiting_facts: Default::default(),
            shard_out: Default::default(),
            shard_idle: false,
        }
    }

    /// Runs every play of `playbook`, in order. Included content that does not load stops
    /// the run with its errors (as a playbook's own errors stop it before it starts).
    pub async fn run(&mut self, playbook: &Playbook) -> Result<(), LoadErrors> {
        if self.shard_idle {
            return Ok(());
        }
        let dir = playbook
            .path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| std::fs::canonicalize(p).ok())
            .unwrap_or_default();
        let prompted = self.prompted(playbook)?;
        for (play, answers) in playbook.plays.iter().zip(prompted) {
            let go_on = self.run_play(play, &dir, answers).await;
            if let Some(errors) = self.fatal.take() {
                return Err(errors);
            }
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    /// The `vars_prompt` values of every play not answered yet (no terminal here: defaults,
    /// with Ansible's warning), or why some have none — before any play runs.
    fn prompted(&self, playbook: &Playbook) -> Result<Vec<Vars>, LoadErrors> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let mut warn = |text: &str| self.warn_once(text);
        for play in &playbook.plays {
            let mut asker = crate::playbook::NoTerminal(&mut warn);
            match crate::playbook::answers(play, &self.opts.extra_vars, &mut asker) {
                Ok(vars) => out.push(vars),
                Err(e) => errors.extend(e.0),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(LoadErrors(errors))
        }
    }

    /// Each host's facts and registered results so far (for pipeline exports).
    pub fn facts(&self) -> Vec<(String, Vars)> {
        self.hosts
            .iter()
            .map(|(name, state)| (name.clone(), state.facts.clone()))
            .collect()
    }

    /// The recap of everything run so far; closes the connections.
    pub async fn finish(self) -> Recap {
        self.pool.close_all().await;
        let mut hosts: Vec<(String, HostStats)> = self
            .hosts
            .into_iter()
            .map(|(name, state)| (name, state.stats))
            .collect();
        hosts.sort_by(|a, b| a.0.cmp(&b.0));
        Recap {
            hosts,
            failed: self.failed_hosts.into_iter().collect(),
            unreachable: self.unreachable_hosts.into_iter().collect(),
        }
    }
}
