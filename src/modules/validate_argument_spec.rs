//! `validate_argument_spec`: checks variables against an argument spec (a role's
//! `meta/argument_specs.yml` entry point, which the loader turns into this task at the start of
//! the role, as Ansible does), as ansible-core's `ArgumentSpecValidator` checks a module's
//! parameters: required options, types (with its conversions), choices, list elements and
//! sub-options. The values are the task's variables named by the spec, overridden by
//! `provided_arguments`. It does not own the role's loading (`playbook/role.rs`).

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "validate_argument_spec",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("validate_argument_spec", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    argument_spec: Map<String, Json>,
    #[serde(default)]
    provided_arguments: Map<String, Json>,
    #[serde(default)]
    validate_args_context: Map<String, Json>,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let mut values = Vars::new();
    for name in args.argument_spec.keys() {
        if let Some(v) = ctx.vars.get(name) {
            let v = match ctx.templar.render_value(v, ctx.vars) {
                Ok(r) => r,
                Err(_) => v.clone(),
            };
            values.insert(name.clone(), v);
        }
    }
    values.extend(args.provided_arguments);
    let mut errors = Vec::new();
    check_options(&args.argument_spec, &values, "", &mut errors);
    let mut data = Vars::new();
    if errors.is_empty() {
        data.insert("msg".into(), "The arg spec validation passed".into());
        let context = Json::Object(args.validate_args_context);
        data.insert("validate_args_context".into(), context);
        return ModuleResult::ok(data);
    }
    let msg = format!("Validation of arguments failed:\n{}", errors.join("\n"));
    let mut r = ModuleResult::failed(msg);
    let spec = Json::Object(args.argument_spec);
    r.data.insert("argument_spec_data".into(), spec);
    let list = errors.into_iter().map(Json::from).collect();
    r.data.insert("argument_errors".into(), Json::Array(list));
    r
}

/// Checks `values` against `spec` (option name → its spec); `prefix` names a sub-option's
/// parent in messages (`found in parent`).
fn check_options(spec: &Map<String, Json>, values: &Vars, prefix: &str, errors: &mut Vec<String>) {
    let mut missing: Vec<&str> = spec
        .iter()
        .filter(|(name, s)| is_true(s.get("required")) && !values.contains_key(*name))
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        errors.push(format!(
            "missing required arguments: {}{prefix}",
            missing.join(", ")
        ));
    }
    for (name, s) in spec {
        let Some(value) = values.get(name).filter(|v| !v.is_null()) else {
            continue;
        };
        let kind = s.get("type").and_then(Json::as_str).unwrap_or("str");
        let converted = match convert(value, kind) {
            Ok(v) => v,
            Err(why) => {
                errors.push(format!(
                    "argument '{name}' is of type {} and we were unable to convert to {kind}: \
                     {why}{prefix}",
                    py_type(value)
                ));
                continue;
            }
        };
        check_choices(name, s, &converted, prefix, errors);
        check_elements(name, s, &converted, errors);
    }
}

