//! Running a script on the host the way the file modules want it: stdout on success, the
//! module's failure (rc and stderr) otherwise; and reading remote files' bytes.

use base64::Engine;

use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};

/// Runs `script`; a non-zero exit is the module's failure (with stderr).
pub(crate) async fn run(ctx: &ModuleCtx<'_>, script: &str) -> Result<String, ModuleResult> {
    match ctx.exec(script).await {
        Ok(out) if out.rc == 0 => Ok(out.stdout),
        Ok(out) => {
            let err = out.stderr.trim();
            let msg = if err.is_empty() {
                format!("command failed with rc={}", out.rc)
            } else {
                err.to_string()
            };
            let mut r = ModuleResult::failed(msg);
            r.data.insert("rc".into(), out.rc.into());
            Err(r)
        }
        Err(e) => Err(ModuleResult::unreachable(&e)),
    }
}

/// Reads a remote file's bytes.
pub(crate) async fn read(ctx: &ModuleCtx<'_>, path: &str) -> Result<Vec<u8>, ModuleResult> {
    let out = run(ctx, &format!("base64 -w0 -- {} ; echo", quote(path))).await?;
    base64::engine::general_purpose::STANDARD
        .decode(out.trim())
        .map_err(|e| ModuleResult::failed(format!("cannot decode {path}: {e}")))
}

/// Reads several remote files' bytes in one command (`None` for one that cannot be read).
/// With an `encoding`, the text is converted to UTF-8 on the host first.
pub(crate) async fn read_each(
    ctx: &ModuleCtx<'_>,
    paths: &[&str],
    encoding: Option<&str>,
) -> Result<Vec<Option<Vec<u8>>>, ModuleResult> {
    let mut script = String::new();
    for p in paths {
        let p = quote(p);
        match encoding {
            Some(e) => script.push_str(&format!(
                "iconv -f {} -t UTF-8 -- {p} 2>/dev/null | base64 -w0; echo; ",
                quote(e)
            )),
            None => script.push_str(&format!("base64 -w0 -- {p} 2>/dev/null; echo; ")),
        }
    }
    let out = run(ctx, &script).await?;
    let engine = base64::engine::general_purpose::STANDARD;
    Ok(out
        .split('\n')
        .take(paths.len())
        .map(|l| engine.decode(l.trim()).ok())
        .collect())
}
