//! The `hardware` collector: memory and swap, processors, mounts with their sizes, block
//! devices and their links, DMI identity, uptime, LVM — from `/proc`, `/sys`, `findmnt`,
//! `lsblk` and one `stat -f` over every mount, as Ansible's Linux hardware facts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

const DMI: &str = "/sys/devices/virtual/dmi/id/";

pub(crate) static HARDWARE: Collector = Collector {
    name: "hardware",
    ids: &[
        "processor",
        "processor_cores",
        "processor_count",
        "mounts",
        "devices",
    ],
    parts: &["hardware"],
    files: &[
        "/proc/meminfo",
        "/proc/cpuinfo",
        "/proc/uptime",
        "/proc/mounts",
        "/proc/self/status",
        "/sys/hypervisor/type",
        "/sys/devices/virtual/dmi/id/*",
        "/sys/block/*/removable",
        "/sys/block/*/size",
        "/sys/block/*/queue/rotational",
        "/sys/block/*/queue/logical_block_size",
        "/sys/block/*/queue/scheduler",
        "/sys/block/*/queue/discard_granularity",
        "/sys/block/*/device/vendor",
        "/sys/block/*/device/model",
        "/sys/block/*/*/start",
        "/sys/block/*/*/size",
    ],
    exists: &[],
    needs: &["platform"],
    parse: hardware,
};

fn hardware(out: &Output, f: &mut Facts) {
    memory(out, f);
    cpu(out, f);
    dmi(out, f);
    if let Some(up) = out.text("/proc/uptime").and_then(|t| t.split('.').next()) {
        if let Ok(n) = up.parse::<i64>() {
            f.insert("uptime_seconds".into(), n.into());
        }
    }
    f.insert("mounts".into(), Json::Array(mounts(out)));
    f.insert("devices".into(), Json::Object(devices(out)));
    f.insert("device_links".into(), device_links(out));
    f.insert("lvm".into(), s("N/A"));
}

fn memory(out: &Output, f: &mut Facts) {
    let Some(text) = out.file("/proc/meminfo") else {
        return;
    };
    let mut m: BTreeMap<String, i64> = BTreeMap::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let Some(kb) = v
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<i64>().ok())
        else {
            continue;
        };
        if [
            "MemTotal",
            "SwapTotal",
            "MemFree",
            "SwapFree",
            "Buffers",
            "Cached",
            "SwapCached",
        ]
        .contains(&k)
        {
            m.insert(k.to_lowercase(), kb / 1024);
        }
    }
    for k in ["memtotal", "swaptotal", "memfree", "swapfree"] {
        if let Some(v) = m.get(k) {
            f.insert(format!("{k}_mb"), (*v).into());
        }
    }
    let g = |k: &str| m.get(k).copied();
    let sub = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a - b);
    let nocache_free = g("cached")
        .zip(g("memfree"))
        .zip(g("buffers"))
        .map(|((c, f), b)| c + f + b);
    f.insert(
        "memory_mb".into(),
        json!({
            "real": {"total": g("memtotal"), "used": sub(g("memtotal"), g("memfree")), "free": g("memfree")},
            "nocache": {"free": nocache_free, "used": sub(g("memtotal"), nocache_free)},
            "swap": {"total": g("swaptotal"), "free": g("swapfree"), "used": sub(g("swaptotal"), g("swapfree")), "cached": g("swapcached")},
        }),
    );
}

