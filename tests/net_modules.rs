//! Issue 15's network modules on real sshd hosts: `get_url` against a real HTTP server on
//! loopback (Python's http.server with basic auth on /private/), `unarchive` of real tar and
//! zip archives, `git` on a real local repository with branches and tags, `pip` into a fresh
//! venv from a local directory of distributions (offline). Each runs twice (the second run
//! changes nothing) and under --check (nothing changes); where practical the same playbook
//! runs through ansible-playbook and the results it registers must be the same.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::conformance::{ansible_command, run_command};
use crate::support::{counts, recap, run_playbook, write, SshHosts};

/// An HTTP server on 127.0.0.1 serving a directory; `/private/...` needs `user:secret`.
struct HttpServer {
    child: Child,
    port: u16,
}

const SERVER: &str = r#"
import base64, functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/private/'):
            want = 'Basic ' + base64.b64encode(b'user:secret').decode()
            if self.headers.get('Authorization') != want:
                self.send_response(401)
                self.send_header('WWW-Authenticate', 'Basic realm="x"')
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
        if self.path.startswith('/named'):
            body = b'attached\n'
            self.send_response(200)
            self.send_header('Content-Disposition', 'attachment; filename="given.txt"')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()
    def log_message(self, *a):
        pass
handler = functools.partial(H, directory=sys.argv[2])
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), handler).serve_forever()
"#;

impl HttpServer {
    fn start(root: &Path) -> HttpServer {
        let port = crate::support::sshd::free_port("127.0.0.1");
        let script = root.with_extension("server.py");
        fs::write(&script, SERVER).unwrap();
        let child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (apt-get install -y python3)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "http server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        HttpServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Runs `pb` through ferry with `extra` args and asserts the exit code and host1's counts.
fn expect(hosts: &SshHosts, pb: &Path, extra: &[&str], code: i32, want: &str) -> String {
    let inv = hosts.inventory("");
    let run = run_playbook(hosts, pb, &inv, extra);
    assert_eq!(run.code, code, "{}", run.all());
    assert_eq!(counts(&run, "host1"), want, "{}", run.all());
    run.all()
}

/// Runs `pb` through ansible-playbook; its exit code and output.
fn ansible(hosts: &SshHosts, pb: &Path, extra: &[&str]) -> (i32, String) {
    let inv = hosts.inventory("");
    let mut cmd = ansible_command(hosts, pb);
    cmd.arg("-i").arg(&inv).args(extra);
    run_command(cmd)
}

/// Every file under `dir`, relative path → content (lossy text).
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
                all.push((rel + "/", String::new()));
            } else {
                let content = fs::read(&p).unwrap_or_default();
                all.push((rel, String::from_utf8_lossy(&content).into_owned()));
            }
        }
    }
    all.sort();
    all
}

const GET_URL: &str = r#"- hosts: all
  gather_facts: no
  vars:
    d: "{{ host_dir }}/out"
  tasks:
    - file: {path: "{{ d }}/dl", state: directory}
    - get_url: {url: "{{ base }}/hello.txt", dest: "{{ d }}/hello.txt", mode: "0640"}
      register: plain
    - get_url:
        url: "{{ base }}/hello.txt"
        dest: "{{ d }}/summed.txt"
        checksum: "sha256:{{ sum }}"
      register: summed
    - get_url:
        url: "{{ base }}/hello.txt"
        dest: "{{ d }}/from-sums.txt"
        checksum: "sha256:{{ base }}/SHA256SUMS"
    - get_url: {url: "{{ base }}/hello.txt", dest: "{{ d }}/dl/"}
      register: intodir
    - get_url: {url: "{{ base }}/named", dest: "{{ d }}/dl"}
    - get_url:
        url: "{{ base }}/private/secret.txt"
        dest: "{{ d }}/secret.txt"
        url_username: user
        url_password: secret
        force_basic_auth: yes
    - get_url: {url: "{{ base }}/private/secret.txt", dest: "{{ d }}/nope.txt"}
      register: denied
      ignore_errors: yes
    - get_url:
        url: "{{ base }}/hello.txt"
        dest: "{{ d }}/bad.txt"
        checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
      register: badsum
      ignore_errors: yes
    - get_url: {url: "{{ base }}/missing.txt", dest: "{{ d }}/missing.txt"}
      register: missing
      ignore_errors: yes
    - copy:
        dest: "{{ d }}/results-{{ run }}.txt"
        content: |
          plain: {{ plain.changed }} {{ plain.status_code | default('') }} {{ plain.mode }} {{ plain.checksum_src | default('') }} {{ plain.msg }}
          summed: {{ summed.changed }} {{ summed.msg }} {{ summed.checksum_dest is none }}
          intodir: {{ intodir.dest | basename }} {{ intodir.changed }}
          denied: {{ denied.failed }} {{ denied.status_code }} {{ denied.msg }}
          badsum: {{ badsum.failed }} {{ badsum.msg is search('did not match') }}
          missing: {{ missing.failed }} {{ missing.status_code }} {{ missing.response }}
