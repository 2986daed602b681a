//! Issue 16: modules ferry has no native code for run as Ansible runs them (the module and the
//! support code it imports, on the host's Python, over ferry's connection). The same playbook
//! (`tests/fallback/site.yml`: a collection module importing its collection's module_utils, an
//! ansible-core module, `library/` modules in Python and in shell, a failure, check mode,
//! no_log) runs through ansible-playbook and ferry on the same sshd hosts; the registered results,
//! the recaps and the host-side effects must be the same, and no_log values appear nowhere.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::conformance::{ansible_command, ansible_playbook, run_command};
use crate::support::{ferry_env, root, Run, SshHosts};

/// The directory holding the community `ansible` package's `ansible_collections/`.
fn collections() -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("scripts/corpus.sh"))
        .output()
        .expect("scripts/corpus.sh runs");
    assert!(out.status.success(), "scripts/corpus.sh failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A copy of `tests/fallback/` in the fixture directory.
fn project(hosts: &SshHosts) -> PathBuf {
    let dir = hosts.path("project");
    let src = root().join("tests/fallback");
    let status = Command::new("cp").arg("-a").arg(&src).arg(&dir).status();
    assert!(status.is_ok_and(|s| s.success()));
    dir
}

/// The modules these tests use that ferry also has native code for: run as Ansible runs them
/// (`FERRY_FALLBACK_MODULES`), the path under test here.
const AS_ANSIBLE: &str = "ansible.builtin.debconf,community.general.archive,\
                          community.general.ini_file,ansible.builtin.pause";

/// ferry with the venv's `ansible` on PATH (where it finds ansible-core's modules), run from
/// the playbook's directory.
fn ferry_run(hosts: &SshHosts, playbook: &Path, inventory: &Path, extra: &[&str]) -> Run {
    let venv_bin = ansible_playbook().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap());
    let kh = hosts.known_hosts.display().to_string();
    let (pb, inv) = (
        playbook.display().to_string(),
        inventory.display().to_string(),
    );
    let mut args = vec!["run", &pb, "-i", &inv, "--known-hosts", &kh];
    args.extend_from_slice(extra);
    let collections = collections();
    // As ansible_command gives ansible-playbook.
    let remote_tmp = hosts.path("ansible-tmp").join("remote");
    let env = [
        ("ANSIBLE_REMOTE_TEMP", remote_tmp.as_path()),
        ("PATH", Path::new(&path)),
        ("ANSIBLE_COLLECTIONS_PATH", collections.as_path()),
        ("FERRY_FALLBACK_MODULES", Path::new(AS_ANSIBLE)),
    ];
    ferry_env(&args, playbook.parent().unwrap(), &env)
}

/// Each (name, text) ferry left is what ansible-playbook left (`.json` files compared as JSON).
fn assert_same_files(ansible: &[(String, String)], ferry: &[(String, String)], context: &str) {
    for ((name, a), (_, f)) in ansible.iter().zip(ferry) {
        if name.ends_with(".json") {
            let a: Json = serde_json::from_str(a).unwrap_or(Json::Null);
            let f: Json = serde_json::from_str(f).unwrap_or(Json::Null);
            assert_eq!(f, a, "{name} differs\n{context}");
        } else {
            assert_eq!(f, a, "{name} differs\n{context}");
        }
    }
}

/// What a debconf question owner holds on this machine (the test hosts are this machine).
fn debconf(owner: &str) -> String {
    let out = Command::new("debconf-show").arg(owner).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn purge(owner: &str) {
    let mut child = Command::new("debconf-communicate")
        .arg(owner)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(b"PURGE\n");
    let _ = child.wait();
}

/// Each host's out/ files, then removes them (and the archive) for the next run.
fn take_effects(hosts: &SshHosts) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for h in &hosts.hosts {
        for f in ["results.json", "handler", "async.json"] {
            let text = fs::read_to_string(h.dir.join("out").join(f)).unwrap_or_default();
            all.push((format!("{}/{f}", h.name), text));
        }
        let tar = Command::new("tar")
            .arg("tf")
            .arg(h.dir.join("work.tar"))
            .output();
        let members = tar.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        all.push((format!("{}/work.tar", h.name), members.unwrap_or_default()));
        let _ = fs::remove_dir_all(h.dir.join("out"));
        let _ = fs::remove_file(h.dir.join("work.tar"));
    }
    all
}

