//! Issue 20: pipeline history and the deploy lock in a real PostgreSQL 15 (a private cluster
//! per test, `support/postgres.rs`), shared by checkouts in separate directories as CI runners
//! would: the lock across runners, a killed holder's lease, rollback from a fresh checkout,
//! `ferry state migrate`, and a bad database refused before any host is contacted.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pipeline::{deployed, setup};
use crate::support::postgres::{Postgres, PASSWORD};
use crate::support::{Run, SshHosts};

/// Another checkout of the pipeline (a second runner): the same files, no `.ferry`.
fn checkout(hosts: &SshHosts) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["pipeline.yml", "ci.yml", "cd.yml"] {
        std::fs::copy(hosts.path(f), dir.path().join(f)).unwrap();
    }
    dir
}

fn command(hosts: &SshHosts, dir: &Path, state: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ferry"));
    c.args(args)
        .args(["--known-hosts", &hosts.known_hosts.display().to_string()])
        .args(["--state", state])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("FERRY_LEASE", "2s")
        .stdin(Stdio::null());
    c
}

pub(crate) fn run(hosts: &SshHosts, dir: &Path, state: &str, args: &[&str]) -> Run {
    command(hosts, dir, state, args).output().unwrap().into()
}

fn spawn(hosts: &SshHosts, dir: &Path, state: &str, args: &[&str]) -> Child {
    let log = std::fs::File::create(dir.join("spawned.log")).unwrap();
    command(hosts, dir, state, args)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// `ferry history` (or other read-only command) against `state` from an empty directory.
pub(crate) fn fresh(state: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .args(["--state", state])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into()
}

/// Waits until the database shows a run of `sha` running (the spawned runner holds the lock).
pub(crate) fn wait_running(state: &str, sha: &str) {
    if !running_within(state, sha, Duration::from_secs(30)) {
        panic!("no run of {sha} started");
    }
}

/// True once the database shows a run of `sha` running, false if none did within `wait`.
pub(crate) fn running_within(state: &str, sha: &str, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        let h = fresh(state, &["history"]);
        if h.stdout
            .lines()
            .any(|l| l.contains("running") && l.contains(sha))
        {
            std::thread::sleep(Duration::from_millis(300));
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

const RUN: [&str; 3] = ["pipeline", "run", "pipeline.yml"];

pub(crate) fn pipeline_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    RUN.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn two_runners_share_one_lock_and_one_history() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let other = checkout(&hosts);
    let mut first = spawn(
        &hosts,
        hosts.dir.path(),
        &url,
        &pipeline_args(&["-e", "git_sha=one", "-e", "cd_sleep=3"]),
    );
    wait_running(&url, " one ");
    let busy = run(
        &hosts,
        other.path(),
        &url,
        &pipeline_args(&["-e", "git_sha=two"]),
    );
    assert_eq!(busy.code, 1, "{}", busy.all());
    assert!(
        busy.stderr
            .contains("the lock 'production' is held by root@"),
        "{}",
        busy.all()
    );
    assert!(
        busy.stderr.contains("run 1)"),
        "the holder's run: {}",
        busy.all()
    );
    let start = Instant::now();
    let waited = run(
        &hosts,
        other.path(),
        &url,
        &pipeline_args(&["-e", "git_sha=three", "--wait-lock", "30s"]),
    );
    assert_eq!(waited.code, 0, "{}", waited.all());
    assert!(
        start.elapsed() > Duration::from_millis(500),
        "it waited for the first run"
    );
    assert_eq!(first.wait().unwrap().code(), Some(0));
    assert_eq!(
        deployed(&hosts, "host1"),
        "reg/app:one\nreg/app:three\n",
        "runs did not interleave"
    );
    assert!(
        !other.path().join(".ferry").exists(),
        "nothing in the checkout's SQLite"
    );
    assert!(
        !hosts.path(".ferry").exists(),
        "nothing in the checkout's SQLite"
    );

    let history = fresh(&url, &["history"]);
    assert_eq!(history.code, 0, "{}", history.all());
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", history.stdout);
    for (line, (id, status, sha)) in lines[1..].iter().zip([
        (3, "succeeded", "three"),
        (2, "failed", "two"),
        (1, "succeeded", "one"),
    ]) {
        assert!(
            line.trim_start().starts_with(&id.to_string())
                && line.contains(status)
                && line.contains(sha),
            "{}",
            history.stdout
        );
    }
    let show = fresh(&url, &["history", "show", "3"]);
    assert!(
        show.stdout.contains("export image_ref = reg/app:three"),
        "{}",
        show.all()
    );
    assert!(show.stdout.contains("ok=2 changed=2"), "{}", show.all());
}

#[test]
fn a_killed_holders_lease_expires_and_its_run_is_interrupted() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let other = checkout(&hosts);
    let mut killed = spawn(
        &hosts,
        hosts.dir.path(),
        &url,
        &pipeline_args(&["-e", "git_sha=k", "-e", "cd_sleep=30"]),
    );
    wait_running(&url, " k ");
    Command::new("kill")
        .args(["-KILL", &killed.id().to_string()])
        .status()
        .unwrap();
    let _ = killed.wait();
    let start = Instant::now();
    let next = run(
        &hosts,
        other.path(),
        &url,
        &pipeline_args(&["-e", "git_sha=after", "--wait-lock", "30s"]),
    );
    assert_eq!(next.code, 0, "{}", next.all());
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the lease (2s) expired: {:?}",
        start.elapsed()
    );
    let history = fresh(&url, &["history"]);
    let lines: Vec<&str> = history.stdout.lines().collect();
    let log = std::fs::read_to_string(hosts.path("spawned.log")).unwrap_or_default();
    assert!(
        lines[1].contains("succeeded") && lines[1].contains("after"),
        "{}\n{log}",
        history.stdout
    );
    assert!(
        lines
            .get(2)
            .is_some_and(|l| l.contains("interrupted") && l.contains(" k ")),
        "{}\n{log}",
        history.stdout
    );
    let show = fresh(&url, &["history", "show", "1"]);
    assert!(
        show.stdout
            .lines()
            .any(|l| l.starts_with("  stage ") && l.contains(": interrupted")),
        "{}",
        show.all()
    );
}

