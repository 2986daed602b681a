//! `wait_for`: waits on the host until a port is open (or closed) or a path exists (or not,
//! optionally containing a regex), polling from the controller until `timeout`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::wait_for_drained;
use crate::modules::{
    argnames, de_opt_u64, de_u64, typed, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for",
    path_args: &["path"],
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
    /// `state: drained`: peers whose connections do not count.
    #[serde(default)]
    exclude_hosts: Vec<String>,
    /// `state: drained`: the states a connection counts in.
    active_connection_states: Option<Vec<String>>,
}

/// What one attempt looks at.
enum Probe {
    /// A command that succeeds when the port or path is there.
    Present(String),
    /// The host's connection tables (`state: drained`), on this port, in these states.
    Drained(String, u16, Vec<&'static str>),
    /// Nothing: the wait is `timeout` itself.
    Sleep,
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
    let probe = match probe(&args) {
        Ok(p) => p,
        Err(msg) => return ModuleResult::failed(msg),
    };
    let want_present = matches!(args.state.as_str(), "started" | "present");
    tokio::time::sleep(Duration::from_secs(args.delay)).await;
    let start = Instant::now();
    loop {
        let done = match &probe {
            Probe::Present(check) => ctx.exec(check).await.map(|o| (o.rc == 0) == want_present),
            Probe::Drained(script, port, states) => ctx
                .exec(script)
                .await
                .map(|o| wait_for_drained::count(&o.stdout, *port, states) == 0),
            Probe::Sleep => {
                tokio::time::sleep(Duration::from_secs(args.timeout)).await;
                Ok(true)
            }
        };
        let done = match done {
            Ok(d) => d,
            Err(e) => return ModuleResult::unreachable(&e),
        };
        if done {
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
                .unwrap_or_else(|| match &args.search_regex {
                    Some(re) => format!("Timeout when waiting for search string {re} in {what}"),
                    None if args.state == "drained" => {
                        format!("Timeout when waiting for {what} to drain")
                    }
                    None => format!("Timeout when waiting for {what}"),
                });
            let mut r = ModuleResult::failed(msg);
            r.data
                .insert("elapsed".into(), start.elapsed().as_secs().into());
            return r;
        }
        tokio::time::sleep(Duration::from_secs(args.sleep.max(1))).await;
    }
}

/// What to look at, from the arguments; or why they do not go together.
fn probe(args: &Args) -> Result<Probe, String> {
    let port = args.port.as_ref().map(|p| {
        p.as_str()
            .map(String::from)
            .unwrap_or_else(|| p.to_string())
    });
    if !args.exclude_hosts.is_empty() && args.state != "drained" {
        return Err("exclude_hosts should only be with state=drained".into());
    }
    match (port, &args.path) {
        (Some(_), Some(_)) => {
            Err("port and path parameter can not both be passed to wait_for".into())
        }
        (Some(port), None) if args.state == "drained" => {
            let port: u16 = port
                .parse()
                .map_err(|_| format!("'{port}' is not a port"))?;
            let names: Vec<String> = match &args.active_connection_states {
                Some(names) => names.clone(),
                None => wait_for_drained::DEFAULT_STATES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            };
            let states = wait_for_drained::state_codes(&names)?;
            let script = wait_for_drained::script(&args.host, &args.exclude_hosts);
            Ok(Probe::Drained(script, port, states))
        }
        (Some(port), None) => {
            let target = format!("/dev/tcp/{}/{}", args.host, port);
            let connect = match &args.search_regex {
                Some(_) => format!("exec 3<>{target} && cat <&3"),
                None => format!("exec 3<>{target}"),
            };
            let mut check = format!(
                "timeout {} bash -c {} 2>/dev/null",
                args.connect_timeout.unwrap_or(5).max(1),
                quote(&connect)
            );
            if let Some(re) = &args.search_regex {
                check.push_str(&format!(" | grep -Eq -- {}", quote(re)));
            }
            Ok(Probe::Present(check))
        }
        (None, Some(_)) if args.state == "drained" => Err(
            "state=drained should only be used for checking a port in the wait_for module".into(),
        ),
        (None, Some(path)) => Ok(Probe::Present(match &args.search_regex {
            Some(re) => format!("grep -Eq -- {} {} 2>/dev/null", quote(re), quote(path)),
            None => format!("[ -e {} ]", quote(path)),
        })),
        // Without a port or path, Ansible waits `timeout` seconds.
        (None, None) => Ok(Probe::Sleep),
    }
}
