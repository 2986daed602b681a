//! `ini_file`'s arguments, shared by the module (`ini_file.rs`) and its edit (`ini_edit.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::args::FileArgs;
use crate::modules::host::Attrs;
use crate::modules::{de_bool, yes};

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(alias = "dest")]
    pub(crate) path: String,
    pub(crate) section: Option<String>,
    pub(crate) section_has_values: Option<Vec<Condition>>,
    pub(crate) option: Option<String>,
    pub(crate) value: Option<Json>,
    pub(crate) values: Option<Vec<Json>>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) backup: bool,
    #[serde(default = "present")]
    pub(crate) state: String,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) exclusive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) no_extra_spaces: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) ignore_spaces: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) allow_no_value: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) modify_inactive_option: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) follow: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    pub(crate) attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

/// One `section_has_values` entry: the section must have this option (with one of `values`).
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct Condition {
    pub(crate) option: String,
    pub(crate) value: Option<Json>,
    pub(crate) values: Option<Vec<Json>>,
}

fn present() -> String {
    "present".into()
}

/// A YAML scalar as the `str` Ansible converts it to.
fn text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        other => Some(other.to_string()),
    }
}

/// The values an option (or a condition) names: `value`, or else `values`.
pub(crate) fn values_of(value: &Option<Json>, values: &Option<Vec<Json>>) -> Vec<String> {
    match (value, values) {
        (Some(v), _) if !v.is_null() => text(v).into_iter().collect(),
        (_, Some(vs)) => vs.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}
