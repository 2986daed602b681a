//! Running a pipeline: stages in order under the pipeline's lock, each stage's playbooks through
//! the executor, `needs`/`when`/`--from`/`--only` deciding what runs, exports handed on, and
//! everything recorded in the history database as it happens.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::error::Error;
use crate::executor::{Executor, Recap, RunOptions, Status};
use crate::inventory::Inventory;
use crate::output::junit::Junit;
use crate::output::{HostEvent, Reporter, TaskKind, Tee};
use crate::pipeline::history::{History, ResultRow};
use crate::pipeline::{lock, Pipeline, Stage};
use crate::template::Templar;
use crate::vars::Vars;

/// How to run a pipeline (from the command line).
pub struct PipelineOptions {
    /// Executor settings shared by every stage (forks, keys, known_hosts, ...).
    pub base: RunOptions,
    /// `-e` variables, above everything.
    pub extra_vars: Vars,
    /// `--from STAGE`.
    pub from: Option<String>,
    /// `--only STAGE`.
    pub only: Option<String>,
    /// `--wait-lock`.
    pub wait_lock: Duration,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// Re-run the CD stages of this run with its exports (rollback).
    pub rollback_of: Option<i64>,
}

/// The default history database: `.ferry/history.db` next to the pipeline file.
pub fn default_db(pipeline: &Pipeline) -> PathBuf {
    pipeline.dir.join(".ferry").join("history.db")
}

struct Recorder {
    db: Arc<History>,
    run: i64,
    stage: String,
}

impl Reporter for Recorder {
    fn play_start(&self, _name: &str) {}
    fn no_hosts_matched(&self) {}
    fn no_more_hosts(&self) {}
    fn task_start(&self, _name: &str, _kind: TaskKind, _hosts: usize) {}
    fn host_result(&self, ev: &HostEvent<'_>) {
        let status = match ev.status {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Unreachable => "unreachable",
        };
        let msg = ev.result.get("msg").and_then(Json::as_str).unwrap_or("");
        let row = ResultRow {
            stage: &self.stage,
            task: ev.task,
            host: ev.host,
            status,
            ignored: ev.ignored,
            msg,
        };
        let _ = self.db.record_result(self.run, &row);
    }
    fn included(&self, _target: &str, _hosts: &[String]) {}
    fn retrying(&self, _host: &str, _task: &str, _left: u64) {}
    fn warning(&self, _msg: &str) {}
    fn recap(&self, _recap: &Recap) {}
}

