//! Ansible's INI inventory format, as ansible-core 2.18's ini plugin reads it: `[group]` (or
//! `[group:hosts]`) host lines with `key=value` vars, `[group:vars]`, `[group:children]`,
//! comment lines starting with `#` or `;`, hosts before any section in `ungrouped`.
//!
//! Host lines are split like a POSIX shell (shlex.rs) and their values, like `[g:vars]` values,
//! are read as Python literals (literal.rs) or else kept as text. Host keys may carry a port
//! and ranges (range.rs). A group named in `[g:children]` or given `[g:vars]` must be declared
//! by a `[g]` or `[g:children]` section somewhere in the same file, or be known from an earlier
//! source (Ansible 2.18 refuses the file otherwise). Every error found is reported, each at its
//! line and column.

use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value as Json;

use crate::error::{did_you_mean, LoadError, SourceFile, Span};
use crate::inventory::model::{Model, Origin};
use crate::inventory::{range, shlex};
use crate::vars::Vars;

static SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$").expect("valid regex"));
static GROUP_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").expect("valid regex"));

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Hosts,
    Vars,
    Children,
    /// After a bad section header: its lines are skipped (Ansible stops at the header).
    Skip,
}

/// A group used before it is declared: where, and (for children) which parents wait for it.
struct Pending {
    at: Span,
    kind: Kind,
    parents: Vec<String>,
}

struct Parser<'a> {
    file: Arc<SourceFile>,
    origin: &'a Origin,
    model: &'a mut Model,
    group: String,
    kind: Kind,
    pending: IndexMap<String, Pending>,
    errors: Vec<LoadError>,
}

/// Reads an INI inventory into `model`; returns every error found.
pub(crate) fn load(
    file: &Arc<SourceFile>,
    origin: &Origin,
    model: &mut Model,
) -> Result<(), Vec<LoadError>> {
    let mut p = Parser {
        file: Arc::clone(file),
        origin,
        model,
        group: "ungrouped".into(),
        kind: Kind::Hosts,
        pending: IndexMap::new(),
        errors: Vec::new(),
    };
    for (i, raw) in file.text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let indent = raw[..raw.len() - raw.trim_start().len()].chars().count();
        let at = Span::new(&p.file, i + 1, indent + 1);
        if let Err(e) = p.line(line, &at) {
            p.errors.push(e);
        }
    }
    for (group, pending) in std::mem::take(&mut p.pending) {
        p.errors.push(undefined(&group, &pending));
    }
    if p.errors.is_empty() {
        Ok(())
    } else {
        Err(p.errors)
    }
}

fn undefined(group: &str, pending: &Pending) -> LoadError {
    let hint = format!("declare it with a [{group}] or [{group}:children] section");
    if pending.kind == Kind::Vars {
        return LoadError::at(
            &pending.at,
            format!("[{group}:vars] is for a group that is never declared"),
        )
        .with_hint(hint);
    }
    let parent = pending.parents.first().map_or("", String::as_str);
    LoadError::at(
        &pending.at,
        format!("[{parent}:children] names group '{group}', which is never declared"),
    )
    .with_hint(hint)
}

