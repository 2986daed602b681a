//! `lookup()`, `query()` and `q()`, and the lookup plugins `with_*` loops run.
//!
//! Owns the calling convention Ansible's templar gives lookups: positional terms of any type,
//! keyword options, `wantlist`, `errors=strict|warn|ignore`, and the shape of the result
//! (`lookup` joins a list of strings with commas, unwraps a single item, and keeps any other
//! list; `query` always gives the list). Each plugin lives in the file of its group; this
//! file holds the table. The variables a plugin reads come through [`Scope`] (`scope.rs`).
//! A plugin not in the table (a collection's, one of `lookup_plugins/`) runs in Python
//! (`pyplugins/`), with the same convention.

mod aws;
mod config;
mod files;
pub(crate) use files::glob_match;
mod lists;
mod password;
mod scope;
mod secrets;
mod sequence;
mod shell;
mod ssm;
mod subelements;
mod tables;
mod url;
mod vars;

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use super::values::{from_json, to_json};
use super::warnings;
use crate::vars::Vars;

pub(crate) use scope::{AllVars, Scope, ALL_VARS};

/// Why a plugin failed. Ansible lets `errors=` soften the failures a plugin reports, but
/// not undefined variables or bad options.
#[derive(Debug)]
pub(crate) enum Fail {
    /// An undefined variable or a bad option: always an error.
    Hard(String),
    /// A failure `errors='warn'|'ignore'` turns into an empty result.
    Soft(String),
}

/// A plugin's result: the list Ansible's plugin `run` returns.
pub(crate) type Found = Result<Vec<Json>, Fail>;

/// One call of a plugin: its terms, its keyword options, and the variables in scope.
pub(crate) struct Call<'a> {
    /// Positional terms (for a `with_*` loop, the loop's value made a list).
    pub terms: Vec<Json>,
    /// Keyword options, without `wantlist` and `errors`.
    pub opts: Vars,
    /// The variables and paths of the render.
    pub scope: Scope<'a>,
}

impl Call<'_> {
    /// The option `name` as text, if given (numbers and booleans as written).
    pub(crate) fn opt_str(&self, name: &str) -> Option<String> {
        self.opts.get(name).map(text)
    }

    /// The option `name` as a boolean (Ansible's spellings), `default` when not given.
    pub(crate) fn opt_bool(&self, name: &str, default: bool) -> bool {
        self.opts.get(name).map_or(default, truthy)
    }
}

/// A value as Python's `repr` writes it, for messages.
pub(crate) fn repr(v: &Json) -> String {
    super::py_repr(&from_json(v))
}

/// A JSON value as a plugin reads a text option: strings as they are, others as JSON.
pub(crate) fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

type Plugin = fn(&Call) -> Found;

/// Every lookup plugin ferry has, by name (alphabetical).
static PLUGINS: &[(&str, Plugin)] = &[
    ("amazon.aws.aws_secret", secrets::secretsmanager_secret),
    ("amazon.aws.aws_ssm", ssm::ssm_parameter),
    (
        "amazon.aws.secretsmanager_secret",
        secrets::secretsmanager_secret,
    ),
    ("amazon.aws.ssm_parameter", ssm::ssm_parameter),
    ("aws_secret", secrets::secretsmanager_secret),
    ("aws_ssm", ssm::ssm_parameter),
    ("config", config::config),
    ("csvfile", tables::csvfile),
    ("dict", lists::dict),
    ("env", vars::env),
    ("file", files::file),
    ("fileglob", files::fileglob),
    ("first_found", files::first_found),
    ("flattened", lists::flattened),
    ("indexed_items", lists::indexed_items),
    ("ini", tables::ini),
    ("inventory_hostnames", vars::inventory_hostnames),
    ("items", lists::items),
    ("lines", shell::lines),
    ("list", lists::list),
    ("nested", lists::nested),
    ("password", password::password),
    ("pipe", shell::pipe),
    ("random_choice", lists::random_choice),
    ("sequence", sequence::sequence),
    ("subelements", subelements::subelements),
    ("template", files::template),
    ("together", lists::together),
    ("unvault", files::unvault),
    ("url", url::url),
    ("varnames", vars::varnames),
    ("vars", vars::vars),
];

/// The plugin called `name` (`ansible.builtin.` and `ansible.legacy.` prefixes allowed).
fn plugin(name: &str) -> Option<Plugin> {
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    PLUGINS.iter().find(|(n, _)| *n == short).map(|(_, p)| *p)
}

