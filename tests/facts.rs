//! Issue 15's facts on real sshd hosts: ferry's `setup` against ansible-core's on the same
//! host, key by key; `gather_subset`, `filter`, `fact_path` and local facts; the play
//! keywords; `gathering = smart` with the `jsonfile` fact cache.

use std::fs;

use serde_json::Value as Json;

use crate::conformance::{ansible_command, run_command};
use crate::support::{counts, run_playbook, write, SshHosts};

/// Facts whose values change between two gatherings (times, counters, free memory, the
/// process environment), compared by presence only. `ansible_mounts` is compared by its
/// mount points (free blocks change). `ansible_devices` and the interface lists are
/// compared as sets.
const VOLATILE: &[&str] = &[
    "ansible_date_time",
    "ansible_env",
    "ansible_loadavg",
    "ansible_memfree_mb",
    "ansible_memory_mb",
    "ansible_swapfree_mb",
    "ansible_uptime_seconds",
    "ansible_mounts",
];

const DUMP: &str = r#"- hosts: all
  gather_facts: no
  tasks:
    - setup:
      register: r
    - copy:
        content: "{{ r.ansible_facts | to_json }}"
        dest: "{{ playbook_dir }}/{{ tool }}.json"
"#;

fn read_json(path: &std::path::Path) -> serde_json::Map<String, Json> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text).unwrap() {
        Json::Object(m) => m,
        other => panic!("not a mapping: {other}"),
    }
}

fn same_ignoring_order(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            let mut x: Vec<String> = x.iter().map(Json::to_string).collect();
            let mut y: Vec<String> = y.iter().map(Json::to_string).collect();
            x.sort();
            y.sort();
            x == y
        }
        _ => a == b,
    }
}

#[test]
fn setup_returns_what_ansible_setup_returns() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(&hosts, "dump.yml", DUMP);
    let (code, text) = run_command({
        let mut cmd = ansible_command(&hosts, &pb);
        cmd.arg("-i").arg(&inv).args(["-e", "tool=ansible"]);
        cmd
    });
    assert_eq!(code, 0, "{text}");
    let run = run_playbook(&hosts, &pb, &inv, &["-e", "tool=ferry"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let ansible = read_json(&hosts.path("ansible.json"));
    let ours = read_json(&hosts.path("ferry.json"));
    let mut problems = Vec::new();
    for (key, theirs) in &ansible {
        let Some(mine) = ours.get(key) else {
            problems.push(format!("missing {key}"));
            continue;
        };
        if key == "ansible_mounts" {
            let points = |v: &Json| {
                let mut p: Vec<String> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["mount"].to_string())
                    .collect();
                p.sort();
                p
            };
            if points(theirs) != points(mine) {
                problems.push(format!("{key}: {theirs} != {mine}"));
            }
            continue;
        }
        if !VOLATILE.contains(&key.as_str()) && !same_ignoring_order(theirs, mine) {
            problems.push(format!("{key}:\n  ansible: {theirs}\n  ferry:   {mine}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        ansible.len() > 90,
        "ansible returned {} facts",
        ansible.len()
    );
}

#[test]
fn subsets_filters_local_facts_and_the_play_keywords() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    write(
        &hosts,
        "facts.d/app.fact",
        "[general]\nName = web\nport: 80\n",
    );
    write(&hosts, "facts.d/data.fact", "{\"list\": [1, 2]}\n");
    let exe = write(&hosts, "facts.d/exe.fact", "#!/bin/sh\necho '{\"x\": 1}'\n");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    let pb = write(
        &hosts,
        "keywords.yml",
        r#"- hosts: all
  gather_subset: ["!all"]
  gather_timeout: "{{ 5 + 1 }}"
  fact_path: "{{ playbook_dir }}/facts.d"
  tasks:
    - assert:
        that:
          - ansible_local.app.general.name == 'web'
          - ansible_local.app.general.port == '80'
          - ansible_local.data.list == [1, 2]
          - ansible_local.exe.x == 1
          - ansible_facts.local.exe.x == 1
          - ansible_distribution is defined
          - ansible_facts.distribution == ansible_distribution
          - ansible_default_ipv4 is not defined
          - ansible_mounts is not defined
          - gather_subset == ['!all']
    - setup:
        gather_subset: [network, "!min"]
        filter: ["ansible_default_ipv*", "all_ipv4_addresses"]
      register: net
    - assert:
        that:
          - net.ansible_facts.keys() | sort == ['ansible_all_ipv4_addresses', 'ansible_default_ipv4', 'ansible_default_ipv6', 'gather_subset', 'module_setup']
          - ansible_default_ipv4 is defined
          - ansible_distribution is defined
    - setup:
        gather_subset: bogus
      register: bad
      ignore_errors: true
    - assert:
        that:
          - bad is failed
          - "bad.msg is search(\"Bad subset 'bogus' given to Ansible. gather_subset options allowed: all, \")"
    - set_fact: {plain: 1}
    - assert:
        that:
          - plain == 1
          - ansible_facts.plain is not defined
# module_defaults for setup apply to the implicit gathering (the 2.18 way to set a
# default subset); the play's own keyword would win over them.
- hosts: all
  module_defaults:
    ansible.builtin.setup:
      gather_subset: ["!all", "!min", "dns"]
  tasks:
    - assert:
        that:
          - gather_subset == ['!all', '!min', 'dns']
          - ansible_facts.dns is defined
"#,
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=10 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1",
        "{}",
        run.all()
    );
}

#[test]
fn a_bad_gather_timeout_is_refused_at_load() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "bad.yml",
        "- hosts: all\n  gather_timeout: soon\n  tasks: []\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.all().contains(
            "bad.yml:2:19: 'gather_timeout' must be a whole number of seconds, found a string"
        ),
        "{}",
        run.all()
    );
}

#[test]
fn smart_gathering_reuses_the_jsonfile_cache_until_it_expires() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    write(
        &hosts,
        "ansible.cfg",
        "[defaults]\ngathering = smart\nfact_caching = jsonfile\nfact_caching_connection = cache\nfact_caching_timeout = 3\n",
    );
    let pb = write(
        &hosts,
        "smart.yml",
        "- hosts: all\n  tasks:\n    - assert: {that: [ansible_distribution is defined, ansible_facts.os_family is defined]}\n",
    );
    let first = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stdout.contains("TASK [Gathering Facts]"),
        "{}",
        first.all()
    );
    let cached = read_json(&hosts.path("cache/host1"));
    assert_eq!(cached["_ansible_facts_gathered"], Json::Bool(true));
    assert!(cached.contains_key("ansible_distribution"));
    // Known facts: no gathering, and the facts are there.
    let second = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(
        !second.stdout.contains("TASK [Gathering Facts]"),
        "{}",
        second.all()
    );
    assert_eq!(
        counts(&second, "host1"),
        "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    // Expired: gathered again.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let third = run_playbook(&hosts, &pb, &inv, &[]);
    assert!(
        third.stdout.contains("TASK [Gathering Facts]"),
        "{}",
        third.all()
    );
}
