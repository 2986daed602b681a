//! `meta`: executor directives (`flush_handlers`, `noop`, ...). The executor acts on them
//! itself; this entry exists so the loader knows the name and its actions.

use crate::modules::{ArgProblem, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use serde_json::Value as Json;

use crate::vars::Vars;

/// The meta actions ferry supports.
const ACTIONS: &[&str] = &[
    "clear_host_errors",
    "end_batch",
    "end_host",
    "end_play",
    "end_role",
    "flush_handlers",
    "noop",
    "refresh_inventory",
    "reset_connection",
];

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "meta",
    directive: true,
    check: Some(check),
    args: Some(|| vec!["_raw_params"]),
    free_form: FreeForm::Raw,
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

/// The action must be one ferry supports (checked at load time).
fn check(args: &Vars) -> Result<(), ArgProblem> {
    match args.get("_raw_params").and_then(Json::as_str) {
        Some(action) if ACTIONS.contains(&action) => Ok(()),
        other => Err(ArgProblem {
            message: format!(
                "meta action '{}' is not supported by ferry",
                other.unwrap_or("")
            ),
            hint: format!("supported: {}", ACTIONS.join(", ")),
        }),
    }
}

async fn run(_ctx: &ModuleCtx<'_>, _args: Vars) -> ModuleResult {
    ModuleResult::ok(Vars::new())
}
