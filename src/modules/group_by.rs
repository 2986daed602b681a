//! `group_by`: puts the host into a group of the run's inventory (created if new), under
//! `parents` (default `all`); later tasks see it in `groups` and `group_names`, later plays
//! can target it. Runs on the controller; changes nothing on the host.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::inventory::Edit;
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "group_by",
    args: Some(|| argnames::of::<Args>().to_vec()),
    edits_inventory: true,
    run: |ctx, args| Box::pin(typed("group_by", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    key: Option<Json>,
    #[serde(default)]
    parents: Option<Json>,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let Some(key) = args.key else {
        return ModuleResult::failed("the 'key' param is required when using group_by");
    };
    // As Ansible's action: spaces in group names become dashes.
    let name = |v: &Json| crate::modules::add_host::text(v).replace(' ', "-");
    let group = name(&key);
    let parents: Vec<String> = match args.parents {
        None | Some(Json::Null) => vec!["all".into()],
        Some(Json::Array(list)) => list.iter().map(name).collect(),
        Some(other) => vec![name(&other)],
    };
    let edit = Edit::GroupBy {
        host: ctx.host.to_string(),
        group: group.clone(),
        parents: parents.clone(),
    };
    let Some(changed) = crate::modules::add_host::edit_inventory(ctx, edit) else {
        return ModuleResult::failed("group_by runs only in a play");
    };
    let mut data = Vars::new();
    data.insert("add_group".into(), group.into());
    data.insert(
        "parent_groups".into(),
        Json::Array(parents.into_iter().map(Json::String).collect()),
    );
    ModuleResult {
        changed,
        ..ModuleResult::ok(data)
    }
}
