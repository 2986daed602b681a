//! `ping`: proves the host answers a command; returns `data` (`pong`), and fails as
//! Ansible's module raises when `data` is `crash`.

use serde::Deserialize;

use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "ping",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("ping", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default = "pong")]
    data: String,
}

fn pong() -> String {
    "pong".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    crate::modules::host::run(ctx, "true").await?;
    if args.data == "crash" {
        return Err(ModuleResult::failed("boom"));
    }
    let mut data = Vars::new();
    data.insert("ping".into(), args.data.into());
    Ok(ModuleResult::ok(data))
}
