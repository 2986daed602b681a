//! One task on every active host: fan out (bounded by forks), report each result as it comes,
//! then apply results to host state (register, facts, notify, failed hosts).

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value as Json;

use crate::executor::play::PlayCtx;
use crate::executor::{Executor, Status};
use crate::modules::{HostConn, ModuleCtx, ModuleResult};
use crate::output::{HostEvent, TaskKind};
use crate::playbook::{ansible_bool, Condition, Flag, Task};
use crate::template::{Templar, OMIT};
use crate::vars::Vars;

/// The final result of a task on one host.
pub(crate) struct HostOutcome {
    pub host: String,
    pub status: Status,
    pub result: ModuleResult,
    pub ignored: bool,
    /// Per-item results of a loop (already reported).
    pub looped: bool,
}

const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

impl Executor {
    /// Runs `task` on `hosts` and applies the outcomes; returns the hosts that failed (not
    /// ignored). Inside a block with a rescue (`rescuable`), failures count as rescued.
    pub(crate) async fn run_task(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        kind: TaskKind,
        hosts: Vec<String>,
        rescuable: bool,
    ) -> Vec<String> {
        let name = self.render_or_raw(task.display_name(), &ctx.play_vars);
        self.reporter.task_start(&name, kind, hosts.len());
        let mut jobs = Vec::with_capacity(hosts.len());
        for host in &hosts {
            let vars = self.task_vars(ctx, host, task);
            let conn = self.host_conn(ctx, host, &vars);
            jobs.push((host.clone(), vars, conn));
        }
        let templar = &self.templar;
        let reporter = &self.reporter;
        let name_ref = name.as_str();
        let forks = &self.forks;
        let mut running: FuturesUnordered<_> = jobs
            .into_iter()
            .map(|(host, vars, conn)| async move {
                let _permit = forks.acquire().await.ok();
                run_on_host(task, host, vars, conn, templar, name_ref, reporter.as_ref()).await
            })
            .collect();
        let mut outcomes = Vec::with_capacity(hosts.len());
        while let Some(outcome) = running.next().await {
            let no_log = is_no_log(task, &outcome);
            let shown = if no_log {
                censor(&outcome.result)
            } else {
                shown(task, &outcome.result)
            };
            reporter.host_result(&HostEvent {
                host: &outcome.host,
                task: &name,
                status: outcome.status,
                result: &shown,
                item: None,
                ignored: outcome.ignored,
                verbose_always: outcome.result.verbose_always && !outcome.looped,
                looped: outcome.looped,
            });
            outcomes.push(outcome);
        }
        drop(running);
        self.reporter.task_end();
        let mut failed = Vec::new();
        for outcome in outcomes {
            if let Some(host) = self.apply(ctx, task, outcome, rescuable) {
                failed.push(host);
            }
        }
        failed
    }

    /// Applies one host's outcome; returns the host if it failed (not ignored).
    fn apply(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        o: HostOutcome,
        rescuable: bool,
    ) -> Option<String> {
        let state = self.hosts.get_mut(&o.host)?;
        let failed = o.status == Status::Failed && !o.ignored;
        if failed && rescuable {
            state.stats.rescued += 1;
            let mut failed_task = Vars::new();
            failed_task.insert("name".into(), task.display_name().into());
            failed_task.insert("action".into(), task.module.name.into());
            state
                .facts
                .insert("ansible_failed_task".into(), Json::Object(failed_task));
            state
                .facts
                .insert("ansible_failed_result".into(), registered(&o));
        } else {
            state.stats.count(o.status, o.result.changed, o.ignored);
        }
        if let Some(name) = &task.register {
            state.facts.insert(name.clone(), registered(&o));
        }
        if o.status == Status::Ok || o.status == Status::Changed {
            if let Some(Json::Object(facts)) = o.result.data.get("ansible_facts") {
                for (k, v) in facts {
                    state.facts.insert(k.clone(), v.clone());
                }
            }
        }
        if o.status == Status::Unreachable {
            state.out = true;
            ctx.active.retain(|h| h != &o.host);
        } else if failed {
            return Some(o.host);
        } else if o.result.changed && o.status != Status::Failed {
            for (name, _) in &task.notify {
                ctx.notified.notify(ctx.play, &o.host, name);
            }
        }
        None
    }

    /// Takes failed hosts out of the play (and of later plays).
    pub(crate) fn fail_hosts(&mut self, ctx: &mut PlayCtx<'_>, failed: &[String]) {
        for host in failed {
            if let Some(state) = self.hosts.get_mut(host) {
                state.out = true;
            }
        }
        ctx.active.retain(|h| !failed.contains(h));
    }

    /// The connection of `host`, made on first use from its variables.
    fn host_conn(&mut self, ctx: &PlayCtx<'_>, host: &str, vars: &Vars) -> Arc<HostConn> {
        let state = self.hosts.get_mut(host).expect("host state exists");
        if let Some(conn) = &state.conn {
            return Arc::clone(conn);
        }
        let spec = crate::executor::hostvars::connect_spec(host, vars, ctx.play, &self.opts);
        let conn = Arc::new(HostConn {
            pool: Arc::clone(&self.pool),
            spec,
        });
        state.conn = Some(Arc::clone(&conn));
        conn
    }
}

fn registered(o: &HostOutcome) -> Json {
    o.result.to_registered()
}

