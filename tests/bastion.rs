//! ProxyJump through a bastion, on real network namespaces: two hosts live in a namespace that
//! only the bastion's namespace can reach. The direct route fails, the jump route works, and a
//! host whose key changed is refused through the bastion too.
//!
//!   root ns  10.213.1.1 ──veth── 10.213.1.2  bastion ns  10.213.2.1 ──veth── 10.213.2.2/.3  private ns

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::support::ferry;
use crate::support::netns::{self, ip};

struct Net {
    id: String,
    sshds: Vec<Child>,
}

impl Net {
    fn new() -> Net {
        let id = format!("{}", std::process::id() % 100_000);
        let (pb, pv) = (format!("ferry-b{id}"), format!("ferry-p{id}"));
        let net = Net {
            id: id.clone(),
            sshds: Vec::new(),
        };
        ip(&["netns", "add", &pb]);
        ip(&["netns", "add", &pv]);
        let (r, b1, b2, p) = (
            format!("fr{id}"),
            format!("fb{id}"),
            format!("fc{id}"),
            format!("fp{id}"),
        );
        ip(&["link", "add", &r, "type", "veth", "peer", "name", &b1]);
        ip(&["link", "set", &b1, "netns", &pb]);
        ip(&["addr", "add", "10.213.1.1/24", "dev", &r]);
        ip(&["link", "set", &r, "up"]);
        ip(&[
            "-n", &pb, "link", "add", &b2, "type", "veth", "peer", "name", &p,
        ]);
        ip(&["-n", &pb, "link", "set", &p, "netns", &pv]);
        ip(&["-n", &pb, "addr", "add", "10.213.1.2/24", "dev", &b1]);
        ip(&["-n", &pb, "addr", "add", "10.213.2.1/24", "dev", &b2]);
        for dev in [b1.as_str(), b2.as_str(), "lo"] {
            ip(&["-n", &pb, "link", "set", dev, "up"]);
        }
        ip(&["-n", &pv, "addr", "add", "10.213.2.2/24", "dev", &p]);
        ip(&["-n", &pv, "addr", "add", "10.213.2.3/24", "dev", &p]);
        ip(&["-n", &pv, "link", "set", &p, "up"]);
        ip(&["-n", &pv, "link", "set", "lo", "up"]);
        net
    }

    fn sshd(&mut self, ns: &str, addr: &str, dir: &Path, user_key: &Path) -> String {
        let (child, known) = netns::sshd(&format!("ferry-{ns}{}", self.id), addr, dir, user_key);
        self.sshds.push(child);
        known
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for c in &mut self.sshds {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in ["b", "p"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &format!("ferry-{ns}{}", self.id)])
                .status();
        }
    }
}

#[test]
fn proxyjump_through_a_bastion_reaches_private_hosts() {
    let dir = tempfile::Builder::new()
        .prefix("ferry-bastion-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let user_key = d.join("user_key");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&user_key)
        .status()
        .unwrap();
    let _ = fs::create_dir_all("/run/sshd");
    let mut net = Net::new();
    let mut kh = net.sshd("b", "10.213.1.2", &d.join("bastion"), &user_key);
    let hosts: Vec<(String, PathBuf)> = [("p1", "10.213.2.2"), ("p2", "10.213.2.3")]
        .iter()
        .map(|(name, addr)| {
            kh.push_str(&net.sshd("p", addr, &d.join(name), &user_key));
            (format!("{name} ansible_host={addr} ansible_user=root ansible_ssh_private_key_file={} host_dir={}", user_key.display(), d.join(name).display()), d.join(name))
        })
        .collect();
    let known_hosts = write_file(d, "known_hosts", &kh);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pb = write_file(
        d,
        "touch.yml",
        "- hosts: all\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/reached\n",
    );
    let lines: Vec<String> = hosts.iter().map(|(l, _)| l.clone()).collect();
    let run = |inv_text: String, kh: &Path| {
        let inv = write_file(d, "inv.ini", &inv_text);
        ferry(
            &[
                "run",
                pb.to_str().unwrap(),
                "-i",
                inv.to_str().unwrap(),
                "--known-hosts",
                kh.to_str().unwrap(),
                "-T",
                "3",
            ],
            d,
        )
    };

    let direct = run(lines.join("\n") + "\n", &known_hosts);
    assert_eq!(
        direct.code,
        4,
        "the private hosts are not reachable directly: {}",
        direct.all()
    );
    assert!(!hosts[0].1.join("reached").exists());

    let jump = " ansible_ssh_common_args='-o ProxyJump=root@10.213.1.2'";
    let via: String = lines.iter().map(|l| format!("{l}{jump}\n")).collect();
    let ok = run(via.clone(), &known_hosts);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(hosts[0].1.join("reached").exists() && hosts[1].1.join("reached").exists());

    // p1's key changes: refused through the bastion too; p2 still works.
    let other = d.join("otherkey");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    let pubkey = fs::read_to_string(other.with_extension("pub")).unwrap();
    let mut parts = pubkey.split_whitespace();
    let bad_line = format!(
        "10.213.2.2 {} {}\n",
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    let kh2: String = kh
        .lines()
        .filter(|l| !l.starts_with("10.213.2.2 "))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &bad_line;
    let changed_kh = write_file(d, "known_hosts2", &kh2);
    fs::remove_file(hosts[1].1.join("reached")).unwrap();
    let refused = run(via, &changed_kh);
    assert_eq!(refused.code, 4, "{}", refused.all());
    assert!(
        refused.stdout.contains("fatal: [p1]: UNREACHABLE!"),
        "{}",
        refused.all()
    );
    assert!(
        refused.stdout.to_lowercase().contains("changed"),
        "{}",
        refused.all()
    );
    assert!(hosts[1].1.join("reached").exists(), "p2 still reached");
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}
