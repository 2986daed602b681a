//! The variables a task sees on one host, in Ansible's precedence order, and the connection
//! settings read from them.
//!
//! Order (low → high): inventory (group, then host) < play vars < task vars < facts
//! (set_fact, register, gathered) < extra vars; magic variables on top.

use std::path::PathBuf;

use serde_json::Value as Json;

use crate::executor::play::PlayCtx;
use crate::executor::{Executor, RunOptions};
use crate::playbook::{Play, Role, Task};
use crate::ssh::{resolve_config, ConnectSpec, HostKeyChecking, SshConfig, Transport};
use crate::vars::Vars;

impl Executor {
    /// All variables of `host` for `task`.
    pub(crate) fn task_vars(&self, ctx: &PlayCtx<'_>, host: &str, task: &Task) -> Vars {
        let mut vars = self.scope_vars(ctx, host, &task.vars, task.role.as_deref());
        if let Some(role) = &task.role {
            vars.insert("role_path".into(), role.path.display().to_string().into());
            vars.insert("role_name".into(), role.name.clone().into());
        }
        if mentions_hostvars(task) || ctx.play_vars.values().any(|v| mentions(v, "hostvars")) {
            vars.insert("hostvars".into(), self.hostvars());
        }
        vars
    }

    /// The `hostvars` magic variable: every host's inventory variables and facts. Built only
    /// for tasks that mention it (it is large).
    fn hostvars(&self) -> Json {
        let mut all = Vars::new();
        for name in self.inventory.hosts() {
            let vars = match self.hosts.get(name) {
                Some(state) => {
                    let mut v = state.inv_vars.clone();
                    v.extend(state.facts.clone());
                    v
                }
                None => self.inventory.host_vars(name),
            };
            all.insert(name.to_string(), Json::Object(vars));
        }
        Json::Object(all)
    }

