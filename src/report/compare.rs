//! Two recorded runs side by side: their headers, the results whose status differs per host
//! (a task that changed in one and not the other, failed, or ran in one only), and the exports
//! that differ (an image tag). The page shows a [`Comparison`] instead of a run.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::report::model::{Report, RunArgs};

/// One run's header in a comparison.
#[derive(Debug, Serialize)]
pub struct Side {
    run_id: Option<i64>,
    status: String,
    exit_code: Option<i32>,
    started: f64,
    git_sha: String,
    git_branch: String,
    args: RunArgs,
}

/// A task whose result on a host differs.
#[derive(Debug, Serialize, PartialEq)]
pub struct Change {
    /// The stage (empty for a plain run).
    pub stage: String,
    /// The task's name.
    pub task: String,
    /// The host.
    pub host: String,
    /// Its status in run A (`None`: it did not run there).
    pub a: Option<String>,
    /// Its status in run B.
    pub b: Option<String>,
}

/// An export that differs.
#[derive(Debug, Serialize, PartialEq)]
pub struct ExportChange {
    /// The stage.
    pub stage: String,
    /// The export's name.
    pub key: String,
    /// Its value in run A.
    pub a: Option<Json>,
    /// Its value in run B.
    pub b: Option<Json>,
}

/// What differs between two runs.
#[derive(Debug, Serialize)]
pub struct Comparison {
    title: String,
    a: Side,
    b: Side,
    /// Results that differ.
    pub changes: Vec<Change>,
    /// Exports that differ.
    pub exports: Vec<ExportChange>,
}

/// The page's data: `{"compare": ...}`.
#[derive(Serialize)]
pub struct Page<'a> {
    compare: &'a Comparison,
}

impl Comparison {
    /// The page's data.
    pub fn page(&self) -> Page<'_> {
        Page { compare: self }
    }
}

fn side(r: &Report) -> Side {
    Side {
        run_id: r.run_id,
        status: r.status.clone(),
        exit_code: r.exit_code,
        started: r.started,
        git_sha: r.git_sha.clone(),
        git_branch: r.git_branch.clone(),
        args: r.args.clone(),
    }
}

/// Key: (stage, task name, which of the tasks with that name, host) → status.
type Results = BTreeMap<(String, String, usize, String), String>;

fn results(r: &Report) -> Results {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let nth: Vec<usize> = r
        .tasks
        .iter()
        .map(|t| {
            let stage = stage_of(r, t.play);
            let n = seen.entry((stage, t.name.clone())).or_default();
            *n += 1;
            *n
        })
        .collect();
    r.results
        .iter()
        .map(|row| {
            let t = &r.tasks[row.task()];
            let key = (
                stage_of(r, t.play),
                t.name.clone(),
                nth[row.task()],
                r.hosts[row.host()].clone(),
            );
            (key, row.status().to_string())
        })
        .collect()
}

fn stage_of(r: &Report, play: usize) -> String {
    r.plays
        .get(play)
        .and_then(|p| p.stage.clone())
        .unwrap_or_default()
}

fn exports(r: &Report) -> BTreeMap<(String, String), Json> {
    r.stages
        .iter()
        .flat_map(|s| {
            s.exports
                .iter()
                .map(|(k, v)| ((s.name.clone(), k.clone()), v.clone()))
        })
        .collect()
}

/// Every key of `a` or `b` whose values differ, with both values.
fn differing<K: Ord + Clone, V: PartialEq + Clone>(
    a: &BTreeMap<K, V>,
    b: &BTreeMap<K, V>,
) -> Vec<(K, Option<V>, Option<V>)> {
    let mut keys: Vec<&K> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect()
}

/// What differs from run `a` to run `b`.
pub fn compare(a: &Report, b: &Report) -> Comparison {
    let changes = differing(&results(a), &results(b))
        .into_iter()
        .map(|((stage, task, _, host), a, b)| Change {
            stage,
            task,
            host,
            a,
            b,
        })
        .collect();
    let exports = differing(&exports(a), &exports(b))
        .into_iter()
        .map(|((stage, key), a, b)| ExportChange { stage, key, a, b })
        .collect();
    Comparison {
        title: b.title.clone(),
        a: side(a),
        b: side(b),
        changes,
        exports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Play, Row, Stage, Task};

    fn report(statuses: &[u8], tag: &str) -> Report {
        let mut exports = crate::vars::Vars::new();
        exports.insert("image".into(), tag.into());
        Report {
            hosts: vec!["h1".into(), "h2".into()],
            plays: vec![Play {
                name: "p".into(),
                stage: Some("ci".into()),
            }],
            tasks: vec![Task {
                name: "build".into(),
                ..Default::default()
            }],
            results: statuses
                .iter()
                .enumerate()
                .map(|(h, s)| Row(0, h, *s, 0, 0, -1))
                .collect(),
            stages: vec![Stage {
                name: "ci".into(),
                exports,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn differences_per_host_and_export() {
        let c = compare(&report(&[1, 0], "v1"), &report(&[0], "v2"));
        let want = vec![
            Change {
                stage: "ci".into(),
                task: "build".into(),
                host: "h1".into(),
                a: Some("changed".into()),
                b: Some("ok".into()),
            },
            Change {
                stage: "ci".into(),
                task: "build".into(),
                host: "h2".into(),
                a: Some("ok".into()),
                b: None,
            },
        ];
        assert_eq!(c.changes, want);
        assert_eq!(c.exports.len(), 1);
        assert_eq!(c.exports[0].b, Some(Json::from("v2")));
    }
}
