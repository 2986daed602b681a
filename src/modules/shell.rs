//! `shell`: runs a command line through a shell on the host (`/bin/sh`, or `executable`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::command::{run_remote, Common};
use crate::modules::{
    argnames, typed_parts, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "shell",
    path_args: &["chdir", "creates", "removes"],
    background: true,
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Common>()].concat()),
    free_form: FreeForm::Raw,
    run: |ctx, args| {
        Box::pin(typed_parts(
            "shell",
            args,
            |a, common| Args { common, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

// No deny_unknown_fields: the mapping also holds the separately read part's names, checked at load.
#[derive(Deserialize)]
struct Args {
    _raw_params: Option<String>,
    cmd: Option<String>,
    executable: Option<String>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    common: Common,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let Some(text) = args
        .cmd
        .or(args._raw_params)
        .filter(|t| !t.trim().is_empty())
    else {
        return ModuleResult::failed("no command given");
    };
    let shell = args.executable.as_deref().unwrap_or("/bin/sh");
    let line = format!("exec {} -c {}", quote(shell), quote(&text));
    run_remote(ctx, &args.common, &line, Json::String(text)).await
}
