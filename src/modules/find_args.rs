//! `find`'s arguments, shared by the module (`find.rs`) and its filters (`find_filter.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::de_bool;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(alias = "name", alias = "path")]
    pub paths: Json,
    #[serde(default, alias = "pattern")]
    pub patterns: Json,
    #[serde(default, alias = "exclude")]
    pub excludes: Json,
    pub contains: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub read_whole_file: bool,
    #[serde(default = "file")]
    pub file_type: String,
    pub age: Option<String>,
    #[serde(default = "mtime")]
    pub age_stamp: String,
    pub size: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub recurse: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub hidden: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub follow: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub get_checksum: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub use_regex: bool,
    pub depth: Option<i64>,
    pub mode: Option<Json>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub exact_mode: bool,
    pub encoding: Option<String>,
    pub limit: Option<i64>,
}

fn file() -> String {
    "file".into()
}
fn mtime() -> String {
    "mtime".into()
}

/// A list argument as Ansible reads one: a list, or a comma-separated string.
pub(crate) fn list(v: &Json) -> Vec<String> {
    match v {
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Json::String(s) if !s.is_empty() => s.split(',').map(|p| p.trim().to_string()).collect(),
        Json::Null | Json::String(_) => Vec::new(),
        other => vec![other.to_string()],
    }
}
