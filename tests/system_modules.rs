//! Issue 15's system modules (user, group, authorized_key, cron, getent, known_hosts,
//! hostname, sysctl, mount, modprobe) acting for real on the sshd test hosts, which are this
//! machine as root: accounts, cron files and mounts get unique names (`ferry-t<pid>-...`)
//! and are removed at the end; the hostname only changes inside a UTS namespace of its own;
//! sysctl keys are written inside a network namespace. Each module's second run reports
//! changed=0 and `--check` changes nothing; where practical the same tasks run through
//! ansible-playbook and must report the same `changed` and result keys.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::conformance::{ansible_command, run_command};
use crate::support::{counts, run_playbook, write, SshHosts};

/// A unique name for something this test creates on the machine.
fn unique(what: &str) -> String {
    format!("ferry-t{}-{what}", std::process::id())
}

/// Runs `cmd` through `sh` when dropped (cleanup of users, groups, mounts).
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("sh").arg("-c").arg(&self.0).status();
    }
}

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `pb` with ferry twice (the second run must change nothing) and returns the first run's
/// output.
fn converge(hosts: &SshHosts, pb: &Path, inv: &Path, first_changed: u32) -> String {
    let first = run_playbook(hosts, pb, inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    let changed = first.recap()["host1"]["changed"];
    assert_eq!(changed, first_changed, "{}", first.all());
    let second = run_playbook(hosts, pb, inv, &[]);
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(
        counts(&second, "host1").contains(" changed=0 "),
        "second run changed something\n{}",
        second.all()
    );
    first.all()
}

/// What each tool's registered results say, as written under `out/` by the playbook's
/// `report` tasks: ansible-playbook's, then ferry's, from the same starting state
/// (`reset` runs before each).
fn compare_with_ansible(hosts: &SshHosts, pb: &Path, inv: &Path, reset: &str) {
    let out = hosts.hosts[0].dir.join("out");
    let read = || {
        let mut files: Vec<_> = fs::read_dir(&out)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, fs::read_to_string(p).unwrap())
            })
            .collect::<Vec<_>>()
    };
    sh(reset);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    let mut cmd = ansible_command(hosts, pb);
    cmd.arg("-i").arg(inv);
    let (code, a_out) = run_command(cmd);
    assert_eq!(code, 0, "ansible-playbook failed\n{a_out}");
    let ansible = read();
    sh(reset);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    let f = run_playbook(hosts, pb, inv, &[]);
    assert_eq!(f.code, 0, "{}", f.all());
    let ferry = read();
    assert!(!ansible.is_empty(), "no report files\n{a_out}");
    assert_eq!(ferry, ansible, "== ansible\n{a_out}\n== ferry\n{}", f.all());
}

/// A task that writes what a registered result says (its `changed` and keys, without the
/// ones only Ansible's module runner adds) to `out/<name>`.
fn report(var: &str) -> String {
    format!(
        r#"    - copy:
        dest: "{{{{ host_dir }}}}/out/{var}"
        content: "{{{{ {var}.changed }}}} {{{{ {var}.keys() | reject('in', ['invocation', 'warnings', 'deprecations', 'diff']) | sort | join(' ') }}}}\n"
"#
    )
}

