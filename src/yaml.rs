//! YAML → [`Node`] trees that carry their source positions.
//!
//! Built on granit-parser (the event parser under serde-saphyr) so that every key and value keeps
//! its `line:col`. Plain scalars are resolved as PyYAML resolves YAML 1.1 (what Ansible sees):
//! `yes`/`no`/`on`/`off`/`true`/`False` are booleans, `y`/`n` stay strings, `0755` is octal,
//! `~` and empty are null. Quoted scalars are always strings. Anchors, aliases and merge keys
//! (`<<`) are expanded here, so later stages never see them. This module knows nothing of
//! playbooks or inventories.

use std::path::Path;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::Value as Json;

use crate::error::{LoadError, SourceFile, Span};

/// A YAML value with its position.
#[derive(Debug, Clone)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where the value starts.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// `~`, `null` or nothing.
    Null,
    /// A YAML 1.1 boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (quoted, block, or a plain scalar that is nothing else).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; keys keep their positions.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The kind of value, for messages ("expected a mapping, found a string").
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// A mapping key as Python would print it (`True`, `1`, `name`).
    pub fn key_string(&self) -> String {
        match &self.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Null => "None".into(),
            NodeKind::Bool(true) => "True".into(),
            NodeKind::Bool(false) => "False".into(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Seq(_) | NodeKind::Map(_) => self.to_json().to_string(),
        }
    }

    /// The value of key `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value as JSON (positions dropped). Mapping keys become strings.
    pub fn to_json(&self) -> Json {
        match &self.kind {
            NodeKind::Null => Json::Null,
            NodeKind::Bool(b) => Json::Bool(*b),
            NodeKind::Int(i) => Json::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            NodeKind::Str(s) => Json::String(s.clone()),
            NodeKind::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A load error at this node.
    pub fn error(&self, message: impl Into<String>) -> LoadError {
        LoadError::at(&self.span, message)
    }
}

/// Reads and parses a YAML file; a missing or unreadable file is an error naming the path.
/// A whole vaulted file is decrypted first (its strings are then remembered as secrets).
pub fn load_file(path: &Path) -> Result<Node, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::plain(format!("cannot read {}: {e}", path.display())))?;
    let (text, vaulted) = crate::vault::open(text, &path.display().to_string())
        .map_err(|e| LoadError::plain(e.to_string()))?;
    let node = parse(SourceFile::new(path, text))?;
    if vaulted {
        crate::vault::mask::remember_json(&node.to_json());
    }
    Ok(node)
}

/// Parses the first document of `file` (an empty file is null).
pub fn parse(file: Arc<SourceFile>) -> Result<Node, LoadError> {
    let text = Arc::clone(&file);
    let mut builder = Builder {
        file,
        anchors: Vec::new(),
        stack: Vec::new(),
        root: None,
        expanded: 0,
    };
    let mut parser = Parser::new_from_str(&text.text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let pos = Span::new(&builder.file, m.line().max(1), m.col() + 1);
            LoadError::at(&pos, format!("invalid YAML: {}", e.info()))
                .with_hint("check the indentation and quoting around this line")
        })?;
        let pos = Span::new(
            &builder.file,
            span.start.line().max(1),
            span.start.col() + 1,
        );
        if builder.event(event, pos)? {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Node {
        kind: NodeKind::Null,
        span: Span::new(&text, 1, 1),
    }))
}

enum Frame {
    Seq(Node, usize, Vec<Node>),
    Map(Node, usize, Vec<(Node, Node)>, Option<Node>),
}

struct Builder {
    file: Arc<SourceFile>,
    /// Anchored nodes, with how many values each holds.
    anchors: Vec<(usize, Node, usize)>,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Values copied so far by aliases (bounded: see [`MAX_ALIASED`]).
    expanded: usize,
}

/// How many values aliases may copy in one file. Real files stay far below; a "billion
/// laughs" file (aliases of aliases, ten deep) would need billions, and is refused at once.
const MAX_ALIASED: usize = 1_000_000;