"#;

#[test]
fn get_url_downloads_checks_sums_and_is_idempotent() {
    let hosts = SshHosts::start(1);
    let site = hosts.path("site");
    fs::create_dir_all(site.join("private")).unwrap();
    fs::write(site.join("hello.txt"), "hello world\n").unwrap();
    fs::write(site.join("private/secret.txt"), "classified\n").unwrap();
    let sum = sha256(&site.join("hello.txt"));
    fs::write(
        site.join("SHA256SUMS"),
        format!("0123  other.txt\n{sum}  hello.txt\n"),
    )
    .unwrap();
    let server = HttpServer::start(&site);
    let pb = write(&hosts, "get_url.yml", GET_URL);
    let base = format!("base={}", server.url("").trim_end_matches('/'));
    let sum_var = format!("sum={sum}");
    let vars = ["-e", base.as_str(), "-e", sum_var.as_str(), "-e", "run=1"];
    let out = hosts.host("host1").dir.join("out");

    // --check on a fresh host: reports changes, writes nothing.
    fs::create_dir_all(&out).unwrap();
    let check: Vec<&str> = vars.iter().copied().chain(["--check"]).collect();
    let run = run_playbook(&hosts, &pb, &hosts.inventory(""), &check);
    assert!(run.all().contains("hello.txt"), "{}", run.all());
    assert!(!out.join("hello.txt").exists(), "{}", run.all());
    fs::remove_dir_all(&out).unwrap();

    let ok = "ok=11 changed=8 unreachable=0 failed=0 skipped=0 rescued=0 ignored=3";
    let first = expect(&hosts, &pb, &vars, 0, ok);
    assert_eq!(
        fs::read_to_string(out.join("hello.txt")).unwrap(),
        "hello world\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("secret.txt")).unwrap(),
        "classified\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("dl/hello.txt")).unwrap(),
        "hello world\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("dl/given.txt")).unwrap(),
        "attached\n"
    );
    assert!(!out.join("bad.txt").exists() && !out.join("nope.txt").exists());
    let results = fs::read_to_string(out.join("results-1.txt")).unwrap();
    assert!(
        results.starts_with(
            "plain: True 200 0640 22596363b3de40b06f981fb85d82312e8c0ed511 OK (12 bytes)\n"
        ),
        "{results}\n{first}"
    );
    assert!(
        results.contains("denied: True 401 Request failed"),
        "{results}"
    );
    assert!(results.contains("badsum: True True"), "{results}");
    assert!(
        results.contains("missing: True 404 HTTP Error 404: File not found"),
        "{results}"
    );

    let ferry_tree = tree(&out);

    // Again: nothing to download (checksum matches, or 304 Not Modified, or same sha1); the
    // only change is the new results file of run 2.
    let again = "ok=11 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=3";
    let vars2: Vec<&str> = vars[..4].iter().copied().chain(["-e", "run=2"]).collect();
    expect(&hosts, &pb, &vars2, 0, again);
    let results2 = fs::read_to_string(out.join("results-2.txt")).unwrap();
    assert!(
        results2.contains("summed: False file already exists True"),
        "{results2}"
    );
    assert!(results2.contains("plain: False 304 0640"), "{results2}");

    // ansible-playbook registers the same on the same host and server.
    fs::remove_dir_all(&out).unwrap();
    let (code, text) = ansible(&hosts, &pb, &vars);
    assert_eq!(code, 0, "{text}");
    assert_eq!(recap(&text)["host1"]["changed"], 8, "{text}");
    assert_eq!(tree(&out), ferry_tree, "{text}");
    drop(server);
}

