//! The event vocabulary of a run: what a task did on a host ([`Status`], [`HostEvent`]), the
//! per-host counts and the recap that decides the exit code, pipeline stage and run statuses,
//! and the [`Reporter`] trait that receives every event.
//!
//! The executor and the pipeline runner emit events; the reporters in `output/` (human, JSON,
//! JUnit) and the history recorder receive them. Both sides import this file and nothing of each
//! other, as ripgrep's searcher and its sinks meet at `Sink`.

use serde_json::Value as Json;

use crate::vars::Vars;

/// What a task did on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran, changed something.
    Changed,
    /// Failed (possibly ignored).
    Failed,
    /// Ran, changed nothing.
    Ok,
    /// Not run (`when` was false).
    Skipped,
    /// The host could not be reached.
    Unreachable,
}

/// One host's counts, as in `PLAY RECAP`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostStats {
    /// ok (includes changed and ignored failures).
    pub ok: u32,
    /// changed.
    pub changed: u32,
    /// unreachable.
    pub unreachable: u32,
    /// failed.
    pub failed: u32,
    /// skipped.
    pub skipped: u32,
    /// rescued.
    pub rescued: u32,
    /// ignored.
    pub ignored: u32,
}

impl HostStats {
    /// The counts in PLAY RECAP's order: ok, changed, unreachable, failed, skipped, rescued,
    /// ignored.
    pub fn in_recap_order(&self) -> [u32; 7] {
        [
            self.ok,
            self.changed,
            self.unreachable,
            self.failed,
            self.skipped,
            self.rescued,
            self.ignored,
        ]
    }

    /// Counts one result the way Ansible's strategy does.
    pub fn count(&mut self, status: Status, changed: bool, ignored: bool) {
        match status {
            Status::Ok | Status::Changed => self.ok += 1,
            Status::Failed if ignored => {
                self.ok += 1;
                self.ignored += 1;
            }
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::Unreachable if ignored => {
                self.ok += 1;
                self.ignored += 1;
            }
            Status::Unreachable => self.unreachable += 1,
        }
        if changed && status != Status::Unreachable && (status != Status::Failed || ignored) {
            self.changed += 1;
        }
    }
}

/// The end of a run: every host's counts, sorted by name as Ansible prints them, and the
/// hosts that ended failed or unreachable (`meta: clear_host_errors` takes hosts off the failed
/// list but not their counts, as in Ansible).
#[derive(Debug, Clone, Default)]
pub struct Recap {
    /// Host name → counts.
    pub hosts: Vec<(String, HostStats)>,
    /// Hosts whose failure stands.
    pub failed: Vec<String>,
    /// Hosts that were unreachable.
    pub unreachable: Vec<String>,
}

impl Recap {
    /// ansible-playbook's exit code: 4 if a host was unreachable, else 2 if one failed, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.unreachable.is_empty() {
            4
        } else if !self.failed.is_empty() {
            2
        } else {
            0
        }
    }
}

/// Where a pipeline stage is, as the history database records it and reporters show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageStatus {
    /// Failed (a host failed or was unreachable, or the stage could not load).
    Failed,
    /// Interrupted (Ctrl-C, or the process died).
    Interrupted,
    /// Not run; its exports were taken from an earlier run (rollback, `--from`, `--only`).
    Reused,
    /// Running now.
    Running,
    /// Not run, and why: `not selected`, `needs STAGE`, `when EXPR`.
    Skipped(String),
    /// Ran, and every host succeeded.
    Succeeded,
}

impl std::fmt::Display for StageStatus {
    /// The text stored in the history database: `succeeded`, `skipped: needs ci`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StageStatus::Failed => f.write_str("failed"),
            StageStatus::Interrupted => f.write_str("interrupted"),
            StageStatus::Reused => f.write_str("reused"),
            StageStatus::Running => f.write_str("running"),
            StageStatus::Skipped(why) => write!(f, "skipped: {why}"),
            StageStatus::Succeeded => f.write_str("succeeded"),
        }
    }
}

/// How a pipeline run ended, as the history database records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// A stage failed.
    Failed,
    /// Ctrl-C.
    Interrupted,
    /// Still running (or its process died: the next open marks it interrupted).
    Running,
    /// Every stage that ran succeeded.
    Succeeded,
}

