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
        .args(["netns", "exec", ns, "/usr/sbin/sshd", "-D", "-f"])
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
