//! `SshConnection`: one russh client connection to a host — TCP connect under the connect
//! timeout, handshake with the host key policy, authentication, keepalive — and the entry
//! point for running commands on it.
//!
//! How a command runs is `exec.rs`'s business; which keys are offered is `auth.rs`'s; which
//! host keys are trusted is `hostkey.rs`'s.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::ssh_key::{Algorithm, EcdsaCurve, HashAlg};
use russh::keys::PublicKeyOrCertificate;
use tokio::sync::Semaphore;

pub(crate) mod args;
mod auth;
pub(crate) mod config;
mod exec;
mod hostkey;
mod known_hosts;
mod sftp;
mod shell;
mod tcp;
mod terminal;

use crate::connection::{
    BoxFuture, ConnError, ConnectSpec, Connection, ExecOutput, Input, Kind, Terminal, Transport,
};
use hostkey::HostKeyPolicy;
use sftp::SftpSlot;
use shell::ShellRunner;
use tcp::{open_tcp, target};

/// Exec channels open at once on one connection. OpenSSH's `MaxSessions` (default 10) caps
/// them and the client cannot see the setting; staying well below leaves room for others.
const MAX_CHANNELS: usize = 5;

/// Keepalive: a probe after this long without traffic; the connection is declared dead
/// after `KEEPALIVE_MAX` unanswered probes.
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
pub(crate) const KEEPALIVE_MAX: usize = 3;

/// Host certificate types asked for when a `@cert-authority` line covers the host.
static CERTIFICATE_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

/// An authenticated SSH connection to one host.
pub struct SshConnection {
    host: String,
    handle: Handle<ClientHandler>,
    channels: Semaphore,
    /// The long-lived shell, unless the spec asked for exec channels.
    shell: Option<ShellRunner>,
    /// The SFTP session for uploads, opened on first use.
    sftp: SftpSlot,
    /// The bastion this connection tunnels through (kept open as long as it is).
    _jump: Option<Box<SshConnection>>,
    /// The `ProxyCommand` process carrying the connection (killed when it is dropped).
    _proxy: Option<tokio::process::Child>,
}

impl std::fmt::Debug for SshConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshConnection")
            .field("host", &self.host)
            .field("closed", &self.handle.is_closed())
            .finish()
    }
}

impl SshConnection {
    /// Connects, checks the host key and authenticates, all within `spec.connect_timeout`.
    pub(crate) async fn connect(spec: &ConnectSpec) -> Result<Self, ConnError> {
        let policy = HostKeyPolicy::load(spec)?;
        tokio::time::timeout(spec.connect_timeout, Self::connect_inner(spec, policy))
            .await
            .unwrap_or_else(|_| {
                Err(ConnError::Timeout {
                    host: spec.name.clone(),
                    address: target(spec),
                    after: spec.connect_timeout,
                })
            })
    }

    async fn connect_inner(spec: &ConnectSpec, policy: HostKeyPolicy) -> Result<Self, ConnError> {
        let config = Arc::new(client_config(policy.wants_certificate(), spec));
        let handler = ClientHandler { policy };
        if let Some(why) = &spec.refused {
            return Err(ConnError::Unsupported {
                host: spec.name.clone(),
                message: why.clone(),
            });
        }
        let mut proxy = None;
        let (jump, connected) = match (&spec.proxy_command, &spec.proxy_jump) {
            (Some(command), _) => {
                let (child, stream) = tcp::spawn_proxy(spec, command)?;
                proxy = Some(child);
                (None, client::connect_stream(config, stream, handler).await)
            }
            (None, None) => {
                let tcp = open_tcp(spec).await?;
                (None, client::connect_stream(config, tcp, handler).await)
            }
            (None, Some(chain)) => {
                let bastion = Box::pin(Self::connect_jump(spec, chain)).await?;
                let channel = bastion
                    .handle
                    .channel_open_direct_tcpip(
                        spec.address.clone(),
                        u32::from(spec.port),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|e| ConnError::Protocol {
                        host: spec.name.clone(),
                        address: format!("{} (through {chain})", target(spec)),
                        source: Arc::new(e),
                    })?;
                let stream = channel.into_stream();
                (
                    Some(Box::new(bastion)),
                    client::connect_stream(config, stream, handler).await,
                )
            }
        };
        let mut handle = connected.map_err(|e| match e {
            HandlerError::HostKey(e) => e,
            HandlerError::Ssh(e) => ConnError::Protocol {
                host: spec.name.clone(),
                address: target(spec),
                source: Arc::new(e),
            },
        })?;
        auth::authenticate(&mut handle, spec).await?;
        Ok(SshConnection {
            host: spec.name.clone(),
            handle,
            channels: Semaphore::new(MAX_CHANNELS),
            shell: (spec.transport == Transport::Shell).then(ShellRunner::new),
            sftp: SftpSlot::default(),
            _jump: jump,
            _proxy: proxy,
        })
    }

