//! The report side of the state ([`crate::pipeline::history_reports`]): each run's report model
//! and exact arguments, runs found by host and status, retention. The SQLite store keeps them;
//! the PostgreSQL store does not yet, and says so instead of answering as if no run had one.

use crate::pipeline::history::RunRow;
use crate::report::model::{Report, RunArgs};
use crate::state::{StateError, Store};

impl Store {
    /// The SQLite store, or the error that names what PostgreSQL does not keep yet.
    fn reports_store(
        &self,
        what: &'static str,
    ) -> Result<&crate::pipeline::history::History, StateError> {
        match self {
            Store::Sqlite(s) => Ok(s),
            Store::Postgres(_) => Err(StateError::NotKept(what)),
        }
    }

    /// Saves the pipeline run's report model (as [`History::store_pipeline_report`]).
    ///
    /// [`History::store_pipeline_report`]: crate::pipeline::history::History::store_pipeline_report
    pub fn store_pipeline_report(&self, report: &mut Report) -> Result<(), StateError> {
        Ok(self
            .reports_store("run reports")?
            .store_pipeline_report(report)?)
    }

    /// Keeps only the newest `keep` runs.
    pub fn prune(&self, keep: usize) -> Result<usize, StateError> {
        Ok(self
            .reports_store("retention (--history-keep)")?
            .prune(keep)?)
    }

    /// The report model of run `id`.
    pub fn report(&self, id: i64) -> Result<Option<Report>, StateError> {
        Ok(self.reports_store("run reports")?.report(id)?)
    }

    /// The exact arguments of run `id`; none on PostgreSQL, which does not keep them yet (a
    /// run's header is shown without its command line, as for runs recorded before ferry kept
    /// them).
    pub fn arguments(&self, id: i64) -> Result<Option<RunArgs>, StateError> {
        match self {
            Store::Sqlite(s) => Ok(s.arguments(id)?),
            Store::Postgres(_) => Ok(None),
        }
    }

    /// Runs in which `host` took part and which ended `status`.
    pub fn runs_matching(
        &self,
        pipeline: Option<&str>,
        host: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<RunRow>, StateError> {
        Ok(self
            .reports_store("per-host results for --host/--status")?
            .runs_matching(pipeline, host, status)?)
    }
}
