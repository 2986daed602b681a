//! `group`: a local group made to match the task — `groupadd` when missing, `groupmod -g`
//! when its gid differs, `groupdel` for `state: absent` — after one query of the group
//! database (`host/accounts.rs`). `local: true` runs libuser's `lgroupadd`, `lgroupmod` and
//! `lgroupdel` instead, as Ansible does.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::accounts;
use crate::modules::sysargs::{self, de_opt_num};
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "group",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("group", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "group", &["state"], &["absent", "present"])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    name: String,
    #[serde(default = "present")]
    state: String,
    #[serde(default, deserialize_with = "de_opt_num")]
    gid: Option<u64>,
    #[serde(default, deserialize_with = "de_bool")]
    system: bool,
    #[serde(default, deserialize_with = "de_bool")]
    local: bool,
    #[serde(default, deserialize_with = "de_bool")]
    non_unique: bool,
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_opt_num")]
    gid_min: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    gid_max: Option<u64>,
}

fn present() -> String {
    "present".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    if args.force && args.local {
        return Err(ModuleResult::failed(
            "force is not a valid option for local, force=True and local=True are mutually exclusive",
        ));
    }
    if args.non_unique && args.gid.is_none() {
        return Err(ModuleResult::failed(
            "non_unique is True but all of the following are missing: gid",
        ));
    }
    let existing = lookup(ctx, &args).await?;
    let mut data = Vars::new();
    data.insert("name".into(), args.name.clone().into());
    data.insert("state".into(), args.state.clone().into());
    let cmd = match (&existing, args.state.as_str()) {
        (Some(_), "absent") => Some(del_command(&args)),
        (None, "present") => Some(add_command(&args)),
        (Some(g), _) => args
            .gid
            .filter(|gid| *gid != g.gid)
            .map(|gid| mod_command(&args, gid)),
        (None, _) => None,
    };
    let Some(cmd) = cmd else {
        return Ok(result(&args, existing.as_ref(), data, false));
    };
    if ctx.check_mode {
        if existing.is_none() || args.state == "absent" {
            let mut r = ModuleResult::ok(Vars::new());
            r.changed = true;
            return Ok(r);
        }
        return Ok(result(&args, existing.as_ref(), data, true));
    }
    let out = ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        let mut r = ModuleResult::failed(out.stderr.trim_end().to_string());
        r.data.insert("name".into(), args.name.clone().into());
        return Err(r);
    }
    accounts::record_output(&mut data, &out.stdout, &out.stderr);
    let after = lookup(ctx, &args).await?;
    Ok(result(&args, after.as_ref(), data, true))
}

async fn lookup(ctx: &ModuleCtx<'_>, args: &Args) -> Result<Option<accounts::Group>, ModuleResult> {
    let found = accounts::query(ctx, None, &[&args.name], None, args.local).await?;
    Ok(found
        .group(&args.name)
        .filter(|g| g.name == args.name)
        .cloned())
}

/// What Ansible reports: `system` and `gid` while the group exists.
fn result(
    args: &Args,
    group: Option<&accounts::Group>,
    mut data: Vars,
    changed: bool,
) -> ModuleResult {
    if let Some(g) = group {
        data.insert("system".into(), args.system.into());
        data.insert("gid".into(), g.gid.into());
    }
    let mut r = ModuleResult::ok(data);
    r.changed = changed;
    r
}

/// `groupadd` and the rest, or libuser's `lgroupadd` and the rest for `local: true`.
fn program(args: &Args, name: &str) -> String {
    format!("{}{name}", if args.local { "l" } else { "" })
}

fn add_command(args: &Args) -> String {
    let mut cmd = program(args, "groupadd");
    if let Some(gid) = args.gid {
        let _ = write!(cmd, " -g {gid}");
        if args.non_unique {
            cmd.push_str(" -o");
        }
    }
    if args.system {
        cmd.push_str(" -r");
    }
    for (key, v) in [("GID_MIN", args.gid_min), ("GID_MAX", args.gid_max)] {
        if let Some(v) = v {
            let _ = write!(cmd, " -K {key}={v}");
        }
    }
    let _ = write!(cmd, " -- {}", quote(&args.name));
    cmd
}

fn mod_command(args: &Args, gid: u64) -> String {
    let o = if args.non_unique { " -o" } else { "" };
    let program = program(args, "groupmod");
    format!("{program} -g {gid}{o} -- {}", quote(&args.name))
}

fn del_command(args: &Args) -> String {
    let f = if args.force { " -f" } else { "" };
    format!("{}{f} -- {}", program(args, "groupdel"), quote(&args.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_carry_the_asked_options() {
        let args: Args = serde_json::from_value(serde_json::json!({
            "name": "web ops", "gid": "1500", "system": true, "non_unique": "yes"
        }))
        .unwrap();
        assert_eq!(add_command(&args), "groupadd -g 1500 -o -r -- 'web ops'");
        assert_eq!(mod_command(&args, 1500), "groupmod -g 1500 -o -- 'web ops'");
        assert_eq!(del_command(&args), "groupdel -- 'web ops'");
        let local: Args = serde_json::from_value(
            serde_json::json!({"name": "ops", "local": true, "system": true}),
        )
        .unwrap();
        assert_eq!(add_command(&local), "lgroupadd -r -- ops");
        assert_eq!(mod_command(&local, 7), "lgroupmod -g 7 -- ops");
        assert_eq!(del_command(&local), "lgroupdel -- ops");
    }
}
