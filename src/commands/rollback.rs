//! `ferry rollback PIPELINE [--to RUN]`: re-runs the CD stages of an earlier successful run
//! with the exports that run had.

use std::sync::Arc;

use crate::cli::RollbackArgs;
use crate::commands::options::Reporters;
use crate::commands::pipeline::{open_db, pipeline_options};
use crate::error::Error;
use crate::events::RunStatus;
use crate::pipeline::history::RunRow;
use crate::pipeline::model;

/// `ferry rollback FILE [--to RUN]`.
pub async fn rollback(args: RollbackArgs) -> Result<i32, Error> {
    crate::commands::vault::unlock(&args.common.vault)?;
    let pipeline = model::load(&args.pipeline)?;
    let db = open_db(&pipeline, args.history_db.as_deref(), args.state.as_deref())?;
    let runs = db.runs(Some(&pipeline.name))?;
    let succeeded = RunStatus::Succeeded.as_str();
    let target = match args.to {
        Some(id) => runs
            .iter()
            .find(|r| r.id == id && r.status == succeeded)
            .map(|r| r.id)
            .ok_or_else(|| {
                Error::Options(format!(
                    "run {id} of '{}' is not a successful run",
                    pipeline.name
                ))
            })?,
        None => default_target(&runs).ok_or_else(|| {
            Error::Options(format!(
                "no earlier successful run of '{}' to roll back to",
                pipeline.name
            ))
        })?,
    };
    let key = args.run_key.as_deref();
    let opts = pipeline_options(&args.common, None, None, args.wait_lock, Some(target), key)?;
    let reporters = Reporters::from_flags(&args.common);
    crate::commands::pipeline::describe_report(
        &reporters,
        &pipeline,
        &db,
        args.common.history_keep,
    );
    let result = crate::pipeline::run::run(&pipeline, db, opts, Arc::clone(&reporters.sink)).await;
    reporters.finish_with(crate::commands::pipeline::exit_code(&result))?;
    result
}

/// The run a rollback goes back to: the newest successful run that is not what is deployed
/// now. When the newest run succeeded, that run is what is deployed, so the one before it; when
/// the newest run is a successful rollback to X, the one before X; otherwise (the newest run
/// failed or was interrupted) the newest successful run.
fn default_target(runs: &[RunRow]) -> Option<i64> {
    let newest = runs.first()?;
    let succeeded = RunStatus::Succeeded.as_str();
    let ok = |r: &&RunRow| r.status == succeeded && r.rollback_of.is_none();
    let below = match (newest.status == succeeded, newest.rollback_of) {
        (true, Some(target)) => target,
        (true, None) => newest.id,
        _ => i64::MAX,
    };
    runs.iter().filter(ok).find(|r| r.id < below).map(|r| r.id)
}