impl RunStatus {
    /// The text stored in the history database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of task is starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A task of the play.
    Task,
    /// A handler.
    Handler,
}

/// The host a delegated task ran on (`delegate_to`, `local_action`), when not its own: the
/// default callback labels the result `host -> to` or `host -> to(address)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegated<'a> {
    /// The delegated-to host's name, as `delegate_to` rendered it.
    pub to: &'a str,
    /// Its `ansible_host` as the inventory writes it, when that is not its name and the task
    /// got as far as its connection (ansible-core learns the address only there).
    pub address: Option<&'a str>,
}

/// One host's result of one task (or of one loop item).
pub struct HostEvent<'a> {
    /// The inventory hostname.
    pub host: &'a str,
    /// Where the task ran instead, when it was delegated to another host.
    pub delegated: Option<Delegated<'a>>,
    /// The task's name as shown.
    pub task: &'a str,
    /// What happened.
    pub status: Status,
    /// The result dictionary, already censored for `no_log`.
    pub result: &'a Vars,
    /// The loop item, for a per-item line.
    pub item: Option<&'a Json>,
    /// A failure that `ignore_errors` let through.
    pub ignored: bool,
    /// Show the result even without -v (debug, assert).
    pub verbose_always: bool,
    /// The summary of a loop whose items were already reported: counts only, no line.
    pub looped: bool,
}

/// A sharded run's slice (`--shard`), announced before its first play.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardPlan {
    /// Which shard, from 0.
    pub index: usize,
    /// How many shards.
    pub count: usize,
    /// How many hosts the plays select (after `--limit`), the controller's own aside.
    pub selected: usize,
    /// This shard's hosts.
    pub hosts: Vec<String>,
    /// Hosts on the controller itself (`ansible_connection: local`): every shard runs them.
    pub local: Vec<String>,
    /// What keeps its meaning only within the shard (`serial`, `run_once`, ...).
    pub notes: Vec<String>,
}

/// Receives every event of a run.
pub trait Reporter: Send + Sync {
    /// A playbook file starts.
    fn playbook_start(&self, _path: &str) {}
    /// A play starts.
    fn play_start(&self, name: &str);
    /// The play's strategy: free (`free`, `host_pinned`) or linear; sent after `play_start`.
    fn play_strategy(&self, _free: bool) {}
    /// A `serial` batch after the first starts (ansible-core shows the play's banner again).
    fn play_batch(&self, _name: &str) {}
    /// The play's pattern matched no host.
    fn no_hosts_matched(&self);
    /// Every host of the play has failed.
    fn no_more_hosts(&self);
    /// Where the task about to start is written (its file and 1-based line), sent just before
    /// [`Reporter::task_start`].
    fn task_origin(&self, _file: &str, _line: usize) {}
    /// A task or handler starts on `hosts` hosts.
    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize);
    /// A host finished the task (or a loop item).
    fn host_result(&self, event: &HostEvent<'_>);
    /// `include_tasks`/`include_role` included `target` for `hosts`.
    fn included(&self, target: &str, hosts: &[String]);
    /// An `until` condition was false; the task runs again on `host` (delegated to
    /// `delegated_to`, when it is).
    fn retrying(&self, host: &str, delegated_to: Option<&str>, task: &str, retries_left: u64);
    /// An `async` job of `host` is still running at a poll.
    fn async_poll(&self, _host: &str, _jid: &str) {}
    /// The task finished on every host.
    fn task_end(&self) {}
    /// A warning for the user.
    fn warning(&self, msg: &str);
    /// The run ends with this recap.
    fn recap(&self, recap: &Recap);
    /// A pipeline stage starts.
    fn stage_start(&self, _name: &str) {}
    /// `--shard`: the slice of the hosts this run takes.
    fn shard(&self, _plan: &ShardPlan) {}
    /// A pipeline stage ended (`succeeded`, `failed`, `skipped: ...`) with its exports.
    fn stage_end(&self, _name: &str, _status: &StageStatus, _code: i32, _exports: &Vars) {}
}

/// Sends every event to several reporters (the terminal, the history database, JUnit): the
/// one place every event passes through, so values that came out of a vault are masked here
/// (`vault::mask`), once, before any reporter sees them. What hosts are sent is not touched.
pub struct Tee(pub Vec<std::sync::Arc<dyn Reporter>>);

