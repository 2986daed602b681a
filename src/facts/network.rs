//! The network collectors: `network` (interfaces from `/sys/class/net` and one
//! `ip addr show`, the default IPv4/IPv6 routes, every address, locally reachable ranges),
//! `dns` (`/etc/resolv.conf`), and the initiator names (`iscsi`, `nvme`,
//! `fibre_channel_wwn`).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

pub(crate) static NETWORK: Collector = Collector {
    name: "network",
    ids: &[
        "interfaces",
        "default_ipv4",
        "default_ipv6",
        "all_ipv4_addresses",
        "all_ipv6_addresses",
    ],
    parts: &["network"],
    files: &[
        "/sys/class/net/*/address",
        "/sys/class/net/*/mtu",
        "/sys/class/net/*/operstate",
        "/sys/class/net/*/type",
        "/sys/class/net/*/speed",
        "/sys/class/net/*/flags",
        "/sys/class/net/*/bridge/bridge_id",
        "/sys/class/net/*/bridge/stp_state",
    ],
    exists: &["/sys/class/net/*", "/sys/class/net/*/bridge"],
    needs: &["platform", "distribution"],
    parse: network,
};

pub(crate) static DNS: Collector = Collector {
    name: "dns",
    ids: &[],
    parts: &[],
    files: &["/etc/resolv.conf"],
    exists: &[],
    needs: &[],
    parse: dns,
};

pub(crate) static ISCSI: Collector = Collector {
    name: "iscsi",
    files: &["/etc/iscsi/initiatorname.iscsi"],
    parse: |out, f| {
        let iqn = out
            .file("/etc/iscsi/initiatorname.iscsi")
            .unwrap_or("")
            .lines()
            .find_map(|l| l.trim().strip_prefix("InitiatorName=").map(str::trim))
            .unwrap_or("");
        f.insert("iscsi_iqn".into(), s(iqn));
    },
    ..DNS
};

pub(crate) static NVME: Collector = Collector {
    name: "nvme",
    files: &["/etc/nvme/hostnqn"],
    parse: |out, f| {
        f.insert(
            "hostnqn".into(),
            s(out.text("/etc/nvme/hostnqn").unwrap_or("")),
        );
    },
    ..DNS
};

pub(crate) static FC_WWN: Collector = Collector {
    name: "fibre_channel_wwn",
    files: &["/sys/class/fc_host/*/port_name"],
    parse: |out, f| {
        let wwns: Vec<Json> = out
            .files_under("/sys/class/fc_host/")
            .map(|(_, v)| s(v.trim().trim_start_matches("0x")))
            .collect();
        f.insert("fibre_channel_wwn".into(), Json::Array(wwns));
    },
    ..DNS
};

fn dns(out: &Output, f: &mut Facts) {
    let mut dns = Map::new();
    for line in out.file("/etc/resolv.conf").unwrap_or("").lines() {
        if line.starts_with('#') || line.starts_with(';') || line.trim().is_empty() {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        let rest = || Json::Array(t[1..].iter().map(|w| s(*w)).collect());
        match t[0] {
            "nameserver" => {
                let list = dns
                    .entry("nameservers")
                    .or_insert_with(|| Json::Array(Vec::new()));
                if let Json::Array(l) = list {
                    l.extend(t[1..].iter().map(|w| s(*w)));
                }
            }
            "domain" if t.len() > 1 => {
                dns.insert("domain".into(), s(t[1]));
            }
            "search" => {
                dns.insert("search".into(), rest());
            }
            "sortlist" => {
                dns.insert("sortlist".into(), rest());
            }
            "options" => {
                let opts: Map<String, Json> = t[1..]
                    .iter()
                    .map(|o| match o.split_once(':') {
                        Some((k, v)) if !v.is_empty() => (k.to_string(), s(v)),
                        _ => (
                            o.split(':').next().unwrap_or("").to_string(),
                            Json::Bool(true),
                        ),
                    })
                    .collect();
                dns.insert("options".into(), Json::Object(opts));
            }
            _ => {}
        }
    }
    f.insert("dns".into(), Json::Object(dns));
}

/// What `ip route get` says of the way out: interface, source, gateway.
fn route(text: &str, target: &str) -> Map<String, Json> {
    let mut r = Map::new();
    let words: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    if words.first() != Some(&target) {
        return r;
    }
    for i in 0..words.len().saturating_sub(1) {
        match words[i] {
            "dev" => r.insert("interface".into(), s(words[i + 1])),
            "src" => r.insert("address".into(), s(words[i + 1])),
            "via" if words[i + 1] != target => r.insert("gateway".into(), s(words[i + 1])),
            _ => None,
        };
    }
    r
}

const V4: &str = "8.8.8.8";
const V6: &str = "2404:6800:400a:800::1012";

fn network(out: &Output, f: &mut Facts) {
    let v4 = route(out.section("route4"), V4);
    let v6 = route(out.section("route6"), V6);
    let mut ifaces: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (path, _) in out.files_under("/sys/class/net/") {
        let dev = path
            .trim_start_matches("/sys/class/net/")
            .split('/')
            .next()
            .unwrap_or("");
        if !dev.is_empty() && !order.iter().any(|d| d == dev) {
            order.push(dev.to_string());
        }
    }
    for dev in &order {
        ifaces.insert(dev.clone(), sys_info(out, dev));
    }
    let mut a = Addrs {
        v4,
        v6,
        all4: Vec::new(),
        all6: Vec::new(),
    };
    for (dev, block) in ip_blocks(out.section("addr")) {
        let Some(iface) = ifaces.get_mut(&dev) else {
            continue;
        };
        for line in block.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.first() {
                Some(&"inet") => inet(&w, iface, &mut a),
                Some(&"inet6") => inet6(&w, iface, &mut a),
                _ => {}
            }
        }
    }
    let Addrs { v4, v6, all4, all6 } = a;
    f.insert(
        "interfaces".into(),
        order.iter().map(|d| s(d.replace(':', "_"))).collect(),
    );
    for (dev, iface) in ifaces {
        f.insert(dev.replace(':', "_"), Json::Object(iface));
    }
    f.insert("default_ipv4".into(), Json::Object(v4));
    f.insert("default_ipv6".into(), Json::Object(v6));
    f.insert("all_ipv4_addresses".into(), Json::Array(all4));
    f.insert("all_ipv6_addresses".into(), Json::Array(all6));
    f.insert("locally_reachable_ips".into(), locally_reachable(out));
}

