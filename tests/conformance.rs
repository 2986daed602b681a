//! Conformance with ansible-core 2.18: each playbook under tests/conformance/ runs through
//! ansible-playbook and through ferry on the same loopback sshd hosts; the exit codes, the
//! PLAY RECAP counts of every host and the files the playbook left under each host's `out/`
//! must be identical. ansible-core comes from scripts/ansible-venv.sh (a venv from PyPI).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{recap, run_playbook, SshHosts};

pub(crate) fn ansible_playbook() -> PathBuf {
    if let Ok(p) = std::env::var("FERRY_ANSIBLE_PLAYBOOK") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = PathBuf::from(home).join(".cache/ferry-venv/bin/ansible-playbook");
    assert!(
        p.exists(),
        "ansible-playbook is missing: run `bash scripts/ansible-venv.sh` (scripts/test.sh does)"
    );
    p
}

/// Every file under each host's out/ dir: "host/path" → content.
fn effects(hosts: &SshHosts) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for h in &hosts.hosts {
        let out = h.dir.join("out");
        let mut stack = vec![out.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&out).unwrap().display().to_string();
                    all.insert(
                        format!("{}/{rel}", h.name),
                        fs::read_to_string(&p).unwrap_or_default(),
                    );
                }
            }
        }
    }
    all
}

fn clear(hosts: &SshHosts) {
    for h in &hosts.hosts {
        let _ = fs::remove_dir_all(h.dir.join("out"));
    }
}

fn run_ansible(
    hosts: &SshHosts,
    playbook: &Path,
    inventory: &Path,
    args: &[&str],
) -> (i32, String) {
    let mut cmd = ansible_command(hosts, playbook);
    cmd.arg("-i").arg(inventory).args(args);
    run_command(cmd)
}

