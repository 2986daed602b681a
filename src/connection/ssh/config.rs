//! OpenSSH client configuration (`~/.ssh/config`, or `-F FILE`) and the command-line options
//! of `ansible_ssh_common_args` & co. (checked by `args.rs`), resolved exactly as OpenSSH does
//! it (`Match`, `Include`, patterns, command line first) by asking `ssh -G`. Only what the file sets is used:
//! each value is compared with what `ssh -G` says for an empty configuration.
//!
//! Inventory variables win over the file, as in Ansible (whose ssh connection reads it too).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::connection::HostKeyChecking;

/// What an ssh_config sets for one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshConfig {
    /// `HostName`.
    pub hostname: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `User`.
    pub user: Option<String>,
    /// `IdentityFile` entries.
    pub identity_files: Vec<PathBuf>,
    /// `UserKnownHostsFile`.
    pub known_hosts: Vec<PathBuf>,
    /// `StrictHostKeyChecking`.
    pub host_key_checking: Option<HostKeyChecking>,
    /// `ConnectTimeout` in seconds.
    pub connect_timeout: Option<u64>,
    /// `ProxyJump`.
    pub proxy_jump: Option<String>,
    /// `IdentitiesOnly`: offer only the IdentityFile keys, not the agent's others.
    pub identities_only: Option<bool>,
    /// `ServerAliveInterval` in seconds (0: off).
    pub server_alive_interval: Option<u64>,
    /// `ServerAliveCountMax`.
    pub server_alive_count_max: Option<usize>,
    /// `ProxyCommand` (its `%h`, `%p`, `%r` not yet expanded).
    pub proxy_command: Option<String>,
}

fn ssh_g(config: &Path, args: &[String], host: &str) -> Option<HashMap<String, Vec<String>>> {
    let out = Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(config)
        .args(args)
        .arg(host)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.split_once(' ') {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
    }
    Some(map)
}

/// Resolved configs by (file, command-line options, host).
type Cache = HashMap<(PathBuf, Vec<String>, String), Option<SshConfig>>;

/// Resolves `host` in `config` (none: an empty one) with the command-line options `args`
/// (checked by `args.rs`), cached; `None` when ssh is missing or refuses.
pub fn resolve(config: Option<&Path>, args: &[String], host: &str) -> Option<SshConfig> {
    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
    let config = config.unwrap_or(Path::new("/dev/null"));
    let key = (config.to_path_buf(), args.to_vec(), host.to_string());
    if let Some(hit) = CACHE
        .lock()
        .ok()?
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return hit.clone();
    }
    let resolved = resolve_uncached(config, args, host);
    if let Ok(mut cache) = CACHE.lock() {
        cache
            .get_or_insert_with(HashMap::new)
            .insert(key, resolved.clone());
    }
    resolved
}

fn resolve_uncached(config: &Path, args: &[String], host: &str) -> Option<SshConfig> {
    let set = ssh_g(config, args, host)?;
    let base = ssh_g(Path::new("/dev/null"), &[], host)?;
    let changed = |k: &str| -> Option<&Vec<String>> {
        let v = set.get(k)?;
        (base.get(k) != Some(v)).then_some(v)
    };
    let first = |k: &str| changed(k).and_then(|v| v.first().cloned());
    let expand = |p: &str| PathBuf::from(crate::paths::expand_tilde(p));
    Some(SshConfig {
        hostname: first("hostname"),
        port: first("port").and_then(|p| p.parse().ok()),
        user: first("user"),
        identity_files: changed("identityfile")
            .map(|v| v.iter().map(|p| expand(p)).collect())
            .unwrap_or_default(),
        known_hosts: changed("userknownhostsfile")
            .and_then(|v| v.first())
            .map(|v| v.split_whitespace().map(expand).collect())
            .unwrap_or_default(),
        host_key_checking: first("stricthostkeychecking").and_then(|v| match v.as_str() {
            "true" | "yes" | "ask" => Some(HostKeyChecking::Strict),
            "accept-new" => Some(HostKeyChecking::AcceptNew),
            "false" | "no" | "off" => Some(HostKeyChecking::Off),
            _ => None,
        }),
        connect_timeout: first("connecttimeout").and_then(|v| v.parse().ok()),
        proxy_jump: first("proxyjump").filter(|v| v != "none"),
        identities_only: first("identitiesonly").map(|v| v == "yes" || v == "true"),
        server_alive_interval: first("serveraliveinterval").and_then(|v| v.parse().ok()),
        server_alive_count_max: first("serveralivecountmax").and_then(|v| v.parse().ok()),
        proxy_command: first("proxycommand").filter(|v| v != "none"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Needs OpenSSH's `ssh` (openssh-client), as ferry does at run time.
    #[test]
    fn reads_what_the_file_sets_through_ssh_g() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(
            &file,
            "Host web*\n  HostName 10.0.0.5\n  Port 2200\n  User deploy\n  IdentitiesOnly yes\n  \
             ServerAliveInterval 7\n  ServerAliveCountMax 2\n  ProxyJump bastion\n  \
             StrictHostKeyChecking accept-new\n  ConnectTimeout 4\n",
        )
        .unwrap();
        let web = resolve(Some(&file), &[], "web1")
            .expect("ssh -G works (apt-get install openssh-client)");
        let cases = [
            (format!("{:?}", web.hostname), "Some(\"10.0.0.5\")"),
            (format!("{:?}", web.port), "Some(2200)"),
            (format!("{:?}", web.user), "Some(\"deploy\")"),
            (format!("{:?}", web.identities_only), "Some(true)"),
            (format!("{:?}", web.server_alive_interval), "Some(7)"),
            (format!("{:?}", web.server_alive_count_max), "Some(2)"),
            (format!("{:?}", web.proxy_jump), "Some(\"bastion\")"),
            (format!("{:?}", web.host_key_checking), "Some(AcceptNew)"),
            (format!("{:?}", web.connect_timeout), "Some(4)"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        let other = resolve(Some(&file), &[], "db1").unwrap();
        assert_eq!(other, SshConfig::default(), "nothing set for db1");
        let args = ["-o", "Port=2201", "-o", "ProxyCommand=nc %h %p"].map(String::from);
        let with_args = resolve(Some(&file), &args, "web1").unwrap();
        assert_eq!(
            with_args.port,
            Some(2201),
            "the command line beats the file"
        );
        assert_eq!(with_args.proxy_command.as_deref(), Some("nc %h %p"));
        let args_only = resolve(None, &args[..2], "db1").unwrap();
        assert_eq!(args_only.port, Some(2201));
    }
}
