//! Issue 2, the core engine, end to end on real sshd hosts: the reference playbooks, failing and
//! unreachable hosts, host keys, handlers, ignore_errors, variables and output formats.

use std::fs;

use crate::support::{counts, run_playbook, write, SshHosts};

/// A `docker` that records its argv and cwd, and whose `rmi` fails for an absent image.
const FAKE_DOCKER: &str = r#"#!/bin/sh
dir="$HOME/.."
echo "$(pwd) $*" >> "$dir/docker.log"
case "$1" in
  rmi) grep -qx "$2" "$dir/images" 2>/dev/null || { echo "Error: No such image: $2" >&2; exit 1; }
       grep -vx "$2" "$dir/images" > "$dir/images.new"; mv "$dir/images.new" "$dir/images";;
  build) echo "$3" >> "$dir/images"; echo "Successfully built";;
  push) echo "The push refers to repository [docker.io/$2]";;
esac
"#;

fn repo_file(rel: &str) -> std::path::PathBuf {
    crate::support::root().join(rel)
}

#[test]
fn reference_playbook_runs_unmodified() {
    let original = fs::read(repo_file(
        "../shared/examples/create-cicd-devops-images.yml",
    ))
    .or_else(|_| fs::read(repo_file("playbooks/create-cicd-devops-images.yml")))
    .unwrap();
    let ours = fs::read(repo_file("playbooks/create-cicd-devops-images.yml")).unwrap();
    assert_eq!(
        original, ours,
        "playbooks/ must hold the reference playbook byte for byte"
    );
    let hosts = SshHosts::start(3);
    hosts.install_script("docker", FAKE_DOCKER);
    let inv = hosts.inventory("");
    let run = run_playbook(
        &hosts,
        &repo_file("playbooks/create-cicd-devops-images.yml"),
        &inv,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    for h in &hosts.hosts {
        assert_eq!(
            counts(&run, &h.name),
            "ok=5 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1",
            "{}",
            run.all()
        );
        let log = fs::read_to_string(h.dir.join("docker.log")).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 4, "{log}");
        assert!(
            lines[0].ends_with(" rmi kamser0415/cicd-project-ansible"),
            "{log}"
        );
        assert_eq!(
            lines[1],
            "/root build -t kamser0415/cicd-project-ansible -f Dockerfile ."
        );
        assert!(
            lines[2].ends_with(" push kamser0415/cicd-project-ansible"),
            "{log}"
        );
        assert!(
            lines[3].ends_with(" rmi kamser0415/cicd-project-ansible"),
            "{log}"
        );
    }
    assert_eq!(
        run.stdout.matches("...ignoring").count(),
        3,
        "{}",
        run.all()
    );
}

#[test]
fn handlers_run_in_definition_order() {
    let hosts = SshHosts::start(2);
    for h in &hosts.hosts {
        let _ = fs::remove_file(format!("/tmp/handlers-order-{}.log", h.name));
    }
    let inv = hosts.inventory("");
    let run = run_playbook(
        &hosts,
        &repo_file("playbooks/handlers-order.yml"),
        &inv,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    for h in &hosts.hosts {
        let path = format!("/tmp/handlers-order-{}.log", h.name);
        let log = fs::read_to_string(&path).unwrap();
        assert_eq!(log, "task\nrestart app\nreload proxy\n", "{path}");
        let _ = fs::remove_file(path);
    }
}

#[test]
fn a_failing_host_does_not_stop_the_others() {
    let hosts = SshHosts::start(3);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "fail.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname == 'host2'\n    - shell: echo done > {{ host_dir }}/done\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("fatal: [host2]: FAILED!"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host2"),
        "ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0"
    );
    for name in ["host1", "host3"] {
        assert_eq!(
            counts(&run, name),
            "ok=1 changed=1 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0"
        );
        assert!(hosts.host(name).dir.join("done").exists());
    }
    assert!(!hosts.host("host2").dir.join("done").exists());
}

#[test]
fn an_unreachable_host_is_reported_and_the_others_go_on() {
    let mut hosts = SshHosts::start(3);
    let inv = hosts.inventory("");
    hosts.hosts[1].stop();
    let pb = write(
        &hosts,
        "touch.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/touched\n      ignore_errors: yes\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &["-T", "3"]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stdout.contains("fatal: [host2]: UNREACHABLE!"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "host2"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0"
    );
    assert!(hosts.host("host1").dir.join("touched").exists());
    assert!(hosts.host("host3").dir.join("touched").exists());
}

