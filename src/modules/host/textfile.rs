//! A whole text file read, then replaced when its new text differs, as the modules that own a
//! file's lines do (cron, sysctl, mount's fstab, modprobe's conf files, authorized_key,
//! known_hosts, hostname): check mode writes nothing, `backup` keeps a copy, `--diff` shows
//! the change. Not for files other modules write byte for byte (`put.rs` does that).

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// Marks a missing file in what the read prints.
const ABSENT: &str = "__ferry_absent__";

/// The text of `path`, or `None` when nothing is there.
pub(crate) async fn read(ctx: &ModuleCtx<'_>, path: &str) -> Result<Option<String>, ModuleResult> {
    let p = quote(path);
    let out = host::run(
        ctx,
        &format!("if [ -e {p} ]; then base64 -w0 -- {p}; echo; else echo {ABSENT}; fi"),
    )
    .await?;
    let out = out.trim();
    if out == ABSENT {
        return Ok(None);
    }
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(out)
        .map_err(|e| ModuleResult::failed(format!("cannot decode {path}: {e}")))?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// How a changed file is written.
#[derive(Default, Clone, Copy)]
pub(crate) struct WriteOpts<'a> {
    /// Keep a timestamped copy of the old file (`backup: yes`).
    pub backup: bool,
    /// The mode of a file created here (an existing file keeps its own).
    pub mode: Option<&'a str>,
    /// The owner of a file created here.
    pub owner: Option<&'a str>,
}

/// A diff as Ansible's modules that own a file's text register it: `{before, after}` with
/// the header of each, (header, text).
pub(crate) fn text_diff(before: (&str, &str), after: (&str, &str)) -> Json {
    serde_json::json!({
        "before_header": before.0,
        "before": before.1,
        "after_header": after.0,
        "after": after.1,
    })
}

/// Writes `after` to `path` when it differs from `before` (what [`read`] found); records
/// `backup_file` and `diff` in `data`. True when it changed (or would, in check mode).
pub(crate) async fn replace(
    ctx: &ModuleCtx<'_>,
    path: &str,
    before: Option<&str>,
    after: &str,
    opts: WriteOpts<'_>,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    if before == Some(after) {
        return Ok(false);
    }
    if ctx.diff_mode() {
        let d = text_diff((path, before.unwrap_or("")), (path, after));
        data.insert("diff".into(), d);
    }
    if ctx.check_mode {
        return Ok(true);
    }
    if opts.backup && before.is_some() {
        let name = host::put::backup(ctx, path).await?;
        data.insert("backup_file".into(), Json::String(name));
    }
    host::write(ctx, path, after.as_bytes()).await?;
    if before.is_none() {
        let p = quote(path);
        let mut fix = String::new();
        if let Some(mode) = opts.mode {
            fix.push_str(&format!("chmod {} -- {p}; ", quote(mode)));
        }
        if let Some(owner) = opts.owner {
            fix.push_str(&format!("chown {} -- {p}; ", quote(owner)));
        }
        if !fix.is_empty() {
            host::run(ctx, &fix).await?;
        }
    }
    Ok(true)
}

/// Removes `path` when it exists (`before` is what [`read`] found); true when it did (or
/// would).
pub(crate) async fn remove(
    ctx: &ModuleCtx<'_>,
    path: &str,
    before: Option<&str>,
    backup: bool,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    let Some(before) = before else {
        return Ok(false);
    };
    if ctx.diff_mode() {
        data.insert("diff".into(), text_diff((path, before), ("/dev/null", "")));
    }
    if !ctx.check_mode {
        if backup {
            let name = host::put::backup(ctx, path).await?;
            data.insert("backup_file".into(), Json::String(name));
        }
        host::run(ctx, &format!("rm -f -- {}", quote(path))).await?;
    }
    Ok(true)
}

/// Runs `cmd` with `input` on its stdin (a crontab, a file's new text); its stdout, or the
/// task's failure with its stderr.
pub(crate) async fn feed(
    ctx: &ModuleCtx<'_>,
    cmd: &str,
    input: &str,
) -> Result<String, ModuleResult> {
    let out = ctx
        .exec_stdin(cmd, input.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    match out.rc {
        0 => Ok(out.stdout),
        _ => Err(ModuleResult::failed(out.stderr.trim().to_string())),
    }
}

/// What Ansible's module runner adds to a result that names an existing `path`: its owner,
/// group, ids, mode, size and type as `state`.
pub(crate) async fn add_path_info(
    ctx: &ModuleCtx<'_>,
    path: &str,
    data: &mut Vars,
) -> Result<(), ModuleResult> {
    let st = host::stat(ctx, path, false).await?;
    if st.exists {
        data.extend(host::path_result(path, &st));
    }
    Ok(())
}

/// Text as lines ending in a newline each (an empty text has none).
pub(crate) fn join_lines<S: AsRef<str>>(lines: &[S]) -> String {
    lines.iter().fold(String::new(), |mut s, l| {
        s.push_str(l.as_ref());
        s.push('\n');
        s
    })
}
