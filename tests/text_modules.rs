//! The file and text modules (`replace`, `blockinfile`, `ini_file`, `slurp`, `assemble`,
//! `tempfile`, `find`, `script`, `pause`, `ping`, `wait_for_connection`) on real files of the
//! sshd test hosts: each playbook under tests/conformance/ runs through ansible-playbook and
//! ferry, and the registered values, changed counts and files left must be the same.

use crate::conformance::conform_with;

#[test]
fn text_files_conform_replace_blockinfile_slurp_ping() {
    conform_with("text_files.yml", 1, "", &[], false);
}
