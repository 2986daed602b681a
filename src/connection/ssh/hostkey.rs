//! The host key policy: accept, refuse or record the key a server offers, as
//! [`HostKeyChecking`] says, using the known_hosts reader for the facts.
//!
//! Host certificates are trusted when a matching `@cert-authority` line signed them and they
//! are valid for the host now; otherwise their plain key is checked, as OpenSSH does.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{Certificate, HashAlg, PublicKey};
use russh::keys::PublicKeyOrCertificate;

use super::known_hosts::{self, KnownHostsFile, Verdict};
use crate::connection::{ConnError, ConnectSpec, HostKeyChecking};

/// One host's known_hosts facts and the rule to apply to them.
#[derive(Debug)]
pub(crate) struct HostKeyPolicy {
    host: String,
    address: String,
    port: u16,
    /// The name looked up in known_hosts: `address` or `[address]:port`.
    lookup: String,
    checking: HostKeyChecking,
    files: Vec<KnownHostsFile>,
}

impl HostKeyPolicy {
    /// Reads the spec's known_hosts files (none when checking is off).
    pub(crate) fn load(spec: &ConnectSpec) -> Result<Self, ConnError> {
        let lookup = known_hosts::lookup_name(&spec.address, spec.port);
        let mut files = Vec::new();
        if spec.host_key_checking != HostKeyChecking::Off {
            for path in &spec.known_hosts {
                let file =
                    KnownHostsFile::for_host(path, &lookup).map_err(|e| ConnError::KnownHosts {
                        action: "read",
                        path: path.clone(),
                        source: Arc::new(e),
                    })?;
                files.push(file);
            }
        }
        Ok(HostKeyPolicy {
            host: spec.name.clone(),
            address: spec.address.clone(),
            port: spec.port,
            lookup,
            checking: spec.host_key_checking,
            files,
        })
    }

    /// Whether a `@cert-authority` line covers this host, so asking for a certificate helps.
    pub(crate) fn wants_certificate(&self) -> bool {
        known_hosts::authorities(&self.files, &self.lookup)
            .next()
            .is_some()
    }

    /// Accepts the offered key, records it (accept-new), or says why not.
    pub(crate) fn check(&self, offered: &PublicKeyOrCertificate) -> Result<(), ConnError> {
        if self.checking == HostKeyChecking::Off {
            return Ok(());
        }
        let (verdict, plain) = match offered {
            PublicKeyOrCertificate::PublicKey { key, .. } => (
                known_hosts::check_key(&self.files, &self.lookup, key.key_data()),
                key.key_data(),
            ),
            PublicKeyOrCertificate::Certificate(cert) => {
                (self.check_certificate(cert), cert.public_key())
            }
        };
        match verdict {
            Verdict::Known => Ok(()),
            Verdict::Unknown if self.checking == HostKeyChecking::AcceptNew => self.record(plain),
            Verdict::Unknown => Err(ConnError::HostKeyUnknown {
                host: self.host.clone(),
                address: self.address.clone(),
                port: self.port,
                fingerprint: fingerprint(plain),
                known_hosts: self.paths().join(", "),
            }),
            Verdict::Changed { file, line } => Err(ConnError::HostKeyChanged {
                host: self.host.clone(),
                address: self.address.clone(),
                port: self.port,
                fingerprint: fingerprint(plain),
                file,
                line,
            }),
            Verdict::Revoked { file, line } => Err(ConnError::HostKeyRevoked {
                host: self.host.clone(),
                address: self.address.clone(),
                port: self.port,
                fingerprint: match offered {
                    PublicKeyOrCertificate::Certificate(cert) => format!(
                        "{} (a certificate signed by {})",
                        fingerprint(plain),
                        fingerprint(cert.signature_key())
                    ),
                    PublicKeyOrCertificate::PublicKey { .. } => fingerprint(plain),
                },
                file,
                line,
            }),
        }
    }

    fn check_certificate(&self, cert: &Certificate) -> Verdict {
        let (files, lookup) = (&self.files, self.lookup.as_str());
        for key in [cert.public_key(), cert.signature_key()] {
            if let Some(revoked) = known_hosts::revoked(files, lookup, key) {
                return revoked;
            }
        }
        let trusted: Vec<_> = known_hosts::authorities(files, lookup)
            .map(|ca| ca.fingerprint(HashAlg::Sha256))
            .collect();
        let address = self.address.to_lowercase();
        let names_host = cert.valid_principals().is_empty()
            || cert
                .valid_principals()
                .iter()
                .any(|p| p.to_lowercase() == address);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if cert.cert_type() == CertType::Host
            && names_host
            && cert.validate_at(now, &trusted).is_ok()
        {
            return Verdict::Known;
        }
        known_hosts::check_key(files, lookup, cert.public_key())
    }

