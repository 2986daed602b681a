//! `ConnError`: everything that can go wrong reaching a host or running a command on it.
//!
//! Each message names the inventory host first and says what to do when there is something
//! to do (an unknown or changed host key). A command's own failure (non-zero rc) is not an
//! error: it is data in `ExecOutput`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A failure to connect to, authenticate with, or talk to a host.
///
/// Cheap to clone (sources are shared), so the pool can hand the same error to every task
/// that asks for a host whose connection failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnError {
    /// No authentication method was accepted.
    #[error(
        "{host}: permission denied for user '{user}' (tried: {tried}){remaining}",
        tried = if tried.is_empty() { "no keys found".to_owned() } else { tried.join("; ") },
        remaining = if server_methods.is_empty() {
            String::new()
        } else {
            format!("; the server accepts: {server_methods}")
        }
    )]
    Auth {
        host: String,
        user: String,
        /// One entry per method or key tried, with why it did not work.
        tried: Vec<String>,
        /// The methods the server said it would accept, comma-separated.
        server_methods: String,
    },

    /// A channel could not be opened or a request on it was refused.
    #[error("{host}: SSH channel error: {message}")]
    Channel { host: String, message: String },

    /// The TCP connection could not be made.
    #[error("{host}: cannot connect to {address}: {source}")]
    Connect {
        host: String,
        address: String,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// The server's key differs from the one recorded for it.
    #[error(
        "{host}: the host key for {target} has CHANGED: the server offered {fingerprint}, \
         but {file}:{line} holds a different key. Someone may be intercepting the connection, \
         or the host was reinstalled. If you know the key changed, remove the old entry with \
         `ssh-keygen -R {target_arg} -f {file_arg}` and connect again.",
        target = display_target(address, *port),
        target_arg = super::quote(&known_hosts_name(address, *port)),
        file = file.display(),
        file_arg = super::quote(&file.to_string_lossy())
    )]
    HostKeyChanged {
        host: String,
        address: String,
        port: u16,
        /// Key type and SHA-256 fingerprint, e.g. `ssh-ed25519 SHA256:…`.
        fingerprint: String,
        file: PathBuf,
        line: usize,
    },

    /// The server's key (or the authority that signed its certificate) is marked `@revoked`.
    #[error(
        "{host}: the host key {fingerprint} offered by {target} is revoked: see \
         {file}:{line}; refusing to connect",
        target = display_target(address, *port),
        file = file.display()
    )]
    HostKeyRevoked {
        host: String,
        address: String,
        port: u16,
        fingerprint: String,
        file: PathBuf,
        line: usize,
    },

    /// The server's key is in no known_hosts file and checking is strict.
    #[error(
        "{host}: unknown host key for {target}: {fingerprint} is not in {files}. \
         If this is the right key, add it with `ssh-keyscan {keyscan_args} >> ~/.ssh/known_hosts` \
         (compare the fingerprint first), or run with `--host-key-checking accept-new`",
        target = display_target(address, *port),
        files = if known_hosts.is_empty() { "any known_hosts file".to_owned() } else { known_hosts.clone() },
        keyscan_args = keyscan_args(address, *port)
    )]
    HostKeyUnknown {
        host: String,
        address: String,
        port: u16,
        fingerprint: String,
        /// The files searched, comma-separated.
        known_hosts: String,
    },

    /// A known_hosts file could not be read or written.
    #[error("cannot {action} known_hosts file {}: {source}", path.display())]
    KnownHosts {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// `sh` could not be started for a local connection.
    #[error("{host}: cannot run sh locally: {source}")]
    Local {
        host: String,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// The connection died while a command was running.
    #[error("{host}: connection lost while running a command: {message}")]
    Lost { host: String, message: String },

    /// The SSH handshake or protocol failed.
    #[error("{host}: SSH error with {address}: {source}")]
    Protocol {
        host: String,
        address: String,
        #[source]
        source: Arc<russh::Error>,
    },

    /// The host needs something ferry does not support yet (e.g. ProxyJump).
    #[error("{host}: {message}")]
    Unsupported { host: String, message: String },

    /// A container connection's container cannot be used (missing, stopped, no engine).
    #[error("{host}: cannot reach container {container}: {message}")]
    Container {
        host: String,
        container: String,
        message: String,
    },

    /// The host name could not be resolved.
    #[error("{host}: cannot resolve {address}: {source}")]
    Resolve {
        host: String,
        address: String,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// `ansible_connection` names a kind of connection ferry does not have.
    #[error("{host}: unknown connection type '{kind}' (ansible_connection); ferry knows: {known}")]
    UnknownKind {
        host: String,
        kind: String,
        known: String,
    },

    /// Become did not start the command: the password was refused, or the become program
    /// never asked for one nor ran the command.
    #[error("{host}: {message}")]
    Become { host: String, message: String },

    /// Connecting and authenticating took longer than the connect timeout.
    #[error("{host}: timed out after {}s connecting to {address}", after.as_secs_f64())]
    Timeout {
        host: String,
        address: String,
        after: Duration,
    },
}

impl ConnError {
    /// Whether Ansible would report this as UNREACHABLE (rather than FAILED).
    ///
    /// Every connection-level failure is: the task never got a command's result.
    pub fn is_unreachable(&self) -> bool {
        match self {
            ConnError::Auth { .. }
            | ConnError::Channel { .. }
            | ConnError::Connect { .. }
            | ConnError::Container { .. }
            | ConnError::HostKeyChanged { .. }
            | ConnError::HostKeyRevoked { .. }
            | ConnError::HostKeyUnknown { .. }
            | ConnError::KnownHosts { .. }
            | ConnError::Local { .. }
            | ConnError::Lost { .. }
            | ConnError::Protocol { .. }
            | ConnError::Unsupported { .. }
            | ConnError::Resolve { .. }
            | ConnError::Timeout { .. }
            | ConnError::UnknownKind { .. } => true,
            ConnError::Become { .. } => false,
        }
    }
}

/// The name a known_hosts file records for `address` and `port`.
pub(crate) fn known_hosts_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_owned()
    } else {
        format!("[{address}]:{port}")
    }
}

