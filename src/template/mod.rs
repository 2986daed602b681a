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

mod backslash;
mod builtin_names;
mod chains;
mod collections;
mod compiled;
mod data;
mod dates;
mod errors;
mod files;
mod filters;
mod jinja;
mod lookup;
mod mutable;
pub(crate) use lookup::glob_match;
mod pathfilters;
mod plugin_names;
mod pyplugins;
pub use pyplugins::{has_lookup as has_python_lookup, record_dir as record_plugin_dir};
mod predicates;
mod pyliteral;
mod pymethods;
mod pyregex;
mod pyrepr;
mod pyyaml;
mod regex;
mod rewrite;
mod serialize;
mod strings;
mod values;
mod version;
pub mod warnings;

use std::sync::OnceLock;

use ::regex::Regex;
use serde_json::Value as Json;

use crate::vars::Vars;
use compiled::{Cache, Code, Compiled};
use errors::{bare_undefined, runtime, syntax, undefined_message};

pub use files::FileOptions;
/// Shell-style `*`, `?`, `[..]` matching (fnmatch), for modules that take such patterns.
/// Python's `re` for modules that take Python patterns (lineinfile).
pub(crate) use pyregex::{
    compile as py_regex, each_match as py_each_match, Anchor as PyRegexAnchor,
    Flags as PyRegexFlags, Replacement as PyReplacement,
};
pub use pyrepr::{py_repr, py_repr_json};

/// A hidden variable listing the variables whose values were rendered from templates (a
/// play's `port: "{{ base_port }}"`): `{{ port }}` then renders as text, as in Ansible.
pub const LAZY: &str = "\u{1}templated";

/// The value of the `omit` variable; callers drop module arguments equal to it.
pub const OMIT: &str = "__omit_place_holder__ferry";

/// A template that could not be parsed or rendered; the message is the one Ansible users know.
/// A filter's own error (Ansible's `AnsibleFilterError`) is kept apart: Ansible reports it
/// as its bare message, not wrapped as a template or an undefined-variable error.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.0.strip_prefix(values::FILTER_ERROR).unwrap_or(&self.0))]
pub struct TemplateError(String);

impl TemplateError {
    /// A filter's own error, reported bare (e.g. `mandatory`'s message).
    pub fn is_filter_error(&self) -> bool {
        self.0.starts_with(values::FILTER_ERROR)
    }

    /// Whether it is about an undefined variable or attribute (rather than bad syntax, an
    /// unknown filter or a filter's failure).
    pub fn is_undefined(&self) -> bool {
        self.0.contains(" is undefined") || self.0.contains("has no attribute")
    }
}

/// The run's templar: Ansible's rendering rules over one shared environment, with a cache of
/// compiled templates (built once per run, shared by every host).
#[derive(Default)]
pub struct Templar {
    cache: Cache,
}

/// A template that is one `{{ expression }}` and nothing else.
fn single_expr() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?s)^\{\{(.*)\}\}$").expect("valid regex"))
}

/// A condition some playbooks wrap in `{{ }}` (with spaces around).
fn wrapped_condition() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?s)^\s*\{\{(.*)\}\}\s*$").expect("valid regex"))
}

/// The lookup plugins ferry has (what `with_<name>` may name).
pub fn lookup_names() -> impl Iterator<Item = &'static str> {
    lookup::names()
}

/// True if `s` contains template syntax.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

impl Templar {
    /// A templar with Ansible's filters, tests and rendering rules.
    pub fn new() -> Templar {
        Templar::default()
    }

