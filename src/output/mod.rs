//! Everything ferry shows goes through one [`Reporter`]: the executor emits events, a reporter
//! turns them into Ansible's familiar lines ([`human`]) or one JSON object per line ([`json`]).
//! Modules and the executor never print.

pub mod human;
pub mod json;
pub mod junit;
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
    /// A pipeline stage starts.
    fn stage_start(&self, _name: &str) {}
    /// A pipeline stage ended (`succeeded`, `failed`, `skipped: ...`) with its exports.
    fn stage_end(&self, _name: &str, _status: &str, _code: i32, _exports: &Vars) {}
}

/// Sends every event to several reporters (the terminal, the history database, JUnit).
pub struct Tee(pub Vec<std::sync::Arc<dyn Reporter>>);

impl Reporter for Tee {
    fn playbook_start(&self, path: &str) {
        self.0.iter().for_each(|r| r.playbook_start(path));
    }
    fn play_start(&self, name: &str) {
        self.0.iter().for_each(|r| r.play_start(name));
    }
    fn no_hosts_matched(&self) {
        self.0.iter().for_each(|r| r.no_hosts_matched());
    }
    fn no_more_hosts(&self) {
        self.0.iter().for_each(|r| r.no_more_hosts());
    }
    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize) {
        self.0.iter().for_each(|r| r.task_start(name, kind, hosts));
    }
    fn host_result(&self, event: &HostEvent<'_>) {
        self.0.iter().for_each(|r| r.host_result(event));
    }
    fn included(&self, target: &str, hosts: &[String]) {
        self.0.iter().for_each(|r| r.included(target, hosts));
    }
    fn retrying(&self, host: &str, task: &str, left: u64) {
        self.0.iter().for_each(|r| r.retrying(host, task, left));
    }
    fn task_end(&self) {
        self.0.iter().for_each(|r| r.task_end());
    }
    fn warning(&self, msg: &str) {
        self.0.iter().for_each(|r| r.warning(msg));
    }
    fn recap(&self, recap: &Recap) {
        self.0.iter().for_each(|r| r.recap(recap));
    }
    fn stage_start(&self, name: &str) {
        self.0.iter().for_each(|r| r.stage_start(name));
    }
    fn stage_end(&self, name: &str, status: &str, code: i32, exports: &Vars) {
        self.0
            .iter()
            .for_each(|r| r.stage_end(name, status, code, exports));
    }
}
