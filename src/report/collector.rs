//! [`Collector`]: a reporter that builds the [`Report`] model from a run's events — plays,
//! tasks with their file and line, one row per host result with its timing, the texts worth
//! reading (cut to a size, their full size kept), recaps and pipeline stages.
//!
//! It sits behind the `Tee` as every reporter does, so `no_log` results arrive censored and
//! vault values masked; it does not write anything (see `recording.rs`).

use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value as Json;

use crate::events::{HostEvent, Recap, Reporter, StageStatus, Status, TaskKind};
use crate::report::model::{Detail, Play, RecapRow, Report, Row, Stage, Task, Text};
use crate::vars::Vars;

/// How much of a text a result keeps: a failure's output is what one reads, so more of it.
const MSG_LIMIT: usize = 2_000;
const FAILED_OUTPUT_LIMIT: usize = 4_096;
const OUTPUT_LIMIT: usize = 1_024;
const DIFF_LIMIT: usize = 16_384;

struct State {
    report: Report,
    clock: Instant,
    stage: Option<String>,
    origin: Option<(String, usize)>,
    task_started: Option<u64>,
}

/// Builds a [`Report`] from events.
pub struct Collector {
    state: Mutex<State>,
}

impl Collector {
    /// A collector for a run starting now; `report` holds the header known at start.
    pub fn new(report: Report) -> Collector {
        Collector {
            state: Mutex::new(State {
                report,
                clock: Instant::now(),
                stage: None,
                origin: None,
                task_started: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The model so far, with its duration taken now.
    pub fn snapshot(&self) -> Report {
        let state = self.lock();
        let mut report = state.report.clone();
        report.duration = state.clock.elapsed().as_secs_f64();
        report
    }

    /// Changes the header (status, exit code, run id, stage graph).
    pub fn edit(&self, f: impl FnOnce(&mut Report)) {
        f(&mut self.lock().report);
    }
}

impl State {
    fn ms(&self) -> u64 {
        u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn host_index(&mut self, host: &str) -> usize {
        match self.report.hosts.iter().position(|h| h == host) {
            Some(i) => i,
            None => {
                self.report.hosts.push(host.to_string());
                self.report.hosts.len() - 1
            }
        }
    }

    fn play_index(&mut self) -> usize {
        if self.report.plays.is_empty() {
            self.report.plays.push(Play {
                name: String::new(),
                stage: self.stage.clone(),
            });
        }
        self.report.plays.len() - 1
    }
}

/// A text cut to its last `limit` bytes (on a character boundary), with its full size.
pub(crate) fn tail(text: &str, limit: usize) -> Text {
    if text.len() <= limit {
        return Text(text.to_string(), 0);
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    Text(text[start..].to_string(), text.len())
}

/// A text cut to its first `limit` bytes, with its full size.
fn head(text: &str, limit: usize) -> Text {
    if text.len() <= limit {
        return Text(text.to_string(), 0);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Text(text[..end].to_string(), text.len())
}

fn as_text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The texts of a result worth showing, or `None` when it has none.
fn detail(result: &Vars, failed: bool) -> Option<Detail> {
    let output = if failed {
        FAILED_OUTPUT_LIMIT
    } else {
        OUTPUT_LIMIT
    };
    let diff = result
        .get("diff")
        .and_then(crate::output::diff::diff_text)
        .unwrap_or_default();
    let d = Detail {
        msg: head(&as_text(result.get("msg")), MSG_LIMIT),
        stdout: tail(&as_text(result.get("stdout")), output),
        stderr: tail(&as_text(result.get("stderr")), output),
        diff: head(&diff, DIFF_LIMIT),
    };
    (d != Detail::default()).then_some(d)
}

fn status_code(ev: &HostEvent<'_>) -> u8 {
    match ev.status {
        Status::Failed | Status::Unreachable if ev.ignored => 5,
        Status::Ok => 0,
        Status::Changed => 1,
        Status::Failed => 2,
        Status::Skipped => 3,
        Status::Unreachable => 4,
    }
}

impl Reporter for Collector {
    fn play_start(&self, name: &str) {
        let mut state = self.lock();
        let stage = state.stage.clone();
        state.report.plays.push(Play {
            name: name.to_string(),
            stage,
        });
    }

    fn no_hosts_matched(&self) {}

    fn no_more_hosts(&self) {}

    fn task_origin(&self, file: &str, line: usize) {
        self.lock().origin = Some((file.to_string(), line));
    }

    fn task_start(&self, name: &str, kind: TaskKind, _hosts: usize) {
        let mut state = self.lock();
        let play = state.play_index();
        let (file, line) = state.origin.take().unwrap_or_default();
        let start = state.ms();
        state.task_started = Some(start);
        state.report.tasks.push(Task {
            name: name.to_string(),
            play,
            file,
            line,
            handler: kind == TaskKind::Handler,
            start,
            end: start,
        });
    }

    fn host_result(&self, ev: &HostEvent<'_>) {
        // A loop's items end in one summary event (`looped`): that is the host's result.
        if ev.item.is_some() {
            return;
        }
        let mut state = self.lock();
        let now = state.ms();
        if state.report.tasks.is_empty() {
            self.task_start_locked(&mut state, ev.task, now);
        }
        let host = state.host_index(ev.host);
        let code = status_code(ev);
        let detail = match detail(ev.result, matches!(code, 2 | 4 | 5)) {
            Some(d) => {
                state.report.details.push(d);
                i64::try_from(state.report.details.len() - 1).unwrap_or(-1)
            }
            None => -1,
        };
        let start = state.task_started.unwrap_or(now);
        let task = state.report.tasks.len() - 1;
        state.report.tasks[task].end = now;
        state
            .report
            .results
            .push(Row(task, host, code, start, now - start, detail));
    }

    fn included(&self, _target: &str, _hosts: &[String]) {}

    fn retrying(&self, _host: &str, _to: Option<&str>, _task: &str, _left: u64) {}

    fn warning(&self, msg: &str) {
        self.lock().report.warnings.push(head(msg, MSG_LIMIT).0);
    }

    fn recap(&self, recap: &Recap) {
        let mut state = self.lock();
        let stage = state.stage.clone().unwrap_or_default();
        for (host, s) in &recap.hosts {
            let counts = s.in_recap_order();
            state.report.recaps.push(RecapRow {
                stage: stage.clone(),
                host: host.clone(),
                counts,
            });
        }
    }

    fn stage_start(&self, name: &str) {
        let mut state = self.lock();
        state.stage = Some(name.to_string());
        let start = state.ms();
        match state.report.stages.iter_mut().find(|s| s.name == name) {
            Some(s) => s.start = start,
            None => state.report.stages.push(Stage {
                name: name.to_string(),
                start,
                ..Default::default()
            }),
        }
    }

    fn stage_end(&self, name: &str, status: &StageStatus, code: i32, exports: &Vars) {
        let mut state = self.lock();
        let end = state.ms();
        if let Some(s) = state.report.stages.iter_mut().find(|s| s.name == name) {
            s.status = status.to_string();
            s.code = code;
            s.exports = exports.clone();
            s.end = end;
        }
    }
}

impl Collector {
    /// A result that came before any task started (a stage that failed to load): a task of its own.
    fn task_start_locked(&self, state: &mut State, name: &str, now: u64) {
        let play = state.play_index();
        state.task_started = Some(now);
        state.report.tasks.push(Task {
            name: name.to_string(),
            play,
            start: now,
            end: now,
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_the_end_of_output_and_the_start_of_messages() {
        let cases = [
            (tail("abcdef", 10), Text("abcdef".into(), 0)),
            (tail("abcdef", 3), Text("def".into(), 6)),
            (tail("ééé", 3), Text("é".into(), 6)),
            (head("abcdef", 2), Text("ab".into(), 6)),
            (head("ééé", 3), Text("é".into(), 6)),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn rows_carry_status_timing_and_details() {
        let c = Collector::new(Report::default());
        c.play_start("deploy");
        c.task_origin("site.yml", 7);
        c.task_start("build", TaskKind::Task, 2);
        let mut failed = Vars::new();
        failed.insert("msg".into(), "boom".into());
        failed.insert("stderr".into(), "x".repeat(10_000).into());
        for (host, status, result, ignored) in [
            ("h1", Status::Changed, Vars::new(), false),
            ("h2", Status::Failed, failed, false),
            ("h3", Status::Failed, Vars::new(), true),
        ] {
            c.host_result(&HostEvent {
                host,
                delegated: None,
                task: "build",
                status,
                result: &result,
                item: None,
                ignored,
                verbose_always: false,
                looped: false,
            });
        }
        let r = c.snapshot();
        assert_eq!(r.hosts, ["h1", "h2", "h3"]);
        assert_eq!((r.tasks[0].file.as_str(), r.tasks[0].line), ("site.yml", 7));
        let statuses: Vec<&str> = r.results.iter().map(Row::status).collect();
        assert_eq!(statuses, ["changed", "failed", "ignored"]);
        assert_eq!(r.results[1].5, 0);
        assert_eq!(r.details[0].msg, Text("boom".into(), 0));
        assert_eq!(r.details[0].stderr.0.len(), FAILED_OUTPUT_LIMIT);
        assert_eq!(r.details[0].stderr.1, 10_000);
    }
}
