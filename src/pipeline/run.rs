//! Running a pipeline: stages in order under the pipeline's lock, each stage's playbooks through
//! the executor, `needs`/`when`/`--from`/`--only` deciding what runs, exports handed on, and
//! everything recorded in the history database as it happens.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::error::{Error, LoadErrors};
use crate::events::{HostEvent, Recap, Reporter, RunStatus, StageStatus, Status, TaskKind, Tee};
use crate::executor::{Executor, RunOptions};
use crate::inventory::Inventory;
use crate::pipeline::history::ResultRow;
use crate::pipeline::{Pipeline, Stage};
use crate::state::rollout::{Rollout, RolloutStart};
use crate::state::Store;
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
    /// Re-run the CD stages of this run with its exports (rollback).
    pub rollback_of: Option<i64>,
    /// `--shard` with a run key: this process runs one shard of a rollout whose shards
    /// share one run.
    pub rollout: Option<Rollout>,
}

/// The default history database: `.ferry/history.db` next to the pipeline file.
pub fn default_db(pipeline: &Pipeline) -> PathBuf {
    pipeline.dir.join(".ferry").join("history.db")
}

struct Recorder {
    db: Arc<Store>,
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
    fn retrying(&self, _host: &str, _to: Option<&str>, _task: &str, _left: u64) {}
    fn warning(&self, _msg: &str) {}
    fn recap(&self, _recap: &Recap) {}
}

