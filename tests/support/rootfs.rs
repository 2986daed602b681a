//! Debian system hosts for the tests that change a whole system (packages, services, users):
//! each host is a fresh overlay over the cached Debian bookworm root that `scripts/rootfs.sh`
//! builds, with its own sshd started inside it (`unshare --mount --pid` + `chroot`) on its own
//! 127.0.0.x address and port, generated keys, `/proc`, `/dev` and `/sys` mounted, the
//! machine's `/etc/resolv.conf`, CA bundle and `/etc/pip.conf` (so apt reaches
//! deb.debian.org and pip PyPI as the machine does) and python3 for
//! ansible-playbook. The root's `/usr/sbin/policy-rc.d` refuses to start daemons; a test that
//! wants them calls [`SystemHost::allow_daemons`]. Everything is stopped, unmounted and
//! deleted on drop.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::sshd::{free_port, keygen};
use super::{ferry_env, Run};

/// One Debian system host.
pub struct SystemHost {
    /// Inventory name (`sys1`, ...).
    pub name: String,
    /// Loopback address.
    pub addr: String,
    /// sshd's port.
    pub port: u16,
    /// The host's own directory (`upper`, `work`, `root`: the overlay; its files).
    pub dir: PathBuf,
    child: Option<Child>,
}

/// A set of running system hosts, a user key and a known_hosts file for them.
pub struct SystemHosts {
    pub dir: tempfile::TempDir,
    pub hosts: Vec<SystemHost>,
    pub user_key: PathBuf,
    pub known_hosts: PathBuf,
}

/// The cached root, built (or found up to date) by `scripts/rootfs.sh`.
pub fn base_root() -> PathBuf {
    variant_root("")
}

