//! Issue 20: `--shard INDEX/COUNT` splits one rollout over runners, `ferry shards merge` makes
//! their outputs one; the CI examples in `examples/ci/` run as written.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

use crate::support::{ferry, ferry_env, write, Run, SshHosts};

/// Every host appends its name to `{{ host_dir }}/{{ file }}`; a second task reports.
const PLAYBOOK: &str = "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo {{ inventory_hostname }} >> {{ host_dir }}/{{ file }}\n    - debug: msg=done\n";

fn run(hosts: &SshHosts, args: &[&str]) -> Run {
    run_env(hosts, args, &[])
}

fn run_env(hosts: &SshHosts, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let kh = hosts.known_hosts.display().to_string();
    let mut all = vec![
        "run",
        "site.yml",
        "-i",
        "inventory.ini",
        "--known-hosts",
        &kh,
    ];
    all.extend_from_slice(args);
    ferry_env(&all, hosts.dir.path(), env)
}

/// How many lines each host's `file` has.
fn written(hosts: &SshHosts, file: &str) -> BTreeMap<String, usize> {
    hosts
        .hosts
        .iter()
        .map(|h| {
            let text = fs::read_to_string(h.dir.join(file)).unwrap_or_default();
            (h.name.clone(), text.lines().count())
        })
        .collect()
}

/// The hosts a shard's JSON log says it took.
fn shard_hosts(log: &str) -> Vec<String> {
    let event = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .find(|e| e["event"] == "shard")
        .unwrap_or_else(|| panic!("no shard event in\n{log}"));
    let hosts = event["hosts"].as_array().unwrap();
    hosts
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect()
}

/// The suites and cases of a JUnit file, sorted, times left out.
fn cases(xml: &str) -> Vec<String> {
    let mut out: Vec<String> = xml
        .lines()
        .filter(|l| l.contains("<testcase "))
        .map(|l| l.split(" time=").next().unwrap().trim().to_string())
        .collect();
    out.sort();
    out
}

fn xmllint(path: &Path) {
    let xsd = crate::support::root().join("tests/junit.xsd");
    let check = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(path)
        .output()
        .expect("xmllint runs (apt-get install -y libxml2-utils; scripts/test.sh does)");
    let why = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{}: {why}", path.display());
}

#[test]
fn shards_write_every_host_once_and_merge_into_the_unsharded_recap_and_junit() {
    let hosts = SshHosts::start(5);
    hosts.inventory("");
    write(&hosts, "site.yml", PLAYBOOK);
    let whole = run(&hosts, &["-e", "file=whole", "--junit", "whole.xml"]);
    assert_eq!(whole.code, 0, "{}", whole.all());
    let mut taken = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let r = run(
            &hosts,
            &["-e", "file=sharded", "--shard", &shard, "--output", "json"],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        fs::write(hosts.path(&format!("shard-{i}.json")), &r.stdout).unwrap();
        let mine = shard_hosts(&r.stdout);
        assert!(
            (1..=2).contains(&mine.len()),
            "5 hosts in 3 shards: {mine:?}"
        );
        taken.extend(mine);
    }
    taken.sort();
    let names: Vec<String> = hosts.hosts.iter().map(|h| h.name.clone()).collect();
    assert_eq!(taken, names, "the shards together take every host once");
    let once: BTreeMap<String, usize> = names.iter().map(|n| (n.clone(), 1)).collect();
    assert_eq!(written(&hosts, "sharded"), once);

    let logs = ["shard-2.json", "shard-0.json", "shard-1.json"];
    let mut args = vec!["shards", "merge", "--junit", "merged.xml"];
    args.extend(logs);
    let merged = ferry(&args, hosts.dir.path());
    assert_eq!(merged.code, 0, "{}", merged.all());
    assert!(
        merged.stdout.starts_with("merged 3 shards\n"),
        "{}",
        merged.all()
    );
    assert_eq!(merged.recap(), whole.recap(), "{}", merged.all());
    let xml = |name: &str| fs::read_to_string(hosts.path(name)).unwrap();
    assert_eq!(cases(&xml("merged.xml")), cases(&xml("whole.xml")));
    assert_eq!(
        xml("merged.xml").matches("<testsuite ").count(),
        1,
        "one suite per play"
    );
    xmllint(&hosts.path("merged.xml"));

    // The inventory reordered: every host stays in its shard.
    let text = fs::read_to_string(hosts.path("inventory.ini")).unwrap();
    let reversed: Vec<&str> = text.lines().rev().collect();
    fs::write(hosts.path("inventory.ini"), reversed.join("\n")).unwrap();
    let again = run(
        &hosts,
        &["-e", "file=again", "--shard", "1/3", "--output", "json"],
    );
    let before = shard_hosts(&xml("shard-1.json"));
    let mut after = shard_hosts(&again.stdout);
    after.sort();
    let mut before_sorted = before.clone();
    before_sorted.sort();
    assert_eq!(after, before_sorted, "{}", again.all());

    // Slices are of the hosts --limit leaves.
    let mut limited = Vec::new();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let args = [
            "-e",
            "file=limited",
            "-l",
            "!host5",
            "--shard",
            &shard,
            "--output",
            "json",
        ];
        let r = run(&hosts, &args);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(r.stdout.contains("\"selected\":4"), "{}", r.all());
        limited.extend(shard_hosts(&r.stdout));
    }
    limited.sort();
    assert_eq!(limited, names[..4], "--limit first, then the slices");

    // A Kubernetes Indexed Job's pod: the index from JOB_COMPLETION_INDEX.
    let k8s = run_env(
        &hosts,
        &["-e", "file=k8s", "--shard", "k8s/3", "--output", "json"],
        &[("JOB_COMPLETION_INDEX", Path::new("1"))],
    );
    assert_eq!(k8s.code, 0, "{}", k8s.all());
    let mut from_k8s = shard_hosts(&k8s.stdout);
    from_k8s.sort();
    assert_eq!(from_k8s, before_sorted);
}

