//! `become` on real sshd hosts: through sudo to another user, and with a sudo password for a
//! non-root login user — the password goes to sudo on stdin and never appears in any output;
//! through su from a root login, and su with a password refused with a message (su reads it
//! from a terminal).

use std::fs;
use std::process::Command;

use crate::support::{counts, run_playbook, write, SshHosts};

const USER: &str = "ferrybecome";
const PASSWORD: &str = "s3cret-Become-pw";

/// A non-root user whose sudo needs a password (made once; the tests run as root).
fn ensure_user() {
    let exists = Command::new("id")
        .arg(USER)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !exists {
        let ok = Command::new("useradd")
            .args(["-M", "-s", "/bin/sh", USER])
            .status()
            .expect("useradd runs");
        assert!(ok.success(), "useradd {USER}");
    }
    let mut child = Command::new("chpasswd")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("chpasswd runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    fs::write(
        format!("/etc/sudoers.d/{USER}"),
        format!("{USER} ALL=(ALL:ALL) ALL\n"),
    )
    .unwrap();
}

#[test]
fn become_another_user_and_with_a_sudo_password() {
    assert!(
        std::path::Path::new("/usr/bin/sudo").exists(),
        "sudo is missing: apt-get install -y sudo (scripts/test.sh does)"
    );
    ensure_user();
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let _ = Command::new("chmod")
        .args([
            "755",
            &hosts.dir.path().display().to_string(),
            &h.dir.display().to_string(),
        ])
        .status();
    let line = format!(
        "host1 ansible_host={} ansible_port={} ansible_user={USER} ansible_ssh_private_key_file={} host_dir={}",
        h.addr,
        h.port,
        hosts.user_key.display(),
        h.dir.display()
    );
    let inv = write(
        &hosts,
        "become.ini",
        &format!("{line} ansible_become_password={PASSWORD}\n"),
    );
    let pb = write(
        &hosts,
        "become.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: whoami\n      register: plain\n    - command: whoami\n      become: yes\n      register: root\n    - command: whoami\n      become: yes\n      become_user: nobody\n      register: nobody\n    - shell: echo {{ plain.stdout }} {{ root.stdout }} {{ nobody.stdout }} > {{ host_dir }}/whoami\n      become: yes\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &["-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fs::read_to_string(h.dir.join("whoami")).unwrap(),
        format!("{USER} root nobody\n")
    );
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "the password leaked: {}",
        run.all()
    );

    let wrong = write(
        &hosts,
        "wrong.ini",
        &format!("{line} ansible_become_password=not-the-password\n"),
    );
    let run = run_playbook(&hosts, &pb, &wrong, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=1 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0"
    );
    assert!(!run.stdout.contains("not-the-password"), "{}", run.all());
}

#[test]
fn become_through_su_from_a_root_login_and_a_clear_refusal_with_a_password() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "su.yml",
        "- hosts: all\n  gather_facts: no\n  become: yes\n  become_method: su\n  become_user: nobody\n  tasks:\n    - command: whoami\n      register: who\n    - copy:\n        content: \"{{ who.stdout }}\\n\"\n        dest: \"{{ host_dir }}/su-whoami\"\n      become: no\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fs::read_to_string(h.dir.join("su-whoami")).unwrap().trim(),
        "nobody"
    );

    let with_password = hosts.inventory("[all:vars]\nansible_become_password=pw-for-su\n");
    let run = run_playbook(&hosts, &pb, &with_password, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout
            .contains("become_method su cannot be given a password"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host1"),
        "ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0"
    );
    assert!(!run.all().contains("pw-for-su"), "{}", run.all());
}
