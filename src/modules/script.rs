//! `script`: uploads a controller script (found as `files/` are) to a temporary directory on
//! the host and runs it there with its arguments (through `executable` when given, in
//! `chdir`), unless `creates`/`removes` say it already ran; returns rc, stdout and stderr.
//! In check mode it runs nothing: with `creates`/`removes` it reports a change, otherwise
//! it is skipped, as Ansible's action does.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::host::put::find_local;
use crate::modules::host::transfer::{self, Source};
use crate::modules::{
    argnames, typed, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "script",
    args: Some(|| argnames::of::<Args>().to_vec()),
    free_form: FreeForm::Raw,
    run: |ctx, args| Box::pin(typed("script", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    _raw_params: Option<String>,
    cmd: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
    chdir: Option<String>,
    executable: Option<String>,
    /// Vault-encrypted scripts are not decrypted by ferry; the flag is accepted.
    #[allow(dead_code)]
    decrypt: Option<Json>,
}

fn skipped(msg: String) -> ModuleResult {
    let mut r = ModuleResult::ok(Vars::new());
    r.skipped = true;
    r.data.insert("msg".into(), msg.into());
    r
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let raw = args
        .cmd
        .as_deref()
        .or(args._raw_params.as_deref())
        .unwrap_or("")
        .trim();
    let parts = shlex::split(raw).filter(|p| !p.is_empty()).ok_or_else(|| {
        ModuleResult::failed("one of the following is required: _raw_params, cmd")
    })?;
    if let Some(c) = &args.creates {
        if exists(ctx, c).await? {
            return Ok(skipped(format!("{c} exists, matching creates option")));
        }
    }
    if let Some(r) = &args.removes {
        if !exists(ctx, r).await? {
            return Ok(skipped(format!(
                "{r} does not exist, matching removes option"
            )));
        }
    }
    if let Some(dir) = args.chdir.as_deref().filter(|d| !d.starts_with('/')) {
        let msg = format!("chdir {dir} must be an absolute path for a Unix-aware remote node");
        return Err(ModuleResult::failed(msg));
    }
    let source = find_local(ctx, &parts[0], "files")
        .ok_or_else(|| ModuleResult::failed(format!("Could not find or access '{}'", parts[0])))?;
    if ctx.check_mode {
        return Ok(match args.creates.is_some() || args.removes.is_some() {
            true => ModuleResult {
                changed: true,
                ..Default::default()
            },
            false => skipped("Check mode is not supported for this task.".into()),
        });
    }
    let tmp = host::run(ctx, "mktemp -d \"${TMPDIR:-/tmp}/ferry-script.XXXXXXXX\"").await?;
    let tmp = tmp.trim_end();
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let remote = format!("{tmp}/{name}");
    let result = upload_and_run(ctx, &args, &source, &remote, raw, &parts[0]).await;
    let _ = ctx.exec(&format!("rm -rf -- {}", quote(tmp))).await;
    result
}

async fn exists(ctx: &ModuleCtx<'_>, path: &str) -> Result<bool, ModuleResult> {
    let out = host::run(
        ctx,
        &format!("[ -e {} ] && echo yes || echo no", quote(path)),
    )
    .await?;
    Ok(out.trim() == "yes")
}

/// Puts the script at `remote`, makes it executable and runs the task's command line with
/// the script's name replaced by it.
async fn upload_and_run(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    source: &std::path::Path,
    remote: &str,
    raw: &str,
    first: &str,
) -> Outcome {
    transfer::write(ctx, remote, Source::File(source)).await?;
    let rest = raw
        .strip_prefix(first)
        .unwrap_or(raw.split_once(' ').map_or("", |(_, r)| r));
    let mut line = String::new();
    if let Some(dir) = &args.chdir {
        line.push_str(&format!("cd {} || exit 1; ", quote(dir)));
    }
    line.push_str(&format!("chmod u+x {q}; ", q = quote(remote)));
    if let Some(e) = &args.executable {
        line.push_str(e);
        line.push(' ');
    }
    line.push_str(&quote(remote));
    line.push_str(rest);
    let out = ctx
        .exec(&line)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    let lines = |s: &str| Json::Array(s.lines().map(|l| Json::String(l.into())).collect());
    let mut data = Vars::new();
    data.insert("rc".into(), out.rc.into());
    data.insert("stdout".into(), out.stdout.clone().into());
    data.insert("stdout_lines".into(), lines(&out.stdout));
    data.insert("stderr".into(), out.stderr.clone().into());
    data.insert("stderr_lines".into(), lines(&out.stderr));
    let failed = out.rc != 0;
    if failed {
        data.insert("msg".into(), "non-zero return code".into());
    }
    Ok(ModuleResult {
        changed: true,
        failed,
        data,
        ..Default::default()
    })
}
