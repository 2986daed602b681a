//! ansible-core 2.18's own plugins, the synthetic collection `ansible.builtin`: the names of
//! its modules and action plugins (what `ansible-doc -t module -l ansible.builtin` lists), and
//! the routing of its action plugins that concerns names still in use.
//!
//! ansible-core also routes some three thousand short names of Ansible 2.9's modules to the
//! collections they moved to (`ufw` to `community.general.ufw`); ferry does not carry that
//! table, but reads it from the ansible-core installed on the controller, when there is one
//! (`ansible/config/ansible_builtin_runtime.yml`), for a name that is no builtin.

use std::sync::OnceLock;

use crate::collections::located;
use crate::collections::routing::{Kind, Route, Routing};

/// The modules of ansible-core 2.18, sorted.
const MODULES: &[&str] = &[
    "add_host",
    "apt",
    "apt_key",
    "apt_repository",
    "assemble",
    "assert",
    "async_status",
    "async_wrapper",
    "blockinfile",
    "command",
    "copy",
    "cron",
    "deb822_repository",
    "debconf",
    "debug",
    "dnf",
    "dnf5",
    "dpkg_selections",
    "expect",
    "fail",
    "fetch",
    "file",
    "find",
    "gather_facts",
    "get_url",
    "getent",
    "git",
    "group",
    "group_by",
    "hostname",
    "import_playbook",
    "import_role",
    "import_tasks",
    "include_role",
    "include_tasks",
    "include_vars",
    "iptables",
    "known_hosts",
    "lineinfile",
    "meta",
    "mount_facts",
    "package",
    "package_facts",
    "pause",
    "ping",
    "pip",
    "raw",
    "reboot",
    "replace",
    "rpm_key",
    "script",
    "service",
    "service_facts",
    "set_fact",
    "set_stats",
    "setup",
    "shell",
    "slurp",
    "stat",
    "subversion",
    "systemd",
    "systemd_service",
    "sysvinit",
    "tempfile",
    "template",
    "unarchive",
    "uri",
    "user",
    "validate_argument_spec",
    "wait_for",
    "wait_for_connection",
    "yum_repository",
];

/// The action plugins of ansible-core 2.18, sorted (`normal` runs any module).
const ACTIONS: &[&str] = &[
    "add_host",
    "assemble",
    "assert",
    "async_status",
    "command",
    "copy",
    "debug",
    "dnf",
    "fail",
    "fetch",
    "gather_facts",
    "group_by",
    "include_vars",
    "normal",
    "package",
    "pause",
    "raw",
    "reboot",
    "script",
    "service",
    "set_fact",
    "set_stats",
    "shell",
    "template",
    "unarchive",
    "uri",
    "validate_argument_spec",
    "wait_for_connection",
];

/// The connection plugins of ansible-core 2.18.
pub(crate) const CONNECTIONS: &[&str] = &["local", "paramiko_ssh", "psrp", "ssh", "winrm"];

/// Whether ansible-core has a plugin of `kind` called `name`.
pub(crate) fn has(kind: Kind, name: &str) -> bool {
    let names = match kind {
        Kind::Module => MODULES,
        Kind::Action => ACTIONS,
    };
    names.binary_search(&name).is_ok()
}

/// ansible-core's routing of its own plugin `name` of `kind`: `yum` now runs `dnf`;
/// `include` was removed in 2.16.
pub(crate) fn route(kind: Kind, name: &str) -> Option<Route> {
    match (kind, name) {
        (Kind::Action, "include") => Some(Route::Tombstone(
            "Use include_tasks or import_tasks instead.".into(),
        )),
        (Kind::Action, "yum") => Some(Route::Redirect("ansible.builtin.dnf".into())),
        _ if has(kind, name) => None,
        _ => installed_routing().get(kind, name).cloned(),
    }
}

/// ansible-core's own routing table, from the ansible-core on the controller (read once, and
/// only for a name that is no builtin: finding ansible-core asks Python).
fn installed_routing() -> &'static Routing {
    static ROUTING: OnceLock<Routing> = OnceLock::new();
    ROUTING.get_or_init(|| {
        located::core_dir()
            .map(|dir| Routing::read(&dir.join("ansible/config/ansible_builtin_runtime.yml")))
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_for_binary_search() {
        for list in [MODULES, ACTIONS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
        assert!(has(Kind::Module, "systemd") && !has(Kind::Module, "normal"));
        assert!(has(Kind::Action, "normal") && !has(Kind::Action, "systemd"));
    }
}
