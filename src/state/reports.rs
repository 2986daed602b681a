//! The report side of the state: each run's report model and exact arguments, plain runs
//! recorded, runs found by host and status, retention — forwarded to the SQLite history
//! ([`crate::pipeline::history_reports`]) or the PostgreSQL store (`postgres_reports.rs`),
//! which keep the same data.

use crate::pipeline::history::RunRow;
use crate::report::model::{Report, RunArgs};
use crate::state::{forward, StateError, Store};

impl Store {
    /// Saves the model of the pipeline run this process just ran with that run, with the
    /// header the database knows (run number, git, times).
    pub fn store_pipeline_report(&self, report: &mut Report) -> Result<(), StateError> {
        forward!(self.store_pipeline_report(report))
    }

    /// Records a plain `ferry run` that ended: the run, its results and recaps, its model.
    pub fn record_plain_run(&self, report: &mut Report) -> Result<(), StateError> {
        forward!(self.record_plain_run(report))
    }

    /// Records shard `shard`'s part of a plain `ferry run` rollout's run `run`: its hosts'
    /// results and recaps, its end (the run ends with its last shard), its report merged into
    /// the run's.
    pub fn record_shard_run(
        &self,
        run: i64,
        shard: crate::shard::Shard,
        report: &mut Report,
    ) -> Result<(), StateError> {
        report.run_id = Some(run);
        let added: Result<(), StateError> = forward!(self.add_plain_rows(run, report));
        added?;
        let code = report.exit_code.unwrap_or(99);
        self.finish_shard(run, shard, &report.status, code)?;
        let stored: Result<bool, StateError> = forward!(self.store_shard_report(run, report));
        stored.map(|_| ())
    }

    /// Keeps only the newest `keep` runs of `pipeline`.
    pub fn prune(&self, pipeline: &str, keep: usize) -> Result<usize, StateError> {
        forward!(self.prune(pipeline, keep))
    }

    /// The report model of run `id`. A rollout's model says `running` until its last shard
    /// stored its part; a run that ended without it (a shard killed) takes the run's status.
    pub fn report(&self, id: i64) -> Result<Option<Report>, StateError> {
        let mut report = self.stored_report(id)?;
        if let Some(r) = report.as_mut().filter(|r| r.status == "running") {
            if let Some(run) = self.run(id)?.filter(|run| run.status != "running") {
                r.status = run.status;
                r.exit_code = run.exit_code.and_then(|c| i32::try_from(c).ok());
            }
        }
        Ok(report)
    }

    fn stored_report(&self, id: i64) -> Result<Option<Report>, StateError> {
        forward!(self.report(id))
    }

    /// The exact arguments of run `id` (none for runs recorded before ferry kept them).
    pub fn arguments(&self, id: i64) -> Result<Option<RunArgs>, StateError> {
        forward!(self.arguments(id))
    }

    /// Runs in which `host` took part and which ended `status`.
    pub fn runs_matching(
        &self,
        pipeline: Option<&str>,
        host: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<RunRow>, StateError> {
        forward!(self.runs_matching(pipeline, host, status))
    }
}
