//! `uri`: an HTTP request made from the host (as Ansible runs it there), with `curl`; fails
//! unless the status is one of `status_code`. Used as the health gate after a deploy.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::Attrs;
use crate::modules::{de_bool, de_u64, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "uri",
    path_args: &["dest", "creates", "removes", "unix_socket", "ca_path"],
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("uri", args, move |a| run(ctx, a))),
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
    #[serde(alias = "user")]
    url_username: Option<String>,
    #[serde(alias = "password")]
    url_password: Option<String>,
    /// curl sends the credentials with the first request either way.
    #[serde(default, deserialize_with = "de_bool")]
    #[allow(dead_code)]
    force_basic_auth: bool,
    #[serde(default = "agent")]
    http_agent: String,
    ca_path: Option<String>,
    client_cert: Option<String>,
    client_key: Option<String>,
    ciphers: Option<Json>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    use_proxy: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    use_netrc: bool,
    #[serde(default, deserialize_with = "de_bool")]
    use_gssapi: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    decompress: bool,
    unix_socket: Option<String>,
    /// Headers not sent again after a redirect (see [`check_unredirected`]).
    #[serde(default)]
    unredirected_headers: Vec<String>,
    /// A path on the host: the request is not made when it exists.
    creates: Option<String>,
    /// A path on the host: the request is not made when it does not exist.
    removes: Option<String>,
    /// Where on the host the response body is saved.
    dest: Option<String>,
    /// With `dest` (false): send If-Modified-Since with the file's time.
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    /// A file whose content is the body (on the controller, or the host with `remote_src`).
    src: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    remote_src: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

fn agent() -> String {
    "ansible-httpget".into()
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
    if let Some(skipped) = super::uri_dest::guard(ctx, &args.creates, &args.removes).await? {
        return Ok(skipped);
    }
    let follow = follows(args.follow_redirects.as_ref(), &args.method)?;
    if follow && !args.unredirected_headers.is_empty() {
        return Err(ModuleResult::failed(
            "unredirected_headers with redirects followed is not supported by ferry (curl resends \
             headers on a redirect); set follow_redirects: none and request the new location",
        ));
    }
    let saved = match &args.dest {
        Some(dest) => Some(super::uri_dest::Saved::new(ctx, dest, &args.url).await?),
        None => None,
    };
    let mut cmd = curl_command(&args, follow)?;
    if let Some(saved) = &saved {
        cmd.push_str(&saved.curl_flags(args.force));
    }
    let out = match (&args.src, args.remote_src) {
        (Some(src), false) => {
            let Some(path) = crate::modules::host::put::find_local(ctx, src, "files") else {
                return Err(ModuleResult::failed(format!(
                    "Could not find or access '{src}'"
                )));
            };
            let file = tokio::fs::File::open(&path).await.map_err(|e| {
                ModuleResult::failed(format!("cannot read {}: {e}", path.display()))
            })?;
            ctx.exec_input(&cmd, crate::connection::Input::file(Vec::new(), file))
                .await
        }
        _ => ctx.exec(&cmd).await,
    }
    .map_err(|e| ModuleResult::unreachable(&e))?;
    let mut r = result(&args, &out, saved.is_some());
    if let Some(saved) = saved {
        r = saved.finish(ctx, r, &args.attrs).await?;
    }
    Ok(r)
}

