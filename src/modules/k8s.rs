//! `k8s` (as kubernetes.core names it): `kubectl apply`/`delete` of a file on the host or an
//! inline definition, with `changed` read from kubectl's per-object result (created/configured
//! → changed, unchanged → ok), server dry-run under `--check`, `kubectl diff` under `--diff`,
//! and `wait` on rollouts.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::{self, run};
use crate::modules::{
    argnames, de_bool, de_u64, refuse_flag, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "k8s",
    check: Some(check),
    collection: "kubernetes.core",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("k8s", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(default = "present")]
    state: String,
    src: Option<String>,
    definition: Option<Json>,
    namespace: Option<String>,
    /// ferry always applies (`kubectl apply`): `true` is what it does; `false` is refused.
    #[serde(default, deserialize_with = "de_bool")]
    #[allow(dead_code)]
    apply: bool,
    #[serde(default, deserialize_with = "de_bool")]
    wait: bool,
    #[serde(default = "timeout", deserialize_with = "de_u64")]
    wait_timeout: u64,
    kubeconfig: Option<String>,
    context: Option<String>,
}

fn present() -> String {
    "present".into()
}

fn timeout() -> u64 {
    120
}

/// ferry creates and updates objects with `kubectl apply`.
fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_flag(
        args,
        "k8s",
        "apply",
        false,
        "ferry always uses 'kubectl apply'; remove 'apply: false' or set it to true",
    )
}

async fn run_module(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    match converge(ctx, &args).await {
        Ok(r) | Err(r) => r,
    }
}

async fn converge(ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModuleResult, ModuleResult> {
    let mut kubectl = String::from("kubectl");
    if let Some(k) = &args.kubeconfig {
        let _ = write!(kubectl, " --kubeconfig {}", quote(k));
    }
    if let Some(c) = &args.context {
        let _ = write!(kubectl, " --context {}", quote(c));
    }
    if let Some(n) = &args.namespace {
        let _ = write!(kubectl, " -n {}", quote(n));
    }
    let (file, temp) = match (&args.src, &args.definition) {
        (Some(src), None) => (src.clone(), false),
        (None, Some(def)) => {
            let text = match def {
                Json::String(s) => s.clone(),
                other => serde_json::to_string_pretty(other).unwrap_or_default(),
            };
            let path = format!("/tmp/.ferry-k8s-{:016x}.yml", rand::random::<u64>());
            host::write(ctx, &path, text.as_bytes()).await?;
            (path, true)
        }
        _ => {
            return Err(ModuleResult::failed(
                "exactly one of src and definition is required",
            ))
        }
    };
    let f = quote(&file);
    let outcome = apply_or_delete(ctx, args, &kubectl, &f).await;
    if temp {
        let _ = run(ctx, &format!("rm -f -- {f}")).await;
    }
    outcome
}

async fn apply_or_delete(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    kubectl: &str,
    f: &str,
) -> Result<ModuleResult, ModuleResult> {
    let mut data = Vars::new();
    if ctx.diff_mode() {
        let out = ctx.exec(&format!("{kubectl} diff -f {f}")).await;
        if let Ok(o) = out {
            if !o.stdout.trim().is_empty() {
                data.insert("diff".into(), o.stdout.into());
            }
        }
    }
    let cmd = match (args.state.as_str(), ctx.check_mode) {
        ("absent", false) => format!("{kubectl} delete -f {f} --ignore-not-found"),
        ("absent", true) => format!("{kubectl} delete -f {f} --ignore-not-found --dry-run=server"),
        ("present", false) => format!("{kubectl} apply -f {f}"),
        ("present", true) => format!("{kubectl} apply -f {f} --dry-run=server"),
        (other, _) => {
            return Err(ModuleResult::failed(format!(
                "state must be present or absent, got: {other}"
            )))
        }
    };
    let out = run(ctx, &cmd).await?;
    let objects: Vec<(String, String)> = out.lines().filter_map(parse_line).collect();
    let changed = objects
        .iter()
        .any(|(_, verb)| matches!(verb.as_str(), "created" | "configured" | "deleted"));
    if args.wait && args.state == "present" && !ctx.check_mode {
        for (obj, _) in &objects {
            let kind = obj.split('/').next().unwrap_or("");
            if ["deployment", "statefulset", "daemonset"]
                .iter()
                .any(|k| kind.starts_with(k))
            {
                run(
                    ctx,
                    &format!(
                        "{kubectl} rollout status {} --timeout={}s",
                        quote(obj),
                        args.wait_timeout
                    ),
                )
                .await?;
            }
        }
    }
    let results: Vec<Json> = objects
        .into_iter()
        .map(|(o, v)| serde_json::json!({"object": o, "result": v}))
        .collect();
    data.insert("result".into(), Json::Array(results));
    data.insert("stdout".into(), out.trim_end().to_string().into());
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

/// `deployment.apps/web configured` → ("deployment.apps/web", "configured");
/// `deployment.apps "web" deleted` → ("deployment.apps/web", "deleted").
fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line
        .trim()
        .trim_end_matches(" (server dry run)")
        .trim_end_matches(" (dry run)");
    let (obj, verb) = line.rsplit_once(' ')?;
    let obj = match obj.split_once(" \"") {
        Some((kind, name)) => format!("{kind}/{}", name.trim_end_matches('"')),
        None => obj.to_string(),
    };
    obj.contains('/').then(|| (obj, verb.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_lines() {
        for (line, want) in [
            (
                "deployment.apps/web created",
                Some(("deployment.apps/web", "created")),
            ),
            ("service/web unchanged", Some(("service/web", "unchanged"))),
            (
                "deployment.apps \"web\" deleted",
                Some(("deployment.apps/web", "deleted")),
            ),
            (
                "deployment.apps/web configured (server dry run)",
                Some(("deployment.apps/web", "configured")),
            ),
            ("Warning: something", None),
        ] {
            let got = parse_line(line);
            assert_eq!(
                got.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                want,
                "{line}"
            );
        }
    }
}
