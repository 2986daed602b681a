//! Issue 20: the PostgreSQL state over TLS (rustls), against a private cluster that serves TLS
//! only (`hostssl`), with a certificate for 127.0.0.1 signed by a CA the test made: libpq's
//! `sslmode` values work, a wrong root certificate and a plaintext connection are refused
//! clearly, naming the URL without its password, before any host is contacted.

use std::fs;

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
