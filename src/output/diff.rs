//! A module's registered `diff` shown as text, as ansible-core 2.18's callbacks show it
//! (`CallbackBase._get_diff`): one entry or a list of them; each entry's notes on binary or
//! too large files, its `before`/`after` as a unified diff (a mapping dumped as JSON with
//! sorted keys and an indent of 4, headers `before: <before_header>`), then its `prepared`
//! text. The human reporter prints it under `--diff`; the HTML report keeps it.

use serde_json::Value as Json;

use super::difflib;

/// Lines of context around each change (Ansible's `DIFF_CONTEXT` default).
const CONTEXT: usize = 3;

/// A result's `diff` as text, or `None` when it shows nothing. A plain string (what a module
/// ferry runs in its own code may still return) is shown as it is.
pub(crate) fn diff_text(diff: &Json) -> Option<String> {
    let text = match diff {
        Json::String(d) => d.clone(),
        Json::Array(list) => list.iter().map(entry).collect(),
        other => entry(other),
    };
    (!text.is_empty()).then_some(text)
}

/// One entry of a diff list.
fn entry(d: &Json) -> String {
    let Some(d) = d.as_object() else {
        return String::new();
    };
    let mut out = String::new();
    let notes = [
        (
            "dst_binary",
            "diff skipped: destination file appears to be binary\n",
        ),
        (
            "src_binary",
            "diff skipped: source file appears to be binary\n",
        ),
    ];
    for (key, note) in notes {
        if d.contains_key(key) {
            out.push_str(note);
        }
    }
    for (key, side) in [("dst_larger", "destination"), ("src_larger", "source")] {
        if let Some(size) = d.get(key) {
            out.push_str(&format!(
                "diff skipped: {side} file size is greater than {size}\n"
            ));
        }
    }
    if let (Some(before), Some(after)) = (d.get("before"), d.get("after")) {
        let header = |key: &str, side: &str| match d.get(key) {
            Some(Json::String(h)) => format!("{side}: {h}"),
            Some(h) => format!("{side}: {h}"),
            None => side.to_string(),
        };
        let (before, after) = (side_text(before), side_text(after));
        let (before, after) = (lines(&before), lines(&after));
        let text = difflib::unified_diff(
            &before.iter().map(String::as_str).collect::<Vec<_>>(),
            &after.iter().map(String::as_str).collect::<Vec<_>>(),
            &header("before_header", "before"),
            &header("after_header", "after"),
            CONTEXT,
        );
        if !text.is_empty() {
            out.push_str(&text);
            out.push('\n');
        }
    }
    match d.get("prepared") {
        Some(Json::String(p)) => out.push_str(p),
        Some(Json::Null) | None => {}
        Some(p) => out.push_str(&p.to_string()),
    }
    out
}

/// A side of the diff as text: a mapping as `json.dumps(sort_keys=True, indent=4)` writes it
/// plus a newline, nothing for null.
fn side_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Object(_) => {
            crate::pyjson::ascii_only(&crate::pyjson::dumps(value, Some(4), true)) + "\n"
        }
        other => crate::pyjson::dumps(other, None, false),
    }
}

/// Python's `splitlines(True)`, then a last line without an end marked as Ansible marks it.
fn lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = split_lines(text).map(str::to_string).collect();
    if let Some(last) = lines.last_mut().filter(|l| !l.ends_with('\n')) {
        last.push_str("\n\\ No newline at end of file\n");
    }
    lines
}

/// What Python's `str.splitlines` ends a line at (`\r\n` too, as one end).
const LINE_ENDS: [char; 10] = [
    '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}', '\u{2029}',
];

/// `str.splitlines(keepends=True)`.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .char_indices()
            .find(|(_, c)| LINE_ENDS.contains(c))
            .map(|(i, c)| match &rest[i..] {
                r if r.starts_with("\r\n") => i + 2,
                _ => i + c.len_utf8(),
            })
            .unwrap_or(rest.len());
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Expected texts are what ansible-core 2.18's `_get_diff` returns for the same values.
    #[test]
    fn entries_are_shown_as_ansible_shows_them() {
        let cases = [
            (
                json!([{"before": "", "after": "a\n", "after_header": "/f"}]),
                "--- before\n+++ after: /f\n@@ -0,0 +1 @@\n+a\n\n",
            ),
            (
                json!({"before": {"path": "/f", "mode": "0644"}, "after": {"path": "/f", "mode": "0600"}}),
                "--- before\n+++ after\n@@ -1,4 +1,4 @@\n {\n-    \"mode\": \"0644\",\n+    \"mode\": \"0600\",\n     \"path\": \"/f\"\n }\n\n",
            ),
            (
                json!([{"before": "a", "after": "a\nb"}, {"before_header": "x"}]),
                "--- before\n+++ after\n@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n\\ No newline at end of file\n\n",
            ),
            (json!({"prepared": "+ pkg\n"}), "+ pkg\n"),
            (
                json!({"dst_binary": 1, "src_larger": 100}),
                "diff skipped: destination file appears to be binary\ndiff skipped: source file size is greater than 100\n",
            ),
            (json!({"before": "x\n", "after": "x\n"}), ""),
        ];
        for (diff, want) in cases {
            assert_eq!(diff_text(&diff).unwrap_or_default(), want, "{diff}");
        }
    }
}
