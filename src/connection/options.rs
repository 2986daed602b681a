//! Connect options, resolved in one place: the run's settings from the command line
//! ([`ConnectOptions`]), a host's `ansible_*` variables and the OpenSSH client config become
//! the [`ConnectSpec`] that opens its connection.
//!
//! Precedence, as Ansible's: the host's variables (`ansible_user`, `ansible_port`, ...) beat
//! the play's `remote_user`, which beats `-u`, which beats the ssh config. `--known-hosts` and
//! `--timeout` beat the ssh config's `UserKnownHostsFile` and `ConnectTimeout` when given.
//! This file decides; it opens nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value as Json;

use super::{resolve_config, ConnectSpec, HostKeyChecking, SshConfig, Transport};
use crate::vars::Vars;

/// The run's connection settings, from the command line.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `-u`: the remote user when neither the host nor the play names one.
    pub remote_user: Option<String>,
    /// `--private-key`.
    pub private_key: Option<PathBuf>,
    /// known_hosts files to check host keys against.
    pub known_hosts: Vec<PathBuf>,
    /// `--known-hosts` was given (it then beats the ssh config's UserKnownHostsFile).
    pub known_hosts_given: bool,
    /// The OpenSSH client config to read (`-F FILE`, else `~/.ssh/config` when it exists).
    pub ssh_config: Option<PathBuf>,
    /// `--timeout` was given (it then beats the ssh config's ConnectTimeout).
    pub timeout_given: bool,
    /// `--connect-retries`.
    pub connect_retries: u32,
    /// `--host-key-checking`.
    pub host_key_checking: HostKeyChecking,
    /// `--timeout`: SSH connect timeout.
    pub connect_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            remote_user: None,
            private_key: None,
            known_hosts: crate::paths::home_dir()
                .map(|h| vec![h.join(".ssh/known_hosts")])
                .unwrap_or_default(),
            known_hosts_given: false,
            ssh_config: None,
            timeout_given: false,
            connect_retries: 0,
            host_key_checking: HostKeyChecking::Strict,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A host variable as text (numbers too); empty strings count as unset.
fn text(vars: &Vars, key: &str) -> Option<String> {
    match vars.get(key)? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// How to reach `host`, from its variables, the play's `remote_user` and the run's options.
pub fn resolve(
    host: &str,
    vars: &Vars,
    play_user: Option<&str>,
    opts: &ConnectOptions,
) -> ConnectSpec {
    let connection = connection_kind(host, vars);
    let address = text(vars, "ansible_host").or_else(|| text(vars, "ansible_ssh_host"));
    // The ssh config is looked up by the name ssh would be given: ansible_host, else the host.
    let over_ssh = super::kind(&connection).is_some_and(|k| k.names[0] == "ssh");
    let (args, refused) = match over_ssh.then(|| ssh_args(vars)) {
        Some(Ok(args)) => (args, None),
        Some(Err(why)) => (Vec::new(), Some(why)),
        None => (Vec::new(), None),
    };
    // The ssh config is looked up by the name ssh would be given: ansible_host, else the host.
    let cfg = if over_ssh && (opts.ssh_config.is_some() || !args.is_empty()) {
        let name = address.as_deref().unwrap_or(host);
        resolve_config(opts.ssh_config.as_deref(), &args, name).unwrap_or_default()
    } else {
        SshConfig::default()
    };
    let jump = cfg.proxy_jump.clone();
    let mut spec = ConnectSpec {
        name: host.to_string(),
        address: address
            .or(cfg.hostname.clone())
            .unwrap_or_else(|| host.to_string()),
        port: port(vars, &cfg),
        user: user(vars, play_user, opts, &cfg),
        identity_files: identity_files(vars, opts, &cfg, jump.as_deref()),
        known_hosts: known_hosts(opts, &cfg),
        host_key_checking: match (opts.host_key_checking, cfg.host_key_checking) {
            (HostKeyChecking::Strict, Some(from_config)) => from_config,
            (given, _) => given,
        },
        connect_timeout: cfg
            .connect_timeout
            .filter(|_| !opts.timeout_given)
            .map(Duration::from_secs)
            .unwrap_or(opts.connect_timeout),
        transport: transport(vars),
        proxy_jump: jump.map(|chain| resolve_hops(&chain, opts.ssh_config.as_deref())),
        proxy_command: cfg.proxy_command.clone(),
        refused,
        connect_retries: opts.connect_retries,
        identities_only: cfg.identities_only.unwrap_or(false),
        keepalive_interval: cfg
            .server_alive_interval
            .map(Duration::from_secs)
            .or_else(|| silence_limit(opts)),
        keepalive_max: cfg.server_alive_count_max,
        user_given: given_user(vars, play_user, opts),
        kind_vars: kind_vars(vars, &connection),
        connection,
    };
    spec.proxy_command = spec.proxy_command.take().map(|c| proxy_tokens(&c, &spec));
    spec
}

/// The host's `ansible_<kind>_*` variables (the last part of an FQCN kind), as text.
fn kind_vars(vars: &Vars, kind: &str) -> std::collections::BTreeMap<String, String> {
    let short = kind.rsplit('.').next().unwrap_or(kind);
    let prefix = format!("ansible_{short}_");
    vars.keys()
        .filter_map(|k| {
            let name = k.strip_prefix(&prefix)?;
            Some((name.to_string(), text(vars, k)?))
        })
        .collect()
}

/// `ansible_connection`; without it, `localhost` with no `ansible_host` is local, as in
/// Ansible's implicit localhost; everything else is ssh.
fn connection_kind(host: &str, vars: &Vars) -> String {
    match text(vars, "ansible_connection") {
        Some(kind) => kind,
        None if host == "localhost" && text(vars, "ansible_host").is_none() => "local".into(),
        None => "ssh".into(),
    }
}

/// With `--timeout` (or ansible.cfg's `timeout`) given and no `ServerAliveInterval`, a host
/// that stops answering is given up after about that long, during any task: the keepalive
/// probes it every quarter of the timeout (at least each second) and gives up after the
/// unanswered ones that follow.
fn silence_limit(opts: &ConnectOptions) -> Option<Duration> {
    let probes = super::ssh::KEEPALIVE_MAX as u32 + 1;
    opts.timeout_given
        .then(|| (opts.connect_timeout / probes).max(Duration::from_secs(1)))
}

fn user(vars: &Vars, play_user: Option<&str>, opts: &ConnectOptions, cfg: &SshConfig) -> String {
    given_user(vars, play_user, opts)
        .or_else(|| cfg.user.clone())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into())
}