#[test]
fn modules_without_native_code_run_as_ansible_runs_them() {
    let hosts = SshHosts::start(2);
    let dir = project(&hosts);
    let run_id = format!("{}", std::process::id());
    let inventory = hosts.inventory("[all:vars]\nansible_python_interpreter=/usr/bin/python3\n");
    let playbook = dir.join("site.yml");
    let extra = ["-e", &format!("run_id={run_id}")];
    let owners: Vec<String> = hosts
        .hosts
        .iter()
        .map(|h| format!("ferry-fb-{}-{run_id}", h.name))
        .collect();

    let mut cmd = ansible_command(&hosts, &playbook);
    cmd.arg("-i").arg(&inventory).args(extra);
    cmd.env("ANSIBLE_COLLECTIONS_PATH", collections());
    cmd.current_dir(&dir);
    let (a_code, a_out) = run_command(cmd);
    let a_effects = take_effects(&hosts);
    let a_debconf: Vec<String> = owners.iter().map(|o| debconf(o)).collect();
    owners.iter().for_each(|o| purge(o));

    let f = ferry_run(&hosts, &playbook, &inventory, &extra);
    let f_effects = take_effects(&hosts);
    let f_debconf: Vec<String> = owners.iter().map(|o| debconf(o)).collect();
    owners.iter().for_each(|o| purge(o));

    let context = format!("== ansible-playbook\n{a_out}\n== ferry\n{}", f.all());
    assert_eq!(f.code, a_code, "{context}");
    assert_eq!(f.recap(), crate::support::recap(&a_out), "{context}");
    assert_same_files(&a_effects, &f_effects, &context);
    assert!(
        a_debconf.iter().all(|d| d.contains("hello")),
        "{a_debconf:?}"
    );
    assert_eq!(f_debconf, a_debconf);
    for secret in ["s3cr3t-value", "hidden-pw-9"] {
        assert!(!f.all().contains(secret), "{secret} shown\n{context}");
        assert!(
            !f_effects.iter().any(|(_, t)| t.contains(secret)),
            "{secret} written"
        );
    }
}

/// Writes `files` under `dir`.
fn tree(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
}

const WANT_JSON: &str = "#!/bin/sh\n# WANT_JSON\n\
    if grep -q '\"_ansible_check_mode\": *false' \"$1\" && grep -q '\"word\": *\"blue\"' \"$1\"; then\n\
    echo '{\"changed\": false, \"read_json\": true}'; else echo '{\"failed\": true, \"msg\": \"bad args\"}'; fi\n";

