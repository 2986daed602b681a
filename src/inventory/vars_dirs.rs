//! group_vars/ and host_vars/ directories, read as Ansible's host_group_vars plugin does: for
//! each group or host name the first of `<name>` (a file, or a directory), `<name>.yml`,
//! `<name>.yaml`, `<name>.json` that exists is used. A directory's files are merged in name
//! order, recursing into sub-directories; only files without an extension or ending in .yml,
//! .yaml or .json count, and hidden files and `~` backups are skipped. Empty files (and other
//! empty values) add nothing; names starting with `/` are never looked up.
//!
//! [`DirVars`] holds one [`Layer`] per inventory source (in `-i` order; a file source's layer is
//! its directory's) and one for the playbook's directory. How layers combine is precedence.rs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::vars::Vars;
use crate::yaml;

const EXTENSIONS: &[&str] = &["", ".yml", ".yaml", ".json"];

/// The vars one directory gives: group → vars, host → vars.
#[derive(Debug, Default, Clone)]
pub(crate) struct Layer {
    pub groups: HashMap<String, Vars>,
    pub hosts: HashMap<String, Vars>,
}

/// Every layer, in the order Ansible reads them.
#[derive(Debug, Default, Clone)]
pub(crate) struct DirVars {
    layers: Vec<Layer>,
    /// The directory each layer was read from.
    dirs: Vec<PathBuf>,
    /// Index into `layers` for each inventory source, in order (a directory may repeat).
    inventory: Vec<usize>,
    playbook: Option<usize>,
}

