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
    compare_in(hosts, pb, inv, &out, &|| {
        sh(reset);
    });
}

/// [`compare_with_ansible`] for reports written to `out`, with `reset` run before each tool.
fn compare_in(hosts: &SshHosts, pb: &Path, inv: &Path, out: &Path, reset: &dyn Fn()) {
    let read = || {
        let mut files: Vec<_> = fs::read_dir(out)
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
    reset();
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out).unwrap();
    let mut cmd = ansible_command(hosts, pb);
    cmd.arg("-i")
        .arg(inv)
        .env("ANSIBLE_COLLECTIONS_PATH", collections_path());
    let (code, a_out) = run_command(cmd);
    assert_eq!(code, 0, "ansible-playbook failed\n{a_out}");
    let ansible = read();
    reset();
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out).unwrap();
    let f = run_playbook(hosts, pb, inv, &[]);
    assert_eq!(f.code, 0, "{}", f.all());
    let ferry = read();
    assert!(!ansible.is_empty(), "no report files\n{a_out}");
    assert_eq!(ferry, ansible, "== ansible\n{a_out}\n== ferry\n{}", f.all());
}

/// Where the corpus keeps ansible.posix and community.general (scripts/corpus.sh).
fn collections_path() -> String {
    let script = crate::support::root().join("scripts/corpus.sh");
    let out = Command::new("bash").arg(script).output().unwrap();
    assert!(out.status.success(), "scripts/corpus.sh failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
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
    let check = run_playbook(&hosts, &gone, &inv, &["--check", "--diff"]);
    assert!(
        counts(&check, "host1").contains("changed=4"),
        "{}",
        check.all()
    );
    let shown = check.all();
    assert!(
        shown.contains("-#Ansible: nightly\n-5 2 * * * root /bin/true"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("crontab for user \"{user}\"")),
        "{shown}"
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

/// A host of its own: sshd in a network namespace (reached over a veth pair) and in UTS and
/// mount namespaces of its own, where /etc/hostname is a bind-mounted scratch file and
/// /run/systemd is hidden, so `hostname` and `sysctl` tasks change nothing of the machine.
struct Isolated {
    ns: String,
    outside: String,
    sshd: std::process::Child,
    dir: tempfile::TempDir,
    addr: String,
}

impl Isolated {
    fn start(hosts: &SshHosts) -> Isolated {
        use crate::support::netns;
        let id = std::process::id() % 100_000;
        let (ns, outside, inside) = (format!("ferry-s{id}"), format!("fs{id}"), format!("ft{id}"));
        let net = format!("10.216.{}", id % 250);
        let addr = format!("{net}.2");
        netns::veth_namespace(&ns, &outside, &inside, &net);
        let dir = tempfile::Builder::new()
            .prefix("ferry-iso-")
            .tempdir()
            .unwrap();
        let name_file = dir.path().join("etc-hostname");
        fs::write(&name_file, "isolated\n").unwrap();
        let setup = format!(
            "mount --bind {} /etc/hostname && hostname isolated && \
             {{ [ ! -d /run/systemd ] || mount -t tmpfs none /run/systemd; }} && exec \"$0\" \"$@\"",
            name_file.display()
        );
        let wrapper = ["unshare", "--uts", "--mount", "sh", "-c", setup.as_str()];
        let (sshd, known) = netns::sshd_through(&ns, &wrapper, &addr, dir.path(), &hosts.user_key);
        let mut kh = fs::OpenOptions::new()
            .append(true)
            .open(&hosts.known_hosts)
            .unwrap();
        std::io::Write::write_all(&mut kh, known.as_bytes()).unwrap();
        netns::wait_for_ssh(&addr);
        Isolated {
            ns,
            outside,
            sshd,
            dir,
            addr,
        }
    }

    /// Its inventory line (`iso`).
    fn inventory_line(&self, hosts: &SshHosts) -> String {
        format!(
            "iso ansible_host={} ansible_user=root ansible_ssh_private_key_file={} host_dir={}\n",
            self.addr,
            hosts.user_key.display(),
            self.dir.path().display()
        )
    }

    /// Runs `cmd` inside its namespaces (those of its sshd).
    fn sh(&self, cmd: &str) -> String {
        let pid = self.sshd.id().to_string();
        let out = Command::new("nsenter")
            .args(["-t", &pid, "-a", "sh", "-c", cmd])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        crate::support::netns::remove(&self.ns, &mut self.sshd);
        let _ = Command::new("ip")
            .args(["link", "del", &self.outside])
            .status();
    }
}

#[test]
fn hostname_and_sysctl_in_namespaces_of_their_own() {
    let hosts = SshHosts::start(1);
    let iso = Isolated::start(&hosts);
    let inv = hosts.inventory(&iso.inventory_line(&hosts));
    let machine = sh("hostname");
    let name = format!("{}.example.test", unique("h"));
    let conf = iso.dir.path().join("sysctl.conf");
    fs::write(&conf, "# kept\nnet.ipv4.tcp_syncookies = 1\n").unwrap();
    let pb = write(
        &hosts,
        "iso.yml",
        &format!(
            r#"- hosts: iso
  gather_facts: no
  tasks:
    - hostname: {{name: {name}}}
      register: h
    - assert:
        that:
          - h.ansible_facts.ansible_hostname == '{short}'
          - h.ansible_facts.ansible_nodename == '{name}'
          - ansible_hostname == '{short}'
    - sysctl: {{name: net.ipv4.ip_default_ttl, value: "65", sysctl_file: {conf}, sysctl_set: yes}}
    - sysctl: {{name: net.ipv4.conf.all.forwarding, value: yes, sysctl_file: {conf}, reload: no}}
    - sysctl: {{name: net.ipv4.tcp_syncookies, state: absent, sysctl_file: {conf}, reload: no}}
"#,
            short = name.split('.').next().unwrap(),
            conf = conf.display()
        ),
    );
    let check = run_playbook(&hosts, &pb, &inv, &["--check"]);
    assert!(
        counts(&check, "iso").contains("changed=4"),
        "{}",
        check.all()
    );
    assert_eq!(iso.sh("hostname"), "isolated\n");
    assert_eq!(iso.sh("sysctl -n net.ipv4.ip_default_ttl"), "64\n");
    let first = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        counts(&first, "iso").contains("changed=4"),
        "{}",
        first.all()
    );
    let second = run_playbook(&hosts, &pb, &inv, &[]);
    assert!(
        counts(&second, "iso").contains(" changed=0 "),
        "{}",
        second.all()
    );
    assert_eq!(iso.sh("hostname"), format!("{name}\n"));
    assert_eq!(iso.sh("cat /etc/hostname"), format!("{name}\n"));
    assert_eq!(sh("hostname"), machine, "the machine keeps its name");
    assert_eq!(iso.sh("sysctl -n net.ipv4.ip_default_ttl"), "65\n");
    assert_eq!(
        sh("sysctl -n net.ipv4.ip_default_ttl"),
        "64\n",
        "the machine's is untouched"
    );
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        "# kept\nnet.ipv4.ip_default_ttl=65\nnet.ipv4.conf.all.forwarding=1\n"
    );

    // The same tasks through ansible-playbook report the same changes and keys.
    let mut compare = fs::read_to_string(&pb)
        .unwrap()
        .replace("- sysctl: {", "- ansible.posix.sysctl: {");
    for (i, task) in ["s1", "s2", "s3"].iter().enumerate() {
        let nth = compare
            .match_indices("- ansible.posix.sysctl")
            .nth(i)
            .unwrap()
            .0;
        let end = nth + compare[nth..].find('\n').unwrap() + 1;
        compare.insert_str(end, &format!("      register: {task}\n"));
    }
    for r in ["h", "s1", "s2", "s3"] {
        compare.push_str(&report(r));
    }
    let cmp = write(&hosts, "iso-compare.yml", &compare);
    let reset = || {
        iso.sh("hostname isolated; echo isolated > /etc/hostname; sysctl -qw net.ipv4.ip_default_ttl=64");
        fs::write(&conf, "# kept\nnet.ipv4.tcp_syncookies = 1\n").unwrap();
    };
    compare_in(&hosts, &cmp, &inv, &iso.dir.path().join("out"), &reset);
}

/// A new ed25519 public key line with `comment`.
fn public_key(hosts: &SshHosts, name: &str, comment: &str) -> String {
    let path = hosts.path(name);
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(path.with_extension("pub"));
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(ok.success());
    fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn authorized_key_known_hosts_and_getent_like_ansible() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let user = unique("ku");
    let home = hosts.hosts[0].dir.join("khome");
    let reset = format!(
        "userdel -r {user} 2>/dev/null; rm -rf {}; useradd -m -d {} {user}",
        home.display(),
        home.display()
    );
    let _clean = Cleanup(format!("userdel -r {user} 2>/dev/null; true"));
    let (k1, k2) = (
        public_key(&hosts, "k1", "one@x"),
        public_key(&hosts, "k2", "two@x"),
    );
    let host_key = public_key(&hosts, "hk", "");
    let kh = hosts.hosts[0].dir.join("kh");
    let tasks = format!(
        r#"- hosts: host1
  gather_facts: no
  vars: {{u: {user}, kh: "{kh}"}}
  tasks:
    - authorized_key: {{user: "{{{{ u }}}}", key: "{k1}", key_options: 'no-pty,from="10.0.0.1"'}}
      register: a1
    - authorized_key: {{user: "{{{{ u }}}}", key: "{k2}", comment: second}}
      register: a2
    - known_hosts: {{name: server.example, key: "server.example {host_key}", path: "{{{{ kh }}}}"}}
      register: n1
    - known_hosts: {{name: other.example, key: "other.example {host_key}", path: "{{{{ kh }}}}", hash_host: yes}}
      register: n2
    - known_hosts: {{name: gone.example, path: "{{{{ kh }}}}", state: absent}}
      register: n3
    - getent: {{database: passwd, key: "{{{{ u }}}}"}}
      register: g1
    - getent: {{database: hosts, key: no-such-host.invalid, fail_key: no}}
      register: g2
    - assert:
        that:
          - getent_passwd[u][4] == '{home}'
          - g2.ansible_facts.getent_hosts['no-such-host.invalid'] is none
"#,
        kh = kh.display(),
        home = home.display(),
    );
    let pb = write(&hosts, "keys.yml", &tasks);
    sh(&reset);
    converge(&hosts, &pb, &inv, 4);
    let auth = fs::read_to_string(home.join(".ssh/authorized_keys")).unwrap();
    let (k1_data, k2_data) = (
        k1.split_whitespace().nth(1).unwrap(),
        k2.split_whitespace().nth(1).unwrap(),
    );
    assert_eq!(
        auth,
        format!(
            "no-pty,from=\"10.0.0.1\" ssh-ed25519 {k1_data} one@x\nssh-ed25519 {k2_data} second\n"
        )
    );
    let only = format!(
        "- hosts: host1\n  gather_facts: no\n  tasks:\n    - authorized_key: {{user: {user}, key: \"{k2}\", comment: second, exclusive: yes}}\n      register: a3\n"
    );
    let only_pb = write(&hosts, "keys-exclusive.yml", &only);
    converge(&hosts, &only_pb, &inv, 1);
    let auth = fs::read_to_string(home.join(".ssh/authorized_keys")).unwrap();
    assert_eq!(auth, format!("ssh-ed25519 {k2_data} second\n"));
    assert_eq!(
        sh(&format!(
            "stat -c '%U %a' {0}/.ssh {0}/.ssh/authorized_keys",
            home.display()
        )),
        format!("{user} 700\n{user} 600\n")
    );
    let known = fs::read_to_string(&kh).unwrap();
    assert!(
        known.starts_with(&format!("server.example {host_key}\n|1|")),
        "{known}"
    );
    let found = sh(&format!("ssh-keygen -F other.example -f {}", kh.display()));
    assert!(found.contains("found: line 2"), "{found}");
    let forget = write(
        &hosts,
        "forget.yml",
        &format!(
            "- hosts: host1\n  gather_facts: no\n  tasks:\n    - known_hosts: {{name: server.example, state: absent, path: \"{}\"}}\n",
            kh.display()
        ),
    );
    converge(&hosts, &forget, &inv, 1);
    let known = fs::read_to_string(&kh).unwrap();
    assert!(
        !known.contains("server.example") && known.starts_with("|1|"),
        "{known}"
    );

    let mut compare = tasks.clone() + only.split_once("tasks:\n").unwrap().1;
    for r in ["a1", "a2", "a3", "n1", "n2", "n3", "g1", "g2"] {
        compare.push_str(&report(r));
    }
    let cmp = write(&hosts, "keys-compare.yml", &compare);
    compare_with_ansible(
        &hosts,
        &cmp,
        &inv,
        &format!("{reset}; rm -f {}", kh.display()),
    );
}

#[test]
fn mount_a_tmpfs_through_its_own_fstab() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let dir = hosts.hosts[0].dir.join(unique("mnt"));
    let fstab = hosts.hosts[0].dir.join("fstab");
    fs::write(&fstab, "# test fstab\n").unwrap();
    let _clean = Cleanup(format!(
        "umount {0} 2>/dev/null; umount {0} 2>/dev/null; true",
        dir.display()
    ));
    let play = |tasks: &str| {
        format!(
            "- hosts: host1\n  gather_facts: no\n  vars: {{d: \"{}\", f: \"{}\"}}\n  tasks:\n{tasks}",
            dir.display(),
            fstab.display()
        )
    };
    let mounted = write(
        &hosts,
        "mount.yml",
        &play(
            r#"    - mount: {path: "{{ d }}", src: ferrytmp, fstype: tmpfs, opts: "size=1m,mode=0750", state: mounted, fstab: "{{ f }}"}
      register: m
    - assert:
        that:
          - m.name == d
          - m.opts == 'size=1m,mode=0750'
          - m.boot == 'yes'
"#,
        ),
    );
    let check = run_playbook(&hosts, &mounted, &inv, &["--check"]);
    assert!(
        counts(&check, "host1").contains("changed=1"),
        "{}",
        check.all()
    );
    assert_eq!(fs::read_to_string(&fstab).unwrap(), "# test fstab\n");
    converge(&hosts, &mounted, &inv, 1);
    let line = format!("ferrytmp {} tmpfs size=1m,mode=0750 0 0\n", dir.display());
    assert_eq!(
        fs::read_to_string(&fstab).unwrap(),
        format!("# test fstab\n{line}")
    );
    assert_eq!(
        sh(&format!("findmnt -rn -o SOURCE,FSTYPE {}", dir.display())),
        "ferrytmp tmpfs\n"
    );

    // A changed line is written and remounted; then unmounted; then removed with its dir.
    let bigger = write(
        &hosts,
        "bigger.yml",
        &play(
            r#"    - mount: {path: "{{ d }}", src: ferrytmp, fstype: tmpfs, opts: "size=2m", state: mounted, fstab: "{{ f }}", backup: yes}
      register: b
    - assert: {that: [b.backup_file is match(f) or not b.changed]}
"#,
        ),
    );
    converge(&hosts, &bigger, &inv, 1);
    assert!(sh(&format!("findmnt -rn -o OPTIONS {}", dir.display())).contains("size=2048k"));
    let unmount = write(
        &hosts,
        "unmount.yml",
        &play("    - mount: {path: \"{{ d }}\", state: unmounted, fstab: \"{{ f }}\"}\n"),
    );
    converge(&hosts, &unmount, &inv, 1);
    assert_eq!(sh(&format!("findmnt -rn {}", dir.display())), "");
    let ephemeral = write(&hosts, "ephemeral.yml", &play("    - mount: {path: \"{{ d }}\", src: ferryeph, fstype: tmpfs, state: ephemeral}\n    - mount: {path: \"{{ d }}\", state: unmounted}\n"));
    let run = run_playbook(&hosts, &ephemeral, &inv, &[]);
    assert!(counts(&run, "host1").contains("changed=2"), "{}", run.all());
    let absent = write(
        &hosts,
        "absent.yml",
        &play("    - mount: {path: \"{{ d }}\", state: absent, fstab: \"{{ f }}\"}\n"),
    );
    converge(&hosts, &absent, &inv, 1);
    assert_eq!(fs::read_to_string(&fstab).unwrap(), "# test fstab\n");
    assert!(!dir.exists());

    // The same steps through ansible-playbook report the same changes and keys.
    let steps = r#"    - ansible.posix.mount: {path: "{{ d }}", src: ferrytmp, fstype: tmpfs, opts: "size=1m", state: mounted, fstab: "{{ f }}", boot: no}
      register: m1
    - ansible.posix.mount: {path: "{{ d }}", src: ferrytmp, fstype: tmpfs, opts: "size=2m", state: present, fstab: "{{ f }}"}
      register: m2
    - ansible.posix.mount: {path: "{{ d }}", state: remounted, fstab: "{{ f }}"}
      register: m3
    - ansible.posix.mount: {path: "{{ d }}", state: unmounted, fstab: "{{ f }}"}
      register: m4
    - ansible.posix.mount: {path: "{{ d }}", state: unmounted, fstab: "{{ f }}"}
      register: m5
    - ansible.posix.mount: {path: "{{ d }}", state: absent, fstab: "{{ f }}"}
      register: m6
"#;
    let mut compare = play(steps);
    for r in ["m1", "m2", "m3", "m4", "m5", "m6"] {
        compare.push_str(&report(r));
    }
    let cmp = write(&hosts, "mount-compare.yml", &compare);
    let reset = format!(
        "umount {0} 2>/dev/null; rmdir {0} 2>/dev/null; printf '# test fstab\\n' > {1}",
        dir.display(),
        fstab.display()
    );
    compare_with_ansible(&hosts, &cmp, &inv, &reset);
}