    /// Renders one string value as Ansible 2.18's templar does: a lone `{{ expr }}` keeps a
    /// list, dict or boolean result, other scalars become their text (`42` → `"42"`, None →
    /// `""`); and rendered text that reads as a Python list, dict or boolean literal becomes
    /// that value. Backslashes in the string literals of its `{{ }}` blocks are literal
    /// (`backslash.rs`).
    pub fn render_str(&self, template: &str, vars: &Vars) -> Result<Json, TemplateError> {
        if !is_template(template) {
            return Ok(Json::String(template.to_string()));
        }
        if let Some(value) = single_var(template, vars) {
            return Ok(value);
        }
        // Jinja drops one trailing newline; Ansible reads the result, then gives back the
        // template's trailing newlines to a result that is still text.
        let newlines = template.len() - template.trim_end_matches('\n').len();
        let body = template.strip_suffix('\n').unwrap_or(template);
        let escaped = backslash::escape(body);
        let value = match self.lone_expression(&escaped, vars, template)? {
            Some(value) => value,
            None => read_back(self.render_text(&escaped, vars)?),
        };
        Ok(match value {
            Json::String(mut s) => {
                let have = s.len() - s.trim_end_matches('\n').len();
                s.push_str(&"\n".repeat(newlines.saturating_sub(have)));
                Json::String(s)
            }
            other => other,
        })
    }

    /// The value of a template that is one `{{ expression }}`, as Ansible keeps it.
    fn lone_expression(
        &self,
        escaped: &str,
        vars: &Vars,
        shown: &str,
    ) -> Result<Option<Json>, TemplateError> {
        let Some(inner) = single_expr().captures(escaped).and_then(|c| c.get(1)) else {
            return Ok(None);
        };
        let inner = inner.as_str();
        if inner.contains("{{") || inner.contains("{%") {
            return Ok(None);
        }
        let Ok(compiled) = self.cache.expr(inner) else {
            return Ok(None);
        };
        let value = eval(&compiled, vars, inner, shown)?;
        Ok(Some(match (value, string_filter_last(inner)) {
            (Json::String(s), true) => Json::String(s),
            (value, _) => as_ansible_keeps(value),
        }))
    }

    /// Evaluates one expression to its native value (numbers stay numbers): for `loop`,
    /// `until` and the like, where ferry needs the value itself.
    pub fn eval_expr(&self, expr: &str, vars: &Vars) -> Result<Json, TemplateError> {
        let compiled = self.cache.expr(expr).map_err(|e| syntax(expr, &e))?;
        eval(&compiled, vars, expr, expr)
    }

    /// Renders a whole template (a file for the template module) to text; a trailing newline
    /// is kept.
    pub fn render_text(&self, template: &str, vars: &Vars) -> Result<String, TemplateError> {
        let compiled = self
            .cache
            .text(template)
            .map_err(|e| syntax(template, &e))?;
        let Code::Text(tmpl) = &compiled.code else {
            unreachable!("the text cache holds templates");
        };
        tmpl.render(compiled.context(vars))
            .map_err(|e| runtime(template, &e, vars))
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

    /// Evaluates a bare condition (`when`, `failed_when`, `assert`'s `that`, ...): Python
    /// truthiness, except that a string result is read as Ansible re-reads it ("no" is false).
    pub fn eval_condition(&self, expr: &str, vars: &Vars) -> Result<bool, TemplateError> {
        let e = condition_body(expr).trim();
        match e {
            "True" | "true" => return Ok(true),
            "False" | "false" | "" => return Ok(false),
            _ => {}
        }
        if let Some(missing) = bare_undefined(e, vars) {
            return Err(TemplateError(format!("'{missing}' is undefined")));
        }
        let compiled = self.cache.expr(e).map_err(|err| syntax(expr, &err))?;
        Ok(truthy(&eval(&compiled, vars, e, expr)?))
    }

    /// Runs the lookup plugin of a `with_<name>` loop on the loop's rendered value (a list is
    /// the terms, anything else the one term), as `query` would: the loop's items. `subdir`
    /// is where `first_found` looks for relative names (`files`, or `templates`).
    pub fn loop_lookup(
        &self,
        name: &str,
        value: Json,
        vars: &Vars,
        subdir: &str,
    ) -> Result<Vec<Json>, TemplateError> {
        let terms = match value {
            Json::Array(items) => items,
            other => vec![other],
        };
        let mut opts = Vars::new();
        opts.insert("_subdir".into(), subdir.into());
        let call = lookup::Call {
            terms,
            opts,
            scope: lookup::Scope::new(vars),
        };
        lookup::run_for_loop(name, &call).map_err(TemplateError)
    }

    /// Syntax-checks a template without rendering it.
    pub fn check_syntax(&self, template: &str) -> Result<(), TemplateError> {
        if !is_template(template) {
            return Ok(());
        }
        self.cache
            .text(template)
            .map(|_| ())
            .map_err(|e| syntax(template, &e))
    }

    /// Syntax-checks a bare condition.
    pub fn check_condition_syntax(&self, expr: &str) -> Result<(), TemplateError> {
        self.cache
            .expr(condition_body(expr))
            .map(|_| ())
            .map_err(|err| syntax(expr, &err))
    }
}

/// `{{ name }}` of a variable holding a number, a boolean or None: that value itself, as
/// Ansible passes such a variable through without rendering it.
fn single_var(template: &str, vars: &Vars) -> Option<Json> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\{\{\s*(\w*)\s*\}\}$").expect("valid regex"));
    let name = re.captures(template)?.get(1)?.as_str();
    // A variable whose value came from a template is rendered as Ansible renders it lazily.
    if let Some(Json::Array(lazy)) = vars.get(LAZY) {
        if lazy.iter().any(|n| n.as_str() == Some(name)) {
            return None;
        }
    }
    match vars.get(name)? {
        v @ (Json::Number(_) | Json::Bool(_) | Json::Null) => Some(v.clone()),
        _ => None,
    }
}

