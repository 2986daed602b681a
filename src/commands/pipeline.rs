//! `ferry pipeline run` and `ferry pipeline watch`: a pipeline file (loaded once, with every
//! stage's playbooks) run under its lock, recorded in the history database.

use std::path::Path;
use std::sync::Arc;

use crate::cli::{CommonArgs, PipelineRunArgs, PipelineWatchArgs};
use crate::commands::options::{run_options, Reporters};
use crate::error::Error;
use crate::pipeline::run::PipelineOptions;
use crate::pipeline::watch::{RunDone, WatchOptions};
use crate::pipeline::{model, Pipeline};
use crate::report::recording::Recording;
use crate::state::{StateSpec, Store};

/// The pipeline's state: `--state`, `--history-db`, `FERRY_STATE`, `state:`, or the default.
pub(crate) fn open_db(
    pipeline: &Pipeline,
    given: Option<&Path>,
    state: Option<&str>,
) -> Result<Arc<Store>, Error> {
    let spec = StateSpec::resolve(state, given, Some(pipeline), Path::new(""))?;
    Ok(Arc::new(Store::open(&spec)?))
}

/// Pipeline options from the shared flags and the pipeline's own.
pub(crate) fn pipeline_options(
    common: &CommonArgs,
    from: Option<String>,
    only: Option<String>,
    wait_lock: std::time::Duration,
    rollback_of: Option<i64>,
    run_key: Option<&str>,
) -> Result<PipelineOptions, Error> {
    let base = run_options(common)?;
    // A rollback in the same CI run as the rollout it undoes is a rollout of its own.
    let rollout = crate::state::rollout::Rollout::of(base.shard, run_key).map(|mut r| {
        if rollback_of.is_some() {
            r.key = format!("{}/rollback", r.key);
        }
        r
    });
    Ok(PipelineOptions {
        rollout,
        extra_vars: base.extra_vars.clone(),
        base,
        from,
        only,
        wait_lock,
        rollback_of,
    })
}

fn options(args: &PipelineRunArgs) -> Result<PipelineOptions, Error> {
    pipeline_options(
        &args.common,
        args.from.clone(),
        args.only.clone(),
        args.wait_lock,
        None,
        args.run_key.as_deref(),
    )
}

/// `ferry pipeline run FILE`.
pub async fn run(args: PipelineRunArgs) -> Result<i32, Error> {
    crate::commands::vault::unlock(&args.common.vault)?;
    let pipeline = model::load(&args.pipeline)?;
    check_stage_name(&pipeline, args.from.as_deref())?;
    check_stage_name(&pipeline, args.only.as_deref())?;
    let db = open_db(&pipeline, args.history_db.as_deref(), args.state.as_deref())?;
    let opts = options(&args)?;
    let reporters = Reporters::from_flags(&args.common);
    describe_report(&reporters, &pipeline, &db, args.common.history_keep);
    let result = crate::pipeline::run::run(&pipeline, db, opts, Arc::clone(&reporters.sink)).await;
    reporters.finish_with(exit_code(&result))?;
    result
}

/// The exit code the process ends with for `result`.
pub(crate) fn exit_code(result: &Result<i32, Error>) -> i32 {
    match result {
        Ok(code) => *code,
        Err(e) => e.exit_code(),
    }
}

/// The report's header for a pipeline run: its stage graph; the model is kept in the history.
pub(crate) fn describe_report(
    reporters: &Reporters,
    pipeline: &Pipeline,
    db: &Arc<crate::state::Store>,
    keep: Option<usize>,
) {
    describe_pipeline(&reporters.recording, pipeline);
    reporters
        .recording
        .store_in_pipeline_history(Arc::clone(db), keep);
}

/// The report's header for a pipeline: its name and stage graph.
fn describe_pipeline(recording: &Recording, pipeline: &Pipeline) {
    let stages: Vec<crate::report::model::Stage> = pipeline
        .stages
        .iter()
        .map(|s| crate::report::model::Stage {
            name: s.name.clone(),
            needs: s.needs.clone(),
            status: "not run".into(),
            ..Default::default()
        })
        .collect();
    recording.describe(|r| {
        r.title = pipeline.name.clone();
        r.kind = "pipeline".into();
        r.stages = stages;
    });
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
    crate::commands::vault::unlock(&args.run.common.vault)?;
    let pipeline = model::load(&args.run.pipeline)?;
    let db = open_db(
        &pipeline,
        args.run.history_db.as_deref(),
        args.run.state.as_deref(),
    )?;
    options(&args.run)?;
    let w = WatchOptions {
        repo: args.repo.clone(),
        branch: args.branch.clone(),
        every: args.every,
        max_runs: args.max_runs,
    };
    // Each run watch starts is a run of its own: a run key would join them all.
    let make = || PipelineOptions {
        rollout: None,
        ..options(&args.run).expect("options were checked above")
    };
    let reporters = Reporters::from_flags(&args.run.common);
    // Each run is recorded as a `pipeline run` is: its own model in the history, and
    // `--report` rewritten with the newest run.
    let page = reporters.recording.take_page();
    let common = &args.run.common;
    let store = Arc::clone(&db);
    let each_run = || {
        let rec = Arc::new(Recording::new(
            crate::report::args::of_process(common),
            page.clone(),
        ));
        describe_pipeline(&rec, &pipeline);
        rec.store_in_pipeline_history(Arc::clone(&store), common.history_keep);
        let reporter = rec.reporter();
        let done: RunDone = Box::new(move |code| Ok(rec.finish(Some(code))?));
        (reporter, done)
    };
    let sink = Arc::clone(&reporters.sink);
    let result = crate::pipeline::watch::watch(&pipeline, db, make, each_run, w, sink).await;
    reporters.finish_with(exit_code(&result))?;
    result
}
