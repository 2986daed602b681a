//! The process-wide minijinja environment and the Templar's cache of compiled templates and
//! expressions, each with the names of the variables it may read.
//!
//! Owns compilation and the per-render context; does not own the rendering rules (`mod.rs`)
//! or the filters (`filters.rs` and friends).
//!
//! The environment is built once per process and lives in a `static`, so compiled templates
//! and expressions can be kept (`'static`) in a map keyed by their source text. Text
//! templates are loaded through a loader whose template name *is* the source, so minijinja
//! owns their text. The context of a render holds only the variables the source names: a
//! 1000-key scope costs two map look-ups for `{{ a }}-{{ b }}`, and large values
//! (registered results, `hostvars`) are converted only when a template names them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use minijinja::value::Serde;
use minijinja::{Environment, Expression, Template, UndefinedBehavior, Value};
use regex::Regex;

use crate::vars::Vars;

/// One compiled source: a text template or a bare expression, and the names it may read.
pub(crate) struct Compiled {
    pub(crate) code: Code,
    names: Box<[Box<str>]>,
    /// The source may call a lookup, which needs every variable, not only those it names.
    lookups: bool,
}

/// The compiled form.
pub(crate) enum Code {
    Expr(Expression<'static, 'static>),
    Text(Template<'static, 'static>),
}

/// Compiled sources by source text.
type Map = HashMap<Box<str>, Arc<Compiled>>;

/// Compiled expressions and text templates, each by source text.
#[derive(Default)]
pub(crate) struct Cache {
    exprs: RwLock<Map>,
    texts: RwLock<Map>,
}

/// The environment every Templar shares: Ansible's syntax options, formatter and filters.
pub(crate) fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| build(&Settings::default()))
}

/// What a template file may change about how it is read (the template module's options and
/// a `#jinja2:` header).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Settings {
    pub(crate) trim_blocks: bool,
    pub(crate) lstrip_blocks: bool,
    pub(crate) keep_trailing_newline: bool,
    /// Block, variable and comment start and end strings.
    pub(crate) delimiters: [String; 6],
}

impl Default for Settings {
    /// How values are read: as Ansible's templar reads them (`trim_blocks` on; the
    /// trailing newline kept, Ansible's newline rule is applied by the caller).
    fn default() -> Self {
        Settings {
            trim_blocks: true,
            lstrip_blocks: false,
            keep_trailing_newline: true,
            delimiters: ["{%", "%}", "{{", "}}", "{#", "#}"].map(String::from),
        }
    }
}

/// An environment with `settings`, built once for each distinct settings and kept.
pub(crate) fn env_with(
    settings: &Settings,
) -> Result<&'static Environment<'static>, minijinja::Error> {
    static ENVS: OnceLock<std::sync::Mutex<HashMap<Settings, &'static Environment<'static>>>> =
        OnceLock::new();
    if *settings == Settings::default() {
        return Ok(env());
    }
    let mut envs = match ENVS.get_or_init(Default::default).lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(env) = envs.get(settings) {
        return Ok(env);
    }
    // Checked before building: a bad delimiter is the template's error, not a panic.
    syntax(settings)?;
    let env: &'static Environment<'static> = Box::leak(Box::new(build(settings)));
    envs.insert(settings.clone(), env);
    Ok(env)
}

/// The syntax `settings` asks for.
fn syntax(settings: &Settings) -> Result<minijinja::syntax::SyntaxConfig, minijinja::Error> {
    let [bs, be, vs, ve, cs, ce] = settings.delimiters.clone();
    minijinja::syntax::SyntaxConfig::builder()
        .block_delimiters(bs, be)
        .variable_delimiters(vs, ve)
        .comment_delimiters(cs, ce)
        .trim_blocks(settings.trim_blocks)
        .lstrip_blocks(settings.lstrip_blocks)
        .keep_trailing_newline(settings.keep_trailing_newline)
        .build()
}

