//! Issue 4's file modules on real sshd hosts: each changes only what differs, so a second run
//! reports changed=0; --check changes nothing; a write goes to a temporary file renamed into
//! place.

use std::fs;

use crate::support::{counts, run_playbook, write, SshHosts};

#[test]
fn file_modules_are_idempotent() {
    let hosts = SshHosts::start(2);
    // host1 gets files over SFTP (the default), host2 piped through `cat`.
    let inv = hosts.inventory("");
    let text = fs::read_to_string(&inv).unwrap();
    fs::write(
        &inv,
        text.replacen("host2 ", "host2 ansible_ssh_transfer_method=piped ", 1),
    )
    .unwrap();
    write(&hosts, "files/app.conf", "listen 8080\n");
    write(&hosts, "files/tree/a.txt", "a\n");
    write(&hosts, "files/tree/sub/b.txt", "b\n");
    write(
        &hosts,
        "templates/motd.j2",
        "Welcome to {{ inventory_hostname }} ({{ role }})\n",
    );
    let big: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
    write(&hosts, "files/big.txt", &big);
    let pb = write(
        &hosts,
        "files.yml",
        r#"- hosts: all
  gather_facts: no
  vars:
    role: web
    d: "{{ host_dir }}/etc"
  tasks:
    - file: {path: "{{ d }}", state: directory, mode: "0750"}
    - copy: {src: app.conf, dest: "{{ d }}/app.conf", mode: "0640"}
    - copy: {src: tree/, dest: "{{ d }}/tree"}
    - copy: {src: big.txt, dest: "{{ d }}/big.txt"}
    - copy: {content: "inline\n", dest: "{{ d }}/inline"}
    - template: {src: motd.j2, dest: "{{ d }}/motd"}
    - lineinfile: {path: "{{ d }}/app.conf", regexp: "^listen", line: "listen 9090"}
    - lineinfile: {path: "{{ d }}/app.conf", line: "workers 4"}
    - file: {path: "{{ d }}/current", src: "{{ d }}/app.conf", state: link}
    - file: {path: "{{ d }}/gone", state: absent}
    - stat: {path: "{{ d }}/app.conf"}
      register: st
    - assert:
        that:
          - st.stat.exists
          - st.stat.mode == '0640'
    - fetch: {src: "{{ d }}/motd", dest: "{{ playbook_dir }}/fetched"}
    - fetch: {src: "{{ d }}/big.txt", dest: "{{ playbook_dir }}/fetched/{{ inventory_hostname }}.big", flat: yes}
"#,
    );
    let first = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        counts(&first, "host1"),
        "ok=14 changed=11 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        first.all()
    );
    let d = hosts.host("host1").dir.join("etc");
    assert_eq!(
        fs::read_to_string(d.join("app.conf")).unwrap(),
        "listen 9090\nworkers 4\n"
    );
    assert_eq!(fs::read_to_string(d.join("tree/sub/b.txt")).unwrap(), "b\n");
    assert_eq!(fs::read_to_string(d.join("big.txt")).unwrap(), big);
    assert_eq!(
        fs::read_to_string(d.join("motd")).unwrap(),
        "Welcome to host1 (web)\n"
    );
    assert_eq!(
        fs::read_link(d.join("current")).unwrap(),
        d.join("app.conf")
    );
    assert_eq!(
        fs::read_to_string(
            hosts
                .path("fetched/host2")
                .join(hosts.host("host2").dir.strip_prefix("/").unwrap())
                .join("etc/motd")
        )
        .unwrap(),
        "Welcome to host2 (web)\n"
    );
    assert_eq!(
        fs::read_to_string(hosts.path("fetched/host1.big")).unwrap(),
        big
    );
    let leftovers: Vec<_> = fs::read_dir(&d)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ferry-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");

    // The app.conf copy and the lineinfile edits fight each other by design; everything else is idempotent.
    let second = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(
        counts(&second, "host1"),
        "ok=14 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        second.all()
    );

    fs::write(d.join("inline"), "edited by hand\n").unwrap();
    let check = run_playbook(&hosts, &pb, &inv, &["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_eq!(
        fs::read_to_string(d.join("inline")).unwrap(),
        "edited by hand\n",
        "--check changes nothing"
    );
}

/// Kills ferry while it sends a large file, over SFTP to host1 and piped to host2: the old
/// file stays whole on both; the next run puts the new file in place.
#[test]
fn an_interrupted_transfer_leaves_the_old_file() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let text = fs::read_to_string(&inv).unwrap();
    let piped = text.replacen("host2 ", "host2 ansible_ssh_transfer_method=piped ", 1);
    fs::write(&inv, piped).unwrap();
    let big = hosts.path("files/big.bin");
    fs::create_dir_all(big.parent().unwrap()).unwrap();
    let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut data = Vec::new();
    for _ in 0..48 {
        data.extend_from_slice(&block);
    }
    fs::write(&big, &data).unwrap();
    for h in &hosts.hosts {
        fs::write(h.dir.join("big.bin"), "old contents\n").unwrap();
    }
    let pb = write(
        &hosts,
        "big.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: {src: big.bin, dest: \"{{ host_dir }}/big.bin\"}\n",
    );
    // Ctrl-C (SIGINT: ferry stops, says so, exit 99) or a kill (SIGKILL) mid-transfer.
    for signal in ["-INT", "-KILL"] {
        interrupt_transfer(&hosts, &pb, &inv, signal);
    }
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    for h in &hosts.hosts {
        assert!(
            fs::read(h.dir.join("big.bin")).unwrap() == data,
            "{}",
            h.name
        );
    }
}

