//! Everything one host does for one task: `when`, the loop, argument templating, the module
//! (with become, environment, timeout), `until`/`retries`, `changed_when`/`failed_when`,
//! `ignore_errors`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::connection::privilege::Become;
use crate::events::{HostEvent, Reporter, Status};
use crate::modules::async_status;
use crate::modules::host::expand;
use crate::modules::host::jobs::{self, AsyncJob};
use crate::modules::host::Prefetched;
use crate::modules::{HostConn, ModuleCtx, ModuleResult};
use crate::playbook::{Condition, Count, Flag, Task};
use crate::template::{Templar, OMIT};
use crate::text::ansible_bool;
use crate::vars::Vars;

use super::delegation::{Delegation, PerItem, Targets};
use super::keyword_value::{Keyword, Misfit};
use super::looping;

/// What every host's run of one task shares.
pub(crate) struct TaskRun<'a> {
    pub task: &'a Task,
    pub templar: &'a Templar,
    pub reporter: &'a dyn Reporter,
    pub name: &'a str,
    /// The copy of the run's inventory a module that edits it works on (`add_host`).
    pub inventory: Option<&'a std::sync::Mutex<crate::inventory::Inventory>>,
    /// The hosts a loop item may delegate to.
    pub targets: &'a Targets<'a>,
}

/// One host's inputs for one task.
pub(crate) struct Job {
    pub host: String,
    /// The host the task runs on instead (`delegate_to`), when not this one.
    pub delegated: Option<Delegation>,
    /// A looped task's `delegate_to`, rendered again for each item.
    pub per_item: Option<PerItem>,
    pub vars: Vars,
    pub conn: Arc<HostConn>,
    pub become_: Option<Become>,
    /// `export K=V; ` assignments from `environment`.
    pub env: Option<String>,
    pub check_mode: bool,
    pub diff: bool,
    /// A result's diff is shown: `--diff`, or the task's `diff` keyword (Ansible shows what a
    /// module returns under `--diff` even for a task with `diff: false`).
    pub show_diff: bool,
    pub verbosity: u8,
    pub timeout: Option<u64>,
    /// `async` seconds, rendered (0: the module runs in the foreground).
    pub async_limit: u64,
    /// `poll` seconds, rendered (0: an `async` job is left running).
    pub poll: u64,
    pub no_log: bool,
    /// The first keyword whose value does not fit on this host: the task fails with it.
    pub misfit: Option<Misfit>,
    /// `delegate_facts` with `delegate_to`: the host the task's facts go to.
    pub facts_to: Option<String>,
    /// Stats prefetched for a loop's items.
    pub prefetched: Option<Arc<Prefetched>>,
}

/// The final result of a task on one host.
pub(crate) struct HostOutcome {
    pub host: String,
    /// The host the task ran on instead (`delegate_to`), when not this one.
    pub delegated: Option<Delegation>,
    pub status: Status,
    pub result: ModuleResult,
    pub ignored: bool,
    /// Per-item results of a loop (already reported).
    pub looped: bool,
    pub no_log: bool,
    /// `--diff` or the `diff` keyword: the result's `diff` is shown.
    pub diff: bool,
    /// The host the task's facts go to, when not this one (`delegate_facts`).
    pub facts_to: Option<String>,
    /// Facts loop items delegated to other hosts give them (`delegate_facts`).
    pub given_facts: Given,
}

/// Facts for other hosts: each host's name and the facts it gets.
pub(crate) type Given = Vec<(String, Vars)>;

