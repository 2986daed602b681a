//! Issue 14's second measure: real public roles, published on Galaxy in the community
//! `ansible` package (PyPI, pinned: the corpus of `scripts/corpus.sh`) and in DebOps (PyPI,
//! pinned: `scripts/debops.sh`), converge on fresh Debian system hosts (`support::rootfs`)
//! as they do under ansible-playbook 2.18: the same PLAY RECAP, the same end state on the
//! host, and on a second run the same recap again, with changed=0 where Ansible's is 0. The roles are read from the pinned package at test time;
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
//! - `debops.debops.users` (DebOps, pinned on PyPI: `scripts/debops.sh`): groups, accounts
//!   made by libuser, homes, SSH keys, a local fact; the second run changes nothing.
//! - `debops.debops.nginx`: Debian's `nginx-full`, the role's `nginx.conf` (Debian's diverted
//!   by the collection's `dpkg_divert` module), its welcome and localhost servers, conf.d
//!   maps, local facts, handlers that test and reload nginx; the second run changes nothing
//!   (its server template puts `{% block %}` inside `{% macro %}` and appends to lists it
//!   builds; `indent` keeps a trailing newline: each rendered as Jinja2 renders it).

use std::path::PathBuf;
use std::process::Command;

use crate::support::rootfs::SystemHosts;
use crate::support::{recap, root};

/// The directory holding the pinned package's `ansible_collections/` (installed once).
fn collections() -> PathBuf {
    installed("corpus.sh")
}

/// The directory a script of `scripts/` installs a pinned package's collections in, and prints.
fn installed(script: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("scripts").join(script))
        .output()
        .unwrap_or_else(|e| panic!("bash runs scripts/{script}: {e}"));
    assert!(out.status.success(), "scripts/{script} failed");
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
        debops: false,
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
    /// The roles come from DebOps (`scripts/debops.sh`), beside the corpus's collections.
    debops: bool,
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
    let mut path = collections().display().to_string();
    if case.debops {
        path = format!("{}:{path}", installed("debops.sh").display());
    }
    hosts.write(
        "ansible.cfg",
        &format!("[defaults]\ncollections_path = {path}\n"),
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
        debops: false,
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
        debops: false,
    });
}

/// DebOps' `users` (with the `secret` and `global_handlers` roles it imports): a group without
/// a user, two accounts made by libuser (`local: true`, the role's default; its package comes
/// through `users__packages`), one in the group, homes with their modes, a directory in one,
/// SSH keys in `authorized_keys`, the role's local fact script; the second run changes nothing.
#[test]
fn debops_users_role_converges_and_changes_nothing_the_second_time() {
    converges_with(&Case {
        role: "debops.debops.users",
        vars: DEBOPS_USERS,
        state: "getent passwd alice bob; getent shadow alice bob | cut -d: -f1,2; \
         getent group ferryops alice bob; id alice; id bob; \
         stat -c '%n %U %G %a' /home/alice /home/bob /home/bob/notes /home/alice/.ssh \
           /home/alice/.ssh/authorized_keys /home/bob/.ssh/authorized_keys \
           /etc/ansible/facts.d/users.fact; \
         cat /home/alice/.ssh/authorized_keys /home/bob/.ssh/authorized_keys \
           /etc/ansible/facts.d/users.fact; \
         ls -A /root /home | grep -v -e '^.ansible$' -e '^.cache$'; \
         dpkg-query -W -f '${Package} ${Status}\\n' acl libuser",
        setup: "true",
        extra: &[],
        idempotent: true,
        debops: true,
    });
}

const DEBOPS_USERS: &str = "    users__packages: [ libuser ]
    users__groups:
      - name: ferryops
        user: false
    users__accounts:
      - name: alice
        comment: Alice Example
        groups: [ ferryops ]
        shell: /bin/bash
        sshkeys: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFerryTestKeyAliceAAAAAAAAAAAAAAAAAAAAAAAA alice@example'
      - name: bob
        uid: 2345
        home_mode: '0700'
        sshkeys: [ 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFerryTestKeyBobAAAAAAAAAAAAAAAAAAAAAAAAAA bob@example' ]
        resources:
          - path: notes
            state: directory
            mode: '0700'
";

/// DebOps' `nginx`, each host's servers on its own address (the hosts share the machine's
/// network) and, until the role disables it, Debian's default site on a port of its own
/// (written before the package is installed: its postinst keeps it); the PKI, ferm and
/// upstream-repository integrations are off by default when those roles have not run.
#[test]
fn debops_nginx_role_converges_and_changes_nothing_the_second_time() {
    converges_with(&Case {
        role: "debops.debops.nginx",
        vars: "    nginx_listen_port: [ '{{ ansible_host }}:80' ]\n    nginx_listen_ssl_port: [ '{{ ansible_host }}:443' ]\n",
        state: NGINX_STATE,
        setup: "mkdir -p /etc/nginx/sites-enabled && \
            printf 'server { listen 127.0.0.1:%s; }\\n' $((8080 + $(tr -dc 0-9 < /etc/hostname))) \
            > /etc/nginx/sites-enabled/default",
        extra: &[],
        idempotent: true,
        debops: true,
    });
}

/// What the nginx role leaves, with each host's address and name taken out of its files.
const NGINX_STATE: &str = "dpkg-query -W -f '${Package} ${Status}\\n' nginx-full nginx-common; \
    ls /etc/nginx/sites-enabled /etc/nginx/conf.d /srv/www/sites; \
    stat -c '%n %U %G %a' /etc/nginx/nginx.conf /etc/nginx/sites-local /etc/ansible/facts.d/nginx.fact; \
    getent group webadmins | cut -d: -f1,3; dpkg-divert --list /etc/nginx/nginx.conf; \
    cat /etc/nginx/nginx.conf /etc/nginx/sites-available/*.conf /etc/nginx/conf.d/*.conf \
      /etc/ansible/facts.d/nginx.fact | sed -E 's/127\\.0\\.[0-9]+\\.[0-9]+/ADDR/g; s/sys[0-9]+/HOST/g'; \
    nginx -t 2>&1 | tail -1; \
    if pgrep -x nginx >/dev/null; then echo running; else echo stopped; exit 1; fi";
