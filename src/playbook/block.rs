//! Tasks sections: tasks, blocks (`block`/`rescue`/`always`), imports and includes. Keywords
//! written on a block, an import or an include (`when`, `vars`, `become`, `tags`, ...) are
//! pushed down into the tasks inside at load time; a task's own value wins.

use crate::error::{did_you_mean, LoadError, LoadErrors, Span};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::{parse_names, parse_string, parse_vars};
use crate::playbook::include::{include_keyword, parse_include};
use crate::playbook::inherit::{Inherit, INHERITED};
use crate::playbook::model::{Applied, Block, Condition, Item};
use crate::playbook::search::parse_collections;
use crate::playbook::task::{parse_conditions, parse_task};
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

/// Parses a tasks section (`tasks:`, `pre_tasks:`, `post_tasks:`, a block's lists, a tasks file).
pub(crate) fn parse_items(
    ctx: &mut LoadCtx,
    node: &Node,
    what: &str,
) -> Result<Vec<Item>, LoadErrors> {
    let items = match &node.kind {
        NodeKind::Seq(items) => items.as_slice(),
        NodeKind::Null => &[],
        _ => {
            return Err(node
                .error(format!(
                    "'{what}' must be a list, found {}",
                    node.type_name()
                ))
                .into())
        }
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let parsed = if item.get("block").is_some() {
            parse_block(ctx, item).map(Item::Block)
        } else if let Some(keyword) = include_keyword(item) {
            parse_include(ctx, item, keyword)
        } else {
            parse_task(ctx, item, ctx.in_handlers).map(|mut t| {
                t.role.clone_from(&ctx.role);
                Item::Task(Box::new(t))
            })
        };
        match parsed {
            Ok(i) => out.push(i),
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(LoadErrors(errors))
    }
}

/// What a block, an import or an include's `apply` passes down to the tasks inside.
#[derive(Default)]
pub(crate) struct Inherited {
    pub when: Vec<Condition>,
    pub vars: Vars,
    pub opts: Inherit,
    pub notify: Vec<(String, Span)>,
    pub name: Option<String>,
}

impl Inherited {
    /// Reads `key: value` if it is a keyword a wrapper passes down (`name` included).
    pub(crate) fn parse(&mut self, key: &str, value: &Node) -> Option<Result<(), LoadError>> {
        Some(match key {
            "name" => parse_string(value, "name").map(|s| self.name = Some(s)),
            "when" => parse_conditions(value).map(|c| self.when = c),
            "vars" => parse_vars(value).map(|v| self.vars = v),
            "notify" => parse_names(value, "notify").map(|n| self.notify = n),
            other if INHERITED.contains(&other) => self.opts.parse(other, value)?,
            _ => return None,
        })
    }

    /// These keywords without the name, as a dynamic include keeps its `apply`.
    pub(crate) fn into_applied(self) -> Applied {
        Applied {
            when: self.when,
            vars: self.vars,
            opts: self.opts,
            notify: self.notify,
        }
    }

    /// Pushes these keywords into every task of `items`.
    pub(crate) fn push_down(&self, items: &mut [Item]) {
        push_down(items, &self.when, &self.vars, &self.opts, &self.notify);
    }
}

impl Applied {
    /// Pushes these keywords into every task of `items` (an include's `apply` at run time).
    pub(crate) fn push_down(&self, items: &mut [Item]) {
        push_down(items, &self.when, &self.vars, &self.opts, &self.notify);
    }
}

/// Pushes a wrapper's keywords into every task of `items`; a task's own value wins, its `when`
/// comes after the wrapper's. Includes also keep the keywords for the tasks they include.
fn push_down(
    items: &mut [Item],
    when: &[Condition],
    vars: &Vars,
    opts: &Inherit,
    notify: &[(String, Span)],
) {
    Item::visit_includes_mut(items, &mut |inc| inc.outer.inherit_from(opts));
    Item::visit_mut(items, &mut |task| {
        if !when.is_empty() {
            let mut all = when.to_vec();
            all.append(&mut task.when);
            task.when = all;
        }
        for (k, v) in vars {
            if !task.vars.contains_key(k) {
                task.vars.insert(k.clone(), v.clone());
            }
        }
        if task.notify.is_empty() {
            task.notify = notify.to_vec();
        }
        task.opts.inherit_from(opts);
    });
}

/// An error for a keyword a wrapper (block, import, include) does not take.
pub(crate) fn unknown_wrapper_keyword(key: &Node, what: &str, extra: &[&str]) -> LoadError {
    let name = key.key_string();
    let e = key.error(format!("'{name}' is not supported on {what} by ferry"));
    let cands = extra
        .iter()
        .chain(["name", "notify", "vars", "when"].iter())
        .chain(INHERITED)
        .copied();
    match did_you_mean(&name, cands) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(format!(
            "{what} takes: {}, name, notify, vars, when, {}",
            extra.join(", "),
            INHERITED.join(", ")
        )),
    }
}

fn parse_block(ctx: &mut LoadCtx, node: &Node) -> Result<Block, LoadErrors> {
    let entries = node.as_map().unwrap_or_default();
    let mut block = Block {
        name: None,
        span: node.span.clone(),
        block: Vec::new(),
        rescue: Vec::new(),
        always: Vec::new(),
    };
    let mut inherit = Inherited::default();
    let mut errors: Vec<LoadError> = Vec::new();
    let outer = ctx.search.collections.clone();
    if let Some(list) = node.get("collections") {
        match parse_collections(list) {
            Ok(own) => ctx.search.collections = ctx.search.scope_list(Some(own)),
            Err(e) => errors.push(e),
        }
    }
    for (key, value) in entries {
        let name = key.key_string();
        let r: Result<(), LoadErrors> = match name.as_str() {
            "collections" => Ok(()),
            "block" => parse_items(ctx, value, "block").map(|i| block.block = i),
            "rescue" => parse_items(ctx, value, "rescue").map(|i| block.rescue = i),
            "always" => parse_items(ctx, value, "always").map(|i| block.always = i),
            other => match inherit.parse(other, value) {
                Some(r) => r.map_err(Into::into),
                None => {
                    let extra = ["always", "block", "collections", "rescue"];
                    Err(unknown_wrapper_keyword(key, "a block", &extra).into())
                }
            },
        };
        if let Err(e) = r {
            errors.extend(e.0);
        }
    }
    ctx.search.collections = outer;
    if !errors.is_empty() {
        return Err(LoadErrors(errors));
    }
    block.name = inherit.name.take();
    for section in [&mut block.block, &mut block.rescue, &mut block.always] {
        inherit.push_down(section);
    }
    Ok(block)
}
