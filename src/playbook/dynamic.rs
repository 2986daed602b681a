//! What a dynamic include names, read at run time: `include_tasks` and `include_role` with
//! their arguments rendered for one host and loop item. The content is checked as a static
//! load checks it (YAML, modules, keywords, templates), so a bad file fails the host with
//! the same `file:line:col` message a bad import gives before any host runs.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::include::{load_tasks_file, resolve_tasks_file};
use crate::playbook::model::{Include, Item, Role, Task};
use crate::playbook::role::{load_role, RoleFrom};
use crate::playbook::validate::check_tasks;
use crate::template::Templar;

/// Why an include could not be read. As in Ansible, a missing tasks file fails the hosts that
/// include it; content that does not load (bad YAML, an unknown module, ...) stops the run.
#[derive(Debug)]
pub enum IncludeError {
    /// The tasks file is not there.
    Missing(LoadError),
    /// The content is invalid.
    Invalid(LoadErrors),
}

impl From<LoadErrors> for IncludeError {
    fn from(e: LoadErrors) -> IncludeError {
        IncludeError::Invalid(e)
    }
}

impl From<LoadError> for IncludeError {
    fn from(e: LoadError) -> IncludeError {
        IncludeError::Invalid(e.into())
    }
}

/// What one include brought in for a host.
#[derive(Debug)]
pub struct Included {
    /// The file or role, as `included: ...` shows it.
    pub shown: String,
    /// The tasks to run.
    pub items: Vec<Item>,
    /// The role's handlers (`include_role`), added to the play's.
    pub handlers: Vec<Task>,
    /// Those of `handlers` that are dynamic includes, by their index in `handlers`.
    pub handler_includes: std::collections::HashMap<usize, Include>,
    /// The roles read (`include_role`: the role and its dependencies).
    pub roles: Vec<Arc<Role>>,
}

impl Include {
    /// True for `include_role` (else `include_tasks`).
    pub fn is_role(&self) -> bool {
        self.task.module.name == "include_role"
    }

    /// Reads and checks what the include names, with `args` its arguments rendered for one
    /// host (and item).
    pub fn load(&self, args: &Json, templar: &Templar) -> Result<Included, IncludeError> {
        let mut ctx = LoadCtx::resume(
            self.playbook_dir.clone(),
            self.task.role.clone(),
            self.search.clone(),
        );
        let at = &self.task.span;
        let (shown, items) = if self.is_role() {
            let params = args.as_object().cloned().unwrap_or_default();
            let (name, from, _) = RoleFrom::split(params)
                .ok_or_else(|| LoadError::at(at, "'name' is a required field for include_role"))?;
            let items = load_role(&mut ctx, &name, at, &from, false)?;
            (name, items)
        } else {
            let file = ["file", "_raw_params"]
                .iter()
                .find_map(|k| args.get(*k).and_then(Json::as_str))
                .ok_or_else(|| LoadError::at(at, "no file specified for include_tasks"))?;
            let path = resolve_tasks_file(&ctx, at, file).map_err(IncludeError::Missing)?;
            let items = load_tasks_file(&mut ctx, at, &path)?;
            (path.display().to_string(), items)
        };
        let mut tasks: Vec<&Task> = Vec::new();
        Item::visit(&items, &mut |t| tasks.push(t));
        tasks.extend(ctx.handlers.iter());
        check_tasks(templar, &tasks)?;
        Ok(Included {
            shown,
            items,
            handlers: ctx.handlers,
            handler_includes: ctx.handler_includes,
            roles: ctx.roles,
        })
    }
}
