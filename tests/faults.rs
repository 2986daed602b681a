//! Faults on real sshd hosts, each with its outcome asserted: a host's connection killed
//! mid-task, a host frozen mid-task (SIGSTOP: found by the keepalive the inventory sets), and
//! a host's disk full during `copy`. The others finish, the recap and the exit code are
//! exact, and nothing is left half-written.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{counts, run_playbook, write, SshHosts};

/// A shell snippet that finds the sshd process serving this connection (the nearest
/// ancestor named sshd), writes its pid to `pid_file`, and sends it `signal`.
fn signal_own_sshd(signal: &str, pid_file: &str) -> String {
    format!(
        "p=$$; while [ \"$(cat /proc/$p/comm)\" != sshd ]; do p=$(cut -d' ' -f4 /proc/$p/stat); done; \
         echo $p > {pid_file}; kill -{signal} $p"
    )
}

fn playbook(hosts: &SshHosts, signal: &str) -> std::path::PathBuf {
    let hurt = signal_own_sshd(signal, "{{ host_dir }}/sshd.pid");
    write(
        hosts,
        "fault.yml",
        &format!(
            "- hosts: all\n  gather_facts: no\n  tasks:\n\
             \x20   - shell: \"{{% if inventory_hostname == 'host1' %}}{}{{% else %}}true{{% endif %}}; sleep 1\"\n\
             \x20   - shell: echo after > {{{{ host_dir }}}}/after\n",
            hurt.replace('"', "\\\"")
        ),
    )
}

#[test]
fn a_host_whose_connection_is_killed_mid_task_is_unreachable_and_the_others_finish() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let pb = playbook(&hosts, "KILL");
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host2"),
        "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    assert!(hosts.host("host2").dir.join("after").exists());
    assert!(!hosts.host("host1").dir.join("after").exists());
}

#[test]
fn a_frozen_host_is_found_by_the_keepalive_the_inventory_sets() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory(
        "[all:vars]\nansible_ssh_common_args=\"-o ServerAliveInterval=1 -o ServerAliveCountMax=2\"\n",
    );
    let pb = playbook(&hosts, "STOP");
    let started = Instant::now();
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    let took = started.elapsed();
    // Thaw and end the frozen session, whatever happened.
    if let Ok(pid) = fs::read_to_string(hosts.host("host1").dir.join("sshd.pid")) {
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }
    assert_eq!(run.code, 4, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host2"),
        "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    assert!(
        took < Duration::from_secs(15),
        "the frozen host was given up after {took:?} (keepalive 1 s × 2)"
    );
}

#[test]
fn a_full_disk_fails_the_copy_with_the_hosts_error_and_leaves_the_old_file() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let small = h.dir.join("small");
    fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&small)
        .status()
        .expect("mount runs");
    assert!(
        mounted.success(),
        "mount a 64 KiB tmpfs (the tests run as root)"
    );
    fs::write(small.join("data"), "old content\n").unwrap();
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "full.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy:\n        content: \"{{ 'x' * 200000 }}\"\n        dest: \"{{ host_dir }}/small/data\"\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    let left: Vec<String> = fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let old = fs::read_to_string(small.join("data"));
    let _ = Command::new("umount").arg(&small).status();
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("No space left on device"),
        "the host's own error: {}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host1"),
        "ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0"
    );
    assert_eq!(old.unwrap(), "old content\n");
    assert_eq!(left, ["data"], "no partial file is left");
}
