//! The inventory model: hosts and groups as the file formats add them, then reconciled as
//! Ansible's `InventoryData` does — every group without a parent is a child of `all`, hosts in no
//! group but `all` go to `ungrouped` (and leave it when they are in another group), each group's
//! depth is its longest path from `all`, and each group's hosts are listed in Ansible's order:
//! its own hosts, then its children's, breadth first.
//!
//! The file formats (ini.rs, yaml.rs) call the `add_*`/`set_*` methods; variable precedence is
//! in precedence.rs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use serde_json::Value as Json;

use crate::vars::Vars;

/// What the model refuses while a source adds to it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A host line without a name.
    #[error("empty host name")]
    EmptyHost,
    /// `ansible_group_priority` that is not an integer.
    #[error("ansible_group_priority must be an integer, found {0}")]
    Priority(Json),
    /// A group named as its own child.
    #[error("group '{0}' cannot be a child of itself")]
    OwnChild(String),
    /// A child that is already an ancestor.
    #[error("adding group '{child}' as a child of '{parent}' makes a loop: {path} -> {child}")]
    Loop {
        child: String,
        parent: String,
        path: String,
    },
}

/// Names Ansible treats as the implicit localhost when the inventory does not name them.
pub(crate) const LOCALHOST: &[&str] = &["127.0.0.1", "localhost", "::1"];

/// A group of hosts.
#[derive(Debug, Default, Clone)]
pub(crate) struct Group {
    /// Hosts added to this group directly, in order.
    pub hosts: IndexSet<String>,
    /// Child groups, in the order they were added.
    pub children: Vec<String>,
    /// Parent groups.
    pub parents: Vec<String>,
    /// Variables from inventory files.
    pub vars: Vars,
    /// `ansible_group_priority` (default 1): orders groups of the same depth.
    pub priority: i64,
    /// Longest path from `all` (set by [`Model::finish`]).
    pub depth: usize,
    /// Its hosts and its descendants' hosts, in Ansible's order (set by [`Model::finish`]).
    pub members: Vec<String>,
}

/// A host.
#[derive(Debug, Default, Clone)]
pub(crate) struct Host {
    /// Variables from inventory files, with `ansible_port`, `inventory_file` and
    /// `inventory_dir` set when the host was first seen.
    pub vars: Vars,
    /// The groups it is in, directly or through children, in the order their vars apply:
    /// `all` first, then by depth, `ansible_group_priority` and name (set by `finish`; hosts
    /// in the same groups share the list).
    pub groups: Arc<Vec<String>>,
}

/// Where hosts come from: the values of `inventory_file` and `inventory_dir`.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub file: Json,
    pub dir: Json,
}

/// Hosts and groups read from every source.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub hosts: IndexMap<String, Host>,
    pub groups: IndexMap<String, Group>,
    /// The first host named like localhost; it stands in for the implicit localhost.
    pub localhost: Option<String>,
    /// Things Ansible warns about (the caller shows them).
    pub warnings: Vec<String>,
}

impl Default for Model {
    fn default() -> Self {
        let mut m = Model {
            hosts: IndexMap::new(),
            groups: IndexMap::new(),
            localhost: None,
            warnings: Vec::new(),
        };
        m.add_group("all");
        m.add_group("ungrouped");
        m.link("all", "ungrouped");
        m
    }
}

impl Model {
    /// True if the group exists.
    pub fn has_group(&self, name: &str) -> bool {
        self.groups.contains_key(name)
    }

    /// Creates a group if it is new.
    pub fn add_group(&mut self, name: &str) {
        self.groups
            .entry(name.to_string())
            .or_insert_with(|| Group {
                priority: 1,
                ..Group::default()
            });
    }

