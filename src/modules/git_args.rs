//! `git`'s arguments, shared by the module (`git.rs`) and its commands (`git_remote.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{de_bool, de_opt_u64};

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(alias = "name")]
    pub repo: String,
    pub dest: Option<String>,
    #[serde(default = "head")]
    pub version: String,
    #[serde(default = "origin")]
    pub remote: String,
    pub refspec: Option<String>,
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default, deserialize_with = "de_opt_u64")]
    pub depth: Option<u64>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub clone: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub update: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub verify_commit: bool,
    #[serde(default, alias = "gpg_whitelist")]
    pub gpg_allowlist: Vec<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub accept_hostkey: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub accept_newhostkey: bool,
    pub key_file: Option<String>,
    pub ssh_opts: Option<String>,
    pub executable: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub bare: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub recursive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub single_branch: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub track_submodules: bool,
    pub umask: Option<Json>,
    pub archive: Option<String>,
    pub archive_prefix: Option<String>,
    pub separate_git_dir: Option<String>,
}

fn head() -> String {
    "HEAD".into()
}
fn origin() -> String {
    "origin".into()
}
