//! Everything ferry shows goes through one [`Reporter`]: the executor emits events, a reporter
//! turns them into Ansible's familiar lines ([`human`]) or one JSON object per line ([`json`]).
//! Modules and the executor never print.

pub mod human;
pub mod json;
pub mod pyjson;

use serde_json::Value as Json;

use crate::executor::{Recap, Status};
use crate::vars::Vars;

/// What kind of task is starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A task of the play.
    Task,
    /// A handler.
    Handler,
}

/// One host's result of one task (or of one loop item).
pub struct HostEvent<'a> {
    /// The inventory hostname.
    pub host: &'a str,
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

/// Receives every event of a run.
pub trait Reporter: Send + Sync {
    /// A playbook file starts.
    fn playbook_start(&self, _path: &str) {}
    /// A play starts.
    fn play_start(&self, name: &str);
    /// The play's pattern matched no host.
    fn no_hosts_matched(&self);
    /// Every host of the play has failed.
    fn no_more_hosts(&self);
    /// A task or handler starts on `hosts` hosts.
    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize);
    /// A host finished the task (or a loop item).
    fn host_result(&self, event: &HostEvent<'_>);
    /// `include_tasks`/`include_role` included `target` for `hosts`.
    fn included(&self, target: &str, hosts: &[String]);
    /// An `until` condition was false; the task runs again on `host`.
    fn retrying(&self, host: &str, task: &str, retries_left: u64);
    /// The task finished on every host.
    fn task_end(&self) {}
    /// A warning for the user.
    fn warning(&self, msg: &str);
    /// The run ends with this recap.
    fn recap(&self, recap: &Recap);
}
