//! The pipeline commands: `pipeline run`, `pipeline watch`, `history`, `rollback`,
//! `lock release` — from parsed flags to the pipeline runner and the history database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{HistoryArgs, PipelineRunArgs, PipelineWatchArgs, RollbackArgs};
use crate::error::Error;
use crate::pipeline::history::History;
use crate::pipeline::run::{default_db, PipelineOptions};
use crate::pipeline::watch::WatchOptions;
use crate::pipeline::{lock, model, Pipeline};
use crate::run::{reporter, run_options};

fn open_db(pipeline: &Pipeline, given: Option<&Path>) -> Result<Arc<History>, Error> {
    let path = given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_db(pipeline));
    History::open(&path)
        .map(Arc::new)
        .map_err(|e| Error::Options(e.to_string()))
}

fn options(args: &PipelineRunArgs) -> Result<PipelineOptions, Error> {
    let base = run_options(&args.common)?;
    Ok(PipelineOptions {
        extra_vars: base.extra_vars.clone(),
        base,
        from: args.from.clone(),
        only: args.only.clone(),
        wait_lock: args.wait_lock,
        junit: args.common.junit.clone(),
        rollback_of: None,
    })
}

/// `ferry pipeline run FILE`.
pub async fn run(args: PipelineRunArgs) -> Result<i32, Error> {
    let pipeline = model::load(&args.pipeline)?;
    check_stage_name(&pipeline, args.from.as_deref())?;
    check_stage_name(&pipeline, args.only.as_deref())?;
    let db = open_db(&pipeline, args.history_db.as_deref())?;
    let opts = options(&args)?;
    crate::pipeline::run::run(&pipeline, db, opts, reporter(&args.common)).await
}

fn check_stage_name(p: &Pipeline, name: Option<&str>) -> Result<(), Error> {
    match name {
        Some(n) if !p.stages.iter().any(|s| s.name == n) => {
            let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
            Err(Error::Options(format!(
                "no stage named '{n}' (stages: {})",
                names.join(", ")
            )))
        }
        _ => Ok(()),
    }
}

/// `ferry pipeline watch FILE --repo R --branch B`.
pub async fn watch(args: PipelineWatchArgs) -> Result<i32, Error> {
    let pipeline = model::load(&args.run.pipeline)?;
    let db = open_db(&pipeline, args.run.history_db.as_deref())?;
    options(&args.run)?;
    let w = WatchOptions {
        repo: args.repo.clone(),
        branch: args.branch.clone(),
        every: args.every,
        max_runs: args.max_runs,
    };
    let make = || options(&args.run).expect("options were checked above");
    crate::pipeline::watch::watch(&pipeline, db, make, w, reporter(&args.run.common)).await
}

