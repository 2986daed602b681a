//! `service`: starts, stops, restarts or reloads a service and enables it at boot, with the
//! host's service manager (`use:`, else detected: see `host/service_mgr.rs`). On systemd it
//! runs `systemd_service` (as Ansible's service action runs the systemd module, dropping the
//! arguments systemd has no use for); on SysV init scripts and OpenRC, `service_sysv.rs`.
//! Queries first: only what differs is changed.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::host::service_mgr::{detect, Manager, USE_NAMES};
use crate::modules::{argnames, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome};
use crate::modules::{systemd_service, ArgProblem, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "service",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("service", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    pub name: String,
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub enabled: Option<bool>,
    /// Seconds between the stop and the start of a restart (init scripts).
    #[serde(default = "one", deserialize_with = "de_u64")]
    pub sleep: u64,
    /// Text of the process's command line in `ps`, when the init script has no `status`.
    pub pattern: Option<String>,
    #[serde(default, alias = "args")]
    pub arguments: String,
    /// OpenRC's runlevel for `enabled`.
    #[serde(default = "default_runlevel")]
    pub runlevel: String,
    #[serde(default = "auto", rename = "use")]
    pub use_: String,
}

fn one() -> u64 {
    1
}

fn default_runlevel() -> String {
    "default".into()
}

fn auto() -> String {
    "auto".into()
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    check_choices(
        args,
        &[("state", systemd_service::STATES), ("use", USE_NAMES)],
    )
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if args.state.is_none() && args.enabled.is_none() {
        return Err(ModuleResult::failed(
            "one of the following is required: state, enabled",
        ));
    }
    let use_ = args.use_.to_ascii_lowercase();
    if !USE_NAMES.contains(&use_.as_str()) {
        return Err(ModuleResult::failed(format!(
            "value of use must be one of: {}, got: {use_}",
            USE_NAMES.join(", ")
        )));
    }
    match detect(ctx, &use_).await? {
        Manager::Systemd => {
            let unit = systemd_service::Args {
                name: Some(args.name),
                state: args.state,
                enabled: args.enabled,
                ..Default::default()
            };
            systemd_service::run(ctx, unit).await
        }
        manager => crate::modules::service_sysv::run(ctx, &args, manager).await,
    }
}

/// For a load-time check: each named argument, when written as plain text (a template is
/// decided at run time), is one of its allowed values.
pub(crate) fn check_choices(args: &Vars, choices: &[(&str, &[&str])]) -> Result<(), ArgProblem> {
    for (name, allowed) in choices {
        let Some(Json::String(value)) = args.get(*name) else {
            continue;
        };
        if value.contains("{{") || value.contains("{%") || allowed.contains(&value.as_str()) {
            continue;
        }
        return Err(ArgProblem {
            message: format!(
                "value of {name} must be one of: {}, got: {value}",
                allowed.join(", ")
            ),
            hint: format!("{name}: one of {}", allowed.join(", ")),
        });
    }
    Ok(())
}

/// An optional boolean, written as YAML/Ansible booleans or their text.
pub(crate) fn de_opt_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    crate::modules::de_bool(d).map(Some)
}
