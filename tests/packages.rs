//! Package modules (`apt`, `package`, `package_facts`, `apt_repository`, `apt_key`,
//! `deb822_repository`, `debconf`) acting for real on Debian system hosts
//! (`support/rootfs.rs`): packages from deb.debian.org, .deb files and a local repository
//! built by the test; idempotence, check mode, diff, and the same tasks through
//! ansible-playbook on a second fresh host.

use serde_json::Value as Json;

use crate::support::counts;
use crate::support::rootfs::SystemHosts;

#[test]
fn a_system_host_answers_ferry_and_ansible_and_reaches_the_debian_mirror() {
    let hosts = SystemHosts::start(1);
    let pb = hosts.write(
        "pb.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: cat /etc/debian_version\n      register: v\n    - assert: {that: [\"v.stdout is match('12')\"]}\n",
    );
    let run = hosts.ferry(&pb, &[], &[]);
    assert_eq!(
        counts(&run, "sys1"),
        "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    let (code, out) = hosts.ansible(&pb, &[], &[]);
    assert_eq!(code, 0, "{out}");
    let (rc, out) = hosts
        .host("sys1")
        .sh("apt-get update -q >/dev/null 2>&1 && apt-cache policy hello | grep Candidate");
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("Candidate: 2."), "{out}");
}

/// Runs `tasks` (each registering `r<N>`) through ferry on sys1 and ansible-playbook on sys2
/// with `extra` arguments; returns both runs' registered results (`r1`, `r2`, ...) as the
/// hosts saved them, after checking the recaps match.
fn both(hosts: &SystemHosts, name: &str, tasks: &str, extra: &[&str]) -> (Json, Json) {
    let count = tasks.matches("register: r").count();
    let all: Vec<String> = (1..=count).map(|i| format!("'r{i}': r{i}")).collect();
    let text = format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}\n    - copy:\n        content: \"{{{{ {{{}}} | to_json }}}}\"\n        dest: /root/results.json\n      check_mode: false\n",
        all.join(", ")
    );
    let pb = hosts.write(name, &text);
    let f = hosts.ferry(&pb, &["sys1"], extra);
    let (a_code, a_out) = hosts.ansible(&pb, &["sys2"], extra);
    let context = format!("== ansible\n{a_out}\n== ferry\n{}", f.all());
    assert_eq!(f.code, a_code, "exit codes differ\n{context}");
    let ferry_recap = counts(&f, "sys1");
    let ansible_recap = counts(
        &crate::support::Run {
            code: a_code,
            stdout: a_out.clone(),
            stderr: String::new(),
        },
        "sys2",
    );
    assert_eq!(ferry_recap, ansible_recap, "recaps differ\n{context}");
    let read = |h: &str| -> Json {
        let text = std::fs::read_to_string(hosts.host(h).file("/root/results.json"))
            .unwrap_or_else(|e| panic!("{h}: {e}\n{context}"));
        serde_json::from_str(&text).unwrap()
    };
    (read("sys1"), read("sys2"))
}

/// Each registered result of ferry has Ansible's keys and `changed`.
fn same_shape(ferry: &Json, ansible: &Json) {
    for (name, a) in ansible.as_object().unwrap() {
        let f = &ferry[name];
        let keys = |v: &Json| -> Vec<String> {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| {
                            !["invocation", "warnings", "deprecations"].contains(&k.as_str())
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            k.sort();
            k
        };
        assert_eq!(
            keys(f),
            keys(a),
            "{name}: keys differ\nferry: {f}\nansible: {a}"
        );
        assert_eq!(
            f["changed"], a["changed"],
            "{name}: changed differs\nferry: {f}\nansible: {a}"
        );
    }
}

fn installed(hosts: &SystemHosts, host: &str, pkg: &str) -> Option<String> {
    let (rc, out) = hosts.host(host).sh(&format!(
        "dpkg-query -W -f='${{db:Status-Abbrev}}|${{Version}}' {pkg} 2>/dev/null"
    ));
    match (rc, out.split_once('|')) {
        (0, Some((status, version))) if status.starts_with("ii") => Some(version.to_string()),
        _ => None,
    }
}

#[test]
fn apt_installs_and_removes_real_packages_as_ansible_does() {
    let hosts = SystemHosts::start(2);
    let tasks = "    - apt: {name: [hello, sl], update_cache: true, cache_valid_time: 3600}\n      register: r1\n    - apt: {name: [hello, sl]}\n      register: r2\n    - apt: {name: hello, state: absent}\n      check_mode: true\n      register: r3\n    - apt: {name: hello, state: absent}\n      register: r4\n    - apt: {name: hello, state: absent}\n      register: r5\n    - apt: {name: [hello, sl], state: latest}\n      register: r6\n    - apt: {name: 'hello=2.10*'}\n      register: r7\n    - apt: {name: sl, state: absent, purge: true}\n      register: r8";
    let (f, a) = both(&hosts, "apt-basic.yml", tasks, &[]);
    same_shape(&f, &a);
    let changed: Vec<bool> = (1..=8)
        .map(|i| f[format!("r{i}")]["changed"].as_bool().unwrap())
        .collect();
    assert_eq!(
        changed,
        [true, false, true, true, false, true, false, true],
        "{f}"
    );
    for h in ["sys1", "sys2"] {
        assert!(
            installed(&hosts, h, "hello").is_some_and(|v| v.starts_with("2.10")),
            "{h}"
        );
        assert_eq!(installed(&hosts, h, "sl"), None, "{h}");
    }
}