/// The user named by the host's variables, the play's `remote_user` or `-u`.
fn given_user(vars: &Vars, play_user: Option<&str>, opts: &ConnectOptions) -> Option<String> {
    text(vars, "ansible_user")
        .or_else(|| text(vars, "ansible_ssh_user"))
        .or_else(|| play_user.map(String::from))
        .or_else(|| opts.remote_user.clone())
}

fn port(vars: &Vars, cfg: &SshConfig) -> u16 {
    text(vars, "ansible_port")
        .or_else(|| text(vars, "ansible_ssh_port"))
        .and_then(|p| p.parse().ok())
        .or(cfg.port)
        .unwrap_or(22)
}

/// The host's key (variable, `--private-key`, else the ssh config's), then the keys that
/// bastions named in the ssh config bring: every hop may offer them.
fn identity_files(
    vars: &Vars,
    opts: &ConnectOptions,
    cfg: &SshConfig,
    jump: Option<&str>,
) -> Vec<PathBuf> {
    let key = text(vars, "ansible_ssh_private_key_file")
        .or_else(|| text(vars, "ansible_private_key_file"))
        .map(|k| PathBuf::from(crate::paths::expand_tilde(&k)))
        .or_else(|| opts.private_key.clone());
    let mut files = match key {
        Some(k) => vec![k],
        None => cfg.identity_files.clone(),
    };
    if let (Some(chain), Some(file)) = (jump, &opts.ssh_config) {
        for hop in chain.split(',') {
            let alias = hop.trim().rsplit('@').next().unwrap_or("");
            for k in resolve_config(Some(file), &[], alias)
                .unwrap_or_default()
                .identity_files
            {
                if !files.contains(&k) {
                    files.push(k);
                }
            }
        }
    }
    files
}

fn known_hosts(opts: &ConnectOptions, cfg: &SshConfig) -> Vec<PathBuf> {
    if opts.known_hosts_given || cfg.known_hosts.is_empty() {
        opts.known_hosts.clone()
    } else {
        cfg.known_hosts.clone()
    }
}

/// Each ProxyJump hop that is an ssh config alias becomes `user@hostname:port`.
fn resolve_hops(chain: &str, config: Option<&Path>) -> String {
    let Some(config) = config else {
        return chain.to_string();
    };
    chain
        .split(',')
        .map(|hop| resolve_hop(hop.trim(), config))
        .collect::<Vec<_>>()
        .join(",")
}

fn resolve_hop(hop: &str, config: &Path) -> String {
    let (user, rest) = match hop.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, hop),
    };
    let cfg = resolve_config(Some(config), &[], rest).unwrap_or_default();
    let host = cfg.hostname.clone().unwrap_or_else(|| rest.to_string());
    let mut out = match user.or(cfg.user.clone()) {
        Some(u) => format!("{u}@{host}"),
        None => host,
    };
    if let Some(p) = cfg.port {
        out.push_str(&format!(":{p}"));
    }
    out
}