/// The one `curl` line: method, timeout, TLS, auth, redirects, headers, body, URL.
fn curl_command(args: &Args, follow: bool) -> Result<String, ModuleResult> {
    let mut cmd = format!(
        "curl -sS -X {} --max-time {} -w '\\n{MARK}%{{http_code}}' -A {}",
        quote(&args.method.to_uppercase()),
        args.timeout,
        quote(&args.http_agent)
    );
    connection_flags(args, &mut cmd);
    if follow {
        cmd.push_str(" -L");
    }
    let mut headers = args.headers.clone();
    let mut put_type = |t: &str| {
        headers.entry("Content-Type").or_insert(t.into());
    };
    let body = match (&args.body, args.body_format.as_str()) {
        (None, _) => None,
        (Some(b), "json") => {
            put_type("application/json");
            Some(match b {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
        }
        (Some(Json::Object(form)), "form-urlencoded") => {
            put_type("application/x-www-form-urlencoded");
            Some(urlencoded(form))
        }
        (Some(Json::Object(form)), "form-multipart") => {
            multipart(form, args.remote_src, &mut cmd)?;
            None
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
    match (&body, &args.src) {
        (Some(b), _) => {
            let _ = write!(cmd, " --data-binary {}", quote(b));
        }
        (None, Some(src)) if args.remote_src => {
            let _ = write!(cmd, " --data-binary {}", quote(&format!("@{src}")));
        }
        (None, Some(_)) => cmd.push_str(" --data-binary @-"),
        (None, None) => {}
    }
    let _ = write!(cmd, " {}", quote(&args.url));
    Ok(cmd)
}

/// Ansible's result: status, content (and json), failed unless the status is allowed.
fn result(args: &Args, out: &crate::connection::ExecOutput, saved: bool) -> ModuleResult {
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
    let failure = if saved && status == 304 {
        None
    } else if status == 0 {
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

/// TLS, authentication, proxy, compression and socket flags.
fn connection_flags(args: &Args, cmd: &mut String) {
    if !args.validate_certs {
        cmd.push_str(" -k");
    }
    for (flag, value) in [
        ("--cacert", &args.ca_path),
        ("--cert", &args.client_cert),
        ("--key", &args.client_key),
        ("--unix-socket", &args.unix_socket),
    ] {
        if let Some(v) = value {
            let _ = write!(cmd, " {flag} {}", quote(v));
        }
    }
    match &args.ciphers {
        Some(Json::Array(list)) => {
            let names: Vec<&str> = list.iter().filter_map(Json::as_str).collect();
            let _ = write!(cmd, " --ciphers {}", quote(&names.join(":")));
        }
        Some(Json::String(s)) => {
            let _ = write!(cmd, " --ciphers {}", quote(s));
        }
        _ => {}
    }
    if let Some(user) = &args.url_username {
        let pass = args.url_password.as_deref().unwrap_or("");
        let _ = write!(cmd, " -u {}", quote(&format!("{user}:{pass}")));
    } else if args.use_gssapi {
        cmd.push_str(" --negotiate -u :");
    } else if args.use_netrc {
        cmd.push_str(" --netrc-optional");
    }
    if !args.use_proxy {
        cmd.push_str(" --noproxy '*'");
    }
    if args.decompress {
        cmd.push_str(" --compressed");
    }
}

/// A mapping as `application/x-www-form-urlencoded` text.
fn urlencoded(form: &Vars) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let text = |v: &Json| {
        v.as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string())
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(&text(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// `form-multipart`: a text field per string value; a `{content, filename, mime_type}` part
/// inline; a `{filename}` part from a file on the host (`remote_src: true`).
fn multipart(form: &Vars, remote_src: bool, cmd: &mut String) -> Result<(), ModuleResult> {
    for (name, value) in form {
        let Json::Object(part) = value else {
            let text = value
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| value.to_string());
            let _ = write!(cmd, " --form-string {}", quote(&format!("{name}={text}")));
            continue;
        };
        let get = |k: &str| part.get(k).and_then(Json::as_str);
        let mut spec = match (get("content"), get("filename")) {
            (Some(c), _) if c.contains(';') || c.starts_with(['@', '<']) => {
                return Err(ModuleResult::failed(format!(
                    "form-multipart part '{name}': ferry cannot send content with ';' or a \
                     leading '@'/'<' inline; put it in a file on the host"
                )))
            }
            (Some(c), Some(file)) => format!("{name}={c};filename={file}"),
            (Some(c), None) => format!("{name}={c}"),
            (None, Some(file)) if remote_src => format!("{name}=@{file}"),
            (None, Some(_)) => {
                return Err(ModuleResult::failed(format!(
                    "form-multipart part '{name}': files from the controller are not supported \
                     by ferry yet; copy the file to the host and set remote_src: true"
                )))
            }
            (None, None) => {
                return Err(ModuleResult::failed(format!(
                    "form-multipart part '{name}' needs filename or content"
                )))
            }
        };
        if let Some(mime) = get("mime_type") {
            spec.push_str(&format!(";type={mime}"));
        }
        let _ = write!(cmd, " -F {}", quote(&spec));
    }
    Ok(())
}
