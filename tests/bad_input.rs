//! Bad input of every kind gets a clear error naming where, why and what to do — at load time
//! when it can be known then (nothing contacted), else as the task's failure on each host.

use crate::support::{run_playbook, write, SshHosts};

/// Loads `text` as a playbook and checks the whole error text (`DIR` stands for the fixture dir).
pub(crate) fn load_error(hosts: &SshHosts, name: &str, text: &str, want: &str) {
    let inv = hosts.inventory("");
    let pb = write(hosts, name, text);
    let run = run_playbook(hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    let dir = hosts.dir.path().display().to_string();
    assert_eq!(
        run.stderr.trim_end(),
        format!("ERROR! {}", want.replace("DIR", &dir)),
        "{}",
        run.all()
    );
}

#[test]
fn wrong_types_unknown_keys_roles_and_recursion_are_load_errors() {
    let hosts = SshHosts::start(1);
    load_error(
        &hosts,
        "t1.yml",
        "- hosts: all\n  tasks: ls\n",
        "DIR/t1.yml:2:10: 'tasks' must be a list, found a string\n   |\n 2 |   tasks: ls\n   |          ^",
    );
    load_error(
        &hosts,
        "t2.yml",
        "- hosts: all\n  vars: [1, 2]\n  tasks: []\n",
        "DIR/t2.yml:2:9: 'vars' must be a mapping, found a list\n   |\n 2 |   vars: [1, 2]\n   |         ^",
    );
    load_error(
        &hosts,
        "t3.yml",
        "- hosts: all\n  tasks:\n    - block:\n        - command: ls\n      rescu:\n        - command: ls\n",
        "DIR/t3.yml:5:7: 'rescu' is not supported on a block by ferry\n   |\n 5 |       rescu:\n   |       ^\n   = hint: did you mean 'rescue'?",
    );
    load_error(
        &hosts,
        "t4.yml",
        "- hosts: all\n  tasks:\n    - command: echo {{ item }}\n      loop: [1]\n      loop_control:\n        index_vr: i\n",
        "DIR/t4.yml:6:9: 'index_vr' is not a valid loop_control option\n   |\n 6 |         index_vr: i\n   |         ^\n   = hint: did you mean 'index_var'?",
    );
    load_error(
        &hosts,
        "t5.yml",
        "- hosts: all\n  roles:\n    - nope\n",
        "DIR/t5.yml:3:7: the role 'nope' was not found\n   |\n 3 |     - nope\n   |       ^\n   = hint: searched: DIR/roles/nope, /root/.ansible/roles/nope, /usr/share/ansible/roles/nope, /etc/ansible/roles/nope, DIR/nope",
    );
    write(&hosts, "a.yml", "- import_tasks: b.yml\n");
    write(&hosts, "b.yml", "- import_tasks: a.yml\n");
    load_error(
        &hosts,
        "t6.yml",
        "- hosts: all\n  tasks:\n    - import_tasks: a.yml\n",
        "DIR/b.yml:1:17: 'DIR/a.yml' includes itself (recursion)\n   |\n 1 | - import_tasks: a.yml\n   |                 ^\n   = hint: remove the import/include cycle",
    );
    load_error(
        &hosts,
        "t7.yml",
        "- hosts: all\n  tasks:\n    - debug: msg=\"{{ broken }\"\n",
        "DIR/t7.yml:3:7: invalid template in an argument: template error while templating string: syntax error: unexpected `}`, expected end of variable block. String: {{ broken }\n   |\n 3 |     - debug: msg=\"{{ broken }\"\n   |       ^",
    );
    load_error(
        &hosts,
        "t8.yml",
        "- hosts: all\n  tasks:\n    - meta: clear_facts\n",
        "DIR/t8.yml:3:13: meta action 'clear_facts' is not supported by ferry\n   |\n 3 |     - meta: clear_facts\n   |             ^\n   = hint: supported: clear_host_errors, end_batch, end_host, end_play, end_role, flush_handlers, noop, refresh_inventory, reset_connection",
    );
    load_error(
        &hosts,
        "t9.yml",
        "- hosts: all\n  become_method: doas\n  tasks: []\n",
        "DIR/t9.yml:2:18: become_method 'doas' is not supported by ferry\n   |\n 2 |   become_method: doas\n   |                  ^\n   = hint: ferry supports become_method: su, sudo",
    );
    load_error(
        &hosts,
        "t10.yml",
        "- hosts: all\n  tasks:\n    - k8s:\n        src: /tmp/x.yml\n        append_hash: true\n",
        "DIR/t10.yml:4:9: argument 'append_hash' of module 'k8s' is not supported by ferry\n   |\n 4 |         src: /tmp/x.yml\n   |         ^\n   = hint: kubectl cannot name a ConfigMap or Secret after its content's hash; use kustomize's configMapGenerator in a command task",
    );
    assert!(!hosts.any_connection(), "no host was contacted");
}

#[test]
fn undefined_variables_and_bad_loops_fail_the_task_with_a_clear_message() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = write(
        &hosts,
        "runtime.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: echo hi\n      when: not_defined_anywhere == 1\n      ignore_errors: yes\n    - command: echo {{ item }}\n      loop: \"{{ 'a string' }}\"\n      ignore_errors: yes\n    - command: echo {{ 'x' | no_such_filter }}\n      ignore_errors: yes\n    - command: echo {{ nope.attr }}\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("\"msg\": \"The conditional check 'not_defined_anywhere == 1' failed. The error was: error while evaluating conditional (not_defined_anywhere == 1): 'not_defined_anywhere' is undefined\\n\\nThe error appears to be in '"), "{}", run.all());
    assert!(run.stdout.contains("runtime.yml': line 5, column 13, but may\\nbe elsewhere in the file depending on the exact syntax problem.\\n\\nThe offending line appears to be:\\n\\n    - command: echo hi\\n      when: not_defined_anywhere == 1\\n            ^ here\\n"), "{}", run.all());
    assert!(
        run.stdout.contains(
            "Invalid data passed to 'loop', it requires a list, got this instead: \\\"a string\\\""
        ),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains(
            "The task includes an option with an undefined variable.. 'nope' is undefined"
        ),
        "{}",
        run.all()
    );
    // A template error names the expression, and where the task is.
    assert!(run.stdout.contains("template error while templating string: unknown filter: Could not load \\\"no_such_filter\\\": 'no_such_filter'"), "{}", run.all());
    assert!(
        run.stdout
            .contains(". String: echo {{ 'x' | no_such_filter }}"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("runtime.yml': line 10, column 7"),
        "{}",
        run.all()
    );
}