fn is_no_log(task: &Task, o: &HostOutcome) -> bool {
    match &task.no_log {
        Flag::Const(b) => *b,
        Flag::Template(_) => o.result.data.get("_ferry_no_log") == Some(&Json::Bool(true)),
    }
}

/// The result as the default callback shows it: with `changed`, except for debug, which shows
/// only what it was asked to.
fn shown(task: &Task, r: &ModuleResult) -> Vars {
    let mut v = r.data.clone();
    if task.module.name != "debug" {
        v.insert("changed".into(), r.changed.into());
    }
    v.retain(|k, _| !k.starts_with("_ferry"));
    v
}

fn censor(r: &ModuleResult) -> Vars {
    let mut v = Vars::new();
    v.insert("censored".into(), CENSORED.into());
    v.insert("changed".into(), r.changed.into());
    v
}

/// Everything one host does for one task: `when`, the loop, the module, changed/failed_when,
/// ignore_errors.
async fn run_on_host(
    task: &Task,
    host: String,
    mut vars: Vars,
    conn: Arc<HostConn>,
    templar: &Templar,
    name: &str,
    reporter: &dyn crate::output::Reporter,
) -> HostOutcome {
    let Some(loop_spec) = &task.loop_items else {
        let result = run_once(task, &host, &vars, &conn, templar).await;
        return finish(task, host, result, false, &vars, templar);
    };
    let items = match templar.render_value(loop_spec, &vars) {
        Ok(Json::Array(items)) => items,
        Ok(other) => {
            let msg = format!(
                "Invalid data passed to 'loop', it requires a list, got this instead: {other}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup."
            );
            return finish(task, host, ModuleResult::failed(msg), false, &vars, templar);
        }
        Err(e) => {
            let msg = format!("The task includes an option with an undefined variable. {e}");
            return finish(task, host, ModuleResult::failed(msg), false, &vars, templar);
        }
    };
    let mut results = Vec::with_capacity(items.len());
    let (mut changed, mut failed, mut all_skipped) = (false, false, true);
    for item in items {
        vars.insert(task.loop_var.clone(), item.clone());
        let r = run_once(task, &host, &vars, &conn, templar).await;
        let r = apply_conditions(task, r, &vars, templar);
        let status = status_of(&r);
        changed |= r.changed;
        failed |= r.failed || r.unreachable;
        all_skipped &= r.skipped;
        reporter.host_result(&HostEvent {
            host: &host,
            task: name,
            status,
            result: &r.data,
            item: Some(&item),
            ignored: false,
            verbose_always: r.verbose_always,
            looped: false,
        });
        let mut reg = r.to_registered();
        if let Json::Object(m) = &mut reg {
            m.insert(task.loop_var.clone(), item);
            m.insert("ansible_loop_var".into(), task.loop_var.clone().into());
        }
        results.push(reg);
    }
    let mut data = Vars::new();
    let msg = if failed {
        "One or more items failed"
    } else {
        "All items completed"
    };
    data.insert("msg".into(), msg.into());
    data.insert("results".into(), Json::Array(results));
    let result = ModuleResult {
        changed,
        failed,
        skipped: all_skipped,
        data,
        ..Default::default()
    };
    finish(task, host, result, true, &vars, templar)
}

/// One run of the module (one loop item): `when`, argument templating, the module itself.
async fn run_once(
    task: &Task,
    host: &str,
    vars: &Vars,
    conn: &HostConn,
    templar: &Templar,
) -> ModuleResult {
    match eval_all(&task.when, vars, templar) {
        Ok(true) => {}
        Ok(false) => return skipped(&task.when, vars, templar),
        Err(r) => return r,
    }
    let args = match templar.render_value(&task.args, vars) {
        Ok(Json::Object(args)) => args,
        Ok(_) => return ModuleResult::failed("module arguments must be a mapping"),
        Err(e) => {
            return ModuleResult::failed(format!(
                "The task includes an option with an undefined variable. The error was: {e}"
            ))
        }
    };
    let args = args
        .into_iter()
        .filter(|(_, v)| v.as_str() != Some(OMIT))
        .collect();
    let ctx = ModuleCtx {
        host,
        vars,
        templar,
        conn,
    };
    (task.module.run)(&ctx, args).await
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
fn eval_all(conds: &[Condition], vars: &Vars, templar: &Templar) -> Result<bool, ModuleResult> {
    for c in conds {
        match templar.eval_condition(&c.expr, vars) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => {
                return Err(ModuleResult::failed(format!(
                    "The conditional check '{}' failed. The error was: {e}",
                    c.expr
                )))
            }
        }
    }
    Ok(true)
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
            Err(e) => return e,
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
            Err(e) => return e,
        }
    }
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

fn finish(
    task: &Task,
    host: String,
    result: ModuleResult,
    looped: bool,
    vars: &Vars,
    templar: &Templar,
) -> HostOutcome {
    let mut result = if looped {
        result
    } else {
        apply_conditions(task, result, vars, templar)
    };
    let status = status_of(&result);
    let ignored = status == Status::Failed && flag(&task.ignore_errors, vars, templar);
    if let Flag::Template(_) = &task.no_log {
        if flag(&task.no_log, vars, templar) {
            result.data.insert("_ferry_no_log".into(), true.into());
        }
    }
    HostOutcome {
        host,
        status,
        result,
        ignored,
        looped,
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
