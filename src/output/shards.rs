//! `ferry shards merge`: the JSON event logs (`--output json`) of the shards of one rollout
//! made one — every shard present exactly once, one recap (per pipeline stage) adding up the
//! shards' counts, and the results replayed into one JUnit report whose suites (one per play)
//! hold every shard's cases.
//!
//! Owns reading the logs back and checking that they fit together; the recap and the JUnit
//! XML are the usual reporters' (`human.rs`, `json.rs`, `junit.rs`). A result's `seconds` in
//! the JSON log is its case's time; a play's time is its longest shard's, each shard's tasks
//! one after another and each as long as its slowest host (logs written before results
//! carried times give zero).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::events::{HostEvent, HostStats, Recap, Reporter, Status, TaskKind};
use crate::output::junit::Junit;

/// The JSON event log of one shard.
pub struct ShardLog {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its `shard` event's index and count.
    pub shard: (usize, usize),
    events: Vec<Json>,
}

/// Shard logs that cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Two logs of one shard.
    #[error("{first} and {second} are both shard {index}/{count}")]
    Twice {
        first: PathBuf,
        second: PathBuf,
        index: usize,
        count: usize,
    },
    /// Logs of different shardings.
    #[error("{path} is one of {count} shards, but {first} is one of {first_count}")]
    Count {
        path: PathBuf,
        count: usize,
        first: PathBuf,
        first_count: usize,
    },
    /// A line that is not JSON.
    #[error("{path}:{line}: not a JSON event ({source}); give the files `--output json` wrote")]
    Json {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// Shards not given.
    #[error("missing shard{s} {missing}: every shard's log is needed", s = if missing.contains(',') { "s" } else { "" })]
    Missing { missing: String },
    /// No logs.
    #[error("no shard logs given")]
    Nothing,
    /// A log without a `shard` event.
    #[error("{0}: no shard event: was it written by a run with --shard and --output json?")]
    NotSharded(PathBuf),
    /// A log that cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A log that ends before its recap.
    #[error("{0}: no recap: the shard's run did not finish")]
    Unfinished(PathBuf),
}

/// What the merge found: one recap per pipeline stage (one for a plain run) and the exit
/// code the shards together end with.
pub struct Merged {
    /// (stage, recap), in the order the stages ran.
    pub recaps: Vec<(Option<String>, Recap)>,
    /// The highest exit code any shard's recap or stage gave (4 unreachable > 2 failed > 0).
    pub exit_code: i32,
}

impl ShardLog {
    /// Reads a shard's `--output json` log (lines that are not `{...}` are passed over).
    pub fn read(path: &Path) -> Result<ShardLog, MergeError> {
        let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut events = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if !line.trim_start().starts_with('{') {
                continue;
            }
            let event = serde_json::from_str(line).map_err(|source| MergeError::Json {
                path: path.to_path_buf(),
                line: n + 1,
                source,
            })?;
            events.push(event);
        }
        let number = |e: &Json, k: &str| e.get(k).and_then(Json::as_u64).map(|n| n as usize);
        let shard = events
            .iter()
            .find(|e| kind(e) == "shard")
            .and_then(|e| Some((number(e, "index")?, number(e, "count")?)))
            .ok_or_else(|| MergeError::NotSharded(path.to_path_buf()))?;
        if !events.iter().any(|e| kind(e) == "recap") {
            return Err(MergeError::Unfinished(path.to_path_buf()));
        }
        Ok(ShardLog {
            path: path.to_path_buf(),
            shard,
            events,
        })
    }
}

fn kind(event: &Json) -> &str {
    event.get("event").and_then(Json::as_str).unwrap_or("")
}

fn text<'a>(event: &'a Json, key: &str) -> &'a str {
    event.get(key).and_then(Json::as_str).unwrap_or("")
}

