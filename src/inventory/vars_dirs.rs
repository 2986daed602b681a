//! group_vars/ and host_vars/ directories, read as Ansible's host_group_vars plugin does: for
//! each group or host name the first of `<name>` (a file, or a directory), `<name>.yml`,
//! `<name>.yaml`, `<name>.json` that exists is used. A directory's files are merged in name
//! order, recursing into sub-directories; only files without an extension or ending in .yml,
//! .yaml or .json count, and hidden files and `~` backups are skipped. Empty files add nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::vars::Vars;
use crate::yaml;

const EXTENSIONS: &[&str] = &["", ".yml", ".yaml", ".json"];

/// Reads `dir/<kind>/` for each of `names`; returns name → vars for those that have a file.
pub(crate) fn read(
    dir: &Path,
    kind: &str,
    names: &[&str],
) -> Result<HashMap<String, Vars>, LoadError> {
    let base = dir.join(kind);
    let mut out = HashMap::new();
    if !base.is_dir() {
        return Ok(out);
    }
    for name in names {
        let Some(found) = EXTENSIONS
            .iter()
            .map(|ext| base.join(format!("{name}{ext}")))
            .find(|p| p.exists())
        else {
            continue;
        };
        let files = if found.is_dir() {
            dir_files(&found)?
        } else {
            vec![found]
        };
        let mut vars = Vars::new();
        for f in files {
            vars.extend(read_file(&f)?);
        }
        out.insert(name.to_string(), vars);
    }
    Ok(out)
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

fn read_file(path: &Path) -> Result<Vars, LoadError> {
    let node = yaml::load_file(path)?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(node.error(format!(
            "a vars file must hold a mapping of variables, found {}",
            node.type_name()
        ))),
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
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("group_vars")).unwrap();
            std::fs::write(dir.path().join("group_vars/web.yml"), text).unwrap();
            let e = read(dir.path(), "group_vars", &["web"])
                .unwrap_err()
                .to_string();
            let e = e.replace(&format!("{}/group_vars/", dir.path().display()), "");
            assert!(e.starts_with(want), "{e}\nwant: {want}");
        }
    }
}
