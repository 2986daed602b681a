//! `import_tasks`, `import_role`, `include_tasks` and `include_role` inside a tasks section.
//!
//! Imports are static: the file's tasks become a block, read (and checked) at load time.
//! Includes are dynamic: the entry is parsed as a task of its own ([`Include`]) and what it
//! names is read at run time, per host and loop item (`dynamic.rs`).

use std::path::{Path, PathBuf};

use crate::error::{LoadError, LoadErrors, Span};
use crate::playbook::block::{parse_items, unknown_wrapper_keyword, Inherited};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::parse_string;
use crate::playbook::inherit::Inherit;
use crate::playbook::model::{Block, Include, Item};
use crate::playbook::role::{load_role, RoleFrom};
use crate::playbook::search::parse_collections;
use crate::playbook::task::parse_task;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

const KEYWORDS: &[&str] = &[
    "import_role",
    "import_tasks",
    "include_role",
    "include_tasks",
];

/// The include/import keyword of a task entry, if it has one (FQCN accepted).
pub(crate) fn include_keyword(item: &Node) -> Option<&'static str> {
    item.as_map()?.iter().find_map(|(k, _)| {
        let name = k.as_str()?;
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
        KEYWORDS.iter().copied().find(|kw| *kw == short)
    })
}

/// Parses an import or include entry into an [`Item`].
pub(crate) fn parse_include(
    ctx: &mut LoadCtx,
    item: &Node,
    keyword: &'static str,
) -> Result<Item, LoadErrors> {
    if keyword.starts_with("include") {
        return parse_dynamic(ctx, item, keyword);
    }
    let mut inherit = Inherited::default();
    let mut target: Option<&Node> = None;
    let mut collections = None;
    for (key, value) in item.as_map().unwrap_or_default() {
        let name = key.key_string();
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(&name);
        if short == keyword {
            target = Some(value);
            continue;
        }
        if name == "collections" {
            collections = Some(parse_collections(value)?);
            continue;
        }
        match inherit.parse(&name, value) {
            Some(r) => r?,
            None => {
                let extra = [keyword, "collections"];
                return Err(unknown_wrapper_keyword(key, keyword, &extra).into());
            }
        }
    }
    let target = target.expect("include_keyword found the key");
    let outer = ctx.search.collections.clone();
    if collections.is_some() {
        ctx.search.collections = ctx.search.scope_list(collections);
    }
    let items = import(ctx, keyword, target, &mut inherit);
    ctx.search.collections = outer;
    let mut items = items?;
    inherit.push_down(&mut items);
    Ok(Item::Block(Block {
        name: inherit.name.take(),
        span: item.span.clone(),
        block: items,
        rescue: Vec::new(),
        always: Vec::new(),
    }))
}

/// The tasks an `import_tasks` or `import_role` brings in; the role's parameters go into
/// `inherit`'s vars.
fn import(
    ctx: &mut LoadCtx,
    keyword: &str,
    target: &Node,
    inherit: &mut Inherited,
) -> Result<Vec<Item>, LoadErrors> {
    Ok(if keyword == "import_tasks" {
        let file = file_arg(target, keyword)?;
        let path = resolve_tasks_file(ctx, &target.span, &file)?;
        load_tasks_file(ctx, &target.span, &path)?
    } else {
        let (name, from, params) = role_args(target, keyword)?;
        for (k, v) in params {
            inherit.vars.entry(k).or_insert(v);
        }
        load_role(ctx, &name, &target.span, &from, false)?
    })
}