/// `choices`: the value (each item of a list) is one of them.
fn check_choices(name: &str, s: &Json, value: &Json, prefix: &str, errors: &mut Vec<String>) {
    let Some(Json::Array(choices)) = s.get("choices") else {
        return;
    };
    let text = |v: &Json| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let shown: Vec<String> = choices.iter().map(text).collect();
    let ok = |v: &Json| shown.contains(&text(v));
    match value {
        Json::Array(items) if !items.iter().all(ok) => errors.push(format!(
            "value of {name} must be one or more of: {}. Got no match for: {}{prefix}",
            shown.join(", "),
            items
                .iter()
                .filter(|i| !ok(i))
                .map(text)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Json::Array(_) => {}
        v if !ok(v) => errors.push(format!(
            "value of {name} must be one of: {}, got: {}{prefix}",
            shown.join(", "),
            text(v)
        )),
        _ => {}
    }
}

/// `elements` of a list, and `options` of a dict or of a list's dict elements.
fn check_elements(name: &str, s: &Json, value: &Json, errors: &mut Vec<String>) {
    let parent = format!(" found in {name}");
    let options = s.get("options").and_then(Json::as_object);
    match value {
        Json::Array(items) => {
            let kind = s.get("elements").and_then(Json::as_str);
            for item in items {
                match kind.map(|k| convert(item, k)) {
                    Some(Err(why)) => errors.push(format!(
                        "Elements value for option '{name}' is of type {} and we were unable to \
                         convert to {}: {why}",
                        py_type(item),
                        kind.unwrap_or("")
                    )),
                    Some(Ok(Json::Object(sub))) => {
                        if let Some(o) = options {
                            check_options(o, &sub, &parent, errors);
                            unsupported(name, o, &sub, errors);
                        }
                    }
                    _ => {}
                }
            }
        }
        Json::Object(sub) => {
            if let Some(o) = options {
                check_options(o, sub, &parent, errors);
                unsupported(name, o, sub, errors);
            }
        }
        _ => {}
    }
}

/// Sub-options of `parent` its spec does not name, as ansible-core words them.
fn unsupported(parent: &str, spec: &Map<String, Json>, values: &Vars, errors: &mut Vec<String>) {
    let mut extra: Vec<String> = values
        .keys()
        .filter(|k| !spec.contains_key(*k))
        .map(|k| format!("{parent}.{k}"))
        .collect();
    if extra.is_empty() {
        return;
    }
    extra.sort();
    let mut names: Vec<&str> = spec.keys().map(String::as_str).collect();
    names.sort_unstable();
    errors.push(format!(
        "{}. Supported parameters include: {}.",
        extra.join(", "),
        names.join(", ")
    ));
}

/// `value` as ansible-core's type checker for `kind` converts it, or why it cannot.
fn convert(value: &Json, kind: &str) -> Result<Json, String> {
    let cannot = |what: &str| Err(format!("{} cannot be converted to {what}", py_type(value)));
    match (kind, value) {
        ("raw" | "jsonarg" | "json", v) => Ok(v.clone()),
        ("str" | "path", Json::String(_)) => Ok(value.clone()),
        ("str" | "path", Json::Array(_) | Json::Object(_)) => cannot("a str"),
        ("str" | "path", v) => Ok(Json::String(crate::template::py_repr(
            &minijinja::Value::from(minijinja::value::Serde(v)),
        ))),
        ("bool", Json::Bool(_)) => Ok(value.clone()),
        ("bool", Json::String(s)) => crate::text::ansible_bool(s)
            .map(Json::Bool)
            .ok_or_else(|| format!("The value '{s}' is not a valid boolean.")),
        ("bool", Json::Number(n)) if n.as_f64() == Some(1.0) || n.as_f64() == Some(0.0) => {
            Ok(Json::Bool(n.as_f64() == Some(1.0)))
        }
        ("int", Json::Number(n)) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        ("int", Json::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            Ok(Json::from(n.as_f64().unwrap_or(0.0) as i64))
        }
        ("int", Json::String(t)) => t.trim().parse::<i64>().map(Json::from).or(not_int(value)),
        ("float", Json::Number(_)) => Ok(value.clone()),
        ("float", Json::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Json::from)
            .or(cannot("a float")),
        ("list", Json::Array(_)) => Ok(value.clone()),
        ("list", Json::String(s)) => Ok(Json::Array(s.split(',').map(Json::from).collect())),
        ("list", Json::Number(n)) => Ok(Json::Array(vec![n.to_string().into()])),
        ("dict", Json::Object(_)) => Ok(value.clone()),
        ("dict", Json::String(s)) => match serde_json::from_str::<Json>(s) {
            Ok(v @ Json::Object(_)) => Ok(v),
            _ => cannot("a dict"),
        },
        ("bool", _) => cannot("a bool"),
        ("int", _) => not_int(value),
        ("float", _) => cannot("a float"),
        ("list", _) => cannot("a list"),
        ("dict", _) => cannot("a dict"),
        _ => Ok(value.clone()),
    }
}

/// ansible-core's words for a value that is no int: its Python `repr`, quoted.
fn not_int(value: &Json) -> Result<Json, String> {
    let shown = match value {
        Json::String(s) => crate::template::py_repr(&minijinja::Value::from(vec![s.clone()])),
        other => crate::template::py_repr(&minijinja::Value::from(minijinja::value::Serde(other))),
    };
    let shown = shown.trim_start_matches('[').trim_end_matches(']');
    Err(format!("\"{shown}\" cannot be converted to an int"))
}

/// Python's `type(value)` as a message shows it.
fn py_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "<class 'NoneType'>",
        Json::Bool(_) => "<class 'bool'>",
        Json::Number(n) if n.is_f64() => "<class 'float'>",
        Json::Number(_) => "<class 'int'>",
        Json::String(_) => "<class 'str'>",
        Json::Array(_) => "<class 'list'>",
        Json::Object(_) => "<class 'dict'>",
    }
}

fn is_true(v: Option<&Json>) -> bool {
    match v {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(s)) => crate::text::ansible_bool(s).unwrap_or(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(spec: Json, values: Json) -> Vec<String> {
        let (Json::Object(spec), Json::Object(values)) = (spec, values) else {
            unreachable!()
        };
        let mut errors = Vec::new();
        check_options(&spec, &values, "", &mut errors);
        errors
    }

    #[test]
    fn checks_as_ansibles_argument_spec_validator() {
        let spec = json!({
            "name": {"type": "str", "required": true},
            "port": {"type": "int"},
            "mode": {"choices": ["a", "b"]},
            "on": {"type": "bool"},
            "users": {"type": "list", "elements": "dict", "options": {"uid": {"type": "int", "required": true}}},
        });
        let good =
            json!({"name": "x", "port": "80", "mode": "a", "on": "yes", "users": [{"uid": 1}]});
        assert_eq!(errors(spec.clone(), good), Vec::<String>::new());
        let bad = json!({"port": "eighty", "mode": "c", "on": "maybe", "users": [{"name": 1}]});
        assert_eq!(
            errors(spec, bad),
            [
                "missing required arguments: name",
                "argument 'port' is of type <class 'str'> and we were unable to convert to int: \"'eighty'\" cannot be converted to an int",
                "value of mode must be one of: a, b, got: c",
                "argument 'on' is of type <class 'str'> and we were unable to convert to bool: The value 'maybe' is not a valid boolean.",
                "missing required arguments: uid found in users",
                "users.name. Supported parameters include: uid.",
            ]
        );
    }
}
