//! Tasks sections with blocks: `block`/`rescue`/`always`, and the block keywords its tasks
//! inherit (`when`, `vars`, `ignore_errors`, `no_log`), pushed down at load time.

use crate::error::{did_you_mean, LoadError, LoadErrors};
use crate::playbook::inherit::{Inherit, INHERITED};
use crate::playbook::model::{Block, Condition, Item};
use crate::playbook::task::{parse_conditions, parse_string, parse_task, parse_vars};
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

const BLOCK_KEYWORDS: &[&str] = &["always", "block", "name", "rescue", "vars", "when"];

/// Parses a tasks section (`tasks:`, `pre_tasks:`, `post_tasks:`, or a block's lists).
pub(crate) fn parse_items(node: &Node, what: &str) -> Result<Vec<Item>, LoadErrors> {
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
            parse_block(item).map(Item::Block)
        } else {
            parse_task(item, false).map(|t| Item::Task(Box::new(t)))
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

#[derive(Default)]
struct Inherited {
    when: Vec<Condition>,
    vars: Vars,
    opts: Inherit,
}

fn parse_block(node: &Node) -> Result<Block, LoadErrors> {
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
    for (key, value) in entries {
        let name = key.key_string();
        let r: Result<(), LoadErrors> = match name.as_str() {
            "block" => parse_items(value, "block").map(|i| block.block = i),
            "rescue" => parse_items(value, "rescue").map(|i| block.rescue = i),
            "always" => parse_items(value, "always").map(|i| block.always = i),
            "name" => parse_string(value, "name")
                .map(|s| block.name = Some(s))
                .map_err(Into::into),
            "when" => parse_conditions(value)
                .map(|c| inherit.when = c)
                .map_err(Into::into),
            "vars" => parse_vars(value)
                .map(|v| inherit.vars = v)
                .map_err(Into::into),
            other if INHERITED.contains(&other) => inherit
                .opts
                .parse(other, value)
                .unwrap_or(Ok(()))
                .map_err(Into::into),
            other => {
                let e = key.error(format!("'{other}' is not supported on a block by ferry"));
                let cands = BLOCK_KEYWORDS.iter().chain(INHERITED).copied();
                Err(match did_you_mean(other, cands) {
                    Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                    None => e.with_hint(format!("block keywords: {}", BLOCK_KEYWORDS.join(", "))),
                }
                .into())
            }
        };
        if let Err(e) = r {
            errors.extend(e.0);
        }
    }
    if !errors.is_empty() {
        return Err(LoadErrors(errors));
    }
    for section in [&mut block.block, &mut block.rescue, &mut block.always] {
        push_down(section, &inherit);
    }
    Ok(block)
}

/// Block keywords apply to every task inside; a task's own value wins.
fn push_down(items: &mut [Item], inherit: &Inherited) {
    Item::visit_mut(items, &mut |task| {
        if !inherit.when.is_empty() {
            let mut when = inherit.when.clone();
            when.append(&mut task.when);
            task.when = when;
        }
        for (k, v) in &inherit.vars {
            if !task.vars.contains_key(k) {
                task.vars.insert(k.clone(), v.clone());
            }
        }
        task.opts.inherit_from(&inherit.opts);
    });
}
