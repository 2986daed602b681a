//! Ansible Vault: the vaulted texts ferry reads and writes, the passwords that open them, and
//! the secrets that must never be shown.
//!
//! - [`cipher`]: the `$ANSIBLE_VAULT` envelope and its AES256 cipher, as ansible-core 2.18.
//! - [`sources`]: passwords from `--vault-id`, `--vault-password-file`, `--ask-vault-pass`,
//!   `ANSIBLE_VAULT_*` and ansible.cfg, into a [`Keyring`].
//! - [`mask`]: every value that came out of a vault, and the masking of output text.
//!
//! The keyring a command unlocked is installed once ([`install`]) before anything is loaded;
//! the readers (`yaml::load_file`, inline `!vault` scalars, inventory files, copy/template
//! sources) decrypt through [`open`] and [`decrypt_inline`]. This module knows nothing of
//! playbooks or hosts.

pub(crate) mod cipher;
pub mod mask;
pub mod sources;

use std::sync::RwLock;

pub(crate) use cipher::is_encrypted;
use cipher::CipherError;

/// The vault id of a secret given without a label (Ansible's `DEFAULT_VAULT_IDENTITY`).
pub const DEFAULT_ID: &str = "default";

/// One password and the vault id it is for.
#[derive(Clone)]
pub struct Secret {
    /// The vault id (`default` when none was given).
    pub id: String,
    /// Where it came from (a file, a script, `prompt`), for messages.
    pub source: String,
    password: Vec<u8>,
}

impl Secret {
    /// A secret for vault id `id`.
    pub fn new(id: &str, source: &str, password: Vec<u8>) -> Secret {
        Secret {
            id: id.to_string(),
            source: source.to_string(),
            password,
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}@{})", self.id, self.source)
    }
}

/// Why a vaulted text was not decrypted, or a password could not be had.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Vaulted data, and no password given.
    #[error("a vault password is needed to decrypt {origin} (vault id '{vault_id}'): pass --vault-password-file, --vault-id or --ask-vault-pass")]
    NoPassword {
        /// The file (or file:line:col) holding the data.
        origin: String,
        /// The vault id its header names, or `default`.
        vault_id: String,
    },
    /// No password given opens it.
    #[error("decryption failed on {origin} (vault id '{vault_id}'): no vault secret given could decrypt it (tried {tried})")]
    Failed {
        /// The file holding the data.
        origin: String,
        /// The vault id its header names, or `default`.
        vault_id: String,
        /// The secrets tried, as `id from source`.
        tried: String,
    },
    /// The text is not a valid vault.
    #[error("{origin}: {source}")]
    Format {
        /// The file holding the data.
        origin: String,
        /// What is wrong with it.
        #[source]
        source: CipherError,
    },
    /// A password source could not give a password.
    #[error("vault password for vault id '{vault_id}' from {source_name}: {reason}")]
    Source {
        /// The vault id the source was for.
        vault_id: String,
        /// The file, script or prompt.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
    /// An encryption was asked for with no password to use.
    #[error("{0}")]
    Other(String),
}

/// The passwords a command was given, in the order Ansible tries them.
#[derive(Debug, Default, Clone)]
pub struct Keyring {
    /// The secrets, best first.
    pub secrets: Vec<Secret>,
}

impl Keyring {
    /// Decrypts the vaulted `text` read from `origin`: the secrets whose id the header names
    /// first, then every other one (Ansible's default, `vault_id_match = False`).
    pub fn decrypt(&self, text: &str, origin: &str) -> Result<Vec<u8>, VaultError> {
        self.decrypt_with(text, origin).map(|(plain, _)| plain)
    }

    /// [`Keyring::decrypt`], also saying which secret opened it.
    pub fn decrypt_with(&self, text: &str, origin: &str) -> Result<(Vec<u8>, &Secret), VaultError> {
        let envelope = cipher::parse(text).map_err(|source| VaultError::Format {
            origin: origin.to_string(),
            source,
        })?;
        let vault_id = envelope
            .vault_id
            .clone()
            .unwrap_or_else(|| DEFAULT_ID.into());
        if self.secrets.is_empty() {
            return Err(VaultError::NoPassword {
                origin: origin.to_string(),
                vault_id,
            });
        }
        let named = envelope.vault_id.as_deref();
        let ordered = self
            .secrets
            .iter()
            .filter(|s| Some(s.id.as_str()) == named)
            .chain(self.secrets.iter().filter(|s| Some(s.id.as_str()) != named));
        for secret in ordered {
            match envelope.decrypt(&secret.password) {
                Ok(plain) => return Ok((plain, secret)),
                Err(CipherError::Hmac) => continue,
                Err(source) => {
                    return Err(VaultError::Format {
                        origin: origin.to_string(),
                        source,
                    })
                }
            }
        }
        let tried: Vec<String> = self
            .secrets
            .iter()
            .map(|s| format!("'{}' from {}", s.id, s.source))
            .collect();
        Err(VaultError::Failed {
            origin: origin.to_string(),
            vault_id,
            tried: tried.join(", "),
        })
    }

