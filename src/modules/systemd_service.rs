//! `systemd_service` (alias `systemd`): a unit's state, enablement and mask through
//! `systemctl`, as ansible.builtin.systemd_service does: `daemon_reexec` and `daemon_reload`
//! first, then the unit's `systemctl show` properties (returned as `status`), then only what
//! differs is changed (mask, enable, start/stop; `restarted`/`reloaded` always act). `scope`
//! (system, user, global), `no_block` and `force` become systemctl flags. Also what `service`
//! runs on a systemd host.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::{de_opt_bool, refuse_choices};
use crate::modules::host::service_mgr::{exec, exec_detached, missing, parse_show};
use crate::modules::{argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome};
use crate::modules::{ArgProblem, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "systemd_service",
    aliases: &[
        "systemd",
        "ansible.builtin.systemd",
        "ansible.legacy.systemd",
    ],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("systemd_service", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

/// The states `state` takes.
pub(crate) const STATES: &[&str] = &["reloaded", "restarted", "started", "stopped"];
const SCOPES: &[&str] = &["global", "system", "user"];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(alias = "service", alias = "unit")]
    pub name: Option<String>,
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub masked: Option<bool>,
    #[serde(default, deserialize_with = "de_bool", alias = "daemon-reload")]
    pub daemon_reload: bool,
    #[serde(default, deserialize_with = "de_bool", alias = "daemon-reexec")]
    pub daemon_reexec: bool,
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub no_block: bool,
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choices(
        args,
        "systemd_service",
        &[("state", STATES), ("scope", SCOPES)],
    )
}

/// What one run found and did.
struct Unit<'a> {
    ctx: &'a ModuleCtx<'a>,
    systemctl: String,
    name: String,
    quoted: String,
}

impl Unit<'_> {
    /// Runs `systemctl ACTION 'unit'`; a failure is `Unable to ACTION service UNIT: ...`.
    async fn act(&self, action: &str) -> Result<(), ModuleResult> {
        let line = format!("{} {action} {}", self.systemctl, self.quoted);
        let out = exec_detached(self.ctx, &line).await?;
        if out.rc != 0 {
            let msg = format!(
                "Unable to {action} service {}: {}",
                self.name,
                out.stdout.trim_end()
            );
            return Err(ModuleResult::failed(msg));
        }
        Ok(())
    }

    /// The output and status of `systemctl CMD 'unit' EXTRA`.
    async fn ask(&self, cmd: &str, extra: &str) -> Result<(i32, String), ModuleResult> {
        let line = format!("{} {cmd} {}{extra}", self.systemctl, self.quoted);
        let out = exec(self.ctx, &line).await?;
        Ok((out.rc, out.stdout))
    }
}

pub(crate) async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let any = args.state.is_some()
        || args.enabled.is_some()
        || args.masked.is_some()
        || args.daemon_reload
        || args.daemon_reexec;
    if !any {
        return Err(ModuleResult::failed(
            "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec",
        ));
    }
    let systemctl = systemctl_line(ctx, &args).await?;
    for (wanted, cmd) in [
        (args.daemon_reexec, "daemon-reexec"),
        (args.daemon_reload, "daemon-reload"),
    ] {
        if wanted && !ctx.check_mode {
            let out = exec(ctx, &format!("{systemctl} {cmd}")).await?;
            if out.rc != 0 {
                let msg = format!("failure {} during {cmd}: {}", out.rc, out.stderr.trim_end());
                return Err(ModuleResult::failed(msg));
            }
        }
    }
    let mut result = ModuleResult::ok(Vars::new());
    let Some(name) = args.name.clone() else {
        return no_unit(&args, result);
    };
    if name.contains(['*', '?', '[']) {
        return Err(ModuleResult::failed(
            "This module does not currently support using glob patterns, found '*' in service name",
        ));
    }
    let unit = Unit {
        ctx,
        systemctl,
        quoted: quote(&name),
        name: name.clone(),
    };
    result.data.insert("name".into(), name.clone().into());
    let (found, status) = find(&unit).await?;
    result
        .data
        .insert("status".into(), Json::Object(status.clone()));
    if let Some(masked) = args.masked {
        mask(&unit, masked, found, &mut result).await?;
    }
    if let Some(enabled) = args.enabled {
        if !found {
            return Err(missing(&name));
        }
        enable(&unit, enabled, &mut result).await?;
    }
    if let Some(state) = &args.state {
        if !found {
            return Err(missing(&name));
        }
        set_state(&unit, state, &status, &mut result).await?;
    }
    Ok(result)
}

/// A run without a unit (only `daemon_reload`/`daemon_reexec`): `state`, `enabled` and
/// `masked` need one.
fn no_unit(args: &Args, mut result: ModuleResult) -> Outcome {
    for (needs, given) in [
        ("state", args.state.is_some()),
        ("enabled", args.enabled.is_some()),
        ("masked", args.masked.is_some()),
    ] {
        if given {
            let msg = format!("missing parameter(s) required by '{needs}': name");
            return Err(ModuleResult::failed(msg));
        }
    }
    result.data.insert("name".into(), Json::Null);
    result
        .data
        .insert("status".into(), Json::Object(Vars::new()));
    Ok(result)
}

