//! Inventories: Ansible INI and YAML files (and directories of them), group_vars/ and
//! host_vars/ next to the inventory and the playbook, host patterns, and each host's variables
//! merged in Ansible's order. Loading finds every error (with its span) before any run starts.
//!
//! - `model.rs`: hosts, groups and the variable merge.
//! - `ini.rs`, `yaml.rs`: the two file formats; `literal.rs`: Python literals in INI values; `range.rs`: `web[01:03]` host ranges.
//! - `vars_dirs.rs`: group_vars/ and host_vars/.
//! - `pattern.rs`: host patterns.

mod ini;
mod literal;
mod model;
mod pattern;
mod range;
mod vars_dirs;
mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors};
use crate::vars::Vars;
use model::Model;
pub use pattern::PatternError;

/// A loaded inventory.
#[derive(Debug, Default)]
pub struct Inventory {
    model: Model,
    /// host → its merged inventory variables (computed once at load).
    vars: HashMap<String, Vars>,
}

/// Names Ansible skips in an inventory directory: hidden files, the vars directories, and
/// INVENTORY_IGNORE_EXTS (REJECT_EXTS plus .orig, .cfg, .retry); `.ini.example` as well.
fn ignored(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.starts_with('.')
        || matches!(name.as_str(), "group_vars" | "host_vars" | "vars_plugins")
        || [
            ".pyc",
            ".pyo",
            ".swp",
            ".bak",
            "~",
            ".rpm",
            ".md",
            ".txt",
            ".rst",
            ".orig",
            ".cfg",
            ".retry",
            ".ini.example",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The inventory files in `dir`, sorted by name, recursing into sub-directories.
fn dir_sources(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LoadError::plain(format!("cannot read inventory {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| !ignored(p))
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        if p.is_dir() {
            out.extend(dir_sources(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

impl Inventory {
    /// Loads and merges several `-i` sources; group_vars/ and host_vars/ next to each source and
    /// next to the playbook are read.
    pub fn load(sources: &[PathBuf], playbook_dir: Option<&Path>) -> Result<Inventory, LoadErrors> {
        let mut model = Model::default();
        let mut dirs: Vec<PathBuf> = Vec::new();
        let mut errors = Vec::new();
        for src in sources {
            let files = if src.is_dir() {
                dirs.push(src.clone());
                match dir_sources(src) {
                    Ok(f) => f,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                }
            } else {
                dirs.push(src.parent().map(Path::to_path_buf).unwrap_or_default());
                vec![src.clone()]
            };
            for file in files {
                if let Err(e) = load_file(&file, &mut model) {
                    errors.push(e);
                }
            }
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        model.finish();
        if let Some(g) = model.find_cycle() {
            return Err(LoadError::plain(format!(
                "inventory: group '{g}' is its own descendant (a cycle in children)"
            ))
            .into());
        }
        read_dir_vars(&mut model, &dirs, playbook_dir)?;
        let vars = all_vars(&model);
        Ok(Inventory { model, vars })
    }

    /// An inventory of just `localhost` with `ansible_connection=local`.
    pub fn implicit_localhost() -> Inventory {
        let mut model = Model::default();
        let mut vars = Vars::new();
        vars.insert("ansible_connection".into(), "local".into());
        model.add_host("ungrouped", "localhost", vars, Path::new(""));
        model.finish();
        let vars = all_vars(&model);
        Inventory { model, vars }
    }

    /// Host names matching an Ansible host pattern, in inventory order.
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, PatternError> {
        pattern::select(&self.model, pattern)
    }

    /// All inventory variables of `host`, merged in Ansible's order.
    pub fn host_vars(&self, host: &str) -> Vars {
        match self.vars.get(host) {
            Some(v) => v.clone(),
            None => {
                let mut v = Vars::new();
                v.insert("inventory_hostname".into(), host.into());
                v.insert("inventory_hostname_short".into(), host.into());
                v.insert("group_names".into(), Json::Array(Vec::new()));
                if pattern::LOCALHOST.contains(&host) {
                    v.insert("ansible_connection".into(), "local".into());
                }
                v
            }
        }
    }

    /// The `groups` magic variable: every group → its hosts.
    pub fn groups(&self) -> Vars {
        self.model
            .groups
            .keys()
            .map(|g| {
                let hosts = self
                    .model
                    .group_hosts(g)
                    .into_iter()
                    .map(Json::String)
                    .collect();
                (g.clone(), Json::Array(hosts))
            })
            .collect()
    }

    /// Every host, in inventory order.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.model.hosts.keys().map(String::as_str)
    }

    /// True if the inventory names `name`.
    pub fn contains_host(&self, name: &str) -> bool {
        self.model.hosts.contains_key(name)
    }
}

fn all_vars(model: &Model) -> HashMap<String, Vars> {
    let members = model.memberships();
    let none = Vec::new();
    model
        .hosts
        .keys()
        .map(|h| {
            (
                h.clone(),
                model.merged_vars(h, members.get(h).unwrap_or(&none)),
            )
        })
        .collect()
}

fn load_file(path: &Path, model: &mut Model) -> Result<(), LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::plain(format!("cannot read inventory {}: {e}", path.display())))?;
    if executable(path) && text.starts_with("#!") {
        return Err(LoadError::plain(format!(
            "{}: dynamic inventory scripts are not supported yet",
            path.display()
        ))
        .with_hint("write the hosts to an INI or YAML inventory file"));
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "yml" | "yaml" | "json") {
        return ini::load(path, &text, model);
    }
    let root = crate::yaml::parse(crate::error::SourceFile::new(path, text))?;
    let plugin = root
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("plugin")));
    if let Some((key, value)) = plugin {
        return Err(key.error(format!(
            "inventory plugin '{}' is not supported yet",
            value.key_string()
        )));
    }
    if name.ends_with("aws_ec2.yml") || name.ends_with("aws_ec2.yaml") {
        return Err(root.error("inventory plugin 'aws_ec2' is not supported yet"));
    }
    yaml::load(path, &root, model)
}

/// True for a file with an execute bit (Ansible runs those as dynamic inventory scripts).
fn executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn read_dir_vars(
    model: &mut Model,
    dirs: &[PathBuf],
    playbook_dir: Option<&Path>,
) -> Result<(), LoadErrors> {
    let groups: Vec<String> = model.groups.keys().cloned().collect();
    let hosts: Vec<String> = model.hosts.keys().cloned().collect();
    let g: Vec<&str> = groups.iter().map(String::as_str).collect();
    let h: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let canon = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if seen.contains(&canon) {
            continue;
        }
        seen.push(canon);
        merge(
            &mut model.dir_vars.inv_groups,
            vars_dirs::read(dir, "group_vars", &g)?,
        );
        merge(
            &mut model.dir_vars.inv_hosts,
            vars_dirs::read(dir, "host_vars", &h)?,
        );
    }
    if let Some(pb) = playbook_dir {
        let canon = pb.canonicalize().unwrap_or_else(|_| pb.to_path_buf());
        if !seen.contains(&canon) {
            merge(
                &mut model.dir_vars.pb_groups,
                vars_dirs::read(pb, "group_vars", &g)?,
            );
            merge(
                &mut model.dir_vars.pb_hosts,
                vars_dirs::read(pb, "host_vars", &h)?,
            );
        }
    }
    Ok(())
}

fn merge(into: &mut HashMap<String, Vars>, from: HashMap<String, Vars>) {
    for (k, v) in from {
        into.entry(k).or_default().extend(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Inventory, LoadErrors>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let r = Inventory::load(&[dir.path().join(files[0].0)], None);
        (dir, r)
    }

    const INI: &str = "lonely\n\n[web]\nweb[01:03] role=front\n\n[db]\ndb1 ansible_port=2222 weight=1.5\n\n[prod:children]\nweb\ndb\n\n[prod:vars]\nenv=prod\nport=80\n\n[web:vars]\nport=8080\n";

    #[test]
    fn ini_groups_children_vars_and_patterns() {
        let (_d, r) = inv(&[("hosts", INI)]);
        let i = r.unwrap();
        for (pattern, want) in [
            ("all", "lonely web01 web02 web03 db1"),
            ("*", "lonely web01 web02 web03 db1"),
            ("ungrouped", "lonely"),
            ("prod", "web01 web02 web03 db1"),
            ("web:db", "web01 web02 web03 db1"),
            ("web,db1", "web01 web02 web03 db1"),
            ("prod:!db", "web01 web02 web03"),
            ("prod:&db", "db1"),
            ("!web", "lonely db1"),
            ("web0*", "web01 web02 web03"),
            ("~web0[12]", "web01 web02"),
            ("web[0]", "web01"),
            ("web[-1]", "web03"),
            ("web[0:1]", "web01 web02"),
            ("nothing", ""),
            ("localhost", "localhost"),
            ("db:web", "db1 web01 web02 web03"),
            ("localhost:web[0]", "localhost web01"),
            ("web[1:]", "web02 web03"),
            ("web0[!2]", "web01 web03"),
            ("~eb", ""),
            ("*:!~web.*", "lonely db1"),
            ("&db", "db1"),
        ] {
            assert_eq!(i.select(pattern).unwrap().join(" "), want, "{pattern}");
        }
        assert_eq!(
            i.select("web[5]").unwrap_err().to_string(),
            "invalid host pattern 'web[5]': no hosts matched the subscripted pattern"
        );
        let v = i.host_vars("web02");
        assert_eq!(v["port"], 8080, "child group beats parent");
        assert_eq!(v["env"], "prod");
        assert_eq!(v["role"], "front");
        assert_eq!(v["group_names"], serde_json::json!(["prod", "web"]));
        let db = i.host_vars("db1");
        assert_eq!(
            (
                db["ansible_port"].clone(),
                db["weight"].clone(),
                db["port"].clone()
            ),
            (2222.into(), 1.5.into(), 80.into())
        );
        assert_eq!(
            i.groups()["prod"],
            serde_json::json!(["web01", "web02", "web03", "db1"])
        );
    }

    #[test]
    fn yaml_inventory_and_vars_dirs() {
        let yaml = "all:\n  vars:\n    a: 1\n  children:\n    web:\n      hosts:\n        w1:\n          b: 2\n        w2:\n      vars:\n        a: 3\n";
        let (_d, r) = inv(&[
            ("inv.yml", yaml),
            ("group_vars/web.yml", "c: from_group_vars\na: 4\n"),
            ("group_vars/all/x.yml", "d: all_dir\n"),
            ("host_vars/w2.yml", "a: 5\n"),
        ]);
        let i = r.unwrap();
        assert_eq!(i.select("web").unwrap(), vec!["w1", "w2"]);
        let w1 = i.host_vars("w1");
        assert_eq!(
            (
                w1["a"].clone(),
                w1["b"].clone(),
                w1["c"].clone(),
                w1["d"].clone()
            ),
            (
                4.into(),
                2.into(),
                "from_group_vars".into(),
                "all_dir".into()
            )
        );
        assert_eq!(i.host_vars("w2")["a"], 5);
    }

    #[test]
    fn errors_have_positions() {
        for (name, text, want) in [
            (
                "h.ini",
                "[web\nx\n",
                "h.ini:1:1: malformed section header '[web'",
            ),
            (
                "h.ini",
                "[web:kids]\nx\n",
                "h.ini:1:1: unknown section suffix ':kids' in '[web:kids]'",
            ),
            (
                "h.ini",
                "[web:vars]\nnovalue\n",
                "h.ini:2:1: expected key=value in [web:vars], found 'novalue'",
            ),
            (
                "h.ini",
                "[web]\nweb[3:1]\n",
                "h.ini:2:1: bad host range '[3:1]': start is after end",
            ),
            (
                "i.yml",
                "all:\n  hostz: {}\n",
                "i.yml:2:3: unknown key 'hostz' in group 'all'",
            ),
            (
                "cloud.yml",
                "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n",
                "cloud.yml:1:1: inventory plugin 'amazon.aws.aws_ec2' is not supported yet",
            ),
            (
                "prod.aws_ec2.yml",
                "regions: [eu-west-1]\n",
                "prod.aws_ec2.yml:1:1: inventory plugin 'aws_ec2' is not supported yet",
            ),
            (
                "h.ini",
                "[web]\nw1 port\n",
                "h.ini:2:1: expected key=value after the host, found 'port'",
            ),
            (
                "h.ini",
                "[web:children]\ndb extra\n",
                "h.ini:2:1: expected a group name in [web:children], found 'db extra'",
            ),
        ] {
            let (d, r) = inv(&[(name, text)]);
            let e = r
                .unwrap_err()
                .to_string()
                .replace(&format!("{}/", d.path().display()), "");
            assert!(e.starts_with(want), "{e}\nwant: {want}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn scripts_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("inv.py");
        std::fs::write(&p, "#!/usr/bin/env python3\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = Inventory::load(std::slice::from_ref(&p), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}: dynamic inventory scripts are not supported yet\n  = hint: write the hosts to an INI or YAML inventory file",
                p.display()
            )
        );
    }

    #[test]
    fn directories_and_playbook_vars_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let pb = tempfile::tempdir().unwrap();
        for (root, name, text) in [
            (
                dir.path(),
                "inv/01-hosts",
                "[web]\nw1 h=inifile\n[web:vars]\ng=inifile\n",
            ),
            (dir.path(), "inv/02.yml", "db:\n  hosts:\n    d1:\n"),
            (dir.path(), "inv/sub/03", "[web]\nw2\n"),
            (dir.path(), "inv/README.md", "not an inventory"),
            (dir.path(), "inv/old.bak", "[web]\nbad[\n"),
            (
                dir.path(),
                "inv/group_vars/all.yml",
                "a: inv_all\ng: inv_all\n",
            ),
            (
                dir.path(),
                "inv/group_vars/web.yml",
                "g: inv_web\nh: inv_web\n",
            ),
            (dir.path(), "inv/host_vars/w1.yml", "h: inv_host\n"),
            (pb.path(), "group_vars/all.yml", "a: pb_all\n"),
            (pb.path(), "group_vars/web.yml", "g: pb_web\n"),
            (pb.path(), "host_vars/w1.yml", "h: pb_host\n"),
        ] {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let i = Inventory::load(&[dir.path().join("inv")], Some(pb.path())).unwrap();
        assert_eq!(i.hosts().collect::<Vec<_>>(), ["w1", "d1", "w2"]);
        let w1 = i.host_vars("w1");
        let w2 = i.host_vars("w2");
        for (v, key, want) in [
            (&w1, "a", "pb_all"),
            (&w1, "g", "pb_web"),
            (&w1, "h", "pb_host"),
            (&w2, "g", "pb_web"),
            (&w2, "h", "inv_web"),
        ] {
            assert_eq!(v[key], want, "{key} of {}", v["inventory_hostname"]);
        }
        assert_eq!(i.host_vars("d1")["g"], "inv_all");
    }

    #[test]
    fn cycles_are_refused() {
        let (_d, r) = inv(&[("h", "[a:children]\nb\n[b:children]\na\n")]);
        assert!(r.unwrap_err().to_string().contains("cycle"));
    }
}
