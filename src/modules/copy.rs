//! `copy`: puts a local file, a directory tree or inline `content` on the host. It compares
//! sha1 checksums first and writes only what differs (atomically), then fixes mode and owner.

use std::path::Path;

use serde_json::Value as Json;

use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::copy_args::Args;
use crate::modules::host::put::{decrypted_local, find_local, put_file, resolve_link};
use crate::modules::host::transfer::Source;
use crate::modules::{IntoResult, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "copy",
    path_args: &["dest"],
    action_paths: &["dest"],
    written_path: Some(written_path),
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("copy", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

async fn run(ctx: &ModuleCtx<'_>, mut args: Args) -> ModuleResult {
    if args.follow {
        match resolve_link(ctx, &args.dest).await {
            Ok(dest) => args.dest = dest,
            Err(r) => return r,
        }
    }
    if let (true, Some(src)) = (args.remote_src, &args.src) {
        return super::copy_remote::run(ctx, &args, src).await.into_result();
    }
    match (&args.src, &args.content) {
        (Some(_), Some(_)) => ModuleResult::failed("src and content are mutually exclusive"),
        (None, None) => ModuleResult::failed("src (or content) is required"),
        (None, Some(content)) => {
            let text = match content {
                Json::String(s) => s.clone(),
                other => crate::pyjson::dumps(other, None, false),
            };
            put_file(ctx, &args, Source::Bytes(text.as_bytes()), &args.dest).await
        }
        (Some(src), None) => {
            let Some(local) = find_local(ctx, src, "files") else {
                return ModuleResult::failed(format!(
                    "Could not find or access '{src}' on the Ansible Controller."
                ));
            };
            if local.is_dir() {
                return super::copy_tree::run(ctx, &args, &local, src.ends_with('/'))
                    .await
                    .into_result();
            }
            let dest = if args.dest.ends_with('/') {
                format!("{}{}", args.dest, file_name(&local))
            } else {
                args.dest.clone()
            };
            let plain = match decrypted_local(&local, args.decrypt) {
                Ok(plain) => plain,
                Err(r) => return r,
            };
            let source = match &plain {
                Some(bytes) => Source::Bytes(bytes),
                None => Source::File(&local),
            };
            let mut r = put_file(ctx, &args, source, &dest).await;
            r.data
                .insert("src".into(), local.display().to_string().into());
            r
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file a `copy` or `template` task with these rendered arguments writes, when it is
/// known before the task runs (not for a directory copy or a directory `dest`).
pub(crate) fn written_path(args: &Vars) -> Option<&str> {
    let dest = args.get("dest").and_then(Json::as_str)?;
    let src = args.get("src").and_then(Json::as_str).unwrap_or("");
    (!dest.is_empty() && !dest.ends_with('/') && !src.ends_with('/')).then_some(dest)
}
