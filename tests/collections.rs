//! Modules and roles of installed collections (`ANSIBLE_COLLECTIONS_PATH`): a playbook that
//! lives in a collection searches it for short names; a module ferry has no native code for
//! loads, and runs as Ansible runs it (tests/fallback.rs); one that cannot run fails its task
//! saying why (the play goes on).

use std::fs;
use std::path::Path;

use crate::support::{ferry_env, Run};

/// Writes `files` under `dir`.
fn tree(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
}

/// `ferry run ARGS` in `dir`, with (or without) `dir/installed` as the collections path.
fn ferry(dir: &Path, args: &[&str], installed: bool) -> Run {
    let collections = dir.join(if installed { "installed" } else { "none" });
    let config = dir.join("ansible.cfg");
    let env = [
        ("ANSIBLE_CONFIG", config.as_path()),
        ("ANSIBLE_COLLECTIONS_PATH", collections.as_path()),
        // No ansible-core on this controller, whatever the machine has.
        ("FERRY_ANSIBLE_CORE_DIR", collections.as_path()),
    ];
    ferry_env(&[&["run"], args].concat(), dir, &env)
}

const COLL: &str = "installed/ansible_collections/ns/coll";

#[test]
fn a_playbook_inside_an_installed_collection_finds_its_modules_by_short_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let site = format!("{COLL}/playbooks/site.yml");
    tree(
        dir,
        &[
            ("ansible.cfg", ""),
            (&format!("{COLL}/plugins/modules/thing.py"), ""),
            (&site, "- hosts: all\n  tasks:\n    - thing: {a: 1}\n"),
        ],
    );
    let run = ferry(dir, &["--syntax-check", "-i", "localhost,", &site], true);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = ferry(dir, &["--syntax-check", "-i", "localhost,", &site], false);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stderr
            .contains("site.yml:3:7: unknown module or keyword 'thing'"),
        "{}",
        run.all()
    );
}

#[test]
fn a_module_without_native_code_loads_and_fails_its_task_when_it_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    \
                - ns.coll.thing: {a: 1}\n      ignore_errors: true\n    \
                - ansible.builtin.subversion:\n    - debug: {msg: after}\n";
    tree(
        dir,
        &[
            ("ansible.cfg", ""),
            (&format!("{COLL}/plugins/modules/thing.py"), ""),
            ("site.yml", play),
            ("hosts", "local ansible_connection=local\n"),
        ],
    );
    for args in [
        &["site.yml", "-i", "hosts"][..],
        &["site.yml", "-i", "hosts", "--check"],
    ] {
        let run = ferry(dir, args, true);
        assert_eq!(run.code, 2, "{}", run.all());
        for want in [
            // An empty file prints no JSON.
            "MODULE FAILURE\\nSee stdout/stderr for the exact error",
            "module 'ansible.builtin.subversion' was resolved at load, but its file is not on this \
             controller",
            "local                      : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=1",
        ] {
            assert!(run.stdout.contains(want), "{want}\n{}", run.all());
        }
        assert!(!run.stdout.contains("after"), "{}", run.all());
    }
}

#[test]
fn a_connection_plugin_of_an_installed_collection_loads_and_its_hosts_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let play = "- hosts: all\n  gather_facts: false\n  connection: network_cli\n  tasks:\n    \
                - command: 'true'\n";
    tree(
        dir,
        &[
            ("ansible.cfg", ""),
            (&format!("{COLL}/plugins/connection/network_cli.py"), ""),
            ("site.yml", play),
        ],
    );
    let run = ferry(dir, &["site.yml", "-i", "localhost,"], true);
    assert_eq!(run.code, 4, "{}", run.all());
    let want = "localhost: unknown connection type 'network_cli' (ansible_connection)";
    assert!(run.stdout.contains(want), "{}", run.all());
    let run = ferry(
        dir,
        &["--syntax-check", "-i", "localhost,", "site.yml"],
        false,
    );
    assert_eq!(run.code, 4, "{}", run.all());
    let want = "site.yml:3:15: unknown connection type 'network_cli'";
    assert!(run.stderr.contains(want), "{}", run.all());
}

/// As in ovirt.ovirt's `infra` role: a role inside another role's directory of a collection,
/// named `ns.coll.outer.roles.inner` (the names between the collection and the role are its
/// subdirectories under `roles/`); and the `action: {module: ...}` form finding a collection's
/// module by its short name through the `collections` keyword, as the module key does.
#[test]
fn dotted_role_names_and_the_action_form_search_collections() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tree(
        dir,
        &[
            ("ansible.cfg", ""),
            (&format!("{COLL}/plugins/modules/thing.py"), ""),
            (
                &format!("{COLL}/roles/outer/tasks/main.yml"),
                "- import_role: {name: ns.coll.outer.roles.inner}\n",
            ),
            (
                &format!("{COLL}/roles/outer/roles/inner/tasks/main.yml"),
                "- debug: {msg: inner}\n",
            ),
            (
                "site.yml",
                "- hosts: all\n  collections: [ns.coll]\n  roles: [ns.coll.outer]\n  tasks:\n    \
                 - action: {module: thing, a: 1}\n",
            ),
            (
                "missing.yml",
                "- hosts: all\n  roles: [ns.coll.outer.roles.nothing]\n",
            ),
        ],
    );
    let run = ferry(
        dir,
        &["--syntax-check", "-i", "localhost,", "site.yml"],
        true,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let run = ferry(
        dir,
        &["--syntax-check", "-i", "localhost,", "missing.yml"],
        true,
    );
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stderr
            .contains("the role 'ns.coll.outer.roles.nothing' was not found"),
        "{}",
        run.all()
    );
}
