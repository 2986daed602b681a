//! The report model: one run as data — its header (arguments, who, when, git, exit code), its
//! plays, tasks and hosts, one compact row per host result, the details worth reading (messages,
//! output tails, diffs), recaps and pipeline stages. The HTML page embeds it as JSON and the
//! history database stores it, so a recorded run renders as a fresh one does.
//!
//! It owns the shape only; `collector.rs` fills it from events, `html.rs` renders it.

use serde::{Deserialize, Serialize};

use crate::vars::Vars;

/// The version of this shape, stored with every model.
pub const VERSION: u32 = 1;

/// One run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// [`VERSION`].
    pub version: u32,
    /// What ran: the playbooks, or the pipeline's name.
    pub title: String,
    /// `run` or `pipeline`.
    pub kind: String,
    /// The run's number in the history database, when recorded.
    pub run_id: Option<i64>,
    /// The run's arguments, secrets masked.
    pub args: RunArgs,
    /// Who ran it.
    pub user: String,
    /// On which machine.
    pub machine: String,
    /// Seconds since the epoch at the start.
    pub started: f64,
    /// Seconds the run took.
    pub duration: f64,
    /// The commit.
    pub git_sha: String,
    /// The branch.
    pub git_branch: String,
    /// `succeeded`, `failed`, `interrupted`, `error`.
    pub status: String,
    /// The process's exit code, when it ended.
    pub exit_code: Option<i32>,
    /// Inventory hostnames, in the order they first reported.
    pub hosts: Vec<String>,
    /// Plays in order.
    pub plays: Vec<Play>,
    /// Tasks and handlers in the order they started.
    pub tasks: Vec<Task>,
    /// One row per host result.
    pub results: Vec<Row>,
    /// Texts of results that have any (rows point here).
    pub details: Vec<Detail>,
    /// Per stage (empty for a plain run) and host: the recap counts.
    pub recaps: Vec<RecapRow>,
    /// Pipeline stages in order.
    pub stages: Vec<Stage>,
    /// Warnings the run printed.
    pub warnings: Vec<String>,
}

/// The exact arguments of a run, as the history keeps them: never a secret's value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunArgs {
    /// The command line, `-e` values replaced by their names.
    pub argv: Vec<String>,
    /// `--limit`.
    pub limit: Option<String>,
    /// `--tags`.
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// Names of the extra variables (`-e`), values never.
    pub extra_vars: Vec<String>,
    /// `--check`.
    pub check: bool,
    /// `--diff`.
    pub diff: bool,
}

/// One play.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Play {
    /// Its name.
    pub name: String,
    /// The pipeline stage it ran in.
    pub stage: Option<String>,
}

/// One task or handler as it started.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Task {
    /// The name shown.
    pub name: String,
    /// Index into [`Report::plays`].
    pub play: usize,
    /// The file it is written in.
    pub file: String,
    /// Its line there.
    pub line: usize,
    /// A handler.
    pub handler: bool,
    /// Milliseconds from the run's start to the task's start.
    pub start: u64,
    /// Milliseconds from the run's start to its last host result.
    pub end: u64,
}

/// A result's status, as a small number in [`Row`]: the page's legend follows this order.
pub const STATUSES: [&str; 6] = [
    "ok",
    "changed",
    "failed",
    "skipped",
    "unreachable",
    "ignored",
];

/// One host's result of one task: `[task, host, status, start ms, duration ms, detail]`, with
/// `detail` an index into [`Report::details`] or -1 — an array, because a 500-host, 50-task run
/// has 25,000 of them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Row(pub usize, pub usize, pub u8, pub u64, pub u64, pub i64);

impl Row {
    /// Index into [`Report::tasks`].
    pub fn task(&self) -> usize {
        self.0
    }
    /// Index into [`Report::hosts`].
    pub fn host(&self) -> usize {
        self.1
    }
    /// The status's name ([`STATUSES`]).
    pub fn status(&self) -> &'static str {
        STATUSES.get(usize::from(self.2)).copied().unwrap_or("ok")
    }
}

/// The texts of one result, each cut to a size the page can hold, with its full size.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Detail {
    /// `msg`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub msg: Text,
    /// The end of `stdout`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub stdout: Text,
    /// The end of `stderr`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub stderr: Text,
    /// The `--diff` output, as a unified diff.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub diff: Text,
}

/// A text as shown, and its size before it was cut (0 when shown whole).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Text(pub String, pub usize);

impl Text {
    /// True for no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One host's recap counts in one stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecapRow {
    /// The stage (empty for a plain run).
    pub stage: String,
    /// The host.
    pub host: String,
    /// ok, changed, unreachable, failed, skipped, rescued, ignored.
    pub counts: [u32; 7],
}

/// One pipeline stage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stage {
    /// Its name.
    pub name: String,
    /// The stages it needs (the graph's edges).
    pub needs: Vec<String>,
    /// `succeeded`, `failed`, `skipped: ...`, `reused`, `running`.
    pub status: String,
    /// Its exit code.
    pub code: i32,
    /// The values it exported to later stages.
    pub exports: Vars,
    /// Milliseconds from the run's start.
    pub start: u64,
    /// Milliseconds from the run's start to its end.
    pub end: u64,
}
