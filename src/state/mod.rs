//! Where a pipeline's state lives: its run history (runs, stages, results, recaps, exports)
//! and its deploy lock. [`Store`] is the one front the commands use; it forwards to the
//! embedded SQLite database ([`crate::pipeline::history`], [`crate::pipeline::lock`], the
//! default, no setup) or to a shared PostgreSQL server ([`postgres`]) for teams and CI runners.
//!
//! Which one: `--state URL`, else `--history-db PATH`, else `FERRY_STATE`, else the pipeline
//! file's `state:`, else `.ferry/history.db` next to the pipeline. A URL is `sqlite:PATH` or
//! `postgres://...` (`postgresql://` too). [`migrate`] copies a SQLite history into PostgreSQL.
//! This module owns the choice and the forwarding, not the SQL of either backend.

pub mod migrate;
pub mod postgres;
mod postgres_lock;
mod postgres_reports;
mod postgres_rollout_parts;
mod postgres_rollouts;
mod postgres_tls;
mod reports;
pub mod rollout;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::events::Recap;
use crate::pipeline::history::{History, HistoryError, ResultRow, RunRow, StageRow};
use crate::pipeline::lock::{self, LockError};
use crate::pipeline::Pipeline;
use crate::vars::Vars;

pub use postgres::{PgError, PgStore};

/// A state backend failure.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The SQLite database failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// PostgreSQL failed.
    #[error(transparent)]
    Postgres(#[from] PgError),
    /// A shard that cannot take part in its rollout.
    #[error(transparent)]
    Rollout(#[from] rollout::RolloutError),
    /// A PostgreSQL TLS setting that cannot be used.
    #[error(transparent)]
    Tls(#[from] postgres_tls::TlsError),
    /// A `--state` that is neither `sqlite:` nor `postgres://`.
    #[error("state '{0}': expected sqlite:PATH or postgres://USER@HOST/DB")]
    Url(String),
}

/// Where the state is, before it is opened.
#[derive(Debug, Clone, PartialEq)]
pub enum StateSpec {
    /// A PostgreSQL connection URL.
    Postgres(String),
    /// A SQLite file.
    Sqlite(PathBuf),
}

impl StateSpec {
    /// Parses `sqlite:PATH` or `postgres://...`; a bare path is a SQLite file. Relative
    /// SQLite paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<StateSpec, StateError> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(StateSpec::Postgres(text.to_string()));
        }
        let path = match text.strip_prefix("sqlite:") {
            Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
            None if text.contains("://") => return Err(StateError::Url(postgres::redact(text))),
            None => text,
        };
        if path.is_empty() {
            return Err(StateError::Url(text.to_string()));
        }
        Ok(StateSpec::Sqlite(base.join(path)))
    }

    /// The state a command uses: `--state`, `--history-db`, `FERRY_STATE`, the pipeline's
    /// `state:`, then the default SQLite file (`fallback` when there is no pipeline).
    pub fn resolve(
        flag: Option<&str>,
        history_db: Option<&Path>,
        pipeline: Option<&Pipeline>,
        fallback: &Path,
    ) -> Result<StateSpec, StateError> {
        if let Some(f) = flag {
            return StateSpec::parse(f, Path::new(""));
        }
        if let Some(db) = history_db {
            return Ok(StateSpec::Sqlite(db.to_path_buf()));
        }
        if let Some(env) = std::env::var("FERRY_STATE").ok().filter(|s| !s.is_empty()) {
            return StateSpec::parse(&env, Path::new(""));
        }
        match pipeline {
            Some(p) => match &p.state {
                Some(s) => StateSpec::parse(s, &p.dir),
                None => Ok(StateSpec::Sqlite(crate::pipeline::run::default_db(p))),
            },
            None => Ok(StateSpec::Sqlite(fallback.to_path_buf())),
        }
    }
}

impl std::fmt::Display for StateSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateSpec::Postgres(url) => f.write_str(&postgres::redact(url)),
            StateSpec::Sqlite(p) => write!(f, "{}", p.display()),
        }
    }
}

/// An open state backend.
pub enum Store {
    /// A shared PostgreSQL database.
    Postgres(PgStore),
    /// The embedded SQLite file.
    Sqlite(History),
}

/// Forwards one call to whichever backend is open.
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Postgres(s) => Ok(s.$method($($arg),*)?),
            Store::Sqlite(s) => Ok(s.$method($($arg),*)?),
        }
    };
}
pub(crate) use forward;

