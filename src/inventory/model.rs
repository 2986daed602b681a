//! The inventory model: hosts, groups (with children and vars) and the variables read from
//! group_vars/ and host_vars/, and the merge of a host's variables in Ansible's order.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::vars::Vars;

/// A group: its own hosts, child groups and vars (from inventory files).
#[derive(Debug, Default, Clone)]
pub(crate) struct Group {
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub vars: Vars,
}

/// A host: vars from inventory files and the file that named it first.
#[derive(Debug, Default, Clone)]
pub(crate) struct HostEntry {
    pub vars: Vars,
    pub file: Option<PathBuf>,
}

/// Variables from group_vars/ and host_vars/ directories, by level.
#[derive(Debug, Default)]
pub(crate) struct DirVars {
    /// group → vars from group_vars/ next to inventory sources.
    pub inv_groups: HashMap<String, Vars>,
    /// group → vars from group_vars/ next to the playbook.
    pub pb_groups: HashMap<String, Vars>,
    /// host → vars from host_vars/ next to inventory sources.
    pub inv_hosts: HashMap<String, Vars>,
    /// host → vars from host_vars/ next to the playbook.
    pub pb_hosts: HashMap<String, Vars>,
}

/// Hosts and groups as read from every source.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub hosts: IndexMap<String, HostEntry>,
    pub groups: IndexMap<String, Group>,
    pub dir_vars: DirVars,
}

