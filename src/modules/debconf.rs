//! `debconf`: one debconf answer of a package, read with `debconf-show` (passwords with
//! `debconf-get-selections`) and set with `debconf-set-selections` only when it differs, as
//! ansible.builtin.debconf does; without a question, the package's answers.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::run;
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "debconf",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("debconf", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

const VTYPES: &[&str] = &[
    "boolean",
    "error",
    "multiselect",
    "note",
    "password",
    "seen",
    "select",
    "string",
    "text",
    "title",
];

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "pkg")]
    name: String,
    #[serde(alias = "selection", alias = "setting")]
    question: Option<String>,
    vtype: Option<String>,
    #[serde(alias = "answer")]
    value: Option<Json>,
    #[serde(default, deserialize_with = "de_bool")]
    unseen: bool,
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "debconf", &["vtype"], VTYPES)
}

/// A value as Python's `str()` writes it.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Null => "None".into(),
        other => other.to_string(),
    }
}

async fn run_module(ctx: &ModuleCtx<'_>, a: Args) -> Outcome {
    let shown = run(ctx, &format!("debconf-show {}", quote(&a.name))).await?;
    let mut prev = Vars::new();
    for line in shown.lines() {
        if let Some((k, v)) = line.split_once(':') {
            prev.insert(k.trim_matches('*').trim().to_string(), v.trim().into());
        }
    }
    let Some(question) = a.question.clone() else {
        return Ok(unchanged(prev));
    };
    let (Some(vtype), Some(value)) = (a.vtype.clone(), a.value.clone()) else {
        let msg = "when supplying a question you must supply a valid vtype and value";
        return Err(ModuleResult::failed(msg));
    };
    let mut value = match vtype.as_str() {
        "boolean" => Json::String(text(&value).to_lowercase()),
        _ => value,
    };
    let changed = match prev.get(&question) {
        None => true,
        Some(existing) => {
            let existing = existing.as_str().unwrap_or("").to_string();
            let existing = match (vtype.as_str(), &mut value) {
                ("boolean", _) => Json::String(existing.to_lowercase()),
                ("password", _) => Json::String(password(ctx, &a.name, &question).await?),
                ("multiselect", Json::Array(items)) => {
                    items.sort_by_key(text);
                    let mut parts: Vec<String> =
                        existing.split(',').map(|p| p.trim().to_string()).collect();
                    parts.sort();
                    json!(parts)
                }
                _ => Json::String(existing),
            };
            value != existing
        }
    };
    if !changed {
        return Ok(unchanged(prev));
    }
    let mut msg = String::new();
    if let (Json::Array(items), "multiselect") = (&value, vtype.as_str()) {
        value = Json::String(items.iter().map(text).collect::<Vec<_>>().join(", "));
    }
    if !ctx.check_mode {
        let line = format!("{} {question} {vtype} {}", a.name, text(&value));
        let unseen = if a.unseen { " -u" } else { "" };
        let out = ctx
            .exec_stdin(&format!("debconf-set-selections{unseen}"), line.as_bytes())
            .await
            .map_err(|e| ModuleResult::unreachable(&e))?;
        if out.rc != 0 {
            return Err(ModuleResult::failed(out.stderr));
        }
        msg = out.stdout;
    }
    // As Ansible: the one previous answer, or every answer (and the new question, empty).
    let previous = match prev.get(&question) {
        Some(v) => json!({ question.clone(): v }),
        None => {
            let mut all = prev;
            all.insert(question.clone(), "".into());
            Json::Object(all)
        }
    };
    let current = json!({ question.clone(): value });
    let mut after = previous.clone();
    after[question.as_str()] = current[question.as_str()].clone();
    let mut data = Vars::new();
    data.insert("msg".into(), msg.into());
    data.insert("current".into(), current.clone());
    data.insert("previous".into(), previous.clone());
    let diff = match ctx.diff {
        true => json!({"before": previous, "after": after}),
        false => json!({}),
    };
    data.insert("diff".into(), diff);
    Ok(ModuleResult {
        changed: true,
        ..ModuleResult::ok(data)
    })
}

fn unchanged(prev: Vars) -> ModuleResult {
    let mut data = Vars::new();
    data.insert("msg".into(), "".into());
    data.insert("current".into(), Json::Object(prev));
    ModuleResult::ok(data)
}

/// A password answer, which `debconf-show` hides.
async fn password(ctx: &ModuleCtx<'_>, pkg: &str, question: &str) -> Result<String, ModuleResult> {
    let out = run(ctx, "debconf-get-selections").await?;
    for line in out.lines().filter(|l| l.starts_with(pkg)) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() <= 3 {
            return Ok(String::new());
        }
        if fields[1] == question && fields[2] == "password" {
            return Ok(fields[3].to_string());
        }
    }
    Ok(String::new())
}
