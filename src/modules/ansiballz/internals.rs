//! The `_ansible_*` arguments Ansible adds to every module's arguments (what
//! `AnsibleModule` reads for check mode, diff, no_log, verbosity, temporary directories, ...),
//! from the task's context and the host's variables.

use serde_json::{json, Value as Json};

use crate::modules::ModuleCtx;
use crate::vars::Vars;

/// The file systems on which SELinux contexts are special (Ansible's default).
const SELINUX_SPECIAL_FS: &[&str] = &["fuse", "nfs", "vboxsf", "ramfs", "9p", "vfat"];

/// `args` with the internals added, as module `name` receives them.
pub(crate) fn with_internals(ctx: &ModuleCtx<'_>, mut args: Vars, version: &str) -> Vars {
    let var = |name: &str, default: &str| -> Json {
        ctx.vars
            .get(name)
            .and_then(Json::as_str)
            .map_or_else(|| default.into(), Json::from)
    };
    let internals = [
        ("_ansible_check_mode", json!(ctx.check_mode)),
        ("_ansible_no_log", json!(ctx.no_log)),
        ("_ansible_debug", json!(false)),
        ("_ansible_diff", json!(ctx.diff)),
        ("_ansible_verbosity", json!(ctx.verbosity)),
        ("_ansible_version", json!(version)),
        ("_ansible_module_name", json!(ctx.module)),
        (
            "_ansible_syslog_facility",
            var("ansible_syslog_facility", "LOG_USER"),
        ),
        ("_ansible_selinux_special_fs", json!(SELINUX_SPECIAL_FS)),
        ("_ansible_string_conversion_action", json!("warn")),
        ("_ansible_socket", Json::Null),
        (
            "_ansible_shell_executable",
            var("ansible_shell_executable", "/bin/sh"),
        ),
        ("_ansible_keep_remote_files", json!(false)),
        // As with Ansible's pipelining: the module makes (and removes) its own when it needs one
        // (a module that is not new-style Python is given its own: `script.rs`).
        ("_ansible_tmpdir", Json::Null),
        ("_ansible_remote_tmp", json!(remote_tmp(ctx))),
        ("_ansible_ignore_unknown_opts", json!(false)),
        ("_ansible_target_log_info", Json::Null),
    ];
    for (k, v) in internals {
        args.insert(k.into(), v);
    }
    args
}

/// The host's temporary directory for modules: `ansible_remote_tmp`, else ansible.cfg's
/// `remote_tmp` (or `ANSIBLE_REMOTE_TEMP`), else Ansible's default.
pub(crate) fn remote_tmp(ctx: &ModuleCtx<'_>) -> String {
    let set = ctx.vars.get("ansible_remote_tmp").and_then(Json::as_str);
    set.or_else(|| crate::config::Config::global().text("remote_tmp"))
        .unwrap_or("~/.ansible/tmp")
        .to_string()
}

/// The directory on the host where packaged modules are kept between tasks and runs.
pub(crate) fn host_cache_dir(ctx: &ModuleCtx<'_>) -> String {
    format!("{}/ferry-ansiballz", remote_tmp(ctx).trim_end_matches('/'))
}
