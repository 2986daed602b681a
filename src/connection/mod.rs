//! Connections to hosts: how ferry reaches a host and runs one shell command line on it.
//!
//! This module owns connecting (russh, or a local `sh`), authentication, host key checking,
//! running a command and collecting its rc/stdout/stderr, and the per-run pool of
//! connections. It does not compose commands (callers build them with [`quote`]), decide
//! what a result means, or print anything.
//!
//! - this file: the [`Connection`] trait every kind implements, the registry of kinds
//!   ([`KINDS`], by `ansible_connection` name), [`ConnectSpec`], [`Input`], [`ExecOutput`].
//! - `options.rs`: [`ConnectOptions`] (the command line's settings) and the one resolution of
//!   a host's variables, the play's `remote_user` and the ssh config into a [`ConnectSpec`].
//! - `privilege.rs`: become (sudo, su) applied to a command line and its stdin.
//! - `su.rs`: `su` with a password, which needs a [`Terminal`]: the prompt answered, then
//!   the command's stdin, stdout, stderr and status framed through the terminal.
//! - `ssh/`: the russh client — `mod.rs` (connect, handshake, keepalive), `tcp.rs`,
//!   `auth.rs` (key files and the agent), `hostkey.rs` + `known_hosts.rs` (the host key
//!   policy), `shell.rs` (the default transport: one long-lived `sh`, framed output),
//!   `exec.rs` (one exec channel per command; stdin input), `terminal.rs` (a command on a
//!   pty), `sftp.rs`, `config.rs`
//!   (`ssh -G`).
//! - `local.rs`: `ansible_connection: local`, commands run here with `sh -c`.
//! - `docker.rs`: `ansible_connection: docker`, commands run in a container by `docker exec`.
//! - `pool.rs`: one connection per host, opened once and shared.
//! - `quote.rs`: the shared POSIX-sh quoting function.
//! - `error.rs`: [`ConnError`].
//!
//! A new kind of connection (docker exec, kubectl exec) is one file implementing
//! [`Connection`] with a `KIND`, plus one line in [`KINDS`].

mod docker;
mod error;
mod local;
mod options;
mod pool;
pub mod privilege;
mod quote;
mod ssh;
pub mod su;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

pub use error::ConnError;
pub use local::LocalConnection;
pub use options::{resolve as resolve_spec, ConnectOptions};
pub use pool::Pool;
pub use quote::quote;
pub use ssh::config::{resolve as resolve_config, SshConfig};
pub use ssh::SshConnection;

/// What to do with a host key that known_hosts does not vouch for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostKeyChecking {
    /// Refuse unknown and changed keys (OpenSSH `StrictHostKeyChecking yes`).
    #[default]
    Strict,
    /// Record unknown keys in the first known_hosts file; refuse changed ones.
    AcceptNew,
    /// Accept any key and record nothing (Ansible's `host_key_checking = False`).
    Off,
}

/// How commands travel over an SSH connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// One exec channel per command: sshd starts the user's login shell every time
    /// (≈ 2–4 ms per command on a quiet host, more when ~/.bashrc is heavy).
    Exec,
    /// One long-lived `sh` per connection; commands run one after another in subshells
    /// (a fraction of a millisecond each). Falls back to `Exec` when `sh` cannot start.
    #[default]
    Shell,
}