/// Whether an expression ends in a filter whose text Ansible keeps as text (`to_json`,
/// `string`, ...) even when it reads as a list or dict.
fn string_filter_last(expr: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?s)\|\s*(string|to_json|to_nice_json|to_yaml|to_nice_yaml|ppretty|json)\s*(\([^|]*\))?\s*$",
        )
        .expect("valid regex")
    });
    re.is_match(expr)
}

/// A lone expression's value as Ansible's templar keeps it: lists, dicts and booleans as
/// they are, None as `""`, numbers as their Python text, strings read back as literals.
fn as_ansible_keeps(value: Json) -> Json {
    match value {
        Json::Null => Json::String(String::new()),
        Json::Number(n) => Json::String(match n.as_f64() {
            Some(f) if n.is_f64() => pyrepr::py_float(f),
            _ => n.to_string(),
        }),
        Json::String(s) => read_back(s),
        other => other,
    }
}

/// Rendered text that looks like a list, a dict or a boolean, read back as that Python
/// literal when it is one (Ansible's `literal_eval` of a template's result).
fn read_back(text: String) -> Json {
    if text.starts_with(['[', '{']) || text == "True" || text == "False" {
        if let Some(v) = pyliteral::parse(&text) {
            return v;
        }
    }
    Json::String(text)
}

/// The expression of a condition, without the `{{ }}` some playbooks wrap it in.
fn condition_body(expr: &str) -> &str {
    wrapped_condition()
        .captures(expr)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
        .unwrap_or(expr)
}

/// Python truthiness, with strings read as Ansible's conditionals read them.
fn truthy(v: &Json) -> bool {
    match v {
        Json::String(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "0" | ""
        ),
        Json::Bool(b) => *b,
        Json::Null => false,
        Json::Number(n) => n.as_f64() != Some(0.0),
        Json::Array(a) => !a.is_empty(),
        Json::Object(m) => !m.is_empty(),
    }
}

/// Evaluates a compiled expression to a native value (an undefined result is an error).
fn eval(compiled: &Compiled, vars: &Vars, expr: &str, shown: &str) -> Result<Json, TemplateError> {
    let Code::Expr(code) = &compiled.code else {
        unreachable!("the expression cache holds expressions");
    };
    let value = code
        .eval(compiled.context(vars))
        .map_err(|e| runtime(shown, &e, vars))?;
    if value.is_undefined() {
        return Err(TemplateError(undefined_message(expr, vars)));
    }
    if value.downcast_object_ref::<pyrepr::Tuple>().is_some() {
        // A tuple renders as its text, which Ansible does not read back.
        return Ok(Json::String(py_repr(&value)));
    }
    serde_json::to_value(&value).map_err(|e| TemplateError(format!("{shown}: {e}")))
}

#[cfg(test)]
mod tests;
