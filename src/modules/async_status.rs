//! `async_status`: the state of a background job started by a task with `async:` (and, with
//! `mode: cleanup`, removing what it left on the host). The job layout is `host/jobs.rs`.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::host::jobs::{self, JobState};
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "async_status",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("async_status", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    jid: String,
    #[serde(default)]
    mode: Mode,
}

#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Cleanup,
    #[default]
    Status,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    if args.mode == Mode::Cleanup {
        return cleanup(ctx, &args.jid).await;
    }
    status(ctx, &args.jid).await
}

/// The job's state as Ansible's async_status reports it (a finished job's result is its
/// module's, with `finished: 1`).
pub(crate) async fn status(ctx: &ModuleCtx<'_>, jid: &str) -> ModuleResult {
    let state = match jobs::read(ctx, jid).await {
        Ok(s) => s,
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let (path, mut r, finished) = match state {
        JobState::Missing { path } => (path, ModuleResult::failed("could not find job"), 1),
        JobState::Running { path } => (path, ModuleResult::ok(Vars::new()), 0),
        JobState::TimedOut { path, pid } => {
            let mut r = ModuleResult::failed("Timeout exceeded");
            r.data
                .insert("child_pid".into(), pid.parse().unwrap_or(0).into());
            (path, r, 1)
        }
        JobState::Done {
            path,
            rc,
            start,
            end,
            meta,
            output,
        } => {
            let mut r =
                crate::modules::ansiballz::job_result(&meta, &output).unwrap_or_else(|| {
                    crate::modules::command::finished(&meta, &output, rc, start, end)
                });
            add_path_info(ctx, &mut r.data).await;
            (path, r, 1)
        }
    };
    let mut base = empty_output(jid);
    base.insert("results_file".into(), path.into());
    base.insert("started".into(), 1.into());
    base.insert("finished".into(), finished.into());
    base.append(&mut r.data);
    r.data = base;
    r
}

/// What Ansible's async_status adds, as every `AnsibleModule` result gets it, to a result
/// naming a `path` (else a `dest`) that exists on the host: its owner, mode, size and state.
async fn add_path_info(ctx: &ModuleCtx<'_>, data: &mut Vars) {
    let named = data.get("path").or_else(|| data.get("dest"));
    let Some(path) = named.and_then(Json::as_str).map(str::to_string) else {
        return;
    };
    let Ok(st) = crate::modules::host::stat(ctx, &path, false).await else {
        return;
    };
    if st.exists {
        let mut info = crate::modules::host::path_result(&path, &st);
        info.shift_remove("path");
        data.extend(info);
    }
}

/// `mode: cleanup`: removes the job's directory.
async fn cleanup(ctx: &ModuleCtx<'_>, jid: &str) -> ModuleResult {
    let mut r = match jobs::erase(ctx, jid).await {
        Ok(Some(path)) => {
            let mut data = Vars::new();
            data.insert("erased".into(), path.into());
            ModuleResult::ok(data)
        }
        Ok(None) => {
            let mut r = ModuleResult::failed("could not find job");
            r.data.insert("started".into(), 1.into());
            r.data.insert("finished".into(), 1.into());
            r
        }
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let mut base = empty_output(jid);
    base.insert("started".into(), 0.into());
    base.insert("finished".into(), 0.into());
    base.append(&mut r.data);
    r.data = base;
    r
}

/// What Ansible's async_status action starts every result with.
fn empty_output(jid: &str) -> Vars {
    let mut v = Vars::new();
    v.insert("ansible_job_id".into(), jid.into());
    for k in ["stdout", "stderr"] {
        v.insert(k.into(), "".into());
        v.insert(format!("{k}_lines"), Json::Array(Vec::new()));
    }
    v
}
