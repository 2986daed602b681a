//! `docker_image` (as community.docker names it): build, pull, tag, push or remove an image with
//! the `docker` CLI on the host. `changed` is honest: a build counts only when the image ID
//! changed, a push only when layers were uploaded, a removal only when the image existed.
//!
//! Builds use BuildKit where the CLI can drive it (see `CHOOSE_BUILDER`; a `DOCKER_BUILDKIT`
//! in the environment is never overridden), whose
//! builds are reproducible: an unchanged tree gives the same image ID, even after the image
//! was removed locally. When the image is not on the host before a build that will be pushed,
//! the ID it is compared with is the one the registry holds for the tag (the config digest
//! of its manifest), so a CI job that builds, pushes and removes reports an unchanged tree
//! as an unchanged build.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::docker::{image_id, inspect, push, refuse_connection, CONNECTION_ARGS};
use crate::modules::host::run;
use crate::modules::{argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "docker_image",
    path_args: &["path", "archive_path", "load_path"],
    collection: "community.docker",
    groups: &["community.docker.docker"],
    check: Some(|args| refuse_connection(args, "docker_image")),
    args: Some(|| [argnames::of::<Args>(), CONNECTION_ARGS].concat()),
    run: |ctx, args| Box::pin(typed("docker_image", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    name: String,
    tag: Option<String>,
    source: Option<String>,
    build: Option<Build>,
    #[serde(default, deserialize_with = "de_bool")]
    push: bool,
    repository: Option<String>,
    #[serde(default = "present")]
    state: String,
    #[serde(default, deserialize_with = "de_bool")]
    force_source: bool,
    #[serde(default, deserialize_with = "de_bool")]
    force_tag: bool,
    #[serde(default, deserialize_with = "de_bool")]
    force_absent: bool,
    /// `source: load`: the archive on the host to load the image from.
    load_path: Option<String>,
    /// Where on the host to save the image (`docker save`) when it is new or changed.
    archive_path: Option<String>,
    /// `{platform}` for `source: pull`.
    pull: Option<PullOptions>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PullOptions {
    platform: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Build {
    path: Option<String>,
    dockerfile: Option<String>,
    #[serde(default)]
    args: Vars,
    #[serde(default, deserialize_with = "de_bool")]
    pull: bool,
    #[serde(default, deserialize_with = "de_bool")]
    nocache: bool,
    target: Option<String>,
    platform: Option<String>,
    #[serde(default)]
    cache_from: Vec<String>,
    network: Option<String>,
    /// Intermediate containers are removed (`--rm`, docker's default) unless `false`.
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    rm: bool,
    #[serde(default)]
    labels: Vars,
    shm_size: Option<String>,
    #[serde(default)]
    etc_hosts: Vars,
    /// `{memory, memswap, cpushares, cpusetcpus}`.
    #[serde(default)]
    container_limits: Vars,
    /// The docker CLI's own proxy configuration is used either way.
    #[allow(dead_code)]
    use_config_proxy: Option<Json>,
    /// The docker CLI waits for the build as long as it takes.
    #[allow(dead_code)]
    http_timeout: Option<Json>,
}

fn present() -> String {
    "present".into()
}

/// `name:tag`, where a tag already in `name` wins over `tag` (default `latest`).
pub(crate) fn full_name(name: &str, tag: Option<&str>) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || name.contains('@') {
        name.to_string()
    } else {
        format!("{name}:{}", tag.unwrap_or("latest"))
    }
}

async fn run_module(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let image = full_name(&args.name, args.tag.as_deref());
    match present_or_absent(ctx, &args, &image).await {
        Ok(r) | Err(r) => r,
    }
}

async fn present_or_absent(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    image: &str,
) -> Result<ModuleResult, ModuleResult> {
    let before = image_id(ctx, image).await?;
    if args.state == "absent" {
        return absent(ctx, args, image, before.is_some()).await;
    }
    let mut actions: Vec<String> = Vec::new();
    let reference = obtain(ctx, args, image, before.as_deref(), &mut actions).await?;
    let after = if ctx.check_mode {
        before.clone()
    } else {
        image_id(ctx, image).await?
    };
    let mut changed = after != reference || (ctx.check_mode && !actions.is_empty());
    if after == reference {
        actions.retain(|a| !a.starts_with("Built") && !a.starts_with("Pulled"));
    }
    let mut data = Vars::new();
    let (tagged, pushed_ref) = tag(ctx, args, image, after.as_deref(), &mut actions).await?;
    changed |= tagged;
    if args.push && !ctx.check_mode {
        let (uploaded, digest) = push(ctx, &pushed_ref).await?;
        if uploaded {
            actions.push(format!("Pushed image {pushed_ref}"));
            changed = true;
        }
        if let Some(d) = digest {
            data.insert("digest".into(), d.into());
        }
    }
    if let Some(path) = &args.archive_path {
        let p = quote(path);
        let missing = run(ctx, &format!("[ -e {p} ] || echo missing")).await?;
        if changed || !missing.trim().is_empty() {
            if !ctx.check_mode {
                run(ctx, &format!("docker save -o {p} {}", quote(image))).await?;
            }
            actions.push(format!("Archived image {image} to {path}"));
            changed = true;
        }
    }
    if let Some(img) = inspect(ctx, "image", image).await? {
        data.insert("image".into(), img);
    }
    data.insert(
        "actions".into(),
        actions.into_iter().map(Json::from).collect(),
    );
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

/// `state: absent`: removes the image if it is there.
async fn absent(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    image: &str,
    exists: bool,
) -> Result<ModuleResult, ModuleResult> {
    let mut actions: Vec<Json> = Vec::new();
    if exists {
        if !ctx.check_mode {
            let force = if args.force_absent { "-f " } else { "" };
            run(ctx, &format!("docker rmi {force}{}", quote(image))).await?;
        }
        actions.push(format!("Removed image {image}").into());
    }
    let mut data = Vars::new();
    data.insert("actions".into(), Json::Array(actions));
    Ok(ModuleResult {
        changed: exists,
        data,
        ..Default::default()
    })
}

/// Builds or pulls the image when needed (`source`); returns the ID a build is compared
/// with: the local image before, else what the registry has for the pushed name.
async fn obtain(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    image: &str,
    before: Option<&str>,
    actions: &mut Vec<String>,
) -> Result<Option<String>, ModuleResult> {
    let source = args.source.as_deref().unwrap_or(if args.build.is_some() {
        "build"
    } else {
        "local"
    });
    let wanted = before.is_none() || args.force_source;
    let mut reference = before.map(String::from);
    if source == "build" && wanted && before.is_none() && args.push {
        let target = match &args.repository {
            Some(repo) => full_name(repo, args.tag.as_deref()),
            None => image.to_string(),
        };
        reference = registry_image_id(ctx, &target).await;
    }
    match source {
        "build" if wanted => {
            let b = args
                .build
                .as_ref()
                .ok_or_else(|| ModuleResult::failed("source=build needs 'build'"))?;
            if !ctx.check_mode {
                run(ctx, &build_command(image, b)?).await?;
            }
            actions.push(format!(
                "Built image {image} from {}",
                b.path.as_deref().unwrap_or(".")
            ));
        }
        "pull" if wanted => {
            let platform = match args.pull.as_ref().and_then(|p| p.platform.as_deref()) {
                Some(p) => format!(" --platform {}", quote(p)),
                None => String::new(),
            };
            if !ctx.check_mode {
                run(ctx, &format!("docker pull{platform} {}", quote(image))).await?;
            }
            actions.push(format!("Pulled image {image}"));
        }
        "load" if wanted => {
            let path = args
                .load_path
                .as_deref()
                .ok_or_else(|| ModuleResult::failed("source=load needs 'load_path'"))?;
            if !ctx.check_mode {
                run(ctx, &format!("docker load -i {}", quote(path))).await?;
            }
            actions.push(format!("Loaded image {image} from {path}"));
        }
        "local" if before.is_none() => {
            return Err(ModuleResult::failed(format!(
                "Cannot find the image {image} locally."
            )))
        }
        "local" | "build" | "pull" | "load" => {}
        other => {
            return Err(ModuleResult::failed(format!(
                "source must be build, load, pull or local, got: {other}"
            )))
        }
    }
    Ok(reference)
}

/// `repository`: tags the image with it when the tag points elsewhere (or `force_tag`);
/// whether it tagged, and the name a push uses.
async fn tag(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    image: &str,
    after: Option<&str>,
    actions: &mut Vec<String>,
) -> Result<(bool, String), ModuleResult> {
    let Some(repo) = &args.repository else {
        return Ok((false, image.to_string()));
    };
    let target = full_name(repo, args.tag.as_deref());
    let current = image_id(ctx, &target).await?;
    if current.as_deref() == after && !args.force_tag {
        return Ok((false, target));
    }
    if !ctx.check_mode {
        run(
            ctx,
            &format!("docker tag {} {}", quote(image), quote(&target)),
        )
        .await?;
    }
    actions.push(format!("Tagged image {image} to {target}"));
    Ok((true, target))
}

/// The image ID (config digest) the registry holds for `image`, if it can be read: the
/// registry may not have the tag yet, or not be reachable from the host.
async fn registry_image_id(ctx: &ModuleCtx<'_>, image: &str) -> Option<String> {
    // Like the docker daemon, talk plain HTTP only to registries on this machine.
    let registry = image.split('/').next().unwrap_or("");
    let local =
        image.contains('/') && (registry.starts_with("localhost") || registry.starts_with("127."));
    let insecure = if local { " --insecure" } else { "" };
    let out = ctx
        .exec(&format!(
            "docker manifest inspect{insecure} {}",
            quote(image)
        ))
        .await
        .ok()
        .filter(|o| o.rc == 0)?;
    let manifest: Json = serde_json::from_str(&out.stdout).ok()?;
    manifest
        .pointer("/config/digest")
        .and_then(Json::as_str)
        .map(String::from)
}

/// Sets `DOCKER_BUILDKIT` unless the user did: BuildKit (1) where the CLI can drive it — with
/// the buildx plugin, or a CLI before 23.0, which had it built in — else the classic builder
/// (0): a CLI from 23.0 on without buildx refuses BuildKit builds.
const CHOOSE_BUILDER: &str = "if [ -z \"${DOCKER_BUILDKIT+set}\" ]; then \
     if docker buildx version >/dev/null 2>&1; then DOCKER_BUILDKIT=1; \
     else case \"$(docker version --format '{{.Client.Version}}' 2>/dev/null)\" in \
     1[0-9].*|2[0-2].*) DOCKER_BUILDKIT=1 ;; *) DOCKER_BUILDKIT=0 ;; esac; fi; \
     export DOCKER_BUILDKIT; fi;";

fn build_command(image: &str, b: &Build) -> Result<String, ModuleResult> {
    let mut cmd = format!("{CHOOSE_BUILDER} docker build -t {}", quote(image));
    if let Some(f) = &b.dockerfile {
        let path = b.path.as_deref().unwrap_or(".");
        let file = if f.starts_with('/') {
            f.clone()
        } else {
            format!("{}/{f}", path.trim_end_matches('/'))
        };
        let _ = write!(cmd, " -f {}", quote(&file));
    }
    for (k, v) in &b.args {
        let v = match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = write!(cmd, " --build-arg {}", quote(&format!("{k}={v}")));
    }
    if b.pull {
        cmd.push_str(" --pull");
    }
    if b.nocache {
        cmd.push_str(" --no-cache");
    }
    if let Some(t) = &b.target {
        let _ = write!(cmd, " --target {}", quote(t));
    }
    for (flag, value) in [
        ("--platform", &b.platform),
        ("--network", &b.network),
        ("--shm-size", &b.shm_size),
    ] {
        if let Some(v) = value {
            let _ = write!(cmd, " {flag} {}", quote(v));
        }
    }
    for c in &b.cache_from {
        let _ = write!(cmd, " --cache-from {}", quote(c));
    }
    if !b.rm {
        cmd.push_str(" --rm=false");
    }
    let text = |v: &Json| {
        v.as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string())
    };
    for (k, v) in &b.labels {
        let _ = write!(cmd, " --label {}", quote(&format!("{k}={}", text(v))));
    }
    for (k, v) in &b.etc_hosts {
        let _ = write!(cmd, " --add-host {}", quote(&format!("{k}:{}", text(v))));
    }
    for (key, flag) in [
        ("memory", "--memory"),
        ("memswap", "--memory-swap"),
        ("cpushares", "--cpu-shares"),
        ("cpusetcpus", "--cpuset-cpus"),
    ] {
        if let Some(v) = b.container_limits.get(key) {
            let _ = write!(cmd, " {flag} {}", quote(&text(v)));
        }
    }
    let _ = write!(cmd, " {}", quote(b.path.as_deref().unwrap_or(".")));
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (name, tag, want) in [
            ("app", None, "app:latest"),
            ("app", Some("v1"), "app:v1"),
            ("reg:5000/app", Some("abc"), "reg:5000/app:abc"),
            ("reg:5000/app:x", Some("abc"), "reg:5000/app:x"),
        ] {
            assert_eq!(full_name(name, tag), want);
        }
    }

    /// The builder choice, run by sh against a stand-in `docker` that has buildx or not and
    /// reports a client version (no Docker 28 CLI runs here; the stand-in records nothing,
    /// the test reads the variable the snippet exports).
    #[test]
    fn buildkit_only_where_the_cli_can_drive_it() {
        let dir = tempfile::tempdir().unwrap();
        for (buildx, version, preset, want) in [
            (true, "28.2.2", None, "1"),
            (false, "28.2.2", None, "0"),
            (false, "20.10.24", None, "1"),
            (false, "28.2.2", Some("1"), "1"),
            (true, "28.2.2", Some("0"), "0"),
        ] {
            let stand_in = format!(
                "#!/bin/sh\ncase \"$1\" in buildx) exit {};; version) echo {version};; esac\n",
                if buildx { 0 } else { 1 }
            );
            let docker = dir.path().join("docker");
            std::fs::write(&docker, stand_in).unwrap();
            std::process::Command::new("chmod")
                .args(["+x", &docker.display().to_string()])
                .status()
                .unwrap();
            let mut sh = std::process::Command::new("sh");
            sh.arg("-c")
                .arg(format!("{CHOOSE_BUILDER} echo $DOCKER_BUILDKIT"))
                .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
                .env_remove("DOCKER_BUILDKIT");
            if let Some(v) = preset {
                sh.env("DOCKER_BUILDKIT", v);
            }
            let out = sh.output().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                want,
                "buildx {buildx}, CLI {version}, preset {preset:?}"
            );
        }
    }
}
