//! The test harness: real sshd hosts ([`sshd`]), running the `ferry` binary, and reading its
//! PLAY RECAP.

#![allow(dead_code)]

pub mod docker;
pub mod moto;
pub mod netns;
pub mod postgres;
pub mod rootfs;
pub mod sshd;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

pub use sshd::SshHosts;

/// The checkout under test, read when the test runs: a test binary built from the same sources
/// in another checkout (cargo reuses it through a shared target dir) must read this checkout's
/// files, not the other one's.
pub fn root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// What a ferry run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The PLAY RECAP counts: host → {ok, changed, unreachable, failed, skipped, rescued, ignored}.
    pub fn recap(&self) -> BTreeMap<String, BTreeMap<String, u32>> {
        recap(&self.stdout)
    }

    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<std::process::Output> for Run {
    /// A finished process's exit code and output.
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Parses Ansible's (and ferry's) PLAY RECAP lines.
pub fn recap(out: &str) -> BTreeMap<String, BTreeMap<String, u32>> {
    let mut hosts = BTreeMap::new();
    let mut in_recap = false;
    for line in out.lines() {
        if line.starts_with("PLAY RECAP") {
            in_recap = true;
            continue;
        }
        if !in_recap {
            continue;
        }
        let Some((host, counts)) = line.split_once(" : ") else {
            continue;
        };
        let mut map = BTreeMap::new();
        for kv in counts.split_whitespace() {
            if let Some((k, v)) = kv.split_once('=') {
                map.insert(k.to_string(), v.parse().unwrap_or(0));
            }
        }
        hosts.insert(host.trim().to_string(), map);
    }
    hosts
}

/// Runs the ferry binary with `args` in directory `cwd`.
pub fn ferry(args: &[&str], cwd: &Path) -> Run {
    ferry_env(args, cwd, &[])
}

/// Runs the ferry binary with `args` in directory `cwd`, with `env` variables set.
pub fn ferry_env(args: &[&str], cwd: &Path, env: &[(&str, &Path)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .env_remove("FERRY_KNOWN_HOSTS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("ferry runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `ferry run PLAYBOOK -i INVENTORY --known-hosts KH [extra...]` against `hosts`.
pub fn run_playbook(hosts: &SshHosts, playbook: &Path, inventory: &Path, extra: &[&str]) -> Run {
    let kh = hosts.known_hosts.display().to_string();
    let pb = playbook.display().to_string();
    let inv = inventory.display().to_string();
    let mut args = vec![
        "run",
        pb.as_str(),
        "-i",
        inv.as_str(),
        "--known-hosts",
        kh.as_str(),
    ];
    args.extend_from_slice(extra);
    ferry(&args, hosts.dir.path())
}

/// Writes `text` to `name` in the fixture directory and returns the path.
pub fn write(hosts: &SshHosts, name: &str, text: &str) -> std::path::PathBuf {
    let path = hosts.path(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The counts of one host as a compact string: "ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0".
pub fn counts(run: &Run, host: &str) -> String {
    let recap = run.recap();
    let Some(c) = recap.get(host) else {
        return format!("<no recap for {host}>");
    };
    [
        "ok",
        "changed",
        "unreachable",
        "failed",
        "skipped",
        "rescued",
        "ignored",
    ]
    .iter()
    .map(|k| format!("{k}={}", c.get(*k).copied().unwrap_or(0)))
    .collect::<Vec<_>>()
    .join(" ")
}
