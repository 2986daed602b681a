//! Handlers as Ansible runs them: notified only by a changed result, run once per host, in the
//! order they are defined, at the end of the tasks section and at `meta: flush_handlers`.

use std::sync::Arc;

use crate::events::TaskKind;
use crate::executor::play_ctx::PlayCtx;
use crate::executor::Executor;

impl Executor {
    /// Runs every notified handler, in definition order, on the hosts that notified it.
    pub(crate) async fn flush_handlers(&mut self, ctx: &mut PlayCtx<'_>) {
        let play = ctx.play;
        let count = play.handlers.len() + ctx.added_handlers.len();
        for index in 0..count {
            let added = ctx.added_handlers.iter().map(|h| &**h);
            ctx.notified.resolve(play.handlers.iter().chain(added));
            let mut eligible = ctx.active.clone();
            if self.opts.force_handlers || play.force_handlers {
                eligible.extend(ctx.failed.iter().cloned());
            }
            let hosts = ctx.notified.take(index, &eligible);
            if hosts.is_empty() {
                continue;
            }
            let failed = match play.handlers.get(index) {
                Some(_) if play.handler_includes.contains_key(&index) => {
                    let inc = &play.handler_includes[&index];
                    Box::pin(self.run_include(ctx, inc, &hosts, false)).await
                }
                Some(handler) => {
                    self.run_task(ctx, handler, TaskKind::Handler, hosts, false)
                        .await
                }
                None => {
                    let added = index - play.handlers.len();
                    if let Some(inc) = ctx.added_includes.get(&added).map(Arc::clone) {
                        Box::pin(self.run_include(ctx, &inc, &hosts, false)).await
                    } else {
                        let handler = Arc::clone(&ctx.added_handlers[added]);
                        self.run_task(ctx, &handler, TaskKind::Handler, hosts, false)
                            .await
                    }
                }
            };
            self.fail_hosts(ctx, &failed);
        }
    }
}
