//! `setup`: gathers facts (see `facts/`) with `gather_subset`, `gather_timeout`, `filter`
//! and `fact_path`, and returns them as `ansible_facts`. `TASK [Gathering Facts]` runs the
//! same gathering (`executor/facts.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::facts::{Gathering, Options};
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "setup",
    path_args: &["fact_path"],
    args: Some(arg_names),
    run: |ctx, args| Box::pin(typed("setup", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(default, deserialize_with = "de_words")]
    gather_subset: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::modules::de_opt_u64")]
    gather_timeout: Option<u64>,
    #[serde(default, deserialize_with = "de_words")]
    filter: Option<Vec<String>>,
    #[serde(default)]
    fact_path: Option<String>,
}

impl Args {
    /// The gathering these arguments ask for.
    pub(crate) fn options(self) -> Options {
        let d = Options::default();
        Options {
            subset: self.gather_subset.unwrap_or(d.subset),
            timeout: self.gather_timeout.unwrap_or(d.timeout),
            filter: self.filter.unwrap_or(d.filter),
            fact_path: self
                .fact_path
                .map(|p| crate::paths::expand_tilde(&p))
                .unwrap_or(d.fact_path),
        }
    }
}

/// A list of words, or one string of comma-separated words (Ansible's `type='list'`).
fn de_words<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Json::deserialize(d)?;
    let word = |v: &Json| match v {
        Json::String(s) => Ok(s.trim().to_string()),
        Json::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a list of strings, found {other}"
        ))),
    };
    match &v {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s.split(',').map(|w| w.trim().to_string()).collect())),
        Json::Array(items) => items.iter().map(word).collect::<Result<_, _>>().map(Some),
        other => Err(serde::de::Error::custom(format!(
            "expected a list of strings, found {other}"
        ))),
    }
}

/// The argument names `setup` (and `gather_facts`) take.
pub(crate) fn arg_names() -> Vec<&'static str> {
    argnames::of::<Args>().to_vec()
}

pub(crate) async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let opts = args.options();
    let python = ctx.vars.get("ansible_python_interpreter");
    let gathering = Gathering::new(&opts, python).map_err(ModuleResult::failed)?;
    let out = ctx
        .exec(&gathering.script)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    let gathered = gathering.read(&out).map_err(ModuleResult::failed)?;
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), Json::Object(gathered));
    Ok(ModuleResult::ok(data))
}
