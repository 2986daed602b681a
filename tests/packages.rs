//! Package modules (`apt`, `package`, `package_facts`, `apt_repository`, `apt_key`,
//! `deb822_repository`, `debconf`) acting for real on Debian system hosts
//! (`support/rootfs.rs`): packages from deb.debian.org, .deb files and a local repository
//! built by the test; idempotence, check mode, diff, and the same tasks through
//! ansible-playbook on a second fresh host.

use std::path::{Path, PathBuf};

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
    assert_counts(
        &run,
        "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
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
pub(crate) fn both(hosts: &SystemHosts, name: &str, tasks: &str, extra: &[&str]) -> (Json, Json) {
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

/// Writes a playbook of `tasks` for all hosts (no fact gathering); its path.
pub(crate) fn playbook(hosts: &SystemHosts, name: &str, tasks: &str) -> PathBuf {
    hosts.write(
        name,
        &format!("- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}"),
    )
}

/// The PLAY RECAP counts of sys1.
pub(crate) fn assert_counts(run: &crate::support::Run, want: &str) {
    assert_eq!(counts(run, "sys1"), want, "{}", run.all());
}

/// `changed` of each registered result `r1`, `r2`, ... in order.
pub(crate) fn changes(results: &Json) -> Vec<bool> {
    (1..)
        .map_while(|i| results.get(format!("r{i}")))
        .map(|r| r["changed"].as_bool().unwrap_or(false))
        .collect()
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
    assert_eq!(
        changes(&f),
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

/// Builds `name_version_all.deb` (one file, `/usr/share/<name>/version`) into `dir` with the
/// machine's dpkg-deb; returns its path.
fn build_deb(dir: &Path, name: &str, version: &str) -> PathBuf {
    let tree = dir.join(format!("build-{name}-{version}"));
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(tree.join(format!("usr/share/{name}"))).unwrap();
    std::fs::write(
        tree.join(format!("usr/share/{name}/version")),
        format!("{version}\n"),
    )
    .unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!("Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: ferry tests <t@example.org>\nDescription: a package of the ferry tests\n"),
    )
    .unwrap();
    let deb = dir.join(format!("{name}_{version}_all.deb"));
    let out = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&tree)
        .arg(&deb)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    deb
}

/// ferry-demo 1.0 and 2.0.
fn demo_debs(hosts: &SystemHosts) -> [PathBuf; 2] {
    ["1.0", "2.0"].map(|v| build_deb(hosts.dir.path(), "ferry-demo", v))
}

/// Puts the same files into both hosts' `/srv/debs`.
fn share(hosts: &SystemHosts, files: &[PathBuf]) {
    for h in &hosts.hosts {
        let dir = h.file("/srv/debs");
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::copy(f, dir.join(f.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn apt_installs_deb_files_once_and_downgrades_only_when_allowed() {
    let hosts = SystemHosts::start(2);
    let debs = demo_debs(&hosts);
    share(&hosts, &debs);
    let one = "/srv/debs/ferry-demo_1.0_all.deb";
    let two = "/srv/debs/ferry-demo_2.0_all.deb";
    let tasks = format!(
        "    - apt: {{deb: {one}}}\n      register: r1\n    - apt: {{deb: {one}}}\n      register: r2\n    - apt: {{deb: {two}}}\n      check_mode: true\n      register: r3\n    - apt: {{deb: {two}}}\n      register: r4\n    - apt: {{deb: {one}}}\n      register: r5\n      ignore_errors: true\n    - apt: {{deb: {one}, allow_downgrade: true}}\n      register: r6"
    );
    let (f, a) = both(&hosts, "apt-deb.yml", &tasks, &[]);
    assert_eq!(f["r5"]["failed"], true, "{f}");
    assert_eq!(a["r5"]["failed"], true, "{a}");
    let mut f = f;
    let mut a = a;
    f.as_object_mut().unwrap().remove("r5");
    a.as_object_mut().unwrap().remove("r5");
    same_shape(&f, &a);
    let changed: Vec<bool> = ["r1", "r2", "r3", "r4", "r6"]
        .iter()
        .map(|r| f[*r]["changed"].as_bool().unwrap())
        .collect();
    assert_eq!(changed, [true, false, true, true, true], "{f}");
    for h in ["sys1", "sys2"] {
        assert_eq!(
            installed(&hosts, h, "ferry-demo").as_deref(),
            Some("1.0"),
            "{h}"
        );
    }
}

#[test]
fn apt_check_mode_changes_nothing_and_diff_shows_what_apt_prepared() {
    let hosts = SystemHosts::start(1);
    let pb = playbook(&hosts, "apt-check.yml", "    - apt: {name: [hello, sl]}\n");
    let run = hosts.ferry(&pb, &[], &["--check", "--diff"]);
    assert_counts(
        &run,
        "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
    assert!(
        run.stdout
            .contains("The following NEW packages will be installed:"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("0 upgraded, 3 newly installed"),
        "{}",
        run.all()
    );
    assert_eq!(installed(&hosts, "sys1", "hello"), None);
    let run = hosts.ferry(&pb, &[], &[]);
    assert_counts(
        &run,
        "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
    let run = hosts.ferry(&pb, &[], &["--check"]);
    assert_counts(
        &run,
        "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
}

#[test]
fn apt_refuses_bad_choices_at_load_before_any_host() {
    let hosts = SystemHosts::start(1);
    refused_at_load(
        &hosts,
        &[
            ("    - apt: {name: hello, state: installed}\n", "pb.yml:4:12: value of state must be one of: absent, build-dep, fixed, latest, present, got: installed"),
            ("    - apt: {upgrade: everything}\n", "pb.yml:4:12: value of upgrade must be one of: dist, full, no, safe, yes, got: everything"),
            ("    - apt: {name: hello, deb: /x.deb}\n", "pb.yml:4:12: parameters are mutually exclusive: deb|package|upgrade"),
        ],
    );
}

/// Each playbook of `tasks` and the load error it must stop with (exit code 4, stderr
/// containing `want`), no host contacted.
pub(crate) fn refused_at_load(hosts: &SystemHosts, cases: &[(&str, &str)]) {
    for (text, want) in cases {
        let pb = hosts.write(
            "pb.yml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n{text}"),
        );
        let run = hosts.ferry(&pb, &[], &[]);
        assert_eq!(run.code, 4, "{}", run.all());
        assert!(run.stderr.contains(want), "{want}\n{}", run.all());
    }
    let log =
        std::fs::read_to_string(hosts.host("sys1").file("/var/log/sshd.log")).unwrap_or_default();
    assert!(!log.contains("Accepted publickey"), "no host was contacted");
}

#[test]
fn package_dispatches_to_apt_and_package_facts_match_ansible_on_the_same_host() {
    let hosts = SystemHosts::start(1);
    let deb = build_deb(hosts.dir.path(), "ferry-local", "3.1-2");
    share(&hosts, &[deb]);
    let pb = playbook(&hosts, "package.yml", "    - package: {name: hello, state: present}\n    - package: {name: hello, state: present}\n      register: again\n    - assert: {that: [again is not changed]}\n    - apt: {deb: /srv/debs/ferry-local_3.1-2_all.deb}\n");
    let run = hosts.ferry(&pb, &[], &[]);
    assert_counts(
        &run,
        "ok=4 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
    assert!(installed(&hosts, "sys1", "hello").is_some());
    let facts = hosts.write(
        "facts.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - package_facts: {}\n    - copy: {content: \"{{ ansible_facts.packages | to_json }}\", dest: /root/packages.json}\n",
    );
    let read = || -> Json {
        serde_json::from_str(
            &std::fs::read_to_string(hosts.host("sys1").file("/root/packages.json")).unwrap(),
        )
        .unwrap()
    };
    let run = hosts.ferry(&facts, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let ferry = read();
    let (code, out) = hosts.ansible(&facts, &[], &[]);
    assert_eq!(code, 0, "{out}");
    let ansible = read();
    let keys = |v: &Json| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(keys(&ferry), keys(&ansible), "{}", run.all());
    assert_eq!(ferry["hello"], ansible["hello"]);
    assert_eq!(ferry["ferry-local"], ansible["ferry-local"]);
    assert_eq!(ferry["hello"][0]["origin"], "Debian", "{}", ferry["hello"]);
    let differ: Vec<String> = ansible
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| ferry[k.as_str()] != **v)
        // ferry's category is dpkg's Section; python-apt reads the archive's, which differs
        // for a package the archive moved (lsb-base: oldlibs in dpkg, misc in bookworm).
        .filter(|(k, v)| {
            let mut f = ferry[k.as_str()].clone();
            f[0]["category"] = v[0]["category"].clone();
            f != **v
        })
        .map(|(k, v)| format!("{k}: ferry {} ansible {v}", ferry[k.as_str()]))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
}

/// A flat apt repository of `debs` (a hand-written `Packages` index) in both hosts'
/// `/srv/repo`.
fn repository(hosts: &SystemHosts, debs: &[PathBuf]) {
    use sha2::Digest;
    let mut index = String::new();
    for deb in debs {
        let out = std::process::Command::new("dpkg-deb")
            .arg("-f")
            .arg(deb)
            .output()
            .unwrap();
        let bytes = std::fs::read(deb).unwrap();
        let name = deb.file_name().unwrap().to_string_lossy();
        index.push_str(&String::from_utf8_lossy(&out.stdout));
        index.push_str(&format!(
            "Filename: ./{name}\nSize: {}\nSHA256: {}\n\n",
            bytes.len(),
            hex::encode(sha2::Sha256::digest(&bytes))
        ));
    }
    for h in &hosts.hosts {
        let dir = h.file("/srv/repo");
        std::fs::create_dir_all(&dir).unwrap();
        for deb in debs {
            std::fs::copy(deb, dir.join(deb.file_name().unwrap())).unwrap();
        }
        std::fs::write(dir.join("Packages"), &index).unwrap();
    }
}

#[test]
fn apt_repository_adds_a_source_and_apt_picks_versions_from_it_as_ansible_does() {
    let hosts = SystemHosts::start(2);
    let debs = demo_debs(&hosts);
    repository(&hosts, &debs);
    let repo = "deb [trusted=yes] file:/srv/repo ./";
    let tasks = format!(
        "    - apt_repository: {{repo: '{repo}'}}\n      register: r1\n    - apt_repository: {{repo: '{repo}'}}\n      register: r2\n    - apt: {{name: ferry-demo=1.0}}\n      register: r3\n    - apt: {{name: ferry-demo, state: latest}}\n      register: r4\n    - apt: {{name: ferry-demo=1.0, allow_downgrade: true}}\n      register: r5\n    - apt: {{name: 'ferry-demo=1.*'}}\n      register: r6\n    - apt_repository: {{repo: '{repo}', state: absent}}\n      register: r7\n    - apt_repository: {{repo: '{repo}', state: absent}}\n      register: r8"
    );
    let (f, a) = both(&hosts, "apt-repo.yml", &tasks, &["--diff"]);
    same_shape(&f, &a);
    assert_eq!(
        changes(&f),
        [true, false, true, true, true, false, true, false],
        "{f}"
    );
    for r in ["r1", "r2", "r7", "r8"] {
        assert_eq!(f[r]["sources_added"], a[r]["sources_added"], "{r}");
        assert_eq!(f[r]["sources_removed"], a[r]["sources_removed"], "{r}");
        assert_eq!(f[r]["diff"], a[r]["diff"], "{r}");
    }
    assert_eq!(
        f["r1"]["sources_added"],
        serde_json::json!(["/etc/apt/sources.list.d/file_srv_repo.list"])
    );
    for h in ["sys1", "sys2"] {
        assert_eq!(
            installed(&hosts, h, "ferry-demo").as_deref(),
            Some("1.0"),
            "{h}"
        );
        assert!(!hosts
            .host(h)
            .file("/etc/apt/sources.list.d/file_srv_repo.list")
            .exists());
    }
}

#[test]
fn debconf_sets_an_answer_only_when_it_differs_as_ansible_does() {
    let hosts = SystemHosts::start(2);
    let tasks = "    - debconf: {name: debconf, question: debconf/priority, vtype: select, value: critical}\n      register: r1\n    - debconf: {name: debconf, question: debconf/priority, vtype: select, value: critical}\n      register: r2\n    - debconf: {name: openssh-server, question: openssh-server/password-authentication, vtype: boolean, value: false}\n      register: r3\n    - debconf: {name: openssh-server, question: openssh-server/password-authentication, vtype: boolean, value: 'False'}\n      register: r4\n    - debconf: {name: debconf, question: debconf/priority, vtype: select, value: low}\n      check_mode: true\n      register: r5\n    - debconf: {name: debconf}\n      register: r6";
    let (f, a) = both(&hosts, "debconf.yml", tasks, &["--diff"]);
    same_shape(&f, &a);
    assert_eq!(changes(&f), [true, false, true, false, true, false], "{f}");
    for r in ["r1", "r3", "r5", "r6"] {
        for key in ["current", "previous", "diff"] {
            assert_eq!(f[r][key], a[r][key], "{r} {key}\nferry: {f}\nansible: {a}");
        }
    }
    for h in ["sys1", "sys2"] {
        let (_, out) = hosts.host(h).sh("debconf-show debconf");
        assert!(out.contains("debconf/priority: critical"), "{h}: {out}");
    }
}

#[test]
fn deb822_repository_writes_the_sources_file_ansible_writes() {
    let hosts = SystemHosts::start(2);
    repository(&hosts, &demo_debs(&hosts));
    let fields = "name: Ferry demo, types: deb, uris: 'file:/srv/repo', suites: ./, trusted: true";
    let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\\n\\nmDMEYCQjIxYJKwYBBAHaRw8BAQdA\\n=IE0r\\n-----END PGP PUBLIC KEY BLOCK-----\\n";
    let tasks = format!(
        "    - deb822_repository: {{{fields}}}\n      register: r1\n    - deb822_repository: {{{fields}}}\n      register: r2\n    - apt: {{name: ferry-demo=2.0, update_cache: true}}\n      register: r3\n    - deb822_repository: {{{fields}, enabled: false}}\n      check_mode: true\n      register: r4\n    - deb822_repository: {{{fields}, signed_by: \"{key}\"}}\n      register: r5\n    - deb822_repository: {{name: Ferry demo, state: absent}}\n      register: r6\n    - deb822_repository: {{name: Ferry demo, state: absent}}\n      register: r7"
    );
    let (f, a) = both(&hosts, "deb822.yml", &tasks, &[]);
    same_shape(&f, &a);
    assert_eq!(
        changes(&f),
        [true, false, true, true, true, true, false],
        "{f}"
    );
    for r in ["r1", "r4", "r5", "r6"] {
        for k in ["repo", "dest", "key_filename"] {
            assert_eq!(f[r][k], a[r][k], "{r} {k}\nferry: {f}\nansible: {a}");
        }
    }
    for h in ["sys1", "sys2"] {
        assert_eq!(
            installed(&hosts, h, "ferry-demo").as_deref(),
            Some("2.0"),
            "{h}"
        );
        assert!(!hosts
            .host(h)
            .file("/etc/apt/sources.list.d/ferry-demo.sources")
            .exists());
    }
}

#[test]
fn apt_key_adds_and_deletes_a_key_once_as_ansible_does() {
    let hosts = SystemHosts::start(2);
    let (_, out) = hosts.host("sys1").sh(
        "gpg --with-colons /usr/share/keyrings/debian-archive-removed-keys.gpg 2>/dev/null | awk -F: '$1 == \"pub\" && $2 != \"e\" && $2 != \"r\" {print $5}' | tail -1",
    );
    let id = out.trim();
    assert_eq!(id.len(), 16, "{out}");
    let file = "/usr/share/keyrings/debian-archive-removed-keys.gpg";
    let tasks = format!(
        "    - apt_key: {{id: {id}, file: {file}}}\n      register: r1\n    - apt_key: {{id: {id}, file: {file}}}\n      register: r2\n    - apt_key: {{id: {id}, state: absent}}\n      check_mode: true\n      register: r3\n    - apt_key: {{id: {id}, state: absent}}\n      register: r4\n    - apt_key: {{id: {id}, state: absent}}\n      register: r5"
    );
    let (f, a) = both(&hosts, "apt-key.yml", &tasks, &[]);
    same_shape(&f, &a);
    assert_eq!(changes(&f), [true, false, true, true, false], "{f}");
    for r in ["r1", "r2", "r4", "r5"] {
        for k in ["id", "short_id", "fp", "key_id", "before", "after"] {
            assert_eq!(f[r][k], a[r][k], "{r} {k}\nferry: {f}\nansible: {a}");
        }
    }
}

#[test]
fn apt_waits_for_a_dpkg_lock_held_by_another_process_up_to_lock_timeout() {
    let hosts = SystemHosts::start(1);
    let host = hosts.host("sys1");
    let hold = |secs: u32| {
        format!("nohup python3 -c \"import fcntl,time; f=open('/var/lib/dpkg/lock-frontend','w'); fcntl.lockf(f, fcntl.LOCK_EX); open('/tmp/held','w').close(); time.sleep({secs})\" >/dev/null 2>&1 & while [ ! -e /tmp/held ]; do sleep 0.1; done")
    };
    let (rc, _) = host.sh(&hold(6));
    assert_eq!(rc, 0);
    let pb = playbook(
        &hosts,
        "lock.yml",
        "    - apt: {name: hello, lock_timeout: 60}\n",
    );
    let started = std::time::Instant::now();
    let run = hosts.ferry(&pb, &[], &[]);
    assert_counts(
        &run,
        "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
    assert!(
        started.elapsed().as_secs() >= 3,
        "ferry waited for the lock"
    );
    assert!(installed(&hosts, "sys1", "hello").is_some());
    host.sh("rm -f /tmp/held");
    let (rc, _) = host.sh(&hold(30));
    assert_eq!(rc, 0);
    let pb = playbook(
        &hosts,
        "lock2.yml",
        "    - apt: {name: sl, lock_timeout: 2}\n",
    );
    let run = hosts.ferry(&pb, &[], &[]);
    assert_counts(
        &run,
        "ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
    );
    assert!(run.stdout.contains("Could not get lock"), "{}", run.all());
}
