//! `set_fact`: sets host variables for the rest of the run; runs on the controller.

use crate::modules::{ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "set_fact",
    run: |ctx, args| Box::pin(run(ctx, args)),
    plain_facts: true,
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
    // As Ansible (without jinja2_native): a value that reads as a boolean becomes one.
    for value in args.values_mut() {
        if let serde_json::Value::String(s) = value {
            if matches!(
                s.to_ascii_lowercase().as_str(),
                "true" | "false" | "yes" | "no"
            ) {
                *value = crate::text::ansible_bool(s).unwrap_or(false).into();
            }
        }
    }
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), serde_json::Value::Object(args));
    ModuleResult::ok(data)
}
