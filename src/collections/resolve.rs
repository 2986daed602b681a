//! What a task's action name is, as ansible-core 2.18's plugin loader resolves it: a module
//! or an action plugin, of ansible-core, of an installed collection, or of a `library/` or
//! `action_plugins/` directory.
//!
//! A FQCN (`ns.coll.name`, `ns.coll.sub.name`) is looked up in its collection. A short name is
//! tried in each collection of the search list in effect (`ansible.legacy` meaning the
//! directories, then ansible-core); without a list, in the directories then ansible-core.
//! Routing is followed: a redirect to its target, a tombstone is an error.

use std::path::{Path, PathBuf};

use crate::collections::located::{self, ModuleFile};
use crate::collections::routing::{Kind, Route};
use crate::collections::{builtin, is_identifier, Installed};

/// What an action name resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// ansible-core's module or action plugin, by FQCN (`ansible.builtin.copy`).
    Builtin(String),
    /// An installed collection's module or action plugin, by FQCN.
    Collection(String),
    /// A module or action plugin of a `library/` or `action_plugins/` directory (beside the
    /// playbook, in a role, or on the configured paths), by name.
    Local(String),
    /// Nothing answers to the name.
    Missing,
    /// It was removed; the message says what to use instead.
    Removed(String),
}

/// One step of a lookup: found, or go on with another name, or nothing here.
enum Step {
    Found(Found),
    Redirect(String),
    Missing,
}

/// A plugin found, and for a module the action plugin its routing names.
struct Found {
    resolution: Resolution,
    action_plugin: Option<String>,
}

/// Extensions that are never modules (Ansible's `MODULE_IGNORE_EXTS`).
const IGNORED: &[&str] = &[
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".yaml", ".yml", ".ini",
];

impl Installed {
    /// Resolves the action `name` of a task whose collection search list is `collections`
    /// (empty without one); `plugin_dirs` are the directories whose `library/` and
    /// `action_plugins/` hold local plugins (the playbook's, each role's read so far).
    pub fn resolve_action(
        &self,
        name: &str,
        collections: &[String],
        plugin_dirs: &[PathBuf],
    ) -> Resolution {
        let lookup = |name: &str, kind| self.find(name, kind, collections, plugin_dirs);
        let module = match lookup(name, Kind::Module) {
            Ok(m) => m,
            Err(removed) => return Resolution::Removed(removed),
        };
        let action_name = module
            .as_ref()
            .and_then(|m| m.action_plugin.clone())
            .unwrap_or_else(|| name.to_string());
        let action = match lookup(&action_name, Kind::Action) {
            Ok(a) => a,
            Err(removed) => return Resolution::Removed(removed),
        };
        // An action plugin alone, or beside a module file that only documents it (as
        // ansible-core's `pause.py`, `add_host.py`): it runs only in Ansible's controller.
        let stub = |f: &Found| {
            name_of(&f.resolution)
                .and_then(located::module_file)
                .is_some_and(|m| is_doc_stub(&m.path))
        };
        match (&module, &action) {
            (None, Some(a)) => name_of(&a.resolution).map(located::record_action_only),
            (Some(m), Some(_)) if stub(m) => {
                name_of(&m.resolution).map(located::record_action_only)
            }
            _ => None,
        };
        module
            .or(action)
            .map_or(Resolution::Missing, |f| f.resolution)
    }

    /// A plugin of `kind`, following redirects (a redirect loop finds nothing).
    fn find(
        &self,
        name: &str,
        kind: Kind,
        collections: &[String],
        dirs: &[PathBuf],
    ) -> Result<Option<Found>, String> {
        let mut name = name.to_string();
        let mut seen: Vec<String> = Vec::new();
        while !seen.contains(&name) {
            seen.push(name.clone());
            match self.step(&name, kind, collections, dirs)? {
                Step::Found(f) => return Ok(Some(f)),
                Step::Redirect(to) => name = to,
                Step::Missing => return Ok(None),
            }
        }
        Ok(None)
    }

    fn step(
        &self,
        name: &str,
        kind: Kind,
        collections: &[String],
        dirs: &[PathBuf],
    ) -> Result<Step, String> {
        if collections.is_empty() && !is_fqcr(name) {
            return self.legacy(name, kind, dirs);
        }
        let candidates: Vec<String> = if name.contains('.') || collections.is_empty() {
            vec![name.to_string()]
        } else {
            collections.iter().map(|c| format!("{c}.{name}")).collect()
        };
        for candidate in candidates {
            let step = match candidate.strip_prefix("ansible.legacy.") {
                Some(short) => self.legacy(short, kind, dirs)?,
                None => self.qualified(&candidate, kind)?,
            };
            if !matches!(step, Step::Missing) {
                return Ok(step);
            }
        }
        Ok(Step::Missing)
    }