#[test]
fn merge_refuses_missing_repeated_and_unsharded_logs_and_a_failure_carries_its_exit_code() {
    let hosts = SshHosts::start(2);
    hosts.inventory("");
    write(&hosts, "site.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - fail: msg=broken\n      when: inventory_hostname == 'host2'\n");
    for i in 0..2 {
        let shard = format!("{i}/2");
        let r = run(&hosts, &["--shard", &shard, "--output", "json"]);
        fs::write(hosts.path(&format!("shard-{i}.json")), &r.stdout).unwrap();
    }
    let plain = run(&hosts, &["--output", "json"]);
    assert_eq!(plain.code, 2, "{}", plain.all());
    fs::write(hosts.path("plain.json"), &plain.stdout).unwrap();
    let merge = |logs: &[&str]| {
        let mut args = vec!["shards", "merge"];
        args.extend_from_slice(logs);
        ferry(&args, hosts.dir.path())
    };
    let both = merge(&["shard-0.json", "shard-1.json"]);
    assert_eq!(both.code, 2, "the failed host's exit code: {}", both.all());
    assert_eq!(both.recap()["host2"]["failed"], 1, "{}", both.all());
    let cases = [
        (vec!["shard-0.json"], "ERROR! missing shard 1/2: every shard's log is needed"),
        (
            vec!["shard-0.json", "shard-0.json", "shard-1.json"],
            "ERROR! shard-0.json and shard-0.json are both shard 0/2",
        ),
        (
            vec!["plain.json"],
            "ERROR! plain.json: no shard event: was it written by a run with --shard and --output json?",
        ),
        (vec!["site.yml"], "ERROR! site.yml: no shard event"),
    ];
    for (logs, want) in cases {
        let r = merge(&logs);
        assert_eq!(r.code, 1, "{logs:?}: {}", r.all());
        assert!(r.stderr.contains(want), "{logs:?}: {}", r.all());
    }
}

