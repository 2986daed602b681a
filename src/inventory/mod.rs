//! Inventories, read as ansible-core 2.18 reads them: INI and YAML files, directories of them and
//! `-i a,b` host lists; group_vars/ and host_vars/ next to each source and next to the playbook;
//! host patterns; each host's variables merged in Ansible's order; the implicit localhost.
//! Loading finds every error (with its span) before any run starts. Dynamic inventory scripts
//! (`script.rs`) and EC2 instances from aws_ec2 files (`ec2/`) are hosts too; `show.rs` prints
//! what was read for `ferry inventory`.
//!
//! - `source.rs`: what `-i` names (directories, file formats, host lists).
//! - `ini.rs`, `yaml.rs`: the two file formats; `shlex.rs` splits INI host lines,
//!   `literal.rs` reads INI values as Python literals, `range.rs` expands `web[01:03]` host
//!   keys, `address.rs` parses `host:port` and IP addresses.
//! - `model.rs`: hosts, groups, and Ansible's reconciliation (`all`, `ungrouped`, depths, order).
//! - `vars_dirs.rs`: group_vars/ and host_vars/; `precedence.rs`: the merge of a host's vars.
//! - `pattern.rs`, `glob.rs`: host patterns.
//! - `edit.rs`: what plays change in the run's inventory (`add_host`, `group_by`).

mod address;
mod ec2;
mod edit;
mod glob;
mod ini;
mod literal;
mod model;
mod pattern;
mod precedence;
mod range;
mod script;
mod shlex;
mod show;
mod source;
#[cfg(test)]
mod tests;
mod vars_dirs;
mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::LoadErrors;
use crate::vars::Vars;
pub use edit::Edit;
use model::Model;

/// `(host, port)` of an `add_host` name (`db:2222`, `[::1]:22`), ranges refused; `None` when
/// it is not a host name.
pub fn parse_address(name: &str) -> Option<(String, Option<u64>)> {
    address::parse(name, false)
}
pub use pattern::PatternError;
use vars_dirs::DirVars;

/// A loaded inventory.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    model: Model,
    dirs: DirVars,
    /// Groups of a host (as in `Model::var_groups`) → what they give it (computed at load).
    group_vars: HashMap<Vec<String>, Vars>,
    /// What it was read from, to read it again (`meta: refresh_inventory`).
    sources: Vec<PathBuf>,
    playbook_dir: Option<PathBuf>,
    /// What plays changed in it (`add_host`, `group_by`), in order.
    edits: Vec<Edit>,
}

impl Inventory {
    /// Loads and merges several `-i` sources (files, directories, `a,b` host lists), in order;
    /// group_vars/ and host_vars/ next to each source and in `playbook_dir` are read. No source
    /// at all gives an empty inventory (only the implicit localhost, with the playbook's vars).
    pub fn load(sources: &[PathBuf], playbook_dir: Option<&Path>) -> Result<Inventory, LoadErrors> {
        let mut model = Model::default();
        let mut var_dirs = Vec::new();
        let mut errors = Vec::new();
        for src in sources {
            match source::load(src, &mut model) {
                Ok(dir) => var_dirs.extend(dir),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        model.finish();
        let groups: Vec<&str> = model.groups.keys().map(String::as_str).collect();
        let mut hosts: Vec<&str> = model.hosts.keys().map(String::as_str).collect();
        hosts.extend(
            model::LOCALHOST
                .iter()
                .filter(|h| !model.hosts.contains_key(**h)),
        );
        let dirs = DirVars::read(&var_dirs, playbook_dir, &groups, &hosts).map_err(LoadErrors)?;
        let mut group_vars = HashMap::new();
        for name in model.hosts.keys() {
            let groups = model.var_groups(name);
            if !group_vars.contains_key(groups) {
                let vars = precedence::group_layers(&model, &dirs, groups);
                group_vars.insert(groups.to_vec(), vars);
            }
        }
        Ok(Inventory {
            model,
            dirs,
            group_vars,
            sources: sources.to_vec(),
            playbook_dir: playbook_dir.map(Path::to_path_buf),
            edits: Vec::new(),
        })
    }

    /// The inventory read again from the same sources (`meta: refresh_inventory`): scripts run
    /// again, files are read again.
    pub fn reload(&self) -> Result<Inventory, LoadErrors> {
        Inventory::load(&self.sources, self.playbook_dir.as_deref())
    }

    /// An empty inventory: only Ansible's implicit `localhost` (`ansible_connection=local`),
    /// which the pattern `localhost` selects and `all` does not. Used when no `-i` is given and
    /// there is no /etc/ansible/hosts (`load(&[], Some(dir))` also reads the playbook's vars).
    pub fn implicit_localhost() -> Inventory {
        let mut model = Model::default();
        model.finish();
        Inventory {
            model,
            ..Inventory::default()
        }
    }

    /// Host names matching an Ansible host pattern, in Ansible's order, deduplicated. A pattern
    /// that matches nothing gives an empty list (the caller warns, as Ansible does).
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        pattern::select(&self.model, pattern)
    }

    /// All inventory variables of `host`, merged in Ansible's order (see `precedence.rs`), with
    /// `inventory_hostname`, `inventory_hostname_short`, `group_names` (sorted, without `all`),
    /// `inventory_file` and `inventory_dir`. A localhost name the inventory lacks gets the
    /// implicit localhost's: the `all` group's vars and `ansible_connection: local`.
    pub fn host_vars(&self, host: &str) -> Vars {
        let groups = self.model.var_groups(host);
        let base = match self.group_vars.get(groups) {
            Some(v) => v.clone(),
            None => precedence::group_layers(&self.model, &self.dirs, groups),
        };
        let mut implicit = Vars::new();
        let own = match self.model.hosts.get(host) {
            Some(h) => &h.vars,
            None => {
                if model::LOCALHOST.contains(&host) {
                    implicit.insert("ansible_connection".into(), "local".into());
                }
                &implicit
            }
        };
        precedence::host_layers(base, &self.dirs, host, own, groups)
    }

    /// The `groups` magic variable: every group (`all` and `ungrouped` included) → its hosts,
    /// through its children, in Ansible's order.
    pub fn groups(&self) -> Vars {
        self.model
            .groups
            .keys()
            .map(|g| {
                let hosts = self.model.group_hosts(g).iter().cloned().map(Json::String);
                (g.clone(), Json::Array(hosts.collect()))
            })
            .collect()
    }

    /// Every host, in the order the pattern `all` gives them.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.model.group_hosts("all").iter().map(String::as_str)
    }

    /// True if the inventory names `name` (the implicit localhost is not named).
    pub fn contains_host(&self, name: &str) -> bool {
        self.model.hosts.contains_key(name)
    }

    /// What Ansible would warn about while loading (a host and a group with the same name,
    /// two localhost-like hosts). For the caller to show.
    pub fn warnings(&self) -> &[String] {
        &self.model.warnings
    }
}
