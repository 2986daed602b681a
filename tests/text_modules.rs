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