/// Processors as Ansible counts them from `/proc/cpuinfo` (x86 and friends).
fn cpu(out: &Output, f: &mut Facts) {
    let Some(text) = out.file("/proc/cpuinfo") else {
        return;
    };
    let (mut i, mut vendor, mut model, mut procs) = (0i64, 0, 0, 0i64);
    let mut sockets: Vec<(String, i64)> = Vec::new();
    let mut cores: Vec<(String, i64)> = Vec::new();
    let (mut physid, mut coreid) = (String::from("0"), String::from("0"));
    let mut list = Vec::new();
    let set = |v: &mut Vec<(String, i64)>, k: &str, n: i64| match v.iter_mut().find(|(a, _)| a == k)
    {
        Some(e) => e.1 = n,
        None => v.push((k.to_string(), n)),
    };
    for line in text.lines() {
        let (key, val) = line
            .split_once(':')
            .map(|(k, v)| (k.trim(), v.trim()))
            .unwrap_or((line.trim(), ""));
        match key {
            "flags" => {
                f.insert("flags".into(), val.split_whitespace().map(s).collect());
            }
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                list.push(s(val));
                vendor += (key == "vendor_id") as i64;
                model += (key == "model name") as i64;
                procs += (key == "processor") as i64;
                i += 1;
            }
            "physical id" => {
                physid = val.to_string();
                if !sockets.iter().any(|(k, _)| *k == physid) {
                    set(&mut sockets, &physid, 1);
                }
            }
            "core id" => {
                coreid = val.to_string();
                if !sockets.iter().any(|(k, _)| *k == coreid) {
                    set(&mut cores, &coreid, 1);
                }
            }
            "cpu cores" => set(&mut sockets, &physid, val.parse().unwrap_or(0)),
            "siblings" => set(&mut cores, &coreid, val.parse().unwrap_or(0)),
            _ => {}
        }
    }
    if vendor > 0 && vendor == model {
        i = vendor;
    }
    let arch = f.get("architecture").and_then(Json::as_str).unwrap_or("");
    if arch.starts_with("armv") || arch.starts_with("aarch") || arch.starts_with("ppc") {
        i = procs;
    }
    let count = if sockets.is_empty() {
        i
    } else {
        sockets.len() as i64
    };
    let per_socket = sockets
        .first()
        .map(|s| s.1)
        .filter(|n| *n != 0)
        .unwrap_or(1);
    let threads = match cores.first() {
        Some((_, n)) => (*n as f64 / per_socket as f64).round() as i64,
        None => (1.0 / per_socket as f64).round() as i64,
    };
    f.insert("processor".into(), Json::Array(list));
    f.insert("processor_count".into(), count.into());
    f.insert("processor_cores".into(), per_socket.into());
    f.insert("processor_threads_per_core".into(), threads.into());
    f.insert(
        "processor_vcpus".into(),
        (threads * count * per_socket).into(),
    );
    f.insert("processor_nproc".into(), nproc(out, procs).into());
}

/// The CPUs the gathering may run on (Python's `os.sched_getaffinity`), else the count of
/// `processor` lines.
fn nproc(out: &Output, procs: i64) -> i64 {
    out.file("/proc/self/status")
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")))
        .map(cpu_list_len)
        .unwrap_or(procs)
}

/// The number of CPUs in a list such as `0-3,8`.
fn cpu_list_len(list: &str) -> i64 {
    list.trim()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((a, b)) => b.parse::<i64>().unwrap_or(0) - a.parse::<i64>().unwrap_or(0) + 1,
            None => 1,
        })
        .sum()
}

/// DMI identity ("NA" where unreadable), as Ansible names it.
fn dmi(out: &Output, f: &mut Facts) {
    const KEYS: &[(&str, &str)] = &[
        ("bios_date", "bios_date"),
        ("bios_vendor", "bios_vendor"),
        ("bios_version", "bios_version"),
        ("board_asset_tag", "board_asset_tag"),
        ("board_name", "board_name"),
        ("board_serial", "board_serial"),
        ("board_vendor", "board_vendor"),
        ("board_version", "board_version"),
        ("chassis_asset_tag", "chassis_asset_tag"),
        ("chassis_serial", "chassis_serial"),
        ("chassis_vendor", "chassis_vendor"),
        ("chassis_version", "chassis_version"),
        ("product_name", "product_name"),
        ("product_serial", "product_serial"),
        ("product_uuid", "product_uuid"),
        ("product_version", "product_version"),
        ("system_vendor", "sys_vendor"),
    ];
    for (fact, file) in KEYS {
        let v = out.text(&format!("{DMI}{file}")).unwrap_or("NA");
        f.insert((*fact).into(), s(v));
    }
    const FORMS: &[&str] = &[
        "Unknown",
        "Other",
        "Unknown",
        "Desktop",
        "Low Profile Desktop",
        "Pizza Box",
        "Mini Tower",
        "Tower",
        "Portable",
        "Laptop",
        "Notebook",
        "Hand Held",
        "Docking Station",
        "All In One",
        "Sub Notebook",
        "Space-saving",
        "Lunch Box",
        "Main System Chassis",
        "Expansion Chassis",
        "Sub Chassis",
        "Bus Expansion Chassis",
        "Peripheral Chassis",
        "RAID Chassis",
        "Rack Mount Chassis",
        "Sealed-case PC",
        "Multi-system",
        "CompactPCI",
        "AdvancedTCA",
        "Blade",
        "Blade Enclosure",
        "Tablet",
        "Convertible",
        "Detachable",
        "IoT Gateway",
        "Embedded PC",
        "Mini PC",
        "Stick PC",
    ];
    let form = out
        .text(&format!("{DMI}chassis_type"))
        .and_then(|t| t.parse::<usize>().ok())
        .and_then(|n| FORMS.get(n).copied())
        .unwrap_or("NA");
    f.insert("form_factor".into(), s(form));
}

