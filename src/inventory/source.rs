//! Inventory sources, what `-i` names, as ansible-core 2.18 reads them:
//!
//! - a directory: every file in it, recursively, in name order, skipping hidden names,
//!   `group_vars`, `host_vars`, `vars_plugins` and `INVENTORY_IGNORE_EXTS` (`.ini` among them:
//!   Ansible ignores `.ini` files inside an inventory directory);
//! - a file: `.yml`/`.yaml`/`.json` is YAML; a file without extension is YAML when it parses as
//!   a mapping, else INI; any other file is INI;
//! - a string with a comma that is not a path: a host list, `-i web1,web2:2222,`.
//!
//! Executable `#!` files are dynamic inventory scripts (`script.rs`); `*aws_ec2.yml` files and
//! `plugin: aws_ec2` are EC2 sources (`ec2/`); other plugin files are refused. Each source
//! reports the directory whose group_vars/ and host_vars/ belong to it.

use std::path::{Component, Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{LoadError, SourceFile};
use crate::inventory::model::{Model, Origin};
use crate::inventory::{address, ini, yaml};
use crate::yaml::Node;

/// Ansible's REJECT_EXTS plus `.orig`, `.ini`, `.cfg`, `.retry` (INVENTORY_IGNORE_EXTS).
const IGNORED_EXTS: &[&str] = &[
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg",
    ".retry",
];

/// Reads one `-i` source into `model`; returns the directory its group_vars/ and host_vars/
/// are read from (none for a host list).
pub(crate) fn load(source: &Path, model: &mut Model) -> Result<Option<PathBuf>, Vec<LoadError>> {
    if source.is_dir() {
        let mut errors = Vec::new();
        for file in dir_files(source).map_err(|e| vec![e])? {
            if let Err(e) = load_file(&file, model) {
                errors.extend(e);
            }
        }
        return if errors.is_empty() {
            Ok(Some(source.to_path_buf()))
        } else {
            Err(errors)
        };
    }
    if source.exists() {
        load_file(source, model)?;
        let dir = source.parent().filter(|p| !p.as_os_str().is_empty());
        return Ok(Some(dir.unwrap_or(Path::new(".")).to_path_buf()));
    }
    let text = source.to_string_lossy();
    if text.contains(',') {
        host_list(&text, model);
        return Ok(None);
    }
    Err(vec![LoadError::plain(format!(
        "inventory source {} does not exist",
        source.display()
    ))
    .with_hint(
        "pass an inventory file or directory, or a host list such as 'web1,web2,'",
    )])
}

/// `web1,web2:2222,[::1]:22`: hosts in `ungrouped`; no ranges.
fn host_list(text: &str, model: &mut Model) {
    let origin = Origin {
        file: Json::from(text),
        dir: Json::Null,
    };
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (host, port) = address::parse(part, false).unwrap_or_else(|| (part.to_string(), None));
        if !model.hosts.contains_key(&host) {
            // Cannot fail: the name is not empty.
            let _ = model.add_host("ungrouped", &host, port, &origin);
        }
    }
}

fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "group_vars" | "host_vars" | "vars_plugins")
        || IGNORED_EXTS.iter().any(|ext| name.ends_with(ext))
}

/// The inventory files under `dir`, in name order, recursing into sub-directories.
fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| LoadError::plain(format!("cannot read inventory {}: {e}", dir.display())))?;
    let mut entries: Vec<PathBuf> = read
        .flatten()
        .filter(|e| !ignored(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        if p.is_dir() {
            out.extend(dir_files(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

fn load_file(path: &Path, model: &mut Model) -> Result<(), Vec<LoadError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![LoadError::plain(format!(
            "cannot read inventory {}: {e}",
            path.display()
        ))]
    })?;
    let (text, vaulted) = crate::vault::open(text, &path.display().to_string())
        .map_err(|e| vec![LoadError::plain(e.to_string())])?;
    let abs = absolute(path);
    let origin = Origin {
        file: Json::from(abs.display().to_string()),
        dir: Json::from(abs.parent().unwrap_or(&abs).display().to_string()),
    };
    if executable(path) && !vaulted && text.starts_with("#!") {
        return crate::inventory::script::load(path, &origin, model).map_err(|e| vec![e]);
    }
    let file = SourceFile::new(path, text);
    let ext = path.extension().and_then(|e| e.to_str());
    let root = match ext {
        Some("yml" | "yaml" | "json") => {
            Some(crate::yaml::parse(file.clone()).map_err(|e| vec![e])?)
        }
        None => crate::yaml::parse(file.clone())
            .ok()
            .filter(|n| n.as_map().is_some_and(|m| !m.is_empty())),
        Some(_) => None,
    };
    match root {
        Some(root) if crate::inventory::ec2::is_source(path, &root) => {
            crate::inventory::ec2::load(path, &root, &origin, model).map_err(|e| vec![e])
        }
        Some(root) => {
            refuse_plugins(&root)?;
            yaml::load(&root, &origin, model).map_err(|e| vec![e])
        }
        None => ini::load(&file, &origin, model),
    }
}

/// Inventory plugin configurations other than aws_ec2 are not inventories: say so rather
/// than misread them.
fn refuse_plugins(root: &Node) -> Result<(), Vec<LoadError>> {
    let plugin = root
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("plugin")));
    if let Some((key, value)) = plugin {
        return Err(vec![key
            .error(format!(
                "inventory plugin '{}' is not supported",
                value.key_string()
            ))
            .with_hint(
                "ferry reads INI and YAML inventories, aws_ec2 files and inventory scripts",
            )]);
    }
    Ok(())
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

/// The absolute, lexically normalized path (symlinks not followed), as Ansible's `unfrackpath`.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_names() {
        for (name, want) in [
            ("hosts", false),
            ("hosts.yml", false),
            ("hosts.ini", true),
            ("hosts.ini.example", false),
            (".hidden", true),
            ("group_vars", true),
            ("README.md", true),
            ("hosts~", true),
            ("old.retry", true),
        ] {
            assert_eq!(ignored(name), want, "{name}");
        }
    }

    #[test]
    fn absolute_paths() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute(Path::new("a/../b/./c")), cwd.join("b/c"));
        assert_eq!(absolute(Path::new("/x/y/../z")), PathBuf::from("/x/z"));
    }
}
