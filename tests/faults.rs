//! Faults on real sshd hosts, each with its outcome asserted: a host's connection killed
//! mid-task, a host frozen mid-task (SIGSTOP: found by the keepalive the inventory sets), and
//! a host's disk full during `copy`. The others finish, the recap and the exit code are
//! exact, and nothing is left half-written.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::netns::{self, ip};
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

/// The recap and exit code when host1's connection is lost mid-play and host2 goes on.
fn host1_lost_host2_finished(run: &crate::support::Run) {
    assert_eq!(run.code, 4, "{}", run.all());
    assert_eq!(
        counts(run, "host1"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    assert_eq!(
        counts(run, "host2"),
        "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
}

#[test]
fn a_host_whose_connection_is_killed_mid_task_is_unreachable_and_the_others_finish() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let pb = playbook(&hosts, "KILL");
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    host1_lost_host2_finished(&run);
    assert!(hosts.host("host2").dir.join("after").exists());
    assert!(!hosts.host("host1").dir.join("after").exists());
}

#[test]
fn a_frozen_host_is_found_by_the_keepalive_the_inventory_sets() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory(
        "[all:vars]\nansible_ssh_common_args=\"-o ServerAliveInterval=1 -o ServerAliveCountMax=2\"\n",
    );
    let took = run_with_host1_frozen(&hosts, &inv, &[]);
    assert!(
        took < Duration::from_secs(15),
        "the frozen host was given up after {took:?} (keepalive 1 s × 2)"
    );
}

/// Runs the playbook that freezes host1 mid-task; checks host1 was lost and host2 finished;
/// returns how long the run took.
fn run_with_host1_frozen(hosts: &SshHosts, inv: &std::path::Path, extra: &[&str]) -> Duration {
    let pb = playbook(hosts, "STOP");
    let started = Instant::now();
    let run = run_playbook(hosts, &pb, inv, extra);
    let took = started.elapsed();
    // Thaw and end the frozen session, whatever happened.
    if let Ok(pid) = fs::read_to_string(hosts.host("host1").dir.join("sshd.pid")) {
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }
    host1_lost_host2_finished(&run);
    took
}

/// `--timeout` bounds how long any task waits on a host that stops answering: without a
/// keepalive from the inventory, `-T 4` gives the frozen host up after about 4 s of silence
/// (the default keepalive would wait 60 s).
#[test]
fn a_frozen_host_is_given_up_after_the_timeout() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let took = run_with_host1_frozen(&hosts, &inv, &["-T", "4"]);
    assert!(
        took < Duration::from_secs(20),
        "the frozen host was given up after {took:?} (-T 4)"
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

/// A host of its own network namespace, reached over a veth pair whose outer end the test
/// can take down (a network partition). Its sshd and namespace go on drop.
struct Partitioned {
    ns: String,
    outside: String,
    sshd: std::process::Child,
    dir: tempfile::TempDir,
}

impl Partitioned {
    fn start(user_key: &std::path::Path) -> (Partitioned, String) {
        let id = std::process::id() % 100_000;
        let (ns, outside, inside) = (format!("ferry-q{id}"), format!("fq{id}"), format!("fr{id}"));
        netns::veth_namespace(&ns, &outside, &inside, "10.215.1");
        let dir = tempfile::Builder::new()
            .prefix("ferry-part-")
            .tempdir()
            .unwrap();
        let (sshd, known) = netns::sshd(&ns, "10.215.1.2", dir.path(), user_key);
        netns::wait_for_ssh("10.215.1.2");
        (
            Partitioned {
                ns,
                outside,
                sshd,
                dir,
            },
            known,
        )
    }

    fn cut(&self) {
        ip(&["link", "set", &self.outside, "down"]);
    }
}

impl Drop for Partitioned {
    fn drop(&mut self) {
        // Every process in the namespace (sshd and its sessions) goes with it.
        netns::remove(&self.ns, &mut self.sshd);
    }
}

/// A network partition mid-upload (the host's link goes down while a 48 MB copy is on the
/// wire): the host is unreachable within the keepalive the inventory sets, and its old file
/// is intact.
#[test]
fn a_partition_mid_upload_leaves_the_old_file_and_the_host_unreachable() {
    let hosts = SshHosts::start(1);
    let (net, known) = Partitioned::start(&hosts.user_key);
    let d = hosts.dir.path();
    let kh = d.join("part_known_hosts");
    fs::write(&kh, known).unwrap();
    let target = net.dir.path().join("data");
    fs::create_dir_all(&target).unwrap();
    fs::write(target.join("big.bin"), "old contents\n").unwrap();
    let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    fs::write(d.join("big.bin"), block.repeat(48)).unwrap();
    fs::write(
        d.join("part.ini"),
        format!(
            "far ansible_host=10.215.1.2 ansible_user=root ansible_ssh_private_key_file={} ansible_ssh_common_args=\"-o ServerAliveInterval=1 -o ServerAliveCountMax=2\"\n",
            hosts.user_key.display()
        ),
    )
    .unwrap();
    fs::write(
        d.join("part.yml"),
        format!(
            "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: {{src: big.bin, dest: {}/big.bin}}\n",
            target.display()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["run", "part.yml", "-i", "part.ini", "--known-hosts"])
        .arg(&kh)
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let partial = || {
        fs::read_dir(&target).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with(".ferry-")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    };
    while !partial() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the upload never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    net.cut();
    let cut_at = Instant::now();
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if cut_at.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("ferry still waits a minute after the partition");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = cut_at.elapsed();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("unreachable=1"),
        "the partitioned host is unreachable: {stdout}"
    );
    assert!(
        took < Duration::from_secs(20),
        "given up {took:?} after the cut"
    );
    assert_eq!(
        fs::read_to_string(target.join("big.bin")).unwrap(),
        "old contents\n",
        "the old file is intact"
    );
}
