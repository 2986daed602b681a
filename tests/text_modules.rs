//! The file and text modules (`replace`, `blockinfile`, `ini_file`, `slurp`, `assemble`,
//! `tempfile`, `find`, `script`, `pause`, `ping`, `wait_for_connection`) on real files of the
//! sshd test hosts: each playbook under tests/conformance/ runs through ansible-playbook and
//! ferry, and the registered values, changed counts and files left must be the same.

use crate::conformance::conform_with;

#[test]
fn text_files_conform_replace_blockinfile_slurp_ping() {
    conform_with("text_files.yml", 1, "", &[], false);
}

#[test]
fn text_files_conform_under_check_mode() {
    conform_with("text_files.yml", 1, "", &["--check"], false);
}

#[test]
fn find_assemble_tempfile_script_pause_wait_for_connection_conform() {
    conform_with("text_more.yml", 1, "", &[], false);
}

/// ansible-playbook finds community.general in the corpus of the Ansible package
/// (`scripts/corpus.sh` fetches it).
#[test]
fn ini_file_conforms_with_community_general() {
    crate::diffs::with_community_general();
    conform_with("text_ini.yml", 1, "", &[], false);
}

/// Wrong choices, exclusive arguments and unknown names stop the run before any host is
/// contacted, naming file:line:col, the argument and the allowed values.
#[test]
fn bad_arguments_of_the_text_modules_are_refused_at_load() {
    use crate::bad_input::load_error;
    let hosts = crate::support::SshHosts::start(1);
    let task = |body: &str| format!("- hosts: all\n  tasks:\n    - {body}\n");
    load_error(
        &hosts,
        "b1.yml",
        &task("blockinfile: {path: /tmp/x, state: maybe}"),
        "DIR/b1.yml:3:20: value of state must be one of: absent, present, got: maybe\n   |\n 3 |     - blockinfile: {path: /tmp/x, state: maybe}\n   |                    ^\n   = hint: module 'blockinfile' takes state: absent, present",
    );
    load_error(
        &hosts,
        "b2.yml",
        &task("find: {paths: /tmp, file_type: socket}"),
        "DIR/b2.yml:3:13: value of file_type must be one of: any, directory, file, link, got: socket\n   |\n 3 |     - find: {paths: /tmp, file_type: socket}\n   |             ^\n   = hint: module 'find' takes file_type: any, directory, file, link",
    );
    load_error(
        &hosts,
        "b3.yml",
        &task("community.general.ini_file: {path: /tmp/x.ini, option: a, value: 1, values: [2]}"),
        "DIR/b3.yml:3:35: parameters are mutually exclusive: value|values (module 'ini_file')\n   |\n 3 |     - community.general.ini_file: {path: /tmp/x.ini, option: a, value: 1, values: [2]}\n   |                                   ^\n   = hint: give one value as 'value' or several as 'values'",
    );
    load_error(
        &hosts,
        "b4.yml",
        &task("pause: {minutes: 1, seconds: 2}"),
        "DIR/b4.yml:3:14: parameters are mutually exclusive: minutes|seconds (module 'pause')\n   |\n 3 |     - pause: {minutes: 1, seconds: 2}\n   |              ^\n   = hint: give the pause in either minutes or seconds",
    );
    load_error(
        &hosts,
        "b5.yml",
        &task("replace: {path: /tmp/x, regex: a}"),
        "DIR/b5.yml:3:31: unknown argument 'regex' for module 'replace'\n   |\n 3 |     - replace: {path: /tmp/x, regex: a}\n   |                               ^\n   = hint: did you mean 'regexp'?",
    );
}

/// The host's sshd goes away (its connection reset) and comes back: `wait_for_connection`
/// keeps reconnecting through the pool until it answers, and the play goes on.
#[test]
fn wait_for_connection_reconnects_until_the_host_is_back() {
    use crate::support::write;
    use std::time::{Duration, Instant};
    let mut hosts = crate::support::SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "reboot.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    \
         - command: touch {{ host_dir }}/ready\n    \
         - pause: {seconds: 2}\n    \
         - meta: reset_connection\n    \
         - wait_for_connection: {sleep: 1, timeout: 60, connect_timeout: 3}\n      register: w\n    \
         - copy: {dest: '{{ host_dir }}/after', content: '{{ w.elapsed }}'}\n",
    );
    let kh = hosts.known_hosts.display().to_string();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "run",
            &pb.display().to_string(),
            "-i",
            &inv.display().to_string(),
        ])
        .args(["--known-hosts", &kh])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ready = hosts.host("host1").dir.join("ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    hosts.hosts[0].stop();
    std::thread::sleep(Duration::from_secs(5));
    hosts.hosts[0].start_again();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let elapsed = std::fs::read_to_string(hosts.host("host1").dir.join("after")).unwrap();
    let elapsed: u64 = elapsed.trim().parse().unwrap();
    assert!((2..60).contains(&elapsed), "elapsed {elapsed}\n{text}");
}

/// `--diff` shows what replace, blockinfile and ini_file change; `--check --diff` shows it
/// and leaves the file as it was.
#[test]
fn text_edits_show_their_diff() {
    use crate::support::{run_playbook, write};
    let hosts = crate::support::SshHosts::start(1);
    let inv = hosts.inventory("");
    let file = hosts.host("host1").dir.join("conf.ini");
    let pb = write(
        &hosts,
        "diff.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    \
         - replace: {path: '{{ host_dir }}/conf.ini', regexp: '^port=1$', replace: 'port=2'}\n    \
         - blockinfile: {path: '{{ host_dir }}/conf.ini', block: 'blocked'}\n    \
         - community.general.ini_file: {path: '{{ host_dir }}/conf.ini', section: s, option: k, value: v}\n",
    );
    for (args, want_file) in [
        (&["--check", "--diff"][..], "port=1\n"),
        (&["--diff"][..], "port=2\n# BEGIN ANSIBLE MANAGED BLOCK\nblocked\n# END ANSIBLE MANAGED BLOCK\n[s]\nk = v\n"),
    ] {
        std::fs::write(&file, "port=1\n").unwrap();
        let run = run_playbook(&hosts, &pb, &inv, args);
        assert_eq!(run.code, 0, "{}", run.all());
        for want in ["-port=1", "+port=2", "+blocked", "+k = v"] {
            if args.contains(&"--check") && want == "+k = v" {
                continue; // in check mode the file never got the block, so ini_file's diff differs
            }
            assert!(run.stdout.contains(want), "{want}\n{}", run.all());
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), want_file);
    }
}

#[test]
fn pause_on_several_hosts_conforms() {
    conform_with("text_pause.yml", 2, "", &[], false);
}

/// Under `--check`: find runs, tempfile/assemble/wait_for_connection are skipped, script
/// reports a change only when `creates`/`removes` let it run.
#[test]
fn find_assemble_tempfile_script_conform_under_check_mode() {
    conform_with("text_more.yml", 1, "", &["--check"], false);
}