/// Makes `app/` (two files, a link) in `dir` and packs it as every kind unarchive reads.
fn make_archives(dir: &Path) {
    fs::create_dir_all(dir.join("app/sub")).unwrap();
    fs::write(dir.join("app/a.txt"), "alpha\n").unwrap();
    fs::write(dir.join("app/sub/b.txt"), "beta\n").unwrap();
    std::os::unix::fs::symlink("a.txt", dir.join("app/link")).unwrap();
    for (name, flag) in [
        ("app.tar.gz", "-z"),
        ("app.tar", ""),
        ("app.tar.bz2", "-j"),
        ("app.tar.xz", "-J"),
        ("app.tar.zst", "--zstd"),
    ] {
        let mut cmd = Command::new("tar");
        cmd.current_dir(dir).arg("-c");
        if !flag.is_empty() {
            cmd.arg(flag);
        }
        let st = cmd.args(["-f", name, "app"]).status().unwrap();
        assert!(st.success(), "tar {name}");
    }
    let st = Command::new("zip")
        .current_dir(dir)
        .args(["-qry", "app.zip", "app"])
        .status()
        .expect("zip runs (apt-get install -y zip)");
    assert!(st.success());
}

const UNARCHIVE: &str = r#"- hosts: all
  gather_facts: no
  vars:
    d: "{{ host_dir }}/out"
  tasks:
    - file: {path: "{{ d }}/{{ item }}", state: directory}
      loop: [tgz, tar, tbz, txz, tzst, zip, url, excl]
    - unarchive: {src: app.tar.gz, dest: "{{ d }}/tgz"}
      register: tgz
    - unarchive: {src: "{{ host_dir }}/app.tar", dest: "{{ d }}/tar", remote_src: yes, list_files: yes}
      register: tar
    - unarchive: {src: app.tar.bz2, dest: "{{ d }}/tbz"}
      register: tbz
    - unarchive: {src: app.tar.xz, dest: "{{ d }}/txz", mode: "u=rwX,g=rX,o="}
      register: txz
    - unarchive: {src: app.tar.zst, dest: "{{ d }}/tzst"}
      register: tzst
    - unarchive: {src: app.zip, dest: "{{ d }}/zip", list_files: yes}
      register: zip
    - unarchive: {src: "{{ base }}/app.tar.gz", dest: "{{ d }}/url", remote_src: yes}
    - unarchive: {src: app.tar.gz, dest: "{{ d }}/excl", exclude: [app/sub]}
    - unarchive: {src: app.zip, dest: "{{ d }}/zip", creates: "{{ d }}/zip/app/a.txt"}
      register: created
    - unarchive: {src: app.zip, dest: "{{ d }}/missing"}
      register: nodest
      ignore_errors: yes
    - copy:
        dest: "{{ d }}/results-{{ run }}.txt"
        content: |
          {% for r in [tgz, tar, tbz, txz, tzst, zip] %}
          {{ r.handler }} {{ r.changed }} {{ r.extract_results is defined }} {{ r.state }}
          {% endfor %}
          tar files: {{ tar.files | sort | join(',') }}
          zip files: {{ zip.files | sort | join(',') }}
          created: {{ created.skipped | default(false) }} {{ created.msg | default('') }}
          nodest: {{ nodest.failed }} {{ nodest.msg | regex_replace(host_dir, 'H') }}
"#;

