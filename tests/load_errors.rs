//! Every way a playbook can be wrong stops the run before any host is contacted, with
//! `file:line:col: message`, the source line, a caret and a hint. The whole text is asserted.

use crate::support::{run_playbook, write, SshHosts};

fn check(hosts: &SshHosts, name: &str, text: &str, want: &str) {
    let inv = hosts.inventory("");
    let pb = write(hosts, name, text);
    let run = run_playbook(hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    let path = pb.display().to_string();
    let want = want.replace("PB", &path);
    assert_eq!(
        run.stderr.trim_end(),
        format!("ERROR! {want}"),
        "{}",
        run.all()
    );
    assert!(run.stdout.is_empty(), "nothing ran: {}", run.all());
}

#[test]
fn load_errors_name_file_line_and_column_and_touch_no_host() {
    let hosts = SshHosts::start(1);
    check(
        &hosts,
        "bad-yaml.yml",
        "- hosts: all\n  tasks:\n    - command: [ls\n",
        "PB:3:16: invalid YAML: unclosed bracket '['\n   |\n 3 |     - command: [ls\n   |                ^\n   = hint: check the indentation and quoting around this line",
    );
    check(
        &hosts,
        "typo-module.yml",
        "- hosts: all\n  tasks:\n    - comand: ls\n",
        "PB:3:7: unknown module or keyword 'comand'\n   |\n 3 |     - comand: ls\n   |       ^\n   = hint: did you mean 'command'?",
    );
    check(
        &hosts,
        "play-keyword.yml",
        "- hosts: all\n  gather_fact: no\n  tasks: []\n",
        "PB:2:3: unknown play keyword 'gather_fact'\n   |\n 2 |   gather_fact: no\n   |   ^\n   = hint: did you mean 'gather_facts'?",
    );
    check(
        &hosts,
        "task-keyword.yml",
        "- hosts: all\n  tasks:\n    - command: ls\n      registr: out\n",
        "PB:4:7: unknown module or keyword 'registr'\n   |\n 4 |       registr: out\n   |       ^\n   = hint: did you mean 'register'?",
    );
    check(
        &hosts,
        "two-modules.yml",
        "- hosts: all\n  tasks:\n    - command: ls\n      shell: ls\n",
        "PB:4:7: conflicting action statements: 'command' and 'shell'\n   |\n 4 |       shell: ls\n   |       ^\n   = hint: a task runs exactly one module: split it into two tasks",
    );
    check(
        &hosts,
        "hosts-undefined.yml",
        "- hosts: all\n  tasks: []\n- hosts: \"{{ targets }}\"\n  vars: {known: all}\n  tasks: []\n",
        "PB:3:10: the field 'hosts' has an invalid value: 'targets' is undefined\n   |\n 3 | - hosts: \"{{ targets }}\"\n   |          ^\n   = hint: a play's hosts may use its vars and the extra vars (-e)",
    );
    check(
        &hosts,
        "notify.yml",
        "- hosts: all\n  tasks:\n    - command: ls\n      notify: restart ap\n  handlers:\n    - name: restart app\n      command: ls\n",
        "PB:4:15: notify: no handler named or listening to 'restart ap' in this play\n   |\n 4 |       notify: restart ap\n   |               ^\n   = hint: did you mean 'restart app'?",
    );
    check(
        &hosts,
        "bad-arg.yml",
        "- hosts: all\n  tasks:\n    - command: ls\n      args:\n        chdri: /tmp\n",
        "PB:5:9: unknown argument 'chdri' for module 'command'\n   |\n 5 |         chdri: /tmp\n   |         ^\n   = hint: did you mean 'chdir'?",
    );
    check(
        &hosts,
        "bad-bool.yml",
        "- hosts: all\n  tasks:\n    - command: ls\n      ignore_errors: maybe\n",
        "PB:4:22: 'ignore_errors' must be a boolean, found 'maybe'\n   |\n 4 |       ignore_errors: maybe\n   |                      ^\n   = hint: use yes/no or true/false",
    );
    assert!(!hosts.any_connection(), "no host was contacted");
}

#[test]
fn action_and_local_action_errors_name_the_position() {
    let hosts = SshHosts::start(1);
    check(
        &hosts,
        "both.yml",
        "- hosts: all\n  tasks:\n    - action: command ls\n      local_action: command ls\n",
        "PB:4:7: action and local_action are mutually exclusive\n   |\n 4 |       local_action: command ls\n   |       ^",
    );
    check(
        &hosts,
        "action-typo.yml",
        "- hosts: all\n  tasks:\n    - action: comand ls\n",
        "PB:3:15: unknown module or keyword 'comand'\n   |\n 3 |     - action: comand ls\n   |               ^\n   = hint: did you mean 'command'?",
    );
    check(
        &hosts,
        "action-and-module.yml",
        "- hosts: all\n  tasks:\n    - shell: ls\n      action: command ls\n",
        // As Ansible's ModuleArgsParser: `action:` is read first, the module key conflicts.
        "PB:3:7: conflicting action statements: 'command' and 'shell'\n   |\n 3 |     - shell: ls\n   |       ^\n   = hint: a task runs exactly one module: split it into two tasks",
    );
    check(
        &hosts,
        "action-no-module.yml",
        "- hosts: all\n  tasks:\n    - local_action: {dest: /tmp/x}\n",
        "PB:3:21: 'local_action' needs a 'module' key\n   |\n 3 |     - local_action: {dest: /tmp/x}\n   |                     ^\n   = hint: e.g. '{module: copy, src: a, dest: b}'",
    );
    check(
        &hosts,
        "async-copy.yml",
        "- hosts: all\n  tasks:\n    - copy: {content: x, dest: /tmp/x}\n      async: 10\n",
        "PB:4:7: async is not supported by ferry for module 'copy'\n   |\n 4 |       async: 10\n   |       ^\n   = hint: ferry runs these as background jobs: command, shell",
    );
    assert!(!hosts.any_connection(), "no host was contacted");
}

#[test]
fn a_prompt_without_terminal_default_or_value_stops_before_any_host() {
    let hosts = SshHosts::start(1);
    check(
        &hosts,
        "prompt.yml",
        "- hosts: all\n  tasks: []\n- hosts: all\n  vars_prompt:\n    - name: pw\n      prompt: Password\n  tasks:\n    - command: ls\n",
        "PB:5:7: vars_prompt 'pw' has no value: there is no terminal to ask on and no default\n   |\n 5 |     - name: pw\n   |       ^\n   = hint: pass it with -e pw=VALUE",
    );
    assert!(!hosts.any_connection(), "no host was contacted");
}

#[test]
fn check_validates_playbooks_pipelines_and_inventories_without_contacting_hosts() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("[web]\nhost1\n");
    let good = write(&hosts, "good.yml", "- hosts: web\n  tasks:\n    - command: /bin/true\n      notify: h\n  handlers:\n    - name: h\n      debug: msg=x\n");
    let bad = write(
        &hosts,
        "bad.yml",
        "- hosts: all\n  tasks:\n    - debug: msg=\"{{ unclosed\"\n",
    );
    let inv_s = inv.display().to_string();
    let ok = crate::support::ferry(
        &["check", &good.display().to_string(), "-i", &inv_s],
        hosts.dir.path(),
    );
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains("ok: playbook"), "{}", ok.all());
    let fail = crate::support::ferry(&["check", &bad.display().to_string()], hosts.dir.path());
    assert_eq!(fail.code, 4, "{}", fail.all());
    assert!(
        fail.stderr
            .contains("bad.yml:3:7: invalid template in an argument"),
        "{}",
        fail.all()
    );
    assert!(!hosts.any_connection(), "check contacts no host");
}