#[test]
fn an_empty_shard_succeeds_and_bad_shard_values_are_refused() {
    let hosts = SshHosts::start(2);
    hosts.inventory("");
    write(&hosts, "site.yml", PLAYBOOK);
    let mut empty = Vec::new();
    for i in 0..4 {
        let shard = format!("{i}/4");
        let r = run(&hosts, &["-e", "file=f", "--shard", &shard]);
        assert_eq!(r.code, 0, "{}", r.all());
        if r.stdout.contains("nothing to run") {
            assert!(
                r.stdout.contains(&format!("SHARD [{shard}: 0 of 2 hosts]")),
                "{}",
                r.all()
            );
            assert!(
                r.stdout.contains(&format!(
                    "none of the 2 selected hosts falls in shard {shard}: nothing to run"
                )),
                "{}",
                r.all()
            );
            assert!(!r.stdout.contains("TASK ["), "{}", r.all());
            empty.push(i);
        }
    }
    assert_eq!(empty, [2, 3], "2 hosts fill shards 0 and 1 of 4");
    let mut listed = Vec::new();
    for i in 0..4 {
        let shard = format!("{i}/4");
        let r = run(&hosts, &["--list-hosts", "--shard", &shard]);
        assert_eq!(r.code, 0, "{}", r.all());
        let want = if empty.contains(&i) { 0 } else { 1 };
        assert!(
            r.stdout.contains(&format!("hosts ({want}):")),
            "{}",
            r.all()
        );
        listed.extend(
            r.stdout
                .lines()
                .filter(|l| l.starts_with("      host"))
                .map(str::trim)
                .map(String::from),
        );
    }
    listed.sort();
    assert_eq!(
        listed,
        ["host1", "host2"],
        "--list-hosts shows each shard's hosts"
    );
    assert_eq!(written(&hosts, "f").values().sum::<usize>(), 2);

    // The controller's own hosts run in every shard, an empty one too.
    let local =
        "- hosts: localhost\n  gather_facts: no\n  tasks:\n    - debug: msg=on-the-runner\n";
    fs::write(hosts.path("site.yml"), format!("{local}{PLAYBOOK}")).unwrap();
    let r = run(&hosts, &["-e", "file=f", "--shard", "3/4"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("the controller's own hosts run in every shard: localhost"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout.contains("\"msg\": \"on-the-runner\""),
        "{}",
        r.all()
    );
    assert!(!r.stdout.contains("nothing to run"), "{}", r.all());
    assert_eq!(
        written(&hosts, "f").values().sum::<usize>(),
        2,
        "no remote host in shard 3/4"
    );

    let refused = [
        (
            "3/2",
            "the index must be below the count (0 to 1; indexes start at 0)",
        ),
        ("0/0", "the count must be at least 1"),
        (
            "x",
            "not a shard: use INDEX/COUNT (0-based: 0/4 .. 3/4) or k8s/COUNT",
        ),
        (
            "k8s/4",
            "k8s/COUNT takes the index from JOB_COMPLETION_INDEX, which is not set",
        ),
    ];
    for (value, want) in refused {
        let r = run(&hosts, &["--shard", value]);
        assert_eq!(r.code, 5, "{value}: {}", r.all());
        let line = format!("error: invalid value '{value}' for '--shard <INDEX/COUNT>': {want}");
        assert!(r.stderr.contains(&line), "{value}: {}", r.all());
    }
    let r = run_env(&hosts, &[], &[("FERRY_SHARD", Path::new("2/1"))]);
    assert_eq!(r.code, 5, "{}", r.all());
    let line = "error: invalid value '2/1' for '--shard <INDEX/COUNT>': the index must be below";
    assert!(r.stderr.contains(line), "{}", r.all());
}

#[test]
fn run_once_serial_and_any_errors_fatal_keep_their_meaning_per_shard_with_notes() {
    let hosts = SshHosts::start(4);
    hosts.inventory("");
    write(
        &hosts,
        "site.yml",
        "- name: batches\n  hosts: all\n  gather_facts: no\n  serial: 1\n  tasks:\n    - shell: echo {{ inventory_hostname }} >> {{ host_dir }}/serial\n- name: rollout\n  hosts: all\n  gather_facts: no\n  any_errors_fatal: true\n  tasks:\n    - name: once per shard\n      shell: echo {{ ferry_shard_index }} >> {{ host_dir }}/per-shard\n      run_once: true\n    - name: once in the rollout\n      shell: echo once >> {{ host_dir }}/rollout\n      run_once: true\n      when: ferry_shard_index | default(0) == 0\n",
    );
    for i in 0..2 {
        let shard = format!("{i}/2");
        let r = run(&hosts, &["--shard", &shard]);
        assert_eq!(r.code, 0, "{}", r.all());
        for note in [
            "[NOTE]: play 'batches': serial batches are of this shard's hosts, and the 2 shards run theirs at the same time",
            "[NOTE]: play 'rollout': run_once tasks run once in each of the 2 shards (add `when: ferry_shard_index | default(0) == 0`",
            "[NOTE]: play 'rollout': any_errors_fatal stops this shard only; the other shards go on",
        ] {
            assert!(r.stdout.contains(note), "{note}\n{}", r.all());
        }
    }
    let total = |file| written(&hosts, file).values().sum::<usize>();
    assert_eq!(
        total("serial"),
        4,
        "serial: 1 batches cover the shard's hosts"
    );
    assert_eq!(total("per-shard"), 2, "run_once: once in each shard");
    assert_eq!(
        total("rollout"),
        1,
        "gated on ferry_shard_index: once in the whole rollout"
    );
}

/// A pipeline's CD stage (with `needs`) is sharded; its CI stage runs whole in every shard.
#[test]
fn pipeline_shards_split_the_deploy_stage_and_run_ci_in_each() {
    let hosts = SshHosts::start(3);
    let inv = hosts.inventory("");
    write(&hosts, "ci.yml", "- hosts: host1\n  gather_facts: no\n  tasks:\n    - shell: echo built >> {{ host_dir }}/ci\n");
    write(&hosts, "cd.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo {{ image }} >> {{ host_dir }}/deployed\n");
    let pipeline = format!(
        "name: sharded\nstages:\n  - name: ci\n    playbook: ci.yml\n    inventory: {inv}\n    export:\n      image: app-1\n  - name: cd\n    needs: [ci]\n    playbook: cd.yml\n    inventory: {inv}\n    vars:\n      image: \"{{{{ stages.ci.image }}}}\"\n",
        inv = inv.display()
    );
    write(&hosts, "pipeline.yml", &pipeline);
    let kh = hosts.known_hosts.display().to_string();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let db = format!("history-{i}.db");
        let args = [
            "pipeline",
            "run",
            "pipeline.yml",
            "--known-hosts",
            &kh,
            "--shard",
            &shard,
            "--history-db",
            &db,
            "--output",
            "json",
        ];
        let r = ferry(&args, hosts.dir.path());
        assert_eq!(r.code, 0, "{}", r.all());
        fs::write(hosts.path(&format!("shard-{i}.json")), &r.stdout).unwrap();
    }
    assert_eq!(written(&hosts, "ci")["host1"], 2, "CI ran in each shard");
    let deployed: Vec<usize> = written(&hosts, "deployed").into_values().collect();
    assert_eq!(deployed, [1, 1, 1], "each host deployed by one shard");
    let merged = ferry(
        &[
            "shards",
            "merge",
            "shard-0.json",
            "shard-1.json",
            "--output",
            "json",
            "--junit",
            "merged.xml",
        ],
        hosts.dir.path(),
    );
    assert_eq!(merged.code, 0, "{}", merged.all());
    let recaps: Vec<Json> = merged
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &Json| e["event"] == "recap")
        .collect();
    assert_eq!(recaps.len(), 2, "a recap per stage: {}", merged.all());
    let cd = recaps[1]["hosts"].as_object().unwrap();
    assert_eq!(cd.len(), 3, "{}", merged.all());
    assert!(cd.values().all(|s| s["changed"] == 1), "{}", merged.all());
    let xml = fs::read_to_string(hosts.path("merged.xml")).unwrap();
    let suites: Vec<&str> = xml.lines().filter(|l| l.contains("<testsuite ")).collect();
    assert_eq!(suites.len(), 2, "{xml}");
    assert!(
        suites[0].contains("name=\"ci / host1\" tests=\"2\""),
        "{xml}"
    );
    assert!(suites[1].contains("name=\"cd / all\" tests=\"3\""), "{xml}");
    xmllint(&hosts.path("merged.xml"));
}