/// Kernel modules cannot be loaded in the test container (no /lib/modules, no
/// /proc/modules): `modprobe` itself is a recording stand-in on the host's PATH, and what is
/// real is the persistence files under /etc/modules-load.d and /etc/modprobe.d.
#[test]
fn modprobe_persistence_files() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let name = unique("mod").replace('-', "_");
    let (load, opts) = (
        format!("/etc/modules-load.d/{name}.conf"),
        format!("/etc/modprobe.d/{name}.conf"),
    );
    let _clean = Cleanup(format!("rm -f {load} {opts}"));
    let log = hosts.hosts[0].dir.join("modprobe.log");
    hosts.install_script(
        "modprobe",
        &format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\n", log.display()),
    );
    let present = write(
        &hosts,
        "modprobe.yml",
        &format!(
            "- hosts: host1\n  gather_facts: no\n  tasks:\n    - community.general.modprobe: {{name: {name}, params: 'numdummies=2 x=1', persistent: present}}\n      register: m\n    - assert: {{that: [\"m.params == 'numdummies=2 x=1'\"]}}\n"
        ),
    );
    let check = run_playbook(&hosts, &present, &inv, &["--check"]);
    assert!(
        counts(&check, "host1").contains("changed=1"),
        "{}",
        check.all()
    );
    assert!(!Path::new(&load).exists());
    converge(&hosts, &present, &inv, 1);
    assert_eq!(fs::read_to_string(&load).unwrap(), format!("{name}\n"));
    assert_eq!(
        fs::read_to_string(&opts).unwrap(),
        format!("options {name} numdummies=2\noptions {name} x=1\n")
    );
    let calls = fs::read_to_string(&log).unwrap();
    assert!(
        calls.starts_with(&format!(
            "-n {name} numdummies=2 x=1\n{name} numdummies=2 x=1\n"
        )),
        "{calls}"
    );
    let absent = write(
        &hosts,
        "modprobe-absent.yml",
        &format!("- hosts: host1\n  gather_facts: no\n  tasks:\n    - modprobe: {{name: {name}, state: absent, persistent: absent}}\n"),
    );
    converge(&hosts, &absent, &inv, 1);
    assert_eq!(fs::read_to_string(&load).unwrap(), format!("#{name}\n"));
    assert_eq!(
        fs::read_to_string(&opts).unwrap(),
        format!("#options {name} numdummies=2\n#options {name} x=1\n")
    );
}

