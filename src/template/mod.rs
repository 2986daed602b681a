//! Templating: one minijinja environment with Ansible's rendering rules, filters and tests.
//!
//! - Strings without `{{`, `{%` or `{#` are returned as they are (the hot path).
//! - A string that is exactly one `{{ expr }}` yields the expression's native value (list,
//!   dict, number, bool), as Ansible's templar effectively does; anything else renders to text.
//! - Printing an undefined value is an error naming it (`'foo' is undefined`), while
//!   `x is defined`, `x | default(..)` and `x.y | default(..)` work on missing values.
//! - Text output follows Python: `True`/`False`, `None`, `['a', 'b']`, `{'k': 1}`.
//!
//! Only the variables a template names are converted into minijinja values, so large scopes
//! (registered results, `hostvars`) cost nothing unless used. See `filters.rs` for the filters
//! and tests Ansible adds, and `pyrepr.rs` for Python-style rendering.

mod filters;
mod pyrepr;

use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use regex::Regex;
use serde_json::Value as Json;

use crate::vars::Vars;

pub use pyrepr::py_repr;

/// The value of the `omit` variable; callers drop module arguments equal to it.
pub const OMIT: &str = "__omit_place_holder__ferry";

/// A template that could not be parsed or rendered; the message is the one Ansible users know.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

/// The run's templating environment (built once, shared by every host).
pub struct Templar {
    env: Environment<'static>,
}

impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}

fn single_expr() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?s)^\s*\{\{(.*)\}\}\s*$").expect("valid regex"))
}

/// True if `s` contains template syntax.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

impl Templar {
    /// The environment with Ansible's filters, tests and rendering rules.
    pub fn new() -> Templar {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_formatter(pyrepr::format);
        filters::register(&mut env);
        Templar { env }
    }

    /// Renders one string (native value for a lone `{{ expr }}`).
    pub fn render_str(&self, template: &str, vars: &Vars) -> Result<Json, TemplateError> {
        if !is_template(template) {
            return Ok(Json::String(template.to_string()));
        }
        if let Some(inner) = single_expr().captures(template).and_then(|c| c.get(1)) {
            let inner = inner.as_str();
            if !inner.contains("{{")
                && !inner.contains("{%")
                && self.env.compile_expression(inner).is_ok()
            {
                return self.eval(inner, vars, template);
            }
        }
        self.render_text(template, vars).map(Json::String)
    }

    /// Renders a whole template (a file for the template module) to text.
    pub fn render_text(&self, template: &str, vars: &Vars) -> Result<String, TemplateError> {
        let tmpl = self
            .env
            .template_from_str(template)
            .map_err(|e| syntax(template, &e))?;
        let ctx = context(vars, template);
        tmpl.render(ctx).map_err(|e| runtime(template, &e, vars))
    }