fn build(settings: &Settings) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if let Ok(syntax) = syntax(settings) {
        env.set_syntax(syntax);
    }
    env.set_loader(|source: &str| Ok(Some(source.to_string())));
    env.set_formatter(super::pyrepr::format);
    // Python methods Ansible users call: d.items(), s.startswith(..), s.split(..), ...
    env.set_unknown_method_callback(super::pymethods::call);
    super::collections::register(&mut env);
    super::filters::register(&mut env);
    super::regex::register(&mut env);
    super::jinja::register(&mut env);
    super::data::register(&mut env);
    super::serialize::register(&mut env);
    super::strings::register(&mut env);
    super::pathfilters::register(&mut env);
    super::rewrite::register(&mut env);
    super::chains::register(&mut env);
    super::mutable::register(&mut env);
    super::dates::register(&mut env);
    super::predicates::register(&mut env);
    super::lookup::register(&mut env);
    super::pyplugins::register(&mut env);
    env
}

impl Cache {
    /// The compiled expression for `source`, compiling it on first use.
    pub(crate) fn expr(&self, source: &str) -> Result<Arc<Compiled>, minijinja::Error> {
        get_or_compile(&self.exprs, source, || {
            env()
                .compile_expression_owned(super::rewrite::rewrite(source, false).into_owned())
                .map(Code::Expr)
        })
    }

    /// The compiled text template for `source`, compiling it on first use.
    pub(crate) fn text(&self, source: &str) -> Result<Arc<Compiled>, minijinja::Error> {
        get_or_compile(&self.texts, source, || {
            env()
                .get_template(&super::rewrite::rewrite(source, true))
                .map(Code::Text)
        })
    }
}

fn get_or_compile(
    map: &RwLock<Map>,
    source: &str,
    compile: impl FnOnce() -> Result<Code, minijinja::Error>,
) -> Result<Arc<Compiled>, minijinja::Error> {
    // A poisoned lock still holds a consistent map: entries are inserted whole.
    let hit = match map.read() {
        Ok(m) => m.get(source).cloned(),
        Err(poisoned) => poisoned.into_inner().get(source).cloned(),
    };
    if let Some(hit) = hit {
        return Ok(hit);
    }
    let names = names(source);
    let lookups = calls_lookup(&names);
    let compiled = Arc::new(Compiled {
        code: compile()?,
        names,
        lookups,
    });
    let mut map = match map.write() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    Ok(map.entry(source.into()).or_insert(compiled).clone())
}

impl Compiled {
    /// The render context: the variables of `vars` this source names, converted to values.
    /// A source that calls a lookup also gets every variable under a hidden name.
    pub(crate) fn context(&self, vars: &Vars) -> Value {
        context(&self.names, vars, self.lookups)
    }
}

/// Whether a source naming `names` may call a lookup.
pub(crate) fn calls_lookup(names: &[Box<str>]) -> bool {
    names
        .iter()
        .any(|n| matches!(&**n, "lookup" | "query" | "q"))
}

/// A render context holding the variables of `vars` named in `names`; with `lookups`, also
/// every variable under a hidden name (a lookup may read any of them).
pub(crate) fn context(names: &[Box<str>], vars: &Vars, lookups: bool) -> Value {
    let mut map: BTreeMap<Value, Value> = names
        .iter()
        .filter_map(|n| {
            vars.get(&**n)
                .map(|v| (Value::from(&**n), Value::from(Serde(v))))
        })
        .collect();
    if lookups {
        let all = super::lookup::AllVars(vars.clone());
        map.insert(
            Value::from(super::lookup::ALL_VARS),
            Value::from_object(all),
        );
    }
    Value::from_object(map)
}

/// Every identifier in the source, once. A superset of the variables read (attribute and filter names come along and are simply not found);
/// minijinja's own undeclared-variable list misses some, e.g. under slices.
pub(crate) fn names(source: &str) -> Box<[Box<str>]> {
    static IDENT: OnceLock<Regex> = OnceLock::new();
    let re = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex"));
    let mut seen = std::collections::HashSet::new();
    re.find_iter(source)
        .map(|m| m.as_str())
        .filter(|n| seen.insert(*n))
        .map(Box::from)
        .collect()
}
