//! Ansible's INI inventory format: `[group]` host lines with `key=value` vars, host ranges,
//! `[group:vars]`, `[group:children]`, comments. Values are read as Python literals when they
//! are one (ints, floats, True/False/None, quoted strings, lists), else as plain strings.

use std::path::Path;

use serde_json::Value as Json;

use crate::error::{LoadError, SourceFile, Span};
use crate::inventory::model::Model;
use crate::inventory::range::expand;
use crate::vars::Vars;

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

/// Reads an INI inventory file into `model`.
pub(crate) fn load(path: &Path, text: &str, model: &mut Model) -> Result<(), LoadError> {
    let file = SourceFile::new(path, text);
    let mut section = Section::Hosts("ungrouped".into());
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |col: usize| Span::new(&file, i + 1, col);
        let indent = raw.len() - raw.trim_start().len() + 1;
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = header(line, &at(indent))?;
            let (Section::Hosts(g) | Section::Vars(g) | Section::Children(g)) = &section;
            model.group(g);
            continue;
        }
        match &section {
            Section::Hosts(group) => host_line(line, group, model, &at(indent), path)?,
            Section::Vars(group) => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(LoadError::at(
                        &at(indent),
                        format!("expected key=value in [{group}:vars], found '{line}'"),
                    ));
                };
                model
                    .group(group)
                    .vars
                    .insert(k.trim().to_string(), literal(v.trim()));
            }
            Section::Children(group) => {
                let child = line.split('#').next().unwrap_or("").trim().to_string();
                if child.is_empty() || child.contains(|c: char| c.is_whitespace() || c == ':') {
                    return Err(LoadError::at(
                        &at(indent),
                        format!("expected a group name in [{group}:children], found '{line}'"),
                    ));
                }
                model.group(&child);
                let g = model.group(group);
                if !g.children.contains(&child) {
                    g.children.push(child);
                }
            }
        }
    }
    Ok(())
}

fn header(line: &str, at: &Span) -> Result<Section, LoadError> {
    let Some(inner) = line
        .strip_prefix('[')
        .and_then(|l| l.split('#').next())
        .map(str::trim)
        .and_then(|l| l.strip_suffix(']'))
    else {
        return Err(
            LoadError::at(at, format!("malformed section header '{line}'"))
                .with_hint("a section is written [group], [group:vars] or [group:children]"),
        );
    };
    let (name, kind) = match inner.split_once(':') {
        Some((n, k)) => (n.trim(), Some(k.trim())),
        None => (inner.trim(), None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(LoadError::at(at, format!("invalid group name in '{line}'")));
    }
    match kind {
        None => Ok(Section::Hosts(name.into())),
        Some("vars") => Ok(Section::Vars(name.into())),
        Some("children") => Ok(Section::Children(name.into())),
        Some(other) => Err(LoadError::at(
            at,
            format!("unknown section suffix ':{other}' in '{line}'"),
        )
        .with_hint("use [group], [group:vars] or [group:children]")),
    }
}

fn host_line(
    line: &str,
    group: &str,
    model: &mut Model,
    at: &Span,
    path: &Path,
) -> Result<(), LoadError> {
    let tokens = shlex::Shlex::new(line)
        .take_while(|t| !t.starts_with('#'))
        .collect::<Vec<_>>();
    let Some(first) = tokens.first() else {
        return Ok(());
    };
    let mut vars = Vars::new();
    for tok in &tokens[1..] {
        let Some((k, v)) = tok.split_once('=') else {
            return Err(LoadError::at(
                at,
                format!("expected key=value after the host, found '{tok}'"),
            ));
        };
        vars.insert(k.to_string(), literal(v));
    }
    let (pattern, port) = split_port(first);
    if let Some(p) = port {
        vars.entry("ansible_port").or_insert(Json::from(p));
    }
    let names = expand(pattern).map_err(|m| LoadError::at(at, m))?;
    for name in names {
        model.add_host(group, &name, vars.clone(), path);
    }
    Ok(())
}

/// `host:2222` → ("host", 2222); leaves IPv6 and ranges alone.
fn split_port(h: &str) -> (&str, Option<u16>) {
    if h.matches(':').count() == 1 && !h.contains('[') {
        if let Some((name, port)) = h.rsplit_once(':') {
            if let Ok(p) = port.parse::<u16>() {
                return (name, Some(p));
            }
        }
    }
    (h, None)
}

/// A value as Ansible's INI plugin reads it: a Python literal, else the text as written.
pub(crate) fn literal(v: &str) -> Json {
    crate::inventory::literal::parse(v).unwrap_or_else(|| Json::String(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        for (text, want) in [
            ("5", "5"),
            ("1.5", "1.5"),
            ("True", "true"),
            ("yes", "\"yes\""),
            ("'quoted'", "\"quoted\""),
            ("[1, 'a']", "[1,\"a\"]"),
            ("/path/x", "\"/path/x\""),
            ("None", "null"),
            ("1.2.3", "\"1.2.3\""),
        ] {
            assert_eq!(literal(text).to_string(), want, "{text}");
        }
    }
}