    fn record(&self, key: &KeyData) -> Result<(), ConnError> {
        let Some(path) = self.paths_raw().next() else {
            return Ok(()); // no file to record in: accept for this run only
        };
        append(path, &self.lookup, key).map_err(|e| ConnError::KnownHosts {
            action: "write",
            path: path.to_owned(),
            source: Arc::new(e),
        })
    }

    fn paths_raw(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    fn paths(&self) -> Vec<String> {
        self.paths_raw().map(|p| p.display().to_string()).collect()
    }
}

/// `ssh-ed25519 SHA256:…`, as OpenSSH shows a key.
fn fingerprint(key: &KeyData) -> String {
    format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256))
}

/// Serializes appends from concurrent connects so lines never interleave.
static APPEND_LOCK: Mutex<()> = Mutex::new(());

/// Appends `name key` as one line to the known_hosts file at `path`, creating it (and a
/// private parent directory) if needed.
fn append(path: &Path, name: &str, key: &KeyData) -> std::io::Result<()> {
    let _guard = APPEND_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let mut line = String::new();
    if file.seek(SeekFrom::End(-1)).is_ok() {
        let mut last = [0u8];
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.push('\n');
        }
    }
    let openssh = PublicKey::new(key.clone(), "")
        .to_openssh()
        .map_err(std::io::Error::other)?;
    line.push_str(&format!("{name} {openssh}\n"));
    file.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNv7/FxwQbOvZa8yzxuX14r2qm/aGmh59v590hN2jTh";
    const K2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDOJroYD4rhc1nd/o+fjCbWD7idpG7+uz5QYMC4pVyIB";

    fn offered(openssh: &str) -> PublicKeyOrCertificate {
        PublicKey::from_openssh(openssh).unwrap().into()
    }

    fn policy(known_hosts: &Path, checking: HostKeyChecking) -> HostKeyPolicy {
        let mut spec = ConnectSpec::new("web1");
        spec.address = "127.0.0.50".into();
        spec.port = 2222;
        spec.known_hosts = vec![known_hosts.to_owned()];
        spec.host_key_checking = checking;
        HostKeyPolicy::load(&spec).unwrap()
    }

    #[test]
    fn accept_new_records_then_strict_knows() {
        let dir = tempfile::tempdir().unwrap();
        let kh = dir.path().join("sub/known_hosts");
        let err = policy(&kh, HostKeyChecking::Strict)
            .check(&offered(K1))
            .unwrap_err();
        assert!(matches!(err, ConnError::HostKeyUnknown { .. }), "{err}");

        policy(&kh, HostKeyChecking::AcceptNew)
            .check(&offered(K1))
            .unwrap();
        let text = std::fs::read_to_string(&kh).unwrap();
        assert_eq!(text, format!("[127.0.0.50]:2222 {K1}\n"));
        policy(&kh, HostKeyChecking::Strict)
            .check(&offered(K1))
            .unwrap();

        // A changed key is refused even under accept-new, and names the line.
        for checking in [HostKeyChecking::Strict, HostKeyChecking::AcceptNew] {
            let err = policy(&kh, checking).check(&offered(K2)).unwrap_err();
            match err {
                ConnError::HostKeyChanged { file, line, .. } => {
                    assert_eq!((file, line), (kh.clone(), 1));
                }
                other => panic!("expected a changed key, got {other}"),
            }
        }
        policy(&kh, HostKeyChecking::Off)
            .check(&offered(K2))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&kh).unwrap().lines().count(), 1);
    }

    #[test]
    fn append_adds_a_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let kh = dir.path().join("known_hosts");
        std::fs::write(&kh, format!("web9 {K2}")).unwrap();
        let key = PublicKey::from_openssh(K1).unwrap();
        append(&kh, "web1", key.key_data()).unwrap();
        let text = std::fs::read_to_string(&kh).unwrap();
        assert_eq!(text, format!("web9 {K2}\nweb1 {K1}\n"));
    }
}
