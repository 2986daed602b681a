//! The RPM family (`dnf`, `yum`, `package` with `use: dnf`, `package_facts` of rpm) acting
//! for real on Debian system hosts of the `rpm` root variant (`scripts/rootfs.sh` with
//! `FERRY_ROOTFS_VARIANT=rpm`: Debian's dnf 4, rpm and createrepo-c): tiny noarch packages
//! built with rpmbuild at test time into a local repository served by `file://` (and over HTTP
//! from loopback for `.rpm` URLs), the same
//! tasks through ansible-playbook (whose dnf module runs there on python3-dnf) on a second
//! fresh host, idempotence, check mode and dnf's lock.

use serde_json::Value as Json;

use crate::packages::{assert_counts, both, changes, playbook, refused_at_load};
use crate::support::rootfs::SystemHosts;

/// `mk NAME VERSION [REQUIRES]`: a tiny noarch package built with rpmbuild into
/// `/tmp/rb/RPMS/noarch`.
const MK: &str = r#"set -e
mk() {
  mkdir -p /tmp/rb/SPECS
  cat > /tmp/rb/SPECS/$1-$2.spec <<SPEC
Name: $1
Version: $2
Release: 1
Summary: ferry test package $1
License: MIT
BuildArch: noarch
${3:+Requires: $3}
%description
A tiny package for ferry's tests.
%install
mkdir -p %{buildroot}/usr/share/$1
echo $2 > %{buildroot}/usr/share/$1/version
%files
/usr/share/$1/version
SPEC
  rpmbuild --define "_topdir /tmp/rb" -bb /tmp/rb/SPECS/$1-$2.spec >/tmp/rb/$1-$2.log 2>&1
}
"#;