#[test]
fn unarchive_unpacks_every_kind_once() {
    let hosts = SshHosts::start(1);
    let files = hosts.path("files");
    make_archives(&files);
    let host_dir = hosts.host("host1").dir.clone();
    fs::copy(files.join("app.tar"), host_dir.join("app.tar")).unwrap();
    let server = HttpServer::start(&files);
    let pb = write(&hosts, "unarchive.yml", UNARCHIVE);
    let base = format!("base={}", server.url("").trim_end_matches('/'));
    let vars = ["-e", base.as_str(), "-e", "run=1"];
    let out = host_dir.join("out");

    let (code, text) = ansible(&hosts, &pb, &vars);
    assert_eq!(code, 0, "{text}");
    let ansible_tree = tree(&out);
    fs::remove_dir_all(&out).unwrap();

    let ok = "ok=11 changed=10 unreachable=0 failed=0 skipped=1 rescued=0 ignored=1";
    let first = expect(&hosts, &pb, &vars, 0, ok);
    assert_eq!(tree(&out), ansible_tree, "{first}\n== ansible\n{text}");
    assert_eq!(
        fs::read_to_string(out.join("tgz/app/sub/b.txt")).unwrap(),
        "beta\n"
    );
    assert_eq!(
        fs::read_link(out.join("zip/app/link")).unwrap(),
        Path::new("a.txt")
    );
    assert!(!out.join("excl/app/sub").exists());
    let results = fs::read_to_string(out.join("results-1.txt")).unwrap();
    // GNU tar lists a compressed archive without a flag: Ansible's TarArchive takes them.
    assert!(
        results.contains("TgzArchive True True directory\nTarArchive True True directory\n"),
        "{results}"
    );
    assert!(results.contains("ZipArchive True True"), "{results}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join("txz/app/a.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    // Again: everything is unpacked already.
    let again = "ok=11 changed=1 unreachable=0 failed=0 skipped=1 rescued=0 ignored=1";
    let vars2 = ["-e", base.as_str(), "-e", "run=2"];
    expect(&hosts, &pb, &vars2, 0, again);
    let results2 = fs::read_to_string(out.join("results-2.txt")).unwrap();
    assert!(results2.contains("ZipArchive False False"), "{results2}");
    assert!(results2.contains("TgzArchive False False"), "{results2}");

    // A member edited on the host: --check reports the zip would change (tar's check mode
    // is skipped, as Ansible skips it) and changes nothing; a real run puts it back.
    fs::write(out.join("zip/app/a.txt"), "edited\n").unwrap();
    fs::write(out.join("tgz/app/a.txt"), "edited\n").unwrap();
    let vars3 = ["-e", base.as_str(), "-e", "run=3", "--check"];
    let check = run_playbook(&hosts, &pb, &hosts.inventory(""), &vars3);
    assert!(check.all().contains("changed: [host1]"), "{}", check.all());
    assert_eq!(
        fs::read_to_string(out.join("zip/app/a.txt")).unwrap(),
        "edited\n"
    );
    let vars4 = ["-e", base.as_str(), "-e", "run=4"];
    let ok4 = "ok=11 changed=3 unreachable=0 failed=0 skipped=1 rescued=0 ignored=1";
    expect(&hosts, &pb, &vars4, 0, ok4);
    assert_eq!(
        fs::read_to_string(out.join("zip/app/a.txt")).unwrap(),
        "alpha\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("tgz/app/a.txt")).unwrap(),
        "alpha\n"
    );
    drop(server);
}

/// Runs git in `dir` (the test's own repository), with a fixed identity.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs (apt-get install -y git)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with `main` (two commits), `dev`, an annotated tag v1 and a light tag v0;
/// returns the first commit.
fn make_repo(dir: &Path) -> String {
    fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("README"), "one\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "one"]);
    let first = git(dir, &["rev-parse", "HEAD"]);
    git(dir, &["tag", "v0"]);
    fs::write(dir.join("README"), "two\n").unwrap();
    git(dir, &["commit", "-qam", "two"]);
    git(dir, &["tag", "-a", "v1", "-m", "release 1"]);
    git(dir, &["checkout", "-qb", "dev"]);
    fs::write(dir.join("DEV"), "dev\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "dev"]);
    git(dir, &["checkout", "-q", "main"]);
    first
}

const GIT: &str = r#"- hosts: all
  gather_facts: no
  vars:
    d: "{{ host_dir }}/out"
  tasks:
    - git: {repo: "{{ repo }}", dest: "{{ d }}/main"}
      register: main
    - git: {repo: "{{ repo }}", dest: "{{ d }}/dev", version: dev}
      register: dev
    - git: {repo: "{{ repo }}", dest: "{{ d }}/tag", version: v1, depth: 1}
      register: tag
    - git: {repo: "{{ repo }}", dest: "{{ d }}/light", version: v0}
    - git: {repo: "{{ repo }}", dest: "{{ d }}/sha", version: "{{ first }}"}
      register: sha
    - git: {repo: "{{ repo }}", dest: "{{ d }}/bare.git", bare: yes}
      register: bare
    - git: {repo: "{{ repo }}", dest: "{{ d }}/arch", archive: "{{ d }}/main.tar"}
    - git: {repo: "{{ repo }}", dest: "{{ d }}/main", clone: no, update: no}
      register: noupdate
    - copy:
        dest: "{{ d }}/results-{{ run }}.txt"
        content: |
          {% for r in [main, dev, tag, sha, bare] %}
          {{ r.changed }} {{ r.before is none }} {{ r.after | length }} {{ r.remote_url_changed | default('-') }}
          {% endfor %}
          noupdate: {{ noupdate.changed }} {{ noupdate.before == noupdate.after }}
          sha: {{ sha.after == first }}
"#;

/// Every file of `dir` outside git's own directories.
fn worktrees(dir: &Path) -> Vec<(String, String)> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| {
            !p.contains(".git/") && !p.ends_with(".git/") && !p.starts_with("bare.git")
        })
        .collect()
}