/// A checkout as the examples expect it: `site.yml` writing `file` on each host, and
/// `inventory/production.ini` with `inventory/known_hosts`.
fn checkout(hosts: &SshHosts, name: &str, file: &str) -> std::path::PathBuf {
    let dir = hosts.path(name);
    fs::create_dir_all(dir.join("inventory")).unwrap();
    let inv = fs::read_to_string(hosts.inventory("")).unwrap();
    fs::write(dir.join("inventory/production.ini"), inv).unwrap();
    fs::copy(&hosts.known_hosts, dir.join("inventory/known_hosts")).unwrap();
    fs::write(dir.join("site.yml"), PLAYBOOK.replace("{{ file }}", file)).unwrap();
    dir
}

/// A CI step's shell line, run as the runner would, with the ferry under test on PATH.
fn sh(line: &str, dir: &Path) -> Run {
    let bin = Path::new(env!("CARGO_BIN_EXE_ferry")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-ec", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("FERRY_KNOWN_HOSTS")
        .env_remove("FERRY_SHARD")
        .output()
        .unwrap();
    Run::from(out)
}

fn example(name: &str) -> (String, Json) {
    let path = crate::support::root().join("examples/ci").join(name);
    let text = fs::read_to_string(&path).unwrap();
    let yaml: Json = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, yaml)
}

