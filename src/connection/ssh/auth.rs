//! Public key authentication: the spec's key files, or else the ssh-agent and the default
//! key files (`~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`), as `ssh` does without `-i`.
//!
//! Every attempt is written down, so a refusal can say what was tried and why each failed.
//! Passwords and keyboard-interactive are not supported: a deployment runs unattended.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::client::{AuthResult, Handle, Handler};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::ssh_key::{HashAlg, PublicKey};
use russh::keys::PrivateKeyWithHashAlg;
use russh::MethodSet;
use tokio::net::UnixStream;

use crate::connection::{ConnError, ConnectSpec};

/// The key files tried, in `~/.ssh`, when the spec names none.
const DEFAULT_KEYS: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];

/// The authentication attempts on one connection.
struct Attempts<'a, H: Handler> {
    handle: &'a mut Handle<H>,
    user: &'a str,
    /// One line per key tried, with its outcome.
    tried: Vec<String>,
    /// What the server said it accepts, from its last refusal.
    server_methods: String,
    agent: Option<AgentClient<UnixStream>>,
}

/// Authenticates `user` on `handle`, or returns [`ConnError::Auth`] listing what was tried.
pub(crate) async fn authenticate<H: Handler>(
    handle: &mut Handle<H>,
    spec: &ConnectSpec,
) -> Result<(), ConnError> {
    let (host, identity_files) = (spec.name.as_str(), &spec.identity_files);
    let mut attempts = Attempts {
        handle,
        user: &spec.user,
        tried: Vec::new(),
        server_methods: String::new(),
        agent: None,
    };
    let accepted = if identity_files.is_empty() {
        attempts.defaults().await
    } else if spec.identities_only || std::env::var_os("SSH_AUTH_SOCK").is_none() {
        attempts.files(identity_files).await
    } else {
        // OpenSSH's order without IdentitiesOnly: the agent's keys, then the files.
        match attempts.agent_keys().await {
            Ok(true) => Ok(true),
            Ok(false) => attempts.files(identity_files).await,
            Err(e) => Err(e),
        }
    };
    match accepted {
        Ok(true) => Ok(()),
        Ok(false) => Err(attempts.refusal(host)),
        Err(e) => {
            let mut note = format!("then the server closed the connection ({e})");
            if !identity_files.is_empty() && !spec.identities_only {
                note.push_str(
                    "; the ssh-agent's keys, offered first, may have used up the server's \
                     MaxAuthTries: set IdentitiesOnly yes in the ssh config",
                );
            }
            attempts.tried.push(note);
            Err(attempts.refusal(host))
        }
    }
}

