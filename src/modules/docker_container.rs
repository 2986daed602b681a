//! `docker_container` (as community.docker names it): make a container exist, run, stop or be
//! gone with the `docker` CLI on the host. A container is recreated when its image changed or its
//! requested configuration changed (ferry labels each container with a hash of what was asked).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::checksum::sha1_hex;
use crate::connection::quote;
use crate::modules::docker::{image_id, inspect};
use crate::modules::host::run;
use crate::modules::{
    argnames, de_bool, de_opt_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "docker_container",
    collection: "community.docker",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("docker_container", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    name: String,
    image: Option<String>,
    #[serde(default = "started")]
    state: String,
    #[serde(default, alias = "published_ports")]
    ports: Vec<Json>,
    #[serde(default)]
    env: Vars,
    #[serde(default)]
    volumes: Vec<String>,
    restart_policy: Option<String>,
    command: Option<Json>,
    #[serde(default)]
    pull: Option<Json>,
    #[serde(default, deserialize_with = "de_bool")]
    recreate: bool,
    #[serde(default, deserialize_with = "de_opt_u64")]
    healthy_wait_timeout: Option<u64>,
    network_mode: Option<String>,
    healthcheck: Option<Healthcheck>,
}

/// `healthcheck` as community.docker takes it (durations as docker takes them: `5s`, `1m`).
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Healthcheck {
    test: Json,
    interval: Option<String>,
    timeout: Option<String>,
    #[serde(default, deserialize_with = "de_opt_u64")]
    retries: Option<u64>,
    start_period: Option<String>,
}

fn started() -> String {
    "started".into()
}

const LABEL: &str = "ferry.config";

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
                run(ctx, &format!("docker rm -f {name}")).await?;
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
    let config = config_hash(args, image_now.as_deref().unwrap_or(image));
    let needs_create = match &current {
        None => true,
        Some(c) => args.recreate || differs(c, &config, image_now.as_deref()),
    };
    let mut running = current
        .as_ref()
        .and_then(|c| c.pointer("/State/Running"))
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if needs_create {
        if !ctx.check_mode {
            if current.is_some() {
                run(ctx, &format!("docker rm -f {name}")).await?;
            }
            run(ctx, &create_command(args, image, &config)).await?;
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
    start_or_stop(ctx, args, running, &mut actions).await?;
    if args.state == "healthy" && !ctx.check_mode {
        wait_healthy(ctx, &args.name, args.healthy_wait_timeout.unwrap_or(300)).await?;
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
fn differs(c: &Json, config: &str, image_now: Option<&str>) -> bool {
    let label = c.pointer(&format!("/Config/Labels/{}", LABEL.replace('/', "~1")));
    let image_id_now = c.get("Image").and_then(Json::as_str);
    label.and_then(Json::as_str) != Some(config) || image_id_now != image_now
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
            run(ctx, &format!("docker stop {name}")).await?;
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
    });
    sha1_hex(asked.to_string().as_bytes())
}

fn create_command(args: &Args, image: &str, config: &str) -> String {
    let mut cmd = format!(
        "docker create --name {} --label {}",
        quote(&args.name),
        quote(&format!("{LABEL}={config}"))
    );
    for p in &args.ports {
        let p = match p {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = write!(cmd, " -p {}", quote(&p));
    }
    for (k, v) in &args.env {
        let v = match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = write!(cmd, " -e {}", quote(&format!("{k}={v}")));
    }
    for v in &args.volumes {
        let _ = write!(cmd, " -v {}", quote(v));
    }
    if let Some(r) = &args.restart_policy {
        let _ = write!(cmd, " --restart {}", quote(r));
    }
    if let Some(n) = &args.network_mode {
        let _ = write!(cmd, " --network {}", quote(n));
    }
    if let Some(h) = &args.healthcheck {
        health_flags(&mut cmd, h);
    }
    let _ = write!(cmd, " {}", quote(image));
    match &args.command {
        Some(Json::String(s)) => {
            for part in shlex::split(s).unwrap_or_default() {
                let _ = write!(cmd, " {}", quote(&part));
            }
        }
        Some(Json::Array(items)) => {
            for i in items {
                let part = i
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| i.to_string());
                let _ = write!(cmd, " {}", quote(&part));
            }
        }
        _ => {}
    }
    cmd
}

/// `--health-*` flags; `test` is a list (`[CMD, ...]`, `[CMD-SHELL, "..."]`, `[NONE]`) or a
/// shell command string.
fn health_flags(cmd: &mut String, h: &Healthcheck) {
    let test: Vec<String> = match &h.test {
        Json::String(s) => vec!["CMD-SHELL".into(), s.clone()],
        Json::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect(),
        other => vec!["CMD-SHELL".into(), other.to_string()],
    };
    match test.split_first() {
        Some((kind, _)) if kind == "NONE" => cmd.push_str(" --no-healthcheck"),
        Some((kind, rest)) if kind == "CMD-SHELL" => {
            let _ = write!(cmd, " --health-cmd {}", quote(&rest.join(" ")));
        }
        Some((kind, rest)) if kind == "CMD" => {
            // docker run has no exec form for --health-cmd: quote each word for the shell.
            let words: Vec<String> = rest.iter().map(|w| quote(w)).collect();
            let _ = write!(cmd, " --health-cmd {}", quote(&words.join(" ")));
        }
        _ => {
            let _ = write!(cmd, " --health-cmd {}", quote(&test.join(" ")));
        }
    }
    for (flag, value) in [
        ("interval", &h.interval),
        ("timeout", &h.timeout),
        ("start-period", &h.start_period),
    ] {
        if let Some(v) = value {
            let _ = write!(cmd, " --health-{flag} {}", quote(v));
        }
    }
    if let Some(r) = h.retries {
        let _ = write!(cmd, " --health-retries {r}");
    }
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
