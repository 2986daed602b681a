//! Real OpenSSH servers for the tests: each host is `/usr/sbin/sshd` on its own loopback
//! address (127.0.0.x) and a free port, with generated host and user keys, its own HOME and a
//! PATH that starts with the host's own `bin/` (so a test can put a fake `docker` there).
//! The servers are killed when [`SshHosts`] is dropped.

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One test host.
pub struct Host {
    /// Inventory name (`host1`, ...).
    pub name: String,
    /// Loopback address.
    pub addr: String,
    /// sshd's port.
    pub port: u16,
    /// The host's own directory (its HOME is `dir/home`, its PATH starts with `dir/bin`).
    pub dir: PathBuf,
    child: Option<Child>,
}

/// A set of running sshd hosts, a user key and a known_hosts file for them.
pub struct SshHosts {
    pub dir: tempfile::TempDir,
    pub hosts: Vec<Host>,
    pub user_key: PathBuf,
    pub known_hosts: PathBuf,
}

fn require_sshd() {
    if !Path::new("/usr/sbin/sshd").exists() {
        panic!("sshd is missing: install it with `apt-get install -y openssh-server` (scripts/test.sh does)");
    }
}

pub fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs (apt-get install -y openssh-client)");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

pub fn free_port(addr: &str) -> u16 {
    TcpListener::bind((addr, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind {addr}:0: {e}"))
}

impl SshHosts {
    /// Starts `n` hosts named host1..hostN.
    pub fn start(n: usize) -> SshHosts {
        require_sshd();
        let _ = fs::create_dir_all("/run/sshd");
        let dir = tempfile::Builder::new()
            .prefix("ferry-hosts-")
            .tempdir()
            .expect("temp dir");
        let user_key = dir.path().join("user_key");
        keygen(&user_key);
        let known_hosts = dir.path().join("known_hosts");
        let mut kh = String::new();
        let mut hosts = Vec::new();
        for i in 0..n {
            let name = format!("host{}", i + 1);
            let host_dir = dir.path().join(&name);
            fs::create_dir_all(host_dir.join("bin")).unwrap();
            fs::create_dir_all(host_dir.join("home")).unwrap();
            keygen(&host_dir.join("hostkey"));
            fs::copy(
                dir.path().join("user_key.pub"),
                host_dir.join("authorized_keys"),
            )
            .unwrap();
            let addr = format!("127.0.0.{}", 10 + i);
            let mut host = Host {
                name,
                addr,
                port: 0,
                dir: host_dir,
                child: None,
            };
            host.spawn();
            let pubkey = fs::read_to_string(host.dir.join("hostkey.pub")).unwrap();
            let mut parts = pubkey.split_whitespace();
            let (kind, key) = (parts.next().unwrap(), parts.next().unwrap());
            kh.push_str(&format!("[{}]:{} {kind} {key}\n", host.addr, host.port));
            hosts.push(host);
        }
        fs::write(&known_hosts, kh).unwrap();
        SshHosts {
            dir,
            hosts,
            user_key,
            known_hosts,
        }
    }

    /// Path of a file in the fixture's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The INI inventory line of each host (with `host_dir` pointing at its directory).
    pub fn host_line(&self, h: &Host) -> String {
        self.host_line_as(h, "root", true)
    }

    /// The INI inventory line of `h` logging in as `user`, with or without its `ansible_port`.
    pub fn host_line_as(&self, h: &Host, user: &str, with_port: bool) -> String {
        let port = if with_port {
            format!(" ansible_port={}", h.port)
        } else {
            String::new()
        };
        format!(
            "{} ansible_host={}{port} ansible_user={user} ansible_ssh_private_key_file={} host_dir={}",
            h.name,
            h.addr,
            self.user_key.display(),
            h.dir.display()
        )
    }

    /// Writes an INI inventory of all hosts (plus `extra` lines) and returns its path.
    pub fn inventory(&self, extra: &str) -> PathBuf {
        let mut text = String::new();
        for h in &self.hosts {
            text.push_str(&self.host_line(h));
            text.push('\n');
        }
        text.push_str(extra);
        let path = self.path("inventory.ini");
        fs::write(&path, text).unwrap();
        path
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> &Host {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .expect("known host")
    }

    /// Puts an executable script at `bin/<name>` of every host.
    pub fn install_script(&self, name: &str, script: &str) {
        for h in &self.hosts {
            let path = h.dir.join("bin").join(name);
            fs::write(&path, script).unwrap();
            let _ = Command::new("chmod").arg("755").arg(&path).status();
        }
    }

    /// True if any host's sshd log shows an accepted connection.
    pub fn any_connection(&self) -> bool {
        self.hosts.iter().any(|h| {
            fs::read_to_string(h.dir.join("sshd.log"))
                .map(|l| l.contains("Accepted publickey"))
                .unwrap_or(false)
        })
    }
}

/// Waits up to `secs` for `addr:port` to accept connections; false when `child` exits first.
pub fn wait_listening(mut child: Option<&mut Child>, addr: &str, port: u16, secs: u64) -> bool {
    let addr: SocketAddr = format!("{addr}:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(Ok(Some(_))) = child.as_mut().map(|c| c.try_wait()) {
            return false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Host {
    fn spawn(&mut self) {
        for _attempt in 0..5 {
            self.port = free_port(&self.addr);
            let d = self.dir.display();
            let config = format!(
                "ListenAddress {}:{}\nHostKey {d}/hostkey\nAuthorizedKeysFile {d}/authorized_keys\n\
                 StrictModes no\nUsePAM no\nPidFile none\nPermitRootLogin prohibit-password\n\
                 LogLevel VERBOSE\nMaxStartups 200\nSubsystem sftp internal-sftp\n\
                 SetEnv HOME={d}/home PATH={d}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
                self.addr, self.port
            );
            fs::write(self.dir.join("sshd_config"), config).unwrap();
            let child = self.launch();
            self.child = Some(child);
            if self.wait_listening() {
                return;
            }
            self.kill();
        }
        panic!(
            "sshd for {} did not start; see {}/sshd.log",
            self.name,
            self.dir.display()
        );
    }

    /// Starts sshd with this host's config.
    fn launch(&self) -> Child {
        Command::new("/usr/sbin/sshd")
            .args(["-D", "-f"])
            .arg(self.dir.join("sshd_config"))
            .arg("-E")
            .arg(self.dir.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts")
    }

    fn wait_listening(&mut self) -> bool {
        wait_listening(self.child.as_mut(), &self.addr, self.port, 5)
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The pid of this host's sshd (its listener), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops this host's sshd (it becomes unreachable).
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts this host's sshd again on the same address and port.
    pub fn start_again(&mut self) {
        self.child = Some(self.launch());
        assert!(
            self.wait_listening(),
            "sshd for {} did not restart",
            self.name
        );
    }
}

impl Drop for SshHosts {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            h.kill();
        }
    }
}