#[test]
fn git_clones_switches_versions_and_is_idempotent() {
    let hosts = SshHosts::start(1);
    let repo = hosts.path("repo");
    let first = make_repo(&repo);
    let pb = write(&hosts, "git.yml", GIT);
    let repo_var = format!("repo={}", repo.display());
    let first_var = format!("first={first}");
    let vars = |run: &'static str| ["-e", repo_var.as_str(), "-e", first_var.as_str(), "-e", run];
    let out = hosts.host("host1").dir.join("out");

    let (code, text) = ansible(&hosts, &pb, &vars("run=1"));
    assert_eq!(code, 0, "{text}");
    let ansible_tree = worktrees(&out);
    fs::remove_dir_all(&out).unwrap();

    let ok = "ok=9 changed=8 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    let first_run = expect(&hosts, &pb, &vars("run=1"), 0, ok);
    assert_eq!(
        worktrees(&out),
        ansible_tree,
        "{first_run}\n== ansible\n{text}"
    );
    assert_eq!(fs::read_to_string(out.join("dev/DEV")).unwrap(), "dev\n");
    assert_eq!(fs::read_to_string(out.join("tag/README")).unwrap(), "two\n");
    assert_eq!(fs::read_to_string(out.join("sha/README")).unwrap(), "one\n");
    assert!(out.join("bare.git/HEAD").exists() && out.join("main.tar").exists());

    let again = "ok=9 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    expect(&hosts, &pb, &vars("run=2"), 0, again);
    let results = fs::read_to_string(out.join("results-2.txt")).unwrap();
    assert!(results.starts_with("False False 40 False\n"), "{results}");

    // A new commit upstream: --check reports main would move and moves nothing.
    fs::write(repo.join("README"), "three\n").unwrap();
    git(&repo, &["commit", "-qam", "three"]);
    let check: Vec<&str> = vars("run=3").into_iter().chain(["--check"]).collect();
    let run = run_playbook(&hosts, &pb, &hosts.inventory(""), &check);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        fs::read_to_string(out.join("main/README")).unwrap(),
        "two\n"
    );
    // main, the archive (check mode always reports it), and the results file.
    assert!(counts(&run, "host1").contains("changed=4"), "{}", run.all());

    // A local change: refused without force, thrown away with it.
    fs::write(out.join("main/README"), "local\n").unwrap();
    let mods = write(
        &hosts,
        "git_mods.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - git: {repo: "{{ repo }}", dest: "{{ host_dir }}/out/main"}
      register: refused
      ignore_errors: yes
    - assert: {that: ["refused.msg is search('Local modifications exist')"]}
    - git: {repo: "{{ repo }}", dest: "{{ host_dir }}/out/main", force: yes}
"#,
    );
    let ok = "ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1";
    let shown = expect(&hosts, &mods, &["-e", repo_var.as_str(), "--diff"], 0, ok);
    assert!(
        shown.contains("-two\n+three"),
        "--diff shows the commits' diff: {shown}"
    );
    assert_eq!(
        fs::read_to_string(out.join("main/README")).unwrap(),
        "three\n"
    );
}

