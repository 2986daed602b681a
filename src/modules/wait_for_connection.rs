//! `wait_for_connection`: waits until the host answers a command again (after a reboot, a
//! network change): after `delay`, it connects through the run's pool, each attempt bounded
//! by `connect_timeout`, forgetting a broken connection and trying every `sleep` seconds
//! until `timeout`. Under `--check` it is skipped, as Ansible's action skips it.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::modules::{argnames, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for_connection",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("wait_for_connection", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default = "five", deserialize_with = "de_u64")]
    connect_timeout: u64,
    #[serde(default, deserialize_with = "de_u64")]
    delay: u64,
    #[serde(default = "one", deserialize_with = "de_u64")]
    sleep: u64,
    #[serde(default = "six_hundred", deserialize_with = "de_u64")]
    timeout: u64,
}

fn five() -> u64 {
    5
}
fn one() -> u64 {
    1
}
fn six_hundred() -> u64 {
    600
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    if ctx.check_mode {
        // Ansible's action skips, saying nothing.
        return ModuleResult {
            skipped: true,
            ..Default::default()
        };
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.delay + args.timeout);
    tokio::time::sleep(Duration::from_secs(args.delay)).await;
    let error = loop {
        let error = match attempt(ctx, args.connect_timeout).await {
            Ok(()) => break None,
            Err(e) => e,
        };
        ctx.conn.pool.reset(ctx.host).await;
        let next = Instant::now() + Duration::from_secs(args.sleep);
        if next >= deadline {
            break Some(error);
        }
        tokio::time::sleep_until(next.into()).await;
    };
    let mut data = Vars::new();
    data.insert("elapsed".into(), start.elapsed().as_secs().into());
    match error {
        None => ModuleResult::ok(data),
        Some(e) => {
            let msg = format!("timed out waiting for ping module test: {e}");
            data.insert("msg".into(), msg.into());
            ModuleResult {
                failed: true,
                data,
                ..Default::default()
            }
        }
    }
}

/// One connect-and-run, within `connect_timeout` seconds.
async fn attempt(ctx: &ModuleCtx<'_>, connect_timeout: u64) -> Result<(), String> {
    let limit = Duration::from_secs(connect_timeout.max(1));
    match tokio::time::timeout(limit, ctx.exec("true")).await {
        Ok(Ok(out)) if out.rc == 0 => Ok(()),
        Ok(Ok(out)) => Err(format!("the test command failed with rc={}", out.rc)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {connect_timeout} seconds")),
    }
}
