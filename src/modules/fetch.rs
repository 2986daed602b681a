//! `fetch`: copies a file from the host to the controller, into `dest/<host>/<path>` (or
//! `dest` itself with `flat: yes`); compares checksums first.

use std::path::PathBuf;

use serde::Deserialize;

use crate::modules::remote;
use crate::modules::{de_bool, parse_args, FreeForm, ModuleCtx, ModuleResult, ModuleSpec};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "fetch",
    args: Some(&[
        "dest",
        "fail_on_missing",
        "flat",
        "src",
        "validate_checksum",
    ]),
    free_form: FreeForm::KeyValue,
    run: |ctx, args| Box::pin(run(ctx, args)),
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    flat: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    fail_on_missing: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_checksum: bool,
}

fn yes() -> bool {
    true
}

async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let args: Args = match parse_args("fetch", args) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let st = match remote::stat(ctx, &args.src, true).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !st.is_file() {
        let msg = format!(
            "the remote file does not exist, not transferring, ignored: {}",
            args.src
        );
        if args.fail_on_missing {
            return ModuleResult::failed(msg);
        }
        let mut r = ModuleResult::ok(Vars::new());
        r.data.insert("msg".into(), msg.into());
        return r;
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
    let local_sum = std::fs::read(&dest).ok().map(|d| remote::sha1_hex(&d));
    let mut data = Vars::new();
    data.insert("dest".into(), dest.display().to_string().into());
    data.insert("remote_checksum".into(), remote_sum.clone().into());
    data.insert("checksum".into(), remote_sum.clone().into());
    if local_sum.as_deref() == Some(remote_sum.as_str()) {
        return ModuleResult::ok(data);
    }
    if !ctx.check_mode {
        let bytes = match remote::read(ctx, &args.src).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        if args.validate_checksum && remote::sha1_hex(&bytes) != remote_sum {
            return ModuleResult::failed("checksum mismatch after transfer");
        }
        if let Some(parent) = dest.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return ModuleResult::failed(format!("cannot create {}: {e}", parent.display()));
            }
        }
        let tmp = dest.with_extension("ferry-tmp");
        if let Err(e) = std::fs::write(&tmp, &bytes).and_then(|_| std::fs::rename(&tmp, &dest)) {
            return ModuleResult::failed(format!("cannot write {}: {e}", dest.display()));
        }
    }
    ModuleResult {
        changed: true,
        data,
        ..Default::default()
    }
}