/// Runs `pipeline`; returns the exit code of the first failed stage (0 if none failed).
pub async fn run(
    pipeline: &Pipeline,
    db: Arc<History>,
    opts: PipelineOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<i32, Error> {
    let (sha, branch) = git_context(&pipeline.dir, &opts.extra_vars, opts.rollback_of, &db);
    let run_id = db
        .start_run(&pipeline.name, &sha, &branch, opts.rollback_of)
        .map_err(other)?;
    if let Some(name) = &pipeline.lock {
        if let Err(e) = lock::acquire(&db, name, run_id, opts.wait_lock).await {
            let _ = db.finish_run(run_id, "failed", 1);
            return Err(Error::Options(e.to_string()));
        }
    }
    let junit = Arc::new(Junit::default());
    let outcome = tokio::select! {
        code = run_stages(pipeline, &db, run_id, &opts, (&sha, &branch), &reporter, &junit) => Ok(code),
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    };
    let (status, code) = match &outcome {
        Ok(0) => ("succeeded", 0),
        Ok(c) => ("failed", *c),
        Err(_) => ("interrupted", 99),
    };
    let _ = db.finish_run(run_id, status, code);
    if let Some(name) = &pipeline.lock {
        let _ = lock::release(&db, name, run_id);
    }
    if let Some(path) = &opts.junit {
        junit.write(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    outcome
}

fn other(e: impl std::fmt::Display) -> Error {
    Error::Options(e.to_string())
}

/// `git_sha` and `git_branch`: from `-e`, else the rolled-back run, else the pipeline's checkout.
fn git_context(
    dir: &Path,
    extra: &Vars,
    rollback_of: Option<i64>,
    db: &History,
) -> (String, String) {
    let from_extra = |k: &str| extra.get(k).and_then(Json::as_str).map(String::from);
    let target = rollback_of.and_then(|id| db.run(id).ok().flatten());
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = from_extra("git_sha")
        .or_else(|| target.as_ref().map(|t| t.git_sha.clone()))
        .or_else(|| git(&["rev-parse", "HEAD"]))
        .unwrap_or_default();
    let branch = from_extra("git_branch")
        .or_else(|| target.as_ref().map(|t| t.git_branch.clone()))
        .or_else(|| git(&["rev-parse", "--abbrev-ref", "HEAD"]))
        .unwrap_or_default();
    (sha, branch)
}

#[allow(clippy::too_many_arguments)]
async fn run_stages(
    pipeline: &Pipeline,
    db: &Arc<History>,
    run_id: i64,
    opts: &PipelineOptions,
    (sha, branch): (&str, &str),
    reporter: &Arc<dyn Reporter>,
    junit: &Arc<Junit>,
) -> i32 {
    let templar = Templar::new();
    let mut exports = Vars::new();
    let mut statuses: Vec<(String, String)> = Vec::new();
    let reused = reused_exports(pipeline, db, opts);
    let mut first_failure = 0;
    let mut started = opts.from.is_none();
    for stage in &pipeline.stages {
        let mut ctx = Vars::new();
        ctx.insert("git_sha".into(), sha.into());
        ctx.insert("git_branch".into(), branch.into());
        ctx.insert("pipeline_run_id".into(), run_id.into());
        ctx.insert("pipeline_name".into(), pipeline.name.clone().into());
        ctx.insert("stages".into(), Json::Object(exports.clone()));
        ctx.extend(opts.extra_vars.clone());
        started |= opts.from.as_deref() == Some(stage.name.as_str());
        let selected = started && opts.only.as_deref().is_none_or(|o| o == stage.name);
        let rollback_ci = opts.rollback_of.is_some() && stage.needs.is_empty();
        let skip = if !selected || rollback_ci {
            reused.get(&stage.name).map(|e| ("reused", e.clone()))
        } else {
            None
        };
        let decision = match skip {
            Some((status, e)) => Err((status.to_string(), e)),
            None if !selected => Err(("skipped: not selected".to_string(), Vars::new())),
            None => match unmet_need(stage, &statuses) {
                Some(need) => Err((format!("skipped: needs {need}"), Vars::new())),
                None => match &stage.when {
                    Some(w) if !matches!(templar.eval_condition(w, &ctx), Ok(true)) => {
                        Err((format!("skipped: when {w}"), Vars::new()))
                    }
                    _ => Ok(()),
                },
            },
        };
        if let Err((status, e)) = decision {
            reporter.stage_start(&stage.name);
            let _ = db.start_stage(run_id, &stage.name, &status);
            let _ = db.finish_stage(run_id, &stage.name, &status, 0, &e);
            reporter.stage_end(&stage.name, &status, 0, &e);
            if status == "reused" {
                exports.insert(stage.name.clone(), Json::Object(e));
                statuses.push((stage.name.clone(), "succeeded".into()));
            } else {
                statuses.push((stage.name.clone(), status));
            }
            continue;
        }
        reporter.stage_start(&stage.name);
        let _ = db.start_stage(run_id, &stage.name, "running");
        junit.set_prefix(&stage.name);
        let (code, stage_exports) = run_stage(
            &pipeline.dir,
            stage,
            ctx,
            db,
            run_id,
            opts,
            reporter,
            junit,
            &templar,
        )
        .await;
        let status = if code == 0 { "succeeded" } else { "failed" };
        let _ = db.finish_stage(run_id, &stage.name, status, code, &stage_exports);
        reporter.stage_end(&stage.name, status, code, &stage_exports);
        exports.insert(stage.name.clone(), Json::Object(stage_exports));
        statuses.push((stage.name.clone(), status.into()));
        if code != 0 && first_failure == 0 {
            first_failure = code;
        }
    }
    first_failure
}

/// Exports of stages that are not re-run: a rollback's CI stages, or stages outside
/// `--from`/`--only`, taken from the run rolled back to (or the last successful run).
fn reused_exports(
    pipeline: &Pipeline,
    db: &History,
    opts: &PipelineOptions,
) -> std::collections::HashMap<String, Vars> {
    let source = match opts.rollback_of {
        Some(id) => Some(id),
        None if opts.from.is_some() || opts.only.is_some() => {
            db.last_success(&pipeline.name).ok().flatten()
        }
        None => None,
    };
    let Some(id) = source else {
        return Default::default();
    };
    let stages = db.stages(id).unwrap_or_default();
    let mut out = std::collections::HashMap::new();
    for s in stages
        .into_iter()
        .filter(|s| s.status == "succeeded" || s.status == "reused")
    {
        let is_cd = pipeline
            .stages
            .iter()
            .any(|p| p.name == s.name && !p.needs.is_empty());
        if opts.rollback_of.is_none() || !is_cd {
            out.insert(s.name, s.exports);
        }
    }
    out
}

fn unmet_need<'a>(stage: &'a Stage, statuses: &[(String, String)]) -> Option<&'a str> {
    stage
        .needs
        .iter()
        .find(|n| {
            !statuses
                .iter()
                .any(|(name, st)| name == *n && st == "succeeded")
        })
        .map(String::as_str)
}

#[allow(clippy::too_many_arguments)]
async fn run_stage(
    pipeline_dir: &Path,
    stage: &Stage,
    ctx: Vars,
    db: &Arc<History>,
    run_id: i64,
    opts: &PipelineOptions,
    reporter: &Arc<dyn Reporter>,
    junit: &Arc<Junit>,
    templar: &Templar,
) -> (i32, Vars) {
    let mut extra = ctx.clone();
    for (k, v) in &stage.vars {
        let rendered = templar
            .render_value(v, &extra)
            .unwrap_or_else(|_| v.clone());
        extra.insert(k.clone(), rendered);
    }
    extra.extend(opts.extra_vars.clone());
    let playbook_dir = stage.playbooks[0].parent().map(Path::to_path_buf);
    let sources: Vec<PathBuf> = stage
        .inventory
        .iter()
        .map(|i| match templar.render_str(i, &extra) {
            Ok(Json::String(s)) => pipeline_dir.join(s),
            _ => pipeline_dir.join(i),
        })
        .collect();
    let inventory = if sources.is_empty() {
        Ok(Inventory::implicit_localhost())
    } else {
        Inventory::load(&sources, playbook_dir.as_deref())
    };
    let inventory = match inventory {
        Ok(i) => i,
        Err(e) => {
            reporter.warning(&e.to_string());
            return (4, Vars::new());
        }
    };
    let mut run_opts = opts.base.clone();
    run_opts.extra_vars = extra.clone();
    run_opts.limit = stage
        .limit
        .as_ref()
        .map(|l| match templar.render_str(l, &extra) {
            Ok(Json::String(s)) => s,
            _ => l.clone(),
        });
    let recorder: Arc<dyn Reporter> = Arc::new(Recorder {
        db: Arc::clone(db),
        run: run_id,
        stage: stage.name.clone(),
    });
    let junit_reporter: Arc<dyn Reporter> = Arc::clone(junit) as Arc<dyn Reporter>;
    let tee: Arc<dyn Reporter> =
        Arc::new(Tee(vec![Arc::clone(reporter), recorder, junit_reporter]));
    let mut executor = Executor::new(inventory, run_opts, Arc::clone(&tee));
    for path in &stage.playbooks {
        match crate::playbook::load(path) {
            Ok(pb) => executor.run(&pb).await,
            Err(e) => {
                reporter.warning(&e.to_string());
                return (4, Vars::new());
            }
        }
    }
    let facts = executor.facts();
    let recap = executor.finish().await;
    reporter.recap(&recap);
    let _ = db.record_recap(run_id, &stage.name, &recap);
    let code = recap.exit_code();
    (code, exports(stage, &extra, &facts, templar))
}

/// Renders `export:` with the stage's variables and the first host's facts and registered
/// results (all hosts' under `hostvars`).
fn exports(stage: &Stage, extra: &Vars, facts: &[(String, Vars)], templar: &Templar) -> Vars {
    let mut scope = Vars::new();
    if let Some((_, first)) = facts.first() {
        scope.extend(first.clone());
    }
    scope.extend(extra.clone());
    let hostvars: Vars = facts
        .iter()
        .map(|(h, f)| (h.clone(), Json::Object(f.clone())))
        .collect();
    scope.insert("hostvars".into(), Json::Object(hostvars));
    stage
        .export
        .iter()
        .map(|(k, v)| {
            let value = templar
                .render_value(v, &scope)
                .unwrap_or_else(|e| Json::String(format!("<export failed: {e}>")));
            (k.clone(), value)
        })
        .collect()
}