impl Parser<'_> {
    fn line(&mut self, line: &str, at: &Span) -> Result<(), LoadError> {
        if let Some(c) = SECTION.captures(line) {
            let kind = c.get(2).map_or("hosts", |m| m.as_str());
            return self.section(&c[1], kind, line, at);
        }
        if line.starts_with('[') && line.ends_with(']') {
            self.kind = Kind::Skip;
            return Err(
                LoadError::at(at, format!("invalid section header '{line}'")).with_hint(
                    "a section is [group], [group:vars] or [group:children], without spaces",
                ),
            );
        }
        match self.kind {
            Kind::Hosts => self.host_line(line, at),
            Kind::Vars => self.var_line(line, at),
            Kind::Children => self.child_line(line, at),
            Kind::Skip => Ok(()),
        }
    }

    fn section(&mut self, group: &str, kind: &str, line: &str, at: &Span) -> Result<(), LoadError> {
        self.kind = match kind {
            "hosts" => Kind::Hosts,
            "vars" => Kind::Vars,
            "children" => Kind::Children,
            other => {
                self.kind = Kind::Skip;
                let e = LoadError::at(at, format!("unknown section type ':{other}' in '{line}'"));
                return Err(match did_you_mean(other, ["children", "hosts", "vars"]) {
                    Some(best) => e.with_hint(format!("did you mean '[{group}:{best}]'?")),
                    None => e.with_hint("a section is [group], [group:vars] or [group:children]"),
                });
            }
        };
        self.group = group.to_string();
        if !self.model.has_group(group) {
            if self.kind == Kind::Vars && !self.pending.contains_key(group) {
                let pending = Pending {
                    at: at.clone(),
                    kind: Kind::Vars,
                    parents: Vec::new(),
                };
                self.pending.insert(group.to_string(), pending);
            }
            self.model.add_group(group);
        }
        if self.kind != Kind::Vars {
            match self.pending.get(group).map(|p| p.kind) {
                Some(Kind::Children) => self.add_pending_children(group)?,
                Some(_) => {
                    self.pending.shift_remove(group);
                }
                None => {}
            }
        }
        Ok(())
    }

    /// `group` is now declared: link it under the parents that named it.
    fn add_pending_children(&mut self, group: &str) -> Result<(), LoadError> {
        let Some(pending) = self.pending.shift_remove(group) else {
            return Ok(());
        };
        for parent in &pending.parents {
            self.model
                .add_child(parent, group)
                .map_err(|m| LoadError::at(&pending.at, m.to_string()))?;
            if self
                .pending
                .get(parent)
                .is_some_and(|p| p.kind == Kind::Children)
            {
                self.add_pending_children(parent)?;
            }
        }
        Ok(())
    }

    fn host_line(&mut self, line: &str, at: &Span) -> Result<(), LoadError> {
        let col = |offset: usize| Span::new(&self.file, at.line, at.col + offset);
        let words = shlex::split(line)
            .map_err(|e| LoadError::at(at, format!("cannot read host line: {e}")))?;
        let Some((key, _)) = words.first() else {
            return Ok(());
        };
        let (names, port) = range::expand_hostpattern(key).map_err(|m| {
            if line.starts_with('[') {
                LoadError::at(at, format!("malformed section header '{line}'"))
                    .with_hint("a section is written [group], [group:vars] or [group:children]")
            } else {
                LoadError::at(at, m.to_string())
            }
        })?;
        if key.trim().ends_with(':') && port.is_none() {
            return Err(LoadError::at(at, format!("host '{key}' ends with ':'"))
                .with_hint("':' is followed by a port number, as in host:2222"));
        }
        if key.contains('=') {
            self.model.warnings.push(format!(
                "{at}: host '{key}' in [{}] looks like a variable; variables of a group go in [{}:vars]",
                self.group, self.group
            ));
        }
        if names.iter().any(|n| n.trim() == "---") {
            return Err(LoadError::at(at, "'---' is not a host name")
                .with_hint("this looks like YAML: name the file .yml or .yaml"));
        }
        let mut vars = Vars::new();
        for (word, offset) in &words[1..] {
            let Some((k, v)) = word.split_once('=') else {
                return Err(LoadError::at(
                    &col(*offset),
                    format!("expected key=value after the host, found '{word}'"),
                ));
            };
            vars.insert(k.to_string(), literal(v));
        }
        for name in names {
            self.model
                .add_host(&self.group, &name, port, self.origin)
                .map_err(|m| LoadError::at(at, m.to_string()))?;
            for (k, v) in &vars {
                self.model.set_host_var(&name, k, v.clone());
            }
        }
        Ok(())
    }

    fn var_line(&mut self, line: &str, at: &Span) -> Result<(), LoadError> {
        let Some((k, v)) = line.split_once('=') else {
            return Err(LoadError::at(
                at,
                format!(
                    "expected key=value in [{}:vars], found '{line}'",
                    self.group
                ),
            ));
        };
        self.model
            .set_group_var(&self.group, k.trim(), literal(v.trim()))
            .map_err(|m| LoadError::at(at, m.to_string()))
    }

    fn child_line(&mut self, line: &str, at: &Span) -> Result<(), LoadError> {
        let Some(c) = GROUP_NAME.captures(line) else {
            return Err(LoadError::at(
                at,
                format!(
                    "expected a group name in [{}:children], found '{line}'",
                    self.group
                ),
            ));
        };
        let child = &c[1];
        if self.model.has_group(child) {
            return self
                .model
                .add_child(&self.group, child)
                .map_err(|m| LoadError::at(at, m.to_string()));
        }
        let parent = self.group.clone();
        self.pending
            .entry(child.to_string())
            .or_insert_with(|| Pending {
                at: at.clone(),
                kind: Kind::Children,
                parents: Vec::new(),
            })
            .parents
            .push(parent);
        Ok(())
    }
}

/// A value as Ansible's INI plugin reads it: a Python literal, else the text as written.
pub(crate) fn literal(v: &str) -> Json {
    crate::inventory::literal::parse(v).unwrap_or_else(|| Json::String(v.to_string()))
}
