//! Roles: `roles:` in a play, `import_role`/`include_role`, and `dependencies` in meta/main.yml.
//!
//! A role directory has tasks/, handlers/, defaults/, vars/, meta/ (and templates/, files/ for
//! the file modules). Its tasks and handlers point at the [`Role`], which carries its defaults
//! (lowest precedence) and vars (above play vars). Handlers are collected into the play's list.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors, Span};
use crate::modules::validate_argument_spec;
use crate::playbook::block::{parse_items, Inherited};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::include::load_tasks_file;
use crate::playbook::model::{Include, Item, Role, Task};
use crate::playbook::search::parse_collections;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

/// Loads role `name` (and its dependencies first); returns its tasks. With `dedupe`, a role
/// already loaded in this play (and without parameters) contributes nothing, as in Ansible.
pub(crate) fn load_role(
    ctx: &mut LoadCtx,
    name: &str,
    at: &Span,
    from: &RoleFrom,
    dedupe: bool,
) -> Result<Vec<Item>, LoadErrors> {
    if dedupe && ctx.roles_seen.iter().any(|r| r == name) {
        return Ok(Vec::new());
    }
    let (dir, collection) = find_role(ctx, name, at)?;
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    if ctx.stack.contains(&canonical) {
        return Err(
            LoadError::at(at, format!("role '{name}' depends on itself (recursion)")).into(),
        );
    }
    ctx.stack.push(canonical);
    let outer = ctx.search.collections.clone();
    let result = load_role_dir(ctx, name, &dir, collection.as_deref(), at, from);
    ctx.search.collections = outer;
    ctx.stack.pop();
    if result.is_ok() {
        ctx.roles_seen.push(name.to_string());
    }
    result
}

/// Which files of a role to read (`tasks_from`, `vars_from`, `defaults_from`,
/// `handlers_from`); `None` means `main`.
#[derive(Debug, Default, Clone)]
pub(crate) struct RoleFrom {
    pub tasks: Option<String>,
    pub vars: Option<String>,
    pub defaults: Option<String>,
    pub handlers: Option<String>,
    /// `rolespec_validate: false`: no argument-spec validation task.
    pub skip_spec: bool,
}

impl RoleFrom {
    /// Takes the role's name and the `*_from` options out of `import_role`/`include_role`
    /// arguments; what is left are role parameters. `None` without a name.
    pub(crate) fn split(mut params: Vars) -> Option<(String, RoleFrom, Vars)> {
        let name = match params.remove("name").or_else(|| params.remove("role")) {
            Some(Json::String(n)) => n,
            _ => return None,
        };
        let skip_spec = match params.remove("rolespec_validate") {
            Some(Json::Bool(b)) => !b,
            Some(Json::String(t)) => crate::text::ansible_bool(&t) == Some(false),
            _ => false,
        };
        let mut take = |key: &str| match params.remove(key) {
            Some(Json::String(s)) => Some(s),
            _ => None,
        };
        let from = RoleFrom {
            tasks: take("tasks_from"),
            vars: take("vars_from"),
            defaults: take("defaults_from"),
            handlers: take("handlers_from"),
            skip_spec,
        };
        for ignored in ["allow_duplicates", "public"] {
            params.remove(ignored);
        }
        Some((name, from, params))
    }
}

/// Reads the role in `dir` (of `collection`, if it lives in one): its dependencies, then its
/// tasks and handlers, which look for modules in the role's collections.
fn load_role_dir(
    ctx: &mut LoadCtx,
    name: &str,
    dir: &Path,
    collection: Option<&str>,
    at: &Span,
    from: &RoleFrom,
) -> Result<Vec<Item>, LoadErrors> {
    let mut items = Vec::new();
    let meta = match main_file(&dir.join("meta"), "main") {
        Some(path) => Some(yaml::load_file(&path)?),
        None => None,
    };
    let meta_collections = match meta.as_ref().and_then(|m| m.get("collections")) {
        Some(list) => parse_collections(list)?,
        None => Vec::new(),
    };
    ctx.search.collections = ctx.search.role_list(collection, &meta_collections);
    if !ctx.search.plugin_dirs.iter().any(|d| d == dir) {
        ctx.search.plugin_dirs.push(dir.to_path_buf());
    }
    crate::template::record_plugin_dir(dir);
    if let Some(deps) = meta.as_ref().and_then(|m| m.get("dependencies")) {
        items.extend(parse_dependencies(ctx, deps)?);
    }
    let role = Arc::new(Role {
        name: name.to_string(),
        collection: collection.map(str::to_string),
        path: dir.to_path_buf(),
        defaults: load_vars(&dir.join("defaults"), from.defaults.as_deref(), at)?,
        vars: load_vars(&dir.join("vars"), from.vars.as_deref(), at)?,
    });
    ctx.roles.push(Arc::clone(&role));
    let outer = ctx.role.replace(Arc::clone(&role));
    let result = (|| -> Result<(), LoadErrors> {
        let tasks_name = from.tasks.as_deref().unwrap_or("main");
        if !from.skip_spec {
            if let Some(task) = argument_spec_task(dir, meta.as_ref(), tasks_name, &role)? {
                items.push(Item::Task(Box::new(task)));
            }
        }
        match main_file(&dir.join("tasks"), tasks_name) {
            Some(path) => items.extend(load_tasks_file(ctx, at, &path)?),
            None if from.tasks.is_some() => {
                return Err(LoadError::at(
                    at,
                    format!("role '{name}' has no tasks file '{tasks_name}'"),
                )
                .into())
            }
            None => {}
        }
        let handlers_name = from.handlers.as_deref().unwrap_or("main");
        if let Some(path) = main_file(&dir.join("handlers"), handlers_name) {
            let node = yaml::load_file(&path)?;
            let outer = std::mem::replace(&mut ctx.in_handlers, true);
            let parsed = parse_items(ctx, &node, "handlers");
            ctx.in_handlers = outer;
            let first = ctx.handlers.len();
            static_handlers(parsed?, &mut ctx.handlers, &mut ctx.handler_includes);
            for h in &mut ctx.handlers[first..] {
                h.role = Some(Arc::clone(&role));
            }
        }
        Ok(())
    })();
    ctx.role = outer;
    result.map(|_| items)
}

