//! A private PostgreSQL 15 server for the state-backend tests: `initdb` a cluster in a temp
//! dir (as the `postgres` user: the server refuses to run as root), start it with `pg_ctl` on a
//! free loopback port with password authentication, stop it on `Drop`. If PostgreSQL is
//! missing, fail with the install command — never skip.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser's password in every test cluster.
pub const PASSWORD: &str = "s3cret-pw";

/// A running PostgreSQL server.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn bin_dir() -> PathBuf {
    let dir = PathBuf::from("/usr/lib/postgresql/15/bin");
    assert!(
        dir.join("initdb").exists(),
        "PostgreSQL 15 is missing: apt-get install -y postgresql"
    );
    dir
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(args)
        .output()
        .expect("runuser runs");
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    /// Initialises and starts a cluster; returns once it accepts connections.
    pub fn start() -> Postgres {
        Postgres::start_with(|_| String::new())
    }

    /// A cluster serving TLS only (`hostssl` in pg_hba.conf) with a certificate for 127.0.0.1
    /// signed by a CA made here; `ca()` is that CA's certificate, `wrong_ca()` another's.
    pub fn start_tls_only() -> Postgres {
        Postgres::start_tls("scram-sha-256", "")
    }

    /// A TLS-only cluster that takes client certificates signed by `ca()` instead of passwords
    /// (`cert` in pg_hba.conf): `client_cert("ok")` is the user postgres's certificate and key,
    /// `client_cert("wrong")` one signed by `wrong_ca()`.
    pub fn start_tls_client_certs() -> Postgres {
        Postgres::start_tls("cert", "-c ssl_ca_file=ca.crt")
    }

    /// A client certificate and key made for a client-certificate cluster.
    pub fn client_cert(&self, which: &str) -> (PathBuf, PathBuf) {
        let data = self.dir.path().join("data");
        (
            data.join(format!("client-{which}.crt")),
            data.join(format!("client-{which}.key")),
        )
    }

    fn start_tls(auth: &'static str, more: &'static str) -> Postgres {
        Postgres::start_with(move |data| {
            let sh = |script: &str| {
                let out = Command::new("sh")
                    .arg("-c")
                    .arg(script)
                    .current_dir(data)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{script}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            for ca in ["ca", "wrong-ca"] {
                sh(&format!("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ferry-test-{ca} -keyout {ca}.key -out {ca}.crt"));
            }
            sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr \
                && printf 'subjectAltName=IP:127.0.0.1\n' > san.ext \
                && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt \
                && chown postgres:postgres server.key server.crt ca.crt && chmod 600 server.key");
            // X.509 v3 (an extension), as real client certificates are.
            sh("printf 'extendedKeyUsage=clientAuth\\n' > client.ext");
            for (which, ca) in [("ok", "ca"), ("wrong", "wrong-ca")] {
                sh(&format!("openssl req -newkey rsa:2048 -nodes -subj /CN=postgres -keyout client-{which}.key -out client-{which}.csr \
                    && openssl x509 -req -in client-{which}.csr -CA {ca}.crt -CAkey {ca}.key -CAcreateserial -days 2 -extfile client.ext -out client-{which}.crt \
                    && chmod 600 client-{which}.key"));
            }
            std::fs::write(
                data.join("pg_hba.conf"),
                format!("local all all scram-sha-256\nhostssl all all 127.0.0.1/32 {auth}\n"),
            )
            .unwrap();
            format!("-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key {more}")
        })
    }

    /// The CA that signed a TLS cluster's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("data/ca.crt")
    }

    /// A CA that did not.
    pub fn wrong_ca(&self) -> PathBuf {
        self.dir.path().join("data/wrong-ca.crt")
    }

    /// Initialises a cluster, lets `prepare` change its data directory (it returns more
    /// server options), and starts it.
    fn start_with(prepare: impl FnOnce(&Path) -> String) -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::create_dir(&data).unwrap();
        Command::new("chown")
            .args(["postgres:postgres", &data.display().to_string()])
            .status()
            .unwrap();
        let (d, p) = (data.display().to_string(), pwfile.display().to_string());
        as_postgres(
            &bin,
            "initdb",
            &[
                "-D",
                &d,
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                "--pwfile",
                &p,
                "-E",
                "UTF8",
            ],
        );
        let more = prepare(&data);
        let port = super::sshd::free_port("127.0.0.1");
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off {more}",
            data.display()
        );
        let log = data.join("log").display().to_string();
        as_postgres(
            &bin,
            "pg_ctl",
            &["-D", &d, "-l", &log, "-o", &opts, "-w", "start"],
        );
        Postgres { dir, bin, port }
    }

    /// A connection URL with `password`.
    pub fn url_with(&self, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The connection URL.
    pub fn url(&self) -> String {
        self.url_with(PASSWORD)
    }

    /// Runs `sql` with Debian's `psql`, as a runner that is not ferry would; panics on error.
    pub fn psql(&self, sql: &str) {
        let out = Command::new(self.bin.join("psql"))
            .args([&self.url(), "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let d = self.dir.path().join("data").display().to_string();
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &d, "-m", "immediate", "stop"])
            .output();
    }
}
