//! `wait_for`: waits on the host until a port is open (or closed) or a path exists (or not,
//! optionally containing a regex), polling from the controller until `timeout`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::{
    argnames, de_opt_u64, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("wait_for", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(default = "localhost")]
    host: String,
    port: Option<Json>,
    path: Option<String>,
    #[serde(default = "started")]
    state: String,
    #[serde(default = "default_timeout", deserialize_with = "de_u64")]
    timeout: u64,
    #[serde(default, deserialize_with = "de_u64")]
    delay: u64,
    #[serde(default = "one", deserialize_with = "de_u64")]
    sleep: u64,
    search_regex: Option<String>,
    /// Seconds each attempt to open the port may take (Ansible's default: 5).
    #[serde(default, deserialize_with = "de_opt_u64")]
    connect_timeout: Option<u64>,
    msg: Option<String>,
}

fn localhost() -> String {
    "127.0.0.1".into()
}
fn started() -> String {
    "started".into()
}
fn default_timeout() -> u64 {
    300
}
fn one() -> u64 {
    1
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let want_present = matches!(args.state.as_str(), "started" | "present");
    let check = match (&args.port, &args.path) {
        (Some(port), None) => {
            let port = port
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| port.to_string());
            let target = format!("/dev/tcp/{}/{}", args.host, port);
            format!(
                "timeout {} bash -c {} 2>/dev/null",
                args.connect_timeout.unwrap_or(5).max(1),
                quote(&format!("exec 3<>{target}"))
            )
        }
        (None, Some(path)) => match &args.search_regex {
            Some(re) => format!("grep -Eq -- {} {} 2>/dev/null", quote(re), quote(path)),
            None => format!("[ -e {} ]", quote(path)),
        },
        (None, None) if args.delay > 0 => String::from("true"),
        _ => return ModuleResult::failed("wait_for needs one of port and path"),
    };
    tokio::time::sleep(Duration::from_secs(args.delay)).await;
    let start = Instant::now();
    loop {
        let ok = match ctx.exec(&check).await {
            Ok(o) => o.rc == 0,
            Err(e) => return ModuleResult::unreachable(&e),
        };
        if ok == want_present {
            let mut data = Vars::new();
            data.insert("elapsed".into(), start.elapsed().as_secs().into());
            data.insert("state".into(), args.state.clone().into());
            if let Some(p) = &args.port {
                data.insert("port".into(), p.clone());
            }
            if let Some(p) = &args.path {
                data.insert("path".into(), p.clone().into());
            }
            return ModuleResult::ok(data);
        }
        if start.elapsed() >= Duration::from_secs(args.timeout) {
            let what = args.path.clone().unwrap_or_else(|| {
                format!("{}:{}", args.host, args.port.clone().unwrap_or_default())
            });
            let msg = args
                .msg
                .clone()
                .unwrap_or_else(|| format!("Timeout when waiting for {what}"));
            let mut r = ModuleResult::failed(msg);
            r.data
                .insert("elapsed".into(), start.elapsed().as_secs().into());
            return r;
        }
        tokio::time::sleep(Duration::from_secs(args.sleep.max(1))).await;
    }
}
