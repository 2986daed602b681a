//! `reboot`: reboots the host and waits for it to come back, as ansible.builtin.reboot does:
//! the boot id (`boot_time_command`) read first, the reboot command (`shutdown -r` found in
//! `search_paths`, or `reboot_command`) run with a dropped connection counting as success,
//! then, within `reboot_timeout`, the connection made again through the run's pool
//! (`connect_timeout` for each try) until the boot id has changed and `test_command`
//! succeeds. Returns `rebooted` and `elapsed` seconds. Under --check it reboots nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::{argnames, de_opt_u64, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec};
use crate::modules::{Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "reboot",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("reboot", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(
        default = "six_hundred",
        deserialize_with = "de_u64",
        alias = "reboot_timeout_sec"
    )]
    reboot_timeout: u64,
    #[serde(
        default,
        deserialize_with = "de_opt_u64",
        alias = "connect_timeout_sec"
    )]
    connect_timeout: Option<u64>,
    #[serde(default, deserialize_with = "de_u64", alias = "pre_reboot_delay_sec")]
    pre_reboot_delay: u64,
    #[serde(default, deserialize_with = "de_u64", alias = "post_reboot_delay_sec")]
    post_reboot_delay: u64,
    #[serde(default = "whoami")]
    test_command: String,
    #[serde(default = "message")]
    msg: String,
    reboot_command: Option<String>,
    #[serde(default = "boot_id")]
    boot_time_command: String,
    #[serde(default = "paths")]
    search_paths: Vec<String>,
}

fn six_hundred() -> u64 {
    600
}

fn whoami() -> String {
    "whoami".into()
}

fn message() -> String {
    "Reboot initiated by Ansible".into()
}

fn boot_id() -> String {
    "cat /proc/sys/kernel/random/boot_id".into()
}

fn paths() -> Vec<String> {
    ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"]
        .map(String::from)
        .to_vec()
}

/// The longest pause between two tries, as Ansible's.
const MAX_PAUSE: Duration = Duration::from_secs(12);

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let mut data = Vars::new();
    data.insert("rebooted".into(), true.into());
    if ctx.check_mode {
        data.insert("elapsed".into(), 0.into());
        return Ok(ModuleResult {
            changed: true,
            ..ModuleResult::ok(data)
        });
    }
    let before = boot_time(ctx, &args.boot_time_command).await.map_err(|e| {
        ModuleResult::failed(format!(
            "Failed to get last boot time information. Error was: {e}"
        ))
    })?;
    let command = reboot_line(ctx, &args).await?;
    let start = Instant::now();
    perform(ctx, &command).await?;
    tokio::time::sleep(Duration::from_secs(args.post_reboot_delay)).await;
    let deadline = start + Duration::from_secs(args.reboot_timeout);
    let per_try = Duration::from_secs(args.connect_timeout.unwrap_or(10).max(1));
    let checked = until(ctx, deadline, per_try, || async {
        match boot_time(ctx, &args.boot_time_command).await {
            Ok(now) if now != before => Ok(()),
            Ok(_) => Err("boot time has not changed".to_string()),
            Err(e) => Err(e),
        }
    })
    .await;
    let timeout = args.reboot_timeout;
    let failed = |what: &str, e: String| {
        let mut r = ModuleResult::failed(format!(
            "Timed out waiting for {what} (timeout={timeout}): {e}"
        ));
        r.data.insert("rebooted".into(), true.into());
        r
    };
    checked.map_err(|e| failed("last boot time check", e))?;
    until(ctx, deadline, per_try, || async {
        let out = ctx
            .exec(&args.test_command)
            .await
            .map_err(|e| e.to_string())?;
        match out.rc {
            0 => Ok(()),
            rc => Err(format!("Test command failed: {} {}", rc, out.stderr.trim())),
        }
    })
    .await
    .map_err(|e| failed("post-reboot test command", e))?;
    data.insert("elapsed".into(), start.elapsed().as_secs().into());
    Ok(ModuleResult {
        changed: true,
        ..ModuleResult::ok(data)
    })
}

/// The host's boot id (or boot time) as `command` prints it.
async fn boot_time(ctx: &ModuleCtx<'_>, command: &str) -> Result<String, String> {
    let out = ctx.exec(command).await.map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!("{}, {}", out.stdout.trim(), out.stderr.trim()));
    }
    Ok(out.stdout.trim().to_string())
}

/// The reboot command: `reboot_command` (its program looked up in `search_paths` when it is
/// not a path), or `shutdown -r` with the delay in minutes and the message.
async fn reboot_line(ctx: &ModuleCtx<'_>, args: &Args) -> Result<String, ModuleResult> {
    let (program, rest) = match &args.reboot_command {
        Some(c) => {
            let c = c.trim();
            let (p, r) = c.split_once(char::is_whitespace).unwrap_or((c, ""));
            (p.to_string(), r.trim().to_string())
        }
        None => (
            "shutdown".to_string(),
            format!("-r +{} {}", args.pre_reboot_delay / 60, quote(&args.msg)),
        ),
    };
    if program.starts_with('/') {
        return Ok(format!("{program} {rest}"));
    }
    let dirs: Vec<String> = args.search_paths.iter().map(|p| quote(p)).collect();
    let find = format!(
        "for d in {}; do if [ -x \"$d\"/{p} ] && [ ! -d \"$d\"/{p} ]; then echo \"$d\"/{p}; exit 0; fi; done; exit 1",
        dirs.join(" "),
        p = quote(&program)
    );
    match ctx.exec(&find).await {
        Ok(out) if out.rc == 0 => Ok(format!("{} {rest}", out.stdout.trim())),
        Ok(_) => {
            let listed: Vec<String> = args.search_paths.iter().map(|p| format!("'{p}'")).collect();
            Err(ModuleResult::failed(format!(
                "Unable to find command \"{program}\" in search paths: [{}]",
                listed.join(", ")
            )))
        }
        Err(e) => Err(ModuleResult::unreachable(&e)),
    }
}

/// Runs the reboot command: a connection that drops (or hangs) while it runs is the reboot
/// happening; a command that fails is the task's failure.
async fn perform(ctx: &ModuleCtx<'_>, command: &str) -> Result<(), ModuleResult> {
    let ran = tokio::time::timeout(Duration::from_secs(30), ctx.exec(command)).await;
    ctx.reconnect().await;
    match ran {
        Ok(Ok(out)) if out.rc != 0 => {
            let mut r = ModuleResult::failed(format!(
                "Reboot command failed. Error was: '{}, {}'",
                out.stdout.trim(),
                out.stderr.trim()
            ));
            r.data.insert("rebooted".into(), false.into());
            Err(r)
        }
        _ => Ok(()),
    }
}

/// Tries `attempt` (each within `per_try`, on a fresh connection) until it succeeds or
/// `deadline` passes, pausing 1, 2, 4... (at most 12) seconds between tries; the last
/// error when time is up.
async fn until<F, Fut>(
    ctx: &ModuleCtx<'_>,
    deadline: Instant,
    per_try: Duration,
    mut attempt: F,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut pause = Duration::from_secs(1);
    loop {
        let err = match tokio::time::timeout(per_try, attempt()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(_) => format!("timed out after {} seconds", per_try.as_secs()),
        };
        ctx.reconnect().await;
        if Instant::now() + pause > deadline {
            return Err(err);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
