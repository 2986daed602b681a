//! Tasks sections and blocks: hosts that fail in a block run its `rescue`; every host that
//! entered it runs its `always`. Hosts go through each list together; one that fails leaves the
//! list it is in (recap counts match Ansible's linear strategy; the order of lines may differ).

use crate::executor::play::PlayCtx;
use crate::executor::Executor;
use crate::output::TaskKind;
use crate::playbook::{Block, Item};

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
            if scope.is_empty() {
                break;
            }
            let failed = match item {
                Item::Task(task) => match task.meta() {
                    Some("flush_handlers") => {
                        self.flush_handlers(ctx).await;
                        Vec::new()
                    }
                    Some(_) => Vec::new(),
                    None => {
                        self.run_task(ctx, task, TaskKind::Task, scope.clone(), rescuable)
                            .await
                    }
                },
                Item::Block(block) => Box::pin(self.run_block(ctx, block, scope, rescuable)).await,
            };
            scope.retain(|h| !failed.contains(h));
            failed_all.extend(failed);
        }
        failed_all
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
        if has_rescue && !block_failed.is_empty() {
            let mut rescuing = block_failed;
            failed = self
                .run_items(ctx, &block.rescue, &mut rescuing, rescuable)
                .await;
        }
        if !block.always.is_empty() {
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
