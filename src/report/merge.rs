//! The report of a rollout's run, made of its shards' reports: each shard stores its model with
//! the shared run, merged into what the shards before it stored. Hosts, plays, tasks, results,
//! details, recaps and stages are put together by what they are (a play by its stage, name
//! and place; a task by its play, file, line and name), times shifted to the earliest start.
//! A host that already has results in a stage keeps them: a CI stage runs whole in every
//! shard, and is shown once.
//!
//! Owns the merge only; the stores decide when (`pipeline/history_rollouts.rs`,
//! `state/postgres_rollouts.rs`), and the header's status is the run's.

use std::collections::{HashMap, HashSet};

use crate::report::model::{Report, Row, Stage, Task};
use crate::state::rollout::{merged_exports_of, merged_stage};

/// Which occurrence of a key this is, in order: the n-th play of that name in that stage.
fn nth<K: std::hash::Hash + Eq + Clone>(seen: &mut HashMap<K, usize>, key: &K) -> usize {
    let n = seen.entry(key.clone()).or_insert(0);
    *n += 1;
    *n
}

type PlayKey = (Option<String>, String, usize);
type TaskKey = (usize, String, usize, String, bool, usize);

fn play_keys(r: &Report) -> Vec<PlayKey> {
    let mut seen = HashMap::new();
    r.plays
        .iter()
        .map(|p| {
            let k = (p.stage.clone(), p.name.clone());
            let n = nth(&mut seen, &k);
            (k.0, k.1, n)
        })
        .collect()
}

fn task_keys(tasks: &[Task]) -> Vec<TaskKey> {
    let mut seen = HashMap::new();
    tasks
        .iter()
        .map(|t| {
            let k = (t.play, t.file.clone(), t.line, t.name.clone(), t.handler);
            let n = nth(&mut seen, &k);
            (k.0, k.1, k.2, k.3, k.4, n)
        })
        .collect()
}

/// Finds each of `part`'s items in `into` by key, appending those not there; returns where
/// each went.
fn map_into<T: Clone, K: Eq + std::hash::Hash>(
    into: &mut Vec<T>,
    into_keys: Vec<K>,
    part: &[T],
    part_keys: Vec<K>,
) -> Vec<usize> {
    let mut at: HashMap<K, usize> = into_keys.into_iter().zip(0..).collect();
    part.iter()
        .zip(part_keys)
        .map(|(item, key)| {
            *at.entry(key).or_insert_with(|| {
                into.push(item.clone());
                into.len() - 1
            })
        })
        .collect()
}

/// The report a rollout's run keeps once shard report `part` ended: `part` merged into the
/// model the shards before it stored (`stored`, JSON), with the run's `status` and exit code
/// (`running` until its last shard ended).
pub fn merged(stored: Option<&str>, part: &Report, status: String, code: Option<i64>) -> Report {
    let mut out = match stored.and_then(|t| serde_json::from_str::<Report>(t).ok()) {
        Some(mut into) => {
            merge_shard(&mut into, part);
            into
        }
        None => part.clone(),
    };
    out.status = status;
    out.exit_code = code.and_then(|c| i32::try_from(c).ok());
    out
}

/// Merges shard report `part` into `into` (the shards' reports stored before it).
pub fn merge_shard(into: &mut Report, part: &Report) {
    let start = into.started.min(part.started);
    let shift = |r: &Report| ((r.started - start) * 1000.0).max(0.0) as u64;
    let (into_shift, part_shift) = (shift(into), shift(part));
    shift_times(into, into_shift);
    let end = (into.started + into.duration).max(part.started + part.duration);
    into.started = start;
    into.duration = end - start;

    let into_hosts = into.hosts.clone();
    let hosts = map_into(&mut into.hosts, into_hosts, &part.hosts, part.hosts.clone());
    let into_plays = play_keys(into);
    let plays = map_into(&mut into.plays, into_plays, &part.plays, play_keys(part));
    let mut part_tasks = part.tasks.clone();
    for t in &mut part_tasks {
        t.play = plays[t.play];
        t.start += part_shift;
        t.end += part_shift;
    }
    let (into_keys, part_keys) = (task_keys(&into.tasks), task_keys(&part_tasks));
    let tasks = map_into(&mut into.tasks, into_keys, &part_tasks, part_keys);
    for (t, at) in part_tasks.iter().zip(&tasks) {
        let mine = &mut into.tasks[*at];
        mine.start = mine.start.min(t.start);
        mine.end = mine.end.max(t.end);
    }
    merge_results(into, part, (&hosts, &tasks), part_shift);
    let recapped: HashSet<(String, String)> = into
        .recaps
        .iter()
        .map(|r| (r.stage.clone(), r.host.clone()))
        .collect();
    let new_recaps = part
        .recaps
        .iter()
        .filter(|r| !recapped.contains(&(r.stage.clone(), r.host.clone())));
    into.recaps.extend(new_recaps.cloned());
    merge_stages(&mut into.stages, &part.stages, part_shift);
    for w in &part.warnings {
        if !into.warnings.contains(w) {
            into.warnings.push(w.clone());
        }
    }
}

