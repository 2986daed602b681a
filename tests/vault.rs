//! Ansible Vault: files and inline values made by ansible-vault 2.18 (several vault ids; plain
//! file, script and client-script password sources; CLI, `ANSIBLE_VAULT_PASSWORD_FILE` and
//! ansible.cfg) decrypt in a real run; a wrong password stops before any host is contacted,
//! naming the file and the vault id; the secrets appear in no output, JSON event or JUnit
//! report while the hosts get the real values; files `ferry vault` writes open in ansible-vault.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{counts, ferry, ferry_env, run_playbook, write, SshHosts};

const PROD: &str = "Sup3rS3cretProd";
const DEFAULT: &str = "T0kenDefault42";
const DEV: &str = "InlineDevSecret9";
const CERT: &str = "CertBody-7f3a9c";

fn ansible_vault() -> PathBuf {
    crate::conformance::ansible_playbook().with_file_name("ansible-vault")
}

/// Runs ansible-vault in `dir`; its stdout.
fn av(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(ansible_vault())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ansible-vault runs");
    assert!(
        out.status.success(),
        "ansible-vault {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Password sources: `pw_default` (a plain file), `prod-pw.sh` (a script) and
/// `keys-client.sh` (a client script that answers for `--vault-id dev`).
fn password_sources(dir: &Path) {
    fs::write(dir.join("pw_default"), "default-pass\n").unwrap();
    executable(&dir.join("prod-pw.sh"), "#!/bin/sh\necho prod-pass\n");
    executable(
        &dir.join("keys-client.sh"),
        "#!/bin/sh\n[ \"$1\" = --vault-id ] && [ \"$2\" = dev ] || exit 2\necho dev-pass\n",
    );
}

/// A playbook whose secrets come from a vaulted group_vars file (id prod), a vaulted
/// vars_files file (default id), an inline `!vault` value (id dev) and a vaulted copy source.
fn vaulted_project(hosts: &SshHosts) -> PathBuf {
    let dir = hosts.dir.path();
    password_sources(dir);
    let gv = write(
        hosts,
        "group_vars/all/vault.yml",
        &format!("db_password: {PROD}\n"),
    );
    av(
        dir,
        &[
            "encrypt",
            "--vault-id",
            "prod@prod-pw.sh",
            gv.to_str().unwrap(),
        ],
    );
    let vf = write(hosts, "secrets.yml", &format!("api_token: {DEFAULT}\n"));
    av(
        dir,
        &[
            "encrypt",
            "--vault-password-file",
            "pw_default",
            vf.to_str().unwrap(),
        ],
    );
    let cert = write(hosts, "files/cert.pem", &format!("{CERT}\n"));
    av(
        dir,
        &[
            "encrypt",
            "--vault-password-file",
            "pw_default",
            cert.to_str().unwrap(),
        ],
    );
    let inline = av(
        dir,
        &[
            "encrypt_string",
            "--vault-id",
            "dev@keys-client.sh",
            DEV,
            "--name",
            "inline_secret",
        ],
    );
    let inline = inline.replace('\n', "\n    ");
    write(
        hosts,
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  vars_files:\n    - secrets.yml\n  vars:\n    {inline}\n  tasks:\n\
             \x20   - copy:\n        content: \"{{{{ db_password }}}}/{{{{ api_token }}}}/{{{{ inline_secret }}}}\\n\"\n        dest: \"{{{{ host_dir }}}}/secrets.txt\"\n\
             \x20   - copy:\n        src: cert.pem\n        dest: \"{{{{ host_dir }}}}/cert.pem\"\n\
             \x20   - command: echo {{{{ db_password }}}}\n      changed_when: false\n\
             \x20   - assert:\n        that: [inline_secret is vault_encrypted, api_token is not vault_encrypted]\n\
             \x20   - debug:\n        var: db_password\n\
             \x20   - debug:\n        msg: \"token {{{{ api_token }}}} and {{{{ inline_secret }}}}\"\n      register: shown\n"
        ),
    )
}

#[test]
fn a_playbook_reads_what_ansible_vault_encrypted_and_never_shows_it() {
    let hosts = SshHosts::start(1);
    let dir = hosts.dir.path();
    let playbook = vaulted_project(&hosts);
    let inv = hosts.inventory("");
    // dev from ansible.cfg's vault_identity_list, default from ANSIBLE_VAULT_PASSWORD_FILE,
    // prod from the command line.
    fs::write(
        dir.join("ansible.cfg"),
        "[defaults]\nvault_identity_list = dev@keys-client.sh\n",
    )
    .unwrap();
    let (kh, pb, inv) = (
        hosts.known_hosts.display().to_string(),
        playbook.display().to_string(),
        inv.display().to_string(),
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            &pb,
            "-i",
            &inv,
            "--known-hosts",
            &kh,
            "--vault-id",
            "prod@prod-pw.sh",
        ];
        args.extend_from_slice(extra);
        ferry_env(
            &args,
            dir,
            &[("ANSIBLE_VAULT_PASSWORD_FILE", &dir.join("pw_default"))],
        )
    };
    let first = run(&["-vvv", "--diff", "--junit", "junit.xml"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        counts(&first, "host1"),
        "ok=6 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        first.all()
    );
    let host = &hosts.hosts[0].dir;
    assert_eq!(
        fs::read_to_string(host.join("secrets.txt")).unwrap(),
        format!("{PROD}/{DEFAULT}/{DEV}\n")
    );
    assert_eq!(
        fs::read_to_string(host.join("cert.pem")).unwrap(),
        format!("{CERT}\n")
    );
    let junit = fs::read_to_string(dir.join("junit.xml")).unwrap();
    let json = run(&["--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    for (what, text) in [
        ("human -vvv --diff", first.all()),
        ("JUnit", junit),
        ("JSON", json.all()),
    ] {
        for secret in [PROD, DEFAULT, DEV, CERT] {
            assert!(
                !text.contains(secret),
                "{secret} shown in {what} output:\n{text}"
            );
        }
    }
    assert!(
        first.stdout.contains("\"db_password\": \"********\""),
        "{}",
        first.all()
    );
    let again = run(&[]);
    assert_eq!(
        counts(&again, "host1"),
        "ok=6 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        again.all()
    );
}

#[test]
fn a_wrong_or_missing_password_stops_before_any_host_naming_the_file_and_id() {
    let hosts = SshHosts::start(1);
    let dir = hosts.dir.path();
    let playbook = vaulted_project(&hosts);
    let inv = hosts.inventory("");
    fs::write(dir.join("wrong"), "not-the-password\n").unwrap();
    let run = |extra: &[&str]| run_playbook(&hosts, &playbook, &inv, extra);
    let wrong = run(&[
        "--vault-id",
        "prod@wrong",
        "--vault-password-file",
        "pw_default",
        "--vault-id",
        "dev@keys-client.sh",
    ]);
    assert_ne!(wrong.code, 0, "{}", wrong.all());
    let vault_file = dir.join("group_vars/all/vault.yml").display().to_string();
    assert!(
        wrong.stderr.contains(&vault_file) && wrong.stderr.contains("vault id 'prod'"),
        "{}",
        wrong.all()
    );
    assert!(
        wrong.stderr.contains("decryption failed"),
        "{}",
        wrong.all()
    );
    let missing = run(&[]);
    assert_ne!(missing.code, 0, "{}", missing.all());
    assert!(
        missing.stderr.contains("a vault password is needed"),
        "{}",
        missing.all()
    );
    let no_tty = run(&["--ask-vault-pass"]);
    assert!(
        no_tty.stderr.contains("no terminal to ask on"),
        "{}",
        no_tty.all()
    );
    let bad_source = run(&["--vault-id", "qa@keys-client.sh"]);
    assert!(
        bad_source.stderr.contains("no secret for vault id 'qa'"),
        "{}",
        bad_source.all()
    );
    assert!(!hosts.any_connection(), "a host was contacted");
}

#[test]
fn files_ferry_vault_writes_open_in_ansible_vault_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    password_sources(d);
    fs::write(d.join("plain.yml"), "key: ferry-made\n").unwrap();
    let enc = ferry(
        &[
            "vault",
            "encrypt",
            "--vault-id",
            "prod@prod-pw.sh",
            "plain.yml",
        ],
        d,
    );
    assert_eq!(enc.code, 0, "{}", enc.all());
    let text = fs::read_to_string(d.join("plain.yml")).unwrap();
    assert!(
        text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"),
        "{text}"
    );
    assert_eq!(
        av(d, &["view", "--vault-id", "prod@prod-pw.sh", "plain.yml"]),
        "key: ferry-made\n"
    );

    // encrypt_string: the envelope, unindented, is a vault ansible-vault reads.
    let s = ferry(
        &[
            "vault",
            "encrypt_string",
            "--vault-password-file",
            "pw_default",
            "-n",
            "tok",
            "inline-x",
        ],
        d,
    );
    assert!(
        s.stdout
            .starts_with("tok: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        "{}",
        s.all()
    );
    let envelope: String = s
        .stdout
        .lines()
        .skip(1)
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    fs::write(d.join("inline.vault"), envelope).unwrap();
    // (ansible-vault view ends what it prints with a newline)
    assert_eq!(
        av(
            d,
            &[
                "view",
                "--vault-password-file",
                "pw_default",
                "inline.vault"
            ]
        ),
        "inline-x\n"
    );

    // rekey to the default password, then ferry decrypts to --output.
    let rekey = ferry(
        &[
            "vault",
            "rekey",
            "--vault-id",
            "prod@prod-pw.sh",
            "--new-vault-password-file",
            "pw_default",
            "plain.yml",
        ],
        d,
    );
    assert_eq!(rekey.code, 0, "{}", rekey.all());
    assert_eq!(
        av(
            d,
            &["view", "--vault-password-file", "pw_default", "plain.yml"]
        ),
        "key: ferry-made\n"
    );
    let dec = ferry(
        &[
            "vault",
            "decrypt",
            "--vault-password-file",
            "pw_default",
            "--output",
            "out.yml",
            "plain.yml",
        ],
        d,
    );
    assert_eq!(dec.code, 0, "{}", dec.all());
    assert_eq!(
        fs::read_to_string(d.join("out.yml")).unwrap(),
        "key: ferry-made\n"
    );

    // edit through $EDITOR; view what ansible-vault wrote.
    executable(
        &d.join("editor.sh"),
        "#!/bin/sh\necho 'added: yes' >> \"$1\"\n",
    );
    let edit = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "vault",
            "edit",
            "--vault-password-file",
            "pw_default",
            "plain.yml",
        ])
        .env("EDITOR", d.join("editor.sh"))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        edit.status.success(),
        "{}",
        String::from_utf8_lossy(&edit.stderr)
    );
    let view = ferry(
        &[
            "vault",
            "view",
            "--vault-password-file",
            "pw_default",
            "plain.yml",
        ],
        d,
    );
    assert_eq!(
        view.stdout,
        "key: ferry-made\nadded: yes\n",
        "{}",
        view.all()
    );
    let wrong = ferry(
        &[
            "vault",
            "view",
            "--vault-id",
            "prod@prod-pw.sh",
            "plain.yml",
        ],
        d,
    );
    assert!(
        wrong.code != 0 && wrong.stderr.contains("plain.yml"),
        "{}",
        wrong.all()
    );
}

