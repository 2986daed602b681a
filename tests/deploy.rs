//! Issue 5's scenario on real parts: the playbooks under playbooks/ run against loopback sshd
//! hosts, each with its own real Docker engine (Debian's dockerd), and a real registry
//! (Debian's docker-registry). The Kubernetes half uses a stand-in `kubectl`
//! (tests/deploy/kubectl): no Kubernetes API server can run here, so the stand-in records
//! its calls and answers in kubectl's own output forms.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::docker::{app_context, Docker, REGISTRY_PASSWORD, REGISTRY_USER};
use crate::support::{counts, run_playbook, SshHosts};

fn playbook(name: &str) -> PathBuf {
    crate::support::root().join("playbooks").join(name)
}

/// The body the app serves on `port` of this machine, if it answers 200.
fn page(port: u16) -> Option<String> {
    let out = std::process::Command::new("curl")
        .args(["-s", "-f", "--max-time", "5"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The status line ferry printed for `host` under the task named `task`.
fn task_status(stdout: &str, task: &str, host: &str) -> Option<String> {
    let header = format!("TASK [{task}]");
    let after = stdout.split(&header).nth(1)?;
    let section = after.split("\nTASK [").next()?;
    section
        .lines()
        .find(|l| l.contains(&format!("[{host}]")))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
}

#[test]
fn ci_builds_and_pushes_then_cd_rolls_out_one_host_at_a_time() {
    let hosts = SshHosts::start(3);
    let docker = Docker::start(3);
    for (i, h) in hosts.hosts.iter().enumerate() {
        use std::os::unix::fs::PermissionsExt;
        let cli = h.dir.join("bin/docker");
        fs::write(&cli, docker.cli_script(i)).unwrap();
        fs::set_permissions(&cli, fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Each app port and the one after it (the candidate's) must be free.
    let free = || crate::support::sshd::free_port("127.0.0.1");
    let p2 = free();
    let mut p3 = free();
    while p3.abs_diff(p2) < 2 {
        p3 = free();
    }
    let line = |n: usize| hosts.host_line(&hosts.hosts[n]);
    let inv = hosts.path("deploy.ini");
    fs::write(
        &inv,
        format!(
            "[build]\n{}\n[app]\n{} app_port={p2} app_candidate_port={}\n{} app_port={p3} app_candidate_port={}\n",
            line(0),
            line(1),
            p2 + 1,
            line(2),
            p3 + 1
        ),
    )
    .unwrap();
    let reg = docker.registry.clone();
    let login = format!("registry_user={REGISTRY_USER} registry_password={REGISTRY_PASSWORD}");
    let ci = |commit: &str, src: &Path| {
        let vars = format!(
            "registry={reg} commit={commit} app_src={} build_root={} {login}",
            src.display(),
            hosts.hosts[0].dir.display()
        );
        run_playbook(
            &hosts,
            &playbook("ci-build-image.yml"),
            &inv,
            &["-e", &vars],
        )
    };
    let cd = |commit: &str| {
        let vars = format!("registry={reg} commit={commit} {login}");
        run_playbook(
            &hosts,
            &playbook("cd-deploy-docker.yml"),
            &inv,
            &["-e", &vars],
        )
    };

    let anonymous = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(docker.url("/v2/"))
        .output()
        .unwrap();
    assert_eq!(anonymous.stdout, b"401", "the registry wants a login");

    // CI, twice on the same tree: the second build is unchanged.
    let v1 = hosts.path("src-v1");
    app_context(&v1, "version one");
    let first = ci("c1", &v1);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        counts(&first, "host1"),
        "ok=6 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "{}",
        first.all()
    );
    let digest = docker
        .registry_digest("app", "c1")
        .expect("the registry has app:c1");
    assert!(first.stdout.contains(&digest), "{}", first.all());
    assert!(
        !first.all().contains(REGISTRY_PASSWORD),
        "the password is never printed: {}",
        first.all()
    );
    let local = docker.docker(0, &["image", "inspect", &format!("{reg}/app:c1")]);
    assert!(!local.status.success(), "the image was removed locally");
    let second = ci("c1", &v1);
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(
        task_status(&second.stdout, "Log in to the registry", "host1").as_deref(),
        Some("ok"),
        "the stored credentials did not change: {}",
        second.all()
    );
    assert_eq!(
        task_status(&second.stdout, "Build the image and push it", "host1").as_deref(),
        Some("ok"),
        "{}",
        second.all()
    );
    assert_eq!(
        counts(&second, "host1"),
        "ok=6 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "only the local removal changes: {}",
        second.all()
    );
    assert_eq!(docker.registry_digest("app", "c1"), Some(digest));

    // CD: both app hosts serve version one, then version two.
    let run = cd("c1");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(page(p2).as_deref(), Some("version one"));
    assert_eq!(page(p3).as_deref(), Some("version one"));
    let v2 = hosts.path("src-v2");
    app_context(&v2, "version two");
    assert_eq!(ci("c2", &v2).code, 0);
    let run = cd("c2");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(page(p2).as_deref(), Some("version two"));
    assert_eq!(page(p3).as_deref(), Some("version two"));
    let again = cd("c2");
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(
        task_status(&again.stdout, "Replace the serving container", "host2").as_deref(),
        Some("ok"),
        "{}",
        again.all()
    );

    // A broken image (its server never starts) fails the first host's candidate gate: the
    // rollout stops there, and both hosts go on serving version two.
    let broken = hosts.path("src-broken");
    app_context(&broken, "broken");
    fs::write(
        broken.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"false\"]\n",
    )
    .unwrap();
    assert_eq!(ci("c3", &broken).code, 0);
    let run = cd("c3");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("fatal: [host2]: FAILED! => {\"changed\": false, \"msg\": \"container app-candidate exited (code 1) before it became healthy\""),
        "the first host's candidate failed: {}",
        run.all()
    );
    assert!(
        !run.stdout.contains("[host3]"),
        "the rollout never reached host3: {}",
        run.all()
    );
    assert_eq!(page(p2).as_deref(), Some("version two"));
    assert_eq!(page(p3).as_deref(), Some("version two"));
    let candidates = docker.docker(1, &["ps", "-aq", "--filter", "name=app-candidate"]);
    assert!(
        String::from_utf8_lossy(&candidates.stdout)
            .trim()
            .is_empty(),
        "the failed candidate was removed"
    );
}

#[test]
fn cd_to_kubernetes_applies_and_reports_kubectls_result() {
    let hosts = SshHosts::start(1);
    let kubectl = fs::read_to_string(crate::support::root().join("tests/deploy/kubectl")).unwrap();
    hosts.install_script("kubectl", &kubectl);
    let h = hosts.host("host1");
    let inv = hosts.path("k8s.ini");
    fs::write(&inv, format!("[kubernetes]\n{}\n", hosts.host_line(h))).unwrap();
    let deploy = |image: &str, extra: &[&str]| {
        let vars = format!("image_ref={image}");
        let mut args = vec!["-e", vars.as_str()];
        args.extend_from_slice(extra);
        run_playbook(&hosts, &playbook("cd-deploy-k8s.yml"), &inv, &args)
    };
    let apply = "Apply the deployment";
    let first = deploy("registry.local/app:c1", &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        task_status(&first.stdout, apply, "host1").as_deref(),
        Some("changed")
    );
    assert!(
        first.stdout.contains("deployment.apps/cicd-deployment"),
        "{}",
        first.all()
    );
    let state = h
        .dir
        .join("home/kubectl-state/deployment.apps_cicd-deployment.applied");
    let applied: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        applied.pointer("/spec/template/spec/containers/0/image"),
        Some(&serde_json::json!("registry.local/app:c1"))
    );
    assert_eq!(
        applied.pointer("/spec/replicas"),
        Some(&serde_json::json!(2))
    );

    let same = deploy("registry.local/app:c1", &[]);
    assert_eq!(same.code, 0, "{}", same.all());
    assert_eq!(
        task_status(&same.stdout, apply, "host1").as_deref(),
        Some("ok")
    );

    let check = deploy("registry.local/app:c2", &["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_eq!(
        task_status(&check.stdout, apply, "host1").as_deref(),
        Some("changed")
    );
    let still: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(still, applied, "--check applied nothing");

    let next = deploy("registry.local/app:c2", &[]);
    assert_eq!(next.code, 0, "{}", next.all());
    assert_eq!(
        task_status(&next.stdout, apply, "host1").as_deref(),
        Some("changed")
    );
    assert!(next.stdout.contains("configured"), "{}", next.all());

    let log = fs::read_to_string(h.dir.join("home/kubectl.log")).unwrap();
    let calls: Vec<&str> = log.lines().collect();
    assert!(
        calls.iter().filter(|c| c.contains(" apply -f ")).count() == 4,
        "{log}"
    );
    assert!(
        calls.iter().any(|c| c
            .ends_with("-n default rollout status deployment.apps/cicd-deployment --timeout=120s")),
        "{log}"
    );
    assert!(
        calls.iter().any(|c| c.contains("--dry-run=server")),
        "{log}"
    );
}

/// k8s's kubernetes.core arguments: `api_version`/`kind`/`name` fill a definition that leaves
/// them out, `merge_type` patches an existing object (creating a missing one), `state:
/// absent` with `kind`/`name` deletes by name.
#[test]
fn k8s_api_version_merge_type_and_delete_by_name() {
    let hosts = SshHosts::start(1);
    let kubectl = fs::read_to_string(crate::support::root().join("tests/deploy/kubectl")).unwrap();
    hosts.install_script("kubectl", &kubectl);
    let h = hosts.host("host1");
    let pb = hosts.path("k8s-args.yml");
    fs::write(
        &pb,
        r#"- hosts: all
  gather_facts: no
  tasks:
    - name: Patch or create
      kubernetes.core.k8s:
        api_version: apps/v1
        kind: Deployment
        name: web
        namespace: prod
        merge_type: [strategic-merge, merge]
        definition:
          spec:
            replicas: "{{ replicas }}"
    - name: Delete by name
      kubernetes.core.k8s:
        api_version: apps/v1
        kind: Deployment
        name: gone
        state: absent
"#,
    )
    .unwrap();
    let run = |replicas: u32| {
        let vars = format!("{{\"replicas\": {replicas}}}");
        run_playbook(&hosts, &pb, &hosts.inventory(""), &["-e", &vars])
    };
    let status = |out: &crate::support::Run, task: &str| task_status(&out.stdout, task, "host1");
    let first = run(2);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(
        status(&first, "Patch or create").as_deref(),
        Some("changed")
    );
    let state = h.dir.join("home/kubectl-state/deployment.apps_web.applied");
    let applied: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        applied,
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod"}, "spec": {"replicas": 2}})
    );
    let same = run(2);
    assert_eq!(
        status(&same, "Patch or create").as_deref(),
        Some("ok"),
        "{}",
        same.all()
    );
    let more = run(3);
    assert_eq!(
        status(&more, "Patch or create").as_deref(),
        Some("changed"),
        "{}",
        more.all()
    );
    let log = fs::read_to_string(h.dir.join("home/kubectl.log")).unwrap();
    assert!(
        log.contains(" patch -f ") && log.contains("--type strategic"),
        "{log}"
    );
    assert!(
        log.contains("delete deployment.v1.apps gone --ignore-not-found"),
        "{log}"
    );
}

/// docker_container's options reach `docker create` as docker's flags (a stand-in docker CLI
/// records the line): volumes_from, entrypoint, labels, mounts, one-flag options.
#[test]
fn docker_container_options_become_docker_create_flags() {
    let hosts = SshHosts::start(1);
    hosts.install_script(
        "docker",
        "#!/bin/sh\necho \"docker $*\" >> \"$HOME/docker.log\"\n\
         case \"$1 $2\" in\n  'image inspect') echo sha256:abc ;;\n  'container inspect') exit 1 ;;\nesac\n",
    );
    let h = hosts.host("host1");
    let pb = hosts.path("docker-args.yml");
    fs::write(
        &pb,
        r#"- hosts: all
  gather_facts: no
  tasks:
    - community.docker.docker_container:
        name: app
        image: app:1
        volumes_from: [data, "logs:ro"]
        entrypoint: [/bin/sh, -c]
        command: "echo hi"
        labels: {tier: web}
        mounts:
          - {type: tmpfs, target: /scratch, tmpfs_size: 64m}
        read_only: true
        hostname: web1
        restart_policy: on-failure
        restart_retries: 3
"#,
    )
    .unwrap();
    let out = run_playbook(&hosts, &pb, &hosts.inventory(""), &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let log = fs::read_to_string(h.dir.join("home/docker.log")).unwrap();
    let create = log
        .lines()
        .find(|l| l.starts_with("docker create "))
        .unwrap_or_default();
    for part in [
        "--volumes-from data --volumes-from logs:ro",
        "--mount type=tmpfs,target=/scratch,tmpfs-size=64m",
        "--restart on-failure:3",
        "--hostname web1",
        "--label tier=web",
        "--read-only",
        "--entrypoint /bin/sh app:1 -c echo hi",
    ] {
        assert!(create.contains(part), "{part} in {create}");
    }
}
