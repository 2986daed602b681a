//! Roles: `roles:` in a play, `import_role`/`include_role`, and `dependencies` in meta/main.yml.
//!
//! A role directory has tasks/, handlers/, defaults/, vars/, meta/ (and templates/, files/ for
//! the file modules). Its tasks and handlers point at the [`Role`], which carries its defaults
//! (lowest precedence) and vars (above play vars). Handlers are collected into the play's list.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors};
use crate::playbook::block::Inherited;
use crate::playbook::ctx::LoadCtx;
use crate::playbook::include::load_tasks_file;
use crate::playbook::model::{Item, Role};
use crate::playbook::task::parse_task_list;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

/// Loads role `name` (and its dependencies first); returns its tasks. With `dedupe`, a role
/// already loaded in this play (and without parameters) contributes nothing, as in Ansible.
pub(crate) fn load_role(
    ctx: &mut LoadCtx,
    name: &str,
    at: &Node,
    tasks_from: Option<&str>,
    dedupe: bool,
) -> Result<Vec<Item>, LoadErrors> {
    if dedupe && ctx.roles_seen.iter().any(|r| r == name) {
        return Ok(Vec::new());
    }
    let dir = find_role(ctx, name, at)?;
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    if ctx.stack.contains(&canonical) {
        return Err(at
            .error(format!("role '{name}' depends on itself (recursion)"))
            .into());
    }
    ctx.stack.push(canonical);
    let result = load_role_dir(ctx, name, &dir, at, tasks_from);
    ctx.stack.pop();
    if result.is_ok() {
        ctx.roles_seen.push(name.to_string());
    }
    result
}

fn load_role_dir(
    ctx: &mut LoadCtx,
    name: &str,
    dir: &Path,
    at: &Node,
    tasks_from: Option<&str>,
) -> Result<Vec<Item>, LoadErrors> {
    let mut items = Vec::new();
    if let Some(meta) = main_file(&dir.join("meta"), "main") {
        let node = yaml::load_file(&meta)?;
        if let Some(deps) = node.get("dependencies").and_then(Node::as_seq) {
            for dep in deps {
                items.extend(parse_role_entry(ctx, dep)?);
            }
        }
    }
    let role = Arc::new(Role {
        name: name.to_string(),
        path: dir.to_path_buf(),
        defaults: load_vars(&dir.join("defaults"))?,
        vars: load_vars(&dir.join("vars"))?,
    });
    let outer = ctx.role.replace(Arc::clone(&role));
    let result = (|| -> Result<(), LoadErrors> {
        let tasks_name = tasks_from.unwrap_or("main");
        match main_file(&dir.join("tasks"), tasks_name) {
            Some(path) => items.extend(load_tasks_file(ctx, at, &path)?),
            None if tasks_from.is_some() => {
                return Err(at
                    .error(format!("role '{name}' has no tasks file '{tasks_name}'"))
                    .into())
            }
            None => {}
        }
        if let Some(path) = main_file(&dir.join("handlers"), "main") {
            let node = yaml::load_file(&path)?;
            let mut handlers = parse_task_list(&node, true)?;
            for h in &mut handlers {
                h.role = Some(Arc::clone(&role));
            }
            ctx.handlers.extend(handlers);
        }
        Ok(())
    })();
    ctx.role = outer;
    result.map(|_| items)
}

