//! Modules ferry has no native code for: a task naming a module or action plugin that exists in
//! ansible-core, in an installed collection or in a `library/` directory loads, as Ansible's
//! syntax check accepts it, with any arguments; running it runs the module's own code on the
//! host as Ansible does (`modules/ansiballz/`). The module decides what check mode means (one
//! that cannot run in check mode reports itself skipped, as under Ansible).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::collections::located;
use crate::error::LoadError;
use crate::modules::{ansiballz, FreeForm, ModuleSpec, DEFAULTS};
use crate::playbook::{Item, Playbook, Task};

/// Modules that take free-form text besides `key=value` (Ansible's `RAW_PARAM_MODULES` that
/// ferry has no native code for).
const RAW_PARAMS: &[&str] = &["add_host", "group_by", "script", "win_command", "win_shell"];

/// The declaration of module `name` (as resolved: a FQCN, or a local plugin's name), made once
/// per name for the whole run.
pub(crate) fn spec(name: &str) -> &'static ModuleSpec {
    static SPECS: OnceLock<Mutex<HashMap<String, &'static ModuleSpec>>> = OnceLock::new();
    let mut specs = SPECS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(spec) = specs.get(name) {
        return spec;
    }
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.windows."))
        .unwrap_or(name);
    let free_form = match RAW_PARAMS.contains(&short) {
        true => FreeForm::Raw,
        false => FreeForm::KeyValue,
    };
    // Leaked once per distinct module name: task specs are `&'static`, as native ones are.
    let spec: &'static ModuleSpec = Box::leak(Box::new(ModuleSpec {
        name: Box::leak(name.to_string().into_boxed_str()),
        collection: "",
        free_form,
        native: false,
        background: true,
        run: |ctx, args| Box::pin(crate::modules::ansiballz::run(ctx, args)),
        ..DEFAULTS
    }));
    specs.insert(name.to_string(), spec);
    spec
}

/// The tasks of `playbooks` that run modules ferry has no native code for (what `ferry check`
/// lists), each play's tasks then handlers, in order.
pub fn fallback_tasks(playbooks: &[Playbook]) -> Vec<&Task> {
    let mut tasks = Vec::new();
    for play in playbooks.iter().flat_map(|p| &p.plays) {
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            Item::visit(section, &mut |t| tasks.push(t));
        }
        tasks.extend(&play.handlers);
    }
    tasks.retain(|t| !t.module.native && !t.module.directive);
    tasks
}

/// The tasks that name an action plugin without a module (code that runs inside Ansible's
/// controller process): refused before any host is touched, each at its task.
pub fn refusals(playbooks: &[Playbook]) -> Vec<LoadError> {
    fallback_tasks(playbooks)
        .into_iter()
        .filter(|t| located::is_action_only(t.module.name))
        .map(|t| {
            LoadError::at(&t.span, ansiballz::action_only(t.module.name)).with_hint(
                "use a module that does the same on the host, or run this play with \
                 ansible-playbook",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_declaration_per_name_taking_any_arguments() {
        let a = spec("ns.coll.thing");
        assert!(std::ptr::eq(a, spec("ns.coll.thing")));
        assert_eq!(a.name, "ns.coll.thing");
        assert!(a.arg_names().is_none() && !a.native && a.supports_check);
        assert_eq!(a.free_form, FreeForm::KeyValue);
        assert_eq!(spec("ansible.builtin.script").free_form, FreeForm::Raw);
        assert_eq!(spec("ansible.windows.win_shell").free_form, FreeForm::Raw);
    }
}
