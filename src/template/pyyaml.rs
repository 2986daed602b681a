//! YAML written the way PyYAML's `yaml.dump` writes it, which is what Ansible's `to_yaml`
//! (flow style for collections of scalars, indent 2) and `to_nice_yaml` (block style, indent
//! 4) print: keys sorted, strings quoted only where YAML 1.1 would read them as something
//! else, long scalars folded at 80 columns, multi-line strings single-quoted.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

/// How to dump.
pub(crate) struct Style {
    /// Spaces per level.
    pub indent: usize,
    /// `default_flow_style`: `None` flows collections that hold only scalars.
    pub flow: Option<bool>,
    /// Sort mapping keys.
    pub sort_keys: bool,
    /// The column after which scalars are folded.
    pub width: usize,
}

/// `yaml.dump(value, ...)`.
pub(crate) fn dump(value: &Json, style: &Style) -> String {
    let mut e = Emitter {
        out: String::new(),
        style,
    };
    if is_collection(value) && !e.flows(value) {
        e.block(value, 0, false);
    } else {
        e.flow_value(value, e.style.indent, false);
        // (PyYAML ends a plain root scalar with `...`; Ansible's dumper does not.)
        e.out.push('\n');
    }
    e.out
}

fn is_collection(v: &Json) -> bool {
    matches!(v, Json::Array(_) | Json::Object(_))
}

struct Emitter<'a> {
    out: String,
    style: &'a Style,
}

