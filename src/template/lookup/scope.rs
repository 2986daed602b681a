//! What a lookup sees of the render: every variable in scope (not only those the template
//! names) and the directories relative paths are searched in.
//!
//! A template that calls a lookup gets one hidden variable, [`ALL_VARS`], holding a copy of
//! the whole scope; templates without lookups never pay for it (see `compiled.rs`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use minijinja::value::{Object, Value};
use serde_json::Value as Json;

use crate::template::Templar;
use crate::vars::Vars;

/// The name of the hidden variable holding every variable, for lookups.
pub(crate) const ALL_VARS: &str = "__ferry_all_vars__";

/// Every variable of a render, as an opaque template value only lookups read.
#[derive(Debug)]
pub(crate) struct AllVars(pub(crate) Vars);

impl Object for AllVars {
    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        None
    }
}

/// The variables a lookup reads.
pub(crate) struct Scope<'a> {
    vars: &'a Vars,
}

/// The scope of a render that has no variables (a lookup called outside ferry's templar).
fn no_vars() -> &'static Vars {
    static EMPTY: OnceLock<Vars> = OnceLock::new();
    EMPTY.get_or_init(Vars::new)
}

impl<'a> Scope<'a> {
    /// The scope over `vars`.
    pub(crate) fn new(vars: &'a Vars) -> Scope<'a> {
        Scope { vars }
    }

    /// The scope held by the hidden variable's value (an empty one if it is missing).
    pub(crate) fn from_value(value: Option<&'a Value>) -> Scope<'a> {
        let vars: &'a Vars = match value.and_then(|v| v.downcast_object_ref::<AllVars>()) {
            Some(all) => &all.0,
            None => no_vars(),
        };
        Scope { vars }
    }

    /// Every variable.
    pub(crate) fn vars(&self) -> &'a Vars {
        self.vars
    }

    /// A variable's value as text.
    fn var_str(&self, name: &str) -> Option<&'a str> {
        self.vars.get(name).and_then(Json::as_str)
    }

    /// The directory commands run in and relative paths start from: `playbook_dir`, else
    /// the current directory.
    pub(crate) fn base_dir(&self) -> PathBuf {
        self.var_str("playbook_dir")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Finds `name` as Ansible's lookups do: an absolute path as it is; a relative one in the
    /// role's `<subdir>/` and the role, then the playbook's `<subdir>/` and the playbook's
    /// directory. Directories count.
    pub(crate) fn find(&self, subdir: &str, name: &str) -> Option<PathBuf> {
        let path = Path::new(name);
        if path.is_absolute() {
            return path.exists().then(|| path.to_path_buf());
        }
        self.search_dirs(subdir)
            .into_iter()
            .map(|d| d.join(path))
            .find(|p| p.exists())
    }

    /// The directories relative paths are searched in, in order (in a role, its `tasks/`
    /// too, as Ansible searches next to the task's file).
    pub(crate) fn search_dirs(&self, subdir: &str) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(role) = self.var_str("role_path").map(PathBuf::from) {
            dirs.push(role.join(subdir));
            dirs.push(role.join("tasks"));
            dirs.push(role);
        }
        let base = self.base_dir();
        dirs.push(base.join(subdir));
        dirs.push(base);
        dirs
    }
}

/// The templar lookups render with (`template`, `vars`).
pub(crate) fn templar() -> &'static Templar {
    static TEMPLAR: OnceLock<Templar> = OnceLock::new();
    TEMPLAR.get_or_init(Templar::new)
}
