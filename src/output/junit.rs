//! `--junit FILE`: JUnit XML that Jenkins, GitLab and GitHub read: one `<testsuite>` per play
//! (per stage and play in a pipeline), one `<testcase>` per task × host, failures carrying the
//! module's message.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value as Json;

use crate::events::{HostEvent, Recap, Reporter, Status, TaskKind};

#[derive(Default)]
struct Suite {
    name: String,
    cases: Vec<Case>,
    started: Option<Instant>,
    seconds: f64,
    /// A replayed suite's time, as its shards measured it (`ferry shards merge`).
    replayed_seconds: Option<f64>,
}

struct Case {
    classname: String,
    name: String,
    seconds: f64,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Skipped,
    Failure(String, String),
    Error(String, String),
}

#[derive(Default)]
struct State {
    prefix: String,
    suites: Vec<Suite>,
    task_started: Option<Instant>,
    /// The next case's time, as its shard measured it (`ferry shards merge`).
    replayed_seconds: Option<f64>,
}

/// Collects results and writes them as JUnit XML.
#[derive(Default)]
pub struct Junit {
    state: Mutex<State>,
}

impl Junit {
    /// Suites started from now on are named `prefix / play` (a pipeline stage).
    pub fn set_prefix(&self, prefix: &str) {
        self.lock().prefix = prefix.to_string();
    }

    /// The next result replayed took `seconds` (a shard's JSON log says so).
    pub fn replayed_case(&self, seconds: f64) {
        self.lock().replayed_seconds = Some(seconds);
    }

    /// The suite being replayed took `seconds` in the shards' logs.
    pub fn replayed_suite(&self, seconds: f64) {
        if let Some(s) = self.lock().suites.last_mut() {
            s.replayed_seconds = Some(seconds);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the XML file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_xml())
    }

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut state = self.lock();
        close_suite(&mut state);
        let suites = &state.suites;
        let count = |f: fn(&Outcome) -> bool| {
            suites
                .iter()
                .flat_map(|s| &s.cases)
                .filter(|c| f(&c.outcome))
                .count()
        };
        let total: usize = suites.iter().map(|s| s.cases.len()).sum();
        let time: f64 = suites.iter().map(|s| s.seconds).sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"ferry\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
            count(|o| matches!(o, Outcome::Failure(..))),
            count(|o| matches!(o, Outcome::Error(..))),
            count(|o| matches!(o, Outcome::Skipped)),
        );
        for s in suites {
            write_suite(&mut out, s);
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn write_suite(out: &mut String, s: &Suite) {
    let n = |f: fn(&Outcome) -> bool| s.cases.iter().filter(|c| f(&c.outcome)).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        esc(&s.name),
        s.cases.len(),
        n(|o| matches!(o, Outcome::Failure(..))),
        n(|o| matches!(o, Outcome::Error(..))),
        n(|o| matches!(o, Outcome::Skipped)),
        s.seconds
    );
    for c in &s.cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            esc(&c.classname),
            esc(&c.name),
            c.seconds
        );
        match &c.outcome {
            Outcome::Passed => out.push_str("/>\n"),
            Outcome::Skipped => out.push_str(">\n      <skipped/>\n    </testcase>\n"),
            Outcome::Failure(m, body) | Outcome::Error(m, body) => {
                let tag = if matches!(c.outcome, Outcome::Failure(..)) {
                    "failure"
                } else {
                    "error"
                };
                let _ = write!(
                    out,
                    ">\n      <{tag} message=\"{}\" type=\"{tag}\">{}</{tag}>\n    </testcase>\n",
                    esc(m),
                    esc(body)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
}

fn close_suite(state: &mut State) {
    if let Some(s) = state.suites.last_mut() {
        if let Some(t) = s.started.take() {
            s.seconds = s
                .replayed_seconds
                .unwrap_or_else(|| t.elapsed().as_secs_f64());
        }
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

impl Reporter for Junit {
    fn play_start(&self, name: &str) {
        let mut state = self.lock();
        close_suite(&mut state);
        let full = if state.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{} / {name}", state.prefix)
        };
        state.suites.push(Suite {
            name: full,
            started: Some(Instant::now()),
            ..Default::default()
        });
    }

    fn no_hosts_matched(&self) {}

    fn no_more_hosts(&self) {}

    fn task_start(&self, _name: &str, _kind: TaskKind, _hosts: usize) {
        self.lock().task_started = Some(Instant::now());
    }

    fn host_result(&self, ev: &HostEvent<'_>) {
        let mut state = self.lock();
        let replayed = state.replayed_seconds.take();
        if ev.item.is_some() {
            return;
        }
        let seconds = replayed
            .or_else(|| state.task_started.map(|t| t.elapsed().as_secs_f64()))
            .unwrap_or(0.0);
        let msg = ev
            .result
            .get("msg")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let body = crate::pyjson::dumps(&Json::Object(ev.result.clone()), Some(2), true);
        let outcome = match ev.status {
            Status::Failed if !ev.ignored => Outcome::Failure(msg, body),
            Status::Unreachable if !ev.ignored => Outcome::Error(msg, body),
            Status::Skipped => Outcome::Skipped,
            _ => Outcome::Passed,
        };
        if state.suites.is_empty() {
            state.suites.push(Suite {
                name: "ferry".into(),
                started: Some(Instant::now()),
                ..Default::default()
            });
        }
        let suite = state.suites.last_mut().expect("a suite exists");
        let classname = suite.name.clone();
        suite.cases.push(Case {
            classname,
            name: format!("{} [{}]", ev.task, ev.host),
            seconds,
            outcome,
        });
    }

    fn included(&self, _target: &str, _hosts: &[String]) {}

    fn retrying(&self, _host: &str, _to: Option<&str>, _task: &str, _left: u64) {}

    fn warning(&self, _msg: &str) {}

    fn recap(&self, _recap: &Recap) {}

    fn stage_start(&self, name: &str) {
        self.set_prefix(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::Vars;

    #[test]
    fn xml_shape() {
        let j = Junit::default();
        j.play_start("deploy");
        j.task_start("build", TaskKind::Task, 2);
        let mut failed = Vars::new();
        failed.insert("msg".into(), "non-zero <rc>".into());
        for (host, status, result) in [
            ("h1", Status::Changed, Vars::new()),
            ("h2", Status::Failed, failed),
        ] {
            j.host_result(&HostEvent {
                host,
                delegated: None,
                task: "build",
                status,
                result: &result,
                item: None,
                ignored: false,
                verbose_always: false,
                looped: false,
            });
        }
        let xml = j.to_xml();
        assert!(
            xml.contains(
                "<testsuites name=\"ferry\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase classname=\"deploy\" name=\"build [h1]\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"non-zero &lt;rc&gt;\" type=\"failure\">"),
            "{xml}"
        );
    }
}
