//! Template error messages as Ansible users know them: `'foo' is undefined`,
//! `'dict object' has no attribute 'bar'`, `template error while templating string: ...`.
//!
//! minijinja's undefined errors do not name the variable, so the name is recovered from the
//! source and the variables. Owns no rendering.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use super::values::FILTER_ERROR;
use super::TemplateError;
use crate::vars::Vars;

pub(crate) fn syntax(template: &str, e: &minijinja::Error) -> TemplateError {
    TemplateError(format!(
        "template error while templating string: {}. String: {template}",
        detail(e)
    ))
}

pub(crate) fn runtime(template: &str, e: &minijinja::Error, vars: &Vars) -> TemplateError {
    if let Some(bare) = filter_error(template, e, vars) {
        return bare;
    }
    // An operator on an undefined operand (`'a' + nope`): Ansible's undefined raises there.
    let undefined_operand = e.kind() == minijinja::ErrorKind::InvalidOperation
        && e.detail().is_some_and(|d| {
            d.contains("unsupported types")
                && (d.contains(" undefined") || d.contains("undefined "))
        });
    // A method called on an undefined value (`nope.items()`).
    let undefined_receiver = matches!(
        e.kind(),
        minijinja::ErrorKind::UnknownMethod | minijinja::ErrorKind::InvalidOperation
    ) && e
        .detail()
        .is_some_and(|d| d.contains("undefined has no method named"));
    if e.kind() == minijinja::ErrorKind::UndefinedError || undefined_operand || undefined_receiver {
        return TemplateError(undefined_message(template, vars));
    }
    TemplateError(format!("{}. String: {template}", detail(e)))
}

/// A filter's own error (see [`super::values::filter_error`]), bare; `mandatory` without a
/// message names what was undefined, as Ansible's does.
pub(crate) fn filter_error(
    template: &str,
    e: &minijinja::Error,
    vars: &Vars,
) -> Option<TemplateError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(m) = err.downcast_ref::<minijinja::Error>() {
            if let Some(d) = m.detail().filter(|d| d.starts_with(FILTER_ERROR)) {
                if d.strip_prefix(FILTER_ERROR) == Some(MANDATORY) {
                    let undefined = undefined_message(template, vars);
                    let name = undefined
                        .rsplit_once("attribute ")
                        .map(|(_, n)| n)
                        .or_else(|| undefined.strip_suffix(" is undefined"))
                        .filter(|n| n.starts_with('\''))
                        .map(|n| format!("{n} "))
                        .unwrap_or_default();
                    let msg = format!("Mandatory variable {name} not defined.");
                    return Some(TemplateError(format!("{FILTER_ERROR}{msg}")));
                }
                return Some(TemplateError(d.to_string()));
            }
        }
        source = err.source();
    }
    None
}

/// The filter error `mandatory` raises without a message; [`filter_error`] names the variable.
pub(crate) const MANDATORY: &str = "\u{1}mandatory";

fn detail(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// `'foo' is undefined`, or `'dict object' has no attribute 'bar'` for a missing attribute.
pub(crate) fn undefined_message(template: &str, vars: &Vars) -> String {
    static NAMES: OnceLock<Regex> = OnceLock::new();
    let re = NAMES.get_or_init(|| {
        Regex::new(
            r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[['\x22][^'\x22]+['\x22]\])*",
        )
        .expect("valid regex")
    });
    let quoted = quoted();
    let blocks = Regex::new(r"(?s)\{\{(.*?)\}\}|\{%(.*?)%\}").expect("valid regex");
    let mut code: String = blocks
        .captures_iter(template)
        .filter_map(|c| c.get(1).or(c.get(2)))
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if code.is_empty() {
        code = template.to_string();
    }
    // Strings are blanked so their words are not read as names, but a subscript's key
    // (`d['b']`) stays: it names the missing attribute.
    let code = quoted.replace_all(&code, |c: &regex::Captures| {
        let start = c.get(0).map_or(0, |m| m.start());
        if code[..start].ends_with('[') {
            c[0].to_string()
        } else {
            "''".to_string()
        }
    });
    for m in re.find_iter(&code) {
        let before = code[..m.start()].trim_end();
        if before.ends_with('|')
            || before.ends_with(" is")
            || before.ends_with(" not") && before.trim_end_matches(" not").ends_with(" is")
            || before.ends_with('.')
        {
            continue;
        }
        let path: Vec<String> = m
            .as_str()
            .split(['.', '['])
            .map(|p| {
                p.trim_matches(|c| c == ']' || c == '\'' || c == '"')
                    .to_string()
            })
            .collect();
        let first = &path[0];
        if is_keyword(first) {
            continue;
        }
        let Some(mut cur) = vars.get(first) else {
            return format!("'{first}' is undefined");
        };
        for attr in &path[1..] {
            match cur {
                Json::Object(o) => match o.get(attr) {
                    Some(next) => cur = next,
                    None => return format!("'dict object' has no attribute '{attr}'"),
                },
                _ => break,
            }
        }
    }
    format!("an undefined variable in '{template}'")
}

/// A variable a condition uses bare (not under `is defined`, `default`, ...) that does not
/// exist: Ansible fails such a condition instead of treating it as false.
pub(crate) fn bare_undefined(expr: &str, vars: &Vars) -> Option<String> {
    static IDENT: OnceLock<Regex> = OnceLock::new();
    let re = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex"));
    let code = quoted().replace_all(expr, "''");
    for m in re.find_iter(&code) {
        let name = m.as_str();
        let before = code[..m.start()].trim_end();
        let after = code[m.end()..].trim_start();
        let guarded = before.ends_with('|')
            || before.ends_with('.')
            || before.ends_with(" is")
            || before.ends_with(" is not")
            || (after.starts_with('=') && !after.starts_with("=="))
            || after.starts_with('(');
        if guarded || is_keyword(name) || vars.contains_key(name) {
            continue;
        }
        let tested = Regex::new(&format!(
            r"\b{name}\b[\w.\[\]'\x22]*\s*(is\s+(not\s+)?(defined|undefined|none)|\|\s*(default|d)\b)"
        ))
        .map(|r| r.is_match(&code))
        .unwrap_or(false);
        if !tested {
            return Some(name.to_string());
        }
    }
    None
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "not"
            | "in"
            | "is"
            | "if"
            | "else"
            | "true"
            | "false"
            | "True"
            | "False"
            | "none"
            | "None"
            | "defined"
            | "undefined"
            | "for"
            | "endfor"
            | "endif"
            | "set"
            | "elif"
            | "loop"
            | "range"
            | "lookup"
            | "query"
            | "q"
            | "omit"
    )
}

/// String literals, blanked before looking for names.
fn quoted() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"'[^']*'|"[^"]*""#).expect("valid regex"))
}
