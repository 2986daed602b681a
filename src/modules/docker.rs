//! What the docker modules share: image IDs and inspect output read with the `docker` CLI on the
//! host, and a push that tells whether layers were uploaded.

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::run;
use crate::modules::{ArgProblem, ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// community.docker's arguments for reaching the daemon. ferry runs the docker CLI on the
/// host, which reaches its daemon as its environment says: these are known, and refused at
/// load with that advice ([`refuse_connection`]).
pub(crate) const CONNECTION_ARGS: &[&str] = &[
    "api_version",
    "ca_path",
    "client_cert",
    "client_key",
    "debug",
    "docker_host",
    "timeout",
    "tls",
    "tls_hostname",
    "use_ssh_client",
    "validate_certs",
];

/// Refuses a connection argument (see [`CONNECTION_ARGS`]) a docker module was given.
pub(crate) fn refuse_connection(args: &Vars, module: &str) -> Result<(), ArgProblem> {
    match CONNECTION_ARGS.iter().find(|n| args.contains_key(**n)) {
        Some(name) => Err(ArgProblem {
            message: format!("argument '{name}' of module '{module}' is not supported by ferry"),
            hint: "ferry runs the docker CLI on the host: set DOCKER_HOST, DOCKER_TLS_VERIFY, \
                   DOCKER_CERT_PATH or DOCKER_API_VERSION with the task's 'environment:'"
                .into(),
        }),
        None => Ok(()),
    }
}

/// The ID of `image` on the host, if it exists there.
pub(crate) async fn image_id(
    ctx: &ModuleCtx<'_>,
    image: &str,
) -> Result<Option<String>, ModuleResult> {
    let out = run(
        ctx,
        &format!(
            "docker image inspect --format '{{{{.Id}}}}' {} 2>/dev/null || true",
            quote(image)
        ),
    )
    .await?;
    let id = out.trim();
    Ok((!id.is_empty()).then(|| id.to_string()))
}

/// `docker <kind> inspect NAME` as JSON, if it exists.
pub(crate) async fn inspect(
    ctx: &ModuleCtx<'_>,
    kind: &str,
    name: &str,
) -> Result<Option<Json>, ModuleResult> {
    let out = run(
        ctx,
        &format!("docker {kind} inspect {} 2>/dev/null || true", quote(name)),
    )
    .await?;
    Ok(match serde_json::from_str::<Json>(out.trim()) {
        Ok(Json::Array(mut items)) if !items.is_empty() => Some(items.remove(0)),
        _ => None,
    })
}

/// Pushes `image`; returns whether any layer was uploaded, and the pushed digest.
pub(crate) async fn push(
    ctx: &ModuleCtx<'_>,
    image: &str,
) -> Result<(bool, Option<String>), ModuleResult> {
    let out = run(ctx, &format!("docker push {}", quote(image))).await?;
    let uploaded = out.lines().any(|l| l.trim_end().ends_with(": Pushed"));
    let digest = out
        .lines()
        .find_map(|l| l.split("digest: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(String::from);
    Ok((uploaded, digest))
}