/// The names of ferry's plugins, in order.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    PLUGINS.iter().map(|(n, _)| *n)
}

/// Runs the plugin `name` for a `with_<name>` loop: the items, or why the loop fails.
pub(crate) fn run_for_loop(name: &str, call: &Call) -> Result<Vec<Json>, String> {
    let found = match plugin(name) {
        Some(p) => p(call),
        None => {
            // Ansible's loop asks the plugin for a list.
            let mut opts = Vars::new();
            opts.insert("wantlist".into(), Json::Bool(true));
            let call = Call {
                terms: call.terms.clone(),
                opts,
                scope: Scope::new(call.scope.vars()),
            };
            super::pyplugins::lookup(name, &call)
        }
    };
    found.map_err(|f| match f {
        Fail::Hard(m) | Fail::Soft(m) => m,
    })
}

/// Registers `lookup`, `query` and `q`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(
        "lookup",
        |state: &State, name: String, args: Rest<Value>, kwargs: Kwargs| {
            call(state, &name, &args, &kwargs, false)
        },
    );
    for alias in ["query", "q"] {
        env.add_function(
            alias,
            |state: &State, name: String, args: Rest<Value>, kwargs: Kwargs| {
                call(state, &name, &args, &kwargs, true)
            },
        );
    }
}

/// What to do with a plugin's soft failure (`errors=`): fail the template, say so in a
/// warning and go on, or go on.
#[derive(PartialEq)]
enum OnError {
    Strict,
    Warn,
    Ignore,
}

/// One `lookup()`/`query()` call from a template.
fn call(
    state: &State,
    name: &str,
    args: &[Value],
    kwargs: &Kwargs,
    query: bool,
) -> Result<Value, Error> {
    if let Some(undefined) = args.iter().find(|a| a.is_undefined()) {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("{undefined} is undefined"),
        ));
    }
    let mut opts = Vars::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        opts.insert(key.to_string(), to_json(&v));
    }
    let wantlist = query || opts.remove("wantlist").is_some_and(|w| truthy(&w));
    let on_error = match opts.remove("errors").as_ref().and_then(Json::as_str) {
        Some("warn") => OnError::Warn,
        Some("ignore") => OnError::Ignore,
        _ => OnError::Strict,
    };
    let all = state.lookup(ALL_VARS);
    let scope = Scope::from_value(all.as_ref());
    let call = Call {
        terms: args.iter().map(to_json).collect(),
        opts,
        scope,
    };
    // A plugin ferry has no native code for runs in Python (ansible-core's, a collection's, one
    // of lookup_plugins/), which answers Ansible's "not found" for a name nobody has.
    let found = match plugin(name) {
        Some(plugin) => plugin(&call),
        None => super::pyplugins::lookup(name, &call),
    };
    match found {
        Ok(found) => Ok(shape(found, wantlist)),
        Err(Fail::Soft(m)) if on_error != OnError::Strict => {
            if on_error == OnError::Warn {
                // Ansible's words for a lookup's own failure.
                warnings::push(format!("Lookup failed but the error is being ignored: {m}"));
            }
            Ok(if wantlist {
                Value::from(Vec::<Value>::new())
            } else {
                Value::from(())
            })
        }
        Err(Fail::Hard(m) | Fail::Soft(m)) => Err(Error::new(ErrorKind::InvalidOperation, m)),
    }
}

/// Python truthiness, with strings read as Ansible's booleans.
pub(crate) fn truthy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::String(s) => crate::text::ansible_bool(s).unwrap_or(!s.is_empty()),
        Json::Null => false,
        Json::Number(n) => n.as_f64() != Some(0.0),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// The value `lookup` gives for a plugin's list: an empty list as it is, strings joined
/// with commas, one other item unwrapped, any other list kept.
fn shape(found: Vec<Json>, wantlist: bool) -> Value {
    if wantlist || found.is_empty() {
        return from_json(&Json::Array(found));
    }
    if found.iter().all(Json::is_string) {
        let joined: Vec<&str> = found.iter().filter_map(Json::as_str).collect();
        return Value::from(joined.join(","));
    }
    if found.len() == 1 {
        return from_json(&found[0]);
    }
    from_json(&Json::Array(found))
}

#[cfg(test)]
mod tests;