/// Runs the task on one host, loop included.
pub(crate) async fn run_on_host(run: &TaskRun<'_>, mut job: Job) -> HostOutcome {
    let task = run.task;
    let Some(loop_spec) = &task.loop_items else {
        let result = run_with_retries(run, &job).await;
        return finish(run, job, result, false);
    };
    let items = match looping::items(task, run.templar, loop_spec, &job.vars) {
        Ok(items) => items,
        Err(failed) => {
            if let Some(p) = &job.per_item {
                job.delegated = Some(p.unrendered());
            }
            return finish(run, job, failed, false);
        }
    };
    job.prefetched = prefetch(run, &mut job, &items).await;
    let extended = flag(&task.loop_control.extended, &job.vars, run.templar);
    let control = looping::Control::new(&task.loop_control, extended, &job.vars, run.templar);
    let mut result = ModuleResult {
        skipped: true,
        ..Default::default()
    };
    let mut results = Vec::with_capacity(items.len());
    let mut facts = Vars::new();
    let mut given = Vec::new();
    for index in 0..items.len() {
        control.pause(index).await;
        control.enter(&items, index, &mut job.vars);
        // As ansible-core, a delegate_to an item cannot render fails the task, not the item.
        if let Err(e) = retarget(run, &mut job) {
            return finish(run, job, ModuleResult::task_error(e), false);
        }
        let r = run_with_retries(run, &job).await;
        keep_item_facts(&mut job, &r, &mut facts, &mut given);
        result.changed |= r.changed;
        result.failed |= r.failed || r.unreachable;
        result.skipped &= r.skipped;
        let label = control.label(&items[index], &job.vars, run.templar);
        report_item(run, &job, &r, &label);
        let mut reg = r.to_registered();
        if let Json::Object(m) = &mut reg {
            control.annotate(&items, index, m);
        }
        results.push(reg);
    }
    // As ansible-core's TaskExecutor words a loop's result.
    if items.is_empty() {
        let why = "No items in the list";
        result.data.insert("skipped_reason".into(), why.into());
    } else {
        let msg = match (result.failed, result.skipped) {
            (true, _) => "One or more items failed",
            (false, true) => "All items skipped",
            (false, false) => "All items completed",
        };
        result.data.insert("msg".into(), msg.into());
        // Ansible's loop result always says whether it was skipped.
        if !result.skipped {
            result.data.insert("skipped".into(), false.into());
        }
    }
    result.data.insert("results".into(), Json::Array(results));
    if !facts.is_empty() {
        result
            .data
            .insert("ansible_facts".into(), Json::Object(facts));
    }
    let mut outcome = finish(run, job, result, true);
    outcome.given_facts = given;
    outcome
}

/// Facts an item sets (set_fact in a loop): seen by the next items and kept for the host;
/// under `delegate_facts`, an item delegated to another host gives them to that host.
fn keep_item_facts(job: &mut Job, r: &ModuleResult, facts: &mut Vars, given: &mut Given) {
    let (false, Some(Json::Object(set))) = (r.failed, r.data.get("ansible_facts")) else {
        return;
    };
    let per_item = job.per_item.as_ref().filter(|p| p.delegate_facts);
    if let Some(d) = per_item.and(job.delegated.as_ref()) {
        given.push((d.to.clone(), set.clone()));
        return;
    }
    for (k, v) in set {
        job.vars.insert(k.clone(), v.clone());
        facts.insert(k.clone(), v.clone());
    }
}

/// Points `job` at the host the current loop item delegates to (`delegate_to` rendered with
/// the item, as ansible-core renders it); the template's error when it does not render.
fn retarget(run: &TaskRun<'_>, job: &mut Job) -> Result<(), String> {
    let Some(per_item) = &job.per_item else {
        return Ok(());
    };
    match per_item.target(run.targets, run.templar, &job.host, &job.vars) {
        Ok(target) => {
            job.conn = target.conn;
            job.delegated = target.delegated;
            Ok(())
        }
        Err(e) => {
            job.delegated = Some(per_item.unrendered());
            Err(e)
        }
    }
}

/// Reports one loop item's result (hidden under `no_log`).
fn report_item(run: &TaskRun<'_>, job: &Job, r: &ModuleResult, item: &Json) {
    let mut shown = if job.no_log {
        Vars::new()
    } else {
        r.data.clone()
    };
    if !job.show_diff {
        shown.remove("diff");
    }
    run.reporter.host_result(&HostEvent {
        host: &job.host,
        delegated: job.delegated.as_ref().map(|d| d.shown(r)),
        task: run.name,
        status: status_of(r),
        result: &shown,
        item: Some(item),
        ignored: false,
        verbose_always: r.verbose_always,
        looped: false,
    });
}

