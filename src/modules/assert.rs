//! `assert`: checks conditions on the controller; fails the host when one is false.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "assert",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("assert", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    that: Json,
    fail_msg: Option<Json>,
    msg: Option<Json>,
    success_msg: Option<Json>,
    #[serde(default, deserialize_with = "de_bool")]
    quiet: bool,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let conditions: Vec<String> = match &args.that {
        Json::Array(items) => items.iter().map(as_expr).collect(),
        other => vec![as_expr(other)],
    };
    for cond in &conditions {
        match ctx.templar.eval_condition(cond, ctx.vars) {
            Ok(true) => {}
            Ok(false) => {
                let mut r = ModuleResult::failed("");
                let msg = args
                    .fail_msg
                    .clone()
                    .or(args.msg.clone())
                    .unwrap_or_else(|| "Assertion failed".into());
                r.data.insert("assertion".into(), cond.clone().into());
                r.data.insert("evaluated_to".into(), false.into());
                r.data.insert("msg".into(), msg);
                r.verbose_always = !args.quiet;
                return r;
            }
            Err(e) => {
                // Ansible then also names where the condition is written; a module's
                // arguments carry no position here.
                let why = match e.is_undefined() {
                    true => format!("error while evaluating conditional ({cond}): {e}"),
                    false => e.to_string(),
                };
                return ModuleResult::failed(format!(
                    "The conditional check '{cond}' failed. The error was: {why}"
                ));
            }
        }
    }
    let mut data = Vars::new();
    let msg = args
        .success_msg
        .unwrap_or_else(|| "All assertions passed".into());
    data.insert("msg".into(), msg);
    let mut r = ModuleResult::ok(data);
    r.verbose_always = !args.quiet;
    r
}

fn as_expr(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}
