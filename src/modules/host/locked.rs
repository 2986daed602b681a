//! A package manager's command run again while another process holds its lock, for up to
//! the task's `lock_timeout` seconds (dnf's and rpm's; apt's and dpkg's through
//! `host/apt.rs`).

use std::time::{Duration, Instant};

use crate::connection::ExecOutput;
use crate::modules::{ModuleCtx, ModuleResult};

/// Runs `script`, again every second while `held` says the lock was busy, until
/// `lock_timeout` seconds have passed; the last run's output.
pub(crate) async fn exec_until_free(
    ctx: &ModuleCtx<'_>,
    script: &str,
    lock_timeout: u64,
    held: impl Fn(&ExecOutput) -> bool,
) -> Result<ExecOutput, ModuleResult> {
    let deadline = Instant::now() + Duration::from_secs(lock_timeout);
    loop {
        let out = ctx
            .exec(script)
            .await
            .map_err(|e| ModuleResult::unreachable(&e))?;
        if !held(&out) || Instant::now() >= deadline {
            return Ok(out);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
