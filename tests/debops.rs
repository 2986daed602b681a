//! A DebOps role (the `debops` package from PyPI, pinned in `scripts/debops.sh`) converges on a
//! fresh Debian system host (`support::rootfs`) as under ansible-playbook 2.18: the same PLAY
//! RECAP twice, changed=0 the second time, the same end state. `debops.debops.users` leans on
//! its collection's Python plugins: the `parse_kv_items` filter on every loop, the `task_src`
//! lookup for its hooks, and `global_handlers`, whose handlers file imports others.

use crate::roles::counts;
use crate::support::rootfs::SystemHosts;
use crate::template_plugins::script_output;

/// The account DebOps manages, in the inventory's variables. `local: false`: the role's
/// default asks for libuser's `lgroupadd`, which Debian's base system lacks.
const GROUP_VARS: &str = "users__accounts:\n  - name: ferrydebops\n    comment: Ferry DebOps\n    shell: /bin/bash\n    groups: [users]\n    local: false\n";

#[test]
fn debops_users_role_converges_as_under_ansible() {
    let hosts = SystemHosts::start(2);
    let cfg = format!(
        "[defaults]\ncollections_path = {}:{}\n",
        script_output("debops.sh"),
        script_output("corpus.sh")
    );
    hosts.write("ansible.cfg", &cfg);
    hosts.write("group_vars/all.yml", GROUP_VARS);
    let pb = hosts.write(
        "site.yml",
        "- hosts: all\n  roles:\n    - debops.debops.users\n",
    );
    for pass in ["first", "second"] {
        let (code, ansible) = hosts.ansible(&pb, &["sys1"], &[]);
        assert_eq!(code, 0, "ansible-playbook, {pass} run:\n{ansible}");
        let run = hosts.ferry(&pb, &["sys2"], &[]);
        assert_eq!(run.code, 0, "ferry, {pass} run:\n{}", run.all());
        let ferry_counts = counts(&run.stdout);
        assert_eq!(
            ferry_counts,
            counts(&ansible),
            "{pass} run: ferry's recap differs from ansible-playbook's\n--- ansible\n{ansible}\n--- ferry\n{}",
            run.all()
        );
        if pass == "second" {
            let changed = ferry_counts.iter().find(|(k, _)| k == "changed");
            assert_eq!(changed.map(|(_, n)| *n), Some(0), "{}", run.all());
        }
    }
    let state = "getent passwd ferrydebops | cut -d: -f1,5,6,7; id -nG ferrydebops; \
                 stat -c '%n %U %G %a' /home/ferrydebops; dpkg-query -W -f '${Package} ${Status}\\n' acl";
    let (a, f) = (hosts.host("sys1").sh(state), hosts.host("sys2").sh(state));
    assert_eq!(a.0, 0, "state on sys1: {}", a.1);
    let want = "ferrydebops:Ferry DebOps:/home/ferrydebops:/bin/bash\nferrydebops users\n";
    assert!(a.1.starts_with(want), "state on sys1: {}", a.1);
    assert_eq!(
        f, a,
        "the host ferry ran on differs from ansible-playbook's"
    );
}