#[test]
fn an_unknown_host_key_is_refused() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    fs::write(&hosts.known_hosts, "").unwrap();
    let pb = write(
        &hosts,
        "t.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/x\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(run.stdout.contains("UNREACHABLE!"), "{}", run.all());
    let h = hosts.host("host1");
    assert!(
        run.stdout.contains(&h.addr),
        "the message names the host: {}",
        run.all()
    );
    assert!(
        run.stdout.contains("known_hosts"),
        "the message says what to do: {}",
        run.all()
    );
    assert!(!h.dir.join("x").exists());
}

#[test]
fn a_changed_host_key_is_refused_even_with_accept_new() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let h = hosts.host("host1");
    let other = hosts.path("otherkey");
    std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    let key = fs::read_to_string(other.with_extension("pub")).unwrap();
    let mut parts = key.split_whitespace();
    let line = format!(
        "[{}]:{} {} {}\n",
        h.addr,
        h.port,
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    fs::write(&hosts.known_hosts, line).unwrap();
    let pb = write(
        &hosts,
        "t.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/x\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &["--host-key-checking", "accept-new"]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stdout.to_lowercase().contains("changed"),
        "{}",
        run.all()
    );
    assert!(!h.dir.join("x").exists());
}

#[test]
fn handlers_flush_listen_and_skip_failed_hosts() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "handlers.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - command: "true"
      notify: first
    - meta: flush_handlers
    - shell: echo after-flush >> {{ host_dir }}/log
    - command: "true"
      notify: topic
    - command: /bin/false
      when: inventory_hostname == 'host2'
    - command: /bin/true
      changed_when: false
      notify: never notified
  handlers:
    - name: first
      shell: echo first >> {{ host_dir }}/log
    - name: never notified
      shell: echo never >> {{ host_dir }}/log
    - name: second
      listen: topic
      shell: echo second >> {{ host_dir }}/log
"#,
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    let log1 = fs::read_to_string(hosts.host("host1").dir.join("log")).unwrap();
    assert_eq!(log1, "first\nafter-flush\nsecond\n");
    let log2 = fs::read_to_string(hosts.host("host2").dir.join("log")).unwrap();
    assert_eq!(
        log2, "first\nafter-flush\n",
        "a failed host runs no handlers"
    );
    assert!(
        run.stdout.contains("RUNNING HANDLER [first]"),
        "{}",
        run.all()
    );
}

#[test]
fn ignore_errors_registers_the_failure() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "ignore.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - shell: echo oops >&2; exit 3
      register: r
      ignore_errors: yes
    - shell: echo "{{ r.failed }} {{ r.rc }} {{ r.stderr }} {{ r is failed }}" > {{ host_dir }}/r
    - assert:
        that:
          - r.failed
          - r.rc == 3
          - r.changed
"#,
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("...ignoring"), "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=3 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1"
    );
    let r = fs::read_to_string(hosts.host("host1").dir.join("r")).unwrap();
    assert_eq!(r, "True 3 oops True\n");
}

#[test]
fn variables_extra_vars_and_limit() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let vars_file = write(&hosts, "vars.yml", "from_file: filed\n");
    let pb = write(
        &hosts,
        "vars.yml.pb",
        r#"- hosts: all
  gather_facts: no
  vars:
    greeting: "hello {{ who }}"
    who: play
  tasks:
    - set_fact:
        fact: "{{ greeting }}"
    - command: echo {{ fact }} {{ kv }} {{ js.n + 1 }} {{ from_file }}
      register: out
    - shell: echo "{{ out.stdout }}" > {{ host_dir }}/vars
"#,
    );
    let at_file = format!("@{}", vars_file.display());
    let run = run_playbook(
        &hosts,
        &pb,
        &inv,
        &[
            "-e",
            "kv=one who=extra",
            "-e",
            r#"{"js": {"n": 41}}"#,
            "-e",
            &at_file,
            "-l",
            "host2",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !hosts.host("host1").dir.join("vars").exists(),
        "--limit leaves host1 out"
    );
    let v = fs::read_to_string(hosts.host("host2").dir.join("vars")).unwrap();
    assert_eq!(v, "hello extra one 42 filed\n");
}

#[test]
fn command_creates_removes_chdir_and_shell_executable() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "cmd.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - command: touch made
      args:
        chdir: "{{ host_dir }}"
        creates: made
    - command: touch again
      args:
        chdir: "{{ host_dir }}"
        creates: made
    - command: rm made
      args:
        chdir: "{{ host_dir }}"
        removes: nothing-here
    - shell: echo $0 > {{ host_dir }}/shell
      args:
        executable: /bin/bash
"#,
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let d = &hosts.host("host1").dir;
    assert!(d.join("made").exists());
    assert!(
        !d.join("again").exists(),
        "creates skipped the second touch"
    );
    assert_eq!(fs::read_to_string(d.join("shell")).unwrap(), "/bin/bash\n");
    assert_eq!(
        counts(&run, "host1"),
        "ok=4 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
}

