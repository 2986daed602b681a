//! `slurp`: returns a remote file's content base64-encoded, as Ansible's module does (the
//! caller decodes it with `b64decode`).

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "slurp",
    path_args: &["src", "path"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("slurp", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(alias = "path")]
    src: String,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let p = quote(&args.src);
    let script = format!(
        "if [ -d {p} ]; then echo dir; elif [ ! -e {p} ]; then echo missing; \
         elif [ ! -r {p} ]; then echo unreadable; else echo ok; base64 -w0 -- {p}; echo; fi"
    );
    let out = host::run(ctx, &script).await?;
    let (state, content) = out.split_once('\n').unwrap_or((out.as_str(), ""));
    let msg = match state {
        "ok" => None,
        "dir" => Some(format!(
            "source is a directory and must be a file: {}",
            args.src
        )),
        "missing" => Some(format!("file not found: {}", args.src)),
        _ => Some(format!("file is not readable: {}", args.src)),
    };
    if let Some(msg) = msg {
        return Err(ModuleResult::failed(msg));
    }
    let mut data = Vars::new();
    data.insert("content".into(), content.trim_end().into());
    data.insert("encoding".into(), "base64".into());
    data.insert("source".into(), args.src.into());
    Ok(ModuleResult::ok(data))
}
