//! `import_tasks`, `include_tasks`, `import_role` and `include_role` inside a tasks section.
//!
//! Imports are static: the file's tasks become a block. Includes are read at load time too (so
//! their errors are load errors), but run as an [`Include`]: `when` is decided per host, the
//! include counts as a task and prints `included: ...`, as in Ansible. A templated file name or
//! a loop over an include is refused.

use std::path::{Path, PathBuf};

use crate::error::{LoadError, LoadErrors};
use crate::playbook::block::{parse_items, unknown_wrapper_keyword, Inherited};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::parse_string;
use crate::playbook::model::{Block, Include, Item};
use crate::playbook::role::load_role;
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
    let mut inherit = Inherited::default();
    let mut target: Option<&Node> = None;
    for (key, value) in item.as_map().unwrap_or_default() {
        let name = key.key_string();
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(&name);
        if short == keyword {
            target = Some(value);
            continue;
        }
        match inherit.parse(&name, value) {
            Some(r) => r?,
            None => return Err(unknown_wrapper_keyword(key, keyword, &[keyword]).into()),
        }
    }
    let target = target.expect("include_keyword found the key");
    let (shown, mut items) = match keyword {
        "import_tasks" | "include_tasks" => {
            let file = file_arg(target, keyword)?;
            let path = resolve_tasks_file(ctx, target, &file)?;
            (
                path.display().to_string(),
                load_tasks_file(ctx, target, &path)?,
            )
        }
        _ => {
            let (name, tasks_from, params) = role_args(target, keyword)?;
            for (k, v) in params {
                inherit.vars.entry(k).or_insert(v);
            }
            (
                name.clone(),
                load_role(ctx, &name, target, tasks_from.as_deref(), false)?,
            )
        }
    };
    if keyword.starts_with("import") {
        inherit.push_down(&mut items);
        return Ok(Item::Block(Block {
            name: inherit.name.take(),
            span: item.span.clone(),
            block: items,
            rescue: Vec::new(),
            always: Vec::new(),
        }));
    }
    let when = std::mem::take(&mut inherit.when);
    inherit.push_down(&mut items);
    Ok(Item::Include(Box::new(Include {
        kind: keyword,
        name: inherit.name.take(),
        target: shown,
        span: item.span.clone(),
        when,
        opts: inherit.opts,
        items,
    })))
}

/// `import_tasks: file.yml` or `include_tasks: {file: file.yml}`.
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
            .error(format!(
                "a templated file name in '{keyword}' is not supported by ferry yet"
            ))
            .with_hint("name the file literally, or use 'when' to choose between includes"));
    }
    Ok(file)
}

/// `import_role: {name: x, tasks_from: y, <params>}` (or `name=x` free-form).
fn role_args(value: &Node, keyword: &str) -> Result<(String, Option<String>, Vars), LoadError> {
    let mut params = match value.to_json() {
        serde_json::Value::Object(m) => m,
        serde_json::Value::String(s) => crate::text::parse_free_form(&s, None).0,
        _ => return Err(value.error(format!("'{keyword}' needs a mapping with 'name'"))),
    };
    let name = match params.remove("name").or_else(|| params.remove("role")) {
        Some(serde_json::Value::String(n)) => n,
        _ => return Err(value.error(format!("'{keyword}' needs the role's 'name'"))),
    };
    let tasks_from = params
        .remove("tasks_from")
        .and_then(|v| v.as_str().map(str::to_string));
    if let Some(bad) = ["handlers_from", "vars_from", "defaults_from", "apply"]
        .iter()
        .find(|k| params.contains_key(**k))
    {
        return Err(value.error(format!(
            "'{bad}' in '{keyword}' is not supported by ferry yet"
        )));
    }
    Ok((name, tasks_from, params))
}

/// Where a tasks file is: next to the including file, in the role's tasks/, next to the playbook.
fn resolve_tasks_file(ctx: &LoadCtx, at: &Node, file: &str) -> Result<PathBuf, LoadError> {
    let here = at
        .span
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
            at.error(format!("could not find the tasks file '{file}'"))
                .with_hint(format!("searched: {}", searched.join(", ")))
        })
}

/// Loads a tasks file, refusing recursion.
pub(crate) fn load_tasks_file(
    ctx: &mut LoadCtx,
    at: &Node,
    path: &Path,
) -> Result<Vec<Item>, LoadErrors> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if ctx.stack.contains(&canonical) {
        return Err(at
            .error(format!("'{}' includes itself (recursion)", path.display()))
            .with_hint("remove the import/include cycle")
            .into());
    }
    let node = yaml::load_file(path)?;
    ctx.stack.push(canonical);
    let items = parse_items(ctx, &node, "tasks file");
    ctx.stack.pop();
    items
}
