//! The report as one self-contained HTML page: `page.html` with its CSS and JavaScript inline
//! and the model embedded as JSON in a `<script type="application/json">` element. Nothing is
//! fetched; the page builds its DOM from the data with `textContent`, so task output is never
//! read as markup.

use crate::report::model::Report;

const PAGE: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// JSON safe inside a `<script>` element: `<`, `>`, `&` and the two JavaScript line separators
/// written as `\u` escapes (they only occur inside JSON strings, where the escape means the same).
pub fn script_json(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page for `data` (a [`Report`], or a comparison of two) titled `title`.
pub fn page(title: &str, data: &impl serde::Serialize) -> String {
    // Our own texts first; the run's texts go in last, so nothing in them is read as a slot.
    let page = PAGE.replace("{{CSS}}", CSS).replace("{{JS}}", JS);
    let (before_title, rest) = page.split_once("{{TITLE}}").unwrap_or((&page, ""));
    let (before_data, after_data) = rest.split_once("{{DATA}}").unwrap_or((rest, ""));
    let data = script_json(data);
    let title = escape_html(title);
    let mut out = String::with_capacity(page.len() + data.len() + title.len());
    for part in [before_title, &title, before_data, &data, after_data] {
        out.push_str(part);
    }
    out
}

/// The page of one run.
pub fn render(report: &Report) -> String {
    let title = format!("ferry: {} — {}", report.title, report.status);
    page(&title, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_breakouts_are_escaped() {
        let r = Report {
            title: "</script><script>alert(1)</script> & more".into(),
            ..Default::default()
        };
        let html = render(&r);
        assert!(!html.contains("</script><script>alert(1)"), "{html}");
        assert!(html.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
        assert!(html.contains("<title>ferry: &lt;/script&gt;&lt;script&gt;alert(1)"));
        // Nothing to fetch: no element points anywhere.
        assert!(!html.contains(" src=") && !html.contains("href=") && !html.contains("url("));
    }
}