/// One run (one loop item) with `until`/`retries`/`delay`, and changed/failed_when applied.
async fn run_with_retries(run: &TaskRun<'_>, job: &Job) -> ModuleResult {
    let task = run.task;
    let Some(until) = &task.until else {
        let r = run_once(run, job).await;
        return apply_conditions(task, r, &job.vars, run.templar);
    };
    let count = |c: &Option<Count>, name: &str, default: u64| match c {
        None => Ok(default),
        Some(c) => Keyword {
            name,
            at: &task.span,
        }
        .integer(c, &job.vars, run.templar)
        .map_err(ModuleResult::failed),
    };
    let (retries, delay) = match (
        count(&task.retries, "retries", 3),
        count(&task.delay, "delay", 5),
    ) {
        (Ok(r), Ok(d)) => (r, d),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let mut attempt = 1;
    loop {
        let r = run_once(run, job).await;
        let mut r = apply_conditions(task, r, &job.vars, run.templar);
        if r.skipped || r.unreachable {
            return r;
        }
        let mut scope = job.vars.clone();
        if let Some(name) = &task.register {
            scope.insert(name.clone(), r.to_registered());
        }
        let done = match eval_all(until, &scope, run.templar) {
            Ok(b) => b,
            Err(e) => return e,
        };
        r.data.insert("attempts".into(), attempt.into());
        if done {
            return r;
        }
        if attempt > retries {
            r.failed = true;
            return r;
        }
        let to = job.delegated.as_ref().map(|d| d.to.as_str());
        run.reporter
            .retrying(&job.host, to, run.name, retries + 1 - attempt);
        attempt += 1;
        tokio::time::sleep(Duration::from_secs(delay)).await;
    }
}

/// For a loop of file writes (`copy`, `template`) on a host, stats every item's destination
/// in one command before the items run: on a warm run each item then needs no round trip
/// of its own to find its file unchanged.
async fn prefetch(run: &TaskRun<'_>, job: &mut Job, items: &[Json]) -> Option<Arc<Prefetched>> {
    let task = run.task;
    let written_path = task.module.written_path?;
    // Items delegated each to its own host have no one host to stat on.
    if items.len() < 2 || job.per_item.is_some() {
        return None;
    }
    let mut paths = Vec::new();
    let loop_var = &task.loop_control.loop_var;
    for item in items {
        job.vars.insert(loop_var.clone(), item.clone());
        let Ok(Json::Object(args)) = run.templar.render_value(&task.args, &job.vars) else {
            continue;
        };
        // Directory copies and destinations that are directories find their paths later.
        let Some(dest) = written_path(&args) else {
            continue;
        };
        if !paths.iter().any(|p| p == dest) {
            paths.push(dest.to_string());
        }
    }
    job.vars.remove(loop_var);
    if paths.len() < 2 {
        return None;
    }
    let fetched = Arc::new(Prefetched::default());
    crate::modules::host::prefetch(&module_ctx(run, job), &paths, &fetched).await;
    Some(fetched)
}

/// What the module sees of `job`.
fn module_ctx<'a>(run: &'a TaskRun<'_>, job: &'a Job) -> ModuleCtx<'a> {
    ModuleCtx {
        host: &job.host,
        module: run.task.module.name,
        vars: &job.vars,
        templar: run.templar,
        conn: &job.conn,
        become_: job.become_.as_ref(),
        env: job.env.as_deref(),
        check_mode: job.check_mode,
        diff: job.diff,
        no_log: job.no_log,
        verbosity: job.verbosity,
        prefetched: job.prefetched.as_deref(),
        async_job: None,
        inventory: run.inventory,
    }
}

/// One module run: `when`, argument templating, the module itself (within `timeout`).
async fn run_once(run: &TaskRun<'_>, job: &Job) -> ModuleResult {
    match prepare(run, job) {
        Ok(args) => run_module(run, job, args).await,
        Err(r) => r,
    }
}