    /// Adds `host` to `group` (which must exist). A new host gets `port` and its origin;
    /// a known one keeps its port, as in Ansible.
    pub fn add_host(
        &mut self,
        group: &str,
        host: &str,
        port: Option<u64>,
        origin: &Origin,
    ) -> Result<(), ModelError> {
        if host.is_empty() {
            return Err(ModelError::EmptyHost);
        }
        if !self.hosts.contains_key(host) {
            let mut vars = Vars::new();
            if let Some(p) = port.filter(|&p| p != 0) {
                vars.insert("ansible_port".into(), p.into());
            }
            vars.insert("inventory_file".into(), origin.file.clone());
            vars.insert("inventory_dir".into(), origin.dir.clone());
            self.hosts.insert(
                host.to_string(),
                Host {
                    vars,
                    groups: Arc::default(),
                },
            );
            if LOCALHOST.contains(&host) {
                match &self.localhost {
                    None => self.localhost = Some(host.to_string()),
                    Some(first) => self.warnings.push(format!(
                        "a duplicate localhost-like entry was found ({host}); the first was {first}"
                    )),
                }
            }
        }
        self.add_group(group);
        self.groups[group].hosts.insert(host.to_string());
        Ok(())
    }

    /// Sets a host variable (the host must exist).
    pub fn set_host_var(&mut self, host: &str, key: &str, value: Json) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.vars.insert(key.to_string(), value);
        }
    }

    /// Sets a group variable; `ansible_group_priority` sets the priority instead, as in Ansible.
    pub fn set_group_var(&mut self, group: &str, key: &str, value: Json) -> Result<(), ModelError> {
        self.add_group(group);
        let g = &mut self.groups[group];
        if key == "ansible_group_priority" {
            g.priority = py_int(&value).ok_or(ModelError::Priority(value))?;
        } else {
            g.vars.insert(key.to_string(), value);
        }
        Ok(())
    }

    /// Makes `child` a child group of `parent` (both are created if new); refuses a loop.
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<(), ModelError> {
        if parent == child {
            return Err(ModelError::OwnChild(child.to_string()));
        }
        self.add_group(parent);
        self.add_group(child);
        if self.groups[parent].children.iter().any(|c| c == child) {
            return Ok(());
        }
        if let Some(path) = self.ancestor_path(parent, child) {
            return Err(ModelError::Loop {
                child: child.to_string(),
                parent: parent.to_string(),
                path: path.join(" -> "),
            });
        }
        self.link(parent, child);
        Ok(())
    }

    fn link(&mut self, parent: &str, child: &str) {
        self.groups[parent].children.push(child.to_string());
        self.groups[child].parents.push(parent.to_string());
    }

    /// The chain `ancestor -> ... -> group` of child links, if `ancestor` is above `group`.
    fn ancestor_path(&self, group: &str, ancestor: &str) -> Option<Vec<String>> {
        let mut stack = vec![vec![group.to_string()]];
        let mut seen = HashSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().expect("paths are never empty");
            if last == ancestor {
                return Some(path.into_iter().rev().collect());
            }
            if !seen.insert(last.clone()) {
                continue;
            }
            for p in &self.groups[last.as_str()].parents {
                let mut next = path.clone();
                next.push(p.clone());
                stack.push(next);
            }
        }
        None
    }

    /// Applies Ansible's reconciliation; call once, after every source is read.
    pub fn finish(&mut self) {
        let tops: Vec<String> = self
            .groups
            .iter()
            .filter(|(name, g)| name.as_str() != "all" && g.parents.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        for t in tops {
            self.link("all", &t);
        }
        self.set_host_groups();
        self.fix_ungrouped();
        self.set_depths();
        self.set_host_groups();
        let members: Vec<Vec<String>> = self.groups.keys().map(|g| self.walk_hosts(g)).collect();
        for (g, m) in self.groups.values_mut().zip(members) {
            g.members = m;
        }
        let names: HashSet<&String> = self.groups.keys().collect();
        for h in self.hosts.keys().filter(|h| names.contains(h)) {
            self.warnings
                .push(format!("found both a group and a host named '{h}'"));
        }
    }

    /// Hosts in `ungrouped` and another group leave it; hosts in no group (or only `all`) join.
    fn fix_ungrouped(&mut self) {
        let mut ungrouped = std::mem::take(&mut self.groups["ungrouped"].hosts);
        ungrouped.retain(|h| {
            self.hosts[h.as_str()]
                .groups
                .iter()
                .all(|g| g == "all" || g == "ungrouped")
        });
        for (name, host) in &self.hosts {
            if host.groups.iter().all(|g| g == "all") {
                ungrouped.insert(name.clone());
            }
        }
        self.groups["ungrouped"].hosts = ungrouped;
    }

    /// Each host's groups: those it is in directly, and their ancestors, in vars order.
    fn set_host_groups(&mut self) {
        let mut direct: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, g) in &self.groups {
            for h in &g.hosts {
                direct.entry(h.as_str()).or_default().push(name.as_str());
            }
        }
        let mut shared: HashMap<Vec<&str>, Arc<Vec<String>>> = HashMap::new();
        let mut found: HashMap<String, Arc<Vec<String>>> = HashMap::new();
        for (host, groups) in direct {
            let list = shared
                .entry(groups)
                .or_insert_with_key(|g| Arc::new(self.closure(g)));
            found.insert(host.to_string(), Arc::clone(list));
        }
        for (name, host) in self.hosts.iter_mut() {
            host.groups = found.remove(name).unwrap_or_default();
        }
    }

    /// `groups` and all their ancestors, sorted by depth, priority and name.
    fn closure(&self, groups: &[&str]) -> Vec<String> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = groups.to_vec();
        while let Some(g) = stack.pop() {
            if seen.insert(g) {
                stack.extend(self.groups[g].parents.iter().map(String::as_str));
            }
        }
        let mut out: Vec<(&str, &Group)> = seen.into_iter().map(|g| (g, &self.groups[g])).collect();
        out.sort_by_key(|(name, g)| (g.depth, g.priority, *name));
        out.into_iter().map(|(name, _)| name.to_string()).collect()
    }

    /// Depth of each group: the longest path of child links from `all` (groups form a DAG).
    fn set_depths(&mut self) {
        fn depth<'a>(m: &'a Model, g: &'a str, memo: &mut HashMap<&'a str, usize>) -> usize {
            if let Some(&d) = memo.get(g) {
                return d;
            }
            let d = m.groups[g]
                .parents
                .iter()
                .map(|p| depth(m, p, memo) + 1)
                .max()
                .unwrap_or(0);
            memo.insert(g, d);
            d
        }
        let mut memo = HashMap::new();
        let depths: Vec<usize> = self
            .groups
            .keys()
            .map(|g| depth(self, g, &mut memo))
            .collect();
        for (g, d) in self.groups.values_mut().zip(depths) {
            g.depth = d;
        }
    }

    /// A group's hosts: its own, then its descendants' breadth first (Ansible's `get_hosts`).
    fn walk_hosts(&self, group: &str) -> Vec<String> {
        let mut level = vec![group];
        let mut seen_groups: HashSet<&str> = HashSet::from([group]);
        let mut ordered = vec![group];
        while !level.is_empty() {
            let mut next = Vec::new();
            for g in level {
                for c in &self.groups[g].children {
                    if seen_groups.insert(c.as_str()) {
                        ordered.push(c.as_str());
                        next.push(c.as_str());
                    }
                }
            }
            level = next;
        }
        let mut seen = HashSet::new();
        ordered
            .into_iter()
            .flat_map(|g| self.groups[g].hosts.iter())
            .filter(|h| seen.insert(h.as_str()))
            .cloned()
            .collect()
    }

    /// Hosts of `group` and its descendants in Ansible's order (empty for an unknown group).
    pub fn group_hosts(&self, group: &str) -> &[String] {
        self.groups.get(group).map_or(&[], |g| g.members.as_slice())
    }

    /// The groups of `host` whose variables apply, without `all`, in the order they apply:
    /// by depth, then `ansible_group_priority`, then name.
    pub fn var_groups(&self, host: &str) -> &[String] {
        let groups = self
            .hosts
            .get(host)
            .map_or(&[][..], |h| h.groups.as_slice());
        match groups.first() {
            Some(all) if all == "all" => &groups[1..],
            _ => groups,
        }
    }
}

/// A value as Python's `int()` takes it: integers, floats (truncated), booleans, numeric text.
fn py_int(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Json::Bool(b) => Some(i64::from(*b)),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
