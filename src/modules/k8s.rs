//! `k8s` (as kubernetes.core names it): `kubectl apply`/`delete` of a file on the host or an
//! inline definition, with `changed` read from kubectl's per-object result (created/configured
//! → changed, unchanged → ok), server dry-run under `--check`, `kubectl diff` under `--diff`,
//! and `wait` on rollouts.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::{self, run};
use crate::modules::k8s_cli::{self, Conn, Ident};
use crate::modules::{
    argnames, de_bool, de_u64, refuse_flag, typed_parts, ArgProblem, ModuleCtx, ModuleResult,
    ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "k8s",
    check: Some(check),
    collection: "kubernetes.core",
    groups: &["kubernetes.core.k8s"],
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Conn>(), REFUSED].concat()),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "k8s",
            args,
            |a, conn| Args { conn, ..a },
            move |a| run_module(ctx, a),
        ))
    },
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(default = "present")]
    state: String,
    src: Option<String>,
    #[serde(alias = "resource_definition")]
    definition: Option<Json>,
    /// A controller template (a path, or `{path, ...}`) rendered into the definition.
    template: Option<Json>,
    namespace: Option<String>,
    #[serde(default = "v1", alias = "api", alias = "version")]
    api_version: String,
    kind: Option<String>,
    name: Option<String>,
    /// ferry applies (`kubectl apply`) unless `merge_type` asks for patches; `false` alone
    /// is refused.
    #[serde(default, deserialize_with = "de_bool")]
    #[allow(dead_code)]
    apply: bool,
    /// Patch existing objects with these merge types, in order (`json`, `merge`,
    /// `strategic-merge`); create missing ones.
    merge_type: Option<Json>,
    /// Replace existing objects (`kubectl replace`).
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    wait: bool,
    #[serde(default = "timeout", deserialize_with = "de_u64")]
    wait_timeout: u64,
    wait_condition: Option<WaitCondition>,
    /// kubectl watches instead of polling.
    #[allow(dead_code)]
    wait_sleep: Option<Json>,
    #[serde(default)]
    label_selectors: Vec<String>,
    #[serde(default, alias = "all", deserialize_with = "de_bool")]
    delete_all: bool,
    delete_options: Option<Vars>,
    validate: Option<Vars>,
    server_side_apply: Option<Vars>,
    generate_name: Option<String>,
    /// kubectl stops at an object it cannot apply and reports the others it did.
    #[allow(dead_code)]
    continue_on_error: Option<Json>,
    /// The result holds object names only, never their fields.
    #[allow(dead_code)]
    hidden_fields: Option<Json>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    conn: Conn,
}

/// `wait_condition`: a condition type, its status and (optionally) reason.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitCondition {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "true_text")]
    status: String,
    reason: Option<String>,
}

fn true_text() -> String {
    "True".into()
}

fn v1() -> String {
    "v1".into()
}

fn present() -> String {
    "present".into()
}

fn timeout() -> u64 {
    120
}

/// Arguments ferry knows but refuses at load (see [`check`]).
const REFUSED: &[&str] = &["append_hash", "proxy_headers"];

/// ferry creates and updates objects with `kubectl apply` (or patches with `merge_type`).
fn check(args: &Vars) -> Result<(), ArgProblem> {
    if let Some(name) = REFUSED.iter().find(|n| args.contains_key(**n)) {
        let hint = match *name {
            "append_hash" => "kubectl cannot name a ConfigMap or Secret after its content's hash; use kustomize's configMapGenerator in a command task",
            _ => "kubectl takes no proxy headers; put them in the proxy's configuration",
        };
        return Err(ArgProblem {
            message: format!("argument '{name}' of module 'k8s' is not supported by ferry"),
            hint: hint.into(),
        });
    }
    if args.contains_key("merge_type") {
        return Ok(());
    }
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
    let mut kubectl = args.conn.kubectl();
    if let Some(n) = &args.namespace {
        let _ = write!(kubectl, " -n {}", quote(n));
    }
    let id = Ident {
        api_version: &args.api_version,
        kind: args.kind.as_deref(),
        name: args.name.as_deref(),
        namespace: args.namespace.as_deref(),
    };
    let by_name = args.src.is_none() && args.definition.is_none() && args.template.is_none();
    if by_name && args.state == "absent" {
        return delete_by_name(ctx, args, &kubectl, &id).await;
    }
    let text = match (&args.src, definition(ctx, args, &id)?) {
        (Some(_), None) => None,
        (None, Some(text)) => Some(text),
        _ => {
            return Err(ModuleResult::failed(
                "exactly one of src, definition (resource_definition), template, or kind and name is required",
            ))
        }
    };
    let file = match &text {
        Some(text) => {
            let path = format!("/tmp/.ferry-k8s-{:016x}.yml", rand::random::<u64>());
            host::write(ctx, &path, text.as_bytes()).await?;
            path
        }
        None => args.src.clone().unwrap_or_default(),
    };
    let f = quote(&file);
    let outcome = run_kubectl(ctx, args, &kubectl, &format!("-f {f}")).await;
    if text.is_some() {
        let _ = run(ctx, &format!("rm -f -- {f}")).await;
    }
    outcome
}

