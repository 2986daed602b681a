//! The value forms of playbook keywords, shared by every part of the loader: strings, numbers,
//! booleans as Ansible reads them, boolean-or-template flags, name lists and `vars:` mappings.
//! A leaf of `playbook/`: it knows YAML nodes and load errors, not plays or tasks.

use crate::error::{LoadError, Span};
use crate::text::{ansible_bool, is_identifier};
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

/// A boolean keyword: a constant, or a template decided per host at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// Known at load time.
    Const(bool),
    /// A template such as `"{{ strict }}"`.
    Template(String),
}

impl Default for Flag {
    fn default() -> Self {
        Flag::Const(false)
    }
}

/// A number keyword that may be a template, decided per host at run time (`retries`, `delay`).
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    /// Known at load time.
    Const(u64),
    /// A template such as `"{{ tries }}"`.
    Template(String),
}

/// True when `v` holds a template anywhere (a string with `{{` or `{%`).
pub(crate) fn holds_template(v: &serde_json::Value) -> bool {
    use serde_json::Value as Json;
    match v {
        Json::String(s) => s.contains("{{") || s.contains("{%"),
        Json::Array(items) => items.iter().any(holds_template),
        Json::Object(m) => m.values().any(holds_template),
        _ => false,
    }
}

/// A non-negative number, or a template rendered at run time (as Ansible templates it then).
pub(crate) fn parse_count_or_template(node: &Node, what: &str) -> Result<Count, LoadError> {
    match &node.kind {
        NodeKind::Str(s) if s.contains("{{") || s.contains("{%") => Ok(Count::Template(s.clone())),
        _ => parse_number(node, what).map(Count::Const),
    }
}

pub(crate) fn parse_number(node: &Node, what: &str) -> Result<u64, LoadError> {
    match &node.kind {
        NodeKind::Int(i) if *i >= 0 => Ok(*i as u64),
        NodeKind::Str(s) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().unwrap_or(0)),
        _ => Err(node.error(format!(
            "'{what}' must be a non-negative number, found {}",
            node.type_name()
        ))),
    }
}

/// A string-valued keyword (numbers and booleans are written as Python would).
pub(crate) fn parse_string(node: &Node, what: &str) -> Result<String, LoadError> {
    match &node.kind {
        NodeKind::Str(s) => Ok(s.clone()),
        NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Ok(node.key_string()),
        _ => Err(node.error(format!(
            "'{what}' must be a string, found {}",
            node.type_name()
        ))),
    }
}

/// A boolean keyword as Ansible reads it: YAML booleans and the strings Ansible accepts.
pub(crate) fn parse_bool(node: &Node, what: &str) -> Result<bool, LoadError> {
    match parse_flag(node, what)? {
        Flag::Const(b) => Ok(b),
        Flag::Template(_) => Err(node.error(format!("'{what}' cannot be templated"))),
    }
}

pub(crate) fn parse_flag(node: &Node, what: &str) -> Result<Flag, LoadError> {
    match &node.kind {
        NodeKind::Bool(b) => Ok(Flag::Const(*b)),
        NodeKind::Int(i @ (0 | 1)) => Ok(Flag::Const(*i == 1)),
        NodeKind::Str(s) if s.contains("{{") => Ok(Flag::Template(s.clone())),
        NodeKind::Str(s) => match ansible_bool(s) {
            Some(b) => Ok(Flag::Const(b)),
            None => Err(node
                .error(format!("'{what}' must be a boolean, found '{s}'"))
                .with_hint("use yes/no or true/false")),
        },
        _ => Err(node.error(format!(
            "'{what}' must be a boolean, found {}",
            node.type_name()
        ))),
    }
}

pub(crate) fn parse_names(node: &Node, what: &str) -> Result<Vec<(String, Span)>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .map(|n| Ok((parse_string(n, what)?, n.span.clone())))
            .collect(),
        _ => Ok(vec![(parse_string(node, what)?, node.span.clone())]),
    }
}

/// `vars:` — a mapping of names to values (templates stay unrendered until use).
pub(crate) fn parse_vars(node: &Node) -> Result<Vars, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Vars::new()),
        NodeKind::Map(entries) => {
            let mut vars = Vars::new();
            for (k, v) in entries {
                let name = k.key_string();
                if !is_identifier(&name) {
                    return Err(k.error(format!("'{name}' is not a valid variable name")));
                }
                vars.insert(name, v.to_json());
            }
            Ok(vars)
        }
        _ => Err(node.error(format!(
            "'vars' must be a mapping, found {}",
            node.type_name()
        ))),
    }
}
