//! The report side of the PostgreSQL store, as the SQLite history keeps it
//! ([`crate::pipeline::history_reports`]): each run's report model and exact arguments (the
//! `reports` table, migration 2), plain `ferry run`s recorded as runs of their own, runs found by
//! host and status, and retention. Per-host results are the `results` rows the runs already
//! write.
//!
//! A pipeline run's model is stored with the run this store started (not found by pid and host,
//! which two runners in containers sharing a host name can both have).

use crate::pipeline::history::{hostname, username, RunRow};
use crate::pipeline::history_reports::{headed, plain_rows, PLAIN_PREFIX, RUN_TABLES};
use crate::report::model::{Report, RunArgs};
use crate::state::postgres::{block, PgError, PgStore};

/// Migration 2: the `reports` table, as SQLite's.
pub(crate) const REPORTS_TABLE: &str =
    "CREATE TABLE reports(run_id BIGINT PRIMARY KEY, args TEXT, model TEXT);";

impl PgStore {
    /// The newest run this store started.
    fn last_run(&self) -> Option<i64> {
        Some(self.last_run.load(std::sync::atomic::Ordering::SeqCst)).filter(|id| *id > 0)
    }

    /// Saves `report` (its arguments and whole model) for run `id`.
    pub fn save_report(&self, id: i64, report: &Report) -> Result<(), PgError> {
        let args = serde_json::to_string(&report.args).unwrap_or_default();
        let model = serde_json::to_string(report).unwrap_or_default();
        block(self.client().execute(
            "INSERT INTO reports(run_id, args, model) VALUES($1,$2,$3)
             ON CONFLICT(run_id) DO UPDATE SET args=$2, model=$3",
            &[&id, &args, &model],
        ))
        .map(|_| ())
        .map_err(|e| self.err(e))
    }

