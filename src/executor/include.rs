//! Dynamic includes (`include_tasks`, `include_role`) as Ansible runs them: per host (and per
//! loop item) the `when` is decided and the file or role name rendered; hosts that name the
//! same thing with the same item share one `included:` line and run its tasks together. What
//! is included is read and checked now; a bad file fails the hosts that included it. The
//! included tasks inherit the include's `vars` and loop variable, its `apply:` keywords and the
//! keywords of the blocks around it — not the include's own keywords, as in Ansible.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::events::{HostEvent, Status, TaskKind};
use crate::executor::host_task::{eval_all, flag, HostOutcome};
use crate::executor::looping;
use crate::executor::play_ctx::PlayCtx;
use crate::executor::select::tags_selected;
use crate::executor::Executor;
use crate::modules::ModuleResult;
use crate::playbook::{Applied, Include, IncludeError, Included, Item};
use crate::vars::Vars;

/// How deep includes may nest: a self-include whose guard never stops fails the host here.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 100;

/// What one host includes for one loop item: the rendered arguments and the loop variables.
struct Target {
    args: Json,
    vars: Vars,
}

/// The hosts that included the same target, and what reading it gave.
struct Group {
    target: Target,
    hosts: Vec<String>,
    loaded: Result<Included, IncludeError>,
}

impl Executor {
    /// Runs an include on `scope`: decides and reads what each host includes, reports it as a
    /// task, then runs the included tasks; returns the hosts that failed.
    pub(crate) async fn run_include(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        inc: &Include,
        scope: &[String],
        rescuable: bool,
    ) -> Vec<String> {
        if !tags_selected(&inc.task.opts.tags, &self.opts.tags, &self.opts.skip_tags)
            || !self.started
        {
            return Vec::new();
        }
        let (mut groups, mut failed) = self.plan_all(ctx, inc, scope, rescuable);
        // As Ansible: included content that does not load stops the whole run.
        let invalid = |g: &Group| matches!(g.loaded, Err(IncludeError::Invalid(_)));
        if let Some(pos) = groups.iter().position(invalid) {
            if let Err(IncludeError::Invalid(e)) = groups.swap_remove(pos).loaded {
                self.fatal = Some(e);
            }
            ctx.abort = true;
            return failed;
        }
        // A host that cannot read one of its files fails before any included task runs.
        groups.retain(|group| match &group.loaded {
            Err(IncludeError::Missing(e)) => {
                let hosts: Vec<String> = group
                    .hosts
                    .iter()
                    .filter(|h| !failed.contains(h))
                    .cloned()
                    .collect();
                failed.extend(self.fail_include(ctx, inc, &hosts, &e.to_string()));
                false
            }
            _ => true,
        });
        for group in groups {
            let mut hosts: Vec<String> = group
                .hosts
                .iter()
                .filter(|h| !failed.contains(h) && ctx.active.contains(h))
                .cloned()
                .collect();
            if hosts.is_empty() || ctx.abort {
                continue;
            }
            let newly = Box::pin(self.run_group(ctx, inc, group, &mut hosts, rescuable)).await;
            failed.extend(newly);
        }
        failed
    }

    /// Decides what each host of `scope` includes, reported as the include task; returns
    /// the groups of hosts by target and the hosts that failed already.
    fn plan_all(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        inc: &Include,
        scope: &[String],
        rescuable: bool,
    ) -> (Vec<Group>, Vec<String>) {
        let name = self.render_or_raw(&inc.task.display_name(), &ctx.play_vars);
        let origin = inc.task.span.file.path.display().to_string();
        self.reporter.task_origin(&origin, inc.task.span.line);
        self.reporter.task_start(&name, TaskKind::Task, scope.len());
        let mut groups: Vec<Group> = Vec::new();
        let mut failed = Vec::new();
        for host in scope {
            match self.include_targets(ctx, inc, host) {
                Ok(targets) if targets.is_empty() => {
                    self.report_include(ctx, inc, host, &name, (skipped(), false), rescuable);
                }
                Ok(targets) => self.plan(inc, host, targets, &mut groups),
                Err(result) => {
                    // A condition, loop or argument that does not render is the include's
                    // own failure, which `ignore_errors` covers (a file that cannot be read
                    // is not: Ansible stops the host then).
                    let vars = self.task_vars(ctx, host, &inc.task);
                    let ignored = inc
                        .task
                        .opts
                        .ignore_errors
                        .as_ref()
                        .is_some_and(|f| flag(f, &vars, &self.templar));
                    let outcome = (result, ignored);
                    if let Some(h) = self.report_include(ctx, inc, host, &name, outcome, rescuable)
                    {
                        failed.push(h);
                    }
                }
            }
        }
        self.reporter.task_end();
        (groups, failed)
    }

