//! `service`: starts, stops, restarts or reloads a service and enables it at boot, with the
//! host's service manager (`use:`, else detected: see `host/service_mgr.rs`). On systemd it
//! runs `systemd_service` (as Ansible's service action runs the systemd module, dropping the
//! arguments systemd has no use for); on SysV init scripts and OpenRC, `service_sysv.rs`.
//! Queries first: only what differs is changed.

use crate::modules::args::refuse_choices;
use crate::modules::host::service_mgr::{detect, Manager, USE_NAMES};
use crate::modules::service_args::Args;
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome};
use crate::modules::{systemd_service, ArgProblem, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "service",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("service", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choices(
        args,
        "service",
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
