//! Issue 14's second measure: real public roles, published on Galaxy in the community
//! `ansible` package (PyPI, pinned: the corpus of `scripts/corpus.sh`), converge on fresh
//! Debian system hosts (`support::rootfs`) as they do under ansible-playbook 2.18: the same
//! PLAY RECAP, the same end state on the host, and on a second run the same recap again, with
//! changed=0 where Ansible's is 0. The roles are read from the pinned package at test time;
//! nothing of them is committed.
//!
//! - `community.zabbix.zabbix_agent`: Debian's own `zabbix-agent` package (its repository
//!   role is turned off: no network but Debian's), a `zabbix` group and user, the agent's
//!   configuration from the role's template, the service enabled and started (sysvinit, as a
//!   container has no systemd); the second run changes nothing.
//! - `ravendb.ravendb.ravendb_python_client_prerequisites`: Python packages from Debian, a
//!   virtualenv and pip packages from PyPI in it (the role's `command` tasks report changed on
//!   every run, under Ansible too: the recaps match, changed=0 is not asked of it).
//! - `community.sops.install`: a `.deb` installed by `apt: deb:`; the second run changes nothing.

use std::path::PathBuf;
use std::process::Command;

use crate::support::rootfs::SystemHosts;
use crate::support::{recap, root};

/// The directory holding the pinned package's `ansible_collections/` (installed once).
fn collections() -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("scripts/corpus.sh"))
        .output()
        .expect("bash runs scripts/corpus.sh");
    assert!(out.status.success(), "scripts/corpus.sh failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// One host's counts, without its name.
pub(crate) fn counts(out: &str) -> Vec<(String, u32)> {
    let r = recap(out);
    assert_eq!(r.len(), 1, "one host in the recap:\n{out}");
    r.into_values().next().unwrap().into_iter().collect()
}

/// Runs `role` with `vars` (YAML lines under `vars:`) by ansible-playbook on sys1 and by
/// ferry on sys2, twice each; compares the recaps and what `state` (a shell script run
/// inside each host) prints.
fn converges_as_ansible_does(role: &str, vars: &str, state: &str) {
    converges_with(&Case {
        role,
        vars,
        state,
        setup: "true",
        extra: &[],
        idempotent: false,
    });
}

/// A role to converge: [`converges_as_ansible_does`]'s inputs, a shell script run inside
/// both hosts first, extra command-line arguments for both tools, and whether the second run
/// must change nothing.
struct Case<'a> {
    role: &'a str,
    vars: &'a str,
    state: &'a str,
    setup: &'a str,
    extra: &'a [&'a str],
    idempotent: bool,
}

fn converges_with(case: &Case) {
    let Case {
        role,
        vars,
        state,
        extra,
        ..
    } = *case;
    let hosts = SystemHosts::start(2);
    for name in ["sys1", "sys2"] {
        hosts.host(name).allow_daemons();
        let (code, out) = hosts.host(name).sh(case.setup);
        assert_eq!(code, 0, "setup on {name}: {out}");
    }
    hosts.write(
        "ansible.cfg",
        &format!(
            "[defaults]\ncollections_path = {}\n",
            collections().display()
        ),
    );
    let pb = hosts.write(
        "site.yml",
        &format!("- hosts: all\n  vars:\n{vars}\n  roles:\n    - {role}\n"),
    );
    for pass in ["first", "second"] {
        let (code, ansible) = hosts.ansible(&pb, &["sys1"], extra);
        assert_eq!(code, 0, "ansible-playbook, {pass} run:\n{ansible}");
        let run = hosts.ferry(&pb, &["sys2"], extra);
        assert_eq!(run.code, 0, "ferry, {pass} run:\n{}", run.all());
        assert_eq!(
            counts(&run.stdout),
            counts(&ansible),
            "{role}, {pass} run: ferry's recap differs from ansible-playbook's\n--- ansible\n{ansible}\n--- ferry\n{}",
            run.all()
        );
        let changed = counts(&run.stdout)
            .into_iter()
            .find(|(k, _)| k == "changed")
            .map_or(0, |(_, n)| n);
        if case.idempotent && pass == "second" {
            assert_eq!(
                changed,
                0,
                "{role}: ferry's second run changed:\n{}",
                run.all()
            );
        }
    }
    let (a, f) = (hosts.host("sys1").sh(state), hosts.host("sys2").sh(state));
    assert_eq!(a.0, 0, "state script on sys1: {}", a.1);
    assert_eq!(
        f, a,
        "{role}: the host ferry ran on differs from ansible-playbook's"
    );
}