impl Store {
    /// Opens (creating or migrating) the backend `spec` names; runs whose process or lease
    /// is gone are marked interrupted.
    pub fn open(spec: &StateSpec) -> Result<Store, StateError> {
        Ok(match spec {
            StateSpec::Postgres(url) => Store::Postgres(PgStore::connect(url)?),
            StateSpec::Sqlite(path) => Store::Sqlite(History::open(path)?),
        })
    }

    /// Records a new run; returns its id.
    pub fn start_run(
        &self,
        pipeline: &str,
        sha: &str,
        branch: &str,
        rollback_of: Option<i64>,
    ) -> Result<i64, StateError> {
        forward!(self.start_run(pipeline, sha, branch, rollback_of))
    }

    /// Ends a run.
    pub fn finish_run(&self, id: i64, status: &str, exit_code: i32) -> Result<(), StateError> {
        forward!(self.finish_run(id, status, exit_code))
    }

    /// A stage starts (or is recorded as skipped with `status`).
    pub fn start_stage(&self, run: i64, name: &str, status: &str) -> Result<(), StateError> {
        forward!(self.start_stage(run, name, status))
    }

    /// A stage ends with its exit code and exports.
    pub fn finish_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i32,
        exports: &Vars,
    ) -> Result<(), StateError> {
        forward!(self.finish_stage(run, name, status, code, exports))
    }

    /// One host's result of one task.
    pub fn record_result(&self, run: i64, r: &ResultRow<'_>) -> Result<(), StateError> {
        forward!(self.record_result(run, r))
    }

    /// A stage's recap.
    pub fn record_recap(&self, run: i64, stage: &str, recap: &Recap) -> Result<(), StateError> {
        forward!(self.record_recap(run, stage, recap))
    }

    /// Runs, newest first (of one pipeline, or all).
    pub fn runs(&self, pipeline: Option<&str>) -> Result<Vec<RunRow>, StateError> {
        forward!(self.runs(pipeline))
    }

    /// The stages of a run, in order.
    pub fn stages(&self, run: i64) -> Result<Vec<StageRow>, StateError> {
        forward!(self.stages(run))
    }

    /// Per-host recaps of a run.
    pub fn recaps(&self, run: i64) -> Result<Vec<(String, String, [i64; 7])>, StateError> {
        forward!(self.recaps(run))
    }

    /// One run by id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>, StateError> {
        forward!(self.run(id))
    }

    /// The newest successful run of `pipeline`.
    pub fn last_success(&self, pipeline: &str) -> Result<Option<i64>, StateError> {
        forward!(self.last_success(pipeline))
    }

    /// Takes the deploy lock `name` for `run_id`, waiting up to `wait`.
    pub async fn acquire(&self, name: &str, run_id: i64, wait: Duration) -> Result<(), StateError> {
        match self {
            Store::Postgres(s) => postgres_lock::acquire(s, name, run_id, wait).await,
            Store::Sqlite(s) => Ok(lock::acquire(s, name, run_id, wait).await?),
        }
    }

    /// Releases `name` if `run_id` holds it.
    pub fn release(&self, name: &str, run_id: i64) -> Result<(), StateError> {
        match self {
            Store::Postgres(s) => Ok(postgres_lock::release(s, name, run_id)?),
            Store::Sqlite(s) => Ok(lock::release(s, name, run_id)?),
        }
    }

    /// `ferry lock release NAME`: clears the lock whoever holds it; true if there was one.
    pub fn force_release(&self, name: &str) -> Result<bool, StateError> {
        match self {
            Store::Postgres(s) => Ok(postgres_lock::force_release(s, name)?),
            Store::Sqlite(s) => Ok(lock::force_release(s, name)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_urls() {
        let base = Path::new("/p");
        let cases: &[(&str, Option<StateSpec>)] = &[
            (
                "postgres://u:pw@h/db",
                Some(StateSpec::Postgres("postgres://u:pw@h/db".into())),
            ),
            (
                "postgresql://h/db",
                Some(StateSpec::Postgres("postgresql://h/db".into())),
            ),
            (
                "sqlite:.ferry/h.db",
                Some(StateSpec::Sqlite("/p/.ferry/h.db".into())),
            ),
            (
                "sqlite:///abs/h.db",
                Some(StateSpec::Sqlite("/abs/h.db".into())),
            ),
            ("h.db", Some(StateSpec::Sqlite("/p/h.db".into()))),
            ("mysql://u:pw@h/db", None),
            ("sqlite:", None),
        ];
        for (text, want) in cases {
            assert_eq!(StateSpec::parse(text, base).ok(), *want, "{text}");
        }
        let err = StateSpec::parse("mysql://u:pw@h/db", base).unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
    }
}
