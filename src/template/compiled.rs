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
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_loader(|source: &str| Ok(Some(source.to_string())));
        env.set_formatter(super::pyrepr::format);
        // Python methods Ansible users call: d.items(), s.startswith(..), s.split(..), ...
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        super::collections::register(&mut env);
        super::filters::register(&mut env);
        super::predicates::register(&mut env);
        super::lookup::register(&mut env);
        env
    })
}

impl Cache {
    /// The compiled expression for `source`, compiling it on first use.
    pub(crate) fn expr(&self, source: &str) -> Result<Arc<Compiled>, minijinja::Error> {
        get_or_compile(&self.exprs, source, || {
            env()
                .compile_expression_owned(source.to_string())
                .map(Code::Expr)
        })
    }

    /// The compiled text template for `source`, compiling it on first use.
    pub(crate) fn text(&self, source: &str) -> Result<Arc<Compiled>, minijinja::Error> {
        get_or_compile(&self.texts, source, || {
            env().get_template(source).map(Code::Text)
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
    let lookups = names
        .iter()
        .any(|n| matches!(&**n, "lookup" | "query" | "q"));
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
        let mut map: BTreeMap<Value, Value> = self
            .names
            .iter()
            .filter_map(|n| {
                vars.get(&**n)
                    .map(|v| (Value::from(&**n), Value::from(Serde(v))))
            })
            .collect();
        if self.lookups {
            let all = super::lookup::AllVars(vars.clone());
            map.insert(
                Value::from(super::lookup::ALL_VARS),
                Value::from_object(all),
            );
        }
        Value::from_object(map)
    }
}

/// Every identifier in the source, once. A superset of the variables read (attribute and filter names come along and are simply not found);
/// minijinja's own undeclared-variable list misses some, e.g. under slices.
fn names(source: &str) -> Box<[Box<str>]> {
    static IDENT: OnceLock<Regex> = OnceLock::new();
    let re = IDENT.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex"));
    let mut seen = std::collections::HashSet::new();
    re.find_iter(source)
        .map(|m| m.as_str())
        .filter(|n| seen.insert(*n))
        .map(Box::from)
        .collect()
}