/// Everything needed to reach one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSpec {
    /// The inventory hostname, used in messages and as the pool key.
    pub name: String,
    /// Where to connect: `ansible_host`, or the name.
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Private key files to offer. Empty: the ssh-agent, then `~/.ssh/id_ed25519`,
    /// `id_ecdsa` and `id_rsa`.
    pub identity_files: Vec<PathBuf>,
    /// known_hosts files to check, in order; accept-new appends to the first.
    pub known_hosts: Vec<PathBuf>,
    pub host_key_checking: HostKeyChecking,
    /// Limit on TCP connect, handshake and authentication together.
    pub connect_timeout: Duration,
    /// The connection kind (`ansible_connection`): `ssh` (the default), `local`, ...
    pub connection: String,
    /// How commands are sent over SSH (ignored for local connections).
    pub transport: Transport,
    /// `ProxyJump` (`[user@]host[:port]`, comma-separated hops, outermost first): the
    /// connection is tunnelled through each bastion with direct-tcpip, host keys checked at
    /// every hop.
    pub proxy_jump: Option<String>,
    /// `ProxyCommand` (tokens expanded): SSH is spoken over this command's stdin/stdout.
    pub proxy_command: Option<String>,
    /// Why the host's ssh options cannot be honoured (`ansible_ssh_common_args` & co.): the
    /// connection fails with this instead of ignoring them.
    pub refused: Option<String>,
    /// `--connect-retries`: how often a refused or timed-out connect is retried.
    pub connect_retries: u32,
    /// `IdentitiesOnly`: with identity files given, offer only them, not the agent's keys
    /// first (OpenSSH's default tries the agent's keys, then the files).
    pub identities_only: bool,
    /// `ServerAliveInterval`: probe a silent server this often (zero: never; `None`: 15 s).
    pub keepalive_interval: Option<Duration>,
    /// `ServerAliveCountMax`: give the connection up after this many unanswered probes
    /// (`None`: 3).
    pub keepalive_max: Option<usize>,
    /// The user the host's variables, the play or `-u` named (not the ssh config's nor the
    /// local default): kinds with a default user of their own (docker) use only this.
    pub user_given: Option<String>,
    /// The host's `ansible_<kind>_*` variables (`ansible_docker_extra_args`, ...), keyed
    /// without the prefix, for kinds that read settings of their own.
    pub kind_vars: std::collections::BTreeMap<String, String>,
}

impl ConnectSpec {
    /// A spec for `name` with the defaults: address = name, port 22, the current user,
    /// default keys, `~/.ssh/known_hosts`, strict host key checking, 10 s timeout, the shell
    /// transport.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        ConnectSpec {
            address: name.clone(),
            name,
            port: 22,
            user: default_user(),
            identity_files: Vec::new(),
            known_hosts: crate::paths::home_dir()
                .map(|h| vec![h.join(".ssh").join("known_hosts")])
                .unwrap_or_default(),
            host_key_checking: HostKeyChecking::Strict,
            connect_timeout: Duration::from_secs(10),
            connection: "ssh".into(),
            transport: Transport::Shell,
            proxy_jump: None,
            proxy_command: None,
            refused: None,
            connect_retries: 0,
            identities_only: false,
            keepalive_interval: None,
            keepalive_max: None,
            user_given: None,
            kind_vars: Default::default(),
        }
    }
}

/// What a command reads on its stdin: bytes held in memory, then, when given, a local file
/// streamed in chunks (so a large file is never loaded whole).
#[derive(Debug, Default)]
pub struct Input {
    /// Sent first (a sudo password line, or a whole small file).
    pub head: Vec<u8>,
    /// Sent after `head`, read as it goes.
    pub file: Option<tokio::fs::File>,
}

impl Input {
    /// Only these bytes.
    pub fn bytes(data: &[u8]) -> Self {
        Input {
            head: data.to_vec(),
            file: None,
        }
    }

    /// `head`, then the rest from `file`.
    pub fn file(head: Vec<u8>, file: tokio::fs::File) -> Self {
        Input {
            head,
            file: Some(file),
        }
    }
}

/// The result of one command. A non-zero rc is a result, not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status; 128 + N when killed by signal N; -1 when the server did not say.
    pub rc: i32,
    /// Standard output, decoded as UTF-8 with invalid bytes replaced.
    pub stdout: String,
    /// Standard error, decoded the same way.
    pub stderr: String,
}

/// A boxed future, the return type of [`Connection`]'s methods (so the trait is object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An open connection to one host: runs POSIX sh command lines there and moves files.
///
/// Every kind of connection implements this (SSH, local, and later docker exec, kubectl
/// exec); the pool hands modules an `Arc<dyn Connection>`. Become (sudo, su) is applied to
/// the command line before it gets here (see [`privilege`]).
pub trait Connection: Send + Sync + std::fmt::Debug {
    /// Runs `command`, a complete POSIX sh command line, with stdin from /dev/null.
    fn exec<'a>(&'a self, command: &'a str) -> BoxFuture<'a, Result<ExecOutput, ConnError>>;