/// The handlers of a role's handlers file added to `out`, with what its `import_tasks` and
/// blocks hold read in place, as Ansible imports them; a dynamic `include_tasks` handler is
/// one handler whose include `includes` keeps by its index.
fn static_handlers(items: Vec<Item>, out: &mut Vec<Task>, includes: &mut HashMap<usize, Include>) {
    for item in items {
        match item {
            Item::Task(t) => out.push(*t),
            Item::Block(b) => {
                for section in [b.block, b.rescue, b.always] {
                    static_handlers(section, out, includes);
                }
            }
            Item::Include(i) => {
                out.push(i.task.clone());
                includes.insert(out.len() - 1, *i);
            }
        }
    }
}

/// `dependencies:` of a role's `meta/main.yml`: a list of role entries.
fn parse_dependencies(ctx: &mut LoadCtx, deps: &Node) -> Result<Vec<Item>, LoadErrors> {
    let entries = match &deps.kind {
        NodeKind::Seq(entries) => entries.as_slice(),
        NodeKind::Null => &[],
        _ => return Err(deps.error("'dependencies' must be a list of roles").into()),
    };
    let mut items = Vec::new();
    for dep in entries {
        items.extend(parse_role_entry(ctx, dep)?);
    }
    Ok(items)
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
    let from = RoleFrom::default();
    let mut items = load_role(ctx, &name, &entry.span, &from, params.is_empty())?;
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

/// Where role `name` is, searched as Ansible searches: a collection's role first (`ns.coll.role`,
/// or a short name in the collections of the search list in effect), then `roles/` beside the
/// file that names it and beside the playbook, the `roles_path` of ansible.cfg
/// (`ANSIBLE_ROLES_PATH`; by default `~/.ansible/roles`, `/usr/share/ansible/roles`,
/// `/etc/ansible/roles`), then the name as a path from the file's directory and from the
/// playbook's. Its directory, and the collection it lives in.
fn find_role(ctx: &LoadCtx, name: &str, at: &Span) -> Result<(PathBuf, Option<String>), LoadError> {
    let search = &ctx.search;
    if let Some((dir, collection)) = search.installed.role(name, &search.collections) {
        return Ok((dir, Some(collection)));
    }
    let here = at
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
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|p| seen.insert(p.clone()));
    match candidates.iter().find(|p| p.is_dir()) {
        Some(dir) => Ok((dir.clone(), None)),
        None => {
            let searched: Vec<String> =
                candidates.iter().map(|p| p.display().to_string()).collect();
            Err(
                LoadError::at(at, format!("the role '{name}' was not found"))
                    .with_hint(format!("searched: {}", searched.join(", "))),
            )
        }
    }
}

/// The task Ansible puts first in a role whose entry point (`tasks_from`, else `main`) has an
/// argument spec — in `meta/argument_specs.yml`, else under `argument_specs` in
/// `meta/main.yml`: `validate_argument_spec` with the entry point's options, tagged `always`.
fn argument_spec_task(
    dir: &Path,
    meta: Option<&Node>,
    entry: &str,
    role: &Arc<Role>,
) -> Result<Option<Task>, LoadErrors> {
    let file = match main_file(&dir.join("meta"), "argument_specs") {
        Some(path) => Some(yaml::load_file(&path)?),
        None => None,
    };
    let specs = match &file {
        Some(node) => node.get("argument_specs"),
        None => meta.and_then(|m| m.get("argument_specs")),
    };
    let Some(spec) = specs.and_then(|s| s.get(entry)) else {
        return Ok(None);
    };
    let mut name = format!("Validating arguments against arg spec '{entry}'");
    if let Some(short) = spec.get("short_description").and_then(Node::as_str) {
        name = format!("{name} - {short}");
    }
    let options = spec
        .get("options")
        .map_or(Json::Object(Vars::new()), Node::to_json);
    let context = serde_json::json!({
        "type": "role",
        "name": role.name,
        "argument_spec_name": entry,
        "path": role.path.display().to_string(),
    });
    let mut task = Task::empty(spec.span.clone(), &validate_argument_spec::SPEC);
    task.name = Some(name);
    task.args = serde_json::json!({"argument_spec": options, "validate_args_context": context});
    task.opts.tags = vec!["always".into()];
    task.role = Some(Arc::clone(role));
    Ok(Some(task))
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

/// A role's `defaults/` or `vars/` file: `main`, or the one `*_from` names (which must exist).
fn load_vars(dir: &Path, from: Option<&str>, at: &Span) -> Result<Vars, LoadErrors> {
    let Some(path) = main_file(dir, from.unwrap_or("main")) else {
        return match from {
            Some(f) => {
                Err(LoadError::at(at, format!("could not find '{f}' in {}", dir.display())).into())
            }
            None => Ok(Vars::new()),
        };
    };
    let node = yaml::load_file(&path)?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(node.error("a role's vars file must hold a mapping").into()),
    }
}