/// Mounts of block devices and network filesystems, with their sizes.
fn mounts(out: &Output) -> Vec<Json> {
    let bind: BTreeSet<&str> = out
        .section("mounts")
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (target, source) = (w.next()?, w.next()?);
            source.ends_with(']').then_some(target)
        })
        .collect();
    // Device → UUID from the /dev/disk/by-uuid links (what lsblk reads from udev).
    let mut uuids: BTreeMap<String, String> = BTreeMap::new();
    if let Some(Json::Object(by_dev)) = device_links(out).get("uuids") {
        for (dev, names) in by_dev {
            if let Some(Json::String(u)) = names.get(0) {
                uuids.insert(format!("/dev/{dev}"), u.clone());
            }
        }
    }
    let sizes: BTreeMap<&str, Vec<i64>> = out
        .section("statfs")
        .lines()
        .filter_map(|l| {
            let (name, nums) = l.split_once('|')?;
            Some((
                name,
                nums.split('|').filter_map(|n| n.parse().ok()).collect(),
            ))
        })
        .collect();
    let mut list = Vec::new();
    for line in out.file("/proc/mounts").unwrap_or("").lines() {
        let w: Vec<String> = line.split_whitespace().map(unescape_octal).collect();
        if w.len() < 6 {
            continue;
        }
        let (device, mount, fstype) = (&w[0], &w[1], &w[2]);
        if (!device.starts_with('/') && !device.starts_with('\\') && !device.contains(":/"))
            || fstype == "none"
        {
            continue;
        }
        let mut options = w[3].clone();
        if bind.contains(mount.as_str()) && !options.contains("bind") {
            options.push_str(",bind");
        }
        let mut m = Map::new();
        m.insert("mount".into(), s(mount.as_str()));
        m.insert("device".into(), s(device.as_str()));
        m.insert("fstype".into(), s(fstype.as_str()));
        m.insert("options".into(), s(options));
        m.insert("dump".into(), w[4].parse::<i64>().unwrap_or(0).into());
        m.insert("passno".into(), w[5].parse::<i64>().unwrap_or(0).into());
        if let Some(n) = sizes.get(mount.as_str()).filter(|n| n.len() == 7) {
            let (bsize, frsize, blocks, bfree, bavail, files, ffree) =
                (n[0], n[1], n[2], n[3], n[4], n[5], n[6]);
            m.insert("size_total".into(), (frsize * blocks).into());
            m.insert("size_available".into(), (frsize * bavail).into());
            m.insert("block_size".into(), bsize.into());
            m.insert("block_total".into(), blocks.into());
            m.insert("block_available".into(), bavail.into());
            m.insert("block_used".into(), (blocks - bfree).into());
            m.insert("inode_total".into(), files.into());
            m.insert("inode_available".into(), ffree.into());
            m.insert("inode_used".into(), (files - ffree).into());
        }
        m.insert(
            "uuid".into(),
            s(uuids
                .get(device.as_str())
                .map(String::as_str)
                .unwrap_or("N/A")),
        );
        list.push(Json::Object(m));
    }
    list
}

