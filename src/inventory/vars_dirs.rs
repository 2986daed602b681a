//! group_vars/ and host_vars/ directories: `<name>`, `<name>.yml`, `.yaml`, `.json`, or a
//! `<name>/` directory whose files are merged in name order.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::vars::Vars;
use crate::yaml;

/// Reads `dir/<kind>/` for each of `names`; returns name → vars for those that have some.
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
        let mut vars = Vars::new();
        let mut found = false;
        for file in [
            name.to_string(),
            format!("{name}.yml"),
            format!("{name}.yaml"),
            format!("{name}.json"),
        ] {
            let path = base.join(&file);
            if path.is_file() {
                vars.extend(read_file(&path)?);
                found = true;
            }
        }
        let sub = base.join(name);
        if sub.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&sub)
                .map_err(|e| LoadError::plain(format!("cannot read {}: {e}", sub.display())))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && !hidden(p))
                .collect();
            files.sort();
            for f in files {
                vars.extend(read_file(&f)?);
                found = true;
            }
        }
        if found {
            out.insert(name.to_string(), vars);
        }
    }
    Ok(out)
}

fn hidden(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".bak")
        || name.ends_with(".orig")
}

fn read_file(path: &Path) -> Result<Vars, LoadError> {
    let node = yaml::load_file(path)?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(node.error(format!(
            "{} must hold a mapping of variables",
            path.display()
        ))),
    }
}