#[test]
fn diff_shows_what_changes_in_a_file() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(&hosts, "diff.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: content=\"one\\ntwo\\n\" dest={{ host_dir }}/f\n    - copy: content=\"one\\nthree\\n\" dest={{ host_dir }}/f\n");
    let run = run_playbook(&hosts, &pb, &inv, &["--diff"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("-two\n+three"), "{}", run.all());
    let check = run_playbook(&hosts, &pb, &inv, &["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_eq!(
        std::fs::read_to_string(hosts.host("host1").dir.join("f")).unwrap(),
        "one\nthree\n",
        "--check changed nothing"
    );
    // The `diff` keyword asks for it per task, without --diff (and `diff: false` hides it).
    let pb = write(&hosts, "kw.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - copy: content=\"four\\n\" dest={{ host_dir }}/f\n      diff: true\n    - copy: content=\"five\\n\" dest={{ host_dir }}/f\n      diff: false\n");
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("+four"), "{}", run.all());
    assert!(!run.stdout.contains("+five"), "{}", run.all());
}

#[test]
fn end_role_outside_a_role_or_in_a_handler_is_refused() {
    let hosts = SshHosts::start(1);
    check(
        &hosts,
        "end-role.yml",
        "- hosts: all\n  tasks:\n    - meta: end_role\n",
        "PB:3:7: Cannot execute 'end_role' from outside of a role\n   |\n 3 |     - meta: end_role\n   |       ^",
    );
    check(
        &hosts,
        "end-role-handler.yml",
        "- hosts: all\n  tasks: []\n  handlers:\n    - name: h\n      meta: end_role\n",
        "PB:4:7: Cannot execute 'end_role' from a handler\n   |\n 4 |     - name: h\n   |       ^",
    );
    assert!(!hosts.any_connection(), "no host was contacted");
}