/// `ferry rollback FILE [--to RUN]`.
pub async fn rollback(args: RollbackArgs) -> Result<i32, Error> {
    let pipeline = model::load(&args.pipeline)?;
    let db = open_db(&pipeline, args.history_db.as_deref())?;
    let runs = db
        .runs(Some(&pipeline.name))
        .map_err(|e| Error::Options(e.to_string()))?;
    let target = match args.to {
        Some(id) => runs
            .iter()
            .find(|r| r.id == id && r.status == "succeeded")
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
    let base = run_options(&args.common)?;
    let opts = PipelineOptions {
        extra_vars: base.extra_vars.clone(),
        base,
        from: None,
        only: None,
        wait_lock: args.wait_lock,
        junit: args.common.junit.clone(),
        rollback_of: Some(target),
    };
    crate::pipeline::run::run(&pipeline, db, opts, reporter(&args.common)).await
}

/// The run a rollback goes back to: the newest successful run that is not what is deployed
/// now. When the newest run succeeded, that run is what is deployed, so the one before it; when
/// the newest run is a successful rollback to X, the one before X; otherwise (the newest run
/// failed or was interrupted) the newest successful run.
fn default_target(runs: &[crate::pipeline::history::RunRow]) -> Option<i64> {
    let newest = runs.first()?;
    let ok =
        |r: &&crate::pipeline::history::RunRow| r.status == "succeeded" && r.rollback_of.is_none();
    let below = match (newest.status.as_str(), newest.rollback_of) {
        ("succeeded", Some(target)) => target,
        ("succeeded", None) => newest.id,
        _ => i64::MAX,
    };
    runs.iter().filter(ok).find(|r| r.id < below).map(|r| r.id)
}

/// `ferry history [PIPELINE]` and `ferry history show RUN`.
pub fn history(args: HistoryArgs) -> Result<i32, Error> {
    let (file, show) = match args.args.as_slice() {
        [] => (None, None),
        [one] => (Some(PathBuf::from(one)), None),
        [cmd, run] if cmd == "show" => (None, Some(run.clone())),
        [file, cmd, run] if cmd == "show" => (Some(PathBuf::from(file)), Some(run.clone())),
        _ => {
            return Err(Error::Options(
                "usage: ferry history [PIPELINE] | ferry history [PIPELINE] show RUN".into(),
            ))
        }
    };
    let pipeline = file.as_deref().map(model::load).transpose()?;
    let db_path = match (&args.history_db, &pipeline) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => default_db(p),
        (None, None) => PathBuf::from(".ferry/history.db"),
    };
    let db = History::open(&db_path).map_err(|e| Error::Options(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let e = |e: crate::pipeline::history::HistoryError| Error::Options(e.to_string());
    if let Some(run) = show {
        let id: i64 = run
            .parse()
            .map_err(|_| Error::Options(format!("'{run}' is not a run number")))?;
        let Some(r) = db.run(id).map_err(e)? else {
            return Err(Error::Options(format!(
                "no run {id} in {}",
                db_path.display()
            )));
        };
        let _ = writeln!(
            out,
            "run {} of {}: {} (exit {}), {} on {}",
            r.id,
            r.pipeline,
            r.status,
            r.exit_code.unwrap_or(-1),
            short(&r.git_sha),
            r.git_branch
        );
        let _ = writeln!(
            out,
            "  started {:.0}, took {:.1}s",
            r.started,
            r.finished.unwrap_or(r.started) - r.started
        );
        for s in db.stages(id).map_err(e)? {
            let took = s.finished.unwrap_or(s.started) - s.started;
            let _ = writeln!(
                out,
                "  stage {}: {} (exit {}) {took:.1}s",
                s.name,
                s.status,
                s.exit_code.unwrap_or(0)
            );
            for (k, v) in &s.exports {
                let v = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                let _ = writeln!(out, "    export {k} = {v}");
            }
            for (stage, host, n) in db
                .recaps(id)
                .map_err(e)?
                .into_iter()
                .filter(|(st, _, _)| *st == s.name)
            {
                let _ = (stage,);
                let _ = writeln!(
                    out,
                    "    {host:<24} ok={} changed={} unreachable={} failed={} skipped={} rescued={} ignored={}",
                    n[0], n[1], n[2], n[3], n[4], n[5], n[6]
                );
            }
        }
        return Ok(0);
    }
    let name = pipeline.as_ref().map(|p| p.name.as_str());
    let _ = writeln!(
        out,
        "{:>5}  {:<20} {:<12} {:>4}  {:<10} {:<12} {:>8}",
        "RUN", "PIPELINE", "STATUS", "EXIT", "COMMIT", "BRANCH", "SECONDS"
    );
    for r in db.runs(name).map_err(e)? {
        let took = r
            .finished
            .map(|f| format!("{:.1}", f - r.started))
            .unwrap_or_else(|| "-".into());
        let exit = r
            .exit_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let mut status = r.status.clone();
        if let Some(of) = r.rollback_of {
            status = format!("{status} (rollback to {of})");
        }
        let _ = writeln!(
            out,
            "{:>5}  {:<20} {:<12} {:>4}  {:<10} {:<12} {:>8}",
            r.id,
            r.pipeline,
            status,
            exit,
            short(&r.git_sha),
            r.git_branch,
            took
        );
    }
    Ok(0)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

/// `ferry lock release NAME`.
pub fn release_lock(name: &str, pipeline: Option<&Path>, db: Option<&Path>) -> Result<i32, Error> {
    let path = match (db, pipeline) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(p)) => default_db(&model::load(p)?),
        (None, None) => PathBuf::from(".ferry/history.db"),
    };
    let db = History::open(&path).map_err(|e| Error::Options(e.to_string()))?;
    let released = lock::force_release(&db, name).map_err(|e| Error::Options(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        if released {
            format!("released lock '{name}'")
        } else {
            format!("lock '{name}' was not held")
        }
    );
    Ok(0)
}
