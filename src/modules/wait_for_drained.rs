//! `wait_for`'s `state: drained`: counts the host's TCP connections on a local port from
//! `/proc/net/tcp` and `/proc/net/tcp6`, in the `active_connection_states`, to an address of
//! `host` (or any address when `host` is 0.0.0.0/::), leaving out peers in `exclude_hosts`.

use std::net::IpAddr;

use crate::connection::quote;

/// The states `/proc/net/tcp` numbers, by Ansible's names.
const STATES: &[(&str, &str)] = &[
    ("CLOSE", "07"),
    ("CLOSE_WAIT", "08"),
    ("CLOSING", "0B"),
    ("ESTABLISHED", "01"),
    ("FIN_WAIT1", "04"),
    ("FIN_WAIT2", "05"),
    ("LAST_ACK", "09"),
    ("LISTEN", "0A"),
    ("SYN_RECV", "03"),
    ("SYN_SENT", "02"),
    ("TIME_WAIT", "06"),
];

/// Ansible's default `active_connection_states`.
pub(crate) const DEFAULT_STATES: &[&str] = &[
    "ESTABLISHED",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "SYN_RECV",
    "SYN_SENT",
    "TIME_WAIT",
];

/// The state codes for Ansible's state names, or the first unknown name.
pub(crate) fn state_codes(names: &[String]) -> Result<Vec<&'static str>, String> {
    names
        .iter()
        .map(|n| {
            STATES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(n))
                .map(|(_, code)| *code)
                .ok_or_else(|| format!("unknown connection state '{n}'"))
        })
        .collect()
}

/// The script printing the addresses of `host` and of each excluded host (`name addr` lines),
/// then the connection tables (`tcp` and `tcp6` marker lines before each).
pub(crate) fn script(host: &str, exclude: &[String]) -> String {
    let mut s = String::new();
    for (tag, name) in
        std::iter::once(("host", host)).chain(exclude.iter().map(|e| ("exclude", e.as_str())))
    {
        s.push_str(&format!(
            "getent ahosts {} | while read a _; do echo {tag} \"$a\"; done | sort -u; ",
            quote(name)
        ));
    }
    s.push_str(
        "echo tcp; cat /proc/net/tcp 2>/dev/null; echo tcp6; cat /proc/net/tcp6 2>/dev/null; true",
    );
    s
}

/// How many connections [`script`]'s output shows on `port` in `states`.
pub(crate) fn count(out: &str, port: u16, states: &[&str]) -> usize {
    let mut hosts = Vec::new();
    let mut excluded = Vec::new();
    let mut n = 0;
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["host", a] => hosts.extend(a.parse::<IpAddr>().ok()),
            ["exclude", a] => excluded.extend(a.parse::<IpAddr>().ok()),
            [_, local, remote, state, ..] if states.contains(state) => {
                let (Some((lip, lport)), Some((rip, _))) = (address(local), address(remote)) else {
                    continue;
                };
                let local_ok = hosts.iter().any(|h| same(*h, lip) || h.is_unspecified());
                if lport == port && local_ok && !excluded.iter().any(|e| same(*e, rip)) {
                    n += 1;
                }
            }
            _ => {}
        }
    }
    n
}

/// Two addresses are the same, an IPv4 one matching its IPv4-mapped IPv6 form.
fn same(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A `/proc/net/tcp*` address (`0100007F:1F90`: little-endian words of hex) and port.
fn address(field: &str) -> Option<(IpAddr, u16)> {
    let (hex, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::new();
    for word in hex.as_bytes().chunks(8) {
        let w = u32::from_str_radix(std::str::from_utf8(word).ok()?, 16).ok()?;
        bytes.extend(w.to_le_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?),
        _ => return None,
    };
    Some((ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_connections_on_the_port() {
        let out = "host 127.0.0.1\nexclude 10.0.0.9\ntcp\n\
            sl local_address rem_address st\n\
            0: 0100007F:1F90 0100007F:C000 01 x\n\
            1: 0100007F:1F90 0900000A:C001 01 x\n\
            2: 0100007F:1F90 00000000:0000 0A x\n\
            3: 0100007F:0016 0100007F:C002 01 x\n\
            tcp6\n\
            0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C003 06 x\n";
        let states = state_codes(&["ESTABLISHED".into(), "TIME_WAIT".into()]).unwrap();
        assert_eq!(count(out, 8080, &states), 2);
        assert!(state_codes(&["BOGUS".into()]).is_err());
    }
}
