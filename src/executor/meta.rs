//! `meta:` tasks: flush_handlers, noop, clear_host_errors, end_host, end_batch, end_play,
//! end_role, reset_connection, refresh_inventory. They print nothing and count in no recap,
//! as in Ansible; `when` is evaluated per host, except for noop, reset_connection and
//! refresh_inventory, which ignore it with Ansible's warning.

use std::sync::Arc;

use crate::executor::host_task::eval_all;
use crate::executor::play_ctx::PlayCtx;
use crate::executor::Executor;
use crate::playbook::Task;

/// The meta actions that run whatever their `when` says (as ansible-core 2.18 runs them).
const WHEN_IGNORED: &[&str] = &["noop", "refresh_inventory", "reset_connection"];

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
        } else if WHEN_IGNORED.contains(&action) {
            self.warn_once(&format!("{action} task does not support when conditional"));
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
            "end_role" => {
                // The loader allows end_role only in a role's tasks.
                if let Some(role) = &task.role {
                    for host in hosts {
                        ctx.ended_roles.push((host, Arc::clone(role)));
                    }
                }
            }
            "clear_host_errors" => self.clear_host_errors(ctx),
            "reset_connection" => {
                for host in &hosts {
                    self.pool.reset(host).await;
                }
            }
            "refresh_inventory" => self.refresh_inventory(),
            _ => {}
        }
    }

    /// As in Ansible: the failures no longer count (exit code, later plays), but the hosts do
    /// not rejoin this play.
    fn clear_host_errors(&mut self, ctx: &mut PlayCtx<'_>) {
        for host in &ctx.hosts {
            if self.failed_hosts.remove(host) {
                if let Some(state) = self.hosts.get_mut(host) {
                    state.out = false;
                }
            }
        }
        ctx.failed.clear();
    }

    /// `refresh_inventory`: the inventory sources are read again; later plays see the hosts
    /// and groups they now hold, and known hosts their new variables (the running play keeps
    /// its hosts, as in Ansible). Sources that no longer load stop the run with their errors.
    fn refresh_inventory(&mut self) {
        let fresh = match self.inventory.reload() {
            Ok(inventory) => inventory,
            Err(errors) => {
                self.fatal = Some(errors);
                return;
            }
        };
        self.install_inventory(fresh);
    }
}