/// One entry of `roles:` or `dependencies:`: `name`, or `{role: name, when:, vars:, ...params}`.
pub(crate) fn parse_role_entry(ctx: &mut LoadCtx, entry: &Node) -> Result<Vec<Item>, LoadErrors> {
    let (name, mut inherit, params) = match &entry.kind {
        NodeKind::Str(s) => (s.clone(), Inherited::default(), Vars::new()),
        NodeKind::Map(entries) => {
            let mut inherit = Inherited::default();
            let mut params = Vars::new();
            let mut name = None;
            for (k, v) in entries {
                let key = k.key_string();
                if key == "role" || key == "name" && name.is_none() {
                    name = v.as_str().map(str::to_string);
                    continue;
                }
                match inherit.parse(&key, v) {
                    Some(r) => r?,
                    None => {
                        params.insert(key, v.to_json());
                    }
                }
            }
            let Some(name) = name else {
                return Err(entry.error("a role entry needs 'role: <name>'").into());
            };
            (name, inherit, params)
        }
        _ => {
            return Err(entry
                .error("a role entry must be a name or a mapping")
                .into())
        }
    };
    if name.contains("{{") {
        return Err(entry
            .error("templated role names are not supported by ferry")
            .into());
    }
    let mut items = load_role(ctx, &name, entry, None, params.is_empty())?;
    for (k, v) in params {
        inherit.vars.entry(k).or_insert(v);
    }
    inherit.push_down(&mut items);
    Ok(items)
}

/// `roles:` of a play.
pub(crate) fn parse_roles(ctx: &mut LoadCtx, node: &Node) -> Result<Vec<Item>, LoadErrors> {
    let Some(entries) = node.as_seq() else {
        if node.is_null() {
            return Ok(Vec::new());
        }
        return Err(node.error("'roles' must be a list").into());
    };
    let mut items = Vec::new();
    for entry in entries {
        items.extend(parse_role_entry(ctx, entry)?);
    }
    Ok(items)
}

/// Where role `name` is, searched as Ansible searches: `roles/` beside the file that names
/// it and beside the playbook, the `roles_path` of ansible.cfg (`ANSIBLE_ROLES_PATH`; by
/// default `~/.ansible/roles`, `/usr/share/ansible/roles`, `/etc/ansible/roles`), then the
/// name as a path from the file's directory and from the playbook's. A `namespace.collection.role`
/// name is looked up in the installed collections.
fn find_role(ctx: &LoadCtx, name: &str, at: &Node) -> Result<PathBuf, LoadError> {
    let here = at
        .span
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let config = crate::config::Config::global();
    let mut candidates = vec![
        here.join("roles").join(name),
        ctx.playbook_dir.join("roles").join(name),
    ];
    candidates.extend(
        config
            .list("DEFAULT_ROLES_PATH")
            .iter()
            .map(|p| Path::new(p).join(name)),
    );
    candidates.push(here.join(name));
    candidates.push(ctx.playbook_dir.join(name));
    if let [namespace, collection, role] = name.split('.').collect::<Vec<_>>()[..] {
        let mut roots = vec![ctx.playbook_dir.join("collections")];
        roots.extend(
            config
                .list("COLLECTIONS_PATHS")
                .into_iter()
                .map(PathBuf::from),
        );
        candidates.extend(roots.iter().map(|root| {
            root.join("ansible_collections")
                .join(namespace)
                .join(collection)
                .join("roles")
                .join(role)
        }));
    }
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|p| seen.insert(p.clone()));
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .ok_or_else(|| {
            let searched: Vec<String> =
                candidates.iter().map(|p| p.display().to_string()).collect();
            at.error(format!("the role '{name}' was not found"))
                .with_hint(format!("searched: {}", searched.join(", ")))
        })
}

/// `dir/main.yml`, `main.yaml`, `main` (or another base name).
fn main_file(dir: &Path, base: &str) -> Option<PathBuf> {
    let base = base.trim_end_matches(".yml").trim_end_matches(".yaml");
    [
        format!("{base}.yml"),
        format!("{base}.yaml"),
        base.to_string(),
    ]
    .into_iter()
    .map(|f| dir.join(f))
    .find(|p| p.is_file())
}

fn load_vars(dir: &Path) -> Result<Vars, LoadErrors> {
    let Some(path) = main_file(dir, "main") else {
        return Ok(Vars::new());
    };
    let node = yaml::load_file(&path)?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(node.error("a role's vars file must hold a mapping").into()),
    }
}