/// The pipeline file names its own password sources (no vault flag on the command line).
#[test]
fn a_pipeline_runs_vaulted_playbooks_and_keeps_no_secret_in_its_history() {
    let hosts = SshHosts::start(1);
    let dir = hosts.dir.path();
    vaulted_project(&hosts);
    let inv = hosts.inventory("");
    write(
        &hosts,
        "pipeline.yml",
        &format!(
            "name: vaulted\nvault_password_file: pw_default\nvault_ids: [prod@prod-pw.sh, dev@keys-client.sh]\nstages:\n  - name: deploy\n    playbook: site.yml\n    inventory: {}\n    export:\n      token: \"{{{{ shown.msg }}}}\"\n",
            inv.display()
        ),
    );
    let kh = hosts.known_hosts.display().to_string();
    let run = ferry(
        &[
            "pipeline",
            "run",
            "pipeline.yml",
            "--known-hosts",
            &kh,
            "-v",
        ],
        dir,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let host = &hosts.hosts[0].dir;
    assert_eq!(
        fs::read_to_string(host.join("secrets.txt")).unwrap(),
        format!("{PROD}/{DEFAULT}/{DEV}\n")
    );
    let history = ferry(&["history", "pipeline.yml", "show", "1"], dir);
    // The database and its journal, as bytes.
    let db: Vec<u8> = fs::read_dir(dir.join(".ferry"))
        .unwrap()
        .flat_map(|e| fs::read(e.unwrap().path()).unwrap_or_default())
        .collect();
    let db = String::from_utf8_lossy(&db);
    for (what, text) in [
        ("run", run.all()),
        ("history show", history.all()),
        ("history db", db.into_owned()),
    ] {
        for secret in [PROD, DEFAULT, DEV, CERT] {
            assert!(!text.contains(secret), "{secret} shown in {what}:\n{text}");
        }
    }
    assert!(
        run.stdout
            .contains("export token = token ******** and ********"),
        "{}",
        run.all()
    );
}

/// Each of the other places Ansible reads vaulted files from, in one run: an INI inventory,
/// a host_vars directory, role defaults and vars, include_vars, a template source, the `file`
/// lookup, and `copy` with `decrypt: false`.
#[test]
fn vaulted_files_are_read_from_every_place_ansible_reads_them() {
    let hosts = SshHosts::start(1);
    let dir = hosts.dir.path();
    password_sources(dir);
    let encrypt = |name: &str, text: &str| {
        let path = write(&hosts, name, text);
        av(
            dir,
            &[
                "encrypt",
                "--vault-password-file",
                "pw_default",
                path.to_str().unwrap(),
            ],
        );
    };
    let inv_text = fs::read_to_string(hosts.inventory("")).unwrap();
    encrypt(
        "inventory.ini",
        &format!(
            "{}\n[all:vars]\nfrom_inventory=InvSecret-1\n",
            inv_text.trim_end()
        ),
    );
    encrypt(
        "host_vars/host1/vault.yml",
        "from_host_vars: HostVarSecret-2\n",
    );
    encrypt(
        "roles/r/defaults/main.yml",
        "from_role_defaults: RoleDefSecret-3\n",
    );
    encrypt("roles/r/vars/main.yml", "from_role_vars: RoleVarSecret-4\n");
    write(
        &hosts,
        "roles/r/tasks/main.yml",
        "- include_vars: extra.yml\n",
    );
    encrypt(
        "roles/r/vars/extra.yml",
        "from_include_vars: IncludeSecret-5\n",
    );
    encrypt("templates/t.j2", "{{ from_inventory }} {{ from_host_vars }} {{ from_role_defaults }} {{ from_role_vars }} {{ from_include_vars }}\n");
    encrypt("files/lookup.txt", "LookupSecret-6\n");
    encrypt("files/raw.txt", "RawSecret-7\n");
    let pb = write(
        &hosts,
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  roles: [r]\n  tasks:\n\
         \x20   - template:\n        src: t.j2\n        dest: \"{{ host_dir }}/t.txt\"\n\
         \x20   - copy:\n        content: \"{{ lookup('file', 'lookup.txt') }}/{{ lookup('unvault', 'lookup.txt') }}\"\n        dest: \"{{ host_dir }}/lookup.txt\"\n\
         \x20   - copy:\n        src: raw.txt\n        dest: \"{{ host_dir }}/raw.txt\"\n        decrypt: false\n",
    );
    let inv = hosts.path("inventory.ini");
    let run = run_playbook(
        &hosts,
        &pb,
        &inv,
        &["--vault-password-file", "pw_default", "-v"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let host = &hosts.hosts[0].dir;
    assert_eq!(
        fs::read_to_string(host.join("t.txt")).unwrap(),
        "InvSecret-1 HostVarSecret-2 RoleDefSecret-3 RoleVarSecret-4 IncludeSecret-5\n"
    );
    assert_eq!(
        fs::read_to_string(host.join("lookup.txt")).unwrap(),
        "LookupSecret-6/LookupSecret-6\n"
    );
    let raw = fs::read_to_string(host.join("raw.txt")).unwrap();
    assert!(raw.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{raw}");
    for secret in [
        "HostVarSecret-2",
        "RoleDefSecret-3",
        "RoleVarSecret-4",
        "IncludeSecret-5",
        "LookupSecret-6",
    ] {
        assert!(
            !run.all().contains(secret),
            "{secret} shown:\n{}",
            run.all()
        );
    }
}

/// `--ask-vault-pass` and `--vault-id LABEL@prompt` ask on the terminal (a pty from util-linux's
/// `script`), and the password typed is not echoed.
#[test]
fn passwords_are_asked_on_a_terminal_without_echo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    password_sources(d);
    fs::write(d.join("a.yml"), "opened: by-prompt\n").unwrap();
    av(d, &["encrypt", "--vault-id", "qa@pw_default", "a.yml"]);
    let ferry_bin = env!("CARGO_BIN_EXE_ferry");
    for (flags, question) in [
        ("--ask-vault-pass", "Vault password: "),
        ("--vault-id qa@prompt", "Vault password (qa): "),
    ] {
        // The answer is typed once the prompt has turned echo off.
        let shell = format!(
            "(sleep 2; printf 'default-pass\\n') | script -qec '{ferry_bin} vault view {flags} a.yml' /dev/null"
        );
        let out = Command::new("sh")
            .args(["-c", &shell])
            .current_dir(d)
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout).replace('\r', "");
        assert!(screen.starts_with(question), "{screen}");
        assert!(screen.contains("opened: by-prompt"), "{screen}");
        assert!(
            !screen.contains("default-pass"),
            "the password was echoed: {screen}"
        );
    }
}