fn masked(text: &str) -> std::borrow::Cow<'_, str> {
    crate::vault::mask::text(text)
}

fn masked_vars(vars: &Vars) -> Option<Vars> {
    match crate::vault::mask::json(&Json::Object(vars.clone())) {
        Some(Json::Object(m)) => Some(m),
        _ => None,
    }
}

impl Tee {
    /// Shows the warnings templates raised since the last event (a lookup's `warn`).
    fn template_warnings(&self) {
        for msg in crate::template::warnings::take() {
            self.warning(&msg);
        }
    }
}

impl Reporter for Tee {
    fn playbook_start(&self, path: &str) {
        self.0.iter().for_each(|r| r.playbook_start(path));
    }
    fn play_start(&self, name: &str) {
        let name = masked(name);
        self.0.iter().for_each(|r| r.play_start(&name));
    }
    fn play_strategy(&self, free: bool) {
        self.0.iter().for_each(|r| r.play_strategy(free));
    }
    fn play_batch(&self, name: &str) {
        let name = masked(name);
        self.0.iter().for_each(|r| r.play_batch(&name));
    }
    fn no_hosts_matched(&self) {
        self.0.iter().for_each(|r| r.no_hosts_matched());
    }
    fn no_more_hosts(&self) {
        self.0.iter().for_each(|r| r.no_more_hosts());
    }
    fn task_origin(&self, file: &str, line: usize) {
        self.0.iter().for_each(|r| r.task_origin(file, line));
    }
    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize) {
        let name = masked(name);
        self.0.iter().for_each(|r| r.task_start(&name, kind, hosts));
    }
    fn host_result(&self, event: &HostEvent<'_>) {
        self.template_warnings();
        if crate::vault::mask::is_empty() {
            return self.0.iter().for_each(|r| r.host_result(event));
        }
        let task = masked(event.task);
        let result = masked_vars(event.result);
        let item = event.item.and_then(crate::vault::mask::json);
        let event = HostEvent {
            task: &task,
            result: result.as_ref().unwrap_or(event.result),
            item: item.as_ref().or(event.item),
            ..*event
        };
        self.0.iter().for_each(|r| r.host_result(&event));
    }
    fn included(&self, target: &str, hosts: &[String]) {
        let target = masked(target);
        self.0.iter().for_each(|r| r.included(&target, hosts));
    }
    fn retrying(&self, host: &str, delegated_to: Option<&str>, task: &str, left: u64) {
        let task = masked(task);
        self.0
            .iter()
            .for_each(|r| r.retrying(host, delegated_to, &task, left));
    }
    fn async_poll(&self, host: &str, jid: &str) {
        self.0.iter().for_each(|r| r.async_poll(host, jid));
    }
    fn task_end(&self) {
        self.template_warnings();
        self.0.iter().for_each(|r| r.task_end());
    }
    fn warning(&self, msg: &str) {
        let msg = masked(msg);
        self.0.iter().for_each(|r| r.warning(&msg));
    }
    fn recap(&self, recap: &Recap) {
        self.0.iter().for_each(|r| r.recap(recap));
    }
    fn stage_start(&self, name: &str) {
        self.0.iter().for_each(|r| r.stage_start(name));
    }
    fn shard(&self, plan: &ShardPlan) {
        self.0.iter().for_each(|r| r.shard(plan));
    }
    fn stage_end(&self, name: &str, status: &StageStatus, code: i32, exports: &Vars) {
        let masked_exports = masked_vars(exports);
        let exports = masked_exports.as_ref().unwrap_or(exports);
        self.0
            .iter()
            .for_each(|r| r.stage_end(name, status, code, exports));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_ansible() {
        let mut s = HostStats::default();
        for (status, changed, ignored) in [
            (Status::Ok, false, false),
            (Status::Changed, true, false),
            (Status::Failed, true, true),
            (Status::Skipped, false, false),
        ] {
            s.count(status, changed, ignored);
        }
        let want = HostStats {
            ok: 3,
            changed: 2,
            skipped: 1,
            ignored: 1,
            ..Default::default()
        };
        assert_eq!(s, want);
    }
}