    /// Runs `command` with `input` (bytes, then a streamed file) on its stdin, then end of file.
    fn exec_input<'a>(
        &'a self,
        command: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>>;

    /// Runs `command` with its stdout streamed into the local file `out` (a download that
    /// never holds the whole file); the returned output carries rc and stderr.
    fn exec_to_file<'a>(
        &'a self,
        command: &'a str,
        out: &'a mut tokio::fs::File,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>>;

    /// Writes `input` to the new file `path` by the connection's own file transfer (SFTP);
    /// `None` when it has none (local, or a server without the subsystem): callers then pipe
    /// the data through a command.
    fn sftp_put<'a>(
        &'a self,
        _path: &'a str,
        _input: Input,
    ) -> BoxFuture<'a, Option<Result<u64, ConnError>>> {
        Box::pin(async { None })
    }

    /// Starts `command` on a terminal (a pty): what `su` needs to be given a password. `None`
    /// when this kind of connection cannot open one.
    fn open_terminal<'a>(
        &'a self,
        _command: &'a str,
    ) -> BoxFuture<'a, Option<Result<Box<dyn Terminal + 'a>, ConnError>>> {
        Box::pin(async { None })
    }

    /// Closes the connection; later commands fail.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A command running on a terminal: what it prints (stdout and stderr, merged by the
/// terminal) and what is typed to it.
pub trait Terminal: Send {
    /// The next bytes the command printed; `None` once it has ended.
    fn read(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, ConnError>>;

    /// Types `input` (bytes, then a streamed file).
    fn write(&mut self, input: Input) -> BoxFuture<'_, Result<(), ConnError>>;

    /// The command's exit status, once `read` has returned `None` (if the server said).
    fn exit_status(&self) -> Option<i32>;
}

impl dyn Connection {
    /// Runs `command` with `input` on its stdin, then end of file.
    pub async fn exec_stdin(&self, command: &str, input: &[u8]) -> Result<ExecOutput, ConnError> {
        self.exec_input(command, Input::bytes(input)).await
    }
}

/// How a kind of connection is opened.
pub type Connector =
    for<'a> fn(&'a ConnectSpec) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnError>>;

/// A kind of connection: the `ansible_connection` names it answers to and how to open one.
pub struct Kind {
    /// `ansible_connection` values (the first is the one ferry reports).
    pub names: &'static [&'static str],
    /// Opens a connection as the spec says.
    pub connect: Connector,
}

/// The connection kinds, in alphabetical order. A new kind is one file and one line here.
pub static KINDS: &[&Kind] = &[&docker::KIND, &local::KIND, &ssh::KIND];

/// The kind called `name` (an `ansible_connection` value).
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.names.contains(&name))
}

/// The `ansible_connection` names ferry knows.
pub fn kind_names() -> impl Iterator<Item = &'static str> {
    KINDS.iter().flat_map(|k| k.names.iter().copied())
}

/// Opens a connection as `spec` says, by its kind.
pub async fn connect(spec: &ConnectSpec) -> Result<Box<dyn Connection>, ConnError> {
    match kind(&spec.connection) {
        Some(k) => (k.connect)(spec).await,
        None => Err(ConnError::UnknownKind {
            host: spec.name.clone(),
            kind: spec.connection.clone(),
            known: kind_names().collect::<Vec<_>>().join(", "),
        }),
    }
}

fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansible_connection_names_map_to_kinds() {
        for (name, first) in [
            ("ssh", Some("ssh")),
            ("smart", Some("ssh")),
            ("paramiko", Some("ssh")),
            ("local", Some("local")),
            ("docker", Some("docker")),
            ("community.docker.docker", Some("docker")),
            ("winrm", None),
        ] {
            assert_eq!(kind(name).map(|k| k.names[0]), first, "{name}");
        }
    }

    #[tokio::test]
    async fn an_unknown_kind_is_named_with_the_known_ones() {
        let mut spec = ConnectSpec::new("web1");
        spec.connection = "winrm".into();
        let err = connect(&spec).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "web1: unknown connection type 'winrm' (ansible_connection); ferry knows: docker, community.docker.docker, local, ssh, paramiko, smart"
        );
        assert!(err.is_unreachable());
    }
}