    /// Connects to the last hop of `chain` (`[user@]host[:port]`, comma-separated, outermost
    /// first), each hop through the previous one, each with its host key checked.
    async fn connect_jump(spec: &ConnectSpec, chain: &str) -> Result<SshConnection, ConnError> {
        let hops: Vec<&str> = chain
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let (last, outer) = hops.split_last().ok_or_else(|| ConnError::Unsupported {
            host: spec.name.clone(),
            message: "an empty ProxyJump".into(),
        })?;
        let mut hop = spec.clone();
        hop.proxy_jump = (!outer.is_empty()).then(|| outer.join(","));
        hop.transport = Transport::Exec;
        let (user, rest) = match last.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, *last),
        };
        let (host, port) = split_hop(rest);
        hop.name = format!("{} (bastion for {})", last, spec.name);
        hop.address = host.to_string();
        hop.port = port;
        if let Some(u) = user {
            hop.user = u.to_string();
        }
        let policy = HostKeyPolicy::load(&hop)?;
        Self::connect_inner(&hop, policy).await
    }

    /// Runs `command` in the connection's shell, or on its own exec channel.
    pub async fn exec(&self, command: &str) -> Result<ExecOutput, ConnError> {
        match &self.shell {
            Some(shell) => {
                let (handle, host) = (&self.handle, self.host.as_str());
                shell.run(handle, host, &self.channels, command).await
            }
            None => exec::run(&self.handle, &self.host, &self.channels, command).await,
        }
    }

    /// Runs `command` with `input` on its stdin (secrets, file contents).
    pub async fn exec_input(&self, command: &str, input: Input) -> Result<ExecOutput, ConnError> {
        exec::run_with_input(&self.handle, &self.host, &self.channels, command, input).await
    }

    /// Runs `command`, its stdout streamed into `out`.
    pub async fn exec_to_file(
        &self,
        command: &str,
        out: &mut tokio::fs::File,
    ) -> Result<ExecOutput, ConnError> {
        exec::run_to_file(&self.handle, &self.host, &self.channels, command, out).await
    }

    /// Writes `input` to the new file `path` over the connection's SFTP session (opened on
    /// first use); returns the bytes written, or `None` when the server has no SFTP.
    pub async fn sftp_put(&self, path: &str, input: Input) -> Option<Result<u64, ConnError>> {
        self.sftp.put(&self.handle, &self.host, path, input).await
    }

    /// Says goodbye to the server; commands after this fail.
    pub async fn close(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }

    /// Whether the connection has ended (closed, or lost).
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }
}

/// `host`, `host:port`, `[host]` or `[host]:port` (as `ssh -G` writes ProxyJump hops).
fn split_hop(hop: &str) -> (&str, u16) {
    if let Some((inner, after)) = hop.strip_prefix('[').and_then(|r| r.split_once(']')) {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (inner, port.unwrap_or(22));
    }
    match hop.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(22)),
        _ => (hop, 22),
    }
}

fn client_config(certificates: bool, spec: &ConnectSpec) -> client::Config {
    let interval = spec.keepalive_interval.unwrap_or(KEEPALIVE_INTERVAL);
    let max = spec.keepalive_max.unwrap_or(KEEPALIVE_MAX);
    let mut config = client::Config {
        // ServerAliveInterval 0 turns the probes off, as in OpenSSH.
        keepalive_interval: (!interval.is_zero()).then_some(interval),
        keepalive_max: max,
        nodelay: true,
        ..Default::default()
    };
    if certificates {
        config.preferred.host_key_certificates = Cow::Borrowed(CERTIFICATE_ALGORITHMS);
    }
    config
}

/// `ansible_connection: ssh` (the default; `smart` and `paramiko` mean the same to ferry).
pub(crate) static KIND: Kind = Kind {
    names: &["ssh", "paramiko", "smart"],
    connect: |spec| {
        Box::pin(async {
            let conn = SshConnection::connect(spec).await?;
            Ok(Box::new(conn) as Box<dyn Connection>)
        })
    },
};

impl Connection for SshConnection {
    fn exec<'a>(&'a self, command: &'a str) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(SshConnection::exec(self, command))
    }

    fn exec_input<'a>(
        &'a self,
        command: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(SshConnection::exec_input(self, command, input))
    }

    fn exec_to_file<'a>(
        &'a self,
        command: &'a str,
        out: &'a mut tokio::fs::File,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(SshConnection::exec_to_file(self, command, out))
    }

    fn sftp_put<'a>(
        &'a self,
        path: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Option<Result<u64, ConnError>>> {
        Box::pin(SshConnection::sftp_put(self, path, input))
    }

    fn open_terminal<'a>(
        &'a self,
        command: &'a str,
    ) -> BoxFuture<'a, Option<Result<Box<dyn Terminal + 'a>, ConnError>>> {
        Box::pin(async move {
            let opened = terminal::open(&self.handle, &self.host, &self.channels, command).await;
            Some(opened.map(|t| Box::new(t) as Box<dyn Terminal + 'a>))
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(SshConnection::close(self))
    }
}

/// The russh event handler: it only checks the server's key.
pub(crate) struct ClientHandler {
    policy: HostKeyPolicy,
}

/// What the handshake can fail with: our host key verdict, or russh's own error.
#[derive(Debug)]
pub(crate) enum HandlerError {
    HostKey(ConnError),
    Ssh(russh::Error),
}

impl From<russh::Error> for HandlerError {
    fn from(e: russh::Error) -> Self {
        HandlerError::Ssh(e)
    }
}

impl client::Handler for ClientHandler {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        self.policy
            .check(server_public_key)
            .map(|()| true)
            .map_err(HandlerError::HostKey)
    }
}

#[cfg(test)]
mod tests {
    use super::split_hop;

    #[test]
    fn hops_as_ssh_g_writes_them() {
        for (hop, want) in [
            ("b", ("b", 22)),
            ("b:2222", ("b", 2222)),
            ("[10.0.0.1]", ("10.0.0.1", 22)),
            ("[10.0.0.1]:2200", ("10.0.0.1", 2200)),
            ("[::1]:2200", ("::1", 2200)),
        ] {
            assert_eq!(split_hop(hop), want, "{hop}");
        }
    }
}