    /// Renders every string in `value`, recursively (mapping keys too).
    pub fn render_value(&self, value: &Json, vars: &Vars) -> Result<Json, TemplateError> {
        Ok(match value {
            Json::String(s) => self.render_str(s, vars)?,
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.render_value(i, vars))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(m) => {
                let mut out = Vars::new();
                for (k, v) in m {
                    let key = if is_template(k) {
                        match self.render_str(k, vars)? {
                            Json::String(s) => s,
                            other => other.to_string(),
                        }
                    } else {
                        k.clone()
                    };
                    out.insert(key, self.render_value(v, vars)?);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Evaluates a bare condition (`when`, `failed_when`, `assert`'s `that`, ...).
    pub fn eval_condition(&self, expr: &str, vars: &Vars) -> Result<bool, TemplateError> {
        let e = expr.trim();
        let e = match single_expr().captures(e).and_then(|c| c.get(1)) {
            Some(inner) => inner.as_str().trim().to_string(),
            None => e.to_string(),
        };
        match e.as_str() {
            "True" | "true" => return Ok(true),
            "False" | "false" | "" => return Ok(false),
            _ => {}
        }
        if let Some(missing) = bare_undefined(&e, vars) {
            return Err(TemplateError(format!("'{missing}' is undefined")));
        }
        let v = self.eval(&e, vars, expr)?;
        Ok(match &v {
            Json::String(s) => match crate::playbook::ansible_bool(s) {
                Some(b) => b,
                None => !s.is_empty(),
            },
            Json::Bool(b) => *b,
            Json::Null => false,
            Json::Number(n) => n.as_f64() != Some(0.0),
            Json::Array(a) => !a.is_empty(),
            Json::Object(m) => !m.is_empty(),
        })
    }

    /// Syntax-checks a template without rendering it.
    pub fn check_syntax(&self, template: &str) -> Result<(), TemplateError> {
        self.env
            .template_from_str(template)
            .map(|_| ())
            .map_err(|e| syntax(template, &e))
    }

    /// Syntax-checks a bare condition.
    pub fn check_condition_syntax(&self, expr: &str) -> Result<(), TemplateError> {
        let e = single_expr()
            .captures(expr)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str())
            .unwrap_or(expr);
        self.env
            .compile_expression(e)
            .map(|_| ())
            .map_err(|err| syntax(expr, &err))
    }

    /// Evaluates one expression to a native value (an undefined result is an error).
    fn eval(&self, expr: &str, vars: &Vars, shown: &str) -> Result<Json, TemplateError> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| syntax(shown, &e))?;
        let ctx = context(vars, expr);
        let value = compiled.eval(ctx).map_err(|e| runtime(shown, &e, vars))?;
        if value.is_undefined() {
            return Err(TemplateError(undefined_message(expr, vars)));
        }
        serde_json::to_value(&value).map_err(|e| TemplateError(format!("{shown}: {e}")))
    }
}

/// A context of just the variables the template's text names (every identifier that is a
/// variable; minijinja's own list of undeclared variables misses some, e.g. under slices).
fn context(vars: &Vars, source: &str) -> Value {
    static IDENT: OnceLock<Regex> = OnceLock::new();
    let re = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex"));
    let mut ctx = std::collections::BTreeMap::new();
    for m in re.find_iter(source) {
        let name = m.as_str();
        if ctx.contains_key(name) {
            continue;
        }
        if let Some(v) = vars.get(name) {
            ctx.insert(name.to_string(), Value::from(Serde(v)));
        }
    }
    Value::from(ctx)
}

fn syntax(template: &str, e: &minijinja::Error) -> TemplateError {
    TemplateError(format!(
        "template error while templating string: {}. String: {template}",
        detail(e)
    ))
}

fn runtime(template: &str, e: &minijinja::Error, vars: &Vars) -> TemplateError {
    if e.kind() == ErrorKind::UndefinedError {
        return TemplateError(undefined_message(template, vars));
    }
    TemplateError(format!("{}. String: {template}", detail(e)))
}

fn detail(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// `'foo' is undefined`, or `'dict object' has no attribute 'bar'` for a missing attribute.
fn undefined_message(template: &str, vars: &Vars) -> String {
    static NAMES: OnceLock<Regex> = OnceLock::new();
    let re = NAMES.get_or_init(|| {
        Regex::new(
            r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[['\x22][^'\x22]+['\x22]\])*",
        )
        .expect("valid regex")
    });
    let quoted = Regex::new(r#"'[^']*'|"[^"]*""#).expect("valid regex");
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
    let code = quoted.replace_all(&code, "''");
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
fn bare_undefined(expr: &str, vars: &Vars) -> Option<String> {
    static IDENT: OnceLock<Regex> = OnceLock::new();
    let re = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex"));
    let quoted = Regex::new(r#"'[^']*'|"[^"]*""#).expect("valid regex");
    let code = quoted.replace_all(expr, "''");
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

#[cfg(test)]
mod tests;