impl<H: Handler> Attempts<'_, H> {
    async fn files(&mut self, paths: &[PathBuf]) -> Result<bool, russh::Error> {
        for path in paths {
            if self.file(path).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn defaults(&mut self) -> Result<bool, russh::Error> {
        if self.agent_keys().await? {
            return Ok(true);
        }
        let dir = crate::paths::home_dir().unwrap_or_default().join(".ssh");
        let mut found = false;
        for name in DEFAULT_KEYS {
            let path = dir.join(name);
            if path.exists() {
                found = true;
                if self.file(&path).await? {
                    return Ok(true);
                }
            }
        }
        if !found {
            let names = DEFAULT_KEYS.join(", ");
            self.tried.push(format!(
                "default keys: none of {names} in {}",
                dir.display()
            ));
        }
        Ok(false)
    }

    /// Tries one private key file; an encrypted one is signed by the agent if it holds it.
    async fn file(&mut self, path: &Path) -> Result<bool, russh::Error> {
        let key = match russh::keys::load_secret_key(path, None) {
            Ok(key) => key,
            Err(russh::keys::Error::KeyIsEncrypted) => return self.encrypted_file(path).await,
            Err(e) => {
                self.tried
                    .push(format!("key {}: cannot load it: {e}", path.display()));
                return Ok(false);
            }
        };
        let hash = self.rsa_hash(key.algorithm().is_rsa()).await?;
        let algorithm = key.algorithm();
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let result = self.handle.authenticate_publickey(self.user, key).await?;
        Ok(self.note(result, format!("key {} ({algorithm})", path.display())))
    }

    async fn encrypted_file(&mut self, path: &Path) -> Result<bool, russh::Error> {
        let mut public_path = path.as_os_str().to_owned();
        public_path.push(".pub");
        let public = russh::keys::load_public_key(PathBuf::from(public_path)).ok();
        let held = match (public, self.agent_identities().await) {
            (Some(public), Some(ids)) => ids
                .into_iter()
                .find(|id| id_key(id).map(PublicKey::key_data) == Some(public.key_data())),
            _ => None,
        };
        match held {
            Some(identity) => self.agent_key(identity).await,
            None => {
                let what = format!(
                    "key {}: it is encrypted and the ssh-agent does not hold it \
                     (add it with ssh-add)",
                    path.display()
                );
                self.tried.push(what);
                Ok(false)
            }
        }
    }

    async fn agent_keys(&mut self) -> Result<bool, russh::Error> {
        let Some(identities) = self.agent_identities().await else {
            return Ok(false);
        };
        for identity in identities {
            if self.agent_key(identity).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The agent's plain keys (certificates are not offered); `None` without an agent.
    async fn agent_identities(&mut self) -> Option<Vec<AgentIdentity>> {
        if self.agent.is_none() {
            if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
                let note = "ssh-agent: SSH_AUTH_SOCK is not set";
                if !self.tried.iter().any(|t| t == note) {
                    self.tried.push(note.to_owned());
                }
                return None;
            }
            match AgentClient::connect_env().await {
                Ok(agent) => self.agent = Some(agent),
                Err(e) => {
                    self.tried.push(format!("ssh-agent: cannot connect: {e}"));
                    return None;
                }
            }
        }
        let agent = self.agent.as_mut()?;
        match agent.request_identities().await {
            Ok(ids) => Some(ids.into_iter().filter(|id| id_key(id).is_some()).collect()),
            Err(e) => {
                self.tried.push(format!("ssh-agent: cannot list keys: {e}"));
                None
            }
        }
    }

    async fn agent_key(&mut self, identity: AgentIdentity) -> Result<bool, russh::Error> {
        let (AgentIdentity::PublicKey { key, comment }, Some(agent)) =
            (identity, self.agent.as_mut())
        else {
            return Ok(false);
        };
        let hash = rsa_hash(self.handle, key.algorithm().is_rsa()).await?;
        let what = format!(
            "agent key {} {}{}",
            key.algorithm(),
            key.fingerprint(HashAlg::Sha256),
            if comment.is_empty() {
                String::new()
            } else {
                format!(" ({comment})")
            }
        );
        match self
            .handle
            .authenticate_publickey_with(self.user, key, hash, agent)
            .await
        {
            Ok(result) => Ok(self.note(result, what)),
            Err(e) => {
                self.tried
                    .push(format!("{what}: the agent did not sign: {e}"));
                Ok(false)
            }
        }
    }

    async fn rsa_hash(&self, is_rsa: bool) -> Result<Option<HashAlg>, russh::Error> {
        rsa_hash(self.handle, is_rsa).await
    }

    /// Records the outcome of one attempt; true when it let us in.
    fn note(&mut self, result: AuthResult, what: String) -> bool {
        match result {
            AuthResult::Success => true,
            AuthResult::Failure {
                remaining_methods,
                partial_success,
            } => {
                self.server_methods = method_names(&remaining_methods);
                let outcome = if partial_success {
                    "accepted, but the server wants a second factor"
                } else {
                    "refused"
                };
                self.tried.push(format!("{what}: {outcome}"));
                false
            }
        }
    }

    fn refusal(self, host: &str) -> ConnError {
        ConnError::Auth {
            host: host.to_owned(),
            user: self.user.to_owned(),
            tried: self.tried,
            server_methods: self.server_methods,
        }
    }
}

/// The best RSA signature hash the server accepts (only asked for RSA keys: the question
/// can wait up to a second for the server's extension info).
async fn rsa_hash<H: Handler>(
    handle: &Handle<H>,
    is_rsa: bool,
) -> Result<Option<HashAlg>, russh::Error> {
    if !is_rsa {
        return Ok(None);
    }
    Ok(handle.best_supported_rsa_hash().await?.flatten())
}

fn id_key(identity: &AgentIdentity) -> Option<&PublicKey> {
    match identity {
        AgentIdentity::PublicKey { key, .. } => Some(key),
        AgentIdentity::Certificate { .. } => None,
    }
}

fn method_names(methods: &MethodSet) -> String {
    methods
        .iter()
        .map(<&str>::from)
        .collect::<Vec<_>>()
        .join(",")
}
