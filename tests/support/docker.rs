//! A real Docker engine and a real registry for the deploy tests: Debian's `dockerd` on a
//! private socket, data-root and exec-root (no bridge, no iptables: containers use the host's
//! network), and Debian's `docker-registry` on a free 127.0.0.1 port. Both stop on `Drop`.
//! Images are built `FROM scratch` with Debian's static busybox: nothing is pulled from the
//! internet.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The registry's one account. The password is a test fixture, not a secret; the bcrypt hash
/// is of it (cost 5).
pub const REGISTRY_USER: &str = "ferry";
pub const REGISTRY_PASSWORD: &str = "ferry-secret-pw";
const REGISTRY_PASSWORD_BCRYPT: &str =
    "$2b$05$saBefdyFr0dxmUyN5Gz7R.4lWDjv5W4SRRkL1D/.zjQLSxLYvV5gu";

const INSTALL: &str = "apt-get install -y docker.io docker-registry busybox-static";

/// Docker engines (one per host that needs one) and one registry.
pub struct Docker {
    pub dir: tempfile::TempDir,
    /// The registry's `127.0.0.1:PORT`.
    pub registry: String,
    daemons: Vec<Daemon>,
    registry_child: Child,
}

struct Daemon {
    sock: PathBuf,
    child: Child,
}

impl Docker {
    /// Starts `n` daemons and the registry and waits until all answer.
    pub fn start(n: usize) -> Docker {
        for bin in [
            "/usr/sbin/dockerd",
            "/usr/bin/docker",
            "/usr/bin/docker-registry",
            BUSYBOX,
        ] {
            assert!(Path::new(bin).exists(), "{bin} is missing: {INSTALL}");
        }
        // Short paths: a socket path must fit in 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("fd-")
            .tempdir_in("/tmp")
            .unwrap();
        let daemons = (0..n)
            .map(|i| Daemon::spawn(&dir.path().join(format!("d{i}"))))
            .collect();
        let d = dir.path();
        let port = crate::support::sshd::free_port("127.0.0.1");
        let registry = format!("127.0.0.1:{port}");
        fs::write(
            d.join("registry.yml"),
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 auth:\n  htpasswd:\n    realm: ferry-tests\n    path: {}\nhttp:\n  addr: {registry}\n",
                d.join("registry").display(),
                d.join("htpasswd").display()
            ),
        )
        .unwrap();
        fs::write(
            d.join("htpasswd"),
            format!("{REGISTRY_USER}:{REGISTRY_PASSWORD_BCRYPT}\n"),
        )
        .unwrap();
        let rlog = fs::File::create(d.join("registry.log")).unwrap();
        let registry_child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(d.join("registry.yml"))
            .stdout(rlog.try_clone().unwrap())
            .stderr(rlog)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start docker-registry ({e}): {INSTALL}"));
        let docker = Docker {
            dir,
            registry,
            daemons,
            registry_child,
        };
        docker.wait_ready();
        docker
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        for i in 0..self.daemons.len() {
            while !self.docker(i, &["version"]).status.success() {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "dockerd did not start; see {}/d{i}/dockerd.log",
                    self.dir.path().display()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let url = self.url("/v2/");
        let user = format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}");
        while curl(&[
            "-s",
            "-u",
            &user,
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url,
        ]) != "200"
        {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the registry did not start; see {}/registry.log",
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs the docker CLI against daemon `i`.
    pub fn docker(&self, i: usize, args: &[&str]) -> Output {
        Command::new("/usr/bin/docker")
            .arg("-H")
            .arg(format!("unix://{}", self.daemons[i].sock.display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// The `-H unix://SOCKET` that reaches daemon `i`.
    pub fn host_arg(&self, i: usize) -> String {
        format!("-H unix://{}", self.daemons[i].sock.display())
    }

    /// A `docker` for a test host's bin/: the real CLI, talking to daemon `i`.
    pub fn cli_script(&self, i: usize) -> String {
        format!(
            "#!/bin/sh\nexec /usr/bin/docker -H unix://{} \"$@\"\n",
            self.daemons[i].sock.display()
        )
    }

    /// `http://REGISTRY{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.registry)
    }

    /// The digest the registry serves for `repo:tag` (schema 2 manifest), if the tag exists.
    pub fn registry_digest(&self, repo: &str, tag: &str) -> Option<String> {
        let user = format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}");
        let headers = curl(&[
            "-s",
            "-u",
            &user,
            "-I",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
            &self.url(&format!("/v2/{repo}/manifests/{tag}")),
        ]);
        if !headers.starts_with("HTTP/1.1 200") {
            return None;
        }
        headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_string())
        })
    }
}

impl Daemon {
    fn spawn(d: &Path) -> Daemon {
        fs::create_dir_all(d).unwrap();
        let sock = d.join("d.sock");
        let log = fs::File::create(d.join("dockerd.log")).unwrap();
        let child = Command::new("/usr/sbin/dockerd")
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", sock.display()))
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--storage-driver=vfs",
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dockerd ({e}): {INSTALL}"));
        Daemon { sock, child }
    }
}

impl Drop for Docker {
    fn drop(&mut self) {
        // Containers first (they use the host's network and ports), then the daemons.
        for i in 0..self.daemons.len() {
            let ids = self.docker(i, &["ps", "-aq"]);
            for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
                let _ = self.docker(i, &["rm", "-f", id]);
            }
        }
        for d in &mut self.daemons {
            let _ = Command::new("kill").arg(d.child.id().to_string()).status();
        }
        for d in &mut self.daemons {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = d.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = d.child.kill();
            let _ = d.child.wait();
        }
        let _ = self.registry_child.kill();
        let _ = self.registry_child.wait();
        // dockerd leaves its network namespace mounted under its exec root; unmounted, the
        // fixture's directory (images, layers) can be removed instead of piling up in /tmp.
        let root = self.dir.path().display().to_string();
        let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        for point in mounts.lines().filter_map(|l| l.split(' ').nth(1)) {
            if point.starts_with(&root) {
                let _ = Command::new("umount").arg("-l").arg(point).status();
            }
        }
    }
}

/// Debian's static busybox (package busybox-static).
pub const BUSYBOX: &str = "/bin/busybox";

/// A build context for a tiny web app: busybox's httpd serving `index.html` (the page says
/// `text`). `CMD` takes the port from `$PORT`. busybox is also `/bin/sh`: docker runs health
/// checks through it.
pub fn app_context(dir: &Path, text: &str) {
    fs::create_dir_all(dir.join("www")).unwrap();
    fs::copy(BUSYBOX, dir.join("busybox")).unwrap();
    fs::write(dir.join("www/index.html"), format!("{text}\n")).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY www /www\nENV PORT=8080\n\
         CMD [\"/bin/busybox\", \"sh\", \"-c\", \"exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www\"]\n",
    )
    .unwrap();
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("curl: {e} (apt-get install curl)"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