impl Emitter<'_> {
    /// Whether a non-empty collection is written in flow style.
    fn flows(&self, v: &Json) -> bool {
        let children: Vec<&Json> = match v {
            Json::Array(a) if a.is_empty() => return true,
            Json::Object(m) if m.is_empty() => return true,
            Json::Array(a) => a.iter().collect(),
            Json::Object(m) => m.values().collect(),
            _ => return false,
        };
        match self.style.flow {
            Some(flow) => flow,
            None => children.iter().all(|c| !is_collection(c)),
        }
    }

    fn entries<'v>(&self, m: &'v serde_json::Map<String, Json>) -> Vec<(&'v String, &'v Json)> {
        let mut entries: Vec<_> = m.iter().collect();
        if self.style.sort_keys {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        entries
    }

    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map(|i| i + 1).unwrap_or(0)
    }

    /// A block collection whose first line starts at the current position (`inline`: after a
    /// `- ` on the same line) with its items at column `ind`.
    fn block(&mut self, v: &Json, ind: usize, inline: bool) {
        let mut first = true;
        let mut start_line = |e: &mut Self| {
            if !(first && inline) {
                if !e.out.is_empty() && !e.out.ends_with('\n') {
                    e.out.push('\n');
                }
                e.out.push_str(&" ".repeat(ind));
            }
            first = false;
        };
        match v {
            Json::Array(items) => {
                for item in items {
                    start_line(self);
                    let child = ind + self.style.indent.max(2);
                    // A scalar follows `- `; a block collection starts at its own column.
                    self.out.push('-');
                    if is_collection(item) && !self.flows(item) {
                        self.out.push_str(&" ".repeat(child - ind - 1));
                    } else {
                        self.out.push(' ');
                    }
                    self.node(item, child, true);
                }
            }
            Json::Object(m) => {
                for (k, val) in self.entries(m) {
                    start_line(self);
                    let key = self.scalar_text(&Json::String(k.clone()), ind, true, false);
                    self.out.push_str(&key);
                    self.out.push(':');
                    match val {
                        Json::Array(a) if !a.is_empty() && !self.flows(val) => {
                            // A sequence under a key is not indented.
                            self.block(val, ind, false)
                        }
                        _ => {
                            if is_collection(val) && !self.flows(val) {
                                self.block(val, ind + self.style.indent, false);
                            } else {
                                self.out.push(' ');
                                self.flow_value(val, ind + self.style.indent, false);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// A sequence item's value after its `- `.
    fn node(&mut self, v: &Json, ind: usize, inline: bool) {
        if is_collection(v) && !self.flows(v) {
            self.block(v, ind, inline);
        } else {
            self.flow_value(v, ind, false);
            self.out.push('\n');
        }
    }

    /// A value in flow style (a scalar, or `[a, b]` / `{k: v}`) written at the current
    /// position; a long flow collection continues on the next line, at column `ind`.
    fn flow_value(&mut self, v: &Json, ind: usize, in_flow: bool) {
        match v {
            Json::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.separate(i, ind);
                    self.flow_value(item, ind, true);
                }
                self.out.push(']');
            }
            Json::Object(m) => {
                self.out.push('{');
                for (i, (k, val)) in self.entries(m).into_iter().enumerate() {
                    self.separate(i, ind);
                    let key = self.scalar_text(&Json::String(k.clone()), ind, true, true);
                    self.out.push_str(&key);
                    self.out.push_str(": ");
                    self.flow_value(val, ind, true);
                }
                self.out.push('}');
            }
            scalar => {
                let text = self.scalar_text(scalar, ind, false, in_flow);
                self.out.push_str(&text);
            }
        }
    }

    /// `, ` between flow items, or a line break once past the width.
    fn separate(&mut self, i: usize, ind: usize) {
        if i > 0 {
            self.out.push(',');
            if self.column() > self.style.width {
                self.out.push('\n');
                self.out.push_str(&" ".repeat(ind));
                return;
            }
            self.out.push(' ');
        }
    }

    /// A scalar's text: plain, single- or double-quoted; long ones folded (not keys).
    fn scalar_text(&self, v: &Json, ind: usize, key: bool, in_flow: bool) -> String {
        let s = match v {
            Json::Null => return "null".into(),
            Json::Bool(b) => return b.to_string(),
            Json::Number(n) => return number(n),
            Json::String(s) => s,
            _ => return String::new(),
        };
        let start = self.column();
        if plain_ok(s, in_flow) {
            return if key {
                s.clone()
            } else {
                self.fold(s, start, ind)
            };
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return double_quoted(s);
        }
        let body = s.replace('\'', "''");
        if key {
            return format!("'{body}'");
        }
        let mut out = String::from("'");
        let lines: Vec<&str> = body.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                // A line break is written as an empty line, then the indentation.
                out.push_str("\n\n");
                out.push_str(&" ".repeat(ind));
            }
            let col = if i == 0 { start + 1 } else { ind };
            out.push_str(&self.fold(line, col, ind));
        }
        out.push('\'');
        out
    }

    /// Breaks `text` at single spaces once the column passes the width.
    fn fold(&self, text: &str, start: usize, ind: usize) -> String {
        let mut out = String::new();
        let mut col = start;
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let single_space = c == ' '
                && i > 0
                && chars[i - 1] != ' '
                && chars.get(i + 1).is_some_and(|n| *n != ' ');
            if single_space && col > self.style.width {
                out.push('\n');
                out.push_str(&" ".repeat(ind));
                col = ind;
                continue;
            }
            out.push(c);
            col += 1;
        }
        out
    }
}

/// A number as PyYAML writes it (`1.0e+20`, `.inf`, `.nan`).
fn number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => {
            if f.is_nan() {
                return ".nan".into();
            }
            if f.is_infinite() {
                return if f > 0.0 { ".inf" } else { "-.inf" }.into();
            }
            let r = super::pyrepr::py_float(f);
            if !r.contains('.') && r.contains('e') {
                r.replacen('e', ".0e", 1)
            } else {
                r
            }
        }
        _ => n.to_string(),
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a string can be written without quotes: YAML 1.1 would read it back as the same
/// string, and it has no indicator where one matters.
fn plain_ok(s: &str, in_flow: bool) -> bool {
    if s.is_empty() || s.contains('\n') || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    if resolves_to_other(s) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    let second = s.chars().nth(1);
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if in_flow && s.contains([',', '[', ']', '{', '}', '?']) {
        return false;
    }
    if in_flow && s.contains(':') {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\u{feff}')
}

/// Whether YAML 1.1 (PyYAML's resolver) reads the text as a bool, int, float, null,
/// timestamp, merge or value.
fn resolves_to_other(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|<<|~|null|Null|NULL|=",
            r"|[0-9]{4}-[0-9]{2}-[0-9]{2}",
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?",
            r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$"
        ))
        .expect("valid regex")
    });
    re.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nice(v: &Json) -> String {
        dump(
            v,
            &Style {
                indent: 4,
                flow: Some(false),
                sort_keys: true,
                width: 80,
            },
        )
    }

    fn plain(v: &Json) -> String {
        dump(
            v,
            &Style {
                indent: 2,
                flow: None,
                sort_keys: true,
                width: 80,
            },
        )
    }

    #[test]
    fn writes_as_pyyaml_writes() {
        let users = json!([{"name": "alice", "groups": ["wheel", "dev"], "uid": 1001}]);
        assert_eq!(
            plain(&users),
            "- groups: [wheel, dev]\n  name: alice\n  uid: 1001\n"
        );
        assert_eq!(
            nice(&users),
            "-   groups:\n    - wheel\n    - dev\n    name: alice\n    uid: 1001\n"
        );
        assert_eq!(plain(&json!({"b": 2, "a": {"x": 1}})), "a: {x: 1}\nb: 2\n");
        assert_eq!(nice(&json!({"a": {"x": 1}})), "a:\n    x: 1\n");
        assert_eq!(plain(&json!([3, 1])), "[3, 1]\n");
        assert_eq!(plain(&json!("Hello")), "Hello\n");
        assert_eq!(
            plain(&json!({"q": ["yes", "1.5", "", "a: b", "-x", "it's", 1.0, null]})),
            "q: ['yes', '1.5', '', 'a: b', -x, it's, 1.0, null]\n"
        );
        assert_eq!(nice(&json!({"k": "l1\nl2"})), "k: 'l1\n\n    l2'\n");
        assert_eq!(
            nice(&json!([[1, [2, 3]], {"a": [{"x": 1, "y": 2}]}])),
            "-   - 1\n    -   - 2\n        - 3\n-   a:\n    -   x: 1\n        y: 2\n"
        );
        let long = "word ".repeat(30);
        assert_eq!(
            nice(&json!({"long": long})),
            format!(
                "long: '{}\n    {}'\n",
                "word ".repeat(15).trim_end(),
                "word ".repeat(15)
            )
        );
        let flow: Vec<String> = (0..20).map(|i| format!("item{i}")).collect();
        let out = plain(&json!({"q": flow}));
        assert!(
            out.starts_with("q: [item0, item1,") && out.contains(",\n  item"),
            "{out}"
        );
    }
}
