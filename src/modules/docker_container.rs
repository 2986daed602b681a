//! `docker_container` (as community.docker names it): make a container exist, run, stop or be
//! gone with the `docker` CLI on the host. A container is recreated when its image changed or its
//! requested configuration changed (ferry labels each container with a hash of what was asked).

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::checksum::sha1_hex;
use crate::connection::quote;
use crate::modules::docker::{image_id, inspect, refuse_connection, CONNECTION_ARGS};
use crate::modules::docker_container_args::{Args, LABEL};
use crate::modules::docker_create::{
    attached, connect_networks, create_command, pause, rm_command,
};
use crate::modules::docker_flags::Flags;
use crate::modules::host::run;
use crate::modules::{
    argnames, refuse_flag, typed_parts, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "docker_container",
    collection: "community.docker",
    groups: &["community.docker.docker"],
    check: Some(check),
    args: Some(|| {
        [
            argnames::of::<Args>(),
            argnames::of::<Flags>(),
            REFUSED,
            CONNECTION_ARGS,
        ]
        .concat()
    }),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "docker_container",
            args,
            |a, flags| Args { flags, ..a },
            move |a| run_module(ctx, a),
        ))
    },
    ..DEFAULTS
};

/// Arguments ferry knows but refuses at load (see [`check`]): comparisons of ferry's change
/// detection (a hash of everything asked, see [`config_hash`]), GPU requests.
const REFUSED: &[&str] = &["comparisons", "device_requests"];

/// Refuses what ferry cannot do, and values of behaviour switches other than ferry's.
fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_connection(args, "docker_container")?;
    if let Some(name) = REFUSED.iter().find(|n| args.contains_key(**n)) {
        let hint = match *name {
            "comparisons" => "ferry recreates a container when any option it was asked for or its image changed (a hash label); remove 'comparisons'",
            _ => "pass GPUs another way (a 'docker run --gpus' command task)",
        };
        return Err(ArgProblem {
            message: format!(
                "argument '{name}' of module 'docker_container' is not supported by ferry"
            ),
            hint: hint.into(),
        });
    }
    for (name, supported) in [
        ("command_handling", "correct"),
        ("image_comparison", "desired-image"),
        ("image_label_mismatch", "ignore"),
        ("image_name_mismatch", "recreate"),
        ("pull_check_mode_behavior", "image_not_present"),
    ] {
        match args.get(name).and_then(Json::as_str) {
            Some(v) if v != supported && !v.contains("{{") => {
                return Err(ArgProblem {
                    message: format!(
                        "'{name}: {v}' of module 'docker_container' is not supported by ferry"
                    ),
                    hint: format!("ferry behaves as '{name}: {supported}'; remove it or set that"),
                })
            }
            _ => {}
        }
    }
    refuse_flag(
        args,
        "docker_container",
        "networks_cli_compatible",
        false,
        "ferry attaches exactly the networks given, as with 'true'",
    )?;
    refuse_flag(
        args,
        "docker_container",
        "purge_networks",
        true,
        "ferry does not disconnect networks it was not asked for; remove 'purge_networks'",
    )
}

async fn run_module(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    match converge(ctx, &args).await {
        Ok(r) | Err(r) => r,
    }
}

