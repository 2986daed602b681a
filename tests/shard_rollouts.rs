//! Issue 20: the shards of one rollout (`pipeline run --shard I/N` with one run key) share one
//! run id, one lock and one history row with the merged recap — on a SQLite file shared by
//! runners on one machine and on a real PostgreSQL shared by checkouts in separate
//! directories; a shard killed with SIGKILL makes the run interrupted once its lease passed
//! (on SQLite, once its process is gone).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pipeline::{deployed, setup};
use crate::state_pg::{fresh, running_within, wait_running};
use crate::support::postgres::Postgres;
use crate::support::{Run, SshHosts};

/// The CI variables a run key defaults from: the tests set them only on purpose.
pub(crate) const CI_VARS: [&str; 4] = [
    "FERRY_RUN_KEY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "CI_PIPELINE_ID",
];

/// `ferry pipeline run pipeline.yml` in `dir` against `state`, with `args` and `env`.
fn pipeline(
    hosts: &SshHosts,
    dir: &Path,
    state: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut c = command(hosts, dir, state, env);
    c.args(["pipeline", "run", "pipeline.yml"]).args(args);
    c
}

/// `ferry` in `dir` against `state` (`FERRY_STATE`) with the hosts' known_hosts.
fn command(hosts: &SshHosts, dir: &Path, state: &str, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ferry"));
    c.env("FERRY_KNOWN_HOSTS", &hosts.known_hosts)
        .env("FERRY_STATE", state)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("FERRY_LEASE", "2s")
        .stdin(Stdio::null());
    for var in CI_VARS {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c
}

fn run(hosts: &SshHosts, dir: &Path, state: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    pipeline(hosts, dir, state, args, env)
        .output()
        .unwrap()
        .into()
}

fn spawn(hosts: &SshHosts, dir: &Path, state: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
    pipeline(hosts, dir, state, args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> Run {
    child.wait_with_output().unwrap().into()
}

/// Another runner's checkout of the pipeline: the same files, no `.ferry`.
fn checkout(hosts: &SshHosts) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["pipeline.yml", "ci.yml", "cd.yml"] {
        std::fs::copy(hosts.path(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// `ferry history show RUN`'s stages and recap lines, times left out, sorted within each
/// stage (shards record their hosts in the order they finish).
fn recap_of(show: &str) -> Vec<String> {
    let mut stage = String::new();
    let mut out = Vec::new();
    for line in show.lines() {
        if let Some(rest) = line.strip_prefix("  stage ") {
            stage = rest.split(')').next().unwrap_or(rest).to_string();
            out.push(format!("{stage})"));
        } else if line.starts_with("    ") && line.contains(" ok=") {
            out.push(format!("{stage}) {}", line.trim()));
        }
    }
    out.sort();
    out
}

/// Waits until the history shows a run of `sha` running, and hands the shards back; when
/// none starts, fails with the history and the shards' output.
fn started(state: &str, sha: &str, shards: Vec<Child>) -> Vec<Child> {
    if running_within(state, sha, Duration::from_secs(30)) {
        return shards;
    }
    let history = fresh(state, &["history"]).all();
    let outputs: Vec<String> = shards
        .into_iter()
        .map(|mut c| {
            let _ = c.kill();
            finish(c).all()
        })
        .collect();
    panic!(
        "no run of {sha} started:\n{history}\n{}",
        outputs.join("\n")
    );
}

/// A rollout's report page holds every shard's hosts, and the run's status.
fn assert_one_report(page: &Run) {
    assert_eq!(page.code, 0, "{}", page.all());
    let model = &page.stdout;
    assert!(model.contains(r#""status":"succeeded""#), "{model}");
    let hosts = model.split(r#""hosts":["#).nth(1).unwrap_or("");
    let hosts = &hosts[..hosts.find(']').unwrap_or(0)];
    for h in ["host1", "host2", "host3"] {
        assert!(hosts.contains(&format!("\"{h}\"")), "{hosts}");
    }
}

/// The history's runs (the table's lines without its header).
pub(crate) fn runs(state: &str) -> Vec<String> {
    let h = fresh(state, &["history"]);
    assert_eq!(h.code, 0, "{}", h.all());
    h.stdout.lines().skip(1).map(String::from).collect()
}

/// Two shards on one machine share a SQLite file: one run, the lock taken once (the second
/// shard, with no --wait-lock, joins while the first holds it), the recap an unsharded run's;
/// another rollout is refused by the lock, once, with the holder's name.
#[test]
fn shards_with_one_key_are_one_run_in_a_shared_sqlite_file() {
    let hosts = SshHosts::start(3);
    setup(&hosts);
    let whole = format!("sqlite:{}", hosts.path("whole.db").display());
    let dir = hosts.dir.path();
    let unsharded = run(&hosts, dir, &whole, &["-e", "git_sha=one"], &[]);
    assert_eq!(unsharded.code, 0, "{}", unsharded.all());

    let state = format!("sqlite:{}", hosts.path("shared.db").display());
    let shard = |i: usize, key: &str, sleep: &str| {
        let shard = format!("{i}/2");
        let args = [
            "--shard",
            &shard,
            "--run-key",
            key,
            "-e",
            "git_sha=two",
            "-e",
            sleep,
        ];
        spawn(&hosts, dir, &state, &args, &[])
    };
    let first = shard(0, "a", "cd_sleep=5");
    wait_running(&state, " two ");
    let second = finish(shard(1, "a", "cd_sleep=0"));
    assert_eq!(second.code, 0, "joined, not refused: {}", second.all());
    let twice = finish(shard(1, "a", "cd_sleep=0"));
    assert!(
        twice.code == 1
            && twice.stderr.contains(
                "run key 'a': shard 1/2 already took part in run 1; a new rollout needs a new --run-key"
            ),
        "{}",
        twice.all()
    );
    let refused: Vec<Run> = [0, 1].map(|i| finish(shard(i, "b", "cd_sleep=0"))).into();
    for r in &refused {
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains("the lock 'production' is held by root@")
                && r.stderr.contains("run 1)"),
            "{}",
            r.all()
        );
    }
    let first = finish(first);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(deployed(&hosts, "host2"), "reg/app:one\nreg/app:two\n");

    let lines = runs(&state);
    assert_eq!(lines.len(), 2, "one run per rollout: {lines:?}");
    assert!(lines[1].trim_start().starts_with("1 ") && lines[1].contains("succeeded"));
    assert!(lines[0].trim_start().starts_with("2 ") && lines[0].contains("failed"));
    let show = fresh(&state, &["history", "show", "1"]);
    assert!(
        show.stdout
            .contains("  rollout a: 2 of 2 shards took part\n")
            && show
                .stdout
                .contains("    shard 0/2: succeeded (exit 0) on root@")
            && show
                .stdout
                .contains("    shard 1/2: succeeded (exit 0) on root@"),
        "{}",
        show.all()
    );
    assert_one_report(&fresh(&state, &["report", "1"]));
    let unsharded = fresh(&whole, &["history", "show", "1"]);
    assert_eq!(recap_of(&show.stdout), recap_of(&unsharded.stdout));
    assert_eq!(recap_of(&show.stdout).len(), 6, "{}", show.stdout);
    let refused = fresh(&state, &["history", "show", "2"]);
    assert!(
        refused.stdout.contains("    shard 0/2: failed (exit 1)")
            && refused.stdout.contains("    shard 1/2: failed (exit 1)"),
        "{}",
        refused.all()
    );
    let again = run(
        &hosts,
        dir,
        &state,
        &["--shard", "0/2", "--run-key", "a"],
        &[],
    );
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(
        again.stderr.contains(
            "run key 'a': its rollout, run 1, already ended (succeeded); a new rollout needs a new --run-key"
        ),
        "{}",
        again.all()
    );
    // GitHub's run id is no key on SQLite: the machine's file is not the other runners'.
    for i in 0..2 {
        let shard = format!("{i}/2");
        let args = ["--shard", &shard, "-e", "git_sha=gh"];
        let r = run(&hosts, dir, &state, &args, &[("GITHUB_RUN_ID", "5")]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let lines = runs(&state);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[..2]
        .iter()
        .all(|l| l.contains("succeeded") && l.contains(" gh ")));
    // Two shards arriving at once: one creates the run, the other joins it.
    let both = [0, 1].map(|i| shard(i, "c", "cd_sleep=0"));
    for r in both.map(finish) {
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let lines = runs(&state);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[0].trim_start().starts_with("5 ") && lines[0].contains("succeeded"));
    let three = run(
        &hosts,
        dir,
        &state,
        &["--shard", "0/3", "--run-key", "b"],
        &[],
    );
    assert!(
        three
            .stderr
            .contains("run key 'b': run 2 is a rollout of 2 shards, not 3"),
        "{}",
        three.all()
    );
}

/// Runners in separate checkouts share PostgreSQL: GitHub Actions' run id is the default key
/// (the same as `--run-key github-77-2`); one history row with an unsharded run's recap; a
/// second rollout waits for the first's lock; rollback treats the sharded run as one run.
#[test]
fn sharded_runners_share_one_run_lock_and_history_in_postgres() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(3);
    setup(&hosts);
    let dir = hosts.dir.path();
    let unsharded = run(&hosts, dir, &url, &["-e", "git_sha=one"], &[]);
    assert_eq!(unsharded.code, 0, "{}", unsharded.all());

    let other = checkout(&hosts);
    let github = [("GITHUB_RUN_ID", "77"), ("GITHUB_RUN_ATTEMPT", "2")];
    let first = spawn(
        &hosts,
        dir,
        &url,
        &["--shard", "0/2", "-e", "git_sha=two", "-e", "cd_sleep=4"],
        &github,
    );
    let second = spawn(
        &hosts,
        other.path(),
        &url,
        &[
            "--shard",
            "1/2",
            "--run-key",
            "github-77-2",
            "-e",
            "git_sha=two",
            "-e",
            "cd_sleep=4",
        ],
        &[],
    );
    let mut shards = started(&url, " two ", vec![first, second]).into_iter();
    let (first, second) = (shards.next().unwrap(), shards.next().unwrap());
    let start = Instant::now();
    let next = run(
        &hosts,
        other.path(),
        &url,
        &[
            "--shard",
            "0/1",
            "--run-key",
            "next",
            "-e",
            "git_sha=three",
            "--wait-lock",
            "60s",
        ],
        &[],
    );
    assert_eq!(next.code, 0, "{}", next.all());
    assert!(start.elapsed() > Duration::from_millis(500), "it waited");
    let (first, second) = (finish(first), finish(second));
    assert_eq!(
        (first.code, second.code),
        (0, 0),
        "{}\n{}",
        first.all(),
        second.all()
    );
    for h in ["host1", "host2", "host3"] {
        assert_eq!(
            deployed(&hosts, h),
            "reg/app:one\nreg/app:two\nreg/app:three\n",
            "each host deployed once per rollout, rollouts in turn"
        );
    }

    let lines = runs(&url);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, (id, sha)) in lines.iter().zip([(3, "three"), (2, "two"), (1, "one")]) {
        assert!(
            line.trim_start().starts_with(&format!("{id} "))
                && line.contains("succeeded")
                && line.contains(sha),
            "{lines:?}"
        );
    }
    let show = fresh(&url, &["history", "show", "2"]);
    assert!(
        show.stdout
            .contains("  rollout github-77-2: 2 of 2 shards took part\n"),
        "{}",
        show.all()
    );
    let whole = fresh(&url, &["history", "show", "1"]);
    assert_eq!(recap_of(&show.stdout), recap_of(&whole.stdout));
    assert!(
        show.stdout.contains("export image_ref = reg/app:two"),
        "{}",
        show.all()
    );
    let page = fresh(&url, &["report", "2"]);
    assert!(page.stdout.contains(r#""run_id":2"#), "{}", page.code);
    assert_one_report(&page);

    let back: Run = command(&hosts, other.path(), &url, &[])
        .args(["rollback", "pipeline.yml"])
        .output()
        .unwrap()
        .into();
    assert_eq!(back.code, 0, "{}", back.all());
    assert!(
        runs(&url)[0].contains("(rollback to 2)"),
        "{:?}",
        runs(&url)
    );
    assert!(deployed(&hosts, "host1").ends_with("reg/app:three\nreg/app:two\n"));
}

/// A shard killed with SIGKILL: its lease passes, the run ends `interrupted` with the other
/// shard's part kept, and the lock is free for the next rollout.
#[test]
fn a_killed_shard_makes_its_rollout_interrupted_once_its_lease_passed() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(3);
    setup(&hosts);
    let dir = hosts.dir.path();
    let other = checkout(&hosts);
    let mut killed = spawn(
        &hosts,
        other.path(),
        &url,
        &[
            "--shard",
            "1/2",
            "--run-key",
            "k",
            "-e",
            "git_sha=k",
            "-e",
            "cd_sleep=60",
        ],
        &[],
    );
    wait_running(&url, " k ");
    let done = run(
        &hosts,
        dir,
        &url,
        &["--shard", "0/2", "--run-key", "k", "-e", "git_sha=k"],
        &[],
    );
    assert_eq!(done.code, 0, "{}", done.all());
    assert!(runs(&url)[0].contains("running"), "shard 1 still runs");
    killed.kill().unwrap();
    let _ = killed.wait();
    let start = Instant::now();
    let next = run(
        &hosts,
        dir,
        &url,
        &["-e", "git_sha=after", "--wait-lock", "30s"],
        &[],
    );
    assert_eq!(next.code, 0, "{}", next.all());
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the lease (2s) passed: {:?}",
        start.elapsed()
    );
    assert_interrupted_by_shard_1(&url);
    let page = fresh(&url, &["report", "1"]);
    assert!(
        page.stdout.contains(r#""status":"interrupted""#),
        "the run's status, not the stored model's running: {}",
        page.code
    );
}

/// On a SQLite file, a shard whose process is gone from the machine is interrupted at once:
/// the run ends `interrupted` when its other shard is done, and the lock is free.
#[test]
fn a_killed_shard_on_a_shared_sqlite_file_makes_its_rollout_interrupted() {
    let hosts = SshHosts::start(2);
    setup(&hosts);
    let dir = hosts.dir.path();
    let state = format!("sqlite:{}", hosts.path("shared.db").display());
    let args = |i: usize, sleep: &'static str| {
        let shard = if i == 0 { "0/2" } else { "1/2" };
        [
            "--shard",
            shard,
            "--run-key",
            "k",
            "-e",
            "git_sha=k",
            "-e",
            sleep,
        ]
    };
    let mut killed = spawn(&hosts, dir, &state, &args(1, "cd_sleep=60"), &[]);
    wait_running(&state, " k ");
    let done = run(&hosts, dir, &state, &args(0, "cd_sleep=0"), &[]);
    assert_eq!(done.code, 0, "{}", done.all());
    killed.kill().unwrap();
    let _ = killed.wait();
    let next = run(&hosts, dir, &state, &["-e", "git_sha=after"], &[]);
    assert_eq!(next.code, 0, "the lock is free: {}", next.all());
    assert_interrupted_by_shard_1(&state);
}

/// Run 1 (the second history line) ended `interrupted` (exit 99): shard 0 succeeded, shard 1
/// was killed.
fn assert_interrupted_by_shard_1(state: &str) {
    let lines = runs(state);
    assert!(
        lines[1].contains("interrupted") && lines[1].contains("  99 "),
        "{lines:?}"
    );
    let show = fresh(state, &["history", "show", "1"]);
    assert!(
        show.stdout.contains("    shard 0/2: succeeded (exit 0)")
            && show.stdout.contains("    shard 1/2: interrupted (exit 99)"),
        "{}",
        show.all()
    );
}

/// A shard that queued for the lock but has not yet looked for its rollout (the moment two
/// shards started at once can leave) is not in its siblings' way: the sibling, without
/// `--wait-lock`, creates the run and the late one joins it. A waiter of another rollout is.
#[test]
fn a_queued_sibling_shard_is_not_in_the_way_in_postgres() {
    let pg = Postgres::start();
    let url = pg.url();
    let hosts = SshHosts::start(2);
    setup(&hosts);
    // Migrate the schema, then queue shard 1 of rollout "k" as a sibling runner would.
    assert_eq!(fresh(&url, &["history"]).code, 0);
    let queue = |rollout: &str| {
        pg.psql(&format!(
            "INSERT INTO lock_queue(name, run_id, \"user\", host, pid, seen, rollout)
             VALUES('production', 0, 'ci', 'runner-b', 1,
                    extract(epoch from clock_timestamp()) + 3600, '{rollout}')"
        ))
    };
    queue("demo/k");
    let other = checkout(&hosts);
    let shard = |dir: &Path, spec: &str, key: &str, sha: &str| {
        let sha = format!("git_sha={sha}");
        run(
            &hosts,
            dir,
            &url,
            &["--shard", spec, "--run-key", key, "-e", &sha],
            &[],
        )
    };
    let first = shard(hosts.dir.path(), "0/2", "k", "one");
    assert_eq!(first.code, 0, "{}", first.all());
    let second = shard(other.path(), "1/2", "k", "one");
    assert_eq!(second.code, 0, "{}", second.all());
    let lines = runs(&url);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("succeeded"), "{lines:?}");
    for h in ["host1", "host2"] {
        assert_eq!(deployed(&hosts, h), "reg/app:one\n", "{h}");
    }

    // A waiter of another rollout, queued first, is in the way.
    queue("demo/other");
    let busy = shard(other.path(), "0/2", "k2", "two");
    assert_ne!(busy.code, 0, "{}", busy.all());
    assert!(
        busy.stderr.contains(
            "the lock 'production' is next for ci@runner-b (pid 1), who asked for it first"
        ),
        "{}",
        busy.all()
    );
}
