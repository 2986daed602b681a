//! Modules ferry has no native code for, run as Ansible runs them, on the host's Python (or as
//! the executable they are) over the host's existing connection, with become and environment
//! applied by the connection layer.
//!
//! - `package.rs`: a Python module and the support code it imports, zipped as AnsiballZ does,
//!   kept on the controller by content hash (`imports.rs` reads import statements, `zip.rs`
//!   writes the archive).
//! - `python.rs`: one command per task runs the package on the host's Python (the package is
//!   sent once and kept on the host).
//! - `script.rs`: "want JSON", old-style and binary modules: an executable given an arguments
//!   file.
//! - `internals.rs`: the `_ansible_*` arguments; `interpreter.rs`: which interpreter, and the
//!   failure of a host without one; `outcome.rs`: the module's JSON made the task result.

mod imports;
mod internals;
mod interpreter;
mod outcome;
mod package;
mod python;
mod script;
mod zip;

use serde_json::Value as Json;

use crate::connection::ExecOutput;

use crate::collections::located;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// How a module's file wants to be run (Ansible's module styles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A binary executable: gets a JSON arguments file.
    Binary,
    /// Its text takes the arguments as JSON inline.
    JsonArgs,
    /// Python importing Ansible's support code: packaged and run by `AnsibleModule`.
    NewPython,
    /// Gets a file of `key=value` words.
    Old,
    /// PowerShell, for Windows hosts.
    PowerShell,
    /// Gets a JSON arguments file (`WANT_JSON` in its text).
    WantJson,
}

/// The style of a module whose file holds `text`, as Ansible tells them apart.
pub(crate) fn style(text: &[u8]) -> Style {
    let has = |s: &str| memchr::memmem::find(text, s.as_bytes()).is_some();
    if text.iter().take(8192).any(|b| *b == 0) || std::str::from_utf8(text).is_err() {
        Style::Binary
    } else if has("from ansible.module_utils.")
        || has("import ansible.module_utils")
        || has("from ansible_collections.")
        || has("import ansible_collections.")
    {
        Style::NewPython
    } else if has("#Requires -Module") || has("#AnsibleRequires") || has("#!powershell") {
        Style::PowerShell
    } else if has(script::JSON_ARGS) {
        Style::JsonArgs
    } else if has("WANT_JSON") {
        Style::WantJson
    } else {
        Style::Old
    }
}

/// Runs the module the task names (`ctx.module`) with `args`.
pub(crate) async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    if located::is_action_only(ctx.module) {
        return ModuleResult::failed(action_only(ctx.module));
    }
    let Some(file) = located::module_file(ctx.module) else {
        return ModuleResult::failed(format!(
            "module '{}' was resolved at load, but its file is not on this controller (is \
             ansible-core installed where ferry finds it? see FERRY_ANSIBLE_CORE_DIR)",
            ctx.module
        ));
    };
    let text = match std::fs::read(&file.path) {
        Ok(t) => t,
        Err(e) => return ModuleResult::failed(format!("cannot read {}: {e}", file.path.display())),
    };
    match style(&text) {
        Style::NewPython => python::run(ctx, &file, args).await,
        Style::PowerShell => ModuleResult::failed(format!(
            "module '{}' is a PowerShell module for Windows hosts, which ferry does not run",
            ctx.module
        )),
        other => {
            let version = located::core_dir()
                .and_then(located::core_version)
                .unwrap_or_else(|| "2.18.0".into());
            let args = internals::with_internals(ctx, args, &version);
            script::run(ctx, &text, other, &args).await
        }
    }
}

/// The result of a finished background job started by [`run`] (its saved `meta` says so), or
/// `None` for a job of another module.
pub(crate) fn job_result(meta: &Json, output: &ExecOutput) -> Option<ModuleResult> {
    let ours = meta.get(python::MODULE_JSON).and_then(Json::as_bool) == Some(true);
    ours.then(|| outcome::parse(output))
}

/// Why a task naming an action plugin without a module cannot run.
pub(crate) fn action_only(name: &str) -> String {
    format!(
        "'{name}' is an action plugin: it runs inside Ansible's controller process, and ferry \
         has no native equivalent for it"
    )
}
