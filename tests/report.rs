//! Issue 19: the HTML run report and the history behind it, looked at in a real browser —
//! headless Chromium driven by playwright-core (`report/browser.js`) opens the page ferry wrote
//! and says what a user sees.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;

use crate::support::{ferry, root, run_playbook, write, SshHosts};

const XSS: &str = "</script><script>alert(1)</script>";

/// Where `scripts/test.sh` installs playwright-core.
fn node_modules() -> PathBuf {
    std::env::var_os("FERRY_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cache/ferry-node/node_modules")
        })
}

/// Opens `page` in headless Chromium; what the user sees, as `browser.js` reports it.
fn browse(page: &Path, extra: &[&str]) -> Json {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: apt-get install -y chromium"
    );
    assert!(
        node_modules().join("playwright-core").is_dir(),
        "playwright-core is missing: npm install --prefix ~/.cache/ferry-node playwright-core"
    );
    let out = Command::new("node")
        .arg(root().join("tests/report/browser.js"))
        .arg(page)
        .args(extra)
        .env("NODE_PATH", node_modules())
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "browser.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("browser.js prints JSON")
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// What every page must be: no console errors, no requests, no dialog, the XSS never run.
fn assert_clean(seen: &Json) {
    for key in ["consoleErrors", "pageErrors", "requests", "dialogs"] {
        assert_eq!(seen[key], Json::Array(vec![]), "{key}: {seen:#}");
    }
    assert_eq!(seen["scriptCount"], 2, "only our two script elements");
}

/// Two hosts: a change with a diff, a handler, output with a script tag, a failure on host2
/// whose message is the XSS string and a long one on host1 (ignored), a vaulted value.
fn project(hosts: &SshHosts) -> (PathBuf, PathBuf) {
    let dir = hosts.dir.path();
    fs::write(dir.join("pw"), "report-vault-pw\n").unwrap();
    let secrets = write(hosts, "secrets.yml", "api_token: tok-vaulted-7731\n");
    let enc = ferry(
        &[
            "vault",
            "encrypt",
            "--vault-password-file",
            "pw",
            secrets.to_str().unwrap(),
        ],
        dir,
    );
    assert_eq!(enc.code, 0, "{}", enc.all());
    let playbook = write(
        hosts,
        "site.yml",
        &format!(
            r#"- name: deploy the app
  hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: write the config
      copy:
        content: "version 2 on {{{{ inventory_hostname }}}}\n"
        dest: "{{{{ host_dir }}}}/app.conf"
      notify: reload app
    - name: print a script tag
      command: echo '{XSS}'
    - name: use the token
      debug:
        msg: "token is {{{{ api_token }}}}"
    - name: hidden
      debug:
        msg: "no_log secret nolog-8812"
      no_log: true
    - name: long failure
      fail:
        msg: "{{{{ 'x' * 100000 }}}}"
      when: inventory_hostname == 'host1'
      ignore_errors: true
    - name: break host2
      fail:
        msg: "{XSS}"
      when: inventory_hostname == 'host2'
  handlers:
    - name: reload app
      command: "true"
"#
        ),
    );
    let inv = hosts.inventory("");
    (playbook, inv)
}

