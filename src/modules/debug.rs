//! `debug`: shows a message or a variable; runs on the controller, touches no host.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{argnames, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "debug",
    bare_result: true,
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("debug", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Present even when null: Ansible shows `"msg": null` for `msg: "{{ none }}"`.
    #[serde(default, deserialize_with = "present")]
    msg: Option<Json>,
    var: Option<Json>,
    /// Shown only from this many `-v` on; skipped below.
    #[serde(default, deserialize_with = "de_u64")]
    verbosity: u64,
}

/// A value that is there, null included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let mut data = Vars::new();
    if args.verbosity > u64::from(ctx.verbosity) {
        data.insert(
            "skipped_reason".into(),
            "Verbosity threshold not met.".into(),
        );
        return ModuleResult {
            skipped: true,
            data,
            ..Default::default()
        };
    }
    match (args.msg, args.var) {
        (Some(_), Some(_)) => {
            return ModuleResult::failed("parameters are mutually exclusive: msg|var")
        }
        (_, Some(var)) => {
            let name = match &var {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            let value = match ctx
                .templar
                .render_str(&format!("{{{{ {name} }}}}"), ctx.vars)
            {
                Ok(v) => v,
                Err(_) => Json::String("VARIABLE IS NOT DEFINED!".into()),
            };
            data.insert(name, value);
        }
        (Some(msg), None) => {
            data.insert("msg".into(), msg);
        }
        (None, None) => {
            data.insert("msg".into(), "Hello world!".into());
        }
    }
    let mut result = ModuleResult::ok(data);
    result.verbose_always = true;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_msg_is_a_message_and_an_absent_one_is_not() {
        let args: Args = serde_json::from_value(serde_json::json!({"msg": null})).unwrap();
        assert_eq!(args.msg, Some(Json::Null));
        let args: Args = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(args.msg, None);
    }
}
