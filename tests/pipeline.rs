//! Issue 6: CI → CD pipelines on loopback sshd hosts — needs, exports, lock, history,
//! rollback, watch, interruption and JUnit.

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{ferry, write, Run, SshHosts};

/// A CI playbook that can be made to fail, and a CD playbook that records the image it got.
pub(crate) fn setup(hosts: &SshHosts) -> std::path::PathBuf {
    let inv = hosts.inventory("");
    write(
        hosts,
        "ci.yml",
        "- hosts: host1\n  gather_facts: no\n  tasks:\n    - command: echo build-{{ git_sha }}\n      register: build\n    - fail: msg=\"ci broke\"\n      when: break_ci | default(false) | bool\n",
    );
    write(
        hosts,
        "cd.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo {{ image_ref }} >> {{ host_dir }}/deployed\n    - command: sleep {{ cd_sleep | default(0) }}\n",
    );
    write(
        hosts,
        "pipeline.yml",
        &format!(
            "name: demo\nlock: production\nstages:\n  - name: ci\n    playbook: ci.yml\n    inventory: {inv}\n    vars:\n      image: reg/app\n    export:\n      image_ref: \"{{{{ image }}}}:{{{{ git_sha }}}}\"\n      built: \"{{{{ build.stdout }}}}\"\n  - name: cd\n    needs: [ci]\n    playbook: cd.yml\n    inventory: {inv}\n    vars:\n      image_ref: \"{{{{ stages.ci.image_ref }}}}\"\n",
            inv = inv.display()
        ),
    )
}

fn pipeline(hosts: &SshHosts, args: &[&str]) -> Run {
    let kh = hosts.known_hosts.display().to_string();
    let mut all = vec![
        "pipeline",
        "run",
        "pipeline.yml",
        "--known-hosts",
        kh.as_str(),
    ];
    all.extend_from_slice(args);
    ferry(&all, hosts.dir.path())
}

pub(crate) fn deployed(hosts: &SshHosts, host: &str) -> String {
    fs::read_to_string(hosts.host(host).dir.join("deployed")).unwrap_or_default()
}

