//! JSON written the way Python's `json.dumps` writes it (`", "` and `": "` separators,
//! optional indent, optional sorted keys), so ferry's result lines look like Ansible's.

use std::fmt::Write;

use serde_json::Value as Json;

/// `json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False)`.
pub fn dumps(value: &Json, indent: Option<usize>, sort_keys: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, indent, sort_keys, 0);
    out
}

/// JSON with every non-ASCII character written as `\uXXXX` (Python's `ensure_ascii`).
pub fn ascii_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{u:04x}"));
        }
    }
    out
}

fn write_value(out: &mut String, value: &Json, indent: Option<usize>, sort: bool, level: usize) {
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match value {
        Json::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                write_value(out, item, indent, sort, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        Json::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            if sort {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                let _ = write!(out, "{}: ", Json::String(k.clone()));
                write_value(out, v, indent, sort, level + 1);
            }
            newline(out, level);
            out.push('}');
        }
        Json::Array(_) => out.push_str("[]"),
        Json::Object(_) => out.push_str("{}"),
        Json::String(s) => out.push_str(&escape(s)),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn escape(s: &str) -> String {
    Json::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_layout() {
        let v: Json =
            serde_json::from_str(r#"{"msg":"hi","changed":false,"l":[1,"a"],"e":{}}"#).unwrap();
        assert_eq!(
            dumps(&v, None, true),
            r#"{"changed": false, "e": {}, "l": [1, "a"], "msg": "hi"}"#
        );
        assert_eq!(
            dumps(&v, Some(4), false),
            "{\n    \"msg\": \"hi\",\n    \"changed\": false,\n    \"l\": [\n        1,\n        \"a\"\n    ],\n    \"e\": {}\n}"
        );
    }
}