async fn converge(ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModuleResult, ModuleResult> {
    let current = inspect(ctx, "container", &args.name).await?;
    let mut actions: Vec<String> = Vec::new();
    let name = quote(&args.name);
    if args.state == "absent" {
        if current.is_some() {
            if !ctx.check_mode {
                run(ctx, &rm_command(args)).await?;
            }
            actions.push(format!("Removed container {}", args.name));
        }
        return Ok(result(!actions.is_empty(), actions, None));
    }
    let image = args
        .image
        .as_deref()
        .ok_or_else(|| ModuleResult::failed("image is required"))?;
    let image_now = pull_image(ctx, args, image, &mut actions).await?;
    let image_key = match args.ignore_image {
        true => image,
        false => image_now.as_deref().unwrap_or(image),
    };
    let config = config_hash(args, image_key);
    let needs_create = match &current {
        None => true,
        Some(c) => args.recreate || differs(c, &config, image_now.as_deref(), args.ignore_image),
    };
    let mut running = current
        .as_ref()
        .and_then(|c| c.pointer("/State/Running"))
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if needs_create {
        if !ctx.check_mode {
            if current.is_some() {
                run(ctx, &rm_command(args)).await?;
            }
            run(ctx, &create_command(args, image, &config)?).await?;
            connect_networks(ctx, args).await?;
        }
        actions.push(format!(
            "{} container {}",
            if current.is_some() {
                "Recreated"
            } else {
                "Created"
            },
            args.name
        ));
        running = false;
    }
    if args.restart && running && !needs_create && args.state != "stopped" {
        if !ctx.check_mode {
            run(ctx, &format!("docker restart {name}")).await?;
        }
        actions.push(format!("Restarted container {}", args.name));
    }
    start_or_stop(ctx, args, running, &mut actions).await?;
    if args.state == "healthy" && !ctx.check_mode {
        wait_healthy(ctx, &args.name, args.healthy_wait_timeout.unwrap_or(300)).await?;
    }
    pause(ctx, args, current.as_ref(), &mut actions).await?;
    if !args.detach && args.state != "stopped" && !ctx.check_mode {
        return attached(ctx, args, actions).await;
    }
    let info = if ctx.check_mode {
        current
    } else {
        inspect(ctx, "container", &args.name).await?
    };
    Ok(result(!actions.is_empty(), actions, info))
}

/// Pulls the image when asked (`pull: always`) or missing; its ID after.
async fn pull_image(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    image: &str,
    actions: &mut Vec<String>,
) -> Result<Option<String>, ModuleResult> {
    let always = match &args.pull {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => s == "always" || s == "yes" || s == "true",
        _ => false,
    };
    let image_now = image_id(ctx, image).await?;
    if !always && image_now.is_some() {
        return Ok(image_now);
    }
    if !ctx.check_mode {
        run(ctx, &format!("docker pull {}", quote(image))).await?;
    }
    let pulled = image_id(ctx, image).await?;
    if pulled != image_now {
        actions.push(format!("Pulled image {image}"));
    }
    Ok(pulled)
}

/// Whether the container `c` was made from another request (label) or another image.
fn differs(c: &Json, config: &str, image_now: Option<&str>, ignore_image: bool) -> bool {
    let label = c.pointer(&format!("/Config/Labels/{}", LABEL.replace('/', "~1")));
    let image_id_now = c.get("Image").and_then(Json::as_str);
    label.and_then(Json::as_str) != Some(config) || (!ignore_image && image_id_now != image_now)
}

/// Starts a container that should run, stops one that should not.
async fn start_or_stop(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    running: bool,
    actions: &mut Vec<String>,
) -> Result<(), ModuleResult> {
    let name = quote(&args.name);
    let want_running = matches!(args.state.as_str(), "started" | "healthy");
    if want_running && !running {
        if !ctx.check_mode {
            run(ctx, &format!("docker start {name}")).await?;
        }
        actions.push(format!("Started container {}", args.name));
    } else if args.state == "stopped" && running {
        if !ctx.check_mode {
            let stop = match (args.force_kill, &args.kill_signal) {
                (true, Some(sig)) => format!("docker kill -s {} {name}", quote(sig)),
                (true, None) => format!("docker kill {name}"),
                (false, _) => format!("docker stop {name}"),
            };
            run(ctx, &stop).await?;
        }
        actions.push(format!("Stopped container {}", args.name));
    }
    Ok(())
}

fn result(changed: bool, actions: Vec<String>, container: Option<Json>) -> ModuleResult {
    let mut data = Vars::new();
    data.insert(
        "actions".into(),
        actions.into_iter().map(Json::from).collect(),
    );
    if let Some(c) = container {
        data.insert("container".into(), c);
    }
    ModuleResult {
        changed,
        data,
        ..Default::default()
    }
}

/// A hash of everything the task asked for, stored as a label to detect changes honestly.
fn config_hash(args: &Args, image_id: &str) -> String {
    let asked = serde_json::json!({
        "image": image_id, "ports": args.ports, "env": args.env, "volumes": args.volumes,
        "restart_policy": args.restart_policy, "command": args.command,
        "network_mode": args.network_mode, "healthcheck": args.healthcheck,
        "entrypoint": args.entrypoint, "networks": args.networks, "mounts": args.mounts,
        "restart_retries": args.restart_retries, "default_host_ip": args.default_host_ip,
        "flags": args.flags.asked(),
    });
    sha1_hex(asked.to_string().as_bytes())
}

async fn wait_healthy(ctx: &ModuleCtx<'_>, name: &str, timeout: u64) -> Result<(), ModuleResult> {
    let start = Instant::now();
    let script = format!(
        "docker inspect --format '{{{{.State.Status}}}} {{{{.State.ExitCode}}}} {{{{if .State.Health}}}}{{{{.State.Health.Status}}}}{{{{else}}}}none{{{{end}}}}' {}",
        quote(name)
    );
    loop {
        let status = run(ctx, &script).await?;
        let mut words = status.split_whitespace();
        let (state, code, health) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
        );
        if matches!(state, "exited" | "dead") {
            return Err(ModuleResult::failed(format!(
                "container {name} exited (code {code}) before it became healthy"
            )));
        }
        match health {
            "healthy" | "none" => return Ok(()),
            "unhealthy" => {
                return Err(ModuleResult::failed(format!(
                    "container {name} is unhealthy"
                )))
            }
            _ => {}
        }
        if start.elapsed() > Duration::from_secs(timeout) {
            return Err(ModuleResult::failed(format!(
                "container {name} did not become healthy within {timeout}s"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