impl Model {
    /// A group, created empty if new.
    pub fn group(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Adds `host` (with `vars`) to `group`.
    pub fn add_host(&mut self, group: &str, host: &str, vars: Vars, file: &std::path::Path) {
        let entry = self
            .hosts
            .entry(host.to_string())
            .or_insert_with(|| HostEntry {
                vars: Vars::new(),
                file: Some(file.to_path_buf()),
            });
        entry.vars.extend(vars);
        let g = self.group(group);
        if !g.hosts.iter().any(|h| h == host) {
            g.hosts.push(host.to_string());
        }
    }

    /// `all` and `ungrouped` exist; hosts in no group but `all` are in `ungrouped`.
    pub fn finish(&mut self) {
        self.group("all");
        self.group("ungrouped");
        let mut grouped: HashSet<String> = HashSet::new();
        for (name, g) in &self.groups {
            if name != "all" && name != "ungrouped" {
                grouped.extend(g.hosts.iter().cloned());
            }
        }
        let names: Vec<String> = self.hosts.keys().cloned().collect();
        for h in names {
            if !grouped.contains(&h) {
                let ung = self.group("ungrouped");
                if !ung.hosts.contains(&h) {
                    ung.hosts.push(h.clone());
                }
            }
        }
        let tops: Vec<String> = self
            .groups
            .keys()
            .filter(|g| {
                g.as_str() != "all" && !self.groups.values().any(|p| p.children.contains(g))
            })
            .cloned()
            .collect();
        let all = self.group("all");
        for t in tops {
            if !all.children.contains(&t) {
                all.children.push(t);
            }
        }
    }

    /// A cycle in children, if any: the group where it was found.
    pub fn find_cycle(&self) -> Option<String> {
        fn visit(
            m: &Model,
            g: &str,
            stack: &mut Vec<String>,
            done: &mut HashSet<String>,
        ) -> Option<String> {
            if stack.iter().any(|s| s == g) {
                return Some(g.to_string());
            }
            if done.contains(g) {
                return None;
            }
            stack.push(g.to_string());
            for c in m
                .groups
                .get(g)
                .map(|x| x.children.as_slice())
                .unwrap_or_default()
            {
                if let Some(c) = visit(m, c, stack, done) {
                    return Some(c);
                }
            }
            stack.pop();
            done.insert(g.to_string());
            None
        }
        let mut done = HashSet::new();
        for g in self.groups.keys() {
            if let Some(c) = visit(self, g, &mut Vec::new(), &mut done) {
                return Some(c);
            }
        }
        None
    }

    /// Hosts of `group` and of its children, recursively, in inventory order.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        if group == "all" {
            return self.hosts.keys().cloned().collect();
        }
        let mut set = HashSet::new();
        let mut stack = vec![group.to_string()];
        let mut seen = HashSet::new();
        while let Some(g) = stack.pop() {
            if !seen.insert(g.clone()) {
                continue;
            }
            if let Some(gr) = self.groups.get(&g) {
                set.extend(gr.hosts.iter().cloned());
                stack.extend(gr.children.iter().cloned());
            }
        }
        self.hosts
            .keys()
            .filter(|h| set.contains(*h))
            .cloned()
            .collect()
    }

    /// For every host, the groups it belongs to (directly or through children) with their
    /// depth, sorted by depth then name (the order their vars apply in).
    pub fn memberships(&self) -> HashMap<String, Vec<(usize, String)>> {
        let depths = self.depths();
        let mut out: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for g in self.groups.keys() {
            let depth = depths.get(g).copied().unwrap_or(1);
            for h in self.group_hosts(g) {
                out.entry(h).or_default().push((depth, g.clone()));
            }
        }
        for groups in out.values_mut() {
            groups.sort();
        }
        out
    }

    /// Each group's depth: the longest path from `all`.
    fn depths(&self) -> HashMap<String, usize> {
        let mut depth: HashMap<String, usize> = HashMap::new();
        depth.insert("all".into(), 0);
        let mut changed = true;
        let mut rounds = 0;
        while changed && rounds <= self.groups.len() {
            changed = false;
            rounds += 1;
            for (name, g) in &self.groups {
                let d = depth
                    .get(name)
                    .copied()
                    .unwrap_or(if name == "all" { 0 } else { 1 });
                for c in &g.children {
                    if d + 1 > depth.get(c).copied().unwrap_or(0) {
                        depth.insert(c.clone(), d + 1);
                        changed = true;
                    }
                }
            }
        }
        depth
    }

    /// A host's inventory variables, merged in Ansible's order (`groups` from [`memberships`]).
    pub fn merged_vars(&self, host: &str, groups: &[(usize, String)]) -> Vars {
        let mut vars = Vars::new();
        let layer = |vars: &mut Vars, v: Option<&Vars>| {
            if let Some(v) = v {
                for (k, val) in v {
                    vars.insert(k.clone(), val.clone());
                }
            }
        };
        for (_, g) in groups {
            layer(&mut vars, self.groups.get(g).map(|g| &g.vars));
        }
        let d = &self.dir_vars;
        layer(&mut vars, d.inv_groups.get("all"));
        layer(&mut vars, d.pb_groups.get("all"));
        for (_, g) in groups.iter().filter(|(_, g)| g != "all") {
            layer(&mut vars, d.inv_groups.get(g));
        }
        for (_, g) in groups.iter().filter(|(_, g)| g != "all") {
            layer(&mut vars, d.pb_groups.get(g));
        }
        layer(&mut vars, self.hosts.get(host).map(|h| &h.vars));
        layer(&mut vars, d.inv_hosts.get(host));
        layer(&mut vars, d.pb_hosts.get(host));
        let mut names: Vec<Json> = groups
            .iter()
            .filter(|(_, g)| g != "all" && g != "ungrouped")
            .map(|(_, g)| Json::String(g.clone()))
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        vars.insert("inventory_hostname".into(), host.into());
        let short = host.split('.').next().unwrap_or(host);
        vars.insert("inventory_hostname_short".into(), short.into());
        vars.insert("group_names".into(), Json::Array(names));
        if let Some(file) = self.hosts.get(host).and_then(|h| h.file.as_ref()) {
            vars.insert("inventory_file".into(), file.display().to_string().into());
            let dir = file
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            vars.insert("inventory_dir".into(), dir.into());
        }
        vars
    }
}
