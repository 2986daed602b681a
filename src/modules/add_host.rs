//! `add_host`: adds a host (`name`, with an optional `:port`) to the run's inventory, in
//! `groups`, with every other argument as a host variable; later plays can target it. It runs
//! once whatever the play's hosts (Ansible's `BYPASS_HOST_LOOP`), on the controller.

use serde_json::Value as Json;

use crate::inventory::Edit;
use crate::modules::{ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "add_host",
    bypass_host_loop: true,
    edits_inventory: true,
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

/// The arguments that are not host variables (as Ansible's action: `host` and `group` are).
const SPECIAL: &[&str] = &["name", "hostname", "groupname", "groups"];

async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let Some(given) = ["name", "hostname", "host"]
        .iter()
        .find_map(|k| args.get(*k).filter(|v| !v.is_null()))
    else {
        return ModuleResult::failed("name or hostname arg needs to be provided");
    };
    let given = text(given);
    let Some((name, port)) = crate::inventory::parse_address(&given) else {
        return ModuleResult::failed(format!("Not a valid host: {given}"));
    };
    let groups = match ["groupname", "groups", "group"]
        .iter()
        .find_map(|k| args.get(*k))
    {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(list)) => list.iter().map(text).collect(),
        Some(Json::String(s)) => s.split(',').map(str::to_string).collect(),
        Some(_) => return ModuleResult::failed("Groups must be specified as a list."),
    };
    let mut unique: Vec<String> = Vec::new();
    for g in groups.into_iter().map(|g| g.trim().to_string()) {
        if !unique.contains(&g) {
            unique.push(g);
        }
    }
    let mut vars: Vars = args
        .into_iter()
        .filter(|(k, _)| !SPECIAL.contains(&k.as_str()))
        .collect();
    if let Some(port) = port {
        vars.insert("ansible_ssh_port".into(), port.into());
    }
    let edit = Edit::AddHost {
        name: name.clone(),
        groups: unique.clone(),
        vars: vars.clone(),
    };
    let Some(changed) = edit_inventory(ctx, edit) else {
        return ModuleResult::failed("add_host runs only in a play");
    };
    let mut added = Vars::new();
    added.insert("host_name".into(), name.into());
    added.insert(
        "groups".into(),
        Json::Array(unique.into_iter().map(Json::String).collect()),
    );
    added.insert("host_vars".into(), Json::Object(vars));
    let mut data = Vars::new();
    data.insert("add_host".into(), Json::Object(added));
    ModuleResult {
        changed,
        ..ModuleResult::ok(data)
    }
}

/// A value as the text Ansible would use for a name (strings as they are).
pub(crate) fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Applies `edit` to the run's inventory: whether it changed it (`None` outside a play).
pub(crate) fn edit_inventory(ctx: &ModuleCtx<'_>, edit: Edit) -> Option<bool> {
    let inventory = ctx.inventory?;
    Some(
        inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .edit(edit),
    )
}
