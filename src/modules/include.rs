//! `include_tasks` and `include_role`: the names the loader knows for dynamic includes. The
//! executor runs them itself (it reads the file or role at run time); these declarations only
//! give their arguments. One file for both: they are one concept, told apart by name.

use serde::Deserialize;

use crate::modules::{argnames, FreeForm, ModuleResult, ModuleSpec, DEFAULTS};

pub(crate) static TASKS: ModuleSpec = ModuleSpec {
    name: "include_tasks",
    args: Some(|| argnames::of::<TasksArgs>().to_vec()),
    free_form: FreeForm::Raw,
    run: |_, _| Box::pin(async { ModuleResult::failed(RUN_BY_EXECUTOR) }),
    ..DEFAULTS
};

pub(crate) static ROLE: ModuleSpec = ModuleSpec {
    name: "include_role",
    args: Some(|| argnames::of::<RoleArgs>().to_vec()),
    run: |_, _| Box::pin(async { ModuleResult::failed(RUN_BY_EXECUTOR) }),
    ..DEFAULTS
};

const RUN_BY_EXECUTOR: &str = "an include is run by the executor, not on a host";

/// `include_tasks`' arguments (read for their names).
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TasksArgs {
    _raw_params: Option<String>,
    file: Option<String>,
    apply: Option<serde_json::Value>,
}

/// `include_role`'s arguments (read for their names).
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleArgs {
    name: String,
    tasks_from: Option<String>,
    vars_from: Option<String>,
    defaults_from: Option<String>,
    handlers_from: Option<String>,
    public: Option<serde_json::Value>,
    apply: Option<serde_json::Value>,
    allow_duplicates: Option<serde_json::Value>,
    rolespec_validate: Option<serde_json::Value>,
}
