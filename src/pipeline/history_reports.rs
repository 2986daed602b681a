//! The report side of the history database: each run's report model and exact arguments (the
//! `reports` table), plain `ferry run`s recorded as runs of their own, runs found by host and
//! status, and retention (older runs pruned).

use rusqlite::{params, OptionalExtension};

use crate::pipeline::history::{hostname, History, HistoryError, ResultRow, RunRow};
use crate::report::model::{RecapRow, Report, RunArgs};

/// A plain run's name in the `pipeline` column: `run: site.yml`.
pub const PLAIN_PREFIX: &str = "run: ";

/// The tables a run's rows are in (all keyed by `run_id`; children of `runs`, which goes last).
pub(crate) const RUN_TABLES: [&str; 6] = [
    "stages",
    "results",
    "recaps",
    "reports",
    "rollouts",
    "rollout_shards",
];

impl History {
    /// Saves `report` (its arguments and whole model) for run `id`.
    pub fn save_report(&self, id: i64, report: &Report) -> Result<(), HistoryError> {
        let args = serde_json::to_string(&report.args).unwrap_or_default();
        let model = serde_json::to_string(report).unwrap_or_default();
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO reports(run_id, args, model) VALUES(?1,?2,?3)",
                params![id, args, model],
            )
            .map(|_| ())
        })
    }

    /// The report model of run `id`, when one was saved.
    pub fn report(&self, id: i64) -> Result<Option<Report>, HistoryError> {
        let text: Option<String> = self.with(|c| {
            c.query_row("SELECT model FROM reports WHERE run_id=?1", [id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The exact arguments run `id` was started with, when recorded.
    pub fn arguments(&self, id: i64) -> Result<Option<RunArgs>, HistoryError> {
        let text: Option<String> = self.with(|c| {
            c.query_row("SELECT args FROM reports WHERE run_id=?1", [id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The newest run this process started here (the pipeline run that just ended).
    pub fn run_of_this_process(&self) -> Result<Option<i64>, HistoryError> {
        self.with(|c| {
            // A shard that joined a rollout's run took part in a run another process started.
            c.query_row(
                "SELECT max(id) FROM (SELECT id FROM runs WHERE pid=?1 AND host=?2
                   UNION ALL SELECT run_id FROM rollout_shards WHERE pid=?1 AND host=?2)",
                params![std::process::id(), hostname()],
                |r| r.get(0),
            )
        })
    }

    /// Stores the model of the pipeline run this process just ran, with the header the database
    /// knows (run number, git, times).
    pub fn store_pipeline_report(&self, report: &mut Report) -> Result<(), HistoryError> {
        let Some(id) = self.run_of_this_process()? else {
            return Ok(());
        };
        if let Some(row) = self.run(id)? {
            headed(report, row);
        }
        if self.store_shard_report(id, report)? {
            return Ok(());
        }
        self.save_report(id, report)
    }

    /// Records a plain `ferry run` that ended: the run, its results and recaps, its model.
    pub fn record_plain_run(&self, report: &mut Report) -> Result<(), HistoryError> {
        let name = format!("{PLAIN_PREFIX}{}", report.title);
        let id = self.start_run(&name, &report.git_sha, &report.git_branch, None)?;
        let started = report.started;
        let finished = started + report.duration;
        self.with(|c| {
            c.execute(
                "UPDATE runs SET started=?2, finished=?3, status=?4, exit_code=?5 WHERE id=?1",
                params![id, started, finished, report.status, report.exit_code],
            )
            .map(|_| ())
        })?;
        self.add_plain_rows(id, report)?;
        report.run_id = Some(id);
        self.save_report(id, report)
    }

    /// Adds a plain run's results and recaps to run `id`, for the hosts it has none of yet
    /// (a host on the controller runs in every shard of a rollout, and counts once).
    pub(crate) fn add_plain_rows(&self, id: i64, report: &Report) -> Result<(), HistoryError> {
        let now = crate::pipeline::history::now();
        self.with(|c| {
            // IMMEDIATE: two shards ending at once must not both add the controller's host.
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let had: Vec<String> = tx
                .prepare("SELECT host FROM recaps WHERE run_id=?1")?
                .query_map([id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let (results, recaps) = plain_rows(report, &had);
            for r in results {
                tx.execute(
                    "INSERT INTO results(run_id, stage, task, host, status, ignored, msg, at) VALUES(?1,'',?2,?3,?4,?5,?6,?7)",
                    params![id, r.task, r.host, r.status, r.ignored, r.msg, now],
                )?;
            }
            for rc in recaps {
                let n = rc.counts;
                tx.execute(
                    "INSERT INTO recaps VALUES(?1,'',?2,?3,?4,?5,?6,?7,?8,?9)",
                    params![id, rc.host, n[0], n[1], n[2], n[3], n[4], n[5], n[6]],
                )?;
            }
            tx.commit()
        })
    }

    /// Deletes every run of `pipeline` but its newest `keep` (runs still going are kept; other
    /// pipelines' runs are theirs to prune).
    pub fn prune(&self, pipeline: &str, keep: usize) -> Result<usize, HistoryError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.with(|c| {
            let tx = c.transaction()?;
            let old = "SELECT id FROM runs WHERE pipeline = ?2 AND status != 'running' AND id NOT IN (SELECT id FROM runs WHERE pipeline = ?2 ORDER BY id DESC LIMIT ?1)";
            for table in RUN_TABLES {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE run_id IN ({old})"),
                    params![keep, pipeline],
                )?;
            }
            let n = tx.execute(
                &format!("DELETE FROM runs WHERE id IN ({old})"),
                params![keep, pipeline],
            )?;
            tx.commit()?;
            Ok(n)
        })
    }

    /// Runs, newest first, in which `host` took part and which ended `status` — or, with both,
    /// in which `host` had a result of `status` (`failed` also matches `unreachable`).
    pub fn runs_matching(
        &self,
        pipeline: Option<&str>,
        host: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<RunRow>, HistoryError> {
        let ids: Vec<i64> = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT DISTINCT r.id FROM runs r LEFT JOIN results x ON x.run_id = r.id
                 WHERE (?1 IS NULL OR x.host = ?1)
                   AND (?2 IS NULL OR (?1 IS NULL AND r.status = ?2)
                        OR (?1 IS NOT NULL AND (x.status = ?2 OR (?2 = 'failed' AND x.status = 'unreachable')) AND x.ignored = 0))",
            )?;
            let rows = stmt.query_map(params![host, status], |r| r.get(0))?;
            rows.collect()
        })?;
        Ok(self
            .runs(pipeline)?
            .into_iter()
            .filter(|r| ids.contains(&r.id))
            .collect())
    }
}

/// A plain run's results (no stage: one row per host and task) and recaps as the history
/// keeps them, for the hosts not in `had`.
pub(crate) fn plain_rows<'a>(
    report: &'a Report,
    had: &[String],
) -> (Vec<ResultRow<'a>>, Vec<&'a RecapRow>) {
    let results = report
        .results
        .iter()
        .filter(|r| !had.contains(&report.hosts[r.host()]))
        .map(|r| {
            let detail = usize::try_from(r.5)
                .ok()
                .and_then(|d| report.details.get(d));
            ResultRow {
                stage: "",
                task: &report.tasks[r.task()].name,
                host: &report.hosts[r.host()],
                status: r.status(),
                ignored: r.status() == "ignored",
                msg: detail.map(|d| d.msg.0.as_str()).unwrap_or(""),
            }
        })
        .collect();
    let recaps = report
        .recaps
        .iter()
        .filter(|rc| !had.contains(&rc.host))
        .collect();
    (results, recaps)
}

/// `report`'s header as the database knows its run: number, git, start, pipeline name.
pub(crate) fn headed(report: &mut Report, row: RunRow) {
    report.run_id = Some(row.id);
    report.git_sha = row.git_sha;
    report.git_branch = row.git_branch;
    report.started = row.started;
    report.title = row.pipeline;
}
