//! A host's inventory variables, merged in ansible-core's default order
//! (`VARIABLE_PRECEDENCE`), lowest first:
//!
//! 1. the `all` group's vars from inventory files;
//! 2. the host's other groups' vars from inventory files, by depth, then
//!    `ansible_group_priority`, then name;
//! 3. `group_vars/all` next to each inventory source (in `-i` order), then next to the playbook;
//! 4. `group_vars/<group>` next to each inventory source — source by source, each in group
//!    order — then next to the playbook;
//! 5. the host's vars from inventory files (with `ansible_port`, `inventory_file`,
//!    `inventory_dir`);
//! 6. `host_vars/<host>` next to each inventory source, then next to the playbook;
//!
//! and then the magic `inventory_hostname`, `inventory_hostname_short` and `group_names`.
//! Every step replaces whole top-level values (Ansible's default `hash_behaviour=replace`).

use serde_json::Value as Json;

use crate::inventory::address;
use crate::inventory::model::Model;
use crate::inventory::vars_dirs::DirVars;
use crate::vars::Vars;

/// Steps 1–4: what a host gets from its groups (`groups`: without `all`, in application
/// order). Hosts in the same groups share this, so the caller caches it.
pub(crate) fn group_layers(model: &Model, dirs: &DirVars, groups: &[String]) -> Vars {
    let mut vars = Vars::new();
    let mut put = |from: Option<&Vars>| {
        for (k, v) in from.into_iter().flatten() {
            vars.insert(k.clone(), v.clone());
        }
    };
    put(model.groups.get("all").map(|g| &g.vars));
    for g in groups {
        put(model.groups.get(g).map(|g| &g.vars));
    }
    for layer in dirs.inventory().chain(dirs.playbook()) {
        put(layer.groups.get("all"));
    }
    for layer in dirs.inventory().chain(dirs.playbook()) {
        for g in groups {
            put(layer.groups.get(g));
        }
    }
    vars
}

/// Steps 5–6 and the magic variables, on top of `base` from [`group_layers`].
pub(crate) fn host_layers(
    mut vars: Vars,
    dirs: &DirVars,
    host: &str,
    own: &Vars,
    groups: &[String],
) -> Vars {
    let from_dirs = dirs.inventory().chain(dirs.playbook());
    let layers = std::iter::once(own).chain(from_dirs.filter_map(|l| l.hosts.get(host)));
    for layer in layers {
        for (k, v) in layer {
            vars.insert(k.clone(), v.clone());
        }
    }
    vars.insert("inventory_hostname".into(), host.into());
    vars.insert("inventory_hostname_short".into(), short_name(host).into());
    let mut names: Vec<&String> = groups.iter().collect();
    names.sort_unstable();
    vars.insert(
        "group_names".into(),
        Json::Array(names.into_iter().map(|n| Json::from(n.as_str())).collect()),
    );
    vars
}

/// `web1.example.com` → `web1`; IP addresses stay whole.
fn short_name(host: &str) -> &str {
    if address::is_ip(host) {
        host
    } else {
        host.split('.').next().unwrap_or(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        for (host, want) in [
            ("web1.example.com", "web1"),
            ("web1", "web1"),
            ("10.0.0.1", "10.0.0.1"),
            ("::1", "::1"),
            ("10.0.0.1.nip.io", "10"),
        ] {
            assert_eq!(short_name(host), want, "{host}");
        }
    }
}
