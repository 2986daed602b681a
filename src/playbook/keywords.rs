//! The keywords Ansible knows, split into what ferry supports and what it refuses.
//!
//! A key in a task that is neither a keyword nor a module is an unknown module; a real Ansible
//! keyword that ferry does not implement yet is refused with its name, never silently ignored.
//! The keywords plays and blocks pass down to tasks are listed in `inherit.rs`.

/// Play keywords ferry supports (besides the inherited ones).
pub(crate) const PLAY_SUPPORTED: &[&str] = &[
    "collections",
    "fact_path",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "handlers",
    "hosts",
    "max_fail_percentage",
    "name",
    "order",
    "post_tasks",
    "pre_tasks",
    "roles",
    "serial",
    "strategy",
    "tasks",
    "vars",
    "vars_files",
    "vars_prompt",
];

/// Play keywords Ansible has and ferry does not support yet.
pub(crate) const PLAY_UNSUPPORTED: &[&str] = &[];

/// Task keywords ferry supports (besides the inherited ones).
pub(crate) const TASK_SUPPORTED: &[&str] = &[
    "action",
    "args",
    "async",
    "changed_when",
    "collections",
    "delay",
    "failed_when",
    "local_action",
    "loop",
    "loop_control",
    "name",
    "notify",
    "poll",
    "register",
    "retries",
    "until",
    "vars",
    "when",
    "with_<lookup>",
];

/// Task keywords Ansible has and ferry does not support yet.
pub(crate) const TASK_UNSUPPORTED: &[&str] = &[];