#[test]
fn run_report_shows_results_failures_filters_and_timeline_in_a_browser() {
    let hosts = SshHosts::start(2);
    let (playbook, inv) = project(&hosts);
    let dir = hosts.dir.path();
    let run = run_playbook(
        &hosts,
        &playbook,
        &inv,
        &[
            "--diff",
            "--vault-password-file",
            "pw",
            "-e",
            "db_password=hunter2",
            "--report",
            "report.html",
            "--history",
            "runs.db",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    for secret in ["hunter2", "tok-vaulted-7731", "nolog-8812"] {
        assert!(!html.contains(secret), "{secret} is in the page");
    }
    assert!(
        html.contains("token is ********"),
        "vault values are masked"
    );
    assert!(html.len() < 200_000, "{} bytes", html.len());

    let seen = browse(&dir.join("report.html"), &["--filter-host", "host1"]);
    assert_clean(&seen);
    assert_eq!(seen["hostCount"], "2 hosts");
    assert_eq!(seen["taskCount"], "7 tasks", "6 tasks and the handler");
    assert_eq!(seen["exitCode"], "2");
    let command = seen["command"].as_str().unwrap();
    assert!(command.contains("-e db_password=***"), "{command}");
    assert!(command.starts_with("ferry run "), "{command}");
    let failures = strings(&seen["failures"]);
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(failures[0].contains("host2") && failures[0].contains(XSS));
    assert!(failures[0].contains("site.yml:25"), "{}", failures[0]);
    assert!(failures[1].contains("host1") && failures[1].contains("ignored"));
    assert!(
        failures[1].contains("showing 2.0 KiB of 97.7 KiB"),
        "{}",
        &failures[1][..300]
    );
    // Clicking host2's failed cell opens its result.
    assert_eq!(seen["detailVisible"], true);
    let detail = seen["detail"].as_str().unwrap();
    assert!(
        detail.contains("break host2") && detail.contains(XSS),
        "{detail}"
    );
    assert_eq!(strings(&seen["filteredByHost"]), ["host1"]);
    assert_eq!(strings(&seen["filteredByFailed"]), ["host2"]);
    assert_eq!(seen["failuresFiltered"], 1);
    let bars = seen["timelineBars"].as_array().unwrap();
    assert_eq!(bars.len(), 7);
    assert!(bars.iter().all(|w| w.as_f64().unwrap() >= 2.0), "{bars:?}");
    assert_eq!(strings(&seen["handlers"]).len(), 1);
    let diffs = strings(&seen["diffs"]);
    assert_eq!(diffs.len(), 2);
    assert!(diffs.iter().any(|d| d.contains("+version 2 on host1")));

    // The run is in its history, with its arguments; found by host and status.
    let history = |args: &[&str]| {
        let mut all = vec!["history", "--history-db", "runs.db"];
        all.extend_from_slice(args);
        ferry(&all, dir).stdout
    };
    assert!(history(&[]).contains("run: "), "{}", history(&[]));
    let failed_on_2 = history(&["--host", "host2", "--status", "failed"]);
    assert_eq!(failed_on_2.lines().count(), 2, "{failed_on_2}");
    let failed_on_1 = history(&["--host", "host1", "--status", "failed"]);
    assert_eq!(failed_on_1.lines().count(), 1, "{failed_on_1}");
    let recorded = ferry(
        &["report", "--history-db", "runs.db", "1", "-o", "again.html"],
        dir,
    );
    assert_eq!(recorded.code, 0, "{}", recorded.all());
    let again = browse(&dir.join("again.html"), &[]);
    assert_clean(&again);
    assert_eq!(again["hostCount"], "2 hosts");
    assert_eq!(again["failures"].as_array().unwrap().len(), 2);
}

/// Runs ferry with `args` and `--report slow.html` in `dir`, sends it Ctrl-C (SIGINT) after
/// `ms` milliseconds; its exit code.
fn interrupt(dir: &Path, args: &[&str], ms: u64) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .args(["--report", "slow.html"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap().code()
}

#[test]
fn an_interrupted_run_still_writes_its_report() {
    let hosts = SshHosts::start(1);
    let playbook = write(
        &hosts,
        "slow.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: quick\n      command: \"true\"\n    - name: slow\n      command: sleep 30\n",
    );
    let inv = hosts.inventory("");
    let kh = hosts.known_hosts.display().to_string();
    let pb = playbook.display().to_string();
    let inv = inv.display().to_string();
    let args = ["run", &pb, "-i", &inv, "--known-hosts", &kh];
    assert_eq!(interrupt(hosts.dir.path(), &args, 2500), Some(99));
    let page = hosts.dir.path().join("slow.html");
    let seen = browse(&page, &[]);
    assert_clean(&seen);
    assert!(
        seen["heading"].as_str().unwrap().contains("interrupted"),
        "{seen:#}"
    );
    assert_eq!(seen["taskCount"], "2 tasks");
    assert!(strings(&seen["taskRows"])[0].contains("quick"));
}

/// A CI stage that exports an image tag built from `git_sha` (and fails on `break_ci`), and a CD
/// stage that needs it.
fn pipeline_project(hosts: &SshHosts) {
    let inv = hosts.inventory("");
    write(
        hosts,
        "ci.yml",
        "- hosts: host1\n  gather_facts: no\n  tasks:\n    - name: build\n      command: echo build-{{ git_sha }}\n      register: build\n    - name: test\n      fail: msg=\"tests broke\"\n      when: break_ci | default(false) | bool\n",
    );
    write(
        hosts,
        "cd.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: deploy\n      shell: echo {{ image_ref }} >> {{ host_dir }}/deployed\n",
    );
    write(
        hosts,
        "pipeline.yml",
        &format!(
            "name: shop\nstages:\n  - name: ci\n    playbook: ci.yml\n    inventory: {inv}\n    export:\n      image_ref: \"reg/shop:{{{{ git_sha }}}}\"\n  - name: cd\n    needs: [ci]\n    playbook: cd.yml\n    inventory: {inv}\n    vars:\n      image_ref: \"{{{{ stages.ci.image_ref }}}}\"\n",
            inv = inv.display()
        ),
    );
}

#[test]
fn pipeline_report_shows_stages_and_exports_and_runs_compare() {
    let hosts = SshHosts::start(2);
    pipeline_project(&hosts);
    let dir = hosts.dir.path();
    let kh = hosts.known_hosts.display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["pipeline", "run", "pipeline.yml", "--known-hosts", &kh];
        all.extend_from_slice(args);
        ferry(&all, dir)
    };
    let first = run(&["-e", "git_sha=aaa111", "--report", "p1.html"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let second = run(&["-e", "git_sha=bbb222", "-e", "break_ci=true"]);
    assert_eq!(second.code, 2, "{}", second.all());

    let seen = browse(&dir.join("p1.html"), &[]);
    assert_clean(&seen);
    assert_eq!(strings(&seen["stages"]), ["ci", "cd"]);
    let exports = strings(&seen["exports"]);
    assert!(
        exports
            .iter()
            .any(|e| e.contains("image_ref") && e.contains("reg/shop:aaa111")),
        "{exports:#?}"
    );
    assert_eq!(seen["hostCount"], "2 hosts");
    assert_eq!(seen["taskCount"], "3 tasks");
    assert!(seen["heading"].as_str().unwrap().contains("succeeded"));

    // The second run, rendered from the history: its failure and the stage it stopped.
    let page = ferry(&["report", "pipeline.yml", "2", "-o", "p2.html"], dir);
    assert_eq!(page.code, 0, "{}", page.all());
    let seen = browse(&dir.join("p2.html"), &[]);
    assert_clean(&seen);
    let failures = strings(&seen["failures"]);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("tests broke") && failures[0].contains("host1"));
    assert!(seen["detail"].as_str().unwrap().contains("tests broke"));
    let exports = strings(&seen["exports"]);
    assert!(exports
        .iter()
        .any(|e| e.starts_with("cd") && e.contains("skipped")));

    // What changed between the two: the test task, the deploy skipped, the image tag.
    let cmp = ferry(
        &[
            "report",
            "pipeline.yml",
            "--compare",
            "1",
            "2",
            "-o",
            "cmp.html",
        ],
        dir,
    );
    assert_eq!(cmp.code, 0, "{}", cmp.all());
    let seen = browse(&dir.join("cmp.html"), &[]);
    assert_clean(&seen);
    let changes = strings(&seen["changes"]);
    assert!(
        changes
            .iter()
            .any(|c| c.contains("test") && c.contains("skipped") && c.contains("failed")),
        "{changes:#?}"
    );
    assert!(changes
        .iter()
        .any(|c| c.starts_with("cd") && c.contains("deploy")));
    let exports = strings(&seen["exportChanges"]);
    assert!(
        exports
            .iter()
            .any(|e| e.contains("reg/shop:aaa111") && e.contains("reg/shop:bbb222")),
        "{exports:#?}"
    );
    let history = ferry(&["history", "pipeline.yml", "--status", "failed"], dir);
    assert_eq!(history.stdout.lines().count(), 2, "{}", history.stdout);
}

/// 500 hosts (local connections: 500 sshd servers would measure the machine, not the page) ×
/// 50 tasks, one of them printing 100 KiB on every host and five failing on one host each.
#[test]
fn a_500_host_50_task_report_is_small_and_opens_fast() {
    let dir = tempfile::tempdir().unwrap();
    let hosts: String = (0..500)
        .map(|i| format!("node{i:03} ansible_connection=local\n"))
        .collect();
    fs::write(dir.path().join("fleet.ini"), format!("[fleet]\n{hosts}")).unwrap();
    let tasks: String = (0..50)
        .map(|t| match t {
            0 => "    - name: big output\n      command: seq 1 20000\n".to_string(),
            t if t % 10 == 9 => format!(
                "    - name: check {t}\n      assert:\n        that: inventory_hostname != 'node{t:03}'\n        msg: node{t:03} fails check {t}\n"
            ),
            t => format!("    - name: step {t}\n      debug:\n        msg: step {t} on {{{{ inventory_hostname }}}}\n"),
        })
        .collect();
    let playbook = format!("- hosts: fleet\n  gather_facts: false\n  tasks:\n{tasks}");
    fs::write(dir.path().join("fleet.yml"), playbook).unwrap();
    let run = ferry(
        &[
            "run",
            "fleet.yml",
            "-i",
            "fleet.ini",
            "--output",
            "json",
            "--report",
            "fleet.html",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 2, "{}", &run.stderr);
    let seen = browse(&dir.path().join("fleet.html"), &["--filter-host", "node49"]);
    assert_clean(&seen);
    let bytes = seen["bytes"].as_u64().unwrap();
    assert!(bytes < 5_000_000, "{bytes} bytes");
    let open = seen["openMs"].as_u64().unwrap();
    assert!(open < 2_000, "opened in {open} ms");
    assert_eq!(seen["hostCount"], "500 hosts");
    assert_eq!(seen["taskCount"], "50 tasks");
    assert_eq!(seen["lastMatrixHost"], "node499");
    assert_eq!(seen["timelineBars"].as_array().unwrap().len(), 50);
    assert_eq!(strings(&seen["failures"]).len(), 5);
    let detail = seen["detail"].as_str().unwrap();
    assert!(detail.contains("node009 fails check 9"), "{detail}");
    assert_eq!(seen["filteredByHost"].as_array().unwrap().len(), 10);
    assert_eq!(seen["filterCount"], "5 of 500 hosts shown");
    // Each host's 100 KiB of output is in the page as its last KiB, with its size.
    let html = fs::read_to_string(dir.path().join("fleet.html")).unwrap();
    assert!(html.contains(r#""stdout":["#), "stdout kept");
    assert!(
        html.contains(",108893]"),
        "the full size of seq 1 20000 is noted"
    );
}

/// A directory with `one.ini`: one host, `solo`, on the local connection.
fn local_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("one.ini"),
        "solo ansible_connection=local\n",
    )
    .unwrap();
    dir
}

/// `ferry run --history`: each run with its arguments; `--history-keep` prunes the oldest.
#[test]
fn plain_run_history_keeps_arguments_and_prunes_old_runs() {
    let dir = local_project();
    fs::write(
        dir.path().join("one.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug: msg=hi\n",
    )
    .unwrap();
    let db = dir.path().join("h.db");
    for n in ["1", "2", "3"] {
        let run = ferry(
            &[
                "run",
                "one.yml",
                "-i",
                "one.ini",
                "-l",
                "solo",
                "--tags",
                "all",
                "-e",
                &format!("password=pw{n}"),
                "--history",
                "h.db",
                "--history-keep",
                "2",
            ],
            dir.path(),
        );
        assert_eq!(run.code, 0, "{}", run.all());
    }
    let list = ferry(
        &["history", "--history-db", db.to_str().unwrap()],
        dir.path(),
    );
    let ids: Vec<&str> = list
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["3", "2"], "{}", list.stdout);
    let show = ferry(
        &["history", "--history-db", "h.db", "show", "3"],
        dir.path(),
    );
    assert!(
        show.stdout.contains(
            "  command: ferry run one.yml -i one.ini -l solo --tags all -e password=*** --history h.db --history-keep 2\n"
        ),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("solo "), "{}", show.stdout);
    let old = ferry(&["report", "--history-db", "h.db", "1"], dir.path());
    assert_eq!(old.code, 5, "{}", old.all());
    assert!(old.stderr.contains("no run 1 in h.db"), "{}", old.stderr);
}

#[test]
fn history_filters_refuse_unknown_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let bad = ferry(&["history", "--status", "broken"], dir.path());
    assert_eq!(bad.code, 5, "{}", bad.all());
    assert!(
        bad.stderr.contains("invalid value 'broken' for '--status <STATUS>'")
            && bad.stderr.contains(
                "[possible values: changed, failed, interrupted, ok, running, skipped, succeeded, unreachable]"
            ),
        "{}",
        bad.stderr
    );
}

/// A playbook that does not load: the page still exists and says why, as text.
#[test]
fn a_run_that_cannot_start_still_writes_its_page() {
    let dir = local_project();
    fs::write(
        dir.path().join("bad.yml"),
        format!("- hosts: all\n  tasks:\n    - comand: echo '{XSS}'\n"),
    )
    .unwrap();
    let run = ferry(
        &["run", "bad.yml", "-i", "one.ini", "--report", "bad.html"],
        dir.path(),
    );
    assert_eq!(run.code, 4, "{}", run.all());
    let seen = browse(&dir.path().join("bad.html"), &[]);
    assert_clean(&seen);
    assert!(seen["heading"].as_str().unwrap().contains("error"));
    assert_eq!(seen["exitCode"], "4");
    let body = seen["bodyText"].as_str().unwrap();
    assert!(
        body.contains("The run did not start:")
            && body.contains("bad.yml:3:7: unknown module or keyword 'comand'"),
        "{body}"
    );
    assert!(body.contains(XSS), "{body}");
}

/// Ctrl-C during a pipeline's CD stage: the page says interrupted, with the CI stage's export.
#[test]
fn an_interrupted_pipeline_still_writes_its_report() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    write(
        &hosts,
        "build.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: build\n      command: \"true\"\n",
    );
    write(
        &hosts,
        "slow.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - name: roll out\n      command: sleep 30\n",
    );
    write(
        &hosts,
        "pipeline.yml",
        &format!(
            "name: slow\nstages:\n  - name: ci\n    playbook: build.yml\n    inventory: {inv}\n    export:\n      tag: v7\n  - name: cd\n    needs: [ci]\n    playbook: slow.yml\n    inventory: {inv}\n",
            inv = inv.display()
        ),
    );
    let kh = hosts.known_hosts.display().to_string();
    let args = ["pipeline", "run", "pipeline.yml", "--known-hosts", &kh];
    assert_eq!(interrupt(hosts.dir.path(), &args, 3000), Some(99));
    let seen = browse(&hosts.dir.path().join("slow.html"), &[]);
    assert_clean(&seen);
    assert!(
        seen["heading"].as_str().unwrap().contains("interrupted"),
        "{seen:#}"
    );
    assert_eq!(strings(&seen["stages"]), ["ci", "cd"]);
    let exports = strings(&seen["exports"]);
    assert!(
        exports[0].contains("tag") && exports[0].contains("v7"),
        "{exports:#?}"
    );
    // The model is in the history too.
    let again = ferry(
        &["report", "pipeline.yml", "-o", "again.html"],
        hosts.dir.path(),
    );
    assert_eq!(again.code, 0, "{}", again.all());
    let seen = browse(&hosts.dir.path().join("again.html"), &[]);
    assert!(seen["heading"].as_str().unwrap().contains("interrupted"));
}

/// `ferry history` and `ferry report` only read: with no database they say where they looked
/// and create nothing. The run's "Who" is the real uid's name, whatever `$USER` says.
#[test]
fn history_readers_create_nothing_and_who_is_the_real_user() {
    let dir = local_project();
    let here = dir.path().display().to_string();
    for args in [&["history"][..], &["report"], &["history", "show", "1"]] {
        let r = ferry(args, dir.path());
        assert_eq!(r.code, 5, "{args:?}: {}", r.all());
        let want = format!(
            "no history at .ferry/history.db (looked for {here}/.ferry/history.db): runs are recorded there by `ferry pipeline run`"
        );
        assert!(r.stderr.contains(&want), "{args:?}: {}", r.stderr);
    }
    let other = ferry(&["report", "--history-db", "none.db"], dir.path());
    assert!(
        other.stderr.contains(&format!(
            "no history at none.db (looked for {here}/none.db)"
        )),
        "{}",
        other.stderr
    );
    assert!(!dir.path().join(".ferry").exists() && !dir.path().join("none.db").exists());

    fs::write(
        dir.path().join("one.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n",
    )
    .unwrap();
    let me = Command::new("id").arg("-un").output().unwrap();
    let me = String::from_utf8_lossy(&me.stdout).trim().to_string();
    for user in [None, Some("ci-impostor")] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.args(["run", "one.yml", "-i", "one.ini", "--history", "h.db"])
            .current_dir(dir.path())
            .env_remove("USER");
        if let Some(user) = user {
            cmd.env("USER", user);
        }
        assert!(cmd.output().unwrap().status.success());
    }
    for run in ["1", "2"] {
        let page = ferry(&["report", "--history-db", "h.db", run], dir.path());
        assert_eq!(page.code, 0, "{}", page.all());
        assert!(
            page.stdout.contains(&format!("\"user\":\"{me}\"")),
            "run {run} is not {me}'s"
        );
    }
}