#[test]
fn cd_runs_after_ci_with_its_exports_and_is_skipped_when_ci_fails() {
    let hosts = SshHosts::start(2);
    setup(&hosts);
    let ok = pipeline(&hosts, &["-e", "git_sha=abc123"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(
        ok.stdout.contains("export image_ref = reg/app:abc123"),
        "{}",
        ok.all()
    );
    assert_eq!(deployed(&hosts, "host1"), "reg/app:abc123\n");
    assert_eq!(deployed(&hosts, "host2"), "reg/app:abc123\n");

    let failed = pipeline(&hosts, &["-e", "git_sha=def456", "-e", "break_ci=true"]);
    assert_eq!(failed.code, 2, "the exit code is CI's: {}", failed.all());
    assert!(
        failed.stdout.contains("stage cd: skipped: needs ci"),
        "{}",
        failed.all()
    );
    assert_eq!(
        deployed(&hosts, "host2"),
        "reg/app:abc123\n",
        "CD did not run"
    );

    let history = ferry(&["history", "pipeline.yml"], hosts.dir.path());
    assert_eq!(history.code, 0, "{}", history.all());
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert!(
        lines[1].contains("failed") && lines[1].contains("def456"),
        "{}",
        history.stdout
    );
    assert!(
        lines[2].contains("succeeded") && lines[2].contains("abc123"),
        "{}",
        history.stdout
    );
    let show = ferry(&["history", "pipeline.yml", "show", "2"], hosts.dir.path());
    assert!(
        show.stdout.contains("stage cd: skipped: needs ci"),
        "{}",
        show.all()
    );
}

#[test]
fn rollback_redeploys_the_previous_export() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    for sha in ["v1", "v2"] {
        let r = pipeline(&hosts, &["-e", &format!("git_sha={sha}")]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    let kh = hosts.known_hosts.display().to_string();
    let r = ferry(
        &["rollback", "pipeline.yml", "--known-hosts", &kh],
        hosts.dir.path(),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("stage ci: reused"),
        "CI is not re-run: {}",
        r.all()
    );
    assert_eq!(
        deployed(&hosts, "host1"),
        "reg/app:v1\nreg/app:v2\nreg/app:v1\n"
    );
    // A failed newest run: the rollback goes to the newest successful run (v2 here).
    let failed = pipeline(&hosts, &["-e", "git_sha=v3", "-e", "cd_sleep=notanumber"]);
    assert_eq!(failed.code, 2, "{}", failed.all());
    let r = ferry(
        &["rollback", "pipeline.yml", "--known-hosts", &kh],
        hosts.dir.path(),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let all = deployed(&hosts, "host1");
    assert!(all.ends_with("reg/app:v3\nreg/app:v2\n"), "{all}");
}

#[test]
fn a_second_run_on_the_same_lock_fails_or_waits() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let kh = hosts.known_hosts.display().to_string();
    let mut first = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "pipeline",
            "run",
            "pipeline.yml",
            "--known-hosts",
            &kh,
            "-e",
            "git_sha=one",
            "-e",
            "cd_sleep=3",
        ])
        .current_dir(hosts.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let busy = pipeline(&hosts, &["-e", "git_sha=two"]);
    assert_ne!(busy.code, 0, "{}", busy.all());
    assert!(
        busy.stderr.contains("the lock 'production' is held by"),
        "{}",
        busy.all()
    );
    let start = Instant::now();
    let waited = pipeline(&hosts, &["-e", "git_sha=three", "--wait-lock", "30s"]);
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
}

fn kill_mid_run(signal: &str) -> String {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let kh = hosts.known_hosts.display().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "pipeline",
            "run",
            "pipeline.yml",
            "--known-hosts",
            &kh,
            "-e",
            "git_sha=k",
            "-e",
            "cd_sleep=20",
        ])
        .current_dir(hosts.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let mut child = child;
    let _ = child.wait();
    let history = ferry(&["history", "pipeline.yml"], hosts.dir.path());
    // The lock is free again for the next run.
    let next = pipeline(&hosts, &["-e", "git_sha=after"]);
    assert_eq!(next.code, 0, "{}", next.all());
    history.stdout
}

#[test]
fn interrupted_runs_are_recorded_as_interrupted() {
    for signal in ["-INT", "-KILL"] {
        let history = kill_mid_run(signal);
        let line = history.lines().nth(1).unwrap_or_default().to_string();
        assert!(line.contains("interrupted"), "{signal}: {history}");
    }
}

#[test]
fn watch_runs_once_per_new_commit_on_the_branch() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let repo = hosts.path("repo");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-C"])
            .arg(&repo)
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        String::from_utf8_lossy(&ok.stdout).trim().to_string()
    };
    fs::create_dir_all(&repo).unwrap();
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "base"]);
    let kh = hosts.known_hosts.display().to_string();
    let repo_s = repo.display().to_string();
    let watcher = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "pipeline",
            "watch",
            "--repo",
            &repo_s,
            "--branch",
            "main",
            "--every",
            "300ms",
            "--max-runs",
            "2",
            "pipeline.yml",
            "--known-hosts",
            &kh,
            "--report",
            "watch.html",
        ])
        .current_dir(hosts.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    git(&["checkout", "-q", "-b", "other"]);
    git(&["commit", "-q", "--allow-empty", "-m", "elsewhere"]);
    git(&["checkout", "-q", "main"]);
    std::thread::sleep(Duration::from_millis(800));
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let one = git(&["rev-parse", "HEAD"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while deployed(&hosts, "host1").lines().count() < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    git(&["commit", "-q", "--allow-empty", "-m", "two"]);
    let two = git(&["rev-parse", "HEAD"]);
    let out = watcher.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        deployed(&hosts, "host1"),
        format!("reg/app:{one}\nreg/app:{two}\n")
    );
    // Each run the watch triggered is recorded as a `pipeline run` is: its own report model in
    // the history; `--report` shows the newest run.
    let ferry = |args: &[&str]| crate::support::ferry(args, hosts.dir.path());
    for (run, sha, other) in [("1", &one, &two), ("2", &two, &one)] {
        let page = ferry(&["report", "pipeline.yml", run]);
        assert_eq!(page.code, 0, "{}", page.all());
        assert!(
            page.stdout.contains(sha.as_str()) && !page.stdout.contains(other.as_str()),
            "run {run}: {}",
            page.all()
        );
    }
    let compared = ferry(&["report", "pipeline.yml", "--compare", "1", "2"]);
    assert_eq!(compared.code, 0, "{}", compared.all());
    for image in [format!("reg/app:{one}"), format!("reg/app:{two}")] {
        assert!(
            compared.stdout.contains(&image),
            "{image}: {}",
            compared.all()
        );
    }
    let newest = fs::read_to_string(hosts.path("watch.html")).unwrap();
    assert!(
        newest.contains(two.as_str()) && !newest.contains(one.as_str()),
        "{newest}"
    );
}

#[test]
fn junit_report_has_suites_cases_and_failures() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let r = pipeline(
        &hosts,
        &[
            "-e",
            "git_sha=j",
            "-e",
            "break_ci=true",
            "--junit",
            "report.xml",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    let xml = fs::read_to_string(hosts.path("report.xml")).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"ci / host1\""), "{xml}");
    assert!(
        xml.contains("<testcase classname=\"ci / host1\" name=\"fail [host1]\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"ci broke\" type=\"failure\">"),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    let xsd = crate::support::root().join("tests/junit.xsd");
    let check = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(hosts.path("report.xml"))
        .output()
        .expect("xmllint runs (apt-get install -y libxml2-utils; scripts/test.sh does)");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn stage_when_skips_and_json_events_carry_stages_and_exports() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    let text = fs::read_to_string(hosts.path("pipeline.yml")).unwrap();
    let text = text.replace(
        "    needs: [ci]\n",
        "    needs: [ci]\n    when: git_branch == 'main'\n",
    );
    fs::write(hosts.path("pipeline.yml"), text).unwrap();
    let r = pipeline(
        &hosts,
        &[
            "-e",
            "git_sha=w1",
            "-e",
            "git_branch=dev",
            "--output",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ci_end = events
        .iter()
        .find(|e| e["event"] == "stage_end" && e["stage"] == "ci")
        .unwrap();
    assert_eq!(ci_end["exports"]["image_ref"], "reg/app:w1");
    let cd_end = events
        .iter()
        .find(|e| e["event"] == "stage_end" && e["stage"] == "cd")
        .unwrap();
    assert_eq!(cd_end["status"], "skipped: when git_branch == 'main'");
    assert!(events
        .iter()
        .any(|e| e["event"] == "stage_start" && e["stage"] == "ci"));
    assert_eq!(deployed(&hosts, "host1"), "", "CD did not run off main");
}

/// Every stage's playbooks are loaded, templates checked, when the pipeline is loaded: a
/// template error in the CD playbook stops the run before the CI stage touches any host.
#[test]
fn a_template_error_in_a_later_stage_stops_the_pipeline_before_the_first_stage() {
    let hosts = SshHosts::start(1);
    setup(&hosts);
    write(
        &hosts,
        "cd.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo {{ image_ref }} >> {{ host_dir }}/deployed\n    - debug: msg=\"{{ broken }\"\n",
    );
    let run = pipeline(&hosts, &["-e", "git_sha=abc123"]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stderr
            .contains("ERROR! cd.yml:5:7: invalid template in an argument"),
        "{}",
        run.all()
    );
    assert!(!run.stdout.contains("STAGE [ci]"), "{}", run.all());
    assert!(
        !hosts.any_connection(),
        "no host was contacted: {}",
        run.all()
    );
}