#[test]
fn rollback_from_a_fresh_checkout_uses_the_databases_exports() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(1);
    setup(&hosts);
    for sha in ["v1", "v2"] {
        let r = run(
            &hosts,
            hosts.dir.path(),
            &url,
            &pipeline_args(&["-e", &format!("git_sha={sha}")]),
        );
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let other = checkout(&hosts);
    let r = run(&hosts, other.path(), &url, &["rollback", "pipeline.yml"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("stage ci: reused"), "{}", r.all());
    assert_eq!(
        deployed(&hosts, "host1"),
        "reg/app:v1\nreg/app:v2\nreg/app:v1\n"
    );
    let history = fresh(&url, &["history"]);
    assert!(
        history
            .stdout
            .lines()
            .nth(1)
            .unwrap_or("")
            .contains("(rollback to 1)"),
        "{}",
        history.stdout
    );
    let released = fresh(&url, &["lock", "release", "production"]);
    assert_eq!(
        released.stdout,
        "lock 'production' was not held\n",
        "{}",
        released.all()
    );
}

/// `ferry state migrate --from FROM --to TO`, which must succeed (`what`: which attempt).
fn migrate(from: &str, to: &str, what: &str) -> Run {
    let r: Run = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["state", "migrate", "--from", from, "--to", to])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{what}: {}", r.all());
    r
}

