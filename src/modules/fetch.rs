//! `fetch`: copies a file from the host to the controller, into `dest/<host>/<path>` (or
//! `dest` itself with `flat: yes`); compares checksums first.

use std::path::PathBuf;

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{
    argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "fetch",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("fetch", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    flat: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    fail_on_missing: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    validate_checksum: bool,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let st = host::stat(ctx, &args.src, true).await?;
    if !st.is_file() {
        let msg = format!(
            "the remote file does not exist, not transferring, ignored: {}",
            args.src
        );
        if args.fail_on_missing {
            return Ok(ModuleResult::failed(msg));
        }
        let mut r = ModuleResult::ok(Vars::new());
        r.data.insert("msg".into(), msg.into());
        return Ok(r);
    }
    let dest = if args.flat {
        if args.dest.ends_with('/') {
            let name = args.src.rsplit('/').next().unwrap_or(&args.src);
            PathBuf::from(format!("{}{name}", args.dest))
        } else {
            PathBuf::from(&args.dest)
        }
    } else {
        PathBuf::from(&args.dest)
            .join(ctx.host)
            .join(args.src.trim_start_matches('/'))
    };
    let remote_sum = st.sha1.clone().unwrap_or_default();
    let local_sum = crate::modules::host::transfer::file_sha1(&dest).ok();
    let mut data = Vars::new();
    data.insert("dest".into(), dest.display().to_string().into());
    data.insert("remote_checksum".into(), remote_sum.clone().into());
    data.insert("checksum".into(), remote_sum.clone().into());
    if local_sum.as_deref() == Some(remote_sum.as_str()) {
        return Ok(ModuleResult::ok(data));
    }
    if !ctx.check_mode {
        download(ctx, &args.src, &dest, &remote_sum, args.validate_checksum).await?;
    }
    Ok(ModuleResult {
        changed: true,
        data,
        ..Default::default()
    })
}

/// Copies the remote `src` to `dest` through a temporary file beside it, streamed (or read
/// whole under become with a password, which needs the command's stdin); checks the sha1.
async fn download(
    ctx: &ModuleCtx<'_>,
    src: &str,
    dest: &std::path::Path,
    remote_sum: &str,
    validate: bool,
) -> Result<(), ModuleResult> {
    let failed = |what: &str, e: std::io::Error| {
        ModuleResult::failed(format!("cannot {what} {}: {e}", dest.display()))
    };
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| failed("create the directory of", e))?;
    }
    let tmp = dest.with_extension("ferry-tmp");
    let result = async {
        if ctx.become_.is_some_and(|b| b.password.is_some()) {
            let bytes = host::read(ctx, src).await?;
            std::fs::write(&tmp, &bytes).map_err(|e| failed("write", e))?;
        } else {
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| failed("write", e))?;
            let out = ctx
                .exec_to_file(&format!("cat -- {}", quote(src)), &mut file)
                .await
                .map_err(|e| ModuleResult::unreachable(&e))?;
            if out.rc != 0 {
                return Err(ModuleResult::failed(format!(
                    "cannot read {src}: {}",
                    out.stderr.trim()
                )));
            }
            file.sync_all().await.map_err(|e| failed("write", e))?;
        }
        let got = crate::modules::host::transfer::file_sha1(&tmp).map_err(|e| failed("read", e))?;
        if validate && got != remote_sum {
            return Err(ModuleResult::failed("checksum mismatch after transfer"));
        }
        std::fs::rename(&tmp, dest).map_err(|e| failed("write", e))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