#[test]
fn json_output_is_one_event_per_line() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "j.yml",
        "- hosts: all\n  tasks:\n    - command: /bin/true\n    - debug: msg=hi\n    - command: /bin/true\n      delegate_to: host2\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &["--output", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mut results = 0;
    let mut delegated = Vec::new();
    for line in run.stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if v["event"] == "host_result" {
            results += 1;
            if let Some(to) = v.get("delegated_to") {
                delegated.push((
                    v["host"].clone(),
                    to.clone(),
                    v["delegated_address"].clone(),
                ));
            }
        }
        if v["event"] == "recap" {
            assert_eq!(v["hosts"]["host1"]["ok"], 4);
        }
    }
    assert_eq!(results, 8, "{}", run.stdout);
    // A task delegated to another host names it, and its address; host2 ran it itself.
    let addr = hosts.host("host2").addr.as_str();
    let want = vec![("host1".into(), "host2".into(), addr.into())];
    assert_eq!(delegated, want, "{}", run.stdout);
}

#[test]
fn ssh_config_resolves_aliases_and_proxyjump() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let config = write(
        &hosts,
        "ssh_config",
        &format!(
            "Host web-alias\n  HostName {}\n  Port {}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n\nHost behind\n  HostName 127.0.0.1\n  Port 1\n  ProxyJump web-alias\n",
            h.addr,
            h.port,
            hosts.user_key.display(),
            hosts.known_hosts.display()
        ),
    );
    let inv = write(
        &hosts,
        "alias.ini",
        &format!("web-alias host_dir={}\n", h.dir.display()),
    );
    let pb = write(&hosts, "alias.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/via-alias\n");
    let cfg = config.display().to_string();
    let run = crate::support::ferry(
        &[
            "run",
            &pb.display().to_string(),
            "-i",
            &inv.display().to_string(),
            "-F",
            &cfg,
        ],
        hosts.dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(h.dir.join("via-alias").exists());

    let inv = write(&hosts, "behind.ini", "behind host_dir=/nonexistent\n");
    let kh = hosts.known_hosts.display().to_string();
    let run = crate::support::ferry(
        &[
            "run",
            &pb.display().to_string(),
            "-i",
            &inv.display().to_string(),
            "-F",
            &cfg,
            "--known-hosts",
            &kh,
        ],
        hosts.dir.path(),
    );
    assert_eq!(run.code, 4, "{}", run.all());
    // The bastion (web-alias, resolved from the same config) is used; the target behind it is closed.
    assert!(
        run.stdout.contains("fatal: [behind]: UNREACHABLE!"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout
            .contains(&format!("(through {}:{})", h.addr, h.port)),
        "{}",
        run.all()
    );
}

#[test]
fn connect_retries_wait_for_a_booting_host() {
    let mut hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    hosts.hosts[0].stop();
    let pb = write(
        &hosts,
        "boot.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/booted\n",
    );
    let kh = hosts.known_hosts.display().to_string();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "run",
            &pb.display().to_string(),
            "-i",
            &inv.display().to_string(),
            "--known-hosts",
            &kh,
            "--connect-retries",
            "6",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    hosts.hosts[0].start_again();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(hosts.host("host1").dir.join("booted").exists());
}

/// `IdentitiesOnly` as OpenSSH reads it: without it the ssh-agent's keys go first, and an
/// agent full of other keys uses up the server's MaxAuthTries; with it only IdentityFile is
/// offered. ServerAliveInterval is read from the same file (and changes nothing visible here).
#[test]
fn identities_only_keeps_the_agents_keys_back() {
    let hosts = SshHosts::start(1);
    let h = hosts.host("host1");
    let sock = hosts.path("agent.sock");
    let agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent (apt-get install openssh-client)");
    let _agent = KillOnDrop(agent);
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for i in 0..7 {
        let key = hosts.path(&format!("other{i}"));
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(status.success());
        let status = std::process::Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &sock)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let inv = write(
        &hosts,
        "alias.ini",
        &format!("web-alias host_dir={}\n", h.dir.display()),
    );
    let pb = write(&hosts, "alias.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/via-alias\n");
    let run_with = |extra: &str| {
        let config = write(
            &hosts,
            "ssh_config",
            &format!(
                "Host web-alias\n  HostName {}\n  Port {}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n  ServerAliveInterval 5\n{extra}",
                h.addr,
                h.port,
                hosts.user_key.display(),
                hosts.known_hosts.display()
            ),
        );
        std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args([
                "run",
                &pb.display().to_string(),
                "-i",
                &inv.display().to_string(),
            ])
            .arg("-F")
            .arg(&config)
            .env("SSH_AUTH_SOCK", &sock)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run_with("");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("set IdentitiesOnly yes"), "{stdout}");
    assert!(!h.dir.join("via-alias").exists());
    let out = run_with("  IdentitiesOnly yes\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(h.dir.join("via-alias").exists());
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `debug: verbosity: N` shows only from N `-v` on, and is skipped below, as in Ansible.
#[test]
fn debug_verbosity_skips_below_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hosts.ini"),
        "localhost ansible_connection=local\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("v.yml"),
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - debug:\n        msg: quiet-message\n        verbosity: 1\n",
    )
    .unwrap();
    let plain = crate::support::ferry(&["run", "v.yml", "-i", "hosts.ini"], dir.path());
    assert_eq!(plain.code, 0, "{}", plain.all());
    assert!(
        plain.stdout.contains("skipping: [localhost]"),
        "{}",
        plain.all()
    );
    assert!(!plain.stdout.contains("quiet-message"), "{}", plain.all());
    assert!(
        plain.stdout.contains("ok=0 ") && plain.stdout.contains("skipped=1"),
        "{}",
        plain.all()
    );
    let verbose = crate::support::ferry(&["run", "v.yml", "-i", "hosts.ini", "-v"], dir.path());
    assert_eq!(verbose.code, 0, "{}", verbose.all());
    assert!(
        verbose.stdout.contains("quiet-message"),
        "{}",
        verbose.all()
    );
}

#[test]
fn a_huge_output_over_ssh_is_read_whole() {
    // 24 MB of base64 in ~32 kB SSH packets: read in one pass, registered, measured.
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "huge.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: head -c 18000000 /dev/zero | base64 -w 100\n      register: big\n    - copy:\n        content: \"{{ big.stdout | length }} {{ big.stdout_lines | length }}\"\n        dest: \"{{ host_dir }}/size\"\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &["-v"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let size = fs::read_to_string(hosts.hosts[0].dir.join("size")).unwrap();
    // 18,000,000 bytes → 24,000,000 base64 characters in 240,000 lines of 100.
    assert_eq!(size, "24239999 240000");
    // -v shows the size and the tail, never the megabytes.
    assert!(
        run.stdout.len() < 64 * 1024,
        "{} bytes shown",
        run.stdout.len()
    );
    assert!(
        run.stdout
            .contains("\"stdout\": \"[23.1 MiB in 240000 lines; the last 20 follow]\\nAAAA"),
        "{}",
        &run.stdout[..run.stdout.len().min(4000)]
    );
}

#[test]
fn ferry_output_limit_keeps_the_tail_of_a_commands_output() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "limit.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: seq 1 100000; seq 1 3 >&2\n      register: out\n      vars:\n        ferry_output_limit: 1k\n    - copy:\n        content: \"{{ out.stdout | length }} {{ out.stdout_truncated }} {{ out.stdout_lines[0] }} {{ out.stdout_lines[-1] }} {{ out.stderr }} {{ out.stderr_truncated is defined }}\"\n        dest: \"{{ host_dir }}/limited\"\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let got = fs::read_to_string(hosts.hosts[0].dir.join("limited")).unwrap();
    // seq 1 100000 prints 588,895 bytes; the last KiB, from a line start, is kept.
    let (kept, rest) = got.split_once(' ').unwrap();
    assert!(kept.parse::<usize>().unwrap() <= 1024, "{got}");
    assert_eq!(rest, "588894 99831 100000 1\n2\n3 False");
}