    /// The targets `host` includes: none when `when` is false (for every item), or the
    /// failed result of a bad condition, loop or argument.
    fn include_targets(
        &self,
        ctx: &PlayCtx<'_>,
        inc: &Include,
        host: &str,
    ) -> Result<Vec<Target>, ModuleResult> {
        let vars = self.task_vars(ctx, host, &inc.task);
        let Some(spec) = &inc.task.loop_items else {
            if !eval_all(&inc.task.when, &vars, &self.templar)? {
                return Ok(Vec::new());
            }
            return Ok(vec![self.target(inc, &vars, Vars::new())?]);
        };
        let items = looping::items(&inc.task, &self.templar, spec, &vars)?;
        let extended = flag(&inc.task.loop_control.extended, &vars, &self.templar);
        let control = looping::Control::new(&inc.task.loop_control, extended, &vars, &self.templar);
        let mut targets = Vec::new();
        for index in 0..items.len() {
            let mut loop_vars = Vars::new();
            control.enter(&items, index, &mut loop_vars);
            let mut item_vars = vars.clone();
            item_vars.extend(loop_vars.clone());
            if eval_all(&inc.task.when, &item_vars, &self.templar)? {
                targets.push(self.target(inc, &item_vars, loop_vars)?);
            }
        }
        Ok(targets)
    }

    /// The include's arguments rendered with `vars`.
    fn target(&self, inc: &Include, vars: &Vars, loop_vars: Vars) -> Result<Target, ModuleResult> {
        let args = self
            .templar
            .render_value(&inc.task.args, vars)
            .map_err(|e| {
                // Ansible gives the template's error bare here.
                ModuleResult::task_error(e.to_string())
            })?;
        Ok(Target {
            args,
            vars: loop_vars,
        })
    }

    /// Adds `host`'s targets to the groups (a new group for a target no host named yet), and
    /// reads each new target once.
    fn plan(&mut self, inc: &Include, host: &str, targets: Vec<Target>, groups: &mut Vec<Group>) {
        for target in targets {
            let same = |g: &Group| g.target.args == target.args && g.target.vars == target.vars;
            let index = match groups.iter().position(same) {
                Some(i) => i,
                None => {
                    let loaded = inc.load(&target.args, &self.templar);
                    groups.push(Group {
                        target,
                        hosts: Vec::new(),
                        loaded,
                    });
                    groups.len() - 1
                }
            };
            groups[index].hosts.push(host.to_string());
            // As Ansible, each item included counts as an ok task (one that could not be
            // read counts as failed, later).
            if let (Ok(_), Some(state)) = (&groups[index].loaded, self.hosts.get_mut(host)) {
                state.stats.count(Status::Ok, false, false);
            }
        }
    }

    /// Reports a host's include that did not include anything (skipped or failed) and
    /// applies it; returns the host if it failed.
    fn report_include(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        inc: &Include,
        host: &str,
        name: &str,
        (result, ignored): (ModuleResult, bool),
        rescuable: bool,
    ) -> Option<String> {
        let status = if result.failed {
            Status::Failed
        } else {
            Status::Skipped
        };
        self.reporter.host_result(&HostEvent {
            host,
            delegated: None,
            task: name,
            status,
            result: &result.data,
            item: None,
            ignored,
            verbose_always: false,
            looped: false,
        });
        let outcome = HostOutcome {
            host: host.to_string(),
            delegated: None,
            given_facts: Vec::new(),
            status,
            result,
            ignored,
            looped: false,
            no_log: false,
            diff: false,
            facts_to: None,
        };
        self.apply(ctx, &inc.task, outcome, rescuable)
    }

