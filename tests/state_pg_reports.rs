//! Issues 19 and 20: the report side of the history — report models, run arguments, per-host
//! results, retention — kept in a real PostgreSQL (a private cluster, `support/postgres.rs`) as
//! in SQLite: `pipeline run --report`, `ferry report` (a run, `--compare`), `history --host
//! --status`, `history show`'s command line, `--history-keep`, and `ferry run --history
//! postgres://...`, all read back from a directory that has nothing of the runs in it.

use std::fs;

use crate::pipeline::{deployed, setup};
use crate::state_pg::{fresh, pipeline_args, run};
use crate::support::postgres::Postgres;
use crate::support::{ferry, Run, SshHosts};

/// The run numbers `ferry history` lists, newest first.
fn listed(history: &Run) -> Vec<String> {
    history
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

#[test]
fn pipeline_reports_arguments_filters_and_retention_live_in_postgres() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(2);
    setup(&hosts);
    let dir = hosts.dir.path();
    let first = run(
        &hosts,
        dir,
        &url,
        &pipeline_args(&["-e", "git_sha=r1", "--report", "p1.html"]),
    );
    assert_eq!(first.code, 0, "{}", first.all());
    let page = fs::read_to_string(dir.join("p1.html")).unwrap();
    assert!(page.contains(r#""run_id":1"#), "the page knows its run");
    let broke = run(
        &hosts,
        dir,
        &url,
        &pipeline_args(&["-e", "git_sha=r2", "-e", "break_ci=true"]),
    );
    assert_eq!(broke.code, 2, "{}", broke.all());
    assert!(!dir.join(".ferry").exists(), "nothing in SQLite");

    // Another directory (a fresh runner) renders run 2 from the database.
    let out = tempfile::tempdir().unwrap();
    let p2 = out.path().join("p2.html");
    let r = fresh(&url, &["report", "2", "-o", p2.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    let page = fs::read_to_string(&p2).unwrap();
    for want in [
        r#""run_id":2"#,
        "ci broke",
        r#""status":"failed""#,
        "git_sha",
    ] {
        assert!(page.contains(want), "{want} in the page of run 2");
    }
    let cmp = out.path().join("cmp.html");
    let r = fresh(
        &url,
        &["report", "--compare", "1", "2", "-o", cmp.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let page = fs::read_to_string(&cmp).unwrap();
    assert!(
        page.contains("reg/app:r1") && page.contains(r#""b":"failed""#),
        "the export and the task that differ"
    );

    // Per-host results: host1 failed in run 2 only; host2 took part in run 1 only (CD).
    let failed = fresh(&url, &["history", "--host", "host1", "--status", "failed"]);
    assert_eq!(listed(&failed), ["2"], "{}", failed.all());
    let host2 = fresh(&url, &["history", "--host", "host2"]);
    assert_eq!(listed(&host2), ["1"], "{}", host2.all());
    let by_status = fresh(&url, &["history", "--status", "failed"]);
    assert_eq!(listed(&by_status), ["2"], "{}", by_status.all());

    // The exact arguments, secrets' values never.
    let show = fresh(&url, &["history", "show", "2"]);
    assert!(
        show.stdout.contains(
            "  command: ferry pipeline run pipeline.yml -e git_sha=*** -e break_ci=*** --known-hosts "
        ),
        "{}",
        show.all()
    );

    // Retention: a third run keeping 2 prunes run 1, its results and its report.
    let third = run(
        &hosts,
        dir,
        &url,
        &pipeline_args(&["-e", "git_sha=r3", "--history-keep", "2"]),
    );
    assert_eq!(third.code, 0, "{}", third.all());
    assert_eq!(deployed(&hosts, "host2"), "reg/app:r1\nreg/app:r3\n");
    let history = fresh(&url, &["history"]);
    assert_eq!(listed(&history), ["3", "2"], "{}", history.all());
    let gone = fresh(&url, &["report", "1"]);
    assert_eq!(gone.code, 5, "{}", gone.all());
    assert!(
        gone.stderr.contains("no run 1 in postgres://"),
        "{}",
        gone.all()
    );
    let host2 = fresh(&url, &["history", "--host", "host2"]);
    assert_eq!(listed(&host2), ["3"], "{}", host2.all());
}

/// `ferry run --history postgres://...`: plain runs recorded with their arguments, results and
/// report; `--history-keep` prunes only that playbook's runs, not a pipeline's in the same
/// database.
#[test]
fn plain_runs_recorded_in_postgres_with_history_keep() {
    let pg = Postgres::start();
    let url = pg.url();
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("one.ini"),
        "solo ansible_connection=local\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("one.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug: msg=hi\n    - name: maybe break\n      fail: msg=broken-on-purpose\n      when: broke | default(false) | bool\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("other.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=other\n",
    )
    .unwrap();
    let plain = |playbook: &str, extra: &[&str]| -> Run {
        let mut args = vec!["run", playbook, "-i", "one.ini", "--history", &url];
        args.extend_from_slice(extra);
        ferry(&args, dir.path())
    };
    let other = plain("other.yml", &[]);
    assert_eq!(other.code, 0, "{}", other.all());
    for (n, extra) in [
        ("1", "broke=false"),
        ("2", "broke=true"),
        ("3", "broke=false"),
    ] {
        let r = plain(
            "one.yml",
            &[
                "-e",
                extra,
                "-e",
                &format!("password=pw{n}"),
                "--history-keep",
                "2",
            ],
        );
        assert_eq!(r.code, if n == "2" { 2 } else { 0 }, "{}", r.all());
    }
    let history = fresh(&url, &["history"]);
    assert_eq!(listed(&history), ["4", "3", "1"], "{}", history.all());
    assert!(history.stdout.contains("run: one.yml"), "{}", history.all());
    let failed = fresh(&url, &["history", "--host", "solo", "--status", "failed"]);
    assert_eq!(listed(&failed), ["3"], "{}", failed.all());
    let show = fresh(&url, &["history", "show", "4"]);
    assert!(
        show.stdout.contains(&format!(
            "  command: ferry run one.yml -i one.ini --history {} -e broke=*** -e password=*** --history-keep 2\n",
            url.replace(crate::support::postgres::PASSWORD, "***")
        )),
        "{}",
        show.all()
    );
    assert!(show.stdout.contains("solo "), "{}", show.all());
    assert!(!show.all().contains("pw3"), "{}", show.all());
    let out = dir.path().join("r3.html");
    let page = fresh(&url, &["report", "3", "-o", out.to_str().unwrap()]);
    assert_eq!(page.code, 0, "{}", page.all());
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.contains("broken-on-purpose") && html.contains(r#""run_id":3"#));
}
