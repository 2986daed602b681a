//! `docker_login`: logs the host's docker CLI in to a registry. The password goes over the
//! command's stdin (`--password-stdin`), never on a command line; results never contain it.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::docker::{refuse_connection, CONNECTION_ARGS};
use crate::modules::{argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "docker_login",
    hides_results: true,
    collection: "community.docker",
    groups: &["community.docker.docker"],
    check: Some(|args| refuse_connection(args, "docker_login")),
    args: Some(|| [argnames::of::<Args>(), CONNECTION_ARGS].concat()),
    run: |ctx, args| Box::pin(typed("docker_login", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "registry")]
    registry_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    #[serde(default = "present")]
    state: String,
    #[serde(default, alias = "reauth", deserialize_with = "de_bool")]
    reauthorize: bool,
    /// The docker config file (`~/.docker/config.json`); docker takes its directory.
    #[serde(alias = "dockercfg_path")]
    config_path: Option<String>,
}

fn present() -> String {
    "present".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let registry = args
        .registry_url
        .clone()
        .unwrap_or_else(|| "https://index.docker.io/v1/".into());
    let mut data = Vars::new();
    data.insert("registry".into(), registry.clone().into());
    if ctx.check_mode {
        return ModuleResult {
            changed: true,
            data,
            ..Default::default()
        };
    }
    // `changed` is whether the stored credentials changed: docker rewrites its config file
    // on every login, with the same content when nothing changed.
    let env = match args.config_path.as_deref().map(|p| p.rsplit_once('/')) {
        None => String::new(),
        Some(Some((dir, "config.json"))) => format!("export DOCKER_CONFIG={}; ", quote(dir)),
        Some(_) => {
            return ModuleResult::failed(
                "config_path must name a file config.json: the docker CLI reads its config from a directory",
            )
        }
    };
    let stored = &format!(
        "{env}cat \"${{DOCKER_CONFIG:-$HOME/.docker}}/config.json\" 2>/dev/null | sha1sum"
    );
    let before = ctx.exec(stored).await.map(|o| o.stdout).unwrap_or_default();
    let out = if args.state == "absent" {
        ctx.exec(&format!("{env}docker logout {}", quote(&registry)))
            .await
    } else {
        let (Some(user), Some(password)) = (&args.username, &args.password) else {
            return ModuleResult::failed("username and password are required to log in");
        };
        let cmd = format!(
            "{env}docker login {} --username {} --password-stdin",
            quote(&registry),
            quote(user)
        );
        ctx.exec_stdin(&cmd, password.as_bytes()).await
    };
    match out {
        Ok(o) if o.rc == 0 => {
            let after = ctx.exec(stored).await.map(|o| o.stdout).unwrap_or_default();
            data.insert("login_result".into(), o.stdout.trim().to_string().into());
            ModuleResult {
                changed: before != after || args.reauthorize,
                data,
                ..Default::default()
            }
        }
        Ok(o) => ModuleResult::failed(format!(
            "Logging into {registry} failed: {}",
            o.stderr.trim()
        )),
        Err(e) => ModuleResult::unreachable(&e),
    }
}
