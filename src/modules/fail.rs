//! `fail`: fails the host with a message; runs on the controller.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "fail",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("fail", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    msg: Option<Json>,
}

async fn run(_ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let mut result = ModuleResult::failed("");
    let msg = args
        .msg
        .unwrap_or_else(|| Json::String("Failed as requested from task".into()));
    result.data.insert("msg".into(), msg);
    result
}