#[test]
fn user_and_group_converge_then_leave() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let (user, group, extra) = (unique("u"), unique("g"), unique("x"));
    let _clean = Cleanup(format!(
        "userdel -r {user} 2>/dev/null; groupdel {group} 2>/dev/null; groupdel {extra} 2>/dev/null"
    ));
    let hash = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNw2xG0TtHKni0";
    let vars = format!(
        "  vars: {{u: {user}, g: {group}, x: {extra}, h: \"{{{{ host_dir }}}}/home/{user}\"}}\n"
    );
    let pb = write(
        &hosts,
        "users.yml",
        &format!(
            r#"- hosts: host1
  gather_facts: no
{vars}  tasks:
    - group: {{name: "{{{{ g }}}}", gid: 23456}}
    - group: {{name: "{{{{ x }}}}", system: yes}}
    - user:
        name: "{{{{ u }}}}"
        comment: Ferry Test
        shell: /bin/sh
        group: "{{{{ g }}}}"
        groups: ["{{{{ x }}}}"]
        password: '{hash}'
        home: "{{{{ h }}}}"
        generate_ssh_key: yes
        ssh_key_type: ed25519
        ssh_key_comment: ferry test key
        expires: 1893456000
        password_expire_max: 90
      register: created
    - assert:
        that:
          - created.uid > 0
          - created.group == 23456
          - created.home == h
          - created.ssh_public_key is match('ssh-ed25519 ')
          - created.ssh_key_file == h + '/.ssh/id_ed25519'
          - created.password == 'NOT_LOGGING_PASSWORD'
"#
        ),
    );
    converge(&hosts, &pb, &inv, 3);
    let passwd = sh(&format!("getent passwd {user}"));
    assert!(
        passwd.contains(":Ferry Test:") && passwd.ends_with(":/bin/sh\n"),
        "{passwd}"
    );
    let shadow = sh(&format!("getent shadow {user}"));
    assert!(shadow.contains(hash) && shadow.contains(":90:"), "{shadow}");
    assert!(shadow.contains(":21915:"), "expiry day: {shadow}");
    assert!(sh(&format!("id -Gn {user}")).contains(&extra));
    let home = hosts.hosts[0].dir.join("home").join(&user);
    assert!(home.join(".ssh/id_ed25519.pub").exists());
    let owner = sh(&format!("stat -c %U {}", home.display()));
    assert_eq!(owner.trim(), user);

    // Changes in check mode change nothing; then for real.
    let change = write(
        &hosts,
        "change.yml",
        &format!(
            r#"- hosts: host1
  gather_facts: no
{vars}  tasks:
    - user: {{name: "{{{{ u }}}}", shell: /bin/bash, groups: [], password_lock: yes, move_home: yes, home: "{{{{ h }}}}2"}}
    - group: {{name: "{{{{ g }}}}", gid: 23457}}
"#
        ),
    );
    let check = run_playbook(&hosts, &change, &inv, &["--check"]);
    assert!(
        counts(&check, "host1").contains("changed=2"),
        "{}",
        check.all()
    );
    assert_eq!(sh(&format!("getent passwd {user}")), passwd);
    converge(&hosts, &change, &inv, 2);
    let now = sh(&format!("getent passwd {user}"));
    assert!(
        now.ends_with(&format!("/home/{user}2:/bin/bash\n")),
        "{now}"
    );
    assert!(sh(&format!("getent shadow {user}")).contains(":!$6$"));
    assert!(!sh(&format!("id -Gn {user}")).contains(&extra));
    assert!(sh(&format!("getent group {group}")).contains(":23457:"));
    assert!(home
        .with_file_name(format!("{user}2"))
        .join(".ssh")
        .exists());

    let gone = write(
        &hosts,
        "gone.yml",
        &format!(
            r#"- hosts: host1
  gather_facts: no
{vars}  tasks:
    - user: {{name: "{{{{ u }}}}", state: absent, remove: yes}}
    - group: {{name: "{{{{ g }}}}", state: absent}}
    - group: {{name: "{{{{ x }}}}", state: absent}}
"#
        ),
    );
    converge(&hosts, &gone, &inv, 3);
    assert_eq!(sh(&format!("getent passwd {user}")), "");
    assert_eq!(sh(&format!("getent group {group}")), "");
}

#[test]
fn user_and_group_results_match_ansible() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let (user, group) = (unique("au"), unique("ag"));
    let reset = format!("userdel -r {user} 2>/dev/null; groupdel {group} 2>/dev/null; true");
    let _clean = Cleanup(reset.clone());
    let pb = write(
        &hosts,
        "compare.yml",
        &format!(
            r#"- hosts: host1
  gather_facts: no
  vars: {{u: {user}, g: {group}}}
  tasks:
    - group: {{name: "{{{{ g }}}}"}}
      register: g1
    - group: {{name: "{{{{ g }}}}", gid: 23458}}
      register: g2
    - user: {{name: "{{{{ u }}}}", group: "{{{{ g }}}}", create_home: no, shell: /bin/sh}}
      register: u1
    - user: {{name: "{{{{ u }}}}", comment: Hi, groups: "{{{{ g }}}}", append: yes}}
      register: u2
    - user: {{name: "{{{{ u }}}}", generate_ssh_key: yes, ssh_key_file: "{{{{ host_dir }}}}/key"}}
      register: u3
    - user: {{name: "{{{{ u }}}}", state: absent, remove: yes, force: yes}}
      register: u4
    - user: {{name: "{{{{ u }}}}", state: absent}}
      register: u5
    - group: {{name: "{{{{ g }}}}", state: absent}}
      register: g3
{}{}{}{}{}{}{}{}"#,
            report("g1"),
            report("g2"),
            report("u1"),
            report("u2"),
            report("u3"),
            report("u4"),
            report("u5"),
            report("g3"),
        ),
    );
    let key = hosts.hosts[0].dir.join("key");
    compare_with_ansible(
        &hosts,
        &pb,
        &inv,
        &format!("{reset}; rm -f {0} {0}.pub", key.display()),
    );
}

