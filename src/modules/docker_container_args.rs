//! `docker_container`'s arguments as community.docker takes them (`Args`, `networks`,
//! `healthcheck`), shared by the module (`docker_container.rs`) and its `docker create` line
//! (`docker_create.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::docker_flags::Flags;
use crate::modules::{de_bool, de_opt_u64};
use crate::vars::Vars;

#[derive(Deserialize)]
pub(crate) struct Args {
    pub(crate) name: String,
    pub(crate) image: Option<String>,
    #[serde(default = "started")]
    pub(crate) state: String,
    #[serde(default, alias = "published_ports")]
    pub(crate) ports: Vec<Json>,
    #[serde(default)]
    pub(crate) env: Vars,
    #[serde(default)]
    pub(crate) volumes: Vec<String>,
    pub(crate) restart_policy: Option<String>,
    pub(crate) command: Option<Json>,
    #[serde(default)]
    pub(crate) pull: Option<Json>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) recreate: bool,
    #[serde(default, deserialize_with = "de_opt_u64")]
    pub(crate) healthy_wait_timeout: Option<u64>,
    pub(crate) network_mode: Option<String>,
    pub(crate) healthcheck: Option<Healthcheck>,
    /// A string or list: its first word is docker's `--entrypoint`, the rest go before
    /// `command`.
    pub(crate) entrypoint: Option<Json>,
    /// `[{name, aliases, ipv4_address, ipv6_address, links}]`: the first is given at create,
    /// the others are connected after.
    #[serde(default)]
    pub(crate) networks: Vec<Network>,
    /// `[{target, source, type, read_only, ...}]` as `--mount`.
    #[serde(default)]
    pub(crate) mounts: Vec<Vars>,
    /// `false`: wait for the container to exit and report its output (failing if non-zero).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub(crate) detach: bool,
    /// With `detach: false`: remove the container after.
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) cleanup: bool,
    /// `false`: anonymous volumes are removed with the container.
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub(crate) keep_volumes: bool,
    /// `docker kill` (with `kill_signal`) instead of `docker stop`.
    #[serde(default, alias = "forcekill", deserialize_with = "de_bool")]
    pub(crate) force_kill: bool,
    pub(crate) kill_signal: Option<String>,
    /// Restart the container even when nothing changed.
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) restart: bool,
    #[serde(default, deserialize_with = "de_opt_u64")]
    pub(crate) restart_retries: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub(crate) paused: Option<bool>,
    /// Do not recreate the container when only its image changed.
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) ignore_image: bool,
    /// The host IP of published ports that name none.
    pub(crate) default_host_ip: Option<String>,
    /// Only docker's own defaults are used, as with `no_defaults` (`compatibility` sets the
    /// same values explicitly).
    #[allow(dead_code)]
    pub(crate) container_default_behavior: Option<String>,
    /// `docker rm` returns once the container is gone.
    #[allow(dead_code)]
    pub(crate) removal_wait_timeout: Option<Json>,
    /// With `detach: false` the output is in the result either way.
    #[allow(dead_code)]
    pub(crate) output_logs: Option<Json>,
    // Behaviour switches ferry accepts only with the value it has (see `check`).
    #[allow(dead_code)]
    pub(crate) command_handling: Option<String>,
    #[allow(dead_code)]
    pub(crate) image_comparison: Option<String>,
    #[allow(dead_code)]
    pub(crate) image_label_mismatch: Option<String>,
    #[allow(dead_code)]
    pub(crate) image_name_mismatch: Option<String>,
    #[allow(dead_code)]
    pub(crate) pull_check_mode_behavior: Option<String>,
    #[allow(dead_code)]
    pub(crate) networks_cli_compatible: Option<Json>,
    #[allow(dead_code)]
    pub(crate) purge_networks: Option<Json>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    pub(crate) flags: Flags,
}

/// One of `networks`.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Network {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    pub(crate) ipv4_address: Option<String>,
    pub(crate) ipv6_address: Option<String>,
    #[serde(default)]
    pub(crate) links: Vec<String>,
}

fn de_opt_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    de_bool(d).map(Some)
}

/// `healthcheck` as community.docker takes it (durations as docker takes them: `5s`, `1m`).
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Healthcheck {
    pub(crate) test: Json,
    pub(crate) interval: Option<String>,
    pub(crate) timeout: Option<String>,
    #[serde(default, deserialize_with = "de_opt_u64")]
    pub(crate) retries: Option<u64>,
    pub(crate) start_period: Option<String>,
}

fn started() -> String {
    "started".into()
}

pub(crate) const LABEL: &str = "ferry.config";