/// The definition text: `definition` (filled from the task), a rendered `template`, or the
/// bare object `kind`/`name` name; `None` for `src`.
fn definition(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    id: &Ident<'_>,
) -> Result<Option<String>, ModuleResult> {
    let mut def = match (&args.definition, &args.template) {
        (Some(Json::String(s)), None) => return Ok(Some(s.clone())),
        (Some(def), None) => def.clone(),
        (None, Some(t)) => return render_template(ctx, t).map(Some),
        (None, None) if args.src.is_none() => match k8s_cli::bare(id) {
            Some(def) => def,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    k8s_cli::fill(&mut def, id);
    if let (Some(prefix), Json::Object(obj)) = (&args.generate_name, &mut def) {
        if let Some(Json::Object(meta)) = obj.get_mut("metadata") {
            meta.remove("name");
            meta.insert("generateName".into(), prefix.clone().into());
        }
    }
    Ok(Some(match def {
        Json::Array(items) => items
            .iter()
            .map(|d| serde_json::to_string_pretty(d).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n"),
        one => serde_json::to_string_pretty(&one).unwrap_or_default(),
    }))
}

/// `template`: a controller template (`path` or `{path: ...}`) rendered with the host's vars.
fn render_template(ctx: &ModuleCtx<'_>, t: &Json) -> Result<String, ModuleResult> {
    let src = match t {
        Json::String(s) => s.as_str(),
        other => other.get("path").and_then(Json::as_str).unwrap_or(""),
    };
    let Some(path) = crate::modules::host::put::find_local(ctx, src, "templates") else {
        return Err(ModuleResult::failed(format!(
            "Could not find or access '{src}'"
        )));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ModuleResult::failed(format!("cannot read {}: {e}", path.display())))?;
    ctx.templar
        .render_file(&text, ctx.vars, &Default::default())
        .map_err(|e| ModuleResult::failed(format!("template error in {}: {e}", path.display())))
}

/// `state: absent` with `kind` and `name` (or `label_selectors`, `delete_all`).
async fn delete_by_name(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    kubectl: &str,
    id: &Ident<'_>,
) -> Result<ModuleResult, ModuleResult> {
    let Some(kind) = id.kind else {
        return Err(ModuleResult::failed(
            "kind is required to delete without a definition",
        ));
    };
    let mut target = quote(&k8s_cli::resource(kind, id.api_version));
    match (id.name, args.label_selectors.is_empty(), args.delete_all) {
        (Some(name), _, _) => {
            let _ = write!(target, " {}", quote(name));
        }
        (None, false, _) => {
            let _ = write!(target, " -l {}", quote(&args.label_selectors.join(",")));
        }
        (None, true, true) => target.push_str(" --all"),
        (None, true, false) => {
            return Err(ModuleResult::failed(
                "name, label_selectors or delete_all is required",
            ))
        }
    }
    run_kubectl(ctx, args, kubectl, &target).await
}

/// The kubectl command for the task's state on `target` (`-f FILE` or `KIND NAME`).
fn command(
    args: &Args,
    kubectl: &str,
    target: &str,
    check_mode: bool,
) -> Result<String, ModuleResult> {
    let dry = if check_mode { " --dry-run=server" } else { "" };
    let file = target.strip_prefix("-f ").unwrap_or(target);
    let cmd = match args.state.as_str() {
        "absent" => format!(
            "{kubectl} delete {target} --ignore-not-found{}{dry}",
            delete_flags(args.delete_options.as_ref())
        ),
        "patched" | "present" if args.merge_type.is_some() || args.state == "patched" => {
            patch_script(args, kubectl, file, dry)
        }
        "present" if args.generate_name.is_some() => format!("{kubectl} create {target}{dry}"),
        "present" if args.force => format!(
            "if {kubectl} get {target} -o name >/dev/null 2>&1; then {kubectl} replace {target}{dry}; \
             else {kubectl} create {target}{dry}; fi"
        ),
        "present" => format!("{kubectl} apply {target}{}{dry}", apply_flags(args)),
        other => {
            return Err(ModuleResult::failed(format!(
                "state must be present, absent or patched, got: {other}"
            )))
        }
    };
    Ok(cmd)
}

/// Patches with each merge type in turn until one is accepted; creates a missing object
/// (`state: present`) or leaves it missing (`patched`).
fn patch_script(args: &Args, kubectl: &str, file: &str, dry: &str) -> String {
    let types: Vec<String> = match &args.merge_type {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .map(String::from)
            .collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => vec!["strategic-merge".into(), "merge".into()],
    };
    let tries: Vec<String> = types
        .iter()
        .map(|t| {
            let t = if t == "strategic-merge" {
                "strategic"
            } else {
                t.as_str()
            };
            format!(
                "{kubectl} patch -f {file} --type {} --patch-file {file}{dry}",
                quote(t)
            )
        })
        .collect();
    let missing = if args.state == "patched" {
        ":".to_string()
    } else {
        format!("{kubectl} create -f {file}{dry}")
    };
    format!(
        "if {kubectl} get -f {file} -o name >/dev/null 2>&1; then {}; else {missing}; fi",
        tries.join(" || ")
    )
}

/// `validate` and `server_side_apply` as `kubectl apply` flags.
fn apply_flags(args: &Args) -> String {
    let mut flags = String::new();
    if let Some(v) = &args.validate {
        let on = |k: &str| v.get(k).and_then(Json::as_bool);
        let mode = match (on("fail_on_error"), on("strict")) {
            (Some(false), _) => "false",
            (_, Some(true)) => "strict",
            _ => "true",
        };
        let _ = write!(flags, " --validate={mode}");
    }
    if let Some(ssa) = &args.server_side_apply {
        flags.push_str(" --server-side");
        if let Some(m) = ssa.get("field_manager").and_then(Json::as_str) {
            let _ = write!(flags, " --field-manager {}", quote(m));
        }
        if ssa.get("force_conflicts").and_then(Json::as_bool) == Some(true) {
            flags.push_str(" --force-conflicts");
        }
    }
    flags
}

/// `delete_options` as `kubectl delete` flags.
fn delete_flags(options: Option<&Vars>) -> String {
    let mut flags = String::new();
    let Some(o) = options else { return flags };
    if let Some(p) = o.get("propagationPolicy").and_then(Json::as_str) {
        let _ = write!(flags, " --cascade={}", quote(&p.to_lowercase()));
    }
    if let Some(g) = o.get("gracePeriodSeconds").and_then(Json::as_u64) {
        let _ = write!(flags, " --grace-period={g}");
    }
    flags
}

/// Runs the state's kubectl command on `target`, waits as asked, and reports per object.
async fn run_kubectl(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    kubectl: &str,
    target: &str,
) -> Result<ModuleResult, ModuleResult> {
    let mut data = Vars::new();
    if ctx.diff_mode() && args.state != "absent" {
        let out = ctx.exec(&format!("{kubectl} diff {target}")).await;
        if let Ok(o) = out {
            if !o.stdout.trim().is_empty() {
                // kubernetes.core.k8s registers the objects before and after; ferry has
                // `kubectl diff`'s text, kept as a prepared diff.
                let diff = serde_json::json!({ "prepared": o.stdout });
                data.insert("diff".into(), diff);
            }
        }
    }
    let out = run(ctx, &command(args, kubectl, target, ctx.check_mode)?).await?;
    let objects: Vec<(String, String)> = out.lines().filter_map(parse_line).collect();
    let changed = objects.iter().any(|(_, verb)| {
        matches!(
            verb.as_str(),
            "created" | "configured" | "deleted" | "patched" | "replaced" | "serverside-applied"
        )
    });
    if args.state != "absent" && !ctx.check_mode {
        wait_for_objects(ctx, args, kubectl, &objects).await?;
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

/// `wait`: rollouts finish; `wait_condition`: each object has the condition (and reason).
async fn wait_for_objects(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    kubectl: &str,
    objects: &[(String, String)],
) -> Result<(), ModuleResult> {
    let timeout = args.wait_timeout;
    for (obj, _) in objects {
        let o = quote(obj);
        if let Some(c) = &args.wait_condition {
            let cond = format!("condition={}={}", c.kind, c.status);
            run(
                ctx,
                &format!(
                    "{kubectl} wait {o} --for={} --timeout={timeout}s",
                    quote(&cond)
                ),
            )
            .await?;
            if let Some(reason) = &c.reason {
                let path = format!(
                    "jsonpath={{.status.conditions[?(@.type==\"{}\")].reason}}={reason}",
                    c.kind
                );
                run(
                    ctx,
                    &format!(
                        "{kubectl} wait {o} --for={} --timeout={timeout}s",
                        quote(&path)
                    ),
                )
                .await?;
            }
            continue;
        }
        let kind = obj.split('/').next().unwrap_or("");
        let rollout = ["deployment", "statefulset", "daemonset"]
            .iter()
            .any(|k| kind.starts_with(k));
        if args.wait && rollout {
            run(
                ctx,
                &format!("{kubectl} rollout status {o} --timeout={timeout}s"),
            )
            .await?;
        }
    }
    Ok(())
}

/// `deployment.apps/web configured` → ("deployment.apps/web", "configured");
/// `deployment.apps "web" deleted` → ("deployment.apps/web", "deleted").
fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line
        .trim()
        .trim_end_matches(" (server dry run)")
        .trim_end_matches(" (dry run)");
    let unchanged = line.strip_suffix(" patched (no change)");
    let line = &unchanged.map_or(line.to_string(), |l| format!("{l} unchanged"));
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
