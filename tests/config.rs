//! ansible.cfg: ferry reads the same file as ansible-playbook (from the working directory)
//! and the same settings: `inventory`, `roles_path` (relative to the file), `gathering`,
//! `ansible_managed`, `forks`; and `ferry config dump --only-changed` prints what
//! `ansible-config dump --only-changed` prints.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{ferry, SshHosts};

/// ansible-playbook in `dir` with no `-i` (the inventory comes from ansible.cfg).
fn ansible_in(hosts: &SshHosts, dir: &Path, playbook: &str) -> (i32, String) {
    let mut cmd = crate::conformance::ansible_command(hosts, Path::new(playbook));
    cmd.current_dir(dir);
    crate::conformance::run_command(cmd)
}

fn ansible_config_dump(dir: &Path) -> String {
    let exe = crate::conformance::ansible_playbook().with_file_name("ansible-config");
    let out = Command::new(exe)
        .args(["dump", "--only-changed"])
        .current_dir(dir)
        .output()
        .expect("ansible-config runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Its base settings; the GALAXY_SERVERS section after the blank line is not ferry's.
    text.split("\n\n").next().unwrap_or("").trim().to_string()
}

#[test]
fn ansible_cfg_settings_apply_as_in_ansible() {
    let hosts = SshHosts::start(1);
    let dir = hosts.dir.path();
    let inv = hosts.inventory("");
    fs::write(
        dir.join("ansible.cfg"),
        format!(
            "[defaults]\ninventory = {}\nroles_path = ./myroles\ngathering = explicit\nforks = 3\n\
             ansible_managed = Managed for {{file}}\nretry_files_enabled = False\nunknown_key = ignored\n",
            inv.display()
        ),
    )
    .unwrap();
    let role = dir.join("myroles/greet");
    fs::create_dir_all(role.join("tasks")).unwrap();
    fs::create_dir_all(role.join("templates")).unwrap();
    fs::write(
        role.join("tasks/main.yml"),
        "- file:\n    path: \"{{ host_dir }}/out\"\n    state: directory\n\
         - template:\n    src: managed.j2\n    dest: \"{{ host_dir }}/out/managed.txt\"\n",
    )
    .unwrap();
    fs::write(
        role.join("templates/managed.j2"),
        "# {{ ansible_managed }}\nforks={{ ansible_forks }}\nhostname={{ ansible_facts.hostname | default('not gathered') }}\n",
    )
    .unwrap();
    fs::create_dir_all(dir.join("plays")).unwrap();
    fs::write(
        dir.join("plays/site.yml"),
        "- hosts: all\n  roles:\n    - greet\n",
    )
    .unwrap();

    let managed = hosts.hosts[0].dir.join("out/managed.txt");
    let (code, out) = ansible_in(&hosts, dir, "plays/site.yml");
    assert_eq!(code, 0, "{out}");
    let ansible_file = fs::read_to_string(&managed).unwrap();
    fs::remove_file(&managed).unwrap();

    let kh = hosts.known_hosts.display().to_string();
    let run = ferry(&["run", "plays/site.yml", "--known-hosts", &kh], dir);
    assert_eq!(run.code, 0, "{}", run.all());
    let ferry_file = fs::read_to_string(&managed).unwrap();
    assert_eq!(ferry_file, ansible_file);
    assert!(
        ferry_file.contains("forks=3") && ferry_file.contains("not gathered"),
        "{ferry_file}"
    );

    let dump = ferry(&["config", "dump", "--only-changed"], dir);
    assert_eq!(dump.code, 0, "{}", dump.all());
    assert_eq!(dump.stdout.trim(), ansible_config_dump(dir));
}

#[test]
fn a_bad_value_in_ansible_cfg_is_named_before_anything_runs() {
    let hosts = SshHosts::start(0);
    let dir = hosts.dir.path();
    fs::write(dir.join("ansible.cfg"), "[defaults]\nforks = many\n").unwrap();
    fs::write(dir.join("pb.yml"), "- hosts: all\n  tasks: []\n").unwrap();
    let run = ferry(&["run", "pb.yml"], dir);
    assert_eq!(run.code, 5, "{}", run.all());
    assert!(
        run.stderr.contains("DEFAULT_FORKS = 'many'")
            && run.stderr.contains("ansible.cfg")
            && run.stderr.contains("whole number"),
        "{}",
        run.all()
    );
}

#[test]
fn host_lists_and_roles_named_from_an_imported_playbook() {
    let hosts = SshHosts::start(0);
    let dir = hosts.dir.path();
    // `-i a,b,` is a host list, not a missing file.
    let listed = ferry(&["inventory", "-i", "web1,web2,", "--list"], dir);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed.stdout.contains("web1") && listed.stdout.contains("web2"),
        "{}",
        listed.all()
    );
    // A role named by a path relative to an imported playbook is found from that playbook.
    fs::create_dir_all(dir.join("shared/base/tasks")).unwrap();
    fs::write(
        dir.join("shared/base/tasks/main.yml"),
        "- debug:\n    msg: base\n",
    )
    .unwrap();
    fs::create_dir_all(dir.join("plays/deep")).unwrap();
    fs::write(
        dir.join("plays/deep/app.yml"),
        "- hosts: all\n  roles:\n    - ../../shared/base\n",
    )
    .unwrap();
    fs::write(
        dir.join("site.yml"),
        "- import_playbook: plays/deep/app.yml\n",
    )
    .unwrap();
    let check = ferry(
        &["run", "site.yml", "-i", "localhost,", "--syntax-check"],
        dir,
    );
    assert_eq!(check.code, 0, "{}", check.all());
}

#[test]
fn strategy_from_ansible_cfg_runs_every_play_that_names_none() {
    let hosts = SshHosts::start(2);
    let dir = hosts.dir.path();
    let inv = hosts.inventory("");
    fs::write(
        dir.join("ansible.cfg"),
        format!(
            "[defaults]\ninventory = {}\nstrategy = free\n",
            inv.display()
        ),
    )
    .unwrap();
    // Under free, host2 runs its second task while host1 still sleeps in its first.
    fs::write(
        dir.join("pb.yml"),
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - file: {path: \"{{ host_dir }}/out\", state: directory}\n\
         \x20   - shell: sleep 3; touch {{ host_dir }}/out/slow_done\n      when: inventory_hostname == 'host1'\n\
         \x20   - shell: test -e {{ hostvars['host1'].host_dir }}/out/slow_done && echo waited > {{ host_dir }}/out/free || echo ran_ahead > {{ host_dir }}/out/free\n      when: inventory_hostname == 'host2'\n",
    )
    .unwrap();
    let marker = hosts.hosts[1].dir.join("out/free");
    let (code, out) = ansible_in(&hosts, dir, "pb.yml");
    assert_eq!(code, 0, "{out}");
    assert_eq!(fs::read_to_string(&marker).unwrap(), "ran_ahead\n");
    fs::remove_file(&marker).unwrap();
    fs::remove_file(hosts.hosts[0].dir.join("out/slow_done")).unwrap();
    let kh = hosts.known_hosts.display().to_string();
    let run = ferry(&["run", "pb.yml", "--known-hosts", &kh], dir);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(fs::read_to_string(&marker).unwrap(), "ran_ahead\n");

    fs::write(dir.join("ansible.cfg"), "[defaults]\nstrategy = fastest\n").unwrap();
    let run = ferry(&["run", "pb.yml", "-i", "localhost,"], dir);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stderr
            .contains("pb.yml:1:3: invalid strategy 'fastest' in the DEFAULT_STRATEGY setting"),
        "{}",
        run.all()
    );
}