/// ansible-playbook on `playbook` against `hosts` (their known_hosts, local temp dirs, plain
/// output), run from the fixture directory.
pub(crate) fn ansible_command(hosts: &SshHosts, playbook: &Path) -> Command {
    let tmp = hosts.path("ansible-tmp");
    let mut cmd = Command::new(ansible_playbook());
    cmd.arg(playbook)
        .env(
            "ANSIBLE_SSH_ARGS",
            format!(
                "-o UserKnownHostsFile={} -o ControlMaster=auto -o ControlPersist=30s",
                hosts.known_hosts.display()
            ),
        )
        .env("ANSIBLE_HOST_KEY_CHECKING", "True")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3")
        .env("ANSIBLE_LOCAL_TEMP", tmp.join("local"))
        .env("ANSIBLE_REMOTE_TEMP", tmp.join("remote"))
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .current_dir(hosts.dir.path())
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd`: its exit code and both streams.
pub(crate) fn run_command(mut cmd: Command) -> (i32, String) {
    let out = cmd.output().expect("ansible-playbook runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn conform(name: &str, hosts_count: usize) {
    conform_with(name, hosts_count, "", &[], false);
}

/// Runs `name` through both tools with `extra` inventory lines and CLI `args`; with `local`,
/// every host is `ansible_connection=local` (with its own host_dir).
pub(crate) fn conform_with(
    name: &str,
    hosts_count: usize,
    extra: &str,
    args: &[&str],
    local: bool,
) -> (String, String) {
    let hosts = SshHosts::start(hosts_count);
    let inv = if local {
        let mut text = String::new();
        for h in &hosts.hosts {
            text.push_str(&format!(
                "{} ansible_connection=local host_dir={}\n",
                h.name,
                h.dir.display()
            ));
        }
        text.push_str(extra);
        let path = hosts.path("local.ini");
        fs::write(&path, text).unwrap();
        path
    } else {
        hosts.inventory(extra)
    };
    let pb = crate::support::root().join("tests/conformance").join(name);
    clear(&hosts);
    // A playbook may write to its inventory (then `meta: refresh_inventory`): each tool
    // starts from the same text.
    let inv_text = fs::read_to_string(&inv).unwrap();
    let (a_code, a_out) = run_ansible(&hosts, &pb, &inv, args);
    let a_effects = effects(&hosts);
    clear(&hosts);
    fs::write(&inv, &inv_text).unwrap();
    let f = run_playbook(&hosts, &pb, &inv, args);
    let f_effects = effects(&hosts);
    let context = format!("== ansible-playbook\n{a_out}\n== ferry\n{}", f.all());
    assert_eq!(f.code, a_code, "exit codes differ for {name}\n{context}");
    assert_eq!(
        f.recap(),
        recap(&a_out),
        "recaps differ for {name}\n{context}"
    );
    assert_eq!(
        f_effects, a_effects,
        "host-side effects differ for {name}\n{context}"
    );
    let check = args.contains(&"--check");
    assert!(
        !a_effects.is_empty() || check,
        "{name} left no marker files\n{context}"
    );
    (a_out, f.all())
}

#[test]
fn conformance_add_host_and_group_by() {
    conform("add_host_group_by.yml", 2);
}

#[test]
fn conformance_group_by_under_the_free_strategy() {
    conform("group_by_free.yml", 3);
}

#[test]
fn conformance_ignore_errors_and_register() {
    conform("ignore_register.yml", 2);
}

#[test]
fn conformance_handlers() {
    conform("handlers.yml", 2);
}

#[test]
fn conformance_when_facts_loops() {
    conform("when_facts_loops.yml", 3);
}

#[test]
fn conformance_command_creates_removes() {
    conform("creates_removes.yml", 1);
}

#[test]
fn conformance_failing_host() {
    conform("failing_host.yml", 3);
}

/// The PLAY, TASK and "NO MORE HOSTS LEFT" banners of an output, in order.
fn play_banners(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            ["PLAY [", "TASK [", "NO MORE HOSTS LEFT"]
                .iter()
                .any(|b| l.starts_with(b))
        })
        .map(|l| l.trim_end_matches([' ', '*']))
        .collect()
}

#[test]
fn conformance_failed_hosts_in_later_plays() {
    let (ansible, ferry) = conform_with("failed_hosts_later_plays.yml", 3, "", &[], false);
    assert_eq!(
        play_banners(&ferry),
        play_banners(&ansible),
        "== ansible-playbook\n{ansible}\n== ferry\n{ferry}"
    );
}

#[test]
fn conformance_free_strategy_banners() {
    let (ansible, ferry) = conform_with("free_banners.yml", 3, "", &[], false);
    assert_eq!(
        play_banners(&ferry),
        play_banners(&ansible),
        "== ansible-playbook\n{ansible}\n== ferry\n{ferry}"
    );
}

#[test]
fn conformance_filter_errors_and_unrendered_arguments() {
    conform("filter_errors.yml", 1);
}

/// Undefined values fail where a template uses them and chain through lookups: 82 cases,
/// each one's outcome (failed, or the value) compared with ansible-playbook's.
#[test]
fn conformance_undefined_values() {
    conform_with("undefined.yml", 1, "", &[], true);
}

/// The tasks an undefined value stops, with Ansible's messages (and where they point).
#[test]
fn conformance_undefined_values_in_tasks() {
    conform_with("undefined_tasks.yml", 1, "", &[], true);
}

#[test]
fn conformance_blocks() {
    conform("blocks.yml", 2);
}

const GROUPS: &str = "[web]\nhost1\nhost2\n\n[all:vars]\ninv_var=inv\n";

#[test]
fn conformance_task_keywords() {
    conform_with("task_keywords.yml", 2, GROUPS, &[], false);
}

#[test]
fn conformance_play_keywords() {
    conform_with("play_keywords.yml", 3, GROUPS, &[], false);
}

#[test]
fn conformance_reuse() {
    conform_with("reuse.yml", 2, GROUPS, &[], false);
}

#[test]
fn conformance_variables_and_filters() {
    conform_with("variables.yml", 2, GROUPS, &["-e", "level=extra"], false);
}

#[test]
fn conformance_meta_and_tags() {
    conform_with("meta_cli.yml", 3, GROUPS, &["--skip-tags", "skipme"], false);
}

#[test]
fn conformance_check_mode() {
    conform_with("creates_removes.yml", 1, "", &["--check"], false);
    conform_with("raw.yml", 1, "", &["--check"], false);
}

#[test]
fn conformance_template_whitespace_options_and_vars() {
    conform_with("templates.yml", 1, "", &[], false);
}

#[test]
fn conformance_with_loops() {
    conform("with_loops.yml", 2);
}

#[test]
fn conformance_loop_control() {
    conform("loop_control.yml", 2);
}

#[test]
fn conformance_lookups_in_plays_and_roles() {
    conform("lookups.yml", 2);
}

#[test]
fn conformance_templating_idioms_in_tasks() {
    conform("idioms.yml", 2);
}

#[test]
fn conformance_play_order() {
    conform("order.yml", 3);
}

#[test]
fn conformance_connection_keyword() {
    conform("connection_keyword.yml", 2);
}

#[test]
fn conformance_file_module_arguments() {
    conform("file_args.yml", 1);
}

#[test]
fn conformance_uri_and_wait_for_arguments() {
    conform("uri_wait.yml", 1);
}

#[test]
fn conformance_magic_variables_reach_every_reader() {
    conform_with("magic_vars.yml", 2, "", &[], false);
    let peers = "[all:vars]\npeers=\"{{ groups['all'] | sort | join(',') }}\"\n";
    conform_with("magic_vars.yml", 2, peers, &[], false);
}

#[test]
fn conformance_raw() {
    conform_with("raw.yml", 2, "", &[], false);
}

#[test]
fn conformance_local_connection() {
    conform_with("handlers.yml", 2, "", &[], true);
    conform_with("ignore_register.yml", 2, "", &[], true);
    conform_with("blocks.yml", 2, "", &[], true);
}

#[test]
fn conformance_failure_control() {
    let extra = "ghost ansible_host=127.0.0.254 ansible_port=1\n[web]\nhost1\nhost2\n";
    conform_with("failure_control.yml", 3, extra, &[], false);
}

#[test]
fn conformance_any_errors_fatal_and_start_at_task() {
    conform_with("fatal.yml", 3, "", &[], false);
    conform_with(
        "start_at.yml",
        2,
        "",
        &["--start-at-task", "start here"],
        false,
    );
}

#[test]
fn conformance_list_tasks_hosts_and_syntax_check() {
    let hosts = SshHosts::start(2);
    let inv = hosts.inventory("");
    for name in [
        "start_at.yml",
        "reuse.yml",
        "blocks.yml",
        "collection_role_names.yml",
    ] {
        let pb = crate::support::root().join("tests/conformance").join(name);
        for flags in [
            &["--list-tasks", "--list-hosts"][..],
            &["--syntax-check"][..],
        ] {
            let (a_code, a_out) = run_ansible(&hosts, &pb, &inv, flags);
            let f = run_playbook(&hosts, &pb, &inv, flags);
            // ansible-playbook lists a play's hosts in no stable order: compare sorted lines.
            let sorted = |t: &str| {
                let mut l: Vec<String> = t.trim().lines().map(String::from).collect();
                l.sort();
                l
            };
            assert_eq!(
                (f.code, sorted(&f.stdout)),
                (a_code, sorted(&a_out)),
                "{name} {flags:?}\n{}",
                f.all()
            );
        }
    }
    let pb = crate::support::root().join("tests/conformance/list_templated.yml");
    for flags in [
        &["--list-hosts", "-e", "target=host2"][..],
        &["--list-hosts"][..],
    ] {
        let (a_code, a_out) = run_ansible(&hosts, &pb, &inv, flags);
        let f = run_playbook(&hosts, &pb, &inv, flags);
        let mut want: Vec<&str> = a_out.trim().lines().collect();
        let mut got: Vec<&str> = f.stdout.trim().lines().collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!((f.code, got), (a_code, want), "{flags:?}\n{}", f.all());
    }
    assert!(!hosts.any_connection(), "listing contacts no host");
}

/// A second group whose hosts choose other include files by variable.
const SPICY: &str = "[spicy]\nhost2\n\n[spicy:vars]\nflavor=spicy\n";

#[test]
fn conformance_dynamic_includes() {
    conform_with("includes.yml", 2, SPICY, &[], false);
}

#[test]
fn conformance_include_keywords() {
    conform_with("includes_keywords.yml", 2, "", &[], false);
}

#[test]
fn conformance_include_tags() {
    conform_with("includes_keywords.yml", 2, "", &["-t", "own,multi"], false);
}

#[test]
fn conformance_include_vars() {
    conform_with("include_vars.yml", 2, SPICY, &[], false);
}

#[test]
fn conformance_include_errors() {
    conform_with("include_errors.yml", 2, SPICY, &[], false);
}

#[test]
fn conformance_include_fatal() {
    conform_with("include_fatal.yml", 2, SPICY, &[], false);
}

#[test]
fn conformance_include_first_found_in_a_role() {
    conform_with("include_first_found.yml", 2, "", &[], false);
}

#[test]
fn conformance_action_and_local_action() {
    conform("action_keywords.yml", 2);
}

#[test]
fn conformance_strategy_free_and_host_pinned() {
    conform("strategy.yml", 3);
}

#[test]
fn conformance_async_and_async_status() {
    conform("async.yml", 2);
}

#[test]
fn conformance_async_and_poll_written_as_templates() {
    conform("async_templated.yml", 2);
}

#[test]
fn conformance_role_argument_specs_and_real_role_idioms() {
    conform("role_argument_specs.yml", 2);
}

#[test]
fn conformance_vars_prompt_without_a_terminal() {
    conform_with("vars_prompt.yml", 1, "", &["-e", "given=from-cli"], false);
}

#[test]
fn conformance_module_defaults() {
    conform("module_defaults.yml", 2);
}

#[test]
fn conformance_templated_keywords() {
    conform("keyword_templates.yml", 3);
}

/// A play's `serial` or `max_fail_percentage` that does not render or fit stops both tools
/// before any task runs, with exit code 4; ferry names the keyword, the value and its place.
#[test]
fn conformance_play_keyword_that_does_not_render_stops_the_run() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let cases = [
        (
            r#"serial: "{{ nope }}""#,
            "bad.yml:4:11: the field 'serial' has an invalid value ('{{ nope }}'): 'nope' is undefined",
        ),
        (
            r#"max_fail_percentage: "{{ bad }}""#,
            r#"bad.yml:4:24: the field 'max_fail_percentage' has an invalid value ('{{ bad }}'): 'max_fail_percentage' must be a number, found "x y""#,
        ),
    ];
    for (keyword, message) in cases {
        let text = format!(
            "- hosts: all\n  gather_facts: no\n  vars: {{bad: \"x y\"}}\n  {keyword}\n  tasks:\n    - file: {{path: \"{{{{ host_dir }}}}/out\", state: directory}}\n"
        );
        let pb = crate::support::write(&hosts, "bad.yml", &text);
        clear(&hosts);
        let (a_code, a_out) = run_ansible(&hosts, &pb, &inv, &[]);
        let f = run_playbook(&hosts, &pb, &inv, &[]);
        let context = format!("== ansible-playbook\n{a_out}\n== ferry\n{}", f.all());
        assert_eq!((f.code, a_code), (4, 4), "{keyword}\n{context}");
        assert!(f.stderr.contains(message), "{keyword}\n{context}");
        assert!(
            effects(&hosts).is_empty(),
            "{keyword}: a task ran\n{context}"
        );
    }
}

#[test]
fn conformance_meta_end_role_reset_connection_refresh_inventory() {
    conform("meta_more.yml", 2);
}

#[test]
fn conformance_delegate_facts() {
    conform("delegate_facts.yml", 3);
}

#[test]
fn conformance_includes_in_handlers() {
    conform("handler_includes.yml", 2);
}

#[test]
fn conformance_imports_in_role_handlers() {
    conform("role_handler_imports.yml", 2);
}

/// The warnings a run printed, each on one line (Ansible wraps them at 80 columns).
fn warnings(out: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut open = false;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("[WARNING]: ") {
            found.push(rest.trim().to_string());
            open = true;
        } else if open && !line.trim().is_empty() && !line.contains(": [") {
            let last = found.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim());
        } else {
            open = false;
        }
    }
    found
}

/// A lookup's `errors='warn'` prints Ansible's warning and goes on with nothing (`[]` from
/// `query`, None from `lookup`); `errors='ignore'` goes on silently.
#[test]
fn lookup_errors_warn_warns_as_ansible_does() {
    let dir = tempfile::tempdir().unwrap();
    let play = dir.path().join("warn.yml");
    fs::write(
        &play,
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    \
         - debug: {msg: \"[{{ lookup('file', 'nope.txt', errors='warn') }}]\"}\n    \
         - debug: {msg: \"{{ query('first_found', ['a', 'b'], errors='warn') }}\"}\n    \
         - debug: {msg: \"[{{ lookup('file', 'nope.txt', errors='ignore') }}]\"}\n",
    )
    .unwrap();
    let mut cmd = Command::new(ansible_playbook());
    cmd.arg(&play)
        .args(["-i", "localhost,"])
        .env("ANSIBLE_NOCOLOR", "1")
        .current_dir(dir.path());
    let (a_code, a_out) = run_command(cmd);
    let f = crate::support::ferry(
        &["run", "-i", "localhost,", play.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!((f.code, a_code), (0, 0), "{a_out}\n{}", f.all());
    let expected = warnings(&a_out);
    assert_eq!(expected.len(), 2, "{a_out}");
    assert_eq!(warnings(&f.all()), expected, "{}", f.all());
    assert_eq!(f.recap(), recap(&a_out));
}

#[test]
fn conformance_role_handlers_import_and_include_handler_files() {
    conform("role_handler_files.yml", 2);
}

#[test]
fn conformance_tilde_paths_expand_on_the_host() {
    conform("tilde_paths.yml", 1);
}

#[test]
fn conformance_env_vars_in_paths_and_command_arguments_expand_on_the_host() {
    conform("env_paths.yml", 1);
}

#[test]
fn conformance_collection_roles_answer_to_their_fqcn() {
    conform("collection_role_names.yml", 1);
}

#[test]
fn conformance_loop_results_say_what_ansible_says() {
    conform("loop_results.yml", 1);
}

/// The result lines of `out` (`ok:`, `changed:`, `fatal:`, `failed:`, `skipping:`, retries and
/// `...ignoring`) without their results, sorted within each task: hosts finish in any order.
fn result_lines(out: &str) -> Vec<String> {
    let starts = [
        "ok: ",
        "changed: ",
        "fatal: ",
        "failed: ",
        "skipping: ",
        "FAILED - RETRYING: ",
        "...ignoring",
    ];
    let mut tasks: Vec<Vec<String>> = Vec::new();
    for line in out.lines() {
        if line.starts_with("TASK [") || line.starts_with("PLAY [") {
            tasks.push(Vec::new());
        } else if starts.iter().any(|s| line.starts_with(s)) {
            let line = line.split(" => {").next().unwrap_or(line).trim_end();
            if let Some(task) = tasks.last_mut() {
                task.push(line.to_string());
            }
        }
    }
    tasks
        .into_iter()
        .flat_map(|mut t| {
            t.sort();
            t
        })
        .collect()
}

#[test]
fn conformance_delegated_result_labels() {
    let extra = "ctl ansible_connection=local\ngone ansible_host=127.0.0.254 ansible_port=1\n\n\
                 [web]\nhost2\nhost1\n";
    for args in [&[][..], &["-v"]] {
        let (ansible, ferry) = conform_with("delegate_labels.yml", 3, extra, args, false);
        assert_eq!(
            result_lines(&ferry),
            result_lines(&ansible),
            "{args:?}\n== ansible-playbook\n{ansible}\n== ferry\n{ferry}"
        );
    }
}
