//! `docker_container`'s `docker create` line (every option it was asked for, the one-flag
//! options through `docker_flags`), and what happens around the container's life: extra
//! networks connected after create, `paused`, `detach: false` (wait, output, `cleanup`).

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::docker_container_args::{Args, Healthcheck, LABEL};
use crate::modules::docker_flags::text;
use crate::modules::host::run;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// `docker rm -f`, with the anonymous volumes unless `keep_volumes`.
pub(crate) fn rm_command(args: &Args) -> String {
    let volumes = if args.keep_volumes { "" } else { " -v" };
    format!("docker rm -f{volumes} {}", quote(&args.name))
}

/// The `docker create` line for what the task asks.
pub(crate) fn create_command(
    args: &Args,
    image: &str,
    config: &str,
) -> Result<String, ModuleResult> {
    let mut cmd = format!(
        "docker create --name {} --label {}",
        quote(&args.name),
        quote(&format!("{LABEL}={config}"))
    );
    for p in &args.ports {
        let mut p = text(p);
        if let Some(ip) = args
            .default_host_ip
            .as_deref()
            .filter(|_| p.matches(':').count() == 1)
        {
            p = format!("{ip}:{p}");
        }
        let _ = write!(cmd, " -p {}", quote(&p));
    }
    for (k, v) in &args.env {
        let _ = write!(cmd, " -e {}", quote(&format!("{k}={}", text(v))));
    }
    for v in &args.volumes {
        let _ = write!(cmd, " -v {}", quote(v));
    }
    for m in &args.mounts {
        let _ = write!(cmd, " --mount {}", quote(&mount_spec(m)));
    }
    let restart = match (&args.restart_policy, args.restart_retries) {
        (Some(r), Some(n)) if r == "on-failure" => Some(format!("{r}:{n}")),
        (r, _) => r.clone(),
    };
    if let Some(r) = restart {
        let _ = write!(cmd, " --restart {}", quote(&r));
    }
    match (&args.network_mode, args.networks.first()) {
        (Some(n), _) => {
            let _ = write!(cmd, " --network {}", quote(n));
        }
        (None, Some(net)) => {
            let _ = write!(cmd, " --network {}", quote(&net.name));
            for a in &net.aliases {
                let _ = write!(cmd, " --network-alias {}", quote(a));
            }
            for (flag, v) in [("--ip", &net.ipv4_address), ("--ip6", &net.ipv6_address)] {
                if let Some(v) = v {
                    let _ = write!(cmd, " {flag} {}", quote(v));
                }
            }
        }
        (None, None) => {}
    }
    if let Some(h) = &args.healthcheck {
        health_flags(&mut cmd, h);
    }
    args.flags
        .write(&mut cmd)
        .map_err(|e| ModuleResult::failed(format!("docker_container: {e}")))?;
    let mut words = words(args.entrypoint.as_ref());
    if !words.is_empty() {
        let _ = write!(cmd, " --entrypoint {}", quote(&words.remove(0)));
    }
    let _ = write!(cmd, " {}", quote(image));
    words.extend(self::words(args.command.as_ref()));
    for w in words {
        let _ = write!(cmd, " {}", quote(&w));
    }
    Ok(cmd)
}

/// A string (split as a shell would) or a list, as words.
fn words(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::String(s)) => shlex::split(s).unwrap_or_default(),
        Some(Json::Array(items)) => items.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

/// One of `mounts` as docker's `--mount` text.
fn mount_spec(m: &Vars) -> String {
    let mut parts = Vec::new();
    for (key, name) in [
        ("type", "type"),
        ("source", "source"),
        ("target", "target"),
        ("consistency", "consistency"),
        ("propagation", "bind-propagation"),
        ("volume_driver", "volume-driver"),
        ("tmpfs_size", "tmpfs-size"),
        ("tmpfs_mode", "tmpfs-mode"),
    ] {
        if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
            parts.push(format!("{name}={}", text(v)));
        }
    }
    let yes = |k: &str| matches!(m.get(k), Some(Json::Bool(true)));
    if yes("read_only") {
        parts.push("readonly".into());
    }
    if yes("no_copy") {
        parts.push("volume-nocopy".into());
    }
    for (key, name) in [("labels", "volume-label"), ("volume_options", "volume-opt")] {
        if let Some(Json::Object(map)) = m.get(key) {
            for (k, v) in map {
                parts.push(format!("{name}={k}={}", text(v)));
            }
        }
    }
    parts.join(",")
}

/// Connects the networks after the first to a new container.
pub(crate) async fn connect_networks(ctx: &ModuleCtx<'_>, args: &Args) -> Result<(), ModuleResult> {
    let skip = usize::from(args.network_mode.is_none());
    for net in args.networks.iter().skip(skip) {
        let mut cmd = String::from("docker network connect");
        for a in &net.aliases {
            let _ = write!(cmd, " --alias {}", quote(a));
        }
        for l in &net.links {
            let _ = write!(cmd, " --link {}", quote(l));
        }
        for (flag, v) in [("--ip", &net.ipv4_address), ("--ip6", &net.ipv6_address)] {
            if let Some(v) = v {
                let _ = write!(cmd, " {flag} {}", quote(v));
            }
        }
        let _ = write!(cmd, " {} {}", quote(&net.name), quote(&args.name));
        run(ctx, &cmd).await?;
    }
    Ok(())
}

/// `paused`: pauses or unpauses a running container.
pub(crate) async fn pause(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    current: Option<&Json>,
    actions: &mut Vec<String>,
) -> Result<(), ModuleResult> {
    let Some(want) = args.paused.filter(|_| args.state != "stopped") else {
        return Ok(());
    };
    let paused = current
        .and_then(|c| c.pointer("/State/Paused"))
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if want == paused {
        return Ok(());
    }
    let verb = if want { "pause" } else { "unpause" };
    if !ctx.check_mode {
        run(ctx, &format!("docker {verb} {}", quote(&args.name))).await?;
    }
    actions.push(format!("{verb}d container {}", args.name));
    Ok(())
}

/// `detach: false`: waits for the container to exit and reports its output (failing when it
/// exits non-zero), then removes it with `cleanup`.
pub(crate) async fn attached(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    actions: Vec<String>,
) -> Result<ModuleResult, ModuleResult> {
    let name = quote(&args.name);
    let status = run(ctx, &format!("docker wait {name}")).await?;
    let output = run(ctx, &format!("docker logs {name} 2>&1")).await?;
    if args.cleanup {
        run(ctx, &rm_command(args)).await?;
    }
    let code: i64 = status.trim().parse().unwrap_or(-1);
    let mut data = Vars::new();
    data.insert(
        "actions".into(),
        actions.into_iter().map(Json::from).collect(),
    );
    data.insert("status".into(), code.into());
    data.insert("container".into(), serde_json::json!({"Output": output}));
    if code != 0 {
        data.insert("msg".into(), output.into());
        return Err(ModuleResult {
            failed: true,
            data,
            ..Default::default()
        });
    }
    Ok(ModuleResult {
        changed: true,
        data,
        ..Default::default()
    })
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
