//! The values that came out of a vault, and the masking of text and JSON that would show them.
//!
//! Every decrypted value is remembered here ([`remember`]); the event layer masks each event
//! before any reporter sees it (human output, JSON events, JUnit, the history database), and
//! the binary masks its error messages. What is sent to hosts is never masked: only output
//! goes through here.

use std::borrow::Cow;
use std::sync::RwLock;

use serde_json::Value as Json;

/// What a secret is replaced with in output.
pub const MASK: &str = "********";

/// Lines of a decrypted file shorter than this are not masked on their own (a `}` or `---`
/// would hide everywhere); whole values are masked at any length but one character.
const MIN_LINE: usize = 8;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `value` as secret: output that contains it shows [`MASK`] instead.
pub fn remember(value: &str) {
    let value = value.trim();
    if value.chars().count() < 2 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_string());
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Remembers a decrypted file: the whole text and each of its longer lines.
pub fn remember_text(text: &str) {
    remember(text);
    for line in text.lines().map(str::trim).filter(|l| l.len() >= MIN_LINE) {
        remember(line);
    }
}

/// Remembers every string in `value` (mapping keys aside).
pub fn remember_json(value: &Json) {
    match value {
        Json::String(s) => remember(s),
        Json::Array(items) => items.iter().for_each(remember_json),
        Json::Object(map) => map.values().for_each(remember_json),
        _ => {}
    }
}

/// True when no secret is known (the common case: nothing to mask).
pub fn is_empty() -> bool {
    SECRETS.read().map(|s| s.is_empty()).unwrap_or(false)
}

/// `text` with every known secret replaced by [`MASK`].
pub fn text(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// `value` with every string (keys too) masked; `None` when nothing had to change.
pub fn json(value: &Json) -> Option<Json> {
    if is_empty() {
        return None;
    }
    match value {
        Json::String(s) => match text(s) {
            Cow::Owned(m) => Some(Json::String(m)),
            Cow::Borrowed(_) => None,
        },
        Json::Array(items) => {
            let masked: Vec<Option<Json>> = items.iter().map(json).collect();
            masked.iter().any(Option::is_some).then(|| {
                Json::Array(
                    masked
                        .into_iter()
                        .zip(items)
                        .map(|(m, v)| m.unwrap_or_else(|| v.clone()))
                        .collect(),
                )
            })
        }
        Json::Object(map) => {
            let masked: Vec<(Cow<'_, str>, Option<Json>)> =
                map.iter().map(|(k, v)| (text(k), json(v))).collect();
            let changed = masked
                .iter()
                .any(|(k, v)| matches!(k, Cow::Owned(_)) || v.is_some());
            changed.then(|| {
                Json::Object(
                    masked
                        .into_iter()
                        .zip(map.values())
                        .map(|((k, m), v)| (k.into_owned(), m.unwrap_or_else(|| v.clone())))
                        .collect(),
                )
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_remembered_values_in_text_and_json() {
        remember("hunter2-mask-test");
        remember("x");
        assert_eq!(text("pw is hunter2-mask-test!"), "pw is ********!");
        assert_eq!(text("x marks"), "x marks");
        let v = serde_json::json!({"msg": ["a", "hunter2-mask-test"], "n": 1});
        assert_eq!(
            json(&v),
            Some(serde_json::json!({"msg": ["a", MASK], "n": 1}))
        );
        assert_eq!(json(&serde_json::json!({"ok": true})), None);
    }
}