/// The task's rendered arguments, or why the module does not run (a false `when`, a failure
/// to render, a module that cannot run in check mode).
fn prepare(run: &TaskRun<'_>, job: &Job) -> Result<Vars, ModuleResult> {
    let (task, templar, vars) = (run.task, run.templar, &job.vars);
    // A `when` that cannot be evaluated fails the task before its module runs.
    let when = eval_all(&task.when, vars, templar).map_err(|e| ModuleResult {
        task_error: true,
        ..e
    })?;
    if !when {
        return Err(skipped(&task.when, vars, templar));
    }
    // So does a keyword whose value does not fit (ansible-core's post_validate).
    if let Some(misfit) = &job.misfit {
        return Err(ModuleResult::task_error(misfit.clone()));
    }
    let with_defaults = task
        .opts
        .module_defaults
        .as_ref()
        .map(|d| crate::playbook::module_defaults::apply(d, task.module, &task.args));
    let args = match templar.render_value(with_defaults.as_ref().unwrap_or(&task.args), vars) {
        Ok(Json::Object(args)) => args,
        Ok(_) => {
            return Err(ModuleResult::task_error(
                "module arguments must be a mapping",
            ))
        }
        Err(e) => return Err(ModuleResult::task_error(argument_error(task, &e))),
    };
    if job.check_mode && !task.module.supports_check {
        let mut data = Vars::new();
        let msg = format!(
            "remote module ({}) does not support check mode",
            task.module.name
        );
        data.insert("msg".into(), msg.into());
        return Err(ModuleResult {
            skipped: true,
            data,
            ..Default::default()
        });
    }
    Ok(args
        .into_iter()
        .filter(|(_, v)| v.as_str() != Some(OMIT))
        .collect())
}

/// Why a task's arguments could not be rendered, as Ansible words it, and where the task is.
fn argument_error(task: &Task, e: &crate::template::TemplateError) -> String {
    let text = e.to_string();
    if e.is_filter_error() {
        return text;
    }
    let what = if e.is_undefined() {
        format!("The task includes an option with an undefined variable.. {text}")
    } else if text.starts_with("template error") {
        text
    } else {
        format!("template error while templating string: {text}")
    };
    format!("{what}{}", super::keyword_value::appears_in(&task.span))
}

/// The module itself, within the task's `timeout` (or as a background job: `async`).
async fn run_module(run: &TaskRun<'_>, job: &Job, mut args: Vars) -> ModuleResult {
    let task = run.task;
    if let Err(r) = expand::expand_path_args(&module_ctx(run, job), task.module, &mut args).await {
        return r;
    }
    if job.async_limit > 0 {
        if !task.module.background {
            // Only a templated `async` gets here: a constant one is refused at load.
            return ModuleResult::failed(format!(
                "async is not supported by ferry for module '{}'",
                task.module.name
            ));
        }
        return run_async(run, job, args, job.async_limit).await;
    }
    let ctx = module_ctx(run, job);
    let fut = (task.module.run)(&ctx, args);
    match job.timeout {
        Some(secs) if secs > 0 => match tokio::time::timeout(Duration::from_secs(secs), fut).await {
            Ok(r) => r,
            Err(_) => ModuleResult::failed(format!(
                "The {} action failed to execute in the expected time frame ({secs}) and was terminated",
                task.module.name
            )),
        },
        _ => fut.await,
    }
}

/// `async`: starts the module as a background job; with `poll` > 0, checks it every `poll`
/// seconds until it finishes (then removes what it left) or `async` seconds have passed, as
/// Ansible's task executor does.
async fn run_async(run: &TaskRun<'_>, job: &Job, args: Vars, limit: u64) -> ModuleResult {
    let background = AsyncJob::new(limit);
    let mut ctx = module_ctx(run, job);
    ctx.async_job = Some(&background);
    let started = (run.task.module.run)(&ctx, args).await;
    let poll = job.poll;
    if poll == 0 || started.failed || started.skipped || started.unreachable {
        return started;
    }
    ctx.async_job = None;
    let jid = &background.jid;
    let mut left = limit;
    let mut last = started;
    while left > 0 {
        tokio::time::sleep(Duration::from_secs(poll)).await;
        last = async_status::status(&ctx, jid).await;
        if last.data.get("finished") == Some(&Json::from(1)) || last.failed || last.unreachable {
            let _ = jobs::erase(&ctx, jid).await;
            return last;
        }
        left = left.saturating_sub(poll);
        run.reporter.async_poll(&job.host, jid);
    }
    let mut r = ModuleResult::failed(format!(
        "async task did not complete within the requested time - {limit}s"
    ));
    r.data
        .insert("async_result".into(), Json::Object(last.data));
    r
}

fn skipped(conds: &[Condition], vars: &Vars, templar: &Templar) -> ModuleResult {
    let false_cond = conds
        .iter()
        .find(|c| matches!(templar.eval_condition(&c.expr, vars), Ok(false)))
        .map(|c| c.expr.clone())
        .unwrap_or_default();
    let mut data = Vars::new();
    data.insert("false_condition".into(), false_cond.into());
    data.insert("skip_reason".into(), "Conditional result was False".into());
    ModuleResult {
        skipped: true,
        data,
        ..Default::default()
    }
}