/// The default routes' facts and every address, filled while `ip addr` is read.
struct Addrs {
    v4: Map<String, Json>,
    v6: Map<String, Json>,
    all4: Vec<Json>,
    all6: Vec<Json>,
}

/// The link facts a default route takes from its interface.
fn link(iface: &Map<String, Json>) -> [(&'static str, Json); 3] {
    [
        (
            "macaddress",
            iface.get("macaddress").cloned().unwrap_or(s("unknown")),
        ),
        ("mtu", iface.get("mtu").cloned().unwrap_or(Json::Null)),
        ("type", iface.get("type").cloned().unwrap_or(s("unknown"))),
    ]
}

/// One `inet` line: the interface's `ipv4` (or a secondary), the default route's details.
fn inet(w: &[&str], iface: &mut Map<String, Json>, a: &mut Addrs) {
    let (addr, len) = w[1].split_once('/').unwrap_or((w[1], "32"));
    let brd = if w.len() > 3 && w[2] == "brd" {
        w[3]
    } else {
        ""
    };
    let (mask, net) = v4_mask(addr, len);
    let entry =
        json!({"address": addr, "broadcast": brd, "netmask": mask, "network": net, "prefix": len});
    if a.v4.get("address").and_then(Json::as_str) == Some(addr) {
        let alias = s(*w.last().unwrap_or(&""));
        let own = [
            ("broadcast", s(brd)),
            ("netmask", s(mask)),
            ("network", s(net)),
            ("prefix", s(len)),
            ("alias", alias),
        ];
        for (k, v) in own.into_iter().chain(link(iface)) {
            a.v4.insert(k.into(), v);
        }
    }
    if iface.contains_key("ipv4") {
        let sec = iface.entry("ipv4_secondaries").or_insert_with(|| json!([]));
        if let Some(list) = sec.as_array_mut() {
            list.push(entry);
        }
    } else {
        iface.insert("ipv4".into(), entry);
    }
    if !addr.starts_with("127.") {
        a.all4.push(s(addr));
    }
}

/// One `inet6` line: an entry of the interface's `ipv6`, the default route's details.
fn inet6(w: &[&str], iface: &mut Map<String, Json>, a: &mut Addrs) {
    let (addr, prefix, scope) = if w.get(2) == Some(&"peer") {
        let prefix = w.get(3).and_then(|p| p.split('/').nth(1)).unwrap_or("");
        (w[1], prefix, w.get(5).copied().unwrap_or(""))
    } else {
        let (addr, prefix) = w[1].split_once('/').unwrap_or((w[1], ""));
        (addr, prefix, w.get(3).copied().unwrap_or(""))
    };
    if a.v6.get("address").and_then(Json::as_str) == Some(addr) {
        let own = [("prefix", s(prefix)), ("scope", s(scope))];
        for (k, v) in own.into_iter().chain(link(iface)) {
            a.v6.insert(k.into(), v);
        }
    }
    let list = iface.entry("ipv6").or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        list.push(json!({"address": addr, "prefix": prefix, "scope": scope}));
    }
    if addr != "::1" {
        a.all6.push(s(addr));
    }
}