/// Checks that `logs` are each shard of one sharding exactly once; sorts them by index.
pub fn check(logs: &mut [ShardLog]) -> Result<(), MergeError> {
    let first = logs.first().ok_or(MergeError::Nothing)?;
    let (first_path, count) = (first.path.clone(), first.shard.1);
    if let Some(other) = logs.iter().find(|l| l.shard.1 != count) {
        return Err(MergeError::Count {
            path: other.path.clone(),
            count: other.shard.1,
            first: first_path,
            first_count: count,
        });
    }
    logs.sort_by_key(|l| l.shard.0);
    if let Some(pair) = logs.windows(2).find(|w| w[0].shard.0 == w[1].shard.0) {
        return Err(MergeError::Twice {
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
            index: pair[0].shard.0,
            count,
        });
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !logs.iter().any(|l| l.shard.0 == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(MergeError::Missing {
            missing: missing.join(", "),
        }),
    }
}

/// Which stage and play an event belongs to: (stage, play's ordinal in the stage, play name).
type PlayKey = (Option<String>, usize, String);

/// Each log's events grouped by play, in the order the plays first appear in any log.
fn by_play(logs: &[ShardLog]) -> Vec<(PlayKey, Vec<(usize, &Json)>)> {
    let mut groups: Vec<(PlayKey, Vec<(usize, &Json)>)> = Vec::new();
    for (n, log) in logs.iter().enumerate() {
        let (mut stage, mut ordinal, mut at) = (None, 0, None);
        for event in &log.events {
            match kind(event) {
                "stage_start" => {
                    (stage, ordinal, at) = (Some(text(event, "stage").to_string()), 0, None);
                }
                "play_start" => {
                    ordinal += 1;
                    let key = (stage.clone(), ordinal, text(event, "name").to_string());
                    at = Some(match groups.iter().position(|(k, _)| *k == key) {
                        Some(i) => i,
                        None => {
                            groups.push((key, Vec::new()));
                            groups.len() - 1
                        }
                    });
                }
                "recap" | "stage_end" => at = None,
                "task_start" | "host_result" => {
                    if let Some(i) = at {
                        groups[i].1.push((n, event));
                    }
                }
                _ => {}
            }
        }
    }
    groups
}

/// Replays every shard's task results into `sink` (a JUnit report), one play at a time, with
/// the times the shards measured.
pub fn replay(logs: &[ShardLog], sink: &Junit) {
    let mut stage: Option<String> = None;
    for ((play_stage, _, name), events) in by_play(logs) {
        if play_stage != stage {
            stage = play_stage;
            sink.stage_start(stage.as_deref().unwrap_or(""));
        }
        sink.play_start(&name);
        for (_, event) in &events {
            replay_one(event, sink);
        }
        if let Some(seconds) = play_seconds(&events) {
            sink.replayed_suite(seconds);
        }
    }
}

/// A play's time in the shards' logs (`events`, with the log each came from): each shard's
/// tasks one after another, each as long as its slowest host; the shards side by side, so
/// the longest shard's. `None` when the logs carry no times.
fn play_seconds(events: &[(usize, &Json)]) -> Option<f64> {
    let mut per_log: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    let mut timed = false;
    for (log, event) in events {
        let (done, task) = per_log.entry(*log).or_default();
        match (kind(event), event.get("seconds").and_then(Json::as_f64)) {
            ("task_start", _) => (*done, *task) = (*done + *task, 0.0),
            ("host_result", Some(seconds)) => {
                timed = true;
                *task = task.max(seconds);
            }
            _ => {}
        }
    }
    timed.then(|| per_log.values().map(|(d, t)| d + t).fold(0.0, f64::max))
}

fn replay_one(event: &Json, sink: &Junit) {
    if kind(event) == "task_start" {
        let hosts = event.get("hosts").and_then(Json::as_u64).unwrap_or(0);
        let kind = match text(event, "kind") {
            "handler" => TaskKind::Handler,
            _ => TaskKind::Task,
        };
        return sink.task_start(text(event, "name"), kind, hosts as usize);
    }
    let status = match text(event, "status") {
        "changed" => Status::Changed,
        "failed" => Status::Failed,
        "skipped" => Status::Skipped,
        "unreachable" => Status::Unreachable,
        _ => Status::Ok,
    };
    if let Some(seconds) = event.get("seconds").and_then(Json::as_f64) {
        sink.replayed_case(seconds);
    }
    let result = match event.get("result") {
        Some(Json::Object(map)) => map.clone(),
        _ => Default::default(),
    };
    sink.host_result(&HostEvent {
        host: text(event, "host"),
        delegated: None,
        task: text(event, "task"),
        status,
        result: &result,
        item: event.get("item"),
        ignored: event.get("ignored").and_then(Json::as_bool) == Some(true),
        verbose_always: false,
        looped: false,
    });
}

/// The shards' recaps added up, one per stage, and the exit code they end with together.
pub fn recaps(logs: &[ShardLog]) -> Merged {
    let mut stages: Vec<(Option<String>, BTreeMap<String, HostStats>)> = Vec::new();
    let mut exit_code = 0;
    for log in logs {
        let mut stage = None;
        for event in &log.events {
            let code = event.get("exit_code").and_then(Json::as_i64).unwrap_or(0);
            match kind(event) {
                "stage_start" => stage = Some(text(event, "stage").to_string()),
                "stage_end" => exit_code = exit_code.max(code as i32),
                "recap" => {
                    exit_code = exit_code.max(code as i32);
                    let i = match stages.iter().position(|(s, _)| *s == stage) {
                        Some(i) => i,
                        None => {
                            stages.push((stage.clone(), BTreeMap::new()));
                            stages.len() - 1
                        }
                    };
                    add_hosts(&mut stages[i].1, event.get("hosts"));
                }
                _ => {}
            }
        }
    }
    let recaps = stages
        .into_iter()
        .map(|(s, hosts)| (s, recap(hosts)))
        .collect();
    Merged { recaps, exit_code }
}

fn add_hosts(into: &mut BTreeMap<String, HostStats>, hosts: Option<&Json>) {
    let Some(Json::Object(hosts)) = hosts else {
        return;
    };
    for (host, counts) in hosts {
        let n = |k: &str| counts.get(k).and_then(Json::as_u64).unwrap_or(0) as u32;
        let s = into.entry(host.clone()).or_default();
        s.ok += n("ok");
        s.changed += n("changed");
        s.unreachable += n("unreachable");
        s.failed += n("failed");
        s.skipped += n("skipped");
        s.rescued += n("rescued");
        s.ignored += n("ignored");
    }
}

fn recap(hosts: BTreeMap<String, HostStats>) -> Recap {
    let named = |f: fn(&HostStats) -> bool| {
        hosts
            .iter()
            .filter(|(_, s)| f(s))
            .map(|(h, _)| h.clone())
            .collect()
    };
    Recap {
        failed: named(|s| s.failed > 0),
        unreachable: named(|s| s.unreachable > 0),
        hosts: hosts.clone().into_iter().collect(),
    }
}
