//! One task on a set of hosts: prepare each host's job (variables, connection, become,
//! environment), fan out (bounded by forks and `throttle`), report each result as it comes,
//! then apply results to host state (register, facts, notify, failed hosts).

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value as Json;

use crate::connection::privilege::{Become, BecomeMethod};
use crate::connection::quote;
use crate::events::{HostEvent, Status, TaskKind};
use crate::executor::delegation::{self, Delegation, PerItem, Targets};
use crate::executor::host_task::{run_on_host, HostOutcome, Job, TaskRun};
use crate::executor::keyword_value::{HostKeywords, Keyword, Misfit};
use crate::executor::play_ctx::PlayCtx;
use crate::executor::Executor;
use crate::modules::{HostConn, ModuleResult};
use crate::playbook::{Count, Flag, Task, DEFAULT_POLL};
use crate::vars::Vars;

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
        let name = self.render_or_raw(&task.display_name(), &ctx.play_vars);
        let run_once = if task.module.bypass_host_loop {
            !self.free_bypass(ctx, task)
        } else {
            self.first_host_flag(ctx, task, &hosts) && !self.free_run_once(ctx)
        };
        let runners: Vec<String> = if run_once {
            hosts.iter().take(1).cloned().collect()
        } else {
            hosts.clone()
        };
        let origin = task.span.file.path.display().to_string();
        self.reporter.task_origin(&origin, task.span.line);
        self.reporter.task_start(&name, kind, runners.len());
        let mut jobs = Vec::with_capacity(runners.len());
        for host in &runners {
            jobs.push(self.job(ctx, task, host));
        }
        let throttle = self.first_host_throttle(ctx, task, &hosts);
        let throttle = self.shared.throttle(task, throttle);
        let inventory = self.editable_inventory(task);
        let targets = self.targets(ctx);
        let run = TaskRun {
            task,
            templar: &self.templar,
            reporter: self.reporter.as_ref(),
            name: &name,
            inventory: inventory.as_ref(),
            targets: &targets,
        };
        let run = &run;
        let (forks, throttle) = (&self.forks, throttle.as_deref());
        let mut running: FuturesUnordered<_> = jobs
            .into_iter()
            .map(|job| async move {
                let _permit = forks.acquire().await.ok();
                let _throttled = match throttle {
                    Some(t) => t.acquire().await.ok(),
                    None => None,
                };
                run_on_host(run, job).await
            })
            .collect();
        let mut outcomes = Vec::with_capacity(runners.len());
        while let Some(outcome) = running.next().await {
            self.report(task, &name, &outcome);
            outcomes.push(outcome);
        }
        drop(running);
        self.reporter.task_end();
        self.take_inventory(inventory);
        let mut failed = Vec::new();
        for outcome in outcomes {
            // run_once shares the result with the other hosts; an action that bypasses the
            // host loop (pause, add_host) registers it on its host only, as in Ansible.
            let copies: Vec<String> = if run_once && !task.module.bypass_host_loop {
                hosts[1..].to_vec()
            } else {
                Vec::new()
            };
            for other in copies {
                self.share_run_once(task, &other, &outcome);
            }
            self.delegate_facts(task, &outcome);
            if let Some(host) = self.apply(ctx, task, outcome, rescuable) {
                failed.push(host);
            }
        }
        failed
    }

    /// `run_once`, rendered with the first host's variables as Ansible's linear strategy
    /// renders it; a value that does not fit counts as true (its text is), and fails the
    /// task on that host.
    fn first_host_flag(&self, ctx: &PlayCtx<'_>, task: &Task, hosts: &[String]) -> bool {
        match (&task.opts.run_once, hosts.first()) {
            (Some(Flag::Template(t)), Some(first)) => {
                let vars = self.task_vars(ctx, first, task);
                let key = Keyword {
                    name: "run_once",
                    at: &task.span,
                };
                key.boolean(&Flag::Template(t.clone()), &vars, &self.templar)
                    .unwrap_or(true)
            }
            (f, _) => f == &Some(Flag::Const(true)),
        }
    }

    /// `throttle`, rendered with the first host's variables (as Ansible renders it when it
    /// queues the task); one that does not fit limits nothing, and fails the task on each
    /// host.
    fn first_host_throttle(
        &self,
        ctx: &PlayCtx<'_>,
        task: &Task,
        hosts: &[String],
    ) -> Option<usize> {
        let limit = task.opts.throttle.as_ref()?;
        let vars = match (limit, hosts.first()) {
            (Count::Template(_), Some(first)) => self.task_vars(ctx, first, task),
            _ => Vars::new(),
        };
        let key = Keyword {
            name: "throttle",
            at: &task.span,
        };
        let n = key.integer(limit, &vars, &self.templar).ok()?;
        usize::try_from(n).ok()
    }

    fn report(&self, task: &Task, name: &str, outcome: &HostOutcome) {
        self.debugger_note(task, outcome.status);
        let mut shown = if outcome.no_log {
            censor(&outcome.result)
        } else {
            shown(task, &outcome.result)
        };
        // A diff is shown (and kept in the report) only when the task asks for it.
        if !outcome.diff {
            shown.remove("diff");
        }
        self.reporter.host_result(&HostEvent {
            host: &outcome.host,
            delegated: outcome.delegated.as_ref().map(|d| d.shown(&outcome.result)),
            task: name,
            status: outcome.status,
            result: &shown,
            item: None,
            ignored: outcome.ignored,
            verbose_always: outcome.result.verbose_always && !outcome.looped,
            looped: outcome.looped,
        });
    }

    /// Everything one host needs to run `task`.
    fn job(&mut self, ctx: &PlayCtx<'_>, task: &Task, host: &str) -> Job {
        let vars = self.task_vars(ctx, host, task);
        let written = task.opts.delegate_to.as_deref();
        let rendered = written.map(|d| delegation::render(&self.templar, d, &vars));
        // A looped task renders `delegate_to` again with each item (`"{{ item }}"`).
        let per_item = task.loop_items.is_some() && written.is_some_and(|d| d.contains("{{"));
        let (delegate, delegate_error) = match rendered {
            Some(Err(e)) if !per_item => (None, Some(e)),
            Some(Ok(d)) => (d, None),
            _ => (None, None),
        };
        let delegate_facts = task.opts.delegate_facts.as_ref();
        let (conn, port_misfit) = self.task_conn(ctx, task, host, &vars, delegate.as_deref());
        let own = per_item.then(|| self.task_conn(ctx, task, host, &vars, None).0);
        let mut kw = HostKeywords::new(&self.templar, &vars, &task.span);
        kw.misfit = port_misfit;
        let opts = &task.opts;
        let check_mode = kw.flag("check_mode", opts.check_mode.as_ref());
        let diff = kw.flag("diff", opts.diff.as_ref());
        // A no_log that does not fit hides the result: it may be secret.
        let no_log = match kw.flag("no_log", opts.no_log.as_ref()) {
            None if kw.misfit.is_some() && opts.no_log.is_some() => true,
            other => other.unwrap_or(task.module.hides_results),
        };
        let become_on = kw.flag("become", opts.become_.as_ref());
        let timeout = kw.count("timeout", opts.timeout.as_ref());
        // Ansible validates every keyword of the task on each host, used here or not.
        kw.flag("run_once", opts.run_once.as_ref());
        kw.flag("any_errors_fatal", opts.any_errors_fatal.as_ref());
        kw.flag("ignore_errors", opts.ignore_errors.as_ref());
        kw.flag("ignore_unreachable", opts.ignore_unreachable.as_ref());
        kw.count("throttle", opts.throttle.as_ref());
        let async_limit = kw.count_or("async", task.async_val.as_ref(), 0);
        let poll = kw.count_or("poll", Some(&task.poll), DEFAULT_POLL);
        let delegated = match (&delegate, &delegate_error, written) {
            (Some(d), _, _) if d != host => Some(self.targets(ctx).delegation(d)),
            // A `delegate_to` that does not render fails the task, labelled as written.
            (_, Some(_), Some(w)) => Some(Delegation {
                to: w.to_string(),
                address: None,
            }),
            _ => None,
        };
        let give_facts = kw.flag("delegate_facts", delegate_facts) == Some(true);
        let per_item = written.zip(own).map(|(d, own)| PerItem {
            template: d.to_string(),
            own,
            delegate_facts: give_facts,
        });
        // Each item's facts go where the item delegates.
        let facts_to = delegate.filter(|_| give_facts && per_item.is_none());
        let misfit = delegate_error.or(kw.misfit);
        let become_ = self.become_settings(task, become_on.unwrap_or(self.opts.become_), &vars);
        let env = self.environment(task, &vars);
        Job {
            host: host.to_string(),
            delegated,
            per_item,
            vars,
            conn,
            become_,
            env,
            check_mode: check_mode.unwrap_or(self.opts.check),
            diff: diff.unwrap_or(self.opts.diff),
            show_diff: self.opts.diff || diff == Some(true),
            verbosity: self.opts.verbosity,
            timeout,
            async_limit,
            poll,
            no_log,
            misfit,
            facts_to,
            prefetched: None,
        }
    }

    /// The connection `host` runs `task` on: the host's it is delegated to, else its own with
    /// the `connection` and `port` keywords applied; and why the `port` value does not fit.
    fn task_conn(
        &mut self,
        ctx: &PlayCtx<'_>,
        task: &Task,
        host: &str,
        vars: &Vars,
        delegate: Option<&str>,
    ) -> (Arc<HostConn>, Option<Misfit>) {
        let keyword = task
            .opts
            .connection
            .as_ref()
            .map(|c| self.render_or_raw(c, vars))
            .filter(|_| !vars.contains_key("ansible_connection"));
        // The `port` keyword, where the host's variables name none (they win, as in Ansible).
        let (port, port_misfit) = {
            let mut kw = HostKeywords::new(&self.templar, vars, &task.span);
            let port = kw.count("port", task.opts.port.as_ref());
            (port, kw.misfit)
        };
        let mut overrides: Vec<(&str, String)> = keyword
            .map(|kind| ("ansible_connection", kind))
            .into_iter()
            .collect();
        if !["ansible_port", "ansible_ssh_port"]
            .iter()
            .any(|k| vars.contains_key(*k))
        {
            overrides.extend(port.map(|p| ("ansible_port", p.to_string())));
        }
        let conn = match delegate {
            Some(d) if d != host => self.delegate_conn(ctx, d),
            _ if !overrides.is_empty() => self.keyword_conn(ctx, host, vars, &overrides),
            _ => self.host_conn(ctx, host, vars),
        };
        (conn, port_misfit)
    }

    /// The task's `environment`, rendered, as `export` assignments.
    fn environment(&self, task: &Task, vars: &Vars) -> Option<String> {
        let env = task.opts.environment.as_ref()?;
        let rendered = self.templar.render_value(env, vars).ok()?;
        let Json::Object(map) = rendered else {
            return None;
        };
        let mut out = String::new();
        for (k, v) in map {
            if !crate::text::is_identifier(&k) {
                continue;
            }
            let v = match v {
                Json::String(s) => s,
                Json::Bool(true) => "True".into(),
                Json::Bool(false) => "False".into(),
                other => other.to_string(),
            };
            out.push_str(&format!("export {k}={}; ", quote(&v)));
        }
        Some(out)
    }

    /// Applies one host's outcome; returns the host if it failed (not ignored).
    pub(crate) fn apply(
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
            // As in Ansible, an unnamed task's `name` is empty (the display name is not).
            failed_task.insert("name".into(), task.name.clone().unwrap_or_default().into());
            failed_task.insert("action".into(), task.module.name.into());
            state
                .facts
                .insert("ansible_failed_task".into(), Json::Object(failed_task));
            state
                .facts
                .insert("ansible_failed_result".into(), o.result.to_registered());
        } else {
            state.stats.count(o.status, o.result.changed, o.ignored);
        }
        if let Some(name) = &task.register {
            state.facts.insert(name.clone(), o.result.to_registered());
        }
        if (o.status == Status::Ok || o.status == Status::Changed) && o.facts_to.is_none() {
            state.set_facts(task, &o.result);
        }
        if o.status == Status::Unreachable && !o.ignored {
            state.out = true;
            self.shared.gone(&o.host);
            self.unreachable_hosts.insert(o.host.clone());
            ctx.active.retain(|h| h != &o.host);
        } else if failed {
            if !rescuable {
                self.failed_hosts.insert(o.host.clone());
            }
            return Some(o.host);
        } else if o.result.changed && o.status != Status::Failed {
            for (name, _) in &task.notify {
                ctx.notified.notify(&o.host, name);
            }
        }
        None
    }

    /// `run_once`: the other hosts get the registered result and facts, not the counts.
    fn share_run_once(&mut self, task: &Task, host: &str, o: &HostOutcome) {
        let Some(state) = self.hosts.get_mut(host) else {
            return;
        };
        if let Some(name) = &task.register {
            state.facts.insert(name.clone(), o.result.to_registered());
        }
        if o.facts_to.is_none() {
            state.set_facts(task, &o.result);
        }
    }

    /// `delegate_facts`: the facts of a task that succeeded go to the host it was delegated
    /// to (kept until that host joins a play, if it has not yet).
    fn delegate_facts(&mut self, task: &Task, o: &HostOutcome) {
        if !matches!(o.status, Status::Ok | Status::Changed) {
            return;
        }
        if let Some(target) = &o.facts_to {
            self.give_facts(task, target, &o.result);
        }
        for (target, facts) in &o.given_facts {
            let mut data = Vars::new();
            data.insert("ansible_facts".into(), Json::Object(facts.clone()));
            self.give_facts(task, target, &ModuleResult::ok(data));
        }
    }

    /// Gives `target` the facts of `result` (kept until it joins a play, if it has not yet).
    fn give_facts(&mut self, task: &Task, target: &str, result: &ModuleResult) {
        match self.hosts.get_mut(target) {
            Some(state) => state.set_facts(task, result),
            None => self
                .waiting_facts
                .entry(target.to_string())
                .or_default()
                .set_facts(task, result),
        }
    }

    /// Takes failed hosts out of the play (and of later plays).
    pub(crate) fn fail_hosts(&mut self, ctx: &mut PlayCtx<'_>, failed: &[String]) {
        // A failure `meta: clear_host_errors` cleared meanwhile no longer counts.
        let failed: Vec<String> = failed
            .iter()
            .filter(|h| self.failed_hosts.contains(*h))
            .cloned()
            .collect();
        for host in &failed {
            if let Some(state) = self.hosts.get_mut(host) {
                state.out = true;
            }
            self.shared.gone(host);
            if !ctx.failed.contains(host) {
                ctx.failed.push(host.clone());
            }
        }
        ctx.active.retain(|h| !failed.contains(h));
    }

    /// ferry has no interactive task debugger: where `debugger:` would open Ansible's, a
    /// warning says the result stands, as with `debugger: never`.
    fn debugger_note(&self, task: &Task, status: Status) {
        let Some(when) = task.opts.debugger.as_deref() else {
            return;
        };
        let opens = match when {
            "always" => true,
            "on_failed" => status == Status::Failed,
            "on_unreachable" => status == Status::Unreachable,
            "on_skipped" => status == Status::Skipped,
            _ => false,
        };
        if opens {
            self.warn_once(&format!(
                "debugger: {when}: ferry has no interactive task debugger; results stand as \
                 with debugger: never"
            ));
        }
    }

    /// `become` for `task` on a host with `vars` when `on`. Each setting is taken as Ansible's
    /// play context takes it: the host's variable (`ansible_become_user`, ...), else the
    /// keyword, else the command line and ansible.cfg, else the method's default. The password
    /// comes from `ansible_become_password` (and its older names) or `-K`.
    fn become_settings(&self, task: &Task, on: bool, vars: &Vars) -> Option<Become> {
        if !on {
            return None;
        }
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|k| vars.get(*k).and_then(Json::as_str).map(String::from))
        };
        let opts = &task.opts;
        let user = var(&["ansible_become_user"])
            .or_else(|| opts.become_user.clone())
            .or_else(|| self.opts.become_user.clone())
            .map(|u| self.render_or_raw(&u, vars))
            .unwrap_or_else(|| "root".into());
        let method = var(&["ansible_become_method"])
            .or_else(|| opts.become_method.clone())
            .or_else(|| self.opts.become_method.clone())
            .map(|m| self.render_or_raw(&m, vars))
            .and_then(|m| BecomeMethod::from_name(&m))
            .unwrap_or_default();
        let by_method = |what: &str| format!("ansible_{}_{what}", method.name());
        let exe = var(&["ansible_become_exe", &by_method("exe")])
            .or_else(|| opts.become_exe.clone())
            .or_else(|| self.opts.become_exe.clone())
            .map(|e| self.render_or_raw(&e, vars));
        let flags = var(&["ansible_become_flags", &by_method("flags")])
            .or_else(|| opts.become_flags.clone())
            .or_else(|| self.opts.become_flags.clone())
            .map(|f| self.render_or_raw(&f, vars));
        let password = var(&[
            "ansible_become_password",
            "ansible_become_pass",
            "ansible_sudo_pass",
        ])
        .or_else(|| self.opts.become_password.clone());
        Some(Become {
            method,
            user,
            password,
            exe,
            flags,
        })
    }

    /// The connection of `host`, made on first use from its variables.
    fn host_conn(&mut self, ctx: &PlayCtx<'_>, host: &str, vars: &Vars) -> Arc<HostConn> {
        let state = self.hosts.get_mut(host).expect("host state exists");
        if let Some(conn) = &state.conn {
            return Arc::clone(conn);
        }
        let play_user = ctx.play.opts.remote_user.as_deref();
        let spec = crate::connection::resolve_spec(host, vars, play_user, &self.opts.connect);
        let conn = Arc::new(HostConn {
            pool: Arc::clone(&self.pool),
            spec,
        });
        state.conn = Some(Arc::clone(&conn));
        conn
    }

    /// The connection of `host` for `connection:` and `port:` keywords (the host's variables
    /// name none): `overrides` are the variables they stand for.
    fn keyword_conn(
        &mut self,
        ctx: &PlayCtx<'_>,
        host: &str,
        vars: &Vars,
        overrides: &[(&str, String)],
    ) -> Arc<HostConn> {
        let mut key = host.to_string();
        for (name, value) in overrides {
            key.push_str(&format!("\u{1}{name}={value}"));
        }
        if let Some(conn) = self.delegates.get(&key) {
            return Arc::clone(conn);
        }
        let mut vars = vars.clone();
        for (name, value) in overrides {
            vars.insert((*name).into(), value.clone().into());
        }
        let play_user = ctx.play.opts.remote_user.as_deref();
        let spec = crate::connection::resolve_spec(host, &vars, play_user, &self.opts.connect);
        let conn = Arc::new(HostConn {
            pool: Arc::clone(&self.pool),
            spec,
        });
        self.delegates.insert(key, Arc::clone(&conn));
        conn
    }

    /// The connection for `delegate_to` (made once per target).
    fn delegate_conn(&mut self, ctx: &PlayCtx<'_>, target: &str) -> Arc<HostConn> {
        if let Some(conn) = self.delegates.get(target) {
            return Arc::clone(conn);
        }
        let conn = self.targets(ctx).conn(target);
        self.delegates.insert(target.to_string(), Arc::clone(&conn));
        conn
    }

    /// What a task of the play in `ctx` needs to reach a host it delegates to.
    fn targets<'a>(&'a self, ctx: &'a PlayCtx<'_>) -> Targets<'a> {
        Targets {
            inventory: &self.inventory,
            pool: &self.pool,
            play_user: ctx.play.opts.remote_user.as_deref(),
            connect: &self.opts.connect,
        }
    }
}

/// The result as the default callback shows it: with `changed`, except for debug, which shows
/// only what it was asked to.
fn shown(task: &Task, r: &ModuleResult) -> Vars {
    let mut v = r.data.clone();
    if !task.module.bare_result && !r.task_error {
        v.insert("changed".into(), r.changed.into());
    }
    v
}

fn censor(r: &ModuleResult) -> Vars {
    let mut v = Vars::new();
    v.insert("censored".into(), CENSORED.into());
    v.insert("changed".into(), r.changed.into());
    v
}