#[test]
fn a_host_without_python_fails_clearly_and_raw_still_works() {
    // host1 names a Python it does not have; host2 names none: its Python is discovered.
    let hosts = SshHosts::start(2);
    let dir = project(&hosts);
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    \
                - mymod: {name: x}\n      ignore_errors: true\n      register: m\n    \
                - assert: {that: \"m.ansible_facts.discovered_interpreter_python == '/usr/bin/python3' \
                  and discovered_interpreter_python == '/usr/bin/python3'\"}\n      \
                  when: inventory_hostname == 'host2'\n    \
                - wantjson: {word: blue}\n      register: wj\n    \
                - raw: echo raw-ran-{{ inventory_hostname }}\n      register: r\n    \
                - assert: {that: [wj.read_json, \"'raw-ran' in r.stdout\"]}\n";
    tree(&dir, &[("nopy.yml", play), ("library/wantjson", WANT_JSON)]);
    let inventory = hosts.inventory("[all:vars]\nansible_python_interpreter=/usr/bin/python3\n");
    let text = fs::read_to_string(&inventory)
        .unwrap()
        .replacen(
            "host_dir=",
            "ansible_python_interpreter=/nonexistent/python3 host_dir=",
            1,
        )
        .replace(
            "[all:vars]\nansible_python_interpreter=/usr/bin/python3\n",
            "",
        );
    fs::write(&inventory, text).unwrap();
    let f = ferry_run(&hosts, &dir.join("nopy.yml"), &inventory, &[]);
    assert_eq!(f.code, 0, "{}", f.all());
    let want = "module 'mymod' needs Python on the host; ferry's native modules do not \
                (ansible_python_interpreter '/nonexistent/python3' is not there)";
    assert!(f.stdout.contains(want), "{}", f.all());
    assert_eq!(
        crate::support::counts(&f, "host1"),
        "ok=4 changed=1 unreachable=0 failed=0 skipped=1 rescued=0 ignored=1"
    );
    assert_eq!(
        crate::support::counts(&f, "host2"),
        "ok=5 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
}

#[test]
fn check_lists_fallback_tasks_and_refuses_action_plugins_and_unknown_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    \
                - name: mine\n      mymod: {name: x}\n    - debug: {msg: native}\n";
    let action = "- hosts: all\n  gather_facts: false\n  tasks:\n    - myaction: {a: 1}\n";
    let unknown = "- hosts: all\n  gather_facts: false\n  tasks:\n    - mymodd: {a: 1}\n";
    tree(
        dir,
        &[
            ("site.yml", play),
            ("action.yml", action),
            ("unknown.yml", unknown),
            (
                "pause.yml",
                &action.replace("myaction: {a: 1}", "pause: {seconds: 1}"),
            ),
            (
                "library/mymod.py",
                "from ansible.module_utils.basic import AnsibleModule\n",
            ),
            (
                "action_plugins/myaction.py",
                "from ansible.plugins.action import ActionBase\n",
            ),
        ],
    );
    let check = |file: &str| crate::support::ferry(&["check", file], dir);
    let run = check("site.yml");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stdout,
        "ok: playbook site.yml (2 tasks and handlers)\n  fallback: site.yml:4:7: mine (mymod: \
         runs the module's own code on the host)\n"
    );
    let run = check("action.yml");
    assert_eq!(run.code, 4, "{}", run.all());
    let want = "action.yml:4:7: 'myaction' is an action plugin: it runs inside Ansible's \
                controller process, and ferry has no native equivalent for it";
    assert!(run.stderr.contains(want), "{}", run.all());
    let ran = crate::support::ferry(&["run", "action.yml", "-i", "localhost,"], dir);
    assert_eq!(ran.code, 4, "{}", ran.all());
    assert!(ran.stderr.contains(want), "{}", ran.all());
    // ansible-core's pause.py only documents its action plugin.
    let core = core_dir();
    let env = [
        ("FERRY_ANSIBLE_CORE_DIR", core.as_path()),
        ("FERRY_FALLBACK_MODULES", Path::new(AS_ANSIBLE)),
    ];
    let run = crate::support::ferry_env(&["check", "pause.yml"], dir, &env);
    assert_eq!(run.code, 4, "{}", run.all());
    let want = "pause.yml:4:7: 'ansible.builtin.pause' is an action plugin";
    assert!(run.stderr.contains(want), "{}", run.all());
    let run = check("unknown.yml");
    assert_eq!(run.code, 4, "{}", run.all());
    let want = "unknown.yml:4:7: unknown module or keyword 'mymodd'";
    assert!(run.stderr.contains(want), "{}", run.all());
}

#[test]
fn diff_mode_shows_a_modules_before_and_after_as_ansible_does() {
    let hosts = SshHosts::start(1);
    let dir = project(&hosts);
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    \
                - community.general.ini_file:\n        path: \"{{ host_dir }}/d.ini\"\n        \
                section: s\n        option: o\n        value: v\n";
    tree(&dir, &[("diff.yml", play)]);
    let inventory = hosts.inventory("[all:vars]\nansible_python_interpreter=/usr/bin/python3\n");
    let ini = hosts.hosts[0].dir.join("d.ini");
    let mut cmd = ansible_command(&hosts, &dir.join("diff.yml"));
    cmd.arg("-i").arg(&inventory).arg("--diff");
    cmd.env("ANSIBLE_COLLECTIONS_PATH", collections());
    let (a_code, a_out) = run_command(cmd);
    let a_ini = fs::read_to_string(&ini).unwrap_or_default();
    fs::remove_file(&ini).unwrap();
    let f = ferry_run(&hosts, &dir.join("diff.yml"), &inventory, &["--diff"]);
    assert_eq!((f.code, a_code), (0, 0), "{a_out}\n{}", f.all());
    assert_eq!(fs::read_to_string(&ini).unwrap_or_default(), a_ini);
    let diff_lines: Vec<&str> = a_out
        .lines()
        .filter(|l| l.starts_with("--- ") || l.starts_with("+++ ") || l.starts_with('+'))
        .collect();
    assert!(diff_lines.len() >= 4, "{a_out}");
    for line in diff_lines {
        assert!(f.stdout.contains(line), "{line}\n{a_out}\n{}", f.all());
    }
}