/// Writes wheels of `ferry-netmods-toy` 1.0 and 1.1 into `dir` (made by hand: a wheel is a
/// zip with the package and its dist-info), so pip installs offline.
fn make_wheels(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let script = r#"
import sys, zipfile
d = sys.argv[1]
for v in ("1.0", "1.1"):
    n = "ferry_netmods_toy"
    info = f"{n}-{v}.dist-info"
    files = {
        f"{n}/__init__.py": f'VERSION = "{v}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: ferry-netmods-toy\nVersion: {v}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: ferry-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},,\n" for p in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(f"{d}/{n}-{v}-py3-none-any.whl", "w") as z:
        for p, text in files.items():
            z.writestr(p, text)
        z.writestr(f"{info}/RECORD", record)
"#;
    let st = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

const PIP: &str = r#"- hosts: all
  gather_facts: no
  vars:
    d: "{{ host_dir }}/out"
    venv: {virtualenv_command: "/usr/bin/python3 -m venv"}
  environment:
    PIP_NO_INDEX: "1"
    PIP_FIND_LINKS: "{{ wheels }}"
    PIP_DISABLE_PIP_VERSION_CHECK: "1"
  tasks:
    - pip: {name: ferry-netmods-toy==1.0, virtualenv: "{{ d }}/a", virtualenv_command: "/usr/bin/python3 -m venv"}
      register: first
    - pip: {name: ferry_netmods_toy, version: "1.0", virtualenv: "{{ d }}/a"}
      register: pinned
    - pip: {name: ["ferry-netmods-toy>=1.0", "<2"], virtualenv: "{{ d }}/a"}
      register: ranged
    - pip: {name: ferry-netmods-absent, state: absent, virtualenv: "{{ d }}/a"}
      register: gone
    - pip: {name: ferry-netmods-toy, state: latest, virtualenv: "{{ d }}/b", virtualenv_command: "/usr/bin/python3 -m venv"}
      register: latest
    - copy: {dest: "{{ d }}/req.txt", content: "ferry-netmods-toy>=1.1\n"}
    - pip: {requirements: "{{ d }}/req.txt", virtualenv: "{{ d }}/b"}
      register: req
    - pip: {name: "ferry-netmods-toy>=1", version: "1.0", virtualenv: "{{ d }}/a"}
      register: conflict
      ignore_errors: yes
    - copy:
        dest: "{{ d }}/results-{{ run }}.txt"
        content: |
          {% for r in [first, pinned, ranged, gone, latest, req] %}
          {{ r.changed }}
          {% endfor %}
          conflict: {{ conflict.msg }}
"#;

#[test]
fn pip_installs_into_a_venv_offline_and_is_idempotent() {
    let hosts = SshHosts::start(1);
    let wheels = hosts.path("wheels");
    make_wheels(&wheels);
    let pb = write(&hosts, "pip.yml", PIP);
    let w = format!("wheels={}", wheels.display());
    let vars = |run: &'static str| ["-e", w.as_str(), "-e", run];
    let out = hosts.host("host1").dir.join("out");
    let version = |venv: &str| {
        let py = out.join(venv).join("bin/python");
        let o = Command::new(py)
            .args(["-c", "import ferry_netmods_toy as t; print(t.VERSION)"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };

    // --check on a fresh host: the venvs would be made; nothing is.
    let check: Vec<&str> = vars("run=0").into_iter().chain(["--check"]).collect();
    let run = run_playbook(&hosts, &pb, &hosts.inventory(""), &check);
    assert!(!out.join("a").exists(), "{}", run.all());

    let (code, text) = ansible(&hosts, &pb, &vars("run=1"));
    assert_eq!(code, 0, "{text}");
    let ansible_results = fs::read_to_string(out.join("results-1.txt")).unwrap();
    fs::remove_dir_all(&out).unwrap();

    let ok = "ok=9 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1";
    let first = expect(&hosts, &pb, &vars("run=1"), 0, ok);
    let results = fs::read_to_string(out.join("results-1.txt")).unwrap();
    assert_eq!(results, ansible_results, "{first}\n== ansible\n{text}");
    assert_eq!((version("a"), version("b")), ("1.0".into(), "1.1".into()));
    assert!(
        results.contains("conflict: The 'version' argument conflicts"),
        "{results}"
    );

    let again = "ok=9 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1";
    expect(&hosts, &pb, &vars("run=2"), 0, again);

    // Removal: once changed, then nothing to do; --check reports without removing.
    let rm = write(
        &hosts,
        "pip_rm.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - pip: {name: ferry-netmods-toy, state: absent, virtualenv: "{{ host_dir }}/out/a"}
"#,
    );
    let changed = "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    expect(&hosts, &rm, &["--check"], 0, changed);
    assert_eq!(version("a"), "1.0");
    expect(&hosts, &rm, &[], 0, changed);
    assert_eq!(version("a"), "");
    let unchanged = "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    expect(&hosts, &rm, &[], 0, unchanged);
}

#[test]
fn bad_arguments_are_refused_at_load_naming_the_allowed_values() {
    let hosts = SshHosts::start(1);
    for (name, task, want) in [
        (
            "pip_state.yml",
            "    - pip:\n        name: x\n        state: installed\n",
            "PB:4:9: value of state must be one of: present, absent, latest, forcereinstall, got: installed\n   |\n 4 |         name: x\n   |         ^\n   = hint: module 'pip' takes state: present, absent, latest, forcereinstall",
        ),
        (
            "get_url_sum.yml",
            "    - get_url: {url: 'http://h/x', dest: /tmp/x, checksum: 'crc32:00ff'}\n",
            "PB:3:16: the checksum of module 'get_url' must be <algorithm>:<checksum> with an algorithm of md5, sha1, sha224, sha256, sha384, sha512, got algorithm 'crc32'\n   |\n 3 |     - get_url: {url: 'http://h/x', dest: /tmp/x, checksum: 'crc32:00ff'}\n   |                ^\n   = hint: module 'get_url' takes checksum: md5, sha1, sha224, sha256, sha384, sha512",
        ),
        (
            "git_flag.yml",
            "    - git: {repo: /r, dest: /d, bare: maybe}\n",
            "PB:3:12: argument 'bare' of module 'git' must be a boolean\n   |\n 3 |     - git: {repo: /r, dest: /d, bare: maybe}\n   |            ^\n   = hint: set 'bare' to true or false",
        ),
        (
            "unarchive_both.yml",
            "    - unarchive: {src: a.tgz, dest: /d, include: [a], exclude: [b]}\n",
            "PB:3:18: parameters are mutually exclusive: include|exclude (module 'unarchive')\n   |\n 3 |     - unarchive: {src: a.tgz, dest: /d, include: [a], exclude: [b]}\n   |                  ^\n   = hint: give 'include' or 'exclude', not both",
        ),
    ] {
        let text = format!("- hosts: all\n  tasks:\n{task}");
        let pb = write(&hosts, name, &text);
        let run = run_playbook(&hosts, &pb, &hosts.inventory(""), &[]);
        assert_eq!(run.code, 4, "{}", run.all());
        let want = want.replace("PB", &pb.display().to_string());
        assert_eq!(run.stderr.trim_end(), format!("ERROR! {want}"), "{}", run.all());
        assert!(run.stdout.is_empty(), "nothing ran: {}", run.all());
    }
}

#[test]
fn get_url_falls_back_to_wget_without_curl() {
    let hosts = SshHosts::start(1);
    // The host's PATH starts with its own bin/: a curl there that does not run hides the
    // real one, as on a host without curl.
    hosts.install_script("curl", "#!/bin/sh\nexit 127\n");
    let site = hosts.path("site");
    fs::create_dir_all(site.join("private")).unwrap();
    fs::write(site.join("private/secret.txt"), "classified\n").unwrap();
    fs::write(site.join("hello.txt"), "hello world\n").unwrap();
    let server = HttpServer::start(&site);
    let pb = write(
        &hosts,
        "wget.yml",
        r#"- hosts: all
  gather_facts: no
  tasks:
    - get_url:
        url: "{{ base }}/private/secret.txt"
        dest: "{{ host_dir }}/secret.txt"
        url_username: user
        url_password: secret
        force_basic_auth: yes
    - get_url: {url: "{{ base }}/hello.txt", dest: "{{ host_dir }}/hello.txt"}
    - get_url: {url: "{{ base }}/nothing", dest: "{{ host_dir }}/nothing"}
      register: missing
      ignore_errors: yes
    - assert: {that: ["missing.status_code == 404"]}
"#,
    );
    let base = format!("base={}", server.url("").trim_end_matches('/'));
    let ok = "ok=4 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1";
    expect(&hosts, &pb, &["-e", base.as_str()], 0, ok);
    let dir = &hosts.host("host1").dir;
    assert_eq!(
        fs::read_to_string(dir.join("secret.txt")).unwrap(),
        "classified\n"
    );
    // Again: wget asks If-Modified-Since and gets 304 Not Modified.
    let again = "ok=4 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1";
    expect(&hosts, &pb, &["-e", base.as_str()], 0, again);
    drop(server);
}

const ARCHIVE: &str = r#"- hosts: all
  gather_facts: no
  vars:
    d: "{{ host_dir }}/out"
  tasks:
    - community.general.archive: {path: "{{ d }}/src", dest: "{{ d }}/src.tgz"}
      register: tree
    - archive: {path: ["{{ d }}/src/a.txt", "{{ d }}/src/sub"], dest: "{{ d }}/two.zip", format: zip}
      register: two
    - archive: {path: "{{ d }}/src/*.txt", dest: "{{ d }}/txt.tar.bz2", format: bz2}
      register: globbed
    - archive: {path: "{{ d }}/single.txt"}
      register: single
    - archive: {path: "{{ d }}/src", dest: "{{ d }}/nolog.tar.xz", format: xz, exclusion_patterns: ["*.log"]}
    - archive: {path: ["{{ d }}/src/a.txt", "{{ d }}/nothere"], dest: "{{ d }}/part.tar", format: tar}
      register: part
    - file: {path: "{{ d }}/x{{ run }}", state: directory}
    - unarchive: {src: "{{ d }}/src.tgz", dest: "{{ d }}/x{{ run }}", remote_src: yes}
    - copy:
        dest: "{{ d }}/results-{{ run }}.txt"
        content: |
          {% for r in [tree, two, globbed, single, part] %}
          {{ r.changed }} {{ r.dest_state }} {{ r.archived | length }}
          {% endfor %}
          missing: {{ part.missing | map('basename') | list }}
          root: {{ tree.arcroot == d ~ '/' }}
"#;

#[test]
fn archive_packs_trees_once() {
    let hosts = SshHosts::start(1);
    let out = hosts.host("host1").dir.join("out");
    fs::create_dir_all(out.join("src/sub")).unwrap();
    fs::write(out.join("src/a.txt"), "a\n").unwrap();
    fs::write(out.join("src/b.txt"), "b\n").unwrap();
    fs::write(out.join("src/debug.log"), "log\n").unwrap();
    fs::write(out.join("src/sub/c.txt"), "c\n").unwrap();
    fs::write(out.join("single.txt"), "single\n").unwrap();
    let pb = write(&hosts, "archive.yml", ARCHIVE);

    let ok = "ok=9 changed=9 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    let first = expect(&hosts, &pb, &["-e", "run=1"], 0, ok);
    let results = fs::read_to_string(out.join("results-1.txt")).unwrap();
    assert!(
        results.starts_with(
            "True archive 5\nTrue archive 2\nTrue archive 2\nTrue compress 1\nTrue incomplete 1\n"
        ),
        "{results}\n{first}"
    );
    assert!(
        results.contains("missing: ['nothere']\nroot: True"),
        "{results}"
    );
    assert_eq!(
        fs::read_to_string(out.join("x1/src/sub/c.txt")).unwrap(),
        "c\n"
    );
    let gz = Command::new("gzip")
        .arg("-dc")
        .arg(out.join("single.txt.gz"))
        .output()
        .unwrap();
    assert_eq!(gz.stdout, b"single\n");
    let xz = Command::new("tar")
        .arg("-tJf")
        .arg(out.join("nolog.tar.xz"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&xz.stdout).contains("debug.log"));

    // Again: the same members, no archive replaced (the new x2/ and results are the changes).
    let before = fs::metadata(out.join("src.tgz"))
        .unwrap()
        .modified()
        .unwrap();
    let again = "ok=9 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0";
    expect(&hosts, &pb, &["-e", "run=2"], 0, again);
    assert_eq!(
        fs::metadata(out.join("src.tgz"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );

    // A changed source: --check says so and writes nothing; a run replaces the archive.
    fs::write(out.join("src/a.txt"), "changed!\n").unwrap();
    let check = run_playbook(
        &hosts,
        &pb,
        &hosts.inventory(""),
        &["-e", "run=3", "--check"],
    );
    // Five archives would change (the unarchive into a directory check mode did not make
    // fails, as in Ansible).
    assert!(
        counts(&check, "host1").contains("changed=6"),
        "{}",
        check.all()
    );
    assert_eq!(
        fs::metadata(out.join("src.tgz"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    expect(
        &hosts,
        &pb,
        &["-e", "run=4"],
        0,
        "ok=9 changed=8 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    );
    assert_eq!(
        fs::read_to_string(out.join("x4/src/a.txt")).unwrap(),
        "changed!\n"
    );
}
