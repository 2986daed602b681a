//! Connection kinds and options, on real servers: `ansible_connection: docker` runs every
//! module in a container of a real Docker engine (an image built `FROM scratch` with busybox
//! as its userland, no Python in it), through `docker exec`; ssh options from the inventory
//! (`ansible_ssh_common_args`/`_extra_args`), a ProxyCommand included, on real sshd hosts.

use std::fs;

use crate::support::docker::{Docker, BUSYBOX};
use crate::support::{counts, ferry, SshHosts};

/// A container running busybox's userland (`sleep`), made from a scratch image.
fn start_container(docker: &Docker, dir: &std::path::Path) -> String {
    let ctx = dir.join("box");
    fs::create_dir_all(&ctx).unwrap();
    fs::copy(BUSYBOX, ctx.join("busybox")).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/tmp\", \"/srv\", \"/etc\"]\n\
         CMD [\"/bin/sleep\", \"3600\"]\n",
    )
    .unwrap();
    let built = docker.docker(
        0,
        &[
            "build",
            "--network",
            "none",
            "-t",
            "ferry-box",
            &ctx.display().to_string(),
        ],
    );
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = docker.docker(
        0,
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            "box1",
            "ferry-box",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    "box1".to_string()
}

#[test]
fn modules_run_in_a_container_through_docker_exec() {
    let docker = Docker::start(1);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let container = start_container(&docker, d);
    fs::write(
        d.join("inv.ini"),
        format!(
            "[boxes]\nbox ansible_connection=docker ansible_host={container} ansible_docker_extra_args=\"{}\"\n\
             [boxes:vars]\nout={}\n",
            docker.host_arg(0),
            d.join("out").display()
        ),
    )
    .unwrap();
    fs::write(
        d.join("t.j2"),
        "{{ inventory_hostname }} runs as {{ uid.stdout }}\n",
    )
    .unwrap();
    fs::write(
        d.join("pb.yml"),
        "- hosts: boxes\n  gather_facts: no\n  tasks:\n\
         \x20   - command: id -u\n      register: uid\n      changed_when: false\n\
         \x20   - file: path=/srv/dir state=directory mode=0750\n\
         \x20   - copy:\n        content: \"hello {{ inventory_hostname }}\\n\"\n        dest: /srv/dir/hello.txt\n        mode: \"0640\"\n\
         \x20   - template: src=t.j2 dest=/srv/dir/t.txt\n\
         \x20   - stat: path=/srv/dir/hello.txt\n      register: st\n\
         \x20   - assert:\n        that: [st.stat.exists, st.stat.mode == '0640', st.stat.size == 10]\n\
         \x20   - fetch: src=/srv/dir/t.txt dest={{ out }}/t.txt flat=yes\n",
    )
    .unwrap();
    let run = ferry(&["run", "pb.yml", "-i", "inv.ini"], d);
    assert_eq!(run.code, 0, "{}", run.all());
    let cat = |path: &str| {
        let out = docker.docker(0, &["exec", &container, "cat", path]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(cat("/srv/dir/hello.txt"), "hello box\n");
    assert_eq!(cat("/srv/dir/t.txt"), "box runs as 0\n");
    assert_eq!(
        fs::read_to_string(d.join("out/t.txt")).unwrap(),
        "box runs as 0\n"
    );
    assert_eq!(
        counts(&run, "box"),
        "ok=7 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    // Converged: nothing changes the second time.
    let again = ferry(&["run", "pb.yml", "-i", "inv.ini"], d);
    assert_eq!(
        counts(&again, "box"),
        "ok=7 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        again.all()
    );
}

#[test]
fn a_missing_container_is_unreachable_with_dockers_words() {
    let docker = Docker::start(1);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("inv.ini"),
        format!(
            "gone ansible_connection=docker ansible_docker_extra_args=\"{}\"\n",
            docker.host_arg(0)
        ),
    )
    .unwrap();
    fs::write(
        d.join("pb.yml"),
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: true\n",
    )
    .unwrap();
    let run = ferry(&["run", "pb.yml", "-i", "inv.ini"], d);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stdout
            .contains("gone: cannot reach container gone: Error: No such object: gone"),
        "{}",
        run.all()
    );
    assert_eq!(
        counts(&run, "gone"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0"
    );
}

/// `-o UserKnownHostsFile/StrictHostKeyChecking/IdentityFile/Port/User` in
/// `ansible_ssh_common_args` are honoured (ferry is run without `--known-hosts` or a key:
/// only the options can make it connect); a ProxyCommand (`ssh -W` through host1, with a log
/// that proves it ran) carries host2's connection; `-o ForwardAgent=yes` is refused by name.
#[test]
fn ssh_options_from_the_inventory_are_honoured_and_the_rest_refused() {
    let hosts = SshHosts::start(2);
    let (h1, h2) = (hosts.host("host1"), hosts.host("host2"));
    let (kh, key) = (hosts.known_hosts.display(), hosts.user_key.display());
    let log = hosts.path("proxy.log");
    let common = format!(
        "-o UserKnownHostsFile={kh} -o StrictHostKeyChecking=yes -o IdentityFile={key} -o User=root"
    );
    let proxy = format!(
        "ssh -F /dev/null -E {} -v -i {key} -o UserKnownHostsFile={kh} -o StrictHostKeyChecking=yes -o BatchMode=yes -p {} -W %h:%p root@{}",
        log.display(),
        h1.port,
        h1.addr
    );
    let inventory = format!(
        "host1 ansible_host={a1} host_dir={d1} ansible_ssh_common_args=\"{common} -o Port={p1}\"\n\
         host2 ansible_host={a2} ansible_port={p2} host_dir={d2} ansible_ssh_common_args=\"{common}\" ansible_ssh_extra_args=\"-o 'ProxyCommand={proxy}'\"\n\
         refused ansible_host={a1} host_dir={d1} ansible_ssh_common_args=\"{common} -o Port={p1}\" ansible_ssh_extra_args=\"-o ForwardAgent=yes\"\n",
        a1 = h1.addr,
        p1 = h1.port,
        d1 = h1.dir.display(),
        a2 = h2.addr,
        p2 = h2.port,
        d2 = h2.dir.display(),
    );
    let d = hosts.dir.path();
    fs::write(d.join("opts.ini"), inventory).unwrap();
    fs::write(
        d.join("opts.yml"),
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo {{ inventory_hostname }} > {{ host_dir }}/via-options-{{ inventory_hostname }}\n",
    )
    .unwrap();
    let run = ferry(&["run", "opts.yml", "-i", "opts.ini"], d);
    assert_eq!(run.code, 4, "{}", run.all());
    for (h, name) in [(h1, "host1"), (h2, "host2")] {
        let written = fs::read_to_string(h.dir.join(format!("via-options-{name}")));
        assert_eq!(
            written.unwrap_or_default(),
            format!("{name}\n"),
            "{}",
            run.all()
        );
        assert_eq!(
            counts(&run, name),
            "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
        );
    }
    let proxy_log = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        proxy_log.contains("Authenticated to"),
        "the ProxyCommand carried host2: {proxy_log}"
    );
    assert_eq!(
        counts(&run, "refused"),
        "ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0"
    );
    assert!(
        run.stdout.contains(
            "ansible_ssh_extra_args: -o ForwardAgent=yes asks for agent forwarding, which ferry does not do; remove it"
        ),
        "{}",
        run.all()
    );
}