/// The directory holding ansible-core's `ansible` package in the test venv.
fn core_dir() -> PathBuf {
    let lib = ansible_playbook()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("lib");
    let python = fs::read_dir(&lib).unwrap().flatten().next().unwrap();
    python.path().join("site-packages")
}

#[test]
fn collections_installed_beside_ansible_core_are_found() {
    // `pip install ansible` puts the collections beside ansible-core's package.
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site-packages");
    fs::create_dir_all(&site).unwrap();
    std::os::unix::fs::symlink(core_dir().join("ansible"), site.join("ansible")).unwrap();
    let corpus = collections().join("ansible_collections");
    std::os::unix::fs::symlink(corpus, site.join("ansible_collections")).unwrap();
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    \
                - community.general.archive: {path: /tmp/x}\n";
    tree(tmp.path(), &[("site.yml", play)]);
    let none = tmp.path().join("none");
    let env = [
        ("FERRY_ANSIBLE_CORE_DIR", site.as_path()),
        ("ANSIBLE_COLLECTIONS_PATH", none.as_path()),
        ("FERRY_FALLBACK_MODULES", Path::new(AS_ANSIBLE)),
    ];
    let run = crate::support::ferry_env(&["check", "site.yml"], tmp.path(), &env);
    assert_eq!(run.code, 0, "{}", run.all());
    let want = "fallback: site.yml:4:7: community.general.archive (community.general.archive:";
    assert!(run.stdout.contains(want), "{}", run.all());
}

/// Every file under each host's out/, by name (sorted), then removes out/ and async/.
fn take_out_files(hosts: &SshHosts) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for h in &hosts.hosts {
        let out = h.dir.join("out");
        let mut names: Vec<String> = fs::read_dir(&out)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            let text = fs::read_to_string(out.join(&name)).unwrap_or_default();
            all.push((format!("{}/{name}", h.name), text));
        }
        let _ = fs::remove_dir_all(&out);
        let _ = fs::remove_dir_all(h.dir.join("async"));
    }
    all
}

#[test]
fn binary_old_style_and_want_json_modules_run_as_ansible_runs_them() {
    let hosts = SshHosts::start(2);
    let dir = project(&hosts).join("other");
    let status = Command::new("gcc")
        .args(["-O", "-o"])
        .arg(dir.join("library/binmod"))
        .arg(dir.join("binmod.c"))
        .status()
        .expect("gcc runs (apt-get install gcc)");
    assert!(status.success(), "binmod.c does not compile");
    let inventory = hosts.inventory("[all:vars]\nansible_python_interpreter=/usr/bin/python3\n");
    let playbook = dir.join("site.yml");

    let mut cmd = ansible_command(&hosts, &playbook);
    cmd.arg("-i").arg(&inventory).current_dir(&dir);
    let (a_code, a_out) = run_command(cmd);
    let a_files = take_out_files(&hosts);
    let f = ferry_run(&hosts, &playbook, &inventory, &[]);
    let f_files = take_out_files(&hosts);

    let context = format!("== ansible-playbook\n{a_out}\n== ferry\n{}", f.all());
    assert_eq!(f.code, a_code, "{context}");
    assert_eq!(f.recap(), crate::support::recap(&a_out), "{context}");
    let names = |files: &[(String, String)]| -> Vec<String> {
        files.iter().map(|(n, _)| n.clone()).collect()
    };
    assert_eq!(names(&f_files), names(&a_files), "{context}");
    assert!(
        a_files.iter().any(|(n, _)| n.ends_with("bin.async")),
        "{context}"
    );
    assert_same_files(&a_files, &f_files, &context);
    // Each shell module found its arguments in the directory `_ansible_tmpdir` named.
    let results = &f_files
        .iter()
        .find(|(n, _)| n.ends_with("results.json"))
        .unwrap()
        .1;
    assert!(results.contains("\"in_tmpdir\": true"), "{results}");
    assert!(!results.contains("\"in_tmpdir\": false"), "{results}");
}
