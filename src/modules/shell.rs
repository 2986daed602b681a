//! `shell`: runs a command line through a shell on the host (`/bin/sh`, or `executable`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::command::{run_remote, Common};
use crate::modules::{parse_args, FreeForm, ModuleCtx, ModuleResult, ModuleSpec};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "shell",
    args: Some(&[
        "_raw_params",
        "chdir",
        "cmd",
        "creates",
        "executable",
        "removes",
        "stdin",
        "stdin_add_newline",
        "strip_empty_ends",
    ]),
    free_form: FreeForm::Raw,
    run: |ctx, args| Box::pin(run(ctx, args)),
};

// No deny_unknown_fields: serde cannot combine it with flatten; names are checked at load.
#[derive(Deserialize)]
struct Args {
    _raw_params: Option<String>,
    cmd: Option<String>,
    executable: Option<String>,
    #[serde(flatten)]
    common: Common,
}

async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let args: Args = match parse_args("shell", args) {
        Ok(a) => a,
        Err(r) => return r,
    };
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