    /// The secret to encrypt with: the one for `id` when given, else the first.
    pub fn for_encrypt(&self, id: Option<&str>) -> Result<&Secret, VaultError> {
        let found = match id {
            Some(id) => self.secrets.iter().find(|s| s.id == id),
            None => self.secrets.first(),
        };
        found.ok_or_else(|| {
            let known: Vec<&str> = self.secrets.iter().map(|s| s.id.as_str()).collect();
            VaultError::Other(match id {
                Some(id) => format!("no vault secret for --encrypt-vault-id={id} (known: {known:?})"),
                None => "a vault password is needed to encrypt: pass --vault-password-file, --vault-id or --ask-vault-pass".into(),
            })
        })
    }

    /// Encrypts `plain` with the secret `for_encrypt(id)` picks; the header names its id.
    pub fn encrypt(&self, plain: &[u8], id: Option<&str>) -> Result<String, VaultError> {
        let secret = self.for_encrypt(id)?;
        Ok(cipher::encrypt(plain, &secret.password, Some(&secret.id)))
    }
}

static KEYRING: RwLock<Option<Keyring>> = RwLock::new(None);

/// Makes `keyring` the one the readers decrypt with, for the rest of the process.
pub fn install(keyring: Keyring) {
    *KEYRING.write().unwrap_or_else(|e| e.into_inner()) = Some(keyring);
}

/// Adds `more` secrets after those installed (a pipeline file's own password sources).
pub fn extend(more: Keyring) {
    let mut guard = KEYRING.write().unwrap_or_else(|e| e.into_inner());
    guard
        .get_or_insert_with(Keyring::default)
        .secrets
        .extend(more.secrets);
}

fn with_keyring<T>(f: impl FnOnce(&Keyring) -> T) -> T {
    let guard = KEYRING.read().unwrap_or_else(|e| e.into_inner());
    match guard.as_ref() {
        Some(k) => f(k),
        None => f(&Keyring::default()),
    }
}

/// The text of a file ferry read: decrypted when it is a whole vaulted file (the flag says
/// so; the caller, who knows the file's shape, remembers what in it is secret).
pub fn open(text: String, origin: &str) -> Result<(String, bool), VaultError> {
    if !is_encrypted(&text) {
        return Ok((text, false));
    }
    let plain = with_keyring(|k| k.decrypt(&text, origin))?;
    let plain = String::from_utf8(plain).map_err(|_| VaultError::Format {
        origin: origin.to_string(),
        source: CipherError::Format("the decrypted data is not UTF-8 text"),
    })?;
    Ok((plain, true))
}

/// [`open`] for a file used whole (a template, a `file` lookup): a vaulted file's text is
/// remembered, line by line, as secret.
pub fn open_text(text: String, origin: &str) -> Result<String, VaultError> {
    let (text, vaulted) = open(text, origin)?;
    if vaulted {
        mask::remember_text(&text);
    }
    Ok(text)
}

/// The bytes of a file to copy: a vaulted file decrypted (and remembered, line by line, as
/// secret), other data as it is (`None`).
pub fn open_bytes(data: &[u8], origin: &str) -> Result<Option<Vec<u8>>, VaultError> {
    let Some(text) = std::str::from_utf8(data).ok().filter(|t| is_encrypted(t)) else {
        return Ok(None);
    };
    let plain = with_keyring(|k| k.decrypt(text, origin))?;
    mask::remember_text(&String::from_utf8_lossy(&plain));
    Ok(Some(plain))
}

static INLINE: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// True for a value that came from an inline `!vault` scalar: the `vault_encrypted` test
/// (ferry decrypts at load, so the value is known by what it decrypted to).
pub fn was_inline(value: &str) -> bool {
    let inline = INLINE.read().unwrap_or_else(|e| e.into_inner());
    inline.iter().any(|v| v == value)
}

/// An inline `!vault` value, decrypted with the installed keyring and remembered as secret.
pub fn decrypt_inline(text: &str, origin: &str) -> Result<String, VaultError> {
    let plain = with_keyring(|k| k.decrypt(text, origin))?;
    let plain = String::from_utf8_lossy(&plain).into_owned();
    mask::remember(&plain);
    INLINE
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(plain.clone());
    Ok(plain)
}