/// `\040` and friends in `/proc/mounts`.
fn unescape_octal(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `bytes_to_human` as Ansible shows device sizes.
fn human(bytes: f64) -> String {
    let units = [
        ("EB", 60),
        ("PB", 50),
        ("TB", 40),
        ("GB", 30),
        ("MB", 20),
        ("KB", 10),
    ];
    for (u, p) in units {
        let limit = (1u64 << p) as f64;
        if bytes >= limit {
            return format!("{:.2} {u}", bytes / limit);
        }
    }
    format!("{bytes:.2} Bytes")
}

/// Block devices under `/sys/block`, with what Ansible reports of each.
fn devices(out: &Output) -> Map<String, Json> {
    let mut devs = Map::new();
    let names: BTreeSet<String> = out
        .files_under("/sys/block/")
        .filter_map(|(p, _)| {
            p.strip_prefix("/sys/block/")?
                .split('/')
                .next()
                .map(String::from)
        })
        .collect();
    let holders = |dir: &str| -> Vec<Json> {
        out.section("holders")
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{dir}/holders/")))
            .map(s)
            .collect()
    };
    for name in names {
        let base = format!("/sys/block/{name}");
        let get = |rel: &str| out.text(&format!("{base}/{rel}"));
        let sectors: i64 = get("size").and_then(|v| v.parse().ok()).unwrap_or(0);
        let sectorsize = get("queue/logical_block_size").unwrap_or("512");
        let ss: f64 = sectorsize.parse().unwrap_or(512.0);
        let scheduler = get("queue/scheduler")
            .and_then(|t| t.split('[').nth(1).and_then(|r| r.split(']').next()))
            .unwrap_or("");
        let mut partitions = Map::new();
        for part in out
            .section("parts")
            .lines()
            .filter(|l| l.starts_with(&format!("{base}/")))
        {
            let pname = part.rsplit('/').next().unwrap_or("");
            let psectors: i64 = out
                .text(&format!("{part}/size"))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            partitions.insert(
                pname.into(),
                json!({
                    "start": out.text(&format!("{part}/start")).unwrap_or(""),
                    "sectors": psectors,
                    "sectorsize": ss as i64,
                    "size": human(psectors as f64 * ss),
                    "uuid": Json::Null,
                    "holders": holders(part),
                    "links": {"ids": [], "uuids": [], "labels": [], "masters": []},
                }),
            );
        }
        // Ansible counts a device as physical only on a sysfs without links, which no
        // current kernel has: every device reads as virtual.
        let d = json!({
            "holders": holders(&base),
            "host": "",
            "links": {"ids": [], "labels": [], "masters": [], "uuids": []},
            "model": get("device/model").map(s).unwrap_or(Json::Null),
            "partitions": partitions,
            "removable": get("removable").unwrap_or(""),
            "rotational": get("queue/rotational").unwrap_or(""),
            "sas_address": Json::Null,
            "sas_device_handle": Json::Null,
            "scheduler_mode": scheduler,
            "sectors": sectors,
            "sectorsize": sectorsize,
            "size": human(sectors as f64 * ss),
            "support_discard": get("queue/discard_granularity").unwrap_or(""),
            "vendor": get("device/vendor").map(s).unwrap_or(Json::Null),
            "virtual": 1,
        });
        devs.insert(name, d);
    }
    devs
}

/// `/dev/disk/by-*` links by the device they point at.
fn device_links(out: &Output) -> Json {
    let mut links: BTreeMap<&str, BTreeMap<String, Vec<Json>>> = BTreeMap::new();
    for kind in ["ids", "uuids", "labels", "masters"] {
        links.insert(kind, BTreeMap::new());
    }
    let mut kind = "";
    for line in out.section("disks").lines() {
        if let Some(dir) = line.strip_suffix(':') {
            kind = match dir.rsplit('-').next() {
                Some("id") => "ids",
                Some("uuid") => "uuids",
                Some("label") => "labels",
                _ => "",
            };
            continue;
        }
        let Some((left, target)) = line.split_once(" -> ") else {
            continue;
        };
        let name = left.rsplit(' ').next().unwrap_or("");
        let dev = target.rsplit('/').next().unwrap_or("").to_string();
        if let Some(map) = links.get_mut(kind) {
            map.entry(dev).or_default().push(s(name));
        }
    }
    for line in out.section("holders").lines() {
        let parts: Vec<&str> = line.split('/').collect();
        if let (Some(dev), Some(holder)) = (parts.get(parts.len().wrapping_sub(3)), parts.last()) {
            if let Some(map) = links.get_mut("masters") {
                map.entry(dev.to_string()).or_default().push(s(*holder));
            }
        }
    }
    json!(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_python_prints_them() {
        assert_eq!(human(0.0), "0.00 Bytes");
        assert_eq!(human(10.0 * 1024.0 * 1024.0 * 1024.0), "10.00 GB");
        assert_eq!(cpu_list_len("0-3,8"), 5);
        assert_eq!(unescape_octal("/mnt/a\\040b"), "/mnt/a b");
    }
}
