//! Installed Ansible content: the collections under `collections_path` (and `collections/`
//! beside the playbook), found as ansible-core 2.18 finds them.
//!
//! [`Installed`] answers where a collection lives, which collection a path belongs to (a
//! playbook inside a collection runs with it as its default collection), and where a role of a
//! collection is. How a task's action name resolves to a module or an action plugin is
//! `resolve.rs`, with each collection's `meta/runtime.yml` routing (`routing.rs`) and
//! ansible-core's own plugin names (`builtin.rs`).
//!
//! It reads directories and YAML files only; it knows nothing of the playbook model.

mod builtin;
pub mod located;
mod resolve;
mod routing;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use resolve::Resolution;
use routing::Routing;

/// The collections a playbook sees, and what was read of them.
#[derive(Debug, Default)]
pub struct Installed {
    /// Directories holding an `ansible_collections/` directory, searched in order.
    roots: Vec<PathBuf>,
    /// Each collection's routing, read once.
    routing: Mutex<HashMap<String, Routing>>,
}

impl Installed {
    /// The collections of the playbook in `playbook_dir`: its `collections/` directory, then
    /// `collections_path` (ansible.cfg, `ANSIBLE_COLLECTIONS_PATH`).
    pub fn for_playbook(playbook_dir: &Path) -> Installed {
        let configured = crate::config::Config::global().list("COLLECTIONS_PATHS");
        let mut paths = vec![playbook_dir.join("collections")];
        paths.extend(configured.iter().map(PathBuf::from));
        Installed::from_paths(paths)
    }

    /// The collections under `paths` (each holds `ansible_collections/`, or is one).
    pub fn from_paths(paths: impl IntoIterator<Item = PathBuf>) -> Installed {
        let mut roots: Vec<PathBuf> = Vec::new();
        for path in paths {
            let root = match path.file_name() {
                Some(n) if n == "ansible_collections" => path.parent().unwrap_or(&path).into(),
                _ => path,
            };
            if !roots.contains(&root) && root.join("ansible_collections").is_dir() {
                roots.push(root);
            }
        }
        located::record_roots(&roots);
        Installed {
            roots,
            routing: Mutex::default(),
        }
    }

    /// The directory of collection `name` (`namespace.collection`): the first root that has it.
    pub fn collection_dir(&self, name: &str) -> Option<PathBuf> {
        let (namespace, collection) = name.split_once('.')?;
        if !is_identifier(namespace) || !is_identifier(collection) {
            return None;
        }
        let dir = |r: &Path| {
            r.join("ansible_collections")
                .join(namespace)
                .join(collection)
        };
        let found = self.roots.iter().map(|r| dir(r)).find(|d| d.is_dir());
        // Last, the collections installed beside ansible-core (`pip install ansible`), looked
        // for only when the configured paths do not have the collection.
        found.or_else(|| {
            let core = located::core_dir()?;
            Some(dir(core)).filter(|d| d.is_dir())
        })
    }

