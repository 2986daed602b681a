//! The `system_capabilities` facts: Ansible reads the `Current:` line of `capsh --print`;
//! ferry asks only whether `capsh` is there (Ansible gathers nothing without it) and writes
//! that line itself from the shell's capability masks in `/proc/self/status`, in libcap's
//! text form (`cap_to_text`), so no process is started for it.

use serde_json::Value as Json;

use crate::facts::raw::Output;
use crate::facts::system::NONE;
use crate::facts::{s, Collector, Facts};

pub(crate) static CAPS: Collector = Collector {
    name: "caps",
    ids: &["system_capabilities", "system_capabilities_enforced"],
    parts: &["caps"],
    files: &["/proc/self/status", "/proc/sys/kernel/cap_last_cap"],
    parse,
    ..NONE
};

fn parse(out: &Output, f: &mut Facts) {
    let (mut enforced, mut caps) = (s("N/A"), s("N/A"));
    if let Some(text) = current(out).filter(|_| !out.section("caps").trim().is_empty()) {
        if text == "=ep" {
            enforced = s("False");
            caps = Json::Array(Vec::new());
        } else {
            enforced = s("True");
            let after = text.split('=').nth(1).unwrap_or("");
            caps = after.split(',').map(|c| s(c.trim())).collect();
        }
    }
    f.insert("system_capabilities_enforced".into(), enforced);
    f.insert("system_capabilities".into(), caps);
}

/// libcap's names, by number.
const NAMES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// The text `capsh --print` shows after `Current:`, from the masks the host reported.
fn current(out: &Output) -> Option<String> {
    let status = out.file("/proc/self/status")?;
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    let last = out
        .text("/proc/sys/kernel/cap_last_cap")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(NAMES.len() as u32 - 1);
    Some(to_text(
        mask("CapEff:")?,
        mask("CapPrm:")?,
        mask("CapInh:")?,
        last + 1,
    ))
}

/// Flags as libcap numbers them (effective 1, permitted 2, inheritable 4), shown as `eip`.
fn flags(state: usize) -> String {
    [(1, 'e'), (4, 'i'), (2, 'p')]
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// libcap's `cap_to_text` for the first `bits` capabilities: the most common state first
/// (`=ep`, or `=` when most are clear), then each other state's capabilities with what they
/// add (`+`) or lack (`-`); when the common state is empty, the first group says `=`.
fn to_text(eff: u64, prm: u64, inh: u64, bits: u32) -> String {
    let state = |n: u32| {
        usize::from(eff >> n & 1 == 1)
            | usize::from(prm >> n & 1 == 1) << 1
            | usize::from(inh >> n & 1 == 1) << 2
    };
    let mut histo = [0usize; 8];
    for n in 0..bits {
        histo[state(n)] += 1;
    }
    let mut common = 7;
    for t in (0..7).rev() {
        if histo[t] >= histo[common] {
            common = t;
        }
    }
    let mut text = format!("={}", flags(common));
    for t in (0..8).rev().filter(|&t| t != common && histo[t] > 0) {
        let names: Vec<String> = (0..bits)
            .filter(|&n| state(n) == t)
            .map(|n| match NAMES.get(n as usize) {
                Some(name) => format!("cap_{name}"),
                None => n.to_string(),
            })
            .collect();
        let group = names.join(",");
        let (plus, minus) = (t & !common, common & !t);
        if text == "=" && plus != 0 {
            text = format!("{group}={}", flags(plus));
        } else {
            text.push_str(&format!(" {group}"));
            if plus != 0 {
                text.push_str(&format!("+{}", flags(plus)));
            }
        }
        if minus != 0 {
            text.push_str(&format!("-{}", flags(minus)));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn masks_read_as_capsh_shows_them() {
        // Each expectation is what `capsh --print` showed for the same masks.
        let cases = [
            (0x1fffeffffff, 0x1fffeffffff, 0, "=ep cap_sys_resource-ep"),
            (0x1ffffffffff, 0x1ffffffffff, 0, "=ep"),
            (1 << 13, 1 << 13, 0, "cap_net_raw=ep"),
            (1 << 13, 1 << 13, 1, "cap_chown=i cap_net_raw+ep"),
            (0, 0, 0, "="),
        ];
        for (eff, prm, inh, text) in cases {
            assert_eq!(to_text(eff, prm, inh, 41), text, "{eff:x} {prm:x} {inh:x}");
        }
    }
}