fn display_target(address: &str, port: u16) -> String {
    format!("{address} port {port}")
}

fn keyscan_args(address: &str, port: u16) -> String {
    if port == 22 {
        super::quote(address)
    } else {
        format!("-p {port} {}", super::quote(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_messages_say_what_to_do() {
        let unknown = ConnError::HostKeyUnknown {
            host: "web1".into(),
            address: "10.0.0.5".into(),
            port: 2222,
            fingerprint: "ssh-ed25519 SHA256:abc".into(),
            known_hosts: "/root/.ssh/known_hosts".into(),
        };
        assert_eq!(
            unknown.to_string(),
            "web1: unknown host key for 10.0.0.5 port 2222: ssh-ed25519 SHA256:abc is not in \
             /root/.ssh/known_hosts. If this is the right key, add it with \
             `ssh-keyscan -p 2222 10.0.0.5 >> ~/.ssh/known_hosts` (compare the fingerprint \
             first), or run with `--host-key-checking accept-new`"
        );
        let changed = ConnError::HostKeyChanged {
            host: "web1".into(),
            address: "10.0.0.5".into(),
            port: 2222,
            fingerprint: "ssh-ed25519 SHA256:abc".into(),
            file: "/root/.ssh/known_hosts".into(),
            line: 3,
        };
        assert_eq!(
            changed.to_string(),
            "web1: the host key for 10.0.0.5 port 2222 has CHANGED: the server offered \
             ssh-ed25519 SHA256:abc, but /root/.ssh/known_hosts:3 holds a different key. \
             Someone may be intercepting the connection, or the host was reinstalled. If you \
             know the key changed, remove the old entry with \
             `ssh-keygen -R '[10.0.0.5]:2222' -f /root/.ssh/known_hosts` and connect again."
        );
    }

    #[test]
    fn auth_message_lists_what_was_tried() {
        let err = ConnError::Auth {
            host: "db".into(),
            user: "deploy".into(),
            tried: vec![
                "key /k/id_ed25519: rejected".into(),
                "ssh-agent: not running".into(),
            ],
            server_methods: "publickey,password".into(),
        };
        assert_eq!(
            err.to_string(),
            "db: permission denied for user 'deploy' (tried: key /k/id_ed25519: rejected; \
             ssh-agent: not running); the server accepts: publickey,password"
        );
        assert!(err.is_unreachable());
    }
}
