//! Background jobs on a host (`async:`), run by `sh` alone — no Python on the host.
//!
//! ferry's layout differs from Ansible's (one JSON file `~/.ansible_async/<jid>` written by
//! Python's async_wrapper): `~/.ansible_async/<jid>/` (under `ansible_async_dir` when a host
//! sets it, as Ansible's sh shell plugin reads it) is a directory holding `meta` (what the
//! controller needs to build the result: the `cmd` and the output options, as JSON), `pid`,
//! `start`, `stdout`, `stderr`, then `end` and `rc` (written last: the job is finished when
//! `rc` exists) and `timeout` when the job was killed for running past its limit (a second after the kill,
//! as Ansible's wrapper writes its "Timeout exceeded" result; a job being killed reads as
//! running until then). The
//! directory is the job's `results_file`; `async_status mode=cleanup` removes it.

use serde_json::Value as Json;

use crate::connection::{quote, ConnError, ExecOutput};
use crate::modules::ModuleCtx;

/// A job to start in the background instead of running in the foreground.
#[derive(Debug, Clone)]
pub struct AsyncJob {
    /// The job id (`j<12 digits>.<controller pid>`, as Ansible makes them).
    pub jid: String,
    /// Seconds after which the job is killed.
    pub limit: u64,
}

impl AsyncJob {
    /// A new job with a fresh id.
    pub fn new(limit: u64) -> AsyncJob {
        let n: u64 = rand::random_range(0..1_000_000_000_000);
        AsyncJob {
            jid: format!("j{n:012}.{}", std::process::id()),
            limit,
        }
    }
}

/// The shell expression of a job's directory: under the host's `ansible_async_dir`, else
/// `~/.ansible_async`.
fn dir(ctx: &ModuleCtx<'_>, jid: &str) -> String {
    let base = match ctx.vars.get("ansible_async_dir").and_then(Json::as_str) {
        Some("~") => "\"$HOME\"".to_string(),
        Some(d) => match d.strip_prefix("~/") {
            Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
            None => quote(d),
        },
        None => "\"$HOME\"/.ansible_async".to_string(),
    };
    format!("{base}/{}", quote(jid))
}

/// Starts `script` as a background job with `meta` saved beside it; returns the job's
/// directory (its `results_file`).
pub(crate) async fn launch(
    ctx: &ModuleCtx<'_>,
    job: &AsyncJob,
    script: &str,
    meta: &Json,
) -> Result<ExecOutput, ConnError> {
    let run = quote(script);
    let limit = job.limit;
    let line = format!(
        "d={dir}; mkdir -p \"$d\" && cd \"$d\" || exit 1; printf '%s' {meta} > meta; \
         ( date +%s.%N > start; \
           if command -v setsid >/dev/null 2>&1; then setsid sh -c {run} > stdout 2> stderr < /dev/null & \
           else sh -c {run} > stdout 2> stderr < /dev/null & fi; \
           child=$!; echo $child > pid; \
           ( n=0; while [ $n -lt {limit} ] && kill -0 $child 2>/dev/null; do sleep 1; n=$((n+1)); done; \
             if kill -0 $child 2>/dev/null; then : > killing; kill -9 -$child 2>/dev/null || kill -9 $child; fi ) & \
           wait $child; rc=$?; date +%s.%N > end; \
           if [ -f killing ]; then sleep 1; : > timeout; else echo $rc > rc.tmp; mv rc.tmp rc; fi \
         ) > /dev/null 2>&1 < /dev/null & \
         pwd",
        dir = dir(ctx, &job.jid),
        meta = quote(&meta.to_string()),
    );
    ctx.exec(&line).await
}

/// What the host says of a job.
pub(crate) enum JobState {
    /// No such job (never started, or cleaned up).
    Missing { path: String },
    /// Still running.
    Running { path: String },
    /// Killed for running past its limit.
    TimedOut { path: String, pid: String },
    /// Finished: its exit status, times (seconds since the epoch), `meta`, and output.
    Done {
        path: String,
        rc: i32,
        start: f64,
        end: f64,
        meta: Json,
        output: ExecOutput,
    },
}

/// Reads the state of job `jid`.
pub(crate) async fn read(ctx: &ModuleCtx<'_>, jid: &str) -> Result<JobState, ConnError> {
    let d = dir(ctx, jid);
    let head = format!(
        "d={d}; cd \"$d\" 2>/dev/null || {{ echo missing; echo \"$d\"; exit 0; }}; \
         if [ -f timeout ]; then echo timeout; elif [ -f rc ]; then echo done; else echo running; fi; \
         pwd; cat rc 2>/dev/null || echo; cat start 2>/dev/null || echo; cat end 2>/dev/null || echo; \
         cat pid 2>/dev/null || echo; cat meta 2>/dev/null"
    );
    let out = ctx.exec(&head).await?;
    let mut lines = out.stdout.lines();
    let mut next = || lines.next().unwrap_or("").trim().to_string();
    let (state, path) = (next(), next());
    let (rc, start, end, pid) = (next(), next(), next(), next());
    let meta = serde_json::from_str(&next()).unwrap_or(Json::Null);
    Ok(match state.as_str() {
        "missing" => JobState::Missing { path },
        "running" => JobState::Running { path },
        "timeout" => JobState::TimedOut { path, pid },
        _ => {
            let output = ctx
                .exec(&format!("cd {d} && cat stdout && cat stderr >&2"))
                .await?;
            let output = ExecOutput {
                rc: rc.parse().unwrap_or(-1),
                ..output
            };
            JobState::Done {
                path,
                rc: output.rc,
                start: seconds(&start),
                end: seconds(&end),
                meta,
                output,
            }
        }
    })
}

/// Removes job `jid`'s directory; returns its path.
pub(crate) async fn erase(ctx: &ModuleCtx<'_>, jid: &str) -> Result<Option<String>, ConnError> {
    let line = format!(
        "d={}; [ -d \"$d\" ] || exit 0; cd \"$d\" && pwd && cd / && rm -rf \"$d\"",
        dir(ctx, jid)
    );
    let out = ctx.exec(&line).await?;
    let path = out.stdout.trim();
    Ok((!path.is_empty()).then(|| path.to_string()))
}

/// `date +%s.%N` text as seconds (a `date` without `%N` gives whole seconds).
fn seconds(text: &str) -> f64 {
    text.parse()
        .or_else(|_| text.split('.').next().unwrap_or("").parse())
        .unwrap_or(0.0)
}