#[test]
fn a_self_include_that_never_stops_fails_the_host_at_the_depth_limit() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    write(&hosts, "forever.yml", "- include_tasks: forever.yml\n");
    let pb = write(
        &hosts,
        "self.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - include_tasks: forever.yml\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    let dir = hosts.dir.path().display().to_string();
    let want = format!(
        "{dir}/forever.yml:1:3: includes nest more than 100 deep (is '{dir}/forever.yml' including itself with a condition that never turns false?)"
    );
    assert!(run.stdout.contains(&want), "{}", run.all());
}

#[test]
fn content_a_dynamic_include_reads_is_checked_with_its_position() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    write(&hosts, "bad.yml", "- debug: msg=ok\n- comand: ls\n");
    let pb = write(
        &hosts,
        "dyn.yml",
        "- hosts: all\n  gather_facts: no\n  vars: {f: bad}\n  tasks:\n    - include_tasks: \"{{ f }}.yml\"\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    let dir = hosts.dir.path().display().to_string();
    assert!(run.stderr.ends_with(&format!(
        "ERROR! {dir}/bad.yml:2:3: unknown module or keyword 'comand'\n   |\n 2 | - comand: ls\n   |   ^\n   = hint: did you mean 'command'?\n"
    )), "{}", run.all());
}