#[test]
fn the_github_actions_matrix_example_runs_as_written() {
    let hosts = SshHosts::start(5);
    let dir = checkout(&hosts, "gha", "gha");
    let (_, flow) = example("github-actions-sharded.yml");
    let deploy = &flow["jobs"]["deploy"];
    let matrix = deploy["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .clone();
    let step = |job: &Json, word: &str| -> String {
        let steps = job["steps"].as_array().unwrap();
        let found = steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .find(|r| r.contains(word));
        found
            .unwrap_or_else(|| panic!("no step runs {word}"))
            .to_string()
    };
    let line = step(deploy, "ferry run");
    for shard in &matrix {
        let line = line
            .replace("${{ matrix.shard }}", &shard.to_string())
            .replace("${{ strategy.job-total }}", &matrix.len().to_string());
        assert!(!line.contains("${{"), "{line}");
        let r = sh(&line, &dir);
        assert_eq!(r.code, 0, "{line}\n{}", r.all());
    }
    let once: Vec<usize> = written(&hosts, "gha").into_values().collect();
    assert_eq!(
        once, [1; 5],
        "each host deployed by one of the matrix's jobs"
    );
    let report = &flow["jobs"]["report"];
    assert_eq!(report["needs"], "deploy");
    let merge = step(report, "ferry shards merge");
    let r = sh(&merge, &dir);
    assert_eq!(r.code, 0, "{merge}\n{}", r.all());
    assert_eq!(r.recap().len(), 5, "{}", r.all());
    xmllint(&dir.join("ferry.xml"));
}

#[test]
fn the_kubernetes_indexed_job_example_runs_as_written() {
    let hosts = SshHosts::start(5);
    let dir = checkout(&hosts, "k8s", "k8s");
    let (text, job) = example("k8s-indexed-job.yml");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let completions = job["spec"]["completions"].as_u64().unwrap();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"], serde_json::json!(["ferry"]));
    let key_dir = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a.as_str()
                .unwrap()
                .replace(key_dir, &hosts.dir.path().display().to_string())
        })
        .map(|a| a.replace("id_ed25519", "user_key"))
        .collect();
    assert!(args.contains(&format!("k8s/{completions}")), "{args:?}");
    for index in 0..completions {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let index_text = index.to_string();
        let env = [("JOB_COMPLETION_INDEX", Path::new(&index_text))];
        let pod = ferry_env(&args, &dir, &env);
        assert_eq!(pod.code, 0, "{}", pod.all());
        fs::write(dir.join(format!("shard-{index}.json")), &pod.stdout).unwrap();
    }
    let once: Vec<usize> = written(&hosts, "k8s").into_values().collect();
    assert_eq!(once, [1; 5], "each host deployed by one pod");
    let merge = text
        .lines()
        .find(|l| l.contains("ferry shards merge"))
        .unwrap();
    let r = sh(merge.trim_start_matches('#').trim(), &dir);
    assert_eq!(r.code, 0, "{merge}\n{}", r.all());
    assert_eq!(r.recap().len(), 5, "{}", r.all());
    xmllint(&dir.join("ferry.xml"));
}