/// What `/sys/class/net/<dev>` says of an interface.
fn sys_info(out: &Output, dev: &str) -> Map<String, Json> {
    let base = format!("/sys/class/net/{dev}");
    let get = |rel: &str| out.text(&format!("{base}/{rel}"));
    let mut i = Map::new();
    i.insert("device".into(), s(dev));
    if let Some(mac) = get("address").filter(|m| !m.is_empty() && *m != "00:00:00:00:00:00") {
        i.insert("macaddress".into(), s(mac));
    }
    if let Some(mtu) = get("mtu").and_then(|m| m.parse::<i64>().ok()) {
        i.insert("mtu".into(), mtu.into());
    }
    if let Some(state) = get("operstate") {
        i.insert("active".into(), Json::Bool(state != "down"));
    }
    for line in out.section("links").lines() {
        let Some((left, target)) = line.split_once(" -> ") else {
            continue;
        };
        let Some(path) = left.split_whitespace().last() else {
            continue;
        };
        let name = target.rsplit('/').next().unwrap_or("");
        if path == format!("{base}/device/driver/module") {
            i.insert("module".into(), s(name));
        } else if path == format!("{base}/device") {
            i.insert("pciid".into(), s(name));
        }
    }
    if let Some(t) = get("type") {
        let kind = match t {
            "1" => "ether",
            "32" => "infiniband",
            "512" => "ppp",
            "772" => "loopback",
            "65534" => "tunnel",
            _ => "unknown",
        };
        i.insert("type".into(), s(kind));
    }
    if out.exists(&format!("{base}/bridge")) {
        i.insert("type".into(), s("bridge"));
        let brif = format!("{base}/brif/");
        let members: Vec<Json> = out
            .section("brif")
            .lines()
            .filter_map(|l| l.strip_prefix(&brif))
            .map(s)
            .collect();
        i.insert("interfaces".into(), Json::Array(members));
        if let Some(id) = get("bridge/bridge_id") {
            i.insert("id".into(), s(id));
        }
        if let Some(stp) = get("bridge/stp_state") {
            i.insert("stp".into(), Json::Bool(stp == "1"));
        }
    }
    if let Some(speed) = get("speed").and_then(|v| v.parse::<i64>().ok()) {
        i.insert("speed".into(), speed.into());
    }
    if let Some(flags) =
        get("flags").and_then(|v| i64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
    {
        i.insert("promisc".into(), Json::Bool(flags & 0x100 > 0));
    }
    i
}

/// `ip addr show` cut into one block per interface.
fn ip_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with(|c: char| c.is_ascii_digit()) {
            let name = line.split(':').nth(1).unwrap_or("").trim();
            let name = name.split('@').next().unwrap_or(name);
            blocks.push((name.to_string(), String::new()));
        } else if let Some((_, block)) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

/// The netmask and network of an IPv4 address with a prefix length.
fn v4_mask(addr: &str, len: &str) -> (String, String) {
    let len: u32 = len.parse().unwrap_or(32).min(32);
    let ip: u32 = addr
        .parse::<std::net::Ipv4Addr>()
        .map(u32::from)
        .unwrap_or(0);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (
        std::net::Ipv4Addr::from(mask).to_string(),
        std::net::Ipv4Addr::from(ip & mask).to_string(),
    )
}

fn locally_reachable(out: &Output) -> Json {
    let (mut v4, mut v6): (Vec<Json>, Vec<Json>) = (Vec::new(), Vec::new());
    for line in out
        .section("local4")
        .lines()
        .chain(out.section("local6").lines())
    {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.first() != Some(&"local") || w.len() < 2 {
            continue;
        }
        let list = if w[1].contains(':') { &mut v6 } else { &mut v4 };
        if !list.contains(&s(w[1])) {
            list.push(s(w[1]));
        }
    }
    json!({"ipv4": v4, "ipv6": v6})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_masks_read_as_ansible_reads_them() {
        let r = route(
            "8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n",
            V4,
        );
        assert_eq!(r["interface"], "eth0");
        assert_eq!(r["address"], "192.0.2.2");
        assert_eq!(r["gateway"], "192.0.2.1");
        assert_eq!(
            v4_mask("192.0.2.2", "24"),
            ("255.255.255.0".into(), "192.0.2.0".into())
        );
        assert_eq!(
            v4_mask("10.1.2.3", "8"),
            ("255.0.0.0".into(), "10.0.0.0".into())
        );
    }
}
