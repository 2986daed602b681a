//! `fail`: fails the host with a message; runs on the controller.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{argnames, parse_args, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "fail",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    msg: Option<Json>,
}

async fn run(_ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let args: Args = match parse_args("fail", args) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut result = ModuleResult::failed("");
    let msg = args
        .msg
        .unwrap_or_else(|| Json::String("Failed as requested from task".into()));
    result.data.insert("msg".into(), msg);
    result
}