    /// All variables of `host` with `local` vars (a task's or an include's) and a role's.
    pub(crate) fn scope_vars(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        local: &Vars,
        role: Option<&Role>,
    ) -> Vars {
        let state = &self.hosts[host];
        let mut vars = match role {
            Some(r) => {
                let mut v = r.defaults.clone();
                v.extend(state.inv_vars.clone());
                v
            }
            None => state.inv_vars.clone(),
        };
        let mut templated: Vec<String> = Vec::new();
        let empty = Vars::new();
        let role_vars = role.map(|r| &r.vars).unwrap_or(&empty);
        for layer in [&ctx.play_vars, role_vars, local] {
            for (k, v) in layer {
                if is_template(v) {
                    templated.push(k.clone());
                }
                vars.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &state.facts {
            vars.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.opts.extra_vars {
            vars.insert(k.clone(), v.clone());
        }
        let hosts: Vec<Json> = ctx.hosts.iter().map(|h| Json::String(h.clone())).collect();
        let active: Vec<Json> = ctx.active.iter().map(|h| Json::String(h.clone())).collect();
        vars.insert("groups".into(), self.groups.clone());
        vars.insert("play_hosts".into(), Json::Array(active.clone()));
        vars.insert("ansible_play_hosts".into(), Json::Array(active.clone()));
        vars.insert("ansible_play_batch".into(), Json::Array(active));
        vars.insert("ansible_play_hosts_all".into(), Json::Array(hosts));
        vars.insert("playbook_dir".into(), ctx.playbook_dir.clone().into());
        vars.insert("ansible_check_mode".into(), self.opts.check.into());
        vars.insert("ansible_diff_mode".into(), self.opts.diff.into());
        vars.insert("omit".into(), crate::template::OMIT.into());
        if let Some(name) = &ctx.play.name {
            vars.insert("ansible_play_name".into(), name.clone().into());
        }
        // Vars defined as templates of other vars resolve lazily in Ansible; here they are
        // rendered once against everything else (twice, for one level of chaining).
        for _ in 0..2 {
            for key in &templated {
                if let Some(v) = vars.get(key).filter(|v| is_template(v)).cloned() {
                    if let Ok(r) = self.templar.render_value(&v, &vars) {
                        vars.insert(key.clone(), r);
                    }
                }
            }
        }
        vars
    }
}

fn mentions_hostvars(task: &Task) -> bool {
    let conds = task
        .when
        .iter()
        .chain(task.changed_when.iter().flatten())
        .chain(task.failed_when.iter().flatten())
        .chain(task.until.iter().flatten());
    mentions(&task.args, "hostvars")
        || task
            .loop_items
            .as_ref()
            .is_some_and(|l| mentions(l, "hostvars"))
        || task.vars.values().any(|v| mentions(v, "hostvars"))
        || conds.into_iter().any(|c| c.expr.contains("hostvars"))
}

fn mentions(v: &Json, word: &str) -> bool {
    match v {
        Json::String(s) => s.contains(word),
        Json::Array(items) => items.iter().any(|i| mentions(i, word)),
        Json::Object(m) => m.values().any(|i| mentions(i, word)),
        _ => false,
    }
}

fn is_template(v: &Json) -> bool {
    match v {
        Json::String(s) => s.contains("{{") || s.contains("{%"),
        Json::Array(items) => items.iter().any(is_template),
        Json::Object(m) => m.values().any(is_template),
        _ => false,
    }
}

/// How to reach `host`: ansible_* variables beat the play's `remote_user`, which beats `-u`.
pub(crate) fn connect_spec(host: &str, vars: &Vars, play: &Play, opts: &RunOptions) -> ConnectSpec {
    let text = |k: &str| -> Option<String> {
        match vars.get(k)? {
            Json::String(s) if !s.is_empty() => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let local = text("ansible_connection").as_deref() == Some("local")
        || (host == "localhost"
            && text("ansible_connection").is_none()
            && text("ansible_host").is_none());
    let address = text("ansible_host").or_else(|| text("ansible_ssh_host"));
    // The ssh config is looked up by the name ssh would be given: ansible_host, else the host.
    let cfg = match (&opts.ssh_config, local) {
        (Some(file), false) => {
            resolve_config(file, address.as_deref().unwrap_or(host)).unwrap_or_default()
        }
        _ => SshConfig::default(),
    };
    let user = text("ansible_user")
        .or_else(|| text("ansible_ssh_user"))
        .or_else(|| play.opts.remote_user.clone())
        .or_else(|| opts.remote_user.clone())
        .or_else(|| cfg.user.clone())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into());
    let key = text("ansible_ssh_private_key_file")
        .or_else(|| text("ansible_private_key_file"))
        .map(|k| PathBuf::from(crate::paths::expand_tilde(&k)))
        .or_else(|| opts.private_key.clone());
    let mut identity_files = match key {
        Some(k) => vec![k],
        None => cfg.identity_files.clone(),
    };
    let jump = common_args_jump(text("ansible_ssh_common_args").as_deref())
        .or_else(|| common_args_jump(text("ansible_ssh_extra_args").as_deref()))
        .or(cfg.proxy_jump.clone());
    // Bastions named in the ssh config bring their IdentityFile: every hop may offer them.
    if let (Some(chain), Some(file)) = (&jump, &opts.ssh_config) {
        for hop in chain.split(',') {
            let alias = hop.trim().rsplit('@').next().unwrap_or("");
            for k in resolve_config(file, alias)
                .unwrap_or_default()
                .identity_files
            {
                if !identity_files.contains(&k) {
                    identity_files.push(k);
                }
            }
        }
    }
    let known_hosts = if opts.known_hosts_given || cfg.known_hosts.is_empty() {
        opts.known_hosts.clone()
    } else {
        cfg.known_hosts.clone()
    };
    let host_key_checking = match (opts.host_key_checking, cfg.host_key_checking) {
        (HostKeyChecking::Strict, Some(from_config)) => from_config,
        (given, _) => given,
    };
    ConnectSpec {
        name: host.to_string(),
        address: address
            .or(cfg.hostname.clone())
            .unwrap_or_else(|| host.to_string()),
        port: text("ansible_port")
            .or_else(|| text("ansible_ssh_port"))
            .and_then(|p| p.parse().ok())
            .or(cfg.port)
            .unwrap_or(22),
        user,
        identity_files,
        known_hosts,
        host_key_checking,
        connect_timeout: cfg
            .connect_timeout
            .filter(|_| !opts.timeout_given)
            .map(std::time::Duration::from_secs)
            .unwrap_or(opts.connect_timeout),
        local,
        transport: transport(vars),
        proxy_jump: jump.map(|chain| resolve_hops(&chain, opts.ssh_config.as_deref())),
        connect_retries: opts.connect_retries,
        identities_only: cfg.identities_only.unwrap_or(false),
        keepalive_interval: cfg
            .server_alive_interval
            .map(std::time::Duration::from_secs),
        keepalive_max: cfg.server_alive_count_max,
    }
}

/// Each ProxyJump hop that is an ssh config alias becomes `user@hostname:port`.
fn resolve_hops(chain: &str, config: Option<&std::path::Path>) -> String {
    let Some(config) = config else {
        return chain.to_string();
    };
    chain
        .split(',')
        .map(|hop| {
            let hop = hop.trim();
            let (user, rest) = match hop.rsplit_once('@') {
                Some((u, r)) => (Some(u.to_string()), r),
                None => (None, hop),
            };
            let cfg = resolve_config(config, rest).unwrap_or_default();
            let host = cfg.hostname.clone().unwrap_or_else(|| rest.to_string());
            let user = user.or(cfg.user.clone());
            let mut out = match user {
                Some(u) => format!("{u}@{host}"),
                None => host,
            };
            if let Some(p) = cfg.port {
                out.push_str(&format!(":{p}"));
            }
            out
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `-o ProxyJump=bastion` (or `-J bastion`) in `ansible_ssh_common_args`.
fn common_args_jump(args: Option<&str>) -> Option<String> {
    let words = shlex::split(args?)?;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let opt = match w.as_str() {
            "-o" => it.next().cloned(),
            "-J" => return it.next().cloned(),
            other => other.strip_prefix("-o").map(String::from),
        };
        if let Some(o) = opt {
            if let Some((k, v)) = o.split_once('=') {
                if k.trim().eq_ignore_ascii_case("proxyjump") {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// The command transport: the long-lived shell by default; `ferry_transport: exec` (a host
/// var) or `FERRY_TRANSPORT=exec` picks one exec channel per command.
fn transport(vars: &Vars) -> Transport {
    let chosen = vars
        .get("ferry_transport")
        .and_then(Json::as_str)
        .map(String::from)
        .or_else(|| std::env::var("FERRY_TRANSPORT").ok());
    match chosen.as_deref() {
        Some("exec") => Transport::Exec,
        _ => Transport::Shell,
    }
}