#[test]
fn bad_choices_are_refused_at_load() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    for (task, arg, allowed) in [
        ("user: {name: x, state: gone}", "state", "absent, present"),
        (
            "user: {name: x, update_password: sometimes}",
            "update_password",
            "always, on_create",
        ),
        (
            "cron: {name: x, job: y, special_time: hourlyish}",
            "special_time",
            "reboot, yearly, annually, monthly, weekly, daily, hourly",
        ),
        (
            "ansible.posix.mount: {path: /x, state: up}",
            "state",
            "absent, absent_from_fstab, mounted, present, unmounted, remounted, ephemeral",
        ),
        ("hostname: {name: x, use: plan9}", "use", "alpine, darwin"),
        (
            "community.general.modprobe: {name: x, persistent: maybe}",
            "persistent",
            "disabled, present, absent",
        ),
    ] {
        let pb = write(
            &hosts,
            "bad.yml",
            &format!("- hosts: host1\n  gather_facts: no\n  tasks:\n    - {task}\n"),
        );
        let run = run_playbook(&hosts, &pb, &inv, &[]);
        assert_ne!(run.code, 0, "{task}");
        let out = run.all();
        assert!(out.contains("bad.yml:4:"), "{task}: {out}");
        assert!(
            out.contains(&format!("value of {arg} must be one of")) && out.contains(allowed),
            "{task}: {out}"
        );
        assert!(!hosts.any_connection(), "no host is touched: {task}");
    }
}