/// `vars_prompt` on a terminal (a pty from `script`): a private answer asked twice until both
/// match, then an empty answer that takes the default; nothing is asked for what `-e` gives.
#[test]
fn vars_prompt_asks_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("answers");
    let pb = dir.path().join("pb.yml");
    fs::write(
        &pb,
        format!(
            "- hosts: localhost\n  gather_facts: no\n  vars_prompt:\n    - name: pw\n      prompt: Password\n      confirm: true\n\
             \x20   - name: release\n      prompt: Release\n      default: '1.0'\n      private: false\n    - name: given\n\
             \x20 tasks:\n    - copy: content=\"{{{{ pw }}}} {{{{ release }}}} {{{{ given }}}}\" dest={}\n",
            out.display()
        ),
    )
    .unwrap();
    let line = format!(
        "{} run {} -e given=cli",
        env!("CARGO_BIN_EXE_ferry"),
        pb.display()
    );
    let feed = "sleep 1; printf 'one\\r'; sleep 0.5; printf 'two\\r'; sleep 0.5; printf 'abc\\r'; \
                sleep 0.5; printf 'abc\\r'; sleep 0.5; printf '\\r'; sleep 5";
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("({feed}) | script -qec '{line}' /dev/null"))
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("VALUES ENTERED DO NOT MATCH") && text.contains("Release [1.0]: "),
        "{text}"
    );
    assert!(!text.contains("given"), "-e answers it: {text}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "abc 1.0 cli");
}
