//! `become` on real sshd hosts: through sudo to another user, and with a sudo password for a
//! non-root login user — the password goes to sudo on stdin and never appears in any output;
//! through su from a root login, and su with a password, typed on a terminal.

use std::fs;
use std::process::Command;

use crate::support::{counts, run_playbook, write, SshHosts};

const USER: &str = "ferrybecome";
const PASSWORD: &str = "s3cret-Become-pw";

/// A non-root user whose sudo needs a password (made once; the tests run as root).
fn ensure_user() {
    set_password(USER, PASSWORD);
    fs::write(
        format!("/etc/sudoers.d/{USER}"),
        format!("{USER} ALL=(ALL:ALL) ALL\n"),
    )
    .unwrap();
}

/// Makes `user` (once) and sets its password.
fn set_password(user: &str, password: &str) {
    let exists = Command::new("id")
        .arg(user)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !exists {
        let ok = Command::new("useradd")
            .args(["-M", "-s", "/bin/sh", user])
            .status()
            .expect("useradd runs");
        assert!(ok.success(), "useradd {user}");
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
        .write_all(format!("{user}:{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
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
    let line = hosts.host_line_as(h, USER, true);
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
fn become_through_su_from_a_root_login() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let pb = write(
        &hosts,
        "su.yml",
        "- hosts: all\n  gather_facts: no\n  become: yes\n  become_method: su\n  become_user: nobody\n  tasks:\n    - command: whoami\n      register: who\n    - copy:\n        content: \"{{ who.stdout }}\\n\"\n        dest: \"{{ host_dir }}/su-whoami\"\n      become: no\n",
    );
    // su does not ask root for a password: with one given or not, the command runs.
    for extra in ["", "[all:vars]\nansible_become_password=pw-for-su\n"] {
        let _ = fs::remove_file(h.dir.join("su-whoami"));
        let run = run_playbook(&hosts, &pb, &hosts.inventory(extra), &[]);
        assert_eq!(run.code, 0, "{}", run.all());
        assert_eq!(
            fs::read_to_string(h.dir.join("su-whoami")).unwrap().trim(),
            "nobody"
        );
        assert!(!run.all().contains("pw-for-su"), "{}", run.all());
    }
}

const SU_USER: &str = "ferrysu";
const SU_PASSWORD: &str = "su-Pass word'4";

/// su with a password, as Ansible does it: on a terminal that answers su's prompt. A
/// non-root login (`ferrybecome`) becomes `ferrysu`; stdin (an upload with control bytes),
/// stdout, stderr and the status each come back apart; a wrong password fails the task.
#[test]
fn become_through_su_with_a_password_on_a_terminal() {
    ensure_user();
    set_password(SU_USER, SU_PASSWORD);
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let su_dir = h.dir.join("su");
    fs::create_dir_all(&su_dir).unwrap();
    let _ = Command::new("chown").arg(SU_USER).arg(&su_dir).status();
    let _ = Command::new("chmod")
        .args(["755", &hosts.dir.path().display().to_string()])
        .arg(&h.dir)
        .status();
    let line = |password: &str| {
        format!(
            "host1 ansible_host={} ansible_port={} ansible_user={USER} ansible_ssh_private_key_file={} host_dir={} su_dir={} ansible_become_password=\"{password}\"\n",
            h.addr,
            h.port,
            hosts.user_key.display(),
            h.dir.display(),
            su_dir.display(),
        )
    };
    let pb = write(
        &hosts,
        "su-pw.yml",
        "- hosts: all\n  gather_facts: no\n  become: yes\n  become_method: su\n  become_user: ferrysu\n  vars:\n    blob: \"tab\\t ctrl-c \\x03 ctrl-d \\x04 del \\x7f xoff \\x13 cr \\r é\\n\"\n  tasks:\n    - command: whoami\n      register: who\n    - copy:\n        content: \"{{ who.stdout }}\\n{{ blob }}\"\n        dest: \"{{ su_dir }}/who\"\n    - shell: cat {{ su_dir }}/who; echo to-stderr >&2; exit 3\n      register: back\n      failed_when: back.rc != 3\n    - assert:\n        that:\n          - back.stdout == (who.stdout ~ '\\n' ~ blob).rstrip('\\n')\n          - back.stderr == 'to-stderr'\n    - fetch:\n        src: \"{{ su_dir }}/who\"\n        dest: \"{{ host_dir }}/fetched\"\n        flat: yes\n",
    );
    let inv = write(&hosts, "su-pw.ini", &line(SU_PASSWORD));
    let run = run_playbook(&hosts, &pb, &inv, &["-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let want = "ferrysu\ntab\t ctrl-c \x03 ctrl-d \x04 del \x7f xoff \x13 cr \r é\n";
    assert_eq!(fs::read_to_string(su_dir.join("who")).unwrap(), want);
    assert_eq!(fs::read_to_string(h.dir.join("fetched")).unwrap(), want);
    assert!(!run.all().contains(SU_PASSWORD), "{}", run.all());
    // Converged: the checksum under su sees the same file (command and shell always change).
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(
        counts(&run, "host1"),
        "ok=5 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );

    let wrong = write(&hosts, "su-wrong.ini", &line("not-the-su-pw"));
    let run = run_playbook(&hosts, &pb, &wrong, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("incorrect su password"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host1"),
        "ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0"
    );
    assert!(!run.all().contains("not-the-su-pw"), "{}", run.all());
}

/// `become_exe` and `become_flags` (keywords, and the host's variables over them, as in
/// Ansible), the `port` keyword where the host names no port, and `debugger`, which ferry
/// accepts and, having no interactive debugger, notes.
#[test]
fn become_exe_flags_port_and_debugger_keywords() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    for name in ["mysudo", "othersudo"] {
        hosts.install_script(
            name,
            &format!(
                "#!/bin/sh\necho \"{name} $*\" >> {}/sudo.log\nexec sudo \"$@\"\n",
                h.dir.display()
            ),
        );
    }
    // No ansible_port: the play's `port` keyword says where sshd listens.
    let inv = write(
        &hosts,
        "noport.ini",
        &format!("{}\n", hosts.host_line_as(h, "root", false)),
    );
    let pb = write(
        &hosts,
        "exe.yml",
        &format!(
            "- hosts: all\n  gather_facts: no\n  port: {}\n  become_exe: \"{{{{ host_dir }}}}/bin/mysudo\"\n  tasks:\n    - command: whoami\n      become: yes\n      become_flags: -H -S -n -E\n      register: who\n    - command: whoami\n      become: yes\n      vars:\n        ansible_become_exe: \"{{{{ host_dir }}}}/bin/othersudo\"\n    - command: \"false\"\n      debugger: on_failed\n      ignore_errors: yes\n    - copy:\n        content: \"{{{{ who.stdout }}}}\\n\"\n        dest: \"{{{{ host_dir }}}}/who\"\n",
            h.port
        ),
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(fs::read_to_string(h.dir.join("who")).unwrap(), "root\n");
    let log = fs::read_to_string(h.dir.join("sudo.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].starts_with("mysudo -H -S -n -E -u root -- /bin/sh -c"),
        "{log}"
    );
    assert!(lines[1].starts_with("othersudo -H -S -n -u root"), "{log}");
    assert!(
        run.all().contains("ferry has no interactive task debugger"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host1"),
        "ok=4 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1"
    );
}
