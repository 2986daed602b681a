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

    /// Keeps only the newest `keep` runs of `pipeline`.
    pub fn prune(&self, pipeline: &str, keep: usize) -> Result<usize, StateError> {
        forward!(self.prune(pipeline, keep))
    }

    /// The report model of run `id`.
    pub fn report(&self, id: i64) -> Result<Option<Report>, StateError> {
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
