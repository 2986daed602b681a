//! Filter, test and lookup plugins ferry has no native code for, run in Python on the
//! controller with ansible-core's own plugin loaders: `filter_plugins/`, `test_plugins/` and
//! `lookup_plugins/` beside the playbook and in each role (and ansible.cfg's settings), the
//! plugins of installed collections (`ns.coll.name`, with their `meta/runtime.yml` routing),
//! and ansible-core's and Jinja2's own when ferry lacks one.
//!
//! The rewrite step (`plugin_names.rs`) turns such a filter or test into a call of
//! `__pyfilter('name', ...)` or `__pytest('name', ...)`; `lookup()` comes here for a plugin
//! not in its table. Values cross as JSON (see `helper.py` for what does not cross as it is);
//! an undefined input or argument fails before any call, as the undefined variable. The
//! process is `helper.rs`.

mod helper;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use minijinja::value::{from_args, Kwargs, Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind};
use serde_json::{json, Value as Json};

use super::lookup::{Call, Fail, Found};
use super::values::{from_json, to_json};
use super::warnings;
use helper::PluginError;

/// The directories whose `*_plugins/` subdirectories hold plugins: the playbook's and each
/// role's read so far.
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Records `dir` (a playbook's or a role's directory) as one whose `filter_plugins/`,
/// `test_plugins/` and `lookup_plugins/` the plugins are looked for in, as Ansible adds them
/// for the rest of the run.
pub fn record_dir(dir: &Path) {
    let dir = match dir.as_os_str().is_empty() {
        true => Path::new("."),
        false => dir,
    };
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut dirs = DIRS.lock().unwrap_or_else(|e| e.into_inner());
    if !dirs.contains(&dir) {
        dirs.push(dir);
    }
}

fn dirs() -> Vec<PathBuf> {
    DIRS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The filter and test the rewrite step calls.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("__pyfilter", |value: Value, args: Rest<ValueOrKwargs>| {
        call("filter", &value, args).map(|v| from_json(&v))
    });
    env.add_test("__pytest", |value: Value, args: Rest<ValueOrKwargs>| {
        call("test", &value, args).map(|v| v.as_bool().unwrap_or(false))
    });
}

/// One filter or test call: `args` start with the plugin's name.
fn call(op: &str, value: &Value, args: Rest<ValueOrKwargs>) -> Result<Json, Error> {
    let values = args.into_values();
    let (name, positional, kwargs) = from_args::<(String, &[Value], Kwargs)>(&values)?;
    let mut named = serde_json::Map::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        named.insert(key.to_string(), defined(&v)?);
    }
    let positional = positional
        .iter()
        .map(defined)
        .collect::<Result<Vec<_>, _>>()?;
    let request = json!({
        "op": op, "name": name, "input": defined(value)?, "args": positional, "kwargs": named,
    });
    let answer = helper::call(request, &dirs());
    answer.warnings.into_iter().for_each(warnings::push);
    answer.result.map_err(|e| template_error(op, &name, e))
}

/// `v` as JSON; an undefined value fails as the undefined variable it is.
fn defined(v: &Value) -> Result<Json, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "a plugin was given an undefined value",
        ));
    }
    Ok(to_json(v))
}

/// A plugin's failure as the template's error, in Ansible's words.
fn template_error(op: &str, name: &str, e: PluginError) -> Error {
    let kind = match (e.kind.as_str(), op) {
        ("missing" | "unavailable", "filter") => ErrorKind::UnknownFilter,
        ("missing" | "unavailable", _) => ErrorKind::UnknownTest,
        _ => ErrorKind::InvalidOperation,
    };
    if e.kind == "ansible" {
        return super::values::filter_error(e.message);
    }
    let message = match e.kind.as_str() {
        "type" => format!("Unexpected templating type error occurred: {}", e.message),
        "unavailable" => format!("Could not load \"{name}\": '{name}' ({})", e.message),
        _ => e.message,
    };
    Error::new(kind, message)
}

/// Runs lookup plugin `name` in Python: `run(terms, variables, **kwargs)` with every variable
/// of the render, as Ansible calls it.
pub(crate) fn lookup(name: &str, call: &Call) -> Found {
    let mut variables = call.scope.vars().clone();
    if !variables.contains_key("ansible_search_path") {
        let path: Vec<Json> = search_path(call).into_iter().map(Json::from).collect();
        variables.insert("ansible_search_path".into(), Json::Array(path));
    }
    let request = json!({
        "op": "lookup", "name": name, "args": call.terms, "kwargs": call.opts,
        "variables": variables,
    });
    let answer = helper::call(request, &dirs());
    answer.warnings.into_iter().for_each(warnings::push);
    match answer.result {
        Ok(Json::Array(items)) => Ok(items),
        Ok(other) => Ok(vec![other]),
        Err(e) if e.kind == "soft" => Err(Fail::Soft(e.message)),
        Err(e) if e.kind == "unavailable" => Err(Fail::Hard(format!(
            "lookup plugin ({name}) not found ({})",
            e.message
        ))),
        Err(e) => Err(Fail::Hard(e.message)),
    }
}

/// Whether a Python lookup plugin called `name` is on the controller (what a `with_<name>` loop
/// may name): a `lookup_plugins/<name>.py` of the playbook, a role read so far or ansible.cfg's
/// `lookup_plugins`, or an installed collection's `plugins/lookup/<name>.py` for `ns.coll.name`.
pub fn has_lookup(name: &str) -> bool {
    let file = format!("{}.py", name.rsplit('.').next().unwrap_or(name));
    let parts: Vec<&str> = name.split('.').collect();
    if let [namespace, collection, _] = parts[..] {
        return crate::collections::located::roots().iter().any(|root| {
            let dir = root
                .join("ansible_collections")
                .join(namespace)
                .join(collection);
            dir.join("plugins/lookup").join(&file).is_file()
        });
    }
    let configured = crate::config::Config::global().list("DEFAULT_LOOKUP_PLUGIN_PATH");
    let dirs = dirs().into_iter().map(|d| d.join("lookup_plugins"));
    let mut all = dirs.chain(configured.iter().map(PathBuf::from));
    parts.len() == 1 && all.any(|d| d.join(&file).is_file())
}

/// What Ansible gives a task as `ansible_search_path`: its role's directory, then the
/// playbook's.
fn search_path(call: &Call) -> Vec<String> {
    let vars = call.scope.vars();
    ["role_path", "playbook_dir"]
        .iter()
        .filter_map(|k| vars.get(*k).and_then(Json::as_str).map(str::to_string))
        .collect()
}