/// Runs `pipeline`; returns the exit code of the first failed stage (0 if none failed).
pub async fn run(
    pipeline: &Pipeline,
    db: Arc<Store>,
    mut opts: PipelineOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<i32, Error> {
    if opts.rollout.as_ref().is_some_and(|r| !r.applies_on(&db)) {
        opts.rollout = None;
    }
    let (sha, branch) = git_context(&pipeline.dir, &opts.extra_vars, opts.rollback_of, &db);
    let run_id = start(pipeline, &db, &opts, (&sha, &branch)).await?;
    let run = StageRun {
        pipeline,
        db: &db,
        run_id,
        opts: &opts,
        git: (&sha, &branch),
        reporter: &reporter,
        templar: Templar::new(),
    };
    let outcome = tokio::select! {
        code = run.all() => Ok(code),
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    };
    let (status, code) = match &outcome {
        Ok(0) => (RunStatus::Succeeded, 0),
        Ok(c) => (RunStatus::Failed, *c),
        Err(_) => (RunStatus::Interrupted, 99),
    };
    match &opts.rollout {
        Some(r) => {
            let _ = db.finish_shard(run_id, r.shard, status.as_str(), code);
        }
        None => {
            let _ = db.finish_run(run_id, status.as_str(), code);
            if let Some(name) = &pipeline.lock {
                let _ = db.release(name, run_id);
            }
        }
    }
    outcome
}

/// Records the run and takes the pipeline's lock; a shard of a rollout starts or joins the
/// rollout's run instead. Returns the run's id.
async fn start(
    pipeline: &Pipeline,
    db: &Store,
    opts: &PipelineOptions,
    git: (&str, &str),
) -> Result<i64, Error> {
    if let Some(rollout) = &opts.rollout {
        let start = RolloutStart {
            pipeline: &pipeline.name,
            rollout,
            git,
            rollback_of: opts.rollback_of,
            lock: pipeline.lock.as_deref(),
        };
        return Ok(db.start_rollout(&start, opts.wait_lock).await?);
    }
    let run_id = db.start_run(&pipeline.name, git.0, git.1, opts.rollback_of)?;
    if let Some(name) = &pipeline.lock {
        if let Err(e) = db.acquire(name, run_id, opts.wait_lock).await {
            let _ = db.finish_run(run_id, RunStatus::Failed.as_str(), 1);
            return Err(e.into());
        }
    }
    Ok(run_id)
}

/// `git_sha` and `git_branch`: from `-e`, else the rolled-back run, else the pipeline's checkout.
fn git_context(dir: &Path, extra: &Vars, rollback_of: Option<i64>, db: &Store) -> (String, String) {
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

/// One pipeline run's stages: what every stage shares.
struct StageRun<'a> {
    pipeline: &'a Pipeline,
    db: &'a Arc<Store>,
    run_id: i64,
    opts: &'a PipelineOptions,
    /// `git_sha`, `git_branch`.
    git: (&'a str, &'a str),
    reporter: &'a Arc<dyn Reporter>,
    templar: Templar,
}

impl StageRun<'_> {
    /// Runs or skips each stage in order; the exit code of the first failed stage.
    async fn all(&self) -> i32 {
        let mut exports = Vars::new();
        let mut statuses: Vec<(String, StageStatus)> = Vec::new();
        let reused = reused_exports(self.pipeline, self.db, self.opts);
        let mut first_failure = 0;
        let mut started = self.opts.from.is_none();
        for stage in &self.pipeline.stages {
            let ctx = self.context(&exports);
            started |= self.opts.from.as_deref() == Some(stage.name.as_str());
            let (status, code, stage_exports) =
                match self.decide(stage, started, &reused, &statuses, &ctx) {
                    Err((status, e)) => {
                        self.record_not_run(stage, &status, &e);
                        (status, 0, e)
                    }
                    Ok(()) => self.run_stage(stage, ctx).await,
                };
            if !matches!(status, StageStatus::Skipped(_)) {
                exports.insert(stage.name.clone(), Json::Object(stage_exports));
            }
            if code != 0 && first_failure == 0 {
                first_failure = code;
            }
            let status = match status {
                StageStatus::Reused => StageStatus::Succeeded,
                other => other,
            };
            statuses.push((stage.name.clone(), status));
        }
        first_failure
    }

    /// The pipeline context a stage's `when`, `vars` and inventory see.
    fn context(&self, exports: &Vars) -> Vars {
        let mut ctx = Vars::new();
        ctx.insert("git_sha".into(), self.git.0.into());
        ctx.insert("git_branch".into(), self.git.1.into());
        ctx.insert("pipeline_run_id".into(), self.run_id.into());
        ctx.insert("pipeline_name".into(), self.pipeline.name.clone().into());
        ctx.insert("stages".into(), Json::Object(exports.clone()));
        ctx.extend(self.opts.extra_vars.clone());
        ctx
    }

    /// Whether `stage` runs; if not, its status and the exports it hands on.
    fn decide(
        &self,
        stage: &Stage,
        started: bool,
        reused: &std::collections::HashMap<String, Vars>,
        statuses: &[(String, StageStatus)],
        ctx: &Vars,
    ) -> Result<(), (StageStatus, Vars)> {
        let opts = self.opts;
        let selected = started && opts.only.as_deref().is_none_or(|o| o == stage.name);
        let rollback_ci = opts.rollback_of.is_some() && stage.needs.is_empty();
        if !selected || rollback_ci {
            if let Some(e) = reused.get(&stage.name) {
                return Err((StageStatus::Reused, e.clone()));
            }
        }
        let skipped = |why: String| Err((StageStatus::Skipped(why), Vars::new()));
        if !selected {
            return skipped("not selected".into());
        }
        if let Some(need) = unmet_need(stage, statuses) {
            return skipped(format!("needs {need}"));
        }
        match &stage.when {
            Some(w) if !matches!(self.templar.eval_condition(w, ctx), Ok(true)) => {
                skipped(format!("when {w}"))
            }
            _ => Ok(()),
        }
    }

    /// A stage that did not run: reported and recorded with its status.
    fn record_not_run(&self, stage: &Stage, status: &StageStatus, exports: &Vars) {
        let text = status.to_string();
        self.reporter.stage_start(&stage.name);
        self.stage_started(&stage.name, &text);
        self.stage_ended(&stage.name, &text, 0, exports);
        self.reporter.stage_end(&stage.name, status, 0, exports);
    }

    /// Runs one stage: its status, exit code and exports.
    async fn run_stage(&self, stage: &Stage, ctx: Vars) -> (StageStatus, i32, Vars) {
        self.reporter.stage_start(&stage.name);
        let running = StageStatus::Running.to_string();
        self.stage_started(&stage.name, &running);
        let (code, exports) = self.execute(stage, ctx).await;
        let status = if code == 0 {
            StageStatus::Succeeded
        } else {
            StageStatus::Failed
        };
        self.stage_ended(&stage.name, &status.to_string(), code, &exports);
        self.reporter
            .stage_end(&stage.name, &status, code, &exports);
        (status, code, exports)
    }

    /// A stage starts (or did not run, with `status`): its row in the run; a shard of a
    /// rollout adds its part to the row the first shard made.
    fn stage_started(&self, name: &str, status: &str) {
        let _ = match self.opts.rollout {
            Some(_) => self.db.start_shard_stage(self.run_id, name, status),
            None => self.db.start_stage(self.run_id, name, status),
        };
    }

    /// A stage ended: its row in the run, merged with the other shards' parts in a rollout.
    fn stage_ended(&self, name: &str, status: &str, code: i32, exports: &Vars) {
        let run = self.run_id;
        let _ = match self.opts.rollout {
            Some(_) => self.db.finish_shard_stage(run, name, status, code, exports),
            None => self.db.finish_stage(run, name, status, code, exports),
        };
    }

    /// Whether this process records `stage`'s results and recap: a CI stage runs whole in
    /// every shard of a rollout, and only shard 0's count, so the run's recap is an
    /// unsharded run's.
    fn records(&self, stage: &Stage) -> bool {
        match &self.opts.rollout {
            Some(r) => !stage.needs.is_empty() || r.shard.index == 0,
            None => true,
        }
    }

    /// The stage's playbooks (loaded with the pipeline) through one executor.
    async fn execute(&self, stage: &Stage, ctx: Vars) -> (i32, Vars) {
        let extra = self.stage_vars(stage, ctx);
        let inventory = match self.inventory(stage, &extra) {
            Ok(i) => i,
            Err(e) => {
                self.reporter.warning(&e.to_string());
                return (4, Vars::new());
            }
        };
        let mut run_opts = self.opts.base.clone();
        run_opts.extra_vars = extra.clone();
        run_opts.limit = stage.limit.as_ref().map(|l| self.render_text(l, &extra));
        if stage.needs.is_empty() {
            // A CI stage (no `needs`) runs whole in every shard: each runner needs its exports.
            run_opts.shard = None;
        }
        let mut reporters = vec![Arc::clone(self.reporter)];
        if self.records(stage) {
            reporters.push(Arc::new(Recorder {
                db: Arc::clone(self.db),
                run: self.run_id,
                stage: stage.name.clone(),
            }));
        }
        let tee: Arc<dyn Reporter> = Arc::new(Tee(reporters));
        let mut executor = Executor::new(inventory, run_opts, tee);
        executor.shard(&stage.loaded);
        let mut fatal = None;
        for playbook in &stage.loaded {
            if let Err(errors) = executor.run(playbook).await {
                fatal = Some(errors);
                break;
            }
        }
        let facts = executor.facts();
        let recap = executor.finish().await;
        self.reporter.recap(&recap);
        if self.records(stage) {
            let _ = self.db.record_recap(self.run_id, &stage.name, &recap);
        }
        let code = match fatal {
            Some(errors) => {
                self.reporter.warning(&errors.to_string());
                crate::error::EXIT_PARSE
            }
            None => recap.exit_code(),
        };
        (code, exports(stage, &extra, &facts, &self.templar))
    }

    /// The stage's `vars` rendered with the pipeline context, under `-e`.
    fn stage_vars(&self, stage: &Stage, ctx: Vars) -> Vars {
        let mut extra = ctx;
        for (k, v) in &stage.vars {
            let rendered = self
                .templar
                .render_value(v, &extra)
                .unwrap_or_else(|_| v.clone());
            extra.insert(k.clone(), rendered);
        }
        extra.extend(self.opts.extra_vars.clone());
        extra
    }

    /// The stage's inventory (templated paths, relative to the pipeline file).
    fn inventory(&self, stage: &Stage, extra: &Vars) -> Result<Inventory, LoadErrors> {
        let dir = &self.pipeline.dir;
        let sources: Vec<PathBuf> = stage
            .inventory
            .iter()
            .map(|i| dir.join(self.render_text(i, extra)))
            .collect();
        if sources.is_empty() {
            return Ok(Inventory::implicit_localhost());
        }
        let playbook_dir = stage.playbooks[0].parent().map(Path::to_path_buf);
        Inventory::load(&sources, playbook_dir.as_deref())
    }

    /// `text` rendered as a template to a string, or as written when it does not render.
    fn render_text(&self, text: &str, vars: &Vars) -> String {
        match self.templar.render_str(text, vars) {
            Ok(Json::String(s)) => s,
            _ => text.to_string(),
        }
    }
}

/// Exports of stages that are not re-run: a rollback's CI stages, or stages outside
/// `--from`/`--only`, taken from the run rolled back to (or the last successful run).
fn reused_exports(
    pipeline: &Pipeline,
    db: &Store,
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

fn unmet_need<'a>(stage: &'a Stage, statuses: &[(String, StageStatus)]) -> Option<&'a str> {
    stage
        .needs
        .iter()
        .find(|n| {
            !statuses
                .iter()
                .any(|(name, st)| name == *n && *st == StageStatus::Succeeded)
        })
        .map(String::as_str)
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