/// The shards of a ferry rollout, merged, end as ansible-playbook's one run does: the same
/// recap for every host, the same exit code, the same files on the hosts.
#[test]
fn merged_shards_match_an_unsharded_ansible_playbook_run() {
    let hosts = SshHosts::start(5);
    let inv = hosts.inventory("");
    let playbook = "- hosts: all\n  gather_facts: no\n  tasks:\n    - file: path={{ host_dir }}/out state=directory\n    - copy: dest={{ host_dir }}/out/{{ item }} content={{ inventory_hostname }}\n      loop: [a, b]\n      notify: done\n    - command: 'true'\n      when: inventory_hostname != 'host2'\n    - fail: msg=broken\n      when: inventory_hostname == 'host4'\n    - debug: msg=after\n  handlers:\n    - name: done\n      copy: dest={{ host_dir }}/out/handler content=ran\n";
    write(&hosts, "site.yml", playbook);
    let out = |hosts: &SshHosts| -> BTreeMap<String, Vec<String>> {
        let files = |h: &crate::support::sshd::Host| {
            let mut names: Vec<String> = fs::read_dir(h.dir.join("out"))
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        hosts
            .hosts
            .iter()
            .map(|h| (h.name.clone(), files(h)))
            .collect()
    };
    let mut cmd = crate::conformance::ansible_command(&hosts, &hosts.path("site.yml"));
    cmd.arg("-i").arg(&inv);
    let (ansible_code, ansible_text) = crate::conformance::run_command(cmd);
    let ansible_out = out(&hosts);
    for h in &hosts.hosts {
        fs::remove_dir_all(h.dir.join("out")).unwrap();
    }
    let mut logs = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let r = run(&hosts, &["--shard", &shard, "--output", "json"]);
        let log = format!("shard-{i}.json");
        fs::write(hosts.path(&log), &r.stdout).unwrap();
        logs.push(log);
    }
    let mut args = vec!["shards", "merge"];
    args.extend(logs.iter().map(String::as_str));
    let merged = ferry(&args, hosts.dir.path());
    assert_eq!(
        merged.code,
        ansible_code,
        "{ansible_text}\n{}",
        merged.all()
    );
    assert_eq!(
        merged.recap(),
        crate::support::recap(&ansible_text),
        "{ansible_text}\n{}",
        merged.all()
    );
    assert_eq!(out(&hosts), ansible_out);
}

/// The shards' JSON logs carry each result's time, so the merged JUnit's cases and suites
/// have real times: a one-second task takes a second in every shard's cases, and the play
/// as long as its longest shard, not the sum of the shards.
#[test]
fn merged_junit_carries_the_times_the_shards_measured() {
    let hosts = SshHosts::start(2);
    hosts.inventory("");
    write(&hosts, "site.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: sleep 1\n    - debug: msg=quick\n");
    for i in 0..2 {
        let shard = format!("{i}/2");
        let r = run(&hosts, &["--shard", &shard, "--output", "json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        fs::write(hosts.path(&format!("shard-{i}.json")), &r.stdout).unwrap();
    }
    let args = [
        "shards",
        "merge",
        "--junit",
        "merged.xml",
        "shard-0.json",
        "shard-1.json",
    ];
    let merged = ferry(&args, hosts.dir.path());
    assert_eq!(merged.code, 0, "{}", merged.all());
    let xml = fs::read_to_string(hosts.path("merged.xml")).unwrap();
    let time = |line: &str| -> f64 {
        let t = line.split(" time=\"").nth(1).unwrap();
        t[..t.find('"').unwrap()].parse().unwrap()
    };
    let sleeps: Vec<f64> = xml
        .lines()
        .filter(|l| l.contains("name=\"command [host"))
        .map(time)
        .collect();
    assert_eq!(sleeps.len(), 2, "{xml}");
    assert!(sleeps.iter().all(|t| (1.0..3.0).contains(t)), "{xml}");
    let quick: Vec<f64> = xml
        .lines()
        .filter(|l| l.contains("name=\"debug [host"))
        .map(time)
        .collect();
    assert!(quick.iter().all(|t| *t < 1.0), "{xml}");
    let suite = xml.lines().find(|l| l.contains("<testsuite ")).unwrap();
    assert!((1.0..3.0).contains(&time(suite)), "one shard's time: {xml}");
    xmllint(&hosts.path("merged.xml"));
}
