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
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dir = std::env::var("FERRY_CORPUS_CACHE").unwrap_or(format!("{home}/.cache/ferry-corpus"));
    let collections = std::path::Path::new(&dir).join("ansible-11.13.0");
    assert!(
        collections
            .join("ansible_collections/community/general")
            .is_dir(),
        "community.general is missing: run `bash scripts/corpus.sh`"
    );
    // nextest runs each test in its own process: the variable reaches only this test's
    // ansible-playbook.
    std::env::set_var("ANSIBLE_COLLECTIONS_PATH", &collections);
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
        "DIR/b1.yml:3:20: value of 'state' of module 'blockinfile' must be one of: absent, present, got: maybe\n   |\n 3 |     - blockinfile: {path: /tmp/x, state: maybe}\n   |                    ^\n   = hint: write state: absent",
    );
    load_error(
        &hosts,
        "b2.yml",
        &task("find: {paths: /tmp, file_type: socket}"),
        "DIR/b2.yml:3:13: value of 'file_type' of module 'find' must be one of: any, directory, file, link, got: socket\n   |\n 3 |     - find: {paths: /tmp, file_type: socket}\n   |             ^\n   = hint: write file_type: any",
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