#[test]
fn state_migrate_copies_a_sqlite_history_once() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let kh = hosts.known_hosts.display().to_string();
    for sha in ["m1", "m2"] {
        let r = crate::support::ferry(
            &[
                "pipeline",
                "run",
                "pipeline.yml",
                "--known-hosts",
                &kh,
                "-e",
                &format!("git_sha={sha}"),
            ],
            hosts.dir.path(),
        );
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let sqlite = format!("sqlite:{}", hosts.path(".ferry/history.db").display());
    let migrate = |what: &str| -> Run {
        let r = migrate(&sqlite, &url, what);
        assert!(!r.stdout.contains(PASSWORD), "{}", r.all());
        r
    };
    let first = migrate("first");
    assert!(
        first.stdout.starts_with("copied 2 runs from "),
        "{}",
        first.all()
    );
    assert!(
        first.stdout.contains("(0 already there)"),
        "{}",
        first.all()
    );
    let again = migrate("again");
    assert!(
        again.stdout.starts_with("copied 0 runs") && again.stdout.contains("(2 already there)"),
        "{}",
        again.all()
    );

    let from_sqlite =
        crate::support::ferry(&["history", "pipeline.yml", "show", "2"], hosts.dir.path());
    let from_pg = fresh(&url, &["history", "show", "2"]);
    assert_eq!(
        from_pg.stdout, from_sqlite.stdout,
        "the same run, command line, stages, exports and recaps"
    );
    assert!(from_pg.stdout.contains("  command: "), "{}", from_pg.all());
    // The report model came along, renumbered as its run was.
    let page = fresh(&url, &["report", "2"]);
    assert_eq!(page.code, 0, "{}", page.all());
    assert!(
        page.stdout.contains(r#""run_id":2"#) && page.stdout.contains("reg/app:m2"),
        "{}",
        page.code
    );
    let hosts_runs = fresh(&url, &["history", "--host", "host1"]);
    assert_eq!(hosts_runs.stdout.lines().count(), 3, "{}", hosts_runs.all());
    assert!(
        from_pg.stdout.contains("export image_ref = reg/app:m2"),
        "{}",
        from_pg.all()
    );
}

/// A rollout's run (two shards of one `ferry run` with a run key) keeps its key and shards
/// when migrated, under the run's new number, and migrating again copies them no second time.
#[test]
fn state_migrate_copies_rollouts_with_their_runs_renumbered() {
    use crate::shard_runs::{fixture, run as shard_run};
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = fixture();
    shard_run(&hosts, &url, &[], &[]);
    let sqlite = format!("sqlite:{}", hosts.path("shards.db").display());
    for i in ["0/2", "1/2"] {
        shard_run(&hosts, &sqlite, &["--shard", i, "--run-key", "m"], &[]);
    }
    let shards = |show: &Run| -> Vec<String> {
        let lines = show.stdout.lines();
        let mut out: Vec<String> = lines
            .map(|l| l.trim().to_string())
            .filter(|l| l.starts_with("rollout ") || l.starts_with("shard ") || l.contains(" ok="))
            .collect();
        out.sort();
        out
    };
    let from_sqlite = shards(&fresh(&sqlite, &["history", "show", "1"]));
    assert_eq!(from_sqlite.len(), 1 + 2 + 4, "{from_sqlite:?}");
    for round in ["first", "again"] {
        migrate(&sqlite, &url, round);
        let show = fresh(&url, &["history", "show", "2"]);
        assert_eq!(shards(&show), from_sqlite, "{round}: {}", show.all());
    }
    let history = fresh(&url, &["history"]);
    assert_eq!(history.stdout.lines().count(), 3, "{}", history.all());
}

#[test]
fn a_bad_database_stops_before_any_host_naming_the_url_without_its_password() {
    let pg = Postgres::start();
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let closed = format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres",
        crate::support::sshd::free_port("127.0.0.1")
    );
    let cases: [(String, &str); 2] = [
        (
            pg.url_with("wrong-pw"),
            "password authentication failed for user \"postgres\"",
        ),
        (closed, "error connecting to server"),
    ];
    for (url, why) in cases {
        let r = run(
            &hosts,
            hosts.dir.path(),
            &url,
            &pipeline_args(&["-e", "git_sha=x"]),
        );
        assert_eq!(r.code, 1, "{}", r.all());
        let shown = url.replace(PASSWORD, "***").replace("wrong-pw", "***");
        assert!(
            r.stderr.contains(&format!("state database {shown}: ")),
            "{}",
            r.all()
        );
        assert!(r.stderr.contains(why), "{}", r.all());
        assert!(
            !r.all().contains(PASSWORD) && !r.all().contains("wrong-pw"),
            "{}",
            r.all()
        );
        assert_eq!(deployed(&hosts, "host1"), "", "no host was contacted");
        assert!(!r.stdout.contains("PLAY"), "{}", r.all());
    }
}