/// A server without the SFTP subsystem still gets its files (piped through `cat`).
#[test]
fn a_server_without_sftp_gets_files_piped() {
    let mut hosts = SshHosts::start(1);
    {
        let h = &mut hosts.hosts[0];
        h.stop();
        let cfg = h.dir.join("sshd_config");
        let text = fs::read_to_string(&cfg).unwrap();
        fs::write(&cfg, text.replace("Subsystem sftp internal-sftp\n", "")).unwrap();
        h.start_again();
    }
    let inv = hosts.inventory("");
    write(&hosts, "files/app.conf", "listen 8080\n");
    let pb = write(
        &hosts,
        "nosftp.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: {src: app.conf, dest: \"{{ host_dir }}/app.conf\"}\n    - copy: {content: \"x\\n\", dest: \"{{ host_dir }}/x\"}\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    let d = &hosts.hosts[0].dir;
    assert_eq!(
        fs::read_to_string(d.join("app.conf")).unwrap(),
        "listen 8080\n"
    );
    assert_eq!(fs::read_to_string(d.join("x")).unwrap(), "x\n");
    let log = fs::read_to_string(d.join("sshd.log")).unwrap();
    assert!(
        log.contains("subsystem request for sftp"),
        "ferry asked for SFTP first:\n{log}"
    );
}

/// wait_for on a real host: a path that appears after a second, a port that is open (the
/// host's sshd), a port that is closed, and a timeout that fails with Ansible's message.
#[test]
fn wait_for_paths_and_ports() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let closed = crate::support::sshd::free_port(&h.addr);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "wait.yml",
        &format!(
            r#"- hosts: all
  gather_facts: no
  tasks:
    - shell: nohup sh -c 'sleep 1; echo ready > {{{{ host_dir }}}}/flag' >/dev/null 2>&1 &
    - wait_for: {{path: "{{{{ host_dir }}}}/flag", search_regex: ready, timeout: 20}}
      register: appeared
    - assert: {{that: ["appeared.elapsed >= 0", "not appeared.changed"]}}
    - wait_for: {{host: "{addr}", port: {open}, timeout: 5}}
    - wait_for: {{host: "{addr}", port: {closed}, state: stopped, timeout: 5}}
    - wait_for: {{host: "{addr}", port: {closed}, timeout: 1, msg: "nothing listens"}}
"#,
            addr = h.addr,
            open = h.port,
        ),
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=5 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("nothing listens"), "{}", run.all());
    assert!(h.dir.join("flag").exists());
}

/// A loop of copies is checked in one command per host (prefetched stats, remembered sums);
/// a file edited on the host keeping its size is still found changed, and only that one.
#[test]
fn loop_copies_find_exactly_what_changed() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    for name in ["a", "b", "c"] {
        let text = format!("{name}{name}\n");
        write(&hosts, &format!("files/{name}.txt"), &text);
        write(&hosts, &format!("templates/{name}.txt"), &text);
    }
    let pb = write(
        &hosts,
        "loop.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: {src: \"{{ item }}.txt\", dest: \"{{ host_dir }}/{{ item }}.txt\", mode: \"0640\"}\n      loop: [a, b, c]\n    - template: {src: \"{{ item }}.txt\", dest: \"{{ host_dir }}/t-{{ item }}\"}\n      loop: [a, b]\n",
    );
    let recap = |extra: &[&str]| {
        let run = run_playbook(&hosts, &pb, &inv, extra);
        assert_eq!(run.code, 0, "{}", run.all());
        counts(&run, "host1")
    };
    let cases = [
        (
            "ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            None,
        ),
        (
            "ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            None,
        ),
        // Same size, new content: found by its sha1, not by its size.
        (
            "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            Some(("b.txt", "xx\n")),
        ),
        // A mode changed by hand is put back.
        (
            "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            Some(("c.txt", "chmod")),
        ),
        (
            "ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            None,
        ),
    ];
    let d = hosts.host("host1").dir.clone();
    for (want, edit) in cases {
        match edit {
            Some((name, "chmod")) => {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(d.join(name), fs::Permissions::from_mode(0o600)).unwrap();
            }
            Some((name, text)) => fs::write(d.join(name), text).unwrap(),
            None => {}
        }
        assert_eq!(recap(&[]), want, "after {edit:?}");
    }
    assert_eq!(fs::read_to_string(d.join("b.txt")).unwrap(), "bb\n");
    assert_eq!(fs::read_to_string(d.join("t-a")).unwrap(), "aa\n");
}

/// Runs `pb` and sends `signal` to ferry once both hosts' temp files hold part of the data;
/// the old files must be intact.
fn interrupt_transfer(hosts: &SshHosts, pb: &std::path::Path, inv: &std::path::Path, signal: &str) {
    // What an earlier interruption left (partial temp files) must not count as this one's.
    for h in &hosts.hosts {
        for e in fs::read_dir(&h.dir).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with(".ferry-") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "run",
            &pb.display().to_string(),
            "-i",
            &inv.display().to_string(),
        ])
        .args(["--known-hosts", &hosts.known_hosts.display().to_string()])
        .current_dir(hosts.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until both temp files hold part of the data, then cut the connections.
    let partial = |dir: &std::path::Path| {
        fs::read_dir(dir).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with(".ferry-")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    };
    let started = std::time::Instant::now();
    while !hosts.hosts.iter().all(|h| partial(&h.dir)) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the transfers never started"
        );
        assert!(child.try_wait().unwrap().is_none(), "ferry ended too soon");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    if signal == "-INT" {
        assert_eq!(
            status.code(),
            Some(99),
            "Ctrl-C ends ferry with its interrupted code"
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    for h in &hosts.hosts {
        assert_eq!(
            fs::read_to_string(h.dir.join("big.bin")).unwrap(),
            "old contents\n",
            "{}: the old file is intact",
            h.name
        );
    }
}
