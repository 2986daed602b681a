//! `apt`'s arguments, shared by the module (`apt.rs`) and its parts (`apt_plan.rs`,
//! `apt_debs.rs`, `apt_upgrade.rs`), with the flags they make for apt-get.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::{de_list, de_opt_bool};
use crate::modules::{de_bool, de_u64};

pub(crate) const APT_GET: &str = "/usr/bin/apt-get";

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(default = "present")]
    pub state: String,
    #[serde(default, alias = "update-cache", deserialize_with = "de_opt_bool")]
    pub update_cache: Option<bool>,
    #[serde(default = "five", deserialize_with = "de_u64")]
    pub update_cache_retries: u64,
    #[serde(default = "twelve", deserialize_with = "de_u64")]
    pub update_cache_retry_max_delay: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub cache_valid_time: u64,
    #[serde(default, deserialize_with = "de_bool")]
    pub purge: bool,
    #[serde(default, alias = "pkg", alias = "name", deserialize_with = "de_list")]
    pub package: Vec<String>,
    pub deb: Option<String>,
    #[serde(alias = "default-release")]
    pub default_release: Option<String>,
    #[serde(
        default,
        alias = "install-recommends",
        deserialize_with = "de_opt_bool"
    )]
    pub install_recommends: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default = "no", deserialize_with = "de_upgrade")]
    pub upgrade: String,
    #[serde(default = "dpkg_defaults")]
    pub dpkg_options: String,
    #[serde(default, deserialize_with = "de_bool")]
    pub autoremove: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub autoclean: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub fail_on_autoremove: bool,
    pub policy_rc_d: Option<i64>,
    #[serde(default, deserialize_with = "de_bool")]
    pub only_upgrade: bool,
    /// ferry uses apt-get unless aptitude is on the host, as Ansible does.
    #[serde(default, deserialize_with = "de_bool")]
    pub force_apt_get: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub clean: bool,
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "de_bool")]
    pub allow_unauthenticated: bool,
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "de_bool"
    )]
    pub allow_downgrade: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub allow_change_held_packages: bool,
    #[serde(default = "sixty", deserialize_with = "de_u64")]
    pub lock_timeout: u64,
}

fn present() -> String {
    "present".into()
}
fn no() -> String {
    "no".into()
}
fn five() -> u64 {
    5
}
fn twelve() -> u64 {
    12
}
fn sixty() -> u64 {
    60
}
fn dpkg_defaults() -> String {
    "force-confdef,force-confold".into()
}

/// `upgrade: yes` (a boolean in YAML) is the choice `yes`.
fn de_upgrade<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Json::deserialize(d)? {
        Json::Bool(true) => "yes".into(),
        Json::Bool(false) => "no".into(),
        Json::String(s) => s,
        other => other.to_string(),
    })
}

impl Args {
    /// `-o Dpkg::Options::=--x` for each of `dpkg_options`.
    pub(crate) fn dpkg_flags(&self) -> String {
        let flags: Vec<String> = self
            .dpkg_options
            .split(',')
            .map(|o| format!("-o \"Dpkg::Options::=--{o}\""))
            .collect();
        flags.join(" ")
    }

    /// ` -t 'release'` when a default release is set.
    pub(crate) fn release_flag(&self) -> String {
        self.default_release
            .as_ref()
            .map_or(String::new(), |r| format!(" -t {}", quote(r)))
    }
}
