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

/// ferry with the venv's `ansible` on PATH (where it finds ansible-core's modules), run from
/// the playbook's directory.
fn ferry_run(hosts: &SshHosts, playbook: &Path, inventory: &Path, extra: &[&str]) -> Run {
    let venv_bin = ansible_playbook().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap());
    let kh = hosts.known_hosts.display().to_string();
    let (pb, inv) = (playbook.display().to_string(), inventory.display().to_string());
    let mut args = vec!["run", &pb, "-i", &inv, "--known-hosts", &kh];
    args.extend_from_slice(extra);
    let collections = collections();
    let env = [
        ("PATH", Path::new(&path)),
        ("ANSIBLE_COLLECTIONS_PATH", collections.as_path()),
    ];
    ferry_env(&args, playbook.parent().unwrap(), &env)
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
    for ((name, a), (_, f)) in a_effects.iter().zip(&f_effects) {
        if name.ends_with(".json") {
            let a: Json = serde_json::from_str(a).unwrap_or(Json::Null);
            let f: Json = serde_json::from_str(f).unwrap_or(Json::Null);
            assert_eq!(f, a, "{name} differs\n{context}");
        } else {
            assert_eq!(f, a, "{name} differs\n{context}");
        }
    }
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