/// Builds, in the host, the packages `fdemo` 1.0 and 2.0, `flib` 1.0 and `fapp` 1.0 (which
/// requires flib) into `/srv/repo`, indexed by createrepo_c and named by the repository
/// `ferrytest` in `/etc/yum.repos.d`.
const REPO: &str = r#"mk fdemo 1.0; mk fdemo 2.0; mk flib 1.0; mk fapp 1.0 flib
mkdir -p /srv/repo /etc/yum.repos.d
cp /tmp/rb/RPMS/noarch/*.rpm /srv/repo/
createrepo_c -q /srv/repo
printf '[ferrytest]\nname=ferry test\nbaseurl=file:///srv/repo\ngpgcheck=0\n' > /etc/yum.repos.d/ferrytest.repo
"#;

/// `n` hosts of the rpm variant, each with the test repository.
fn rpm_hosts(n: usize) -> SystemHosts {
    let hosts = SystemHosts::start_variant(n, "rpm");
    for h in &hosts.hosts {
        let (rc, out) = h.sh(&format!("{MK}{REPO}"));
        assert_eq!(rc, 0, "building the rpm repository on {}: {out}", h.name);
    }
    hosts
}

/// The versions of the test packages rpm has on `host`.
fn rpms(hosts: &SystemHosts, host: &str) -> String {
    let (_, out) = hosts
        .host(host)
        .sh("rpm -qa --qf '%{NAME}-%{VERSION}\\n' 'f*' | sort | tr '\\n' ' '");
    out.trim().to_string()
}

/// `results` of a registered result, sorted (dnf's transaction sets have no order).
fn sorted_results(r: &Json) -> Vec<String> {
    let mut v: Vec<String> = r["results"]
        .as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// ferry's and Ansible's registered results agree on what matters: changed, failed, msg,
/// results (as sets), failures and rc.
fn same_results(ferry: &Json, ansible: &Json) {
    for (name, a) in ansible.as_object().unwrap() {
        let f = &ferry[name];
        let ctx = format!("{name}\nferry: {f}\nansible: {a}");
        for key in ["changed", "failed", "msg", "failures", "rc"] {
            assert_eq!(f[key], a[key], "{key} of {ctx}");
        }
        assert_eq!(sorted_results(f), sorted_results(a), "results of {ctx}");
    }
}

const CONVERGE: &str = r#"    - dnf: {name: [fdemo-1.0, fapp], use_backend: dnf}
      register: r1
    - dnf: {name: [fdemo-1.0, fapp], use_backend: dnf}
      register: r2
    - dnf: {name: fdemo, state: latest, use_backend: dnf}
      register: r3
    - dnf: {name: fdemo-1.0, state: present, use_backend: dnf}
      register: r4
    - dnf: {name: fdemo-1.0, allow_downgrade: true, use_backend: dnf}
      register: r5
    - dnf: {name: [fdemo, nosuch], use_backend: dnf}
      register: r6
      ignore_errors: true
    - dnf: {name: [fdemo, fapp], state: latest, update_only: true, use_backend: dnf}
      register: r7
    - dnf: {name: fapp, state: absent, autoremove: true, use_backend: dnf}
      register: r8
    - yum: {name: [fdemo, fapp], state: removed, use_backend: dnf}
      register: r9
    - dnf: {name: fapp, state: installed, update_cache: true, use_backend: dnf}
      register: r10
    - dnf: {name: flib, use_backend: dnf}
      register: r11
    - dnf: {name: flib, state: absent, use_backend: dnf}
      register: r12
    - dnf: {autoremove: true, use_backend: dnf}
      register: r13
"#;

#[test]
fn dnf_converges_a_local_repository_as_ansible_does() {
    let hosts = rpm_hosts(2);
    let (f, a) = both(&hosts, "converge.yml", CONVERGE, &[]);
    same_results(&f, &a);
    assert_eq!(
        changes(&f),
        [true, false, true, false, true, false, true, true, true, true, false, true, false]
    );
    assert_eq!(rpms(&hosts, "sys1"), rpms(&hosts, "sys2"));
    assert_eq!(rpms(&hosts, "sys1"), "");
}

#[test]
fn dnf_check_mode_reports_what_would_change_and_changes_nothing_as_ansible_does() {
    let hosts = rpm_hosts(2);
    for h in ["sys1", "sys2"] {
        let (rc, out) = hosts
            .host(h)
            .sh("dnf -q -y install fdemo-1.0 >/dev/null 2>&1; rpm -q fdemo");
        assert_eq!(rc, 0, "{out}");
    }
    let tasks = "    - dnf: {name: [fapp, fdemo], state: latest, use_backend: dnf}\n      register: r1\n    - dnf: {name: fdemo, state: absent, use_backend: dnf}\n      register: r2\n    - dnf: {name: fdemo, use_backend: dnf}\n      register: r3\n";
    let (f, a) = both(&hosts, "check.yml", tasks, &["--check"]);
    same_results(&f, &a);
    assert_eq!(changes(&f), [true, true, false]);
    assert_eq!(rpms(&hosts, "sys1"), "fdemo-1.0");
    assert_eq!(rpms(&hosts, "sys2"), "fdemo-1.0");
}

#[test]
fn dnf_list_returns_packages_as_ansible_does() {
    let hosts = rpm_hosts(2);
    let tasks = "    - dnf: {name: flib, use_backend: dnf}\n      register: r1\n    - dnf: {list: fdemo, use_backend: dnf}\n      register: r2\n    - dnf: {list: installed, use_backend: dnf}\n      register: r3\n    - dnf: {list: repos, use_backend: dnf}\n      register: r4\n    - dnf: {list: upgrades, use_backend: dnf}\n      register: r5\n";
    let (f, a) = both(&hosts, "list.yml", tasks, &[]);
    same_results(&f, &a);
    let fdemo = sorted_results(&f["r2"]);
    assert_eq!(fdemo.len(), 2, "{fdemo:?}");
    assert!(
        fdemo[0].contains("\"nevra\":\"0:fdemo-1.0-1.noarch\""),
        "{fdemo:?}"
    );
}

#[test]
fn dnf_without_a_backend_fails_on_a_debian_host_as_ansible_does_and_package_routes_to_it() {
    let hosts = rpm_hosts(2);
    let tasks = "    - dnf: {name: fdemo}\n      register: r1\n      ignore_errors: true\n    - package: {name: fdemo, use: dnf}\n      register: r2\n    - package: {name: fdemo, use: dnf}\n      register: r3\n";
    let (f, a) = both(&hosts, "backend.yml", tasks, &[]);
    same_results(&f, &a);
    assert_eq!(changes(&f), [false, true, false]);
    assert_eq!(rpms(&hosts, "sys1"), "fdemo-2.0");
    let facts = playbook(
        &hosts,
        "facts.yml",
        "    - package_facts: {manager: rpm}\n    - assert: {that: [\"ansible_facts.packages.fdemo[0].version == '2.0'\", \"ansible_facts.packages.fdemo[0].source == 'rpm'\"]}\n",
    );
    let run = hosts.ferry(&facts, &["sys1"], &[]);
    assert_counts(
        &run,
        "ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
}

#[test]
fn dnf_waits_for_the_lock_held_by_another_dnf_up_to_lock_timeout() {
    let hosts = rpm_hosts(1);
    // (seconds another dnf holds the lock, the task's lock_timeout, recap, rpms after)
    let cases = [
        (5, 60, "ok=1 changed=1 unreachable=0 failed=0", "fdemo-2.0"),
        (30, 2, "ok=0 changed=0 unreachable=0 failed=1", "fdemo-2.0"),
    ];
    for (i, (held, timeout, recap, after)) in cases.into_iter().enumerate() {
        let (rc, _) = hosts.host("sys1").sh(&format!(
            "mkdir -p /var/lib/dnf; nohup sleep {held} >/dev/null 2>&1 & echo $! > /var/lib/dnf/rpmdb_lock.pid"
        ));
        assert_eq!(rc, 0);
        let name = ["fdemo", "flib"][i];
        let task =
            format!("    - dnf: {{name: {name}, lock_timeout: {timeout}, use_backend: dnf}}\n");
        let pb = playbook(&hosts, &format!("lock{i}.yml"), &task);
        let started = std::time::Instant::now();
        let run = hosts.ferry(&pb, &[], &[]);
        assert!(
            crate::support::counts(&run, "sys1").starts_with(recap),
            "{}",
            run.all()
        );
        assert!(
            started.elapsed().as_secs() >= timeout.min(held) - 2,
            "ferry waited for the lock"
        );
        assert_eq!(rpms(&hosts, "sys1"), after);
        if run.code != 0 {
            assert!(run.stdout.contains("lock"), "{}", run.all());
        }
    }
}

#[test]
fn dnf_refuses_bad_arguments_at_load_before_any_host() {
    let hosts = SystemHosts::start_variant(1, "rpm");
    refused_at_load(
        &hosts,
        &[
            ("    - dnf: {name: fdemo, state: sideways}\n", "pb.yml:4:12: value of state must be one of: absent, installed, latest, present, removed, got: sideways"),
            ("    - yum: {name: fdemo, use_backend: apt}\n", "pb.yml:4:12: value of use_backend must be one of: auto, dnf, dnf4, dnf5, yum, yum4, got: apt"),
            ("    - dnf: {name: fdemo, list: installed}\n", "pb.yml:4:12: parameters are mutually exclusive: name|list"),
            ("    - dnf: {name: fdemo, best: true, nobest: true}\n", "pb.yml:4:12: parameters are mutually exclusive: best|nobest"),
        ],
    );
}

const REPOS: &str = r#"    - yum_repository: {name: ferryextra, description: Extra, baseurl: [file:///srv/repo, file:///srv/other], gpgcheck: false, enabled: yes, file: ferry, exclude: [fapp, flib], cost: 500}
      register: r1
    - yum_repository: {name: ferryextra, description: Extra, baseurl: [file:///srv/repo, file:///srv/other], gpgcheck: false, enabled: yes, file: ferry, exclude: [fapp, flib], cost: 500}
      register: r2
    - yum_repository: {name: second, description: Second, mirrorlist: "file:///srv/mirrors", file: ferry, mode: "0600"}
      register: r3
    - slurp: {src: /etc/yum.repos.d/ferry.repo}
      register: r4
    - yum_repository: {name: ferryextra, file: ferry, state: absent}
      register: r5
    - yum_repository: {name: second, file: ferry, state: absent}
      register: r6
    - yum_repository: {name: nodesc, baseurl: file:///srv/repo}
      register: r7
      ignore_errors: true
    - yum_repository: {name: nowhere, description: x, baseurl: file:///srv/repo, reposdir: /nonexistent}
      register: r8
      ignore_errors: true
"#;

#[test]
fn yum_repository_writes_and_removes_sections_as_ansible_does() {
    let hosts = rpm_hosts(2);
    let (f, a) = both(&hosts, "repos.yml", REPOS, &[]);
    for (name, a) in a.as_object().unwrap() {
        let f = &f[name];
        for key in [
            "changed", "failed", "msg", "diff", "repo", "state", "content",
        ] {
            assert_eq!(f[key], a[key], "{key} of {name}\nferry: {f}\nansible: {a}");
        }
    }
    assert_eq!(
        changes(&f),
        [true, false, true, false, true, true, false, false]
    );
    for h in ["sys1", "sys2"] {
        assert!(!hosts.host(h).file("/etc/yum.repos.d/ferry.repo").exists());
    }
    let (f, a) = both(
        &hosts,
        "repos-check.yml",
        &REPOS[..REPOS.find("    - yum_repository: {name: second").unwrap()],
        &["--check"],
    );
    assert_eq!(f["r1"]["diff"], a["r1"]["diff"]);
    assert_eq!(changes(&f), [true, true]);
    assert!(!hosts
        .host("sys1")
        .file("/etc/yum.repos.d/ferry.repo")
        .exists());
}

/// Generates a signing key in sys1 (exported to `/root/key.asc` on every host) and signs
/// the repository's packages on sys1 with it; the key's fingerprint.
fn signing_key(hosts: &SystemHosts) -> String {
    let (rc, out) = hosts.host("sys1").sh(
        "set -e; export GNUPGHOME=/root/.gnupg; mkdir -p -m 700 $GNUPGHOME; \
         gpg -q --batch --passphrase '' --quick-gen-key 'ferry test <test@ferry.invalid>' rsa2048 sign never 2>/dev/null; \
         gpg -q --armor --export > /root/key.asc; \
         rpmsign --define '__gpg /usr/bin/gpg' --define '_gpg_name ferry test' --addsign /srv/repo/*.rpm >/dev/null 2>&1; createrepo_c -q /srv/repo; \
         gpg --with-colons --fingerprint | awk -F: '/^fpr/ && !done {print $10; done = 1}'",
    );
    assert_eq!(rc, 0, "{out}");
    for h in &hosts.hosts[1..] {
        std::fs::copy(
            hosts.host("sys1").file("/root/key.asc"),
            h.file("/root/key.asc"),
        )
        .unwrap();
    }
    out.trim().to_string()
}

#[test]
fn rpm_key_imports_and_removes_a_key_once_as_ansible_does_and_dnf_then_verifies_with_it() {
    let hosts = rpm_hosts(2);
    let fp = signing_key(&hosts);
    let id = &fp[fp.len() - 16..];
    let tasks = format!(
        "    - rpm_key: {{key: /root/key.asc, fingerprint: '{fp}'}}\n      register: r1\n\
         \x20   - rpm_key: {{key: /root/key.asc}}\n      register: r2\n\
         \x20   - rpm_key: {{key: '0x{id}', state: absent}}\n      register: r3\n\
         \x20   - rpm_key: {{key: '{id}', state: absent}}\n      register: r4\n\
         \x20   - rpm_key: {{key: /root/key.asc, fingerprint: '0000 1111'}}\n      register: r5\n      ignore_errors: true\n\
         \x20   - rpm_key: {{key: DEADBEEF}}\n      register: r6\n      ignore_errors: true\n\
         \x20   - rpm_key: {{key: /root/nonexistent.asc}}\n      register: r7\n      ignore_errors: true\n"
    );
    let (f, a) = both(&hosts, "keys.yml", &tasks, &[]);
    for (name, a) in a.as_object().unwrap() {
        let f = &f[name];
        for key in ["changed", "failed", "msg"] {
            assert_eq!(f[key], a[key], "{key} of {name}\nferry: {f}\nansible: {a}");
        }
    }
    assert_eq!(changes(&f), [true, false, true, false, false, false, false]);
    let pb = playbook(
        &hosts,
        "gpgcheck.yml",
        "    - yum_repository: {name: ferrytest, description: ferry test, baseurl: file:///srv/repo, gpgcheck: true}\n\
         \x20   - dnf: {name: fdemo, use_backend: dnf}\n      register: unsigned\n      ignore_errors: true\n\
         \x20   - assert: {that: [unsigned is failed]}\n\
         \x20   - rpm_key: {key: /root/key.asc}\n\
         \x20   - dnf: {name: fdemo, use_backend: dnf}\n",
    );
    let run = hosts.ferry(&pb, &["sys1"], &[]);
    assert_counts(
        &run,
        "ok=5 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1",
    );
    assert!(run.stdout.contains("GPG"), "{}", run.all());
    assert!(!run.stdout.contains("@@after"), "{}", run.all());
    assert_eq!(rpms(&hosts, "sys1"), "fdemo-2.0");
}

#[test]
fn dnf_installs_rpm_files_once_and_downgrades_only_when_allowed_as_ansible_does() {
    let hosts = rpm_hosts(2);
    let tasks = "    - dnf: {name: /srv/repo/flib-1.0-1.noarch.rpm, disable_gpg_check: true, use_backend: dnf}\n      register: r1\n\
        \x20   - dnf: {name: /srv/repo/flib-1.0-1.noarch.rpm, disable_gpg_check: true, use_backend: dnf}\n      register: r2\n\
        \x20   - dnf: {name: /srv/repo/fdemo-2.0-1.noarch.rpm, disable_gpg_check: true, use_backend: dnf}\n      register: r3\n\
        \x20   - dnf: {name: /srv/repo/fdemo-1.0-1.noarch.rpm, disable_gpg_check: true, use_backend: dnf}\n      register: r4\n\
        \x20   - dnf: {name: /srv/repo/fdemo-1.0-1.noarch.rpm, allow_downgrade: true, disable_gpg_check: true, use_backend: dnf}\n      register: r5\n\
        \x20   - dnf: {name: /usr/share/flib/version, use_backend: dnf}\n      register: r6\n\
        \x20   - dnf: {name: /srv/repo/flib-1.0-1.noarch.rpm, state: absent, use_backend: dnf}\n      register: r7\n      ignore_errors: true\n";
    let unsigned = "    - dnf: {name: /srv/repo/flib-1.0-1.noarch.rpm, use_backend: dnf}\n      register: r1\n      ignore_errors: true\n";
    let (f1, a1) = both(&hosts, "unsigned.yml", unsigned, &[]);
    assert_eq!(
        (&f1["r1"]["failed"], &f1["r1"]["changed"]),
        (&a1["r1"]["failed"], &a1["r1"]["changed"])
    );
    assert_eq!(f1["r1"]["failed"], true);
    let (f, a) = both(&hosts, "files.yml", tasks, &[]);
    same_results(&f, &a);
    assert_eq!(changes(&f), [true, false, true, false, true, false, false]);
    assert_eq!(rpms(&hosts, "sys1"), "fdemo-1.0 flib-1.0");
    assert_eq!(rpms(&hosts, "sys2"), rpms(&hosts, "sys1"));
}

/// `.rpm` URLs in `name`: fetched on the host (from an HTTP server on loopback serving sys1's
/// test repository), installed when not installed at that version, changed=0 the second time,
/// check mode changes nothing, and a missing URL fails with Ansible's `Failure downloading`.
#[test]
fn dnf_installs_rpm_urls_once_as_ansible_does() {
    let hosts = rpm_hosts(2);
    // ferry downloads with the host's curl (or wget), Ansible with its Python.
    let (rc, out) = hosts
        .host("sys1")
        .sh("apt-get install -y -q curl >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q curl)");
    assert_eq!(rc, 0, "installing curl: {out}");
    let port = crate::support::sshd::free_port("127.0.0.1");
    let repo = hosts.host("sys1").root().join("srv/repo");
    let mut server = std::process::Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .arg("--directory")
        .arg(&repo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 serves the repository");
    let url = |f: &str| format!("http://127.0.0.1:{port}/{f}");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let task = |name: &str, more: &str, n: usize| {
        format!("    - dnf: {{name: '{name}', disable_gpg_check: true, use_backend: dnf{more}}}\n      register: r{n}\n")
    };
    let tasks = format!(
        "{}      check_mode: true\n{}{}{}      ignore_errors: true\n",
        task(&url("flib-1.0-1.noarch.rpm"), "", 1),
        task(&url("flib-1.0-1.noarch.rpm"), "", 2),
        task(&url("flib-1.0-1.noarch.rpm"), "", 3),
        task(&url("nosuch-1.0-1.noarch.rpm"), "", 4),
    );
    let (f, a) = both(&hosts, "urls.yml", &tasks, &[]);
    let _ = server.kill();
    let _ = server.wait();
    for key in ["changed", "failed"] {
        for r in ["r1", "r2", "r3", "r4"] {
            assert_eq!(
                f[r][key], a[r][key],
                "{key} of {r}\nferry: {f}\nansible: {a}"
            );
        }
    }
    assert_eq!(changes(&f), [true, true, false, false]);
    let msg = f["r4"]["msg"].as_str().unwrap_or_default();
    assert!(msg.starts_with("Failure downloading"), "{f}");
    assert!(
        a["r4"]["msg"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Failure downloading"),
        "{a}"
    );
    assert_eq!(rpms(&hosts, "sys1"), "flib-1.0");
    assert_eq!(rpms(&hosts, "sys2"), rpms(&hosts, "sys1"));
    let (_, left) = hosts
        .host("sys1")
        .sh("ls -d /tmp/ferry-dnf.* 2>/dev/null | wc -l");
    assert_eq!(left.trim(), "0", "the download directories are removed");
}

/// Adds to the test repository `fopt` 1.0 and the modular packages `fmodpkg` 1.0 and 2.0 and
/// `fmodextra` 1.0; comps data with the groups `ferry-tools` ("Ferry Tools": fdemo mandatory,
/// flib default, fopt optional), `ferry-apps` (fapp, hidden) and `ferry-extras` (fopt optional)
/// and the environment group `ferry-env` (ferry-tools, ferry-apps optional); modular metadata
/// with the streams `fmod:1.0` (profiles `default`: fmodpkg, `full`: fmodpkg and fmodextra) and
/// `fmod:2.0` (`default`), no default stream.
const COMPS: &str = r#"mk fopt 1.0; mk fmodpkg 1.0; mk fmodpkg 2.0; mk fmodextra 1.0
cp /tmp/rb/RPMS/noarch/*.rpm /srv/repo/
cat > /srv/comps.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>ferry-tools</id><name>Ferry Tools</name><description>tools</description>
    <default>false</default><uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">fdemo</packagereq>
      <packagereq type="default">flib</packagereq>
      <packagereq type="optional">fopt</packagereq>
    </packagelist>
  </group>
  <group>
    <id>ferry-apps</id><name>Ferry Apps</name><description>apps</description>
    <default>false</default><uservisible>false</uservisible>
    <packagelist><packagereq type="mandatory">fapp</packagereq></packagelist>
  </group>
  <group>
    <id>ferry-extras</id><name>Ferry Extras</name><description>optional only</description>
    <default>false</default><uservisible>true</uservisible>
    <packagelist><packagereq type="optional">fopt</packagereq></packagelist>
  </group>
  <environment>
    <id>ferry-env</id><name>Ferry Environment</name><description>env</description>
    <display_order>10</display_order>
    <grouplist><groupid>ferry-tools</groupid></grouplist>
    <optionlist><groupid>ferry-apps</groupid></optionlist>
  </environment>
</comps>
XML
stream() {
  printf -- '---\ndocument: modulemd\nversion: 2\ndata:\n  name: fmod\n  stream: "%s"\n  version: 1\n  context: c0ffee42\n  arch: noarch\n  summary: ferry test module\n  description: ferry test module\n  license:\n    module: [MIT]\n  profiles:\n%b  artifacts:\n    rpms:\n%b...\n' "$1" "$2" "$3"
}
{
  stream 1.0 '    default:\n      rpms: [fmodpkg]\n    full:\n      rpms: [fmodpkg, fmodextra]\n' '      - fmodpkg-0:1.0-1.noarch\n      - fmodextra-0:1.0-1.noarch\n'
  stream 2.0 '    default:\n      rpms: [fmodpkg]\n' '      - fmodpkg-0:2.0-1.noarch\n'
} > /srv/modules.yaml
createrepo_c -q -g /srv/comps.xml /srv/repo
modifyrepo_c --mdtype=modules /srv/modules.yaml /srv/repo/repodata >/dev/null
"#;

/// The test packages, groups and module streams installed or enabled on `host`.
fn comps_state(hosts: &SystemHosts, host: &str) -> String {
    let (_, groups) = hosts
        .host(host)
        .sh("dnf -q group list --installed 2>/dev/null | tr -s ' \\n' ' '");
    let (_, streams) = hosts
        .host(host)
        .sh("cat /etc/dnf/modules.d/fmod.module 2>/dev/null | tr '\\n' ' '");
    format!(
        "{} | {} | {}",
        rpms(hosts, host),
        groups.trim(),
        streams.trim()
    )
}

const GROUPS: &str = r#"    - dnf: {name: ["@ferry-tools", fapp], use_backend: dnf}
      check_mode: true
      register: r1
    - dnf: {name: ["@ferry-tools", fapp], use_backend: dnf}
      register: r2
    - dnf: {name: ["@ferry-tools", fapp], use_backend: dnf}
      register: r3
    - dnf: {name: "@Ferry Tools", state: latest, use_backend: dnf}
      register: r4
    - dnf: {name: "@ferry-tools", state: absent, use_backend: dnf}
      check_mode: true
      register: r5
    - dnf: {name: ["@ferry-tools", fapp], state: absent, use_backend: dnf}
      register: r6
    - dnf: {name: "@ferry-tools", state: absent, use_backend: dnf}
      register: r7
    - dnf: {name: ["@nosuch", fdemo], use_backend: dnf}
      register: r8
      ignore_errors: true
    - dnf: {name: "@^ferry-env", use_backend: dnf}
      register: r9
      ignore_errors: true
    - dnf: {name: ["@ferry-env", fdemo-1.0], use_backend: dnf}
      register: r10
    - dnf: {name: "@Ferry Environment", use_backend: dnf}
      register: r11
    - dnf: {name: ["@ferry-env", "@ferry-apps"], state: latest, use_backend: dnf}
      register: r12
    - dnf: {name: "@ferry-en*", state: absent, use_backend: dnf}
      register: r13
    - dnf: {name: "@Ferry Extras", use_backend: dnf}
      register: r14
"#;

const STREAMS: &str = r#"    - dnf: {name: "@fmod:1.0/full", use_backend: dnf}
      check_mode: true
      register: r1
    - dnf: {name: "@fmod:1.0/full", use_backend: dnf}
      register: r2
    - dnf: {name: "@fmod:1.0/full", use_backend: dnf}
      register: r3
    - dnf: {name: "@fmod:1.0", state: latest, use_backend: dnf}
      register: r4
    - dnf: {name: ["@fmod:2.0/default", fapp], use_backend: dnf}
      register: r5
    - dnf: {name: "@fmod", state: absent, use_backend: dnf}
      check_mode: true
      register: r6
    - dnf: {name: "@fmod", state: absent, use_backend: dnf}
      register: r7
    - dnf: {name: "@fmod:2.0", state: absent, use_backend: dnf}
      register: r8
    - dnf: {name: "@fmod:1.0", use_backend: dnf}
      register: r9
      ignore_errors: true
    - dnf: {name: "@fmod:9.9", use_backend: dnf}
      register: r10
      ignore_errors: true
    - dnf: {name: ["@fmod:1.0/default", fmodextra], use_backend: dnf}
      register: r11
    - dnf: {name: ["@ferry-tools", nosuch], use_backend: dnf}
      register: r12
      ignore_errors: true
"#;

/// Groups, environment groups and module streams (`@...` names) through ferry's one `dnf
/// shell` transaction and through Ansible's dnf (on python3-dnf): the same results, changes
/// and end states; check mode changes nothing, a second run changes nothing.
#[test]
fn dnf_groups_and_module_streams_converge_as_ansible_does() {
    let hosts = rpm_hosts(2);
    for h in &hosts.hosts {
        let (rc, out) = h.sh(&format!("{MK}{COMPS}"));
        assert_eq!(rc, 0, "adding groups and modules on {}: {out}", h.name);
    }
    let (f, a) = both(&hosts, "groups.yml", GROUPS, &[]);
    same_results(&f, &a);
    assert_eq!(
        changes(&f),
        [
            true, true, false, false, true, true, false, false, false, true, false, true, true,
            false
        ]
    );
    assert_eq!(
        sorted_results(&f["r2"]),
        [
            "\"Group ferry-tools installed.\"",
            "\"Installed: fapp-1.0-1.noarch\"",
            "\"Installed: fdemo-2.0-1.noarch\"",
            "\"Installed: flib-1.0-1.noarch\""
        ]
    );
    assert_eq!(f["r8"]["msg"], "No group nosuch available.");
    assert_eq!(
        f["r14"]["results"][0],
        "Group ferry-extras already installed."
    );
    assert_eq!(comps_state(&hosts, "sys1"), comps_state(&hosts, "sys2"));
    let (f, a) = both(&hosts, "streams.yml", STREAMS, &[]);
    same_results(&f, &a);
    assert_eq!(
        changes(&f),
        [true, true, false, false, true, true, true, false, false, false, true, false]
    );
    assert_eq!(
        sorted_results(&f["r5"]),
        [
            "\"Installed: fapp-1.0-1.noarch\"",
            "\"Installed: fmodpkg-2.0-1.noarch\"",
            "\"Module fmod:2.0/default installed.\"",
            "\"Removed: fmodpkg-1.0-1.noarch\""
        ]
    );
    assert_eq!(comps_state(&hosts, "sys1"), comps_state(&hosts, "sys2"));
}
