//! `meta`: executor directives (`flush_handlers`, `noop`, ...). The executor acts on them
//! itself; this entry exists so the loader knows the name and its actions.

use crate::modules::{FreeForm, ModuleCtx, ModuleResult, ModuleSpec};
use crate::vars::Vars;

/// The meta actions ferry supports.
pub(crate) const ACTIONS: &[&str] = &[
    "clear_host_errors",
    "end_batch",
    "end_host",
    "end_play",
    "flush_handlers",
    "noop",
];

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "meta",
    args: Some(&["_raw_params"]),
    free_form: FreeForm::Raw,
    run: |ctx, args| Box::pin(run(ctx, args)),
};

async fn run(_ctx: &ModuleCtx<'_>, _args: Vars) -> ModuleResult {
    ModuleResult::ok(Vars::new())
}