/// All conditions hold (a failure to evaluate one is the task's failure).
pub(crate) fn eval_all(
    conds: &[Condition],
    vars: &Vars,
    templar: &Templar,
) -> Result<bool, ModuleResult> {
    for c in conds {
        match templar.eval_condition(&c.expr, vars) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(ModuleResult::task_error(condition_error(c, &e))),
        }
    }
    Ok(true)
}

/// Why condition `c` could not be evaluated, as Ansible words it: an undefined variable is
/// "error while evaluating conditional"; then where the condition is written.
pub(crate) fn condition_error(c: &Condition, e: &crate::template::TemplateError) -> String {
    let why = match e.is_undefined() {
        true => format!("error while evaluating conditional ({}): {e}", c.expr),
        false => e.to_string(),
    };
    format!(
        "The conditional check '{}' failed. The error was: {why}{}",
        c.expr,
        super::keyword_value::appears_in(&c.span)
    )
}

/// `changed_when` and `failed_when`, which see the result under the `register` name.
fn apply_conditions(
    task: &Task,
    mut r: ModuleResult,
    vars: &Vars,
    templar: &Templar,
) -> ModuleResult {
    if r.skipped || r.unreachable || (task.changed_when.is_none() && task.failed_when.is_none()) {
        return r;
    }
    let mut scope = vars.clone();
    if let Some(name) = &task.register {
        scope.insert(name.clone(), r.to_registered());
    }
    if let Some(conds) = &task.changed_when {
        match eval_all(conds, &scope, templar) {
            Ok(b) => r.changed = b,
            Err(e) => return condition_failed(r, "changed_when_result", e),
        }
        if let Some(name) = &task.register {
            scope.insert(name.clone(), r.to_registered());
        }
    }
    if let Some(conds) = &task.failed_when {
        match eval_all(conds, &scope, templar) {
            Ok(b) => {
                r.failed = b;
                r.data.insert("failed_when_result".into(), b.into());
            }
            Err(e) => return condition_failed(r, "failed_when_result", e),
        }
    }
    r
}

/// The module's result failed by a `changed_when`/`failed_when` that could not be evaluated:
/// Ansible keeps the result and puts why under `key`.
fn condition_failed(mut r: ModuleResult, key: &str, e: ModuleResult) -> ModuleResult {
    r.failed = true;
    let why = e.data.get("msg").cloned().unwrap_or_default();
    r.data.insert(key.into(), why);
    r
}

fn status_of(r: &ModuleResult) -> Status {
    if r.unreachable {
        Status::Unreachable
    } else if r.failed {
        Status::Failed
    } else if r.skipped {
        Status::Skipped
    } else if r.changed {
        Status::Changed
    } else {
        Status::Ok
    }
}

fn finish(run: &TaskRun<'_>, job: Job, result: ModuleResult, looped: bool) -> HostOutcome {
    let status = status_of(&result);
    let opts = &run.task.opts;
    let (name, f) = match status {
        Status::Failed => ("ignore_errors", opts.ignore_errors.as_ref()),
        Status::Unreachable => ("ignore_unreachable", opts.ignore_unreachable.as_ref()),
        _ => ("", None),
    };
    let at = &run.task.span;
    // A value that does not fit failed the task already; Ansible then reads the keyword
    // as written, and a template's text counts as true.
    let ignored = f.is_some_and(|f| {
        Keyword { name, at }
            .boolean(f, &job.vars, run.templar)
            .unwrap_or(true)
    });
    HostOutcome {
        host: job.host,
        delegated: job.delegated,
        status,
        result,
        ignored,
        looped,
        no_log: job.no_log,
        diff: job.show_diff,
        facts_to: job.facts_to,
        given_facts: Vec::new(),
    }
}

/// A boolean keyword's value for this host (a template that fails to render is false).
pub(crate) fn flag(f: &Flag, vars: &Vars, templar: &Templar) -> bool {
    match f {
        Flag::Const(b) => *b,
        Flag::Template(t) => match templar.render_str(t, vars) {
            Ok(Json::Bool(b)) => b,
            Ok(Json::String(s)) => ansible_bool(&s).unwrap_or(false),
            Ok(Json::Number(n)) => n.as_f64() == Some(1.0),
            _ => false,
        },
    }
}