/// `systemctl` with the scope, `--no-block` and `--force` flags; fails when it is missing.
async fn systemctl_line(ctx: &ModuleCtx<'_>, args: &Args) -> Result<String, ModuleResult> {
    let out = exec(ctx, "command -v systemctl; echo \"$PATH\"").await?;
    let mut lines = out.stdout.lines();
    let path = match (out.rc, lines.next()) {
        (0, Some(p)) if p.starts_with('/') => p.to_string(),
        _ => {
            let paths = out.stdout.lines().last().unwrap_or("").replace(':', ", ");
            return Err(ModuleResult::failed(format!(
                "Failed to find required executable \"systemctl\" in paths: {paths}"
            )));
        }
    };
    let mut line = quote(&path);
    match args.scope.as_deref() {
        Some("user") => line.push_str(" --user"),
        Some("global") => line.push_str(" --global"),
        _ => {}
    }
    if args.no_block {
        line.push_str(" --no-block");
    }
    if args.force {
        line.push_str(" --force");
    }
    Ok(line)
}

/// Whether systemd knows the unit, and its `systemctl show` properties.
async fn find(unit: &Unit<'_>) -> Result<(bool, Vars), ModuleResult> {
    let (rc, out) = unit.ask("show", "").await?;
    if rc == 0 && !out.contains("ignoring request") {
        let status = parse_show(&out);
        let state = status.get("LoadState").and_then(Json::as_str);
        let found = state.is_some_and(|s| s != "not-found");
        if found && state != Some("masked") {
            if let Some(err) = status.get("LoadError").and_then(Json::as_str) {
                let msg = format!("Error loading unit file '{}': {err}", unit.name);
                return Err(ModuleResult::failed(msg));
            }
        }
        return Ok((found, status));
    }
    let (_, out) = unit.ask("is-enabled", "").await?;
    if ENABLED_STATES.contains(&out.trim()) {
        return Ok((true, Vars::new()));
    }
    let (rc, _) = unit.ask("list-unit-files", "").await?;
    Ok((rc == 0, Vars::new()))
}

/// What `systemctl is-enabled` says of a unit it knows (systemctl(1)).
const ENABLED_STATES: &[&str] = &[
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "masked",
    "masked-runtime",
    "static",
    "indirect",
    "disabled",
    "generated",
    "transient",
];

async fn mask(
    unit: &Unit<'_>,
    masked: bool,
    found: bool,
    result: &mut ModuleResult,
) -> Result<(), ModuleResult> {
    let (_, out) = unit.ask("is-enabled", "").await?;
    if (out.trim() == "masked") == masked {
        return Ok(());
    }
    result.changed = true;
    if unit.ctx.check_mode {
        return Ok(());
    }
    let action = if masked { "mask" } else { "unmask" };
    match unit.act(action).await {
        Err(_) if !found => Err(missing(&unit.name)),
        other => other,
    }
}

async fn enable(
    unit: &Unit<'_>,
    wanted: bool,
    result: &mut ModuleResult,
) -> Result<(), ModuleResult> {
    let (rc, out) = unit.ask("is-enabled", " -l").await?;
    let lines: Vec<&str> = out.lines().collect();
    let enabled = match rc {
        0 => lines != ["indirect"] && lines != ["alias"],
        1 => sysv_enabled(unit, &out).await?,
        _ => false,
    };
    result.data.insert("enabled".into(), enabled.into());
    if enabled == wanted {
        return Ok(());
    }
    result.changed = true;
    if !unit.ctx.check_mode {
        let action = if wanted { "enable" } else { "disable" };
        unit.act(action).await?;
    }
    result.data.insert("enabled".into(), wanted.into());
    Ok(())
}

/// For a system unit systemd generated from an init script: its rc.d start links.
async fn sysv_enabled(unit: &Unit<'_>, said: &str) -> Result<bool, ModuleResult> {
    if unit.systemctl.contains(" --user") || unit.systemctl.contains(" --global") {
        return Ok(false);
    }
    if said.trim_end().ends_with("disabled") {
        return Ok(false);
    }
    let q = &unit.quoted;
    let line = format!("[ -f /etc/init.d/{q} ] && ls /etc/rc?.d/S??{q} >/dev/null 2>&1");
    Ok(exec(unit.ctx, &line).await?.rc == 0)
}

async fn set_state(
    unit: &Unit<'_>,
    state: &str,
    status: &Vars,
    result: &mut ModuleResult,
) -> Result<(), ModuleResult> {
    result.data.insert("state".into(), state.into());
    let Some(active) = status.get("ActiveState").and_then(Json::as_str) else {
        let mut failed = ModuleResult::failed("Service is in unknown state");
        failed
            .data
            .insert("status".into(), Json::Object(status.clone()));
        return Err(failed);
    };
    let running = matches!(active, "active" | "activating");
    let action = match state {
        "started" => (!running).then_some("start"),
        "stopped" => (running || active == "deactivating").then_some("stop"),
        _ => {
            result.data.insert("state".into(), "started".into());
            Some(match (running, state) {
                (false, _) => "start",
                (true, "restarted") => "restart",
                (true, _) => "reload",
            })
        }
    };
    if let Some(action) = action {
        result.changed = true;
        if !unit.ctx.check_mode {
            unit.act(action).await?;
        }
    }
    Ok(())
}
