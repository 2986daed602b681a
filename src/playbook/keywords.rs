//! The keywords Ansible knows, split into what ferry supports and what it refuses.
//!
//! A key in a task that is neither a keyword nor a module is an unknown module; a real Ansible
//! keyword that ferry does not implement yet is refused with its name, never silently ignored.

/// Play keywords ferry supports.
pub(crate) const PLAY_SUPPORTED: &[&str] = &[
    "gather_facts",
    "handlers",
    "hosts",
    "name",
    "post_tasks",
    "pre_tasks",
    "remote_user",
    "tasks",
    "vars",
];

/// Play keywords Ansible has and ferry does not support yet.
pub(crate) const PLAY_UNSUPPORTED: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "fact_path",
    "force_handlers",
    "gather_subset",
    "gather_timeout",
    "ignore_errors",
    "ignore_unreachable",
    "max_fail_percentage",
    "module_defaults",
    "no_log",
    "order",
    "port",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "throttle",
    "timeout",
    "vars_files",
    "vars_prompt",
];

/// Task keywords ferry supports.
pub(crate) const TASK_SUPPORTED: &[&str] = &[
    "args",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "loop",
    "loop_control",
    "name",
    "no_log",
    "notify",
    "register",
    "vars",
    "when",
    "with_items",
    "with_list",
];

/// Task keywords Ansible has and ferry does not support yet.
pub(crate) const TASK_UNSUPPORTED: &[&str] = &[
    "action",
    "any_errors_fatal",
    "async",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "ignore_unreachable",
    "local_action",
    "module_defaults",
    "poll",
    "port",
    "remote_user",
    "retries",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "until",
];
