//! `getent`: runs `getent DATABASE [KEY]` and returns its entries as the fact
//! `getent_<database>` (each entry's first field → the other fields; a key seen twice → a
//! list of them), split on `:` for passwd/shadow/group/gshadow and on whitespace otherwise.
//! Changes nothing.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::{
    argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "getent",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("getent", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    database: String,
    key: Option<Json>,
    service: Option<String>,
    split: Option<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    fail_key: bool,
}

/// The databases whose fields are separated by colons.
const COLON: &[&str] = &["passwd", "shadow", "group", "gshadow"];

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let key = args.key.as_ref().map(|k| match k {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    });
    let mut cmd = format!("getent {}", quote(&args.database));
    if let Some(k) = &key {
        cmd.push_str(&format!(" {}", quote(k)));
    }
    if let Some(s) = &args.service {
        cmd.push_str(&format!(" -s {}", quote(s)));
    }
    let out = ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    let split = args
        .split
        .clone()
        .or_else(|| COLON.contains(&args.database.as_str()).then(|| ":".into()));
    let tree = format!("getent_{}", args.database);
    let facts = |entries: Vars| {
        let mut facts = Vars::new();
        facts.insert(tree.clone(), Json::Object(entries));
        let mut data = Vars::new();
        data.insert("ansible_facts".into(), Json::Object(facts));
        data
    };
    let msg = match out.rc {
        0 => {
            return Ok(ModuleResult::ok(facts(entries(
                &out.stdout,
                split.as_deref(),
            ))))
        }
        1 => "Missing arguments, or database unknown.",
        2 if !args.fail_key => {
            let mut entries = Vars::new();
            entries.insert(key.unwrap_or_default(), Json::Null);
            let mut data = facts(entries);
            data.insert("msg".into(), MISSING_KEY.into());
            return Ok(ModuleResult::ok(data));
        }
        2 => MISSING_KEY,
        3 => "Enumeration not supported on this database.",
        _ => "Unexpected failure!",
    };
    Err(ModuleResult::failed(msg))
}

const MISSING_KEY: &str = "One or more supplied key could not be found in the database.";

/// Each line's first field → the rest; a repeated first field collects a list of them.
fn entries(out: &str, split: Option<&str>) -> Vars {
    let mut all = Vars::new();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for line in out.lines() {
        let fields: Vec<Json> = match split {
            Some(sep) if !sep.is_empty() => line.split(sep).map(|f| f.into()).collect(),
            _ => line.split_whitespace().map(|f| f.into()).collect(),
        };
        let Some(Json::String(first)) = fields.first().cloned() else {
            continue;
        };
        let rest = Json::Array(fields[1..].to_vec());
        let count = seen.entry(first.clone()).or_insert(0);
        *count += 1;
        match (*count, all.get_mut(&first)) {
            (1, _) => {
                all.insert(first, rest);
            }
            (2, Some(prev)) => *prev = Json::Array(vec![prev.take(), rest]),
            (_, Some(Json::Array(list))) => list.push(rest),
            _ => {}
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_split_and_repeats_collected() {
        let e = entries("root:x:0:0:root:/root:/bin/bash\n", Some(":"));
        assert_eq!(
            e["root"],
            serde_json::json!(["x", "0", "0", "root", "/root", "/bin/bash"])
        );
        let e = entries(
            "127.0.0.1  localhost\n::1 localhost ip6-localhost\n127.0.0.1 other\n",
            None,
        );
        assert_eq!(
            e["127.0.0.1"],
            serde_json::json!([["localhost"], ["other"]])
        );
        assert_eq!(e["::1"], serde_json::json!(["localhost", "ip6-localhost"]));
    }
}