impl DirVars {
    /// Reads the vars next to each of `inventory_dirs` and in `playbook_dir` for the named
    /// groups and hosts. Each directory is read once even if it serves several sources.
    pub fn read(
        inventory_dirs: &[PathBuf],
        playbook_dir: Option<&Path>,
        groups: &[&str],
        hosts: &[&str],
    ) -> Result<DirVars, Vec<LoadError>> {
        let mut out = DirVars::default();
        let mut index: HashMap<PathBuf, usize> = HashMap::new();
        let mut errors = Vec::new();
        let dirs = inventory_dirs.iter().map(|d| (d.as_path(), false));
        for (dir, is_playbook) in dirs.chain(playbook_dir.map(|d| (d, true))) {
            let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            let i = match index.get(&key) {
                Some(&i) => i,
                None => {
                    let mut layer = Layer::default();
                    match read(dir, "group_vars", groups) {
                        Ok(v) => layer.groups = v,
                        Err(e) => errors.extend(e),
                    }
                    match read(dir, "host_vars", hosts) {
                        Ok(v) => layer.hosts = v,
                        Err(e) => errors.extend(e),
                    }
                    out.layers.push(layer);
                    out.dirs.push(dir.to_path_buf());
                    index.insert(key, out.layers.len() - 1);
                    out.layers.len() - 1
                }
            };
            if is_playbook {
                out.playbook = Some(i);
            } else {
                out.inventory.push(i);
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Reads the files of groups and hosts a play added to the inventory (`group_by`,
    /// `add_host`), as Ansible's vars plugins read them when they are first asked. A file that
    /// does not load gives nothing.
    pub fn learn(&mut self, groups: &[&str], hosts: &[&str]) {
        for (layer, dir) in self.layers.iter_mut().zip(&self.dirs) {
            let new_groups: Vec<&str> = groups
                .iter()
                .copied()
                .filter(|g| !layer.groups.contains_key(*g))
                .collect();
            let new_hosts: Vec<&str> = hosts
                .iter()
                .copied()
                .filter(|h| !layer.hosts.contains_key(*h))
                .collect();
            layer
                .groups
                .extend(read(dir, "group_vars", &new_groups).unwrap_or_default());
            layer
                .hosts
                .extend(read(dir, "host_vars", &new_hosts).unwrap_or_default());
        }
    }

    /// The layers of the inventory sources, in `-i` order.
    pub fn inventory(&self) -> impl Iterator<Item = &Layer> {
        self.inventory.iter().map(|&i| &self.layers[i])
    }

    /// The layer of the playbook's directory.
    pub fn playbook(&self) -> Option<&Layer> {
        self.playbook.map(|i| &self.layers[i])
    }
}

/// Reads `dir/<kind>/` for each of `names`; returns name → vars for those that have a file.
pub(crate) fn read(
    dir: &Path,
    kind: &str,
    names: &[&str],
) -> Result<HashMap<String, Vars>, Vec<LoadError>> {
    let base = dir.join(kind);
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    if !base.is_dir() {
        return Ok(out);
    }
    for name in names
        .iter()
        .filter(|n| !n.is_empty() && !n.starts_with('/'))
    {
        let Some(found) = EXTENSIONS
            .iter()
            .map(|ext| base.join(format!("{name}{ext}")))
            .find(|p| p.exists())
        else {
            continue;
        };
        let files = if found.is_dir() {
            match dir_files(&found) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        } else {
            vec![found]
        };
        let mut vars = Vars::new();
        for f in files {
            match read_file(&f) {
                Ok(v) => vars.extend(v),
                Err(e) => errors.push(e),
            }
        }
        out.insert(name.to_string(), vars);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The vars files under `dir`, sorted by name at each level.
fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LoadError::plain(format!("cannot read {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let ext = p.extension().map(|e| format!(".{}", e.to_string_lossy()));
        if p.is_dir() && ext.is_none() {
            out.extend(dir_files(&p)?);
        } else if p.is_file() && ext.as_deref().is_none_or(|e| EXTENSIONS.contains(&e)) {
            out.push(p);
        }
    }
    Ok(out)
}

/// One vars file: a mapping; an empty value (`~`, `[]`, `""`, `0`, `false`) adds nothing.
fn read_file(path: &Path) -> Result<Vars, LoadError> {
    let node = yaml::load_file(path)?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        v if is_empty(&v) => Ok(Vars::new()),
        _ => Err(node.error(format!(
            "a vars file must hold a mapping of variables, found {}",
            node.type_name()
        ))),
    }
}

/// Python's falsiness, which Ansible uses to skip empty vars files.
fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_rules() {
        for (files, want) in [
            (
                &[("web.yml", "a: 1"), ("web.yaml", "b: 2")][..],
                r#"{"a":1}"#,
            ),
            (
                &[("web", "a: bare"), ("web.yml", "a: 1")][..],
                r#"{"a":"bare"}"#,
            ),
            (&[("web.json", r#"{"a": [1]}"#)][..], r#"{"a":[1]}"#),
            (
                &[
                    ("web/1.yml", "a: 1\nb: 1"),
                    ("web/2", "a: 2"),
                    ("web.yml", "c: 3"),
                ][..],
                r#"{"a":2,"b":1}"#,
            ),
            (
                &[("web/z.yml", "a: z"), ("web/sub/a.yml", "a: sub")][..],
                r#"{"a":"z"}"#,
            ),
            (
                &[
                    ("web/a.yml", "a: 1"),
                    ("web/b.txt", "a: 2"),
                    ("web/.c.yml", "a: 3"),
                    ("web/d.yml~", "a: 4"),
                ][..],
                r#"{"a":1}"#,
            ),
            (&[("web.yml", "")][..], "{}"),
            (&[("web.yml", "[]")][..], "{}"),
            (&[("web.yml", "false")][..], "{}"),
            (&[("other.yml", "a: 1")][..], "none"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                let p = dir.path().join("group_vars").join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            let got = read(dir.path(), "group_vars", &["web"]).unwrap();
            let got = got
                .get("web")
                .map_or("none".into(), |v| Json::Object(v.clone()).to_string());
            assert_eq!(got, want, "{files:?}");
        }
    }

    #[test]
    fn errors() {
        for (text, want) in [
            (
                "- a\n- b\n",
                "web.yml:1:1: a vars file must hold a mapping of variables, found a list",
            ),
            ("a: [1\n", "web.yml:1:4: invalid YAML"),
            (
                "just text\n",
                "web.yml:1:1: a vars file must hold a mapping of variables, found a string",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("group_vars")).unwrap();
            std::fs::write(dir.path().join("group_vars/web.yml"), text).unwrap();
            let e = read(dir.path(), "group_vars", &["web"]).unwrap_err();
            let e = e[0].to_string();
            let e = e.replace(&format!("{}/group_vars/", dir.path().display()), "");
            assert!(e.starts_with(want), "{e}\nwant: {want}");
        }
    }
}
