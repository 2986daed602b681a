//! Running a script on the host the way the file modules want it: stdout on success, the
//! module's failure (rc and stderr) otherwise; and reading a remote file's bytes.

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
