//! Tasks sections and blocks: hosts that fail in a block run its `rescue`; every host that
//! entered it runs its `always`. Hosts go through each list together; one that fails leaves the
//! list it is in (recap counts match Ansible's linear strategy; the order of lines may differ).
//! Meta tasks, tag selection and the play-wide failure limits are applied here, between tasks.

use crate::events::TaskKind;
use crate::executor::keyword_value::unrendered_true;
use crate::executor::play_ctx::PlayCtx;
use crate::executor::select::{name_matches, tags_selected};
use crate::executor::Executor;
use crate::playbook::{Block, Item, Task};

impl Executor {
    /// Runs `items` on the hosts in `scope`; returns the hosts that failed (removed from scope).
    pub(crate) async fn run_items(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        items: &[Item],
        scope: &mut Vec<String>,
        rescuable: bool,
    ) -> Vec<String> {
        let mut failed_all = Vec::new();
        for item in items {
            scope.retain(|h| ctx.active.contains(h));
            if scope.is_empty() || ctx.abort {
                break;
            }
            let failed = match item {
                Item::Task(task) => {
                    let hosts = in_role(ctx, task, scope);
                    self.run_item_task(ctx, task, &hosts, rescuable).await
                }
                Item::Block(block) => Box::pin(self.run_block(ctx, block, scope, rescuable)).await,
                Item::Include(inc) => {
                    let hosts = in_role(ctx, &inc.task, scope);
                    Box::pin(self.run_include(ctx, inc, &hosts, rescuable)).await
                }
            };
            scope.retain(|h| !failed.contains(h));
            failed_all.extend(failed);
        }
        failed_all
    }

    async fn run_item_task(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        scope: &[String],
        rescuable: bool,
    ) -> Vec<String> {
        if !tags_selected(&task.opts.tags, &self.opts.tags, &self.opts.skip_tags) {
            return Vec::new();
        }
        if !self.started {
            let name = task.display_name();
            match &self.opts.start_at_task {
                Some(p) if name_matches(p, &name) => self.started = true,
                _ => return Vec::new(),
            }
        }
        if let Some(action) = task.meta() {
            self.run_meta(ctx, task, action, scope).await;
            return Vec::new();
        }
        let failed = self
            .run_task(ctx, task, TaskKind::Task, scope.to_vec(), rescuable)
            .await;
        let opts = &task.opts;
        // As the linear strategy reads them: unrendered (a template counts as true).
        let fatal = unrendered_true(opts.any_errors_fatal.as_ref())
            && !unrendered_true(opts.ignore_errors.as_ref())
            && !self.free_fatal(ctx);
        if !failed.is_empty() && !rescuable {
            if fatal {
                ctx.abort = true;
            }
            self.check_max_fail(ctx, &failed);
        }
        failed
    }

    /// `max_fail_percentage`: the batch stops when failures exceed it.
    fn check_max_fail(&mut self, ctx: &mut PlayCtx<'_>, new_failed: &[String]) {
        let Some(pct) = ctx.max_fail else {
            return;
        };
        let failed = ctx
            .batch
            .iter()
            .filter(|h| ctx.failed.contains(h) || new_failed.contains(h))
            .count();
        if ctx.batch.is_empty() {
            return;
        }
        if failed as f64 / ctx.batch.len() as f64 * 100.0 > pct {
            ctx.abort = true;
            ctx.max_fail_hit = true;
        }
    }

    async fn run_block(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        block: &Block,
        scope: &[String],
        rescuable: bool,
    ) -> Vec<String> {
        let entered = scope.to_vec();
        let mut in_block = entered.clone();
        let has_rescue = !block.rescue.is_empty();
        let block_failed = self
            .run_items(ctx, &block.block, &mut in_block, rescuable || has_rescue)
            .await;
        let mut failed = block_failed.clone();
        if has_rescue && !block_failed.is_empty() && !ctx.abort {
            let mut rescuing = block_failed;
            failed = self
                .run_items(ctx, &block.rescue, &mut rescuing, rescuable)
                .await;
        }
        if !block.always.is_empty() && !ctx.abort {
            let mut always: Vec<String> = entered
                .iter()
                .filter(|h| ctx.active.contains(h))
                .cloned()
                .collect();
            for host in self
                .run_items(ctx, &block.always, &mut always, rescuable)
                .await
            {
                if !failed.contains(&host) {
                    failed.push(host);
                }
            }
        }
        failed
    }
}

/// The hosts of `scope` that did not end `task`'s role (`meta: end_role`).
fn in_role(ctx: &PlayCtx<'_>, task: &Task, scope: &[String]) -> Vec<String> {
    let Some(role) = &task.role else {
        return scope.to_vec();
    };
    scope
        .iter()
        .filter(|h| {
            !ctx.ended_roles
                .iter()
                .any(|(host, ended)| host == *h && std::sync::Arc::ptr_eq(ended, role))
        })
        .cloned()
        .collect()
}