/// The agent's log goes where Debian's package makes room for it (the role's default,
/// `/var/log/zabbix`, is made by Zabbix's own packages), and each host listens on a port of
/// its own (the hosts share the machine's network), so the agent really runs and the second
/// run finds it running.
#[test]
fn zabbix_agent_role_converges_and_changes_nothing_the_second_time() {
    converges_with(&Case {
        role: "community.zabbix.zabbix_agent",
        vars: "    zabbix_manage_repo: false\n    zabbix_agent_version: 6.0\n    zabbix_agent_server: 127.0.0.1\n    zabbix_agent_serveractive: 127.0.0.1\n    zabbix_agent_install_agent_only: true\n    zabbix_agent_ip: 127.0.0.1\n    zabbix_agent_dont_detect_ip: true\n    zabbix_agent_logfile: /var/log/zabbix-agent/zabbix_agentd.log\n    zabbix_agent_listenport: \"{{ 10050 + inventory_hostname | replace('sys', '') | int }}\"\n",
        state: "dpkg-query -W -f '${Package} ${Status}\\n' zabbix-agent; id zabbix; \
         grep -v '^#' /etc/zabbix/zabbix_agentd.conf | grep -v '^$' | grep -v -e Hostname -e ListenPort; \
         stat -c '%n %U %G %a' /etc/zabbix/zabbix_agentd.conf /etc/zabbix/zabbix_agentd.d; \
         ls /etc/rc2.d | grep zabbix; \
         if pgrep -x zabbix_agentd >/dev/null; then echo running; else echo stopped; exit 1; fi",
        setup: "true",
        extra: &[],
        idempotent: true,
    });
}

#[test]
fn ravendb_client_prerequisites_role_converges_as_under_ansible() {
    converges_as_ansible_does(
        "ravendb.ravendb.ravendb_python_client_prerequisites",
        "    ravendb_venv_path: /opt/ravendb-venv\n",
        "dpkg-query -W -f '${Package} ${Status}\\n' python3 python3-pip python3-venv; \
         /opt/ravendb-venv/bin/pip show ravendb requests | grep -E '^(Name|Version):'",
    );
}

/// A stand-in for the sops release package the role downloads from GitHub (which the test
/// hosts cannot reach): built inside the host with dpkg-deb, installed by the role's own
/// `apt: deb:` task.
const FAKE_SOPS_DEB: &str = "set -e; d=/root/sops-pkg; mkdir -p $d/DEBIAN $d/usr/bin; \
    printf 'Package: sops\\nVersion: 3.9.0\\nArchitecture: amd64\\nMaintainer: ferry tests <t@example.org>\\nDescription: stand-in for sops\\n' > $d/DEBIAN/control; \
    printf '#!/bin/sh\\necho sops 3.9.0\\n' > $d/usr/bin/sops; chmod 755 $d/usr/bin/sops; \
    dpkg-deb --build $d /root/sops_3.9.0_amd64.deb >/dev/null";

#[test]
fn sops_install_role_converges_and_changes_nothing_the_second_time() {
    converges_with(&Case {
        role: "community.sops.install",
        vars: "    sops_version: 3.9.0\n    sops_source: github\n",
        state: "dpkg-query -W -f '${Package} ${Version} ${Status}\\n' sops gnupg; sops --version",
        setup: FAKE_SOPS_DEB,
        extra: &[
            "-e",
            "_community_sops_install_system_package_deb_github=/root/sops_3.9.0_amd64.deb",
        ],
        idempotent: true,
    });
}