    /// Runs one group's included tasks on `hosts` (or fails them when the target could not
    /// be read, or includes nest too deep); returns the hosts that failed.
    async fn run_group(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        inc: &Include,
        group: Group,
        hosts: &mut Vec<String>,
        rescuable: bool,
    ) -> Vec<String> {
        let included = match group.loaded {
            Ok(i) if ctx.include_depth < MAX_INCLUDE_DEPTH => i,
            Ok(i) => {
                let msg = format!(
                    "{}: includes nest more than {MAX_INCLUDE_DEPTH} deep (is '{}' including itself with a condition that never turns false?)",
                    inc.task.span, i.shown
                );
                return self.fail_include(ctx, inc, hosts, &msg);
            }
            Err(_) => return Vec::new(),
        };
        self.reporter.included(&included.shown, hosts);
        if inc.is_role() && is_public(&group.target.args) {
            ctx.public_roles.extend(included.roles);
        }
        let items = inherit(inc, &group.target, included.items);
        let mut handler_includes = included.handler_includes;
        for (index, mut handler) in included.handlers.into_iter().enumerate() {
            // A role included again (another item, another host) brings the same handlers.
            let known = ctx
                .play
                .handlers
                .iter()
                .chain(ctx.added_handlers.iter().map(|h| &**h));
            if known.into_iter().any(|h| h.span.same_place(&handler.span)) {
                continue;
            }
            handler.opts.inherit_from(&inc.outer);
            if let Some(mut handler_inc) = handler_includes.remove(&index) {
                handler_inc.task.opts.inherit_from(&inc.outer);
                handler_inc.outer.inherit_from(&inc.outer);
                let at = ctx.added_handlers.len();
                ctx.added_includes.insert(at, Arc::new(handler_inc));
            }
            ctx.added_handlers.push(Arc::new(handler));
        }
        ctx.include_depth += 1;
        let failed = self.run_items(ctx, &items, hosts, rescuable).await;
        ctx.include_depth -= 1;
        failed
    }

    /// Fails `hosts` on the include with `msg`; returns those that failed. As in Ansible,
    /// the failure counts as failed even in a block with a rescue (which still runs).
    fn fail_include(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        inc: &Include,
        hosts: &[String],
        msg: &str,
    ) -> Vec<String> {
        let name = self.render_or_raw(&inc.task.display_name(), &ctx.play_vars);
        let origin = inc.task.span.file.path.display().to_string();
        self.reporter.task_origin(&origin, inc.task.span.line);
        self.reporter.task_start(&name, TaskKind::Task, hosts.len());
        let failed = hosts
            .iter()
            .filter_map(|h| {
                let result = ModuleResult::failed(msg.to_string());
                self.report_include(ctx, inc, h, &name, (result, false), false)
            })
            .collect();
        self.reporter.task_end();
        failed
    }
}

/// The included tasks with what they inherit: the include's `vars` and loop variables, its
/// `apply:`, then the keywords of the blocks and play around the include.
fn inherit(inc: &Include, target: &Target, mut items: Vec<Item>) -> Vec<Item> {
    inc.apply.push_down(&mut items);
    let mut vars = target.vars.clone();
    for (k, v) in &inc.task.vars {
        vars.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let outer = Applied {
        vars,
        opts: inc.outer.clone(),
        ..Applied::default()
    };
    outer.push_down(&mut items);
    items
}

/// `public: yes` on `include_role`: its defaults and vars are seen by the rest of the play.
fn is_public(args: &Json) -> bool {
    match args.get("public") {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => crate::text::ansible_bool(s).unwrap_or(false),
        _ => false,
    }
}

fn skipped() -> ModuleResult {
    ModuleResult {
        skipped: true,
        ..Default::default()
    }
}