/// `include_tasks` / `include_role`: a task whose loop, `when` and keywords are its own; its
/// `apply:` is kept for the tasks it will include.
fn parse_dynamic(ctx: &mut LoadCtx, item: &Node, keyword: &str) -> Result<Item, LoadErrors> {
    let mut task = parse_task(ctx, item, ctx.in_handlers)?;
    task.role.clone_from(&ctx.role);
    let target = item
        .as_map()
        .unwrap_or_default()
        .iter()
        .find(|(k, _)| k.key_string().ends_with(keyword))
        .map(|(_, v)| v);
    let mut apply = Inherited::default();
    if let Some(node) = target.and_then(|t| t.get("apply")) {
        for (key, value) in node.as_map().unwrap_or_default() {
            match apply.parse(&key.key_string(), value) {
                Some(r) => r?,
                None => return Err(unknown_wrapper_keyword(key, "apply", &[]).into()),
            }
        }
    }
    if let serde_json::Value::Object(args) = &mut task.args {
        args.remove("apply");
    }
    Ok(Item::Include(Box::new(Include {
        task,
        outer: Inherit::default(),
        apply: apply.into_applied(),
        playbook_dir: ctx.playbook_dir.clone(),
        search: ctx.search.clone(),
    })))
}

/// `import_tasks: file.yml` or `import_tasks: {file: file.yml}`.
fn file_arg(value: &Node, keyword: &str) -> Result<String, LoadError> {
    let file = match &value.kind {
        NodeKind::Map(_) => match value.get("file") {
            Some(f) => parse_string(f, "file")?,
            None => return Err(value.error(format!("'{keyword}' needs a 'file'"))),
        },
        _ => parse_string(value, keyword)?,
    };
    if file.contains("{{") {
        return Err(value
            .error(format!("'{keyword}' cannot use a templated file name"))
            .with_hint("imports are read before any host runs: use 'include_tasks' instead"));
    }
    Ok(file)
}

/// `import_role: {name: x, tasks_from: y, <params>}` (or `name=x` free-form).
fn role_args(value: &Node, keyword: &str) -> Result<(String, RoleFrom, Vars), LoadError> {
    let params = match value.to_json() {
        serde_json::Value::Object(m) => m,
        serde_json::Value::String(s) => crate::text::parse_free_form(&s, None).0,
        _ => return Err(value.error(format!("'{keyword}' needs a mapping with 'name'"))),
    };
    if params.contains_key("apply") {
        return Err(value
            .error(format!("'apply' is not valid on '{keyword}'"))
            .with_hint("'apply' goes with include_role and include_tasks"));
    }
    let (name, from, rest) = RoleFrom::split(params)
        .ok_or_else(|| value.error(format!("'{keyword}' needs the role's 'name'")))?;
    if name.contains("{{") {
        return Err(value
            .error(format!("'{keyword}' cannot use a templated role name"))
            .with_hint("imports are read before any host runs: use 'include_role' instead"));
    }
    Ok((name, from, rest))
}

/// Where a tasks file is: next to the including file, in the role's tasks/, next to the playbook.
pub(crate) fn resolve_tasks_file(
    ctx: &LoadCtx,
    at: &Span,
    file: &str,
) -> Result<PathBuf, LoadError> {
    let here = at
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut candidates = vec![here.join(file)];
    if let Some(role) = &ctx.role {
        candidates.push(role.path.join("tasks").join(file));
    }
    candidates.push(ctx.playbook_dir.join(file));
    candidates.push(ctx.playbook_dir.join("tasks").join(file));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let searched: Vec<String> =
                candidates.iter().map(|p| p.display().to_string()).collect();
            LoadError::at(at, format!("could not find the tasks file '{file}'"))
                .with_hint(format!("searched: {}", searched.join(", ")))
        })
}

/// Loads a tasks file, refusing static recursion (an import cycle).
pub(crate) fn load_tasks_file(
    ctx: &mut LoadCtx,
    at: &Span,
    path: &Path,
) -> Result<Vec<Item>, LoadErrors> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if ctx.stack.contains(&canonical) {
        return Err(LoadError::at(
            at,
            format!("'{}' includes itself (recursion)", path.display()),
        )
        .with_hint("remove the import/include cycle")
        .into());
    }
    let node = yaml::load_file(path)?;
    ctx.stack.push(canonical);
    let items = parse_items(ctx, &node, "tasks file");
    ctx.stack.pop();
    items
}