/// `part`'s result rows, with their details, for the hosts and stages `into` has none of.
fn merge_results(
    into: &mut Report,
    part: &Report,
    (hosts, tasks): (&[usize], &[usize]),
    shift: u64,
) {
    let stage_of = |r: &Report, task: usize| r.plays[r.tasks[task].play].stage.clone();
    let had: HashSet<(Option<String>, usize)> = into
        .results
        .iter()
        .map(|row| (stage_of(into, row.task()), row.host()))
        .collect();
    for row in &part.results {
        let (task, host) = (tasks[row.task()], hosts[row.host()]);
        if had.contains(&(stage_of(into, task), host)) {
            continue;
        }
        let detail = match usize::try_from(row.5)
            .ok()
            .and_then(|d| part.details.get(d))
        {
            Some(d) => {
                into.details.push(d.clone());
                into.details.len() as i64 - 1
            }
            None => -1,
        };
        into.results
            .push(Row(task, host, row.2, row.3 + shift, row.4, detail));
    }
}

/// A shard's stages merged into the others': the worse status, the higher exit code, the
/// first exports, the earliest start and the latest end.
fn merge_stages(into: &mut Vec<Stage>, part: &[Stage], shift: u64) {
    for s in part {
        let (start, end) = (s.start + shift, s.end + shift);
        match into.iter_mut().find(|t| t.name == s.name) {
            Some(t) => {
                t.status = merged_stage(&t.status, &s.status);
                t.code = t.code.max(s.code);
                t.exports = merged_exports_of(std::mem::take(&mut t.exports), &s.exports);
                t.start = t.start.min(start);
                t.end = t.end.max(end);
            }
            None => into.push(Stage {
                start,
                end,
                ..s.clone()
            }),
        }
    }
}

/// Moves `r`'s times (milliseconds from its start) `by` later.
fn shift_times(r: &mut Report, by: u64) {
    for t in &mut r.tasks {
        t.start += by;
        t.end += by;
    }
    for row in &mut r.results {
        row.3 += by;
    }
    for s in &mut r.stages {
        s.start += by;
        s.end += by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Play, RecapRow};

    /// A shard's report: CI (`ci`, on `build`) and a deploy (`cd`) on `hosts`, started `at`.
    fn shard(at: f64, hosts: &[&str], cd: &str) -> Report {
        let play = |name: &str, stage: &str| Play {
            name: name.into(),
            stage: Some(stage.into()),
        };
        let task = |name: &str, play, line| Task {
            name: name.into(),
            play,
            file: "x.yml".into(),
            line,
            start: 10,
            end: 20,
            ..Default::default()
        };
        let mut all = vec!["build".to_string()];
        all.extend(hosts.iter().map(|h| h.to_string()));
        let mut results = vec![Row(0, 0, 1, 10, 5, -1)];
        results.extend((1..all.len()).map(|h| Row(1, h, 1, 12, 5, -1)));
        let recap = |stage: &str, host: &str| RecapRow {
            stage: stage.into(),
            host: host.into(),
            counts: [1, 1, 0, 0, 0, 0, 0],
        };
        let mut recaps = vec![recap("ci", "build")];
        recaps.extend(hosts.iter().map(|h| recap("cd", h)));
        let stage = |name: &str, status: &str| Stage {
            name: name.into(),
            status: status.into(),
            start: 0,
            end: 30,
            ..Default::default()
        };
        Report {
            started: at,
            duration: 1.0,
            hosts: all,
            plays: vec![play("build", "ci"), play("deploy", "cd")],
            tasks: vec![task("compile", 0, 3), task("ship", 1, 5)],
            results,
            recaps,
            stages: vec![stage("ci", "succeeded"), stage("cd", cd)],
            ..Default::default()
        }
    }

    #[test]
    fn shards_make_one_report_with_ci_once() {
        let mut into = shard(100.0, &["web1"], "succeeded");
        merge_shard(&mut into, &shard(99.5, &["web2", "web3"], "failed"));
        assert_eq!(into.hosts, ["build", "web1", "web2", "web3"]);
        assert_eq!(into.plays.len(), 2);
        assert_eq!(into.tasks.len(), 2);
        let rows: Vec<(usize, usize)> = into.results.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            rows,
            [(0, 0), (1, 1), (1, 2), (1, 3)],
            "compile on build once"
        );
        assert_eq!(into.recaps.len(), 4);
        let stages: Vec<&str> = into.stages.iter().map(|s| s.status.as_str()).collect();
        assert_eq!(stages, ["succeeded", "failed"]);
        assert_eq!((into.started, into.duration), (99.5, 1.5));
        assert_eq!(into.results[1].3, 12 + 500, "times from the earliest start");
        assert_eq!((into.tasks[1].start, into.tasks[1].end), (10, 520));
    }
}