/// How many values a node holds (itself included).
fn size(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size(k) + size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

impl Builder {
    /// Feeds one event; true when the first document is complete.
    fn event(&mut self, event: Event<'_>, pos: Span) -> Result<bool, LoadError> {
        match event {
            Event::StreamStart | Event::DocumentStart(..) | Event::Anchor(..) => {}
            Event::StreamEnd | Event::DocumentEnd => return Ok(self.root.is_some()),
            Event::Alias(id) => {
                let (node, n) = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _, _)| *a == id)
                    .map(|(_, node, n)| (node, *n))
                    .ok_or_else(|| LoadError::at(&pos, "alias to an unknown anchor"))?;
                self.expanded = self.expanded.saturating_add(n);
                if self.expanded > MAX_ALIASED {
                    return Err(LoadError::at(
                        &pos,
                        format!("this alias makes the file's aliases expand to more than {MAX_ALIASED} values"),
                    )
                    .with_hint("aliases of aliases multiply (a 'billion laughs' file); write the data out or use fewer levels"));
                }
                let node = node.clone();
                self.push(node, 0)?;
            }
            Event::UnresolvedAlias(name) => {
                return Err(LoadError::at(&pos, format!("unknown anchor '*{name}'")))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| t.to_string());
                let kind = resolve_scalar(&value, style, tag.as_deref(), &pos)?;
                self.push(Node { kind, span: pos }, anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => self.stack.push(Frame::Seq(
                Node {
                    kind: NodeKind::Null,
                    span: pos,
                },
                anchor,
                Vec::new(),
            )),
            Event::MappingStart(_, anchor, _) => self.stack.push(Frame::Map(
                Node {
                    kind: NodeKind::Null,
                    span: pos,
                },
                anchor,
                Vec::new(),
                None,
            )),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(mut node, anchor, items)) = self.stack.pop() {
                    node.kind = NodeKind::Seq(items);
                    self.push(node, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(mut node, anchor, entries, _)) = self.stack.pop() {
                    node.kind = NodeKind::Map(entries);
                    self.push(node, anchor)?;
                }
            }
            _ => {}
        }
        Ok(false)
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if anchor != 0 {
            let n = size(&node);
            self.anchors.push((anchor, node.clone(), n));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(_, _, items)) => items.push(node),
            Some(Frame::Map(_, _, entries, pending)) => match pending.take() {
                // As PyYAML (Ansible's YAML) refuses them: a key must be hashable.
                None if matches!(node.kind, NodeKind::Map(_) | NodeKind::Seq(_)) => {
                    return Err(node
                        .error(format!(
                            "found unhashable key: a {} cannot be a mapping key",
                            node.type_name()
                        ))
                        .with_hint("a key is a string, a number, a boolean or null"))
                }
                None => *pending = Some(node),
                Some(key) if key.as_str() == Some("<<") && is_plain_merge(&key) => {
                    merge_into(entries, node)?
                }
                Some(key) => {
                    let name = key.key_string();
                    entries.retain(|(k, _)| k.key_string() != name);
                    entries.push((key, node));
                }
            },
        }
        Ok(())
    }
}

fn is_plain_merge(_key: &Node) -> bool {
    true
}

/// `<<: *base` or `<<: [*a, *b]`: keys not already present are added (earlier sources win).
fn merge_into(entries: &mut Vec<(Node, Node)>, value: Node) -> Result<(), LoadError> {
    let sources = match value.kind {
        NodeKind::Map(_) => vec![value],
        NodeKind::Seq(items) => items,
        _ => return Err(value.error("a merge key '<<' needs a mapping or a list of mappings")),
    };
    for source in sources {
        let NodeKind::Map(src) = source.kind else {
            return Err(source.error("a merge key '<<' needs a mapping or a list of mappings"));
        };
        for (k, v) in src {
            let name = k.key_string();
            if !entries.iter().any(|(e, _)| e.key_string() == name) {
                entries.push((k, v));
            }
        }
    }
    Ok(())
}

