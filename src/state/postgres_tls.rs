//! TLS to the PostgreSQL state server, through rustls (no OpenSSL), with libpq's `sslmode`
//! values in the URL: `disable`; `allow`/`prefer` (the default: TLS when the server offers it);
//! `require` (TLS or nothing); `verify-ca` (the server's certificate must chain to
//! `sslrootcert`); `verify-full` (and name the host connected to). As in libpq, `require` with
//! an `sslrootcert` verifies the chain as `verify-ca` does; `sslrootcert=system` takes the
//! system's trusted roots; without `sslrootcert`, `~/.postgresql/root.crt`. A client
//! certificate (for `cert` authentication in pg_hba.conf) is `sslcert` with its key `sslkey`,
//! by default `~/.postgresql/postgresql.crt` and `.key` when they exist; as libpq does, a key
//! others can read is refused.
//!
//! tokio-postgres knows only disable/prefer/require and no `sslrootcert`, so [`split`] takes
//! ferry's options out of the URL and hands the driver the rest.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A TLS setting that cannot be used; it names the database without its password.
#[derive(Debug, thiserror::Error)]
#[error("state database {url}: {message}")]
pub struct TlsError {
    url: String,
    message: String,
}

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Check {
    /// Nothing (encryption without authentication, as libpq's `require`).
    Nothing,
    /// The chain to the root certificates.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS part of a state URL.
#[derive(Debug, PartialEq)]
pub(crate) struct Tls {
    check: Check,
    root: Option<String>,
    /// `sslcert` and `sslkey`.
    client: (Option<String>, Option<String>),
}

/// Splits `url` into the URL the driver reads (with `sslmode` one it knows) and ferry's TLS
/// setting; `shown` is the URL for messages.
pub(crate) fn split(url: &str, shown: &str) -> Result<(String, Tls), TlsError> {
    let fail = |message: String| TlsError {
        url: shown.to_string(),
        message,
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut root, mut cert, mut key) = (None, None, None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "sslmode" => mode = Some(v.into_owned()),
            "sslrootcert" => root = Some(v.into_owned()),
            "sslcert" => cert = Some(v.into_owned()),
            "sslkey" => key = Some(v.into_owned()),
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    let (mode, check) = match mode.as_deref().unwrap_or("prefer") {
        "disable" => (SslMode::Disable, Check::Nothing),
        "allow" | "prefer" => (SslMode::Prefer, Check::Nothing),
        "require" if root.is_some() => (SslMode::Require, Check::Chain),
        "require" => (SslMode::Require, Check::Nothing),
        "verify-ca" => (SslMode::Require, Check::Chain),
        "verify-full" => (SslMode::Require, Check::Full),
        other => {
            return Err(fail(format!(
            "sslmode '{other}': expected disable, allow, prefer, require, verify-ca or verify-full"
        )))
        }
    };
    let driver_mode = match mode {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(kept);
    query.append_pair("sslmode", driver_mode);
    let tls = Tls {
        check,
        root,
        client: (cert, key),
    };
    Ok((format!("{base}?{}", query.finish()), tls))
}

/// The driver's TLS connector for `tls`.
pub(crate) fn connector(tls: &Tls, shown: &str) -> Result<MakeRustlsConnect, TlsError> {
    let fail = |message: String| TlsError {
        url: shown.to_string(),
        message,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match tls.check {
        Check::Nothing => Arc::new(Unchecked(Arc::clone(&provider))),
        check => {
            let roots = roots(tls.root.as_deref()).map_err(fail)?;
            let full = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| fail(e.to_string()))?;
            match check {
                Check::Full => full,
                _ => Arc::new(ChainOnly(full)),
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match client_identity(&tls.client).map_err(fail)? {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| fail(format!("sslcert and sslkey: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// A client certificate chain and its key: `sslcert`/`sslkey`, else libpq's default files
/// when the certificate exists there; `None` without one.
type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_identity(
    (cert, key): &(Option<String>, Option<String>),
) -> Result<Option<Identity>, String> {
    let default =
        |name: &str| PathBuf::from(crate::paths::expand_tilde(&format!("~/.postgresql/{name}")));
    let cert = match cert {
        Some(given) => PathBuf::from(given),
        None => match default("postgresql.crt") {
            found if found.is_file() => found,
            _ => return Ok(None),
        },
    };
    let key = key
        .as_ref()
        .map_or_else(|| default("postgresql.key"), PathBuf::from);
    let certs = CertificateDer::pem_file_iter(&cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslcert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("sslcert {}: no certificate in it", cert.display()));
    }
    private_to_owner(&key)?;
    let key_der = PrivateKeyDer::from_pem_file(&key).map_err(|e| {
        format!(
            "sslkey {}: {e} (an unencrypted PEM key is needed)",
            key.display()
        )
    })?;
    Ok(Some((certs, key_der)))
}

/// libpq's rule for a client key: no access for group or others (0600), unless root owns it
/// and its group may only read it (0640).
fn private_to_owner(key: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(key).map_err(|e| format!("sslkey {}: {e}", key.display()))?;
    let mode = meta.mode() & 0o777;
    let allowed = if meta.uid() == 0 { 0o640 } else { 0o600 };
    if mode & !allowed != 0 {
        return Err(format!(
            "sslkey {}: others may read it (mode {mode:o}); make it private with chmod 600",
            key.display()
        ));
    }
    Ok(())
}

/// The root certificates `sslrootcert` names (`system`: the system's bundle).
fn roots(given: Option<&str>) -> Result<rustls::RootCertStore, String> {
    let path = match given {
        Some("system") => system_bundle()?,
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(crate::paths::expand_tilde("~/.postgresql/root.crt")),
    };
    let certs = CertificateDer::pem_file_iter(&path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    let mut store = rustls::RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "sslrootcert {}: no certificate in it",
            path.display()
        ));
    }
    Ok(store)
}

/// The system's trusted roots: `SSL_CERT_FILE`, else the bundle of the usual distributions.
fn system_bundle() -> Result<PathBuf, String> {
    let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let known = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ];
    env.into_iter()
        .chain(known.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| "sslrootcert=system: no system certificate bundle found".to_string())
}

/// `require` without roots: the handshake is checked, the certificate is not (libpq's rule).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

/// `verify-ca`: the chain is checked, the name is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_libpq_tls_options_out_of_the_url() {
        let cases = [
            (
                "postgres://h/db",
                "postgres://h/db?sslmode=prefer",
                SslMode::Prefer,
                Check::Nothing,
                None,
            ),
            (
                "postgres://h/db?sslmode=disable&application_name=x",
                "postgres://h/db?application_name=x&sslmode=disable",
                SslMode::Disable,
                Check::Nothing,
                None,
            ),
            (
                "postgres://h/db?sslmode=require",
                "postgres://h/db?sslmode=require",
                SslMode::Require,
                Check::Nothing,
                None,
            ),
            (
                "postgres://h/db?sslmode=require&sslrootcert=%2Fca.pem",
                "postgres://h/db?sslmode=require",
                SslMode::Require,
                Check::Chain,
                Some("/ca.pem"),
            ),
            (
                "postgres://h/db?sslmode=verify-ca&sslrootcert=/ca.pem",
                "postgres://h/db?sslmode=require",
                SslMode::Require,
                Check::Chain,
                Some("/ca.pem"),
            ),
            (
                "postgres://h/db?sslmode=verify-full",
                "postgres://h/db?sslmode=require",
                SslMode::Require,
                Check::Full,
                None,
            ),
        ];
        for (url, driver, mode, check, root) in cases {
            let (got, tls) = split(url, "shown").unwrap();
            assert_eq!(got, driver, "{url}");
            let want = Tls {
                check,
                root: root.map(String::from),
                client: (None, None),
            };
            let _ = mode;
            assert_eq!(tls, want, "{url}");
        }
        let (_, tls) = split("postgres://h/db?sslcert=/c.pem&sslkey=/k.pem", "").unwrap();
        assert_eq!(tls.client, (Some("/c.pem".into()), Some("/k.pem".into())));
        let err = split("postgres://h/db?sslmode=verify", "postgres://h/db").unwrap_err();
        assert_eq!(
            err.to_string(),
            "state database postgres://h/db: sslmode 'verify': expected disable, allow, prefer, require, verify-ca or verify-full"
        );
    }
}