#[test]
fn cron_files_and_crontabs_converge_like_ansible() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let (user, file) = (unique("cu"), unique("cron"));
    let path = format!("/etc/cron.d/{file}");
    let reset = format!("crontab -r -u {user} 2>/dev/null; rm -f {path}; true");
    let _clean = Cleanup(format!("{reset}; userdel -r {user} 2>/dev/null"));
    sh(&format!("useradd -M {user}"));
    let tasks = format!(
        r#"- hosts: host1
  gather_facts: no
  vars: {{u: {user}, f: {file}}}
  tasks:
    - cron: {{name: nightly, minute: 5, hour: 2, job: /bin/true, cron_file: "{{{{ f }}}}", user: root}}
      register: c1
    - cron: {{name: weekly, special_time: weekly, job: /bin/true 2, cron_file: "{{{{ f }}}}", user: nobody, disabled: yes}}
      register: c2
    - cron: {{name: PATH, env: yes, job: /usr/bin:/bin, cron_file: "{{{{ f }}}}", user: root}}
      register: c3
    - cron: {{name: MAILTO, env: yes, job: root, user: "{{{{ u }}}}"}}
      register: c4
    - cron: {{name: SHELL, env: yes, job: /bin/sh, insertbefore: MAILTO, user: "{{{{ u }}}}"}}
      register: c6
    - cron: {{name: tick, job: date, minute: "*/10", user: "{{{{ u }}}}", backup: yes}}
      register: c5
"#
    );
    let pb = write(&hosts, "cron.yml", &tasks);
    converge(&hosts, &pb, &inv, 6);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "PATH=\"/usr/bin:/bin\"\n#Ansible: nightly\n5 2 * * * root /bin/true\n#Ansible: weekly\n#@weekly nobody /bin/true 2\n"
    );
    let tab = sh(&format!("crontab -l -u {user}"));
    assert!(
        tab.ends_with("SHELL=\"/bin/sh\"\nMAILTO=\"root\"\n#Ansible: tick\n*/10 * * * * date\n"),
        "{tab}"
    );
    let gone = write(
        &hosts,
        "cron-gone.yml",
        &format!(
            r#"- hosts: host1
  gather_facts: no
  tasks:
    - cron: {{name: nightly, state: absent, cron_file: {file}}}
    - cron: {{name: weekly, state: absent, cron_file: {file}}}
    - cron: {{name: PATH, env: yes, state: absent, cron_file: {file}}}
    - cron: {{name: tick, state: absent, user: {user}}}
"#
        ),
    );
    let check = run_playbook(&hosts, &gone, &inv, &["--check"]);
    assert!(
        counts(&check, "host1").contains("changed=4"),
        "{}",
        check.all()
    );
    assert!(Path::new(&path).exists());
    converge(&hosts, &gone, &inv, 4);
    assert!(
        !Path::new(&path).exists(),
        "a cron file left empty is removed"
    );
    let tab = sh(&format!("crontab -l -u {user}"));
    assert!(
        tab.ends_with("SHELL=\"/bin/sh\"\nMAILTO=\"root\"\n"),
        "{tab}"
    );

    let mut compare = tasks.clone();
    for r in ["c1", "c2", "c3", "c4", "c5", "c6"] {
        compare.push_str(&report(r).replace("keys()", "keys() | reject('eq', 'backup_file')"));
    }
    let cmp = write(&hosts, "cron-compare.yml", &compare);
    compare_with_ansible(&hosts, &cmp, &inv, &reset);
}
