//! What a module reports for one host ([`ModuleResult`]), and [`Outcome`] for module code that
//! stops early with `?`.

use serde_json::Value as Json;

use crate::connection::ConnError;
use crate::vars::Vars;

/// What a module reports for one host.
#[derive(Debug, Clone, Default)]
pub struct ModuleResult {
    /// Something changed on the host.
    pub changed: bool,
    /// The module failed.
    pub failed: bool,
    /// The host could not be reached.
    pub unreachable: bool,
    /// The module decided not to run.
    pub skipped: bool,
    /// Shown with its data even without -v (debug).
    pub verbose_always: bool,
    /// The result dictionary (rc, stdout, msg, ansible_facts, ...).
    pub data: Vars,
    /// The task failed before its module ran (its arguments did not render): as Ansible's task
    /// executor reports it, the result holds `failed` and `msg` only, no `changed`.
    pub task_error: bool,
}

impl ModuleResult {
    /// A successful result.
    pub fn ok(data: Vars) -> ModuleResult {
        ModuleResult {
            data,
            ..Default::default()
        }
    }

    /// A successful result that changed the host or not.
    pub fn changed(data: Vars, changed: bool) -> ModuleResult {
        ModuleResult {
            changed,
            data,
            ..Default::default()
        }
    }

    /// A failed result with a message.
    pub fn failed(msg: impl Into<String>) -> ModuleResult {
        let mut data = Vars::new();
        data.insert("msg".into(), Json::String(msg.into()));
        ModuleResult {
            failed: true,
            data,
            ..Default::default()
        }
    }

    /// The task failed before its module ran: `failed` and `msg` only (see `task_error`).
    pub fn task_error(msg: impl Into<String>) -> ModuleResult {
        ModuleResult {
            task_error: true,
            ..ModuleResult::failed(msg)
        }
    }

    /// The host could not be reached (or, for an error that is not about reaching it, such
    /// as become with su and a password, the task failed).
    pub fn unreachable(err: &ConnError) -> ModuleResult {
        let mut data = Vars::new();
        data.insert("msg".into(), Json::String(err.to_string()));
        ModuleResult {
            unreachable: err.is_unreachable(),
            failed: !err.is_unreachable(),
            data,
            ..Default::default()
        }
    }

    /// The result as Ansible registers it: the data plus `changed`, `failed` (and `skipped`),
    /// without the module's `invocation` (shown, not registered).
    pub fn to_registered(&self) -> Json {
        let mut out = self.data.clone();
        out.remove("invocation");
        if !self.task_error {
            out.insert("changed".into(), Json::Bool(self.changed));
        }
        out.insert("failed".into(), Json::Bool(self.failed));
        if self.skipped {
            out.insert("skipped".into(), Json::Bool(true));
        }
        if self.unreachable {
            out.insert("unreachable".into(), Json::Bool(true));
        }
        Json::Object(out)
    }
}

/// A module run that stops early with `?`: `Err` is a result too (usually a failure), returned
/// as it is.
pub(crate) type Outcome = Result<ModuleResult, ModuleResult>;

/// What a module's run function may return: a result, or an [`Outcome`].
pub(crate) trait IntoResult {
    /// The result either way.
    fn into_result(self) -> ModuleResult;
}

impl IntoResult for ModuleResult {
    fn into_result(self) -> ModuleResult {
        self
    }
}

impl IntoResult for Outcome {
    fn into_result(self) -> ModuleResult {
        self.unwrap_or_else(|r| r)
    }
}
