//! `raw`: sends the command line to the host as it is, with no module code around it (the way
//! to bootstrap a host). It cannot report what it would do, so `--check` skips it.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::command::{exited, output_limit, put_output};
use crate::modules::{argnames, typed, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "raw",
    args: Some(|| argnames::of::<Args>().to_vec()),
    free_form: FreeForm::Raw,
    supports_check: false,
    run: |ctx, args| Box::pin(typed("raw", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    _raw_params: Option<String>,
    /// The shell to run the line with (default: the login user's shell runs it as it is).
    executable: Option<String>,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let Some(text) = args._raw_params.filter(|t| !t.trim().is_empty()) else {
        return ModuleResult::failed("no command given");
    };
    let line = match &args.executable {
        Some(shell) => format!("exec {} -c {}", quote(shell), quote(&text)),
        None => text,
    };
    let out = match ctx.exec(&line).await {
        Ok(out) => out,
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let limit = output_limit(ctx.vars);
    let mut data = Vars::new();
    data.insert("rc".into(), out.rc.into());
    put_output(&mut data, "stdout", out.stdout, limit);
    put_output(&mut data, "stderr", out.stderr, limit);
    exited(data, out.rc)
}
