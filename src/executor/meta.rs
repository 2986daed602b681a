//! `meta:` tasks: flush_handlers, noop, clear_host_errors, end_host, end_batch, end_play.
//! They print nothing and count in no recap, as in Ansible; `when` is evaluated per host.

use crate::executor::host_task::eval_all;
use crate::executor::play::PlayCtx;
use crate::executor::Executor;
use crate::playbook::Task;

impl Executor {
    /// Runs a meta action for the hosts of `scope` whose `when` holds.
    pub(crate) async fn run_meta(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        action: &str,
        scope: &[String],
    ) {
        let hosts: Vec<String> = if task.when.is_empty() {
            scope.to_vec()
        } else {
            scope
                .iter()
                .filter(|h| {
                    let vars = self.task_vars(ctx, h, task);
                    matches!(eval_all(&task.when, &vars, &self.templar), Ok(true))
                })
                .cloned()
                .collect()
        };
        if hosts.is_empty() && action != "clear_host_errors" {
            return;
        }
        match action {
            "flush_handlers" => self.flush_handlers(ctx).await,
            "end_host" => ctx.active.retain(|h| !hosts.contains(h)),
            "end_batch" => ctx.active.clear(),
            "end_play" => {
                ctx.active.clear();
                ctx.end_play = true;
            }
            "clear_host_errors" => {
                // As in Ansible: the failures no longer count (exit code, later plays), but
                // the hosts do not rejoin this play.
                for host in &ctx.hosts {
                    if self.failed_hosts.remove(host) {
                        if let Some(state) = self.hosts.get_mut(host) {
                            state.out = false;
                        }
                    }
                }
                ctx.failed.clear();
            }
            _ => {}
        }
    }
}
