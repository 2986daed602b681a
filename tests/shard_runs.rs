//! Issue 20: the shards of one plain `ferry run --shard I/N --history STATE` with a run key
//! record one history run — the first creates it, the others join it — whose recap is an
//! unsharded run's (a controller host, which every shard runs, counted once); without a key
//! each shard is a run of its own; a shard killed makes the run interrupted. On a SQLite file
//! and on a real PostgreSQL.

use std::process::{Command, Stdio};

use crate::shard_rollouts::{runs, CI_VARS};
use crate::state_pg::{fresh, wait_running};
use crate::support::postgres::Postgres;
use crate::support::{Run, SshHosts};

const PLAYBOOK: &str = "- hosts: all
  gather_facts: false
  tasks:
    - name: touch
      command: touch {{ host_dir }}/touched
      when: host_dir is defined
    - name: hello
      debug: msg=hi
    - name: nap
      command: sleep {{ nap | default(0) }}
      when: host_dir is defined
";

/// Three sshd hosts and a controller host, the playbook beside them.
pub(crate) fn fixture() -> SshHosts {
    let hosts = SshHosts::start(3);
    hosts.inventory("ctl ansible_connection=local\n");
    std::fs::write(hosts.path("site.yml"), PLAYBOOK).unwrap();
    hosts
}

/// `ferry run site.yml --history STATE` in the fixture, with `args` and `env`.
fn command(hosts: &SshHosts, state: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ferry"));
    c.args(["run", "site.yml", "-i", "inventory.ini", "--history", state])
        .args(args)
        .env("FERRY_KNOWN_HOSTS", &hosts.known_hosts)
        .env("FERRY_LEASE", "2s")
        .env("NO_COLOR", "1")
        .current_dir(hosts.dir.path())
        .stdin(Stdio::null());
    for var in CI_VARS {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c
}

pub(crate) fn run(hosts: &SshHosts, state: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let r: Run = command(hosts, state, args, env).output().unwrap().into();
    assert_eq!(r.code, 0, "{}", r.all());
    r
}

/// `ferry history show RUN`'s recap lines, sorted (shards record their hosts as they end).
fn recap_of(state: &str, run: &str) -> Vec<String> {
    let show = fresh(state, &["history", "show", run]);
    assert_eq!(show.code, 0, "{}", show.all());
    let mut lines: Vec<String> = show
        .stdout
        .lines()
        .filter(|l| l.contains(" ok="))
        .map(|l| l.trim().to_string())
        .collect();
    lines.sort();
    assert_eq!(lines.len(), 4, "every host once: {}", show.stdout);
    lines
}

/// `ferry report RUN`'s model: one run holding every shard's hosts, with the run's status.
fn assert_one_report(state: &str, run: &str) {
    let page = fresh(state, &["report", run]);
    assert_eq!(page.code, 0, "{}", page.all());
    let model = &page.stdout;
    assert!(model.contains(r#""status":"succeeded""#), "{model}");
    let hosts = model.split(r#""hosts":["#).nth(1).unwrap_or("");
    let hosts = &hosts[..hosts.find(']').unwrap_or(0)];
    for h in ["host1", "host2", "host3", "ctl"] {
        assert!(hosts.contains(&format!("\"{h}\"")), "{hosts}");
    }
}

#[test]
fn shards_of_one_run_with_a_key_record_one_run_in_a_sqlite_file() {
    let hosts = fixture();
    let whole = format!("sqlite:{}", hosts.path("whole.db").display());
    run(&hosts, &whole, &[], &[]);

    let state = hosts.path("shared.db").display().to_string();
    for i in ["0/2", "1/2"] {
        run(&hosts, &state, &["--shard", i, "--run-key", "k1"], &[]);
    }
    let lines = runs(&state);
    assert_eq!(lines.len(), 1, "one run: {lines:?}");
    assert!(
        lines[0].contains("run: site.yml") && lines[0].contains("succeeded"),
        "{lines:?}"
    );
    assert_eq!(recap_of(&state, "1"), recap_of(&whole, "1"));
    let show = fresh(&state, &["history", "show", "1"]);
    assert!(
        show.stdout
            .contains("  rollout k1: 2 of 2 shards took part\n"),
        "{}",
        show.all()
    );
    assert_one_report(&state, "1");

    // No key (GitHub's run id is none on SQLite): each shard is a run of its own.
    for i in ["0/2", "1/2"] {
        run(&hosts, &state, &["--shard", i], &[("GITHUB_RUN_ID", "5")]);
    }
    assert_eq!(runs(&state).len(), 3, "{:?}", runs(&state));
}

#[test]
fn shards_of_one_run_with_a_key_record_one_run_in_postgres() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = fixture();
    let whole = format!("sqlite:{}", hosts.path("whole.db").display());
    run(&hosts, &whole, &[], &[]);

    // GitHub Actions' run id is the key on PostgreSQL; the shards arrive at once.
    let ci = [("GITHUB_RUN_ID", "7"), ("GITHUB_RUN_ATTEMPT", "1")];
    let shards: Vec<_> = ["0/2", "1/2"]
        .map(|i| {
            command(&hosts, &url, &["--shard", i], &ci)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .into();
    for child in shards {
        let r: Run = child.wait_with_output().unwrap().into();
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let lines = runs(&url);
    assert_eq!(lines.len(), 1, "one run: {lines:?}");
    assert!(lines[0].contains("succeeded"), "{lines:?}");
    assert_eq!(recap_of(&url, "1"), recap_of(&whole, "1"));
    assert_one_report(&url, "1");

    for i in ["0/2", "1/2"] {
        run(&hosts, &url, &["--shard", i], &[]);
    }
    assert_eq!(runs(&url).len(), 3, "without a key: {:?}", runs(&url));
}

/// A shard killed with SIGKILL: once the other shard ended, the run is `interrupted` (exit 99),
/// its process being gone from this machine.
#[test]
fn a_killed_shard_makes_the_plain_run_interrupted() {
    let hosts = fixture();
    let state = format!("sqlite:{}", hosts.path("killed.db").display());
    let args = ["--shard", "0/2", "--run-key", "k", "-e", "nap=30"];
    let mut first = command(&hosts, &state, &args, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_running(&state, "run: site.yml");
    first.kill().unwrap();
    first.wait().unwrap();
    run(&hosts, &state, &["--shard", "1/2", "--run-key", "k"], &[]);
    let lines = runs(&state);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("interrupted"), "{lines:?}");
    let show = fresh(&state, &["history", "show", "1"]).stdout;
    let shards: Vec<&str> = show
        .lines()
        .filter_map(|l| l.trim().split(" on ").next())
        .filter(|l| l.starts_with("shard "))
        .collect();
    let want = [
        "shard 0/2: interrupted (exit 99)",
        "shard 1/2: succeeded (exit 0)",
    ];
    assert_eq!(shards, want, "{show}");
}
