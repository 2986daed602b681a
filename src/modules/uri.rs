//! `uri`: an HTTP request made from the host (as Ansible runs it there), with `curl`; fails
//! unless the status is one of `status_code`. Used as the health gate after a deploy.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::{
    argnames, de_bool, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "uri",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("uri", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    url: String,
    #[serde(default = "get")]
    method: String,
    body: Option<Json>,
    #[serde(default = "raw")]
    body_format: String,
    #[serde(default)]
    headers: Vars,
    status_code: Option<Json>,
    #[serde(default, deserialize_with = "de_bool")]
    return_content: bool,
    #[serde(default = "thirty", deserialize_with = "de_u64")]
    timeout: u64,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    /// `safe` (the default: follow for GET and HEAD), `all`/`yes`, `none`/`no`, `urllib2`.
    follow_redirects: Option<Json>,
}

fn get() -> String {
    "GET".into()
}
fn raw() -> String {
    "raw".into()
}
fn thirty() -> u64 {
    30
}
/// Whether curl follows redirects, as Ansible's `follow_redirects` says for `method`.
fn follows(value: Option<&Json>, method: &str) -> Result<bool, ModuleResult> {
    let text = match value {
        None => "safe".to_string(),
        Some(Json::Bool(b)) => return Ok(*b),
        Some(Json::String(s)) => s.to_ascii_lowercase(),
        Some(other) => other.to_string(),
    };
    let safe = matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
    match text.as_str() {
        "all" | "yes" | "true" => Ok(true),
        "none" | "no" | "false" => Ok(false),
        "safe" | "urllib2" => Ok(safe),
        other => Err(ModuleResult::failed(format!(
            "follow_redirects must be one of all, safe, none, urllib2, yes, no; got '{other}'"
        ))),
    }
}

const MARK: &str = "__ferry_http_status__";

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let cmd = curl_command(&args)?;
    let out = ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    Ok(result(&args, &out))
}

/// The one `curl` line: method, timeout, TLS check, redirects, headers, body, URL.
fn curl_command(args: &Args) -> Result<String, ModuleResult> {
    let mut cmd = format!(
        "curl -sS -X {} --max-time {} -w '\\n{MARK}%{{http_code}}'",
        quote(&args.method.to_uppercase()),
        args.timeout
    );
    if !args.validate_certs {
        cmd.push_str(" -k");
    }
    if follows(args.follow_redirects.as_ref(), &args.method)? {
        cmd.push_str(" -L");
    }
    let mut headers = args.headers.clone();
    let body = match (&args.body, args.body_format.as_str()) {
        (None, _) => None,
        (Some(b), "json") => {
            headers
                .entry("Content-Type")
                .or_insert("application/json".into());
            Some(match b {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
        }
        (Some(Json::String(s)), _) => Some(s.clone()),
        (Some(other), _) => Some(other.to_string()),
    };
    for (k, v) in &headers {
        let v = v
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string());
        let _ = write!(cmd, " -H {}", quote(&format!("{k}: {v}")));
    }
    if let Some(b) = &body {
        let _ = write!(cmd, " --data-binary {}", quote(b));
    }
    let _ = write!(cmd, " {}", quote(&args.url));
    Ok(cmd)
}

/// Ansible's result: status, content (and json), failed unless the status is allowed.
fn result(args: &Args, out: &crate::connection::ExecOutput) -> ModuleResult {
    let (content, status) = match out.stdout.rsplit_once(MARK) {
        Some((c, s)) => (
            c.strip_suffix('\n').unwrap_or(c).to_string(),
            s.trim().parse::<u16>().unwrap_or(0),
        ),
        None => (String::new(), 0),
    };
    let allowed: Vec<u16> = match &args.status_code {
        None => vec![200],
        Some(Json::Array(items)) => items.iter().filter_map(code).collect(),
        Some(one) => code(one).into_iter().collect(),
    };
    let mut data = Vars::new();
    data.insert("status".into(), status.into());
    data.insert("url".into(), args.url.clone().into());
    if args.return_content {
        if let Ok(json) = serde_json::from_str::<Json>(&content) {
            data.insert("json".into(), json);
        }
        data.insert("content".into(), content.into());
    }
    let failure = if status == 0 {
        Some(format!(
            "Status code was -1 and not {allowed:?}: Request failed: {}",
            out.stderr.trim()
        ))
    } else if !allowed.contains(&status) {
        Some(format!(
            "Status code was {status} and not {allowed:?}: HTTP Error {status}"
        ))
    } else {
        None
    };
    if let Some(msg) = failure {
        let mut r = ModuleResult::failed(msg);
        r.data.extend(data);
        return r;
    }
    data.insert("msg".into(), format!("OK ({} bytes)", 0).into());
    ModuleResult::ok(data)
}

fn code(v: &Json) -> Option<u16> {
    match v {
        Json::Number(n) => n.as_u64().map(|n| n as u16),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
