//! Issue 20: the PostgreSQL state over TLS (rustls), against a private cluster that serves TLS
//! only (`hostssl`), with a certificate for 127.0.0.1 signed by a CA the test made: libpq's
//! `sslmode` values work, a wrong root certificate and a plaintext connection are refused
//! clearly, naming the URL without its password, before any host is contacted.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::state_pg::fresh;
use crate::support::postgres::{Postgres, PASSWORD};
use crate::support::{ferry, Run};

/// A plain run of one local host recorded in `state`.
fn recorded_run(state: &str) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("one.ini"),
        "solo ansible_connection=local\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("one.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: touch\n      file: path={{ playbook_dir }}/touched state=touch\n",
    )
    .unwrap();
    let run = ferry(
        &["run", "one.yml", "-i", "one.ini", "--history", state],
        dir.path(),
    );
    (run, dir)
}

#[test]
fn tls_modes_verify_the_server_and_refuse_clearly() {
    let pg = Postgres::start_tls_only();
    let url = pg.url();
    let ca = pg.ca().display().to_string();
    let wrong = pg.wrong_ca().display().to_string();

    let require = format!("{url}?sslmode=require");
    let (run, _dir) = recorded_run(&require);
    assert_eq!(run.code, 0, "{}", run.all());
    let full = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    for state in [
        &full,
        &url,
        &format!("{url}?sslmode=verify-ca&sslrootcert={ca}"),
    ] {
        let history = fresh(state, &["history"]);
        assert_eq!(history.code, 0, "{state}: {}", history.all());
        assert!(history.stdout.contains("run: one.yml"), "{}", history.all());
    }

    let shown = |state: &str| state.replace(PASSWORD, "***");
    let bad_root = format!("{url}?sslmode=verify-full&sslrootcert={wrong}");
    let plain = format!("{url}?sslmode=disable");
    let cases = [
        (
            bad_root,
            "error performing TLS handshake: invalid peer certificate: UnknownIssuer".to_string(),
        ),
        (
            plain,
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"postgres\", no encryption".to_string(),
        ),
        (
            format!("{url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"),
            "sslrootcert /nonexistent/ca.crt: ".to_string(),
        ),
        (
            format!("{url}?sslmode=verify"),
            "sslmode 'verify': expected disable, allow, prefer, require, verify-ca or verify-full"
                .to_string(),
        ),
    ];
    for (state, why) in cases {
        let (run, dir) = recorded_run(&state);
        assert_eq!(run.code, 1, "{state}: {}", run.all());
        assert!(
            run.stderr
                .contains(&format!("state database {}: {why}", shown(&state))),
            "{}",
            run.all()
        );
        assert!(!run.all().contains(PASSWORD), "{}", run.all());
        assert!(!dir.path().join("touched").exists(), "no host was touched");
        let history = fresh(&state, &["history"]);
        assert_eq!(history.code, 1, "{}", history.all());
        assert!(history.stderr.contains(&why), "{}", history.all());
    }
}

/// A cluster that authenticates by client certificate (`cert` in pg_hba.conf): `sslcert` and
/// `sslkey` in the URL log in without a password; no certificate, one from another CA, or a
/// key others may read stop before any host is touched, naming the URL and why.
#[test]
fn client_certificates_log_in_where_the_server_asks_for_them() {
    let pg = Postgres::start_tls_client_certs();
    let ca = pg.ca().display().to_string();
    let base = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        pg.port
    );
    let with = |which: &str| {
        let (cert, key) = pg.client_cert(which);
        format!("{base}&sslcert={}&sslkey={}", cert.display(), key.display())
    };
    let good = with("ok");
    let (run, _dir) = recorded_run(&good);
    assert_eq!(run.code, 0, "{}", run.all());
    let history = fresh(&good, &["history"]);
    assert_eq!(history.code, 0, "{}", history.all());
    assert!(history.stdout.contains("run: one.yml"), "{}", history.all());

    let (_, ok_key) = pg.client_cert("ok");
    let readable = ok_key.with_file_name("readable.key");
    fs::copy(&ok_key, &readable).unwrap();
    fs::set_permissions(&readable, fs::Permissions::from_mode(0o644)).unwrap();
    let (ok_cert, _) = pg.client_cert("ok");
    let open_key = format!(
        "{base}&sslcert={}&sslkey={}",
        ok_cert.display(),
        readable.display()
    );
    let cases = [
        (
            base.clone(),
            "connection requires a valid client certificate; give it with sslcert=PATH&sslkey=PATH in the URL".to_string(),
        ),
        (
            with("wrong"),
            "received fatal alert: UnknownCA (the server refused the client certificate: sslcert must be signed by a CA in the server's ssl_ca_file)".to_string(),
        ),
        (
            open_key.clone(),
            format!(
                "sslkey {}: others may read it (mode 644); make it private with chmod 600",
                readable.display()
            ),
        ),
        (
            format!("{base}&sslcert=/nonexistent/client.crt"),
            "sslcert /nonexistent/client.crt: ".to_string(),
        ),
    ];
    for (state, why) in cases {
        let (run, dir) = recorded_run(&state);
        assert_eq!(run.code, 1, "{state}: {}", run.all());
        assert!(
            run.stderr.contains(&format!("state database {state}: ")) && run.stderr.contains(&why),
            "{why}\n{}",
            run.all()
        );
        assert!(!dir.path().join("touched").exists(), "no host was touched");
    }
}