/// The ssh command-line options that apply to the host, in the order Ansible gives them to
/// ssh (the first value of an option wins): ansible.cfg's `ssh_args`, then the common args
/// (the host's `ansible_ssh_common_args`, else ansible.cfg's), then the extra args (likewise).
fn ssh_args(vars: &Vars) -> Result<Vec<String>, String> {
    let config = crate::config::Config::global();
    let setting = |var: &str, key: &str| {
        text(vars, var).map(|t| (t, var.to_string())).or_else(|| {
            config
                .text(key)
                .map(|t| (t.to_string(), format!("ansible.cfg {key}")))
        })
    };
    let sources = [
        config
            .text("ssh_args")
            .map(|t| (t.to_string(), "ansible.cfg ssh_args".to_string())),
        setting("ansible_ssh_common_args", "ssh_common_args"),
        setting("ansible_ssh_extra_args", "ssh_extra_args"),
    ];
    let mut args = Vec::new();
    for (text, source) in sources.into_iter().flatten() {
        args.extend(super::ssh::args::check(&text, &source)?);
    }
    Ok(args)
}

/// `ProxyCommand`'s tokens, as OpenSSH expands them once the rest is resolved: `%h` the
/// address, `%p` the port, `%r` the user, `%n` the host's name, `%%` a percent sign.
fn proxy_tokens(command: &str, spec: &ConnectSpec) -> String {
    let mut out = String::new();
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&spec.address),
            Some('p') => out.push_str(&spec.port.to_string()),
            Some('r') => out.push_str(&spec.user),
            Some('n') => out.push_str(&spec.name),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(json: serde_json::Value) -> Vars {
        json.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn host_variables_beat_the_play_and_the_command_line() {
        let opts = ConnectOptions {
            remote_user: Some("cli".into()),
            ..Default::default()
        };
        let cases = [
            (serde_json::json!({}), None, "cli", 22, "ssh"),
            (serde_json::json!({}), Some("play"), "play", 22, "ssh"),
            (
                serde_json::json!({"ansible_user": "inv", "ansible_port": 2222}),
                Some("play"),
                "inv",
                2222,
                "ssh",
            ),
            (
                serde_json::json!({"ansible_ssh_user": "old", "ansible_ssh_port": "2200"}),
                None,
                "old",
                2200,
                "ssh",
            ),
            (
                serde_json::json!({"ansible_connection": "local"}),
                None,
                "cli",
                22,
                "local",
            ),
        ];
        for (v, play, user, port, kind) in cases {
            let spec = resolve("web1", &vars(v.clone()), play, &opts);
            assert_eq!(
                (spec.user.as_str(), spec.port, spec.connection.as_str()),
                (user, port, kind),
                "{v}"
            );
        }
    }

    #[test]
    fn implicit_localhost_is_local_unless_it_has_an_address() {
        let opts = ConnectOptions::default();
        let local = resolve("localhost", &Vars::new(), None, &opts);
        assert_eq!(local.connection, "local");
        let remote = resolve(
            "localhost",
            &vars(serde_json::json!({"ansible_host": "127.0.0.5"})),
            None,
            &opts,
        );
        assert_eq!(
            (remote.connection.as_str(), remote.address.as_str()),
            ("ssh", "127.0.0.5")
        );
    }

    #[test]
    fn ssh_options_from_the_host_variables() {
        let opts = ConnectOptions::default();
        for (args, jump, port, proxy) in [
            ("-o ProxyJump=bastion", Some("bastion"), 22, None),
            ("-oProxyJump=u@b:2222", Some("u@b:2222"), 22, None),
            ("-J b1,b2 -p 2200", Some("b1,b2"), 2200, None),
            (
                "-o 'ProxyCommand nc %h %p %r %%'",
                None,
                22,
                Some("nc 10.0.0.9 22 deploy %"),
            ),
        ] {
            let host_vars = vars(serde_json::json!({
                "ansible_host": "10.0.0.9",
                "ansible_user": "deploy",
                "ansible_ssh_common_args": args,
            }));
            let spec = resolve("web", &host_vars, None, &opts);
            assert_eq!(spec.proxy_jump.as_deref(), jump, "{args}");
            assert_eq!(spec.port, port, "{args}");
            assert_eq!(spec.proxy_command.as_deref(), proxy, "{args}");
            assert_eq!(spec.refused, None, "{args}");
        }
        let bad = vars(serde_json::json!({"ansible_ssh_extra_args": "-o SendEnv=LANG"}));
        let spec = resolve("web", &bad, None, &opts);
        assert!(spec
            .refused
            .unwrap()
            .starts_with("ansible_ssh_extra_args: the ssh option -o SendEnv=LANG"));
    }
}
