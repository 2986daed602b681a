//! `set_fact`: sets host variables for the rest of the run; runs on the controller.

use crate::modules::{ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "set_fact",
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

async fn run(_ctx: &ModuleCtx<'_>, mut args: Vars) -> ModuleResult {
    args.remove("cacheable");
    if args.is_empty() {
        return ModuleResult::failed(
            "No key/value pairs provided, at least one is required for this action to succeed",
        );
    }
    if let Some(bad) = args.keys().find(|k| !crate::text::is_identifier(k)) {
        return ModuleResult::failed(format!(
            "The variable name '{bad}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
        ));
    }
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), serde_json::Value::Object(args));
    ModuleResult::ok(data)
}
