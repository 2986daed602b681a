//! Hosts in network namespaces of their own (Debian's iproute2): `ip`, and an sshd started
//! inside a namespace, for tests of what crosses a network (bastions, partitions).

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Runs `ip ARGS`, failing the test with its error.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2) runs");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts sshd in namespace `ns` on `addr:22` with its files in `dir` (a new host key,
/// `user_key`'s public half authorized, HOME at `dir/home`, SFTP, TCP forwarding); returns
/// it and its known_hosts line.
pub fn sshd(ns: &str, addr: &str, dir: &Path, user_key: &Path) -> (Child, String) {
    sshd_through(ns, &[], addr, dir, user_key)
}

/// [`sshd`] started through `wrapper` inside the namespace (such as `unshare --uts ...`, a
/// program that ends by running the command line it is given).
pub fn sshd_through(
    ns: &str,
    wrapper: &[&str],
    addr: &str,
    dir: &Path,
    user_key: &Path,
) -> (Child, String) {
    fs::create_dir_all(dir.join("home")).unwrap();
    let key = dir.join("hostkey");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    fs::copy(user_key.with_extension("pub"), dir.join("authorized_keys")).unwrap();
    let d = dir.display();
    fs::write(
        dir.join("sshd_config"),
        format!("ListenAddress {addr}:22\nHostKey {d}/hostkey\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\nPidFile none\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\nSubsystem sftp internal-sftp\nSetEnv HOME={d}/home\n"),
    )
    .unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(wrapper)
        .args(["/usr/sbin/sshd", "-D", "-f"])
        .arg(dir.join("sshd_config"))
        .arg("-E")
        .arg(dir.join("sshd.log"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let pubkey = fs::read_to_string(key.with_extension("pub")).unwrap();
    let mut parts = pubkey.split_whitespace();
    let known = format!(
        "{addr} {} {}\n",
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    (child, known)
}

/// Makes namespace `ns` joined to this one by a veth pair (`outside` here with `NET.1/24`,
/// `inside` there with `NET.2/24`, both up, and the namespace's loopback up).
pub fn veth_namespace(ns: &str, outside: &str, inside: &str, net: &str) {
    ip(&["netns", "add", ns]);
    ip(&[
        "link", "add", outside, "type", "veth", "peer", "name", inside,
    ]);
    ip(&["link", "set", inside, "netns", ns]);
    ip(&["addr", "add", &format!("{net}.1/24"), "dev", outside]);
    ip(&["link", "set", outside, "up"]);
    ip(&[
        "-n",
        ns,
        "addr",
        "add",
        &format!("{net}.2/24"),
        "dev",
        inside,
    ]);
    ip(&["-n", ns, "link", "set", inside, "up"]);
    ip(&["-n", ns, "link", "set", "lo", "up"]);
}

/// Waits (up to 10 s) until `addr:22` accepts connections.
pub fn wait_for_ssh(addr: &str) {
    let started = std::time::Instant::now();
    let target = format!("{addr}:22").parse().unwrap();
    let wait = std::time::Duration::from_millis(200);
    while std::net::TcpStream::connect_timeout(&target, wait).is_err() {
        assert!(
            started.elapsed().as_secs() < 10,
            "sshd on {addr} did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Kills every process in namespace `ns` (an sshd and its sessions), then `sshd`, then
/// deletes the namespace.
pub fn remove(ns: &str, sshd: &mut Child) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
    let _ = sshd.kill();
    let _ = sshd.wait();
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
}