    /// One column of run `id`'s `reports` row, read as JSON.
    fn report_column<T: serde::de::DeserializeOwned>(
        &self,
        id: i64,
        column: &str,
    ) -> Result<Option<T>, PgError> {
        let sql = format!("SELECT {column} FROM reports WHERE run_id=$1");
        let row = block(self.client().query_opt(&sql, &[&id])).map_err(|e| self.err(e))?;
        Ok(row
            .and_then(|r| r.get::<_, Option<String>>(0))
            .and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The report model of run `id`, when one was saved.
    pub fn report(&self, id: i64) -> Result<Option<Report>, PgError> {
        self.report_column(id, "model")
    }

    /// The exact arguments run `id` was started with, when recorded.
    pub fn arguments(&self, id: i64) -> Result<Option<RunArgs>, PgError> {
        self.report_column(id, "args")
    }

    /// Stores the model of the pipeline run this store started last (the one that just ended),
    /// with the header the database knows (run number, git, times).
    pub fn store_pipeline_report(&self, report: &mut Report) -> Result<(), PgError> {
        let Some(id) = self.last_run() else {
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

    /// Records a plain `ferry run` that ended — the run, its results, recaps and model — in one
    /// transaction, so a reader never sees half of it.
    pub fn record_plain_run(&self, report: &mut Report) -> Result<(), PgError> {
        let name = format!("{PLAIN_PREFIX}{}", report.title);
        let finished = report.started + report.duration;
        let code = report.exit_code.map(i64::from);
        let pid = i64::from(std::process::id());
        let mut c = self.client();
        let id: i64 = block(async {
            let tx = c.transaction().await?;
            let row = tx
                .query_one(
                    "INSERT INTO runs(pipeline, status, started, finished, git_sha, git_branch,
                       \"user\", host, pid, exit_code) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
                     RETURNING id",
                    &[
                        &name,
                        &report.status,
                        &report.started,
                        &finished,
                        &report.git_sha,
                        &report.git_branch,
                        &username(),
                        &hostname(),
                        &pid,
                        &code,
                    ],
                )
                .await?;
            let id: i64 = row.get(0);
            add_plain_rows(&tx, id, report, finished).await?;
            report.run_id = Some(id);
            let args = serde_json::to_string(&report.args).unwrap_or_default();
            let model = serde_json::to_string(&*report).unwrap_or_default();
            tx.execute(
                "INSERT INTO reports(run_id, args, model) VALUES($1,$2,$3)",
                &[&id, &args, &model],
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        })
        .map_err(|e| self.err(e))?;
        report.run_id = Some(id);
        Ok(())
    }

    /// Adds a plain run's results and recaps to run `id`, for the hosts it has none of yet
    /// (a host on the controller runs in every shard of a rollout, and counts once).
    pub(crate) fn add_plain_rows(&self, id: i64, report: &Report) -> Result<(), PgError> {
        let at = report.started + report.duration;
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            crate::state::postgres_rollouts::lock_run(&tx, id).await?;
            add_plain_rows(&tx, id, report, at).await?;
            tx.commit().await
        })
        .map_err(|e| self.err(e))
    }

    /// Deletes every run of `pipeline` but its newest `keep` (runs still going are kept; other
    /// pipelines sharing the database keep theirs), in one transaction.
    pub fn prune(&self, pipeline: &str, keep: usize) -> Result<usize, PgError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let old = "SELECT id FROM runs WHERE pipeline=$2 AND status <> 'running' AND id NOT IN
                     (SELECT id FROM runs WHERE pipeline=$2 ORDER BY id DESC LIMIT $1)";
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            for table in RUN_TABLES {
                let sql = format!("DELETE FROM {table} WHERE run_id IN ({old})");
                tx.execute(&sql, &[&keep, &pipeline]).await?;
            }
            let sql = format!("DELETE FROM runs WHERE id IN ({old})");
            let n = tx.execute(&sql, &[&keep, &pipeline]).await?;
            tx.commit().await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
        .map_err(|e| self.err(e))
    }

    /// Runs, newest first, in which `host` took part and which ended `status` — or, with both,
    /// in which `host` had a result of `status` (`failed` also matches `unreachable`).
    pub fn runs_matching(
        &self,
        pipeline: Option<&str>,
        host: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<RunRow>, PgError> {
        let rows = block(self.client().query(
            "SELECT DISTINCT r.id FROM runs r LEFT JOIN results x ON x.run_id = r.id
             WHERE ($1::text IS NULL OR x.host = $1)
               AND ($2::text IS NULL OR ($1::text IS NULL AND r.status = $2)
                    OR ($1::text IS NOT NULL AND (x.status = $2
                        OR ($2 = 'failed' AND x.status = 'unreachable')) AND NOT x.ignored))",
            &[&host, &status],
        ))
        .map_err(|e| self.err(e))?;
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        Ok(self
            .runs(pipeline)?
            .into_iter()
            .filter(|r| ids.contains(&r.id))
            .collect())
    }
}

/// Inserts `report`'s results and recaps into run `id`, for the hosts it has none of yet.
async fn add_plain_rows(
    tx: &tokio_postgres::Transaction<'_>,
    id: i64,
    report: &Report,
    at: f64,
) -> Result<(), tokio_postgres::Error> {
    let had: Vec<String> = tx
        .query("SELECT host FROM recaps WHERE run_id=$1", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (results, recaps) = plain_rows(report, &had);
    for r in results {
        tx.execute(
            "INSERT INTO results(run_id, stage, task, host, status, ignored, msg, at)
             VALUES($1,'',$2,$3,$4,$5,$6,$7)",
            &[&id, &r.task, &r.host, &r.status, &r.ignored, &r.msg, &at],
        )
        .await?;
    }
    for rc in recaps {
        let n = rc.counts.map(i64::from);
        tx.execute(
            "INSERT INTO recaps(run_id, stage, host, ok, changed, unreachable, failed,
               skipped, rescued, ignored) VALUES($1,'',$2,$3,$4,$5,$6,$7,$8,$9)",
            &[
                &id, &rc.host, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6],
            ],
        )
        .await?;
    }
    Ok(())
}
