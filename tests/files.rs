//! Issue 4's file modules on real sshd hosts: each changes only what differs, so a second run
//! reports changed=0; --check changes nothing; a write goes to a temporary file renamed into
//! place.

use std::fs;

use crate::support::{counts, run_playbook, write, SshHosts};

#[test]
fn file_modules_are_idempotent() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
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
"#,
    );
    let first = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        counts(&first, "host1"),
        "ok=13 changed=10 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
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
        "ok=13 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
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