fn resolve_scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    pos: &Span,
) -> Result<NodeKind, LoadError> {
    if let Some(tag) = tag {
        let suffix = tag.rsplit([':', '!']).next().unwrap_or(tag);
        return match suffix {
            "str" | "unsafe" => Ok(NodeKind::Str(value.to_string())),
            "vault" => crate::vault::decrypt_inline(value, &pos.to_string())
                .map(NodeKind::Str)
                .map_err(|e| LoadError::at(pos, e.to_string())),
            _ => Ok(resolve_plain(value)),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(NodeKind::Str(value.to_string()));
    }
    Ok(resolve_plain(value))
}

/// YAML 1.1 resolution of a plain scalar, as PyYAML's SafeLoader does it.
pub fn resolve_plain(s: &str) -> NodeKind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return NodeKind::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return NodeKind::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(s) {
        return NodeKind::Int(i);
    }
    if is_float(s) {
        if let Ok(f) = s.replace('_', "").parse::<f64>() {
            return NodeKind::Float(f);
        }
    }
    NodeKind::Str(s.to_string())
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let clean = body.replace('_', "");
    let v = if let Some(hex) = clean.strip_prefix("0x") {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = clean.strip_prefix("0b") {
        if bin.is_empty() || !bin.chars().all(|c| c == '0' || c == '1') {
            return None;
        }
        i64::from_str_radix(bin, 2).ok()?
    } else if clean.len() > 1 && clean.starts_with('0') {
        if !clean.chars().all(|c| ('0'..='7').contains(&c)) {
            return None;
        }
        i64::from_str_radix(&clean, 8).ok()?
    } else {
        if !clean.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        clean.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn is_float(s: &str) -> bool {
    // [-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let Some(dot) = mantissa.find('.') else {
        return false;
    };
    let (int, frac) = (&mantissa[..dot], &mantissa[dot + 1..]);
    let int_ok = int.is_empty()
        || (int.as_bytes()[0].is_ascii_digit()
            && int.chars().all(|c| c.is_ascii_digit() || c == '_'));
    let frac_ok = frac.chars().all(|c| c.is_ascii_digit() || c == '.');
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']);
            matches!(digits, Some(d) if !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        }
    };
    int_ok && frac_ok && exp_ok && (!int.is_empty() || !frac.is_empty())
}

#[cfg(test)]
mod bomb_tests {
    use super::*;

    #[test]
    fn an_alias_bomb_is_refused_quickly_naming_where() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let err = parse(SourceFile::new("bomb.yml", text)).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let shown = err.to_string();
        assert!(
            shown.contains("bomb.yml:") && shown.contains("more than"),
            "{shown}"
        );
        // A file that uses aliases normally still loads.
        let ok = "base: &b {x: 1}\nuse: [*b, *b]\n";
        assert!(parse(SourceFile::new("ok.yml", ok.to_string())).is_ok());
    }

    /// Found by the fuzzer: nested complex keys (`? ? ...` at varying indents) made each
    /// key's text quote the one inside it, doubling at every level (2 GB for 130 bytes).
    /// PyYAML refuses a mapping or list as a key; so does ferry, at once.
    #[test]
    fn a_mapping_as_a_key_is_refused_at_once() {
        let nested = "?  ? ? ?   ?  ?  ?    ? ? ? ?  ?  ?   ?  ?  ?    ? ?  ?  ?   ?  ?  ?   ?  ?  ?    ? ? ? ?  ?  ?   ?  ?  ?    ? ?  ?  ?   ?  ?  www1";
        for text in [nested, "? [a, b]\n: v\n", "{[1]: x}\n"] {
            let started = std::time::Instant::now();
            let err = parse(SourceFile::new("keys.yml", text.to_string())).unwrap_err();
            assert!(
                started.elapsed() < std::time::Duration::from_millis(100),
                "{text}"
            );
            assert!(err.to_string().contains("found unhashable key"), "{err}");
        }
        let fine = "? simple\n: v\n1: one\n";
        assert!(parse(SourceFile::new("ok.yml", fine.to_string())).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Node, LoadError> {
        parse(SourceFile::new("t.yml", s))
    }

    #[test]
    fn yaml11_scalars() {
        for (text, want) in [
            ("yes", "true"),
            ("No", "false"),
            ("on", "true"),
            ("OFF", "false"),
            ("True", "true"),
            ("y", "\"y\""),
            ("n", "\"n\""),
            ("0755", "493"),
            ("0x1F", "31"),
            ("12", "12"),
            ("-3", "-3"),
            ("1.5", "1.5"),
            ("1.2.3", "\"1.2.3\""),
            ("~", "null"),
            ("'yes'", "\"yes\""),
            ("\"on\"", "\"on\""),
            ("hello world", "\"hello world\""),
            ("!!str yes", "\"yes\""),
        ] {
            let n = parse_str(&format!("v: {text}\n")).unwrap();
            assert_eq!(n.get("v").unwrap().to_json().to_string(), want, "{text}");
        }
    }

    #[test]
    fn a_quoted_scalar_continued_at_its_keys_indentation_loads_as_pyyaml_loads_it() {
        // Outside the YAML specification, accepted by PyYAML (and so by Ansible) and seen in
        // real playbooks: the continuation line no deeper than the key.
        let n = parse_str("a:\n  b: \"one\n  two\"\n  c: 'x\n  y'\n").unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(a.get("b").unwrap().to_json(), "one two");
        assert_eq!(a.get("c").unwrap().to_json(), "x y");
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse_str("- hosts: all\n  tasks:\n    - command: ls\n").unwrap();
        let play = &n.as_seq().unwrap()[0];
        assert_eq!((play.span.line, play.span.col), (1, 3));
        let tasks = play.get("tasks").unwrap();
        let task = &tasks.as_seq().unwrap()[0];
        let (k, _) = &task.as_map().unwrap()[0];
        assert_eq!((k.span.line, k.span.col), (3, 7));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let n = parse_str("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\ny: *b\n").unwrap();
        assert_eq!(
            n.get("x").unwrap().to_json().to_string(),
            r#"{"a":1,"b":3}"#
        );
        assert_eq!(
            n.get("y").unwrap().to_json().to_string(),
            r#"{"a":1,"b":2}"#
        );
    }

    #[test]
    fn bad_yaml_has_position() {
        let e = parse_str("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.to_string().starts_with("t.yml:"), "{e}");
        assert!(e.to_string().contains("invalid YAML"), "{e}");
    }

    #[test]
    fn empty_is_null() {
        assert!(parse_str("").unwrap().is_null());
        assert!(parse_str("# only a comment\n").unwrap().is_null());
    }
}