    /// The collection `path` is inside, when that collection is the one installed there (not
    /// hidden by another of the same name in an earlier root): what a playbook inside a
    /// collection runs with as its default collection.
    pub fn collection_of(&self, path: &Path) -> Option<String> {
        let path = std::path::absolute(path).ok()?;
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        let mut at = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == "ansible_collections");
        let (pos, _) = at.next()?;
        if at.next().is_some() || parts.len() < pos + 3 {
            return None;
        }
        let name = format!("{}.{}", parts[pos + 1], parts[pos + 2]);
        let prefix: PathBuf = path.iter().take(pos + 3).collect();
        (self.collection_dir(&name)? == prefix).then_some(name)
    }

    /// Role `name` of a collection: `ns.coll.role`, `ns.coll.sub.dirs.role` (under
    /// `roles/sub/dirs/`, as Ansible reads the names between the collection and the role), or a
    /// short name looked for in each of `search` (the collections keyword in effect). Its
    /// directory and collection.
    pub fn role(&self, name: &str, search: &[String]) -> Option<(PathBuf, String)> {
        let parts: Vec<&str> = name.split('.').collect();
        let (collections, path) = match parts[..] {
            [ns, coll, ref rest @ ..] if !rest.is_empty() => {
                (vec![format!("{ns}.{coll}")], rest.to_vec())
            }
            [_] => (search.to_vec(), vec![name]),
            _ => return None,
        };
        if !path.iter().all(|p| is_identifier(p)) {
            return None;
        }
        collections.into_iter().find_map(|c| {
            let dir = path
                .iter()
                .fold(self.collection_dir(&c)?.join("roles"), |d, p| d.join(p));
            dir.is_dir().then_some((dir, c))
        })
    }

    /// Whether `name` is an Ansible connection plugin: ansible-core's, or one in an installed
    /// collection's `plugins/connection/`, by FQCN or by its short name (ansible-core routes the
    /// short names of Ansible 2.9's connections, `network_cli`, `httpapi`, to collections).
    pub fn has_connection(&self, name: &str) -> bool {
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
        if builtin::CONNECTIONS.contains(&short) {
            return true;
        }
        let file = |coll: &Path, short: &str| coll.join(format!("plugins/connection/{short}.py"));
        match name.rsplit_once('.') {
            Some((collection, short)) => self
                .collection_dir(collection)
                .is_some_and(|c| file(&c, short).is_file()),
            None => self.roots.iter().any(|root| {
                let namespaces = std::fs::read_dir(root.join("ansible_collections"));
                namespaces.into_iter().flatten().flatten().any(|ns| {
                    let colls = std::fs::read_dir(ns.path());
                    let mut colls = colls.into_iter().flatten().flatten();
                    colls.any(|c| file(&c.path(), name).is_file())
                })
            }),
        }
    }

    /// The collections of `collections_path` (ansible.cfg, `ANSIBLE_COLLECTIONS_PATH`), for
    /// what is checked without a playbook at hand; read once.
    pub fn configured() -> &'static Installed {
        static CONFIGURED: std::sync::OnceLock<Installed> = std::sync::OnceLock::new();
        CONFIGURED.get_or_init(|| {
            let paths = crate::config::Config::global().list("COLLECTIONS_PATHS");
            Installed::from_paths(paths.iter().map(PathBuf::from))
        })
    }

    /// The routing of collection `name` (its `meta/runtime.yml`), read once.
    fn routing(&self, name: &str) -> Routing {
        let mut all = self.routing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = all.get(name) {
            return r.clone();
        }
        let found = match self.collection_dir(name) {
            Some(dir) => Routing::read(&dir.join("meta/runtime.yml")),
            None => Routing::default(),
        };
        all.insert(name.to_string(), found.clone());
        found
    }
}

/// A Python identifier (what a namespace, collection or role name must be).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            if f.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "").unwrap();
            }
        }
        dir
    }

    #[test]
    fn finds_collections_roles_and_the_collection_of_a_path() {
        let a = tree(&[
            "ansible_collections/ns/one/roles/web/",
            "ansible_collections/ns/two/",
        ]);
        let b = tree(&["ansible_collections/ns/one/roles/db/"]);
        let installed = Installed::from_paths([
            a.path().join("ansible_collections"),
            b.path().to_path_buf(),
            a.path().join("missing"),
        ]);
        let one = a.path().join("ansible_collections/ns/one");
        assert_eq!(installed.collection_dir("ns.one"), Some(one.clone()));
        assert_eq!(installed.collection_dir("ns.three"), None);
        assert_eq!(installed.collection_dir("ns-x.one"), None);
        assert_eq!(
            installed.collection_of(&one.join("playbooks/site.yml")),
            Some("ns.one".into())
        );
        // ns.one of the second root is hidden by the first one's.
        let hidden = b
            .path()
            .join("ansible_collections/ns/one/playbooks/site.yml");
        assert_eq!(installed.collection_of(&hidden), None);
        assert_eq!(installed.collection_of(a.path()), None);
        let web = Some((one.join("roles/web"), "ns.one".to_string()));
        assert_eq!(installed.role("ns.one.web", &[]), web);
        assert_eq!(
            installed.role("web", &["ns.two".into(), "ns.one".into()]),
            web
        );
        assert_eq!(installed.role("web", &[]), None);
        assert_eq!(installed.role("ns.one.db", &[]), None);
    }

    #[test]
    fn connection_plugins_are_ansible_cores_and_the_collections() {
        let a = tree(&["ansible_collections/ns/net/plugins/connection/network_cli.py"]);
        let installed = Installed::from_paths([a.path().to_path_buf()]);
        for (name, want) in [
            ("ssh", true),
            ("ansible.builtin.winrm", true),
            ("network_cli", true),
            ("ns.net.network_cli", true),
            ("ns.other.network_cli", false),
            ("httpapi", false),
            ("sssh", false),
        ] {
            assert_eq!(installed.has_connection(name), want, "{name}");
        }
    }
}