    /// A short name: the local directories, then ansible-core (with its routing).
    fn legacy(&self, name: &str, kind: Kind, dirs: &[PathBuf]) -> Result<Step, String> {
        let (sub, configured) = match kind {
            Kind::Module => ("library", "DEFAULT_MODULE_PATH"),
            Kind::Action => ("action_plugins", "DEFAULT_ACTION_PLUGIN_PATH"),
        };
        let configured = crate::config::Config::global().list(configured);
        let mut searched = dirs
            .iter()
            .map(|d| d.join(sub))
            .chain(configured.iter().map(PathBuf::from));
        if let Some(path) = searched.find_map(|dir| find_local(&dir, name, kind)) {
            if kind == Kind::Module {
                let fqn = format!("ansible.modules.{name}");
                located::record(name, ModuleFile { path, fqn });
            }
            return Ok(Step::Found(Found {
                resolution: Resolution::Local(name.to_string()),
                action_plugin: None,
            }));
        }
        let builtin = format!("ansible.builtin.{name}");
        if name.contains('.') || !is_fqcr(&builtin) {
            return Ok(Step::Missing);
        }
        self.qualified(&builtin, kind)
    }

    /// A FQCN: its collection's routing, then its file.
    fn qualified(&self, fqcn: &str, kind: Kind) -> Result<Step, String> {
        let Some((collection, subdirs, resource)) = split_fqcr(fqcn) else {
            return Ok(Step::Missing);
        };
        let key = subdirs
            .iter()
            .chain(std::iter::once(&resource))
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        let builtin = collection == "ansible.builtin";
        let route = if builtin {
            builtin::route(kind, &key)
        } else {
            self.routing(&collection).get(kind, &key).cloned()
        };
        let mut action_plugin = None;
        match route {
            Some(Route::Tombstone(why)) => {
                return Err(format!("{fqcn} has been removed. {why}").trim().to_string())
            }
            Some(Route::Redirect(to)) if is_fqcr(&to) => return Ok(Step::Redirect(to)),
            Some(Route::Redirect(_)) => return Ok(Step::Missing),
            Some(Route::ActionPlugin(a)) if kind == Kind::Module => action_plugin = Some(a),
            _ => {}
        }
        let resolution = if builtin {
            let found = subdirs.is_empty() && builtin::has(kind, resource);
            if found && kind == Kind::Module {
                record_builtin(fqcn, resource);
            }
            found.then(|| Resolution::Builtin(fqcn.to_string()))
        } else {
            let plugins = match kind {
                Kind::Module => "plugins/modules",
                Kind::Action => "plugins/action",
            };
            self.collection_dir(&collection)
                .map(|d| subdirs.iter().fold(d.join(plugins), |p, s| p.join(s)))
                .and_then(|dir| find_qualified(&dir, resource, kind))
                .map(|path| {
                    if kind == Kind::Module {
                        let fqn = format!("ansible_collections.{collection}.plugins.modules.{key}");
                        located::record(fqcn, ModuleFile { path, fqn });
                    }
                    Resolution::Collection(fqcn.to_string())
                })
        };
        Ok(match resolution {
            Some(resolution) => Step::Found(Found {
                resolution,
                action_plugin,
            }),
            None => Step::Missing,
        })
    }
}

/// The name a found plugin resolved to.
fn name_of(r: &Resolution) -> Option<&str> {
    match r {
        Resolution::Builtin(n) | Resolution::Collection(n) | Resolution::Local(n) => Some(n),
        _ => None,
    }
}

/// A module file that only documents an action plugin: no support code imported, no entry.
fn is_doc_stub(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    ![
        "ansible.module_utils",
        "ansible_collections",
        "WANT_JSON",
        "__main__",
    ]
    .iter()
    .any(|s| text.contains(s))
        && text.contains("DOCUMENTATION")
}

/// A valid FQCN: `namespace.collection.name`, maybe with subdirectories before the name.
fn is_fqcr(name: &str) -> bool {
    split_fqcr(name).is_some()
}

/// `ns.coll.a.b.name` → (`ns.coll`, [a, b], name).
fn split_fqcr(name: &str) -> Option<(String, Vec<&str>, &str)> {
    let parts: Vec<&str> = name.split('.').collect();
    let [namespace, collection, rest @ ..] = &parts[..] else {
        return None;
    };
    let (resource, subdirs) = rest.split_last()?;
    let word = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    let valid = is_identifier(namespace) && is_identifier(collection) && rest.iter().all(word);
    valid.then(|| {
        (
            format!("{namespace}.{collection}"),
            subdirs.to_vec(),
            *resource,
        )
    })
}

/// Records where ansible-core's module `resource` is on the controller, when it is there.
fn record_builtin(fqcn: &str, resource: &str) {
    let Some(core) = located::core_dir() else {
        return;
    };
    let path = core.join(format!("ansible/modules/{resource}.py"));
    if path.is_file() {
        let fqn = format!("ansible.modules.{resource}");
        located::record(fqcn, ModuleFile { path, fqn });
    }
}

