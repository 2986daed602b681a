//! A task's loop keywords: `loop:`, `with_<lookup>:` (any lookup plugin ferry has) and
//! `loop_control:`. A task has at most one loop.

use crate::error::{did_you_mean, LoadError};
use crate::playbook::fields::{parse_bool, parse_flag, parse_string};
use crate::playbook::model::{LoopControl, Task};
use crate::template::lookup_names;
use crate::yaml::{Node, NodeKind};

/// The options `loop_control` takes.
const OPTIONS: &[&str] = &[
    "extended",
    "extended_allitems",
    "index_var",
    "label",
    "loop_var",
    "pause",
];

/// The lookup plugin a `with_<name>` key names, if ferry has it (natively, or in Python on the
/// controller: a collection's, one of `lookup_plugins/`).
pub(crate) fn with_plugin(key: &Node) -> Result<String, LoadError> {
    let keyword = key.key_string();
    let name = keyword.trim_start_matches("with_");
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    if lookup_names().any(|n| n == short) || crate::template::has_python_lookup(name) {
        return Ok(name.to_string());
    }
    let e = key.error(format!(
        "'{keyword}': ferry has no lookup plugin named '{name}'"
    ));
    Err(match did_you_mean(name, lookup_names()) {
        Some(best) => e.with_hint(format!("did you mean 'with_{best}'?")),
        None => e.with_hint(format!(
            "with_<lookup> takes one of: {}",
            lookup_names().collect::<Vec<_>>().join(", ")
        )),
    })
}

/// Sets the task's loop, refusing a second one as Ansible does.
pub(crate) fn set_loop(
    task: &mut Task,
    key: &Node,
    value: &Node,
    with: Option<String>,
) -> Result<(), LoadError> {
    if task.loop_items.is_some() {
        let first = task.loop_with.as_deref().unwrap_or("loop");
        return Err(key
            .error(format!("duplicate loop in task: {first}"))
            .with_hint("a task has one loop: keep 'loop' or one 'with_<lookup>'"));
    }
    task.loop_items = Some(value.to_json());
    task.loop_with = with;
    Ok(())
}

/// Parses `loop_control:`.
pub(crate) fn parse_loop_control(node: &Node) -> Result<LoopControl, LoadError> {
    let Some(entries) = node.as_map() else {
        return Err(node.error("'loop_control' must be a mapping"));
    };
    let mut control = LoopControl::default();
    for (k, v) in entries {
        match k.key_string().as_str() {
            "loop_var" => control.loop_var = parse_string(v, "loop_var")?,
            "index_var" => control.index_var = Some(parse_string(v, "index_var")?),
            "label" => control.label = Some(parse_string(v, "label")?),
            "pause" => control.pause = Some(parse_pause(v)?),
            "extended" => control.extended = parse_flag(v, "extended")?,
            "extended_allitems" => {
                control.extended_allitems = parse_bool(v, "extended_allitems")?;
            }
            other => {
                let e = k.error(format!("'{other}' is not a valid loop_control option"));
                return Err(match did_you_mean(other, OPTIONS.iter().copied()) {
                    Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                    None => e.with_hint(format!("loop_control takes: {}", OPTIONS.join(", "))),
                });
            }
        }
    }
    Ok(control)
}

/// `pause`: a number of seconds, or a template giving one.
fn parse_pause(v: &Node) -> Result<serde_json::Value, LoadError> {
    match &v.kind {
        NodeKind::Int(_) | NodeKind::Float(_) => Ok(v.to_json()),
        NodeKind::Str(s) if s.contains("{{") || s.trim().parse::<f64>().is_ok() => Ok(v.to_json()),
        _ => Err(v.error(format!(
            "'pause' must be a number of seconds, found {}",
            v.type_name()
        ))),
    }
}
