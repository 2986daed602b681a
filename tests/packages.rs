//! Package modules (`apt`, `package`, `package_facts`, `apt_repository`, `apt_key`,
//! `deb822_repository`, `debconf`) acting for real on Debian system hosts
//! (`support/rootfs.rs`): packages from deb.debian.org, .deb files and a local repository
//! built by the test; idempotence, check mode, diff, and the same tasks through
//! ansible-playbook on a second fresh host.

use crate::support::counts;
use crate::support::rootfs::SystemHosts;

#[test]
fn a_system_host_answers_ferry_and_ansible_and_reaches_the_debian_mirror() {
    let hosts = SystemHosts::start(1);
    let pb = hosts.write(
        "pb.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: cat /etc/debian_version\n      register: v\n    - assert: {that: [\"v.stdout is match('12')\"]}\n",
    );
    let run = hosts.ferry(&pb, &[], &[]);
    assert_eq!(
        counts(&run, "sys1"),
        "ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        run.all()
    );
    let (code, out) = hosts.ansible(&pb, &[], &[]);
    assert_eq!(code, 0, "{out}");
    let (rc, out) = hosts
        .host("sys1")
        .sh("apt-get update -q >/dev/null 2>&1 && apt-cache policy hello | grep Candidate");
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("Candidate: 2."), "{out}");
}