/// A module file of a collection (`name` itself, or `name.<ext>` not ignored, a `.py` first),
/// or an action plugin (`name.py`).
fn find_qualified(dir: &Path, name: &str, kind: Kind) -> Option<PathBuf> {
    let py = dir.join(format!("{name}.py"));
    if py.is_file() {
        return Some(py);
    }
    if kind == Kind::Action {
        return None;
    }
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    let mut found = files(dir).filter(|f| {
        f.strip_prefix(name)
            .is_some_and(|ext| ext.starts_with('.') && !ignored(ext))
    });
    found.next().map(|f| dir.join(f))
}

/// A local plugin: a file of `dir` whose name, or name without its extension, is `name`
/// (for action plugins, a `.py` file).
fn find_local(dir: &Path, name: &str, kind: Kind) -> Option<PathBuf> {
    let mut found = files(dir).filter(|f| {
        if ignored(f) || f.ends_with("__init__.py") {
            return false;
        }
        let (base, ext) = match f.rfind('.') {
            Some(0) | None => (f.as_str(), ""),
            Some(i) => f.split_at(i),
        };
        match kind {
            Kind::Module => f == name || base == name,
            Kind::Action => ext == ".py" && (f == name || base == name),
        }
    });
    found.next().map(|f| dir.join(f))
}

fn ignored(file: &str) -> bool {
    IGNORED.iter().any(|ext| file.ends_with(ext))
}

/// The names of the files in `dir`.
fn files(dir: &Path) -> impl Iterator<Item = String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (f, text) in files {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
    }

    #[test]
    fn resolves_as_ansible_core_does() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = "plugin_routing:\n  modules:\n    old: {redirect: ns.coll.new}\n    \
                       gone: {tombstone: {warning_text: Use new.}}\n    \
                       loop: {redirect: ns.coll.loop2}\n    loop2: {redirect: ns.coll.loop}\n";
        let c = "collections/ansible_collections/ns/coll";
        write(
            dir.path(),
            &[
                (&format!("{c}/meta/runtime.yml"), runtime),
                (&format!("{c}/plugins/modules/new.py"), ""),
                (&format!("{c}/plugins/modules/win_thing.ps1"), ""),
                (&format!("{c}/plugins/modules/doc_only.yml"), ""),
                (&format!("{c}/plugins/modules/net/cfg.py"), ""),
                (&format!("{c}/plugins/action/act.py"), ""),
                ("pb/library/mine.py", ""),
                ("pb/action_plugins/my_action.py", ""),
            ],
        );
        let installed = Installed::from_paths([dir.path().join("collections")]);
        let dirs = [dir.path().join("pb")];
        let coll = |s: &str| Resolution::Collection(s.to_string());
        let builtin = |s: &str| Resolution::Builtin(s.to_string());
        let local = |s: &str| Resolution::Local(s.to_string());
        let list = vec!["ns.coll".to_string(), "ansible.legacy".to_string()];
        let only = vec!["ns.coll".to_string(), "ansible.builtin".to_string()];
        for (name, search, want) in [
            ("ns.coll.new", &vec![], coll("ns.coll.new")),
            ("ns.coll.old", &vec![], coll("ns.coll.new")),
            ("ns.coll.win_thing", &vec![], coll("ns.coll.win_thing")),
            ("ns.coll.doc_only", &vec![], Resolution::Missing),
            ("ns.coll.net.cfg", &vec![], coll("ns.coll.net.cfg")),
            ("ns.coll.act", &vec![], coll("ns.coll.act")),
            ("ns.coll.loop", &vec![], Resolution::Missing),
            ("ns.other.new", &vec![], Resolution::Missing),
            ("new", &vec![], Resolution::Missing),
            ("new", &list, coll("ns.coll.new")),
            ("old", &list, coll("ns.coll.new")),
            ("copy", &list, builtin("ansible.builtin.copy")),
            ("copy", &vec![], builtin("ansible.builtin.copy")),
            (
                "ansible.legacy.copy",
                &vec![],
                builtin("ansible.builtin.copy"),
            ),
            (
                "ansible.builtin.systemd",
                &vec![],
                builtin("ansible.builtin.systemd"),
            ),
            ("ansible.builtin.nope", &vec![], Resolution::Missing),
            ("normal", &vec![], builtin("ansible.builtin.normal")),
            ("yum", &vec![], builtin("ansible.builtin.dnf")),
            ("mine", &vec![], local("mine")),
            ("mine", &list, local("mine")),
            ("mine", &only, Resolution::Missing),
            ("my_action", &vec![], local("my_action")),
            ("ansible.builtin.mine", &vec![], Resolution::Missing),
            ("coll.new", &vec![], Resolution::Missing),
        ] {
            assert_eq!(
                installed.resolve_action(name, search, &dirs),
                want,
                "{name} {search:?}"
            );
        }
        assert_eq!(
            installed.resolve_action("gone", &list, &dirs),
            Resolution::Removed("ns.coll.gone has been removed. Use new.".into())
        );
        assert_eq!(
            installed.resolve_action("include", &[], &dirs),
            Resolution::Removed(
                "ansible.builtin.include has been removed. Use include_tasks or import_tasks \
                 instead."
                    .into()
            )
        );
    }
}