/// The cached root of a `FERRY_ROOTFS_VARIANT` of `scripts/rootfs.sh` (`rpm`: dnf, rpm and
/// createrepo-c besides the base root's packages); `""` is the base root.
pub fn variant_root(variant: &str) -> PathBuf {
    let script = super::root().join("scripts/rootfs.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("FERRY_ROOTFS_VARIANT", variant)
        .stderr(Stdio::inherit())
        .output()
        .expect("bash runs scripts/rootfs.sh");
    assert!(
        out.status.success(),
        "scripts/rootfs.sh failed (it needs debootstrap: apt-get install -y debootstrap)"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Loopback addresses handed out in this process, so two fixtures never share one.
static NEXT_ADDR: AtomicU32 = AtomicU32::new(0);

fn next_addr() -> String {
    let n = NEXT_ADDR.fetch_add(1, Ordering::Relaxed);
    // 127.0.<pid-derived>.<n>: processes of one test run rarely collide; ports keep them apart anyway.
    format!("127.0.{}.{}", 100 + std::process::id() % 100, 10 + n % 200)
}

impl SystemHosts {
    /// Starts `n` system hosts named sys1..sysN.
    pub fn start(n: usize) -> SystemHosts {
        SystemHosts::start_on(n, &base_root())
    }

    /// Starts `n` system hosts named sys1..sysN on the root of `FERRY_ROOTFS_VARIANT`
    /// `variant` (see [`variant_root`]).
    pub fn start_variant(n: usize, variant: &str) -> SystemHosts {
        SystemHosts::start_on(n, &variant_root(variant))
    }

    fn start_on(n: usize, base: &Path) -> SystemHosts {
        let dir = tempfile::Builder::new()
            .prefix("ferry-sys-")
            .tempdir()
            .expect("temp dir");
        let user_key = dir.path().join("user_key");
        keygen(&user_key);
        let mut kh = String::new();
        let mut hosts = Vec::new();
        for i in 0..n {
            let mut host = SystemHost {
                name: format!("sys{}", i + 1),
                addr: next_addr(),
                port: 0,
                dir: dir.path().join(format!("sys{}", i + 1)),
                child: None,
            };
            host.prepare(base, &user_key);
            host.spawn();
            let pubkey =
                fs::read_to_string(host.file("/etc/ssh/ssh_host_ed25519_key.pub")).unwrap();
            let (kind, key) = pubkey.split_once(' ').unwrap();
            let key = key.split_whitespace().next().unwrap();
            kh.push_str(&format!("[{}]:{} {kind} {key}\n", host.addr, host.port));
            hosts.push(host);
        }
        let known_hosts = dir.path().join("known_hosts");
        fs::write(&known_hosts, kh).unwrap();
        SystemHosts {
            user_key,
            known_hosts,
            hosts,
            dir,
        }
    }

    /// Path of a file in the fixture's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> &SystemHost {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .expect("known host")
    }

    /// The INI inventory line of a host.
    pub fn host_line(&self, h: &SystemHost) -> String {
        format!(
            "{} ansible_host={} ansible_port={} ansible_user=root ansible_ssh_private_key_file={} ansible_python_interpreter=/usr/bin/python3",
            h.name,
            h.addr,
            h.port,
            self.user_key.display(),
        )
    }

    /// Writes an INI inventory of `hosts` (all when empty) plus `extra` lines; returns its path.
    pub fn inventory_of(&self, hosts: &[&str], extra: &str) -> PathBuf {
        let mut text = String::new();
        for h in &self.hosts {
            if hosts.is_empty() || hosts.contains(&h.name.as_str()) {
                text.push_str(&self.host_line(h));
                text.push('\n');
            }
        }
        text.push_str(extra);
        let path = self.path(&format!("inventory-{}.ini", hosts.join("-")));
        fs::write(&path, text).unwrap();
        path
    }

    /// Writes `text` to `name` in the fixture directory and returns the path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, text).unwrap();
        path
    }

    /// `ferry run PLAYBOOK` against `hosts` (all when empty) with `extra` arguments.
    /// ferry runs as on an ops box with Ansible installed: the venv's ansible-core is on PATH
    /// (where ferry finds the modules it has no native code for, and ansible-core's routing).
    pub fn ferry(&self, playbook: &Path, hosts: &[&str], extra: &[&str]) -> Run {
        let inv = self.inventory_of(hosts, "").display().to_string();
        let kh = self.known_hosts.display().to_string();
        let pb = playbook.display().to_string();
        let mut args = vec!["run", &pb, "-i", &inv, "--known-hosts", &kh];
        args.extend_from_slice(extra);
        let ansible = crate::conformance::ansible_playbook();
        let venv_bin = ansible.parent().unwrap_or(Path::new("/"));
        let path = format!(
            "{}:{}",
            venv_bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        ferry_env(&args, self.dir.path(), &[("PATH", Path::new(&path))])
    }

    /// ansible-playbook (the venv's ansible-core) on `playbook` against `hosts` with `extra`
    /// arguments: its exit code and output.
    pub fn ansible(&self, playbook: &Path, hosts: &[&str], extra: &[&str]) -> (i32, String) {
        let inv = self.inventory_of(hosts, "");
        let tmp = self.path("ansible-tmp");
        let out = Command::new(crate::conformance::ansible_playbook())
            .arg(playbook)
            .arg("-i")
            .arg(inv)
            .args(extra)
            .env(
                "ANSIBLE_SSH_ARGS",
                format!(
                    "-o UserKnownHostsFile={} -o ControlMaster=auto -o ControlPersist=30s",
                    self.known_hosts.display()
                ),
            )
            .env("ANSIBLE_HOST_KEY_CHECKING", "True")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_LOCAL_TEMP", tmp.join("local"))
            .env("ANSIBLE_REMOTE_TEMP", "/tmp/.ansible-tmp")
            .env("ANSIBLE_STDOUT_CALLBACK", "default")
            .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("ansible-playbook runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

impl SystemHost {
    /// The host's root as this process sees it (the overlay's merged directory).
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// A path inside the host (`/etc/hostname` → `<root>/etc/hostname`).
    pub fn file(&self, path: &str) -> PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }

    /// Runs `script` with `sh -c` inside the host (chrooted, with its /proc and /dev): its
    /// exit code and stdout.
    pub fn sh(&self, script: &str) -> (i32, String) {
        let pid = self.inner_pid().expect("the host's sshd runs");
        let out = Command::new("nsenter")
            .args(["-t", &pid.to_string(), "-m", "-p", "chroot"])
            .arg(self.root())
            .args(["sh", "-c", script])
            .stdin(Stdio::null())
            .output()
            .expect("nsenter runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Lets package scripts start daemons (removes the root's `policy-rc.d`).
    pub fn allow_daemons(&self) {
        let _ = fs::remove_file(self.file("/usr/sbin/policy-rc.d"));
    }

    /// The host pid of the namespace's first process (the child of `unshare`).
    fn inner_pid(&self) -> Option<u32> {
        let unshare = self.child.as_ref()?.id();
        let children =
            fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }

    /// The overlay, keys, sshd config and resolv.conf.
    fn prepare(&self, base: &Path, user_key: &Path) {
        for d in ["upper", "work", "root"] {
            fs::create_dir_all(self.dir.join(d)).unwrap();
        }
        let opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            base.display(),
            self.dir.join("upper").display(),
            self.dir.join("work").display()
        );
        let status = Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &opts])
            .arg(self.root())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "cannot mount the overlay for {}",
            self.name
        );
        keygen(&self.file("/etc/ssh/ssh_host_ed25519_key"));
        fs::copy(
            user_key.with_extension("pub"),
            self.file("/root/.ssh/authorized_keys"),
        )
        .unwrap();
        // The machine's name service, trusted certificates and pip settings: a host reaches
        // the archives and PyPI as the machine does (through its proxy, if it has one).
        for path in [
            "/etc/resolv.conf",
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pip.conf",
        ] {
            if let Ok(text) = fs::read(path) {
                let _ = fs::remove_file(self.file(path));
                fs::write(self.file(path), text).unwrap();
            }
        }
        fs::write(self.file("/etc/hostname"), format!("{}\n", self.name)).unwrap();
    }

    fn spawn(&mut self) {
        for _attempt in 0..5 {
            self.port = free_port(&self.addr);
            let config = format!(
                "ListenAddress {}:{}\nHostKey /etc/ssh/ssh_host_ed25519_key\n\
                 AuthorizedKeysFile /root/.ssh/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PidFile none\nPermitRootLogin prohibit-password\nLogLevel VERBOSE\n\
                 MaxStartups 200\nSubsystem sftp internal-sftp\n",
                self.addr, self.port
            );
            fs::write(self.file("/etc/ssh/sshd_config"), config).unwrap();
            self.child = Some(self.launch());
            if self.wait_listening() {
                return;
            }
            self.kill();
        }
        panic!(
            "sshd of {} did not start; see {}",
            self.name,
            self.file("/var/log/sshd.log").display()
        );
    }

    /// sshd in new mount and pid namespaces, chrooted into the overlay.
    fn launch(&self) -> Child {
        let r = self.root().display().to_string();
        let script = format!(
            "set -e; mount -t proc proc {r}/proc; mount --rbind /dev {r}/dev; \
             mount -t sysfs sysfs {r}/sys || true; mkdir -p {r}/run/sshd; \
             exec chroot {r} /usr/sbin/sshd -D -f /etc/ssh/sshd_config -E /var/log/sshd.log"
        );
        // setpriv: a test process killed outright (a timeout) takes its hosts with it.
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--pdeathsig",
            "KILL",
            "unshare",
            "--mount",
            "--pid",
            "--fork",
        ])
        .args(["--kill-child", "sh", "-c"])
        .arg(script);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare starts")
    }

    fn wait_listening(&mut self) -> bool {
        super::sshd::wait_listening(self.child.as_mut(), &self.addr, self.port, 10)
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for SystemHost {
    fn drop(&mut self) {
        self.kill();
        let root = self.root();
        for _ in 0..50 {
            let ok = Command::new("umount")
                .arg(&root)
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("umount").arg("-l").arg(&root).status();
    }
}

impl Drop for SystemHosts {
    fn drop(&mut self) {
        // Unmount every host before the temp dir (which holds the overlays) is removed.
        self.hosts.clear();
    }
}
