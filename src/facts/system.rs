//! The system collectors: platform, lsb, selinux, apparmor, chroot, fips, python, caps,
//! pkg_mgr, service_mgr, cmdline, date_time, env, loadavg, ssh_pub_keys, user, systemd —
//! each reading its part of the script's output into the facts Ansible's collector of the
//! same name returns. The distribution is `distribution.rs`.

use serde_json::{json, Map, Value as Json};

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

pub(crate) use crate::facts::distribution::DISTRIBUTION;

pub(crate) const NONE: Collector = Collector {
    name: "",
    ids: &[],
    parts: &[],
    files: &[],
    exists: &[],
    needs: &[],
    parse: |_, _| {},
};

pub(crate) static PLATFORM: Collector = Collector {
    name: "platform",
    ids: &[
        "system",
        "kernel",
        "kernel_version",
        "machine",
        "python_version",
        "architecture",
        "machine_id",
    ],
    parts: &["platform", "python"],
    files: &[
        "/etc/machine-id",
        "/var/lib/dbus/machine-id",
        "/proc/sys/kernel/ostype",
        "/proc/sys/kernel/hostname",
        "/proc/sys/kernel/osrelease",
        "/proc/sys/kernel/version",
    ],
    parse: platform,
    ..NONE
};

fn platform(out: &Output, f: &mut Facts) {
    let kernel = |k: &str| {
        out.file(&format!("/proc/sys/kernel/{k}"))
            .unwrap_or("")
            .to_string()
    };
    let machine = out.section("uname").trim().to_string();
    let node = kernel("hostname");
    if !machine.is_empty() {
        f.insert("system".into(), s(kernel("ostype")));
        f.insert("kernel".into(), s(kernel("osrelease")));
        f.insert("kernel_version".into(), s(kernel("version")));
        f.insert("machine".into(), s(machine.as_str()));
        f.insert("nodename".into(), s(node.as_str()));
        f.insert("hostname".into(), s(node.split('.').next().unwrap_or("")));
        let python = python_info(out);
        if let Some(p) = &python {
            let v = &p["version_info"];
            f.insert(
                "python_version".into(),
                s(format!("{}.{}.{}", v[0], v[1], v[2])),
            );
        }
        // The interpreter's word size, as Ansible's `platform.architecture()`; without one,
        // the machine's.
        let bits = match &python {
            Some(p) if p["bits"] == Json::Bool(false) => "32",
            Some(_) => "64",
            None if machine.contains("64") || machine == "s390x" => "64",
            None => "32",
        };
        let arch = if regex_i86(&machine) {
            "i386"
        } else {
            machine.as_str()
        };
        f.insert("architecture".into(), s(arch));
        let user_arch = match (machine.as_str(), bits) {
            ("x86_64", "32") => "i386",
            _ => arch,
        };
        f.insert("userspace_architecture".into(), s(user_arch));
        f.insert("userspace_bits".into(), s(bits));
        let fqdn = fqdn(out.section("fqdn"), &node);
        let domain = fqdn
            .split_once('.')
            .map(|(_, d)| d)
            .unwrap_or("")
            .to_string();
        f.insert("fqdn".into(), s(fqdn));
        f.insert("domain".into(), s(domain));
    }
    let id = out
        .text("/etc/machine-id")
        .or(out.text("/var/lib/dbus/machine-id"));
    if let Some(id) = id {
        f.insert("machine_id".into(), s(id));
    }
}

fn regex_i86(machine: &str) -> bool {
    let b = machine.as_bytes();
    b.len() == 4 && b[0] == b'i' && (b'3'..=b'6').contains(&b[1]) && &b[2..] == b"86"
}

/// Python's `socket.getfqdn()`: the first name of the host's address with a dot, else its
/// canonical name, else the node name.
fn fqdn(hosts_line: &str, node: &str) -> String {
    let names: Vec<&str> = hosts_line.split_whitespace().skip(1).collect();
    names
        .iter()
        .find(|n| n.contains('.'))
        .or(names.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| node.to_string())
}

pub(crate) static LSB: Collector = Collector {
    name: "lsb",
    parts: &["lsb"],
    files: &["/etc/lsb-release", "/etc/os-release", "/usr/lib/os-release"],
    parse: lsb,
    ..NONE
};

fn lsb(out: &Output, f: &mut Facts) {
    let mut lsb = Map::new();
    let os = out
        .file("/etc/os-release")
        .or(out.file("/usr/lib/os-release"));
    if !out.section("lsb").trim().is_empty() {
        // What `lsb_release -a` prints, read from os-release as it reads it.
        let get = |k: &str| crate::facts::distribution::os_release_value(os.unwrap_or(""), k);
        let raw_id = get("ID").unwrap_or_default();
        let mut id = capitalize(&raw_id);
        if let Some(name) = get("NAME") {
            if name.to_lowercase() == id.to_lowercase() {
                id = name;
            }
        }
        let na = |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or_else(|| "n/a".into());
        lsb.insert("id".into(), s(na(Some(id))));
        lsb.insert("description".into(), s(na(get("PRETTY_NAME"))));
        lsb.insert("release".into(), s(na(get("VERSION_ID"))));
        lsb.insert("codename".into(), s(na(get("VERSION_CODENAME"))));
    } else if let Some(text) = out.file("/etc/lsb-release") {
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let key = match k.trim() {
                "DISTRIB_ID" => "id",
                "DISTRIB_RELEASE" => "release",
                "DISTRIB_DESCRIPTION" => "description",
                "DISTRIB_CODENAME" => "codename",
                _ => continue,
            };
            lsb.insert(key.into(), s(v.trim().trim_matches('"')));
        }
    }
    if let Some(Json::String(r)) = lsb.get("release") {
        let major = r.split('.').next().unwrap_or("").to_string();
        lsb.insert("major_release".into(), s(major));
    }
    f.insert("lsb".into(), Json::Object(lsb));
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(crate) static SELINUX: Collector = Collector {
    name: "selinux",
    files: &[
        "/sys/fs/selinux/enforce",
        "/sys/fs/selinux/policyvers",
        "/etc/selinux/config",
    ],
    exists: LIBSELINUX,
    parse: selinux,
    ..NONE
};

/// Where `libselinux.so.1` may be: Ansible's selinux bindings load it, and say the
/// "selinux Python library" is missing without it.
const LIBSELINUX: &[&str] = &[
    "/lib/*/libselinux.so.1",
    "/usr/lib/*/libselinux.so.1",
    "/lib64/libselinux.so.1",
    "/usr/lib64/libselinux.so.1",
    "/lib/libselinux.so.1",
    "/usr/lib/libselinux.so.1",
];

fn selinux(out: &Output, f: &mut Facts) {
    let present = out
        .section("exists")
        .lines()
        .any(|p| p.ends_with("/libselinux.so.1"));
    f.insert("selinux_python_present".into(), Json::Bool(present));
    if !present {
        f.insert(
            "selinux".into(),
            json!({"status": "Missing selinux Python library"}),
        );
        return;
    }
    let Some(enforce) = out.text("/sys/fs/selinux/enforce") else {
        f.insert("selinux".into(), json!({"status": "disabled"}));
        return;
    };
    let config = out.file("/etc/selinux/config").unwrap_or("");
    let conf = |k: &str| {
        config.lines().find_map(|l| {
            l.trim()
                .strip_prefix(k)
                .and_then(|r| r.strip_prefix('='))
                .map(|v| v.trim().to_string())
        })
    };
    let policy = out
        .text("/sys/fs/selinux/policyvers")
        .and_then(|v| v.parse::<i64>().ok());
    let mode = if enforce == "1" {
        "enforcing"
    } else {
        "permissive"
    };
    f.insert(
        "selinux".into(),
        json!({
            "status": "enabled",
            "policyvers": policy.map(Json::from).unwrap_or_else(|| s("unknown")),
            "config_mode": conf("SELINUX").unwrap_or_else(|| "unknown".into()),
            "mode": mode,
            "type": conf("SELINUXTYPE").unwrap_or_else(|| "unknown".into()),
        }),
    );
}

pub(crate) static APPARMOR: Collector = Collector {
    name: "apparmor",
    exists: &["/sys/kernel/security/apparmor"],
    parse: |out, f| {
        let on = out.exists("/sys/kernel/security/apparmor");
        let status = if on { "enabled" } else { "disabled" };
        f.insert("apparmor".into(), json!({ "status": status }));
    },
    ..NONE
};

pub(crate) static CHROOT: Collector = Collector {
    name: "chroot",
    ids: &["is_chroot"],
    parts: &["chroot"],
    files: &["/proc/mounts"],
    parse: |out, f| {
        let text = out.section("chroot");
        let mut lines = text.lines();
        let debian_chroot = lines.next().unwrap_or("");
        let root = lines.next().unwrap_or("");
        let chroot = match root.split(' ').collect::<Vec<_>>().as_slice() {
            _ if !debian_chroot.is_empty() => true,
            ["same"] => false,
            ["different"] => true,
            // Not allowed to look at pid 1's root: the root's inode is not the file
            // system's first (2; 256 on btrfs, 128 on xfs).
            ["unknown", ino, ..] => {
                let first = match root_fs(out.file("/proc/mounts").unwrap_or("")) {
                    fs if fs.contains("btrfs") => "256",
                    fs if fs.contains("xfs") => "128",
                    _ => "2",
                };
                ino != &first
            }
            _ => false,
        };
        f.insert("is_chroot".into(), Json::Bool(chroot));
    },
    ..NONE
};

/// The type of the file system mounted last on `/` (what `stat -f /` would name).
fn root_fs(mounts: &str) -> &str {
    mounts
        .lines()
        .rev()
        .filter_map(|l| {
            let mut words = l.split(' ');
            Some((words.nth(1)?, words.next()?))
        })
        .find(|(at, _)| *at == "/")
        .map_or("", |(_, fs)| fs)
}

pub(crate) static FIPS: Collector = Collector {
    name: "fips",
    files: &["/proc/sys/crypto/fips_enabled"],
    parse: |out, f| {
        let on = out.text("/proc/sys/crypto/fips_enabled") == Some("1");
        f.insert("fips".into(), Json::Bool(on));
    },
    ..NONE
};

/// What the script's python part found.
fn python_info(out: &Output) -> Option<Json> {
    let line = out.section("python").lines().find(|l| l.starts_with('{'))?;
    serde_json::from_str(line).ok()
}

pub(crate) static PYTHON: Collector = Collector {
    name: "python",
    parts: &["python"],
    parse: |out, f| {
        let Some(p) = python_info(out) else { return };
        let v = p["version_info"].clone();
        let version = json!({
            "major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4],
        });
        f.insert(
            "python".into(),
            json!({
                "executable": p["executable"],
                "has_sslcontext": p["ssl"],
                "type": p["type"].as_str().map(|t| if t == "cpython" { "cpython".to_string() } else { t.to_string() }),
                "version": version,
                "version_info": v,
            }),
        );
    },
    ..NONE
};

/// Package managers by the path that shows them, in Ansible's order (the last found wins):
/// the `pkg_mgr` fact, and the `package` module where no fact was gathered.
pub(crate) const PKG_MGRS: &[(&str, &str)] = &[
    ("/usr/bin/rpm-ostree", "atomic_container"),
    ("/usr/bin/yum", "dnf"),
    ("/usr/bin/dnf-3", "dnf"),
    ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"),
    ("/usr/bin/zypper", "zypper"),
    ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"),
    ("/bin/opkg", "opkg"),
    ("/usr/pkg/bin/pkgin", "pkgin"),
    ("/opt/local/bin/pkgin", "pkgin"),
    ("/opt/tools/bin/pkgin", "pkgin"),
    ("/opt/local/bin/port", "macports"),
    ("/usr/local/bin/brew", "homebrew"),
    ("/opt/homebrew/bin/brew", "homebrew"),
    ("/sbin/apk", "apk"),
    ("/usr/sbin/pkg", "pkgng"),
    ("/usr/sbin/swlist", "swdepot"),
    ("/usr/bin/emerge", "portage"),
    ("/usr/sbin/pkgadd", "svr4pkg"),
    ("/usr/bin/pkg", "pkg5"),
    ("/usr/bin/xbps-install", "xbps"),
    ("/usr/local/sbin/pkg", "pkgng"),
    ("/usr/bin/swupd", "swupd"),
    ("/usr/sbin/sorcery", "sorcery"),
    ("/usr/bin/installp", "installp"),
];

pub(crate) static PKG_MGR: Collector = Collector {
    name: "pkg_mgr",
    parts: &["pkg_mgr"],
    exists: &[
        "/usr/bin/rpm-ostree",
        "/usr/bin/yum",
        "/usr/bin/dnf-3",
        "/usr/bin/dnf5",
        "/usr/bin/apt-get",
        "/usr/bin/zypper",
        "/usr/sbin/urpmi",
        "/usr/bin/pacman",
        "/bin/opkg",
        "/usr/pkg/bin/pkgin",
        "/opt/local/bin/pkgin",
        "/opt/tools/bin/pkgin",
        "/opt/local/bin/port",
        "/usr/local/bin/brew",
        "/opt/homebrew/bin/brew",
        "/sbin/apk",
        "/usr/sbin/pkg",
        "/usr/sbin/swlist",
        "/usr/bin/emerge",
        "/usr/sbin/pkgadd",
        "/usr/bin/pkg",
        "/usr/bin/xbps-install",
        "/usr/local/sbin/pkg",
        "/usr/bin/swupd",
        "/usr/sbin/sorcery",
        "/usr/bin/installp",
        "/run/ostree-booted",
    ],
    needs: &["distribution"],
    parse: pkg_mgr,
    ..NONE
};

fn pkg_mgr(out: &Output, f: &mut Facts) {
    let family = f
        .get("os_family")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    let mut name = "unknown";
    for (path, mgr) in PKG_MGRS {
        if out.exists(path) && !(family == "Altlinux" && *path == "/usr/bin/pkg") {
            name = mgr;
        }
    }
    let dnf = out.section("dnf").trim().to_string();
    let name = match family.as_str() {
        "RedHat" if out.exists("/run/ostree-booted") => "atomic_container".to_string(),
        "RedHat" if dnf == "/usr/bin/dnf5" => "dnf5".to_string(),
        "RedHat" if !dnf.is_empty() => "dnf".to_string(),
        "RedHat" => "unknown".to_string(),
        "Debian" => "apt".to_string(),
        "Altlinux" if name == "apt" => "apt_rpm".to_string(),
        _ => name.to_string(),
    };
    let name = match name.as_str() {
        "apt" if out.section("rpm_apt").trim() == "apt_rpm" => "apt_rpm".to_string(),
        _ => name,
    };
    f.insert("pkg_mgr".into(), s(name));
}

pub(crate) static SERVICE_MGR: Collector = Collector {
    name: "service_mgr",
    parts: &["service_mgr"],
    files: &["/proc/1/comm"],
    exists: &[
        "/run/systemd/system/",
        "/dev/.run/systemd/",
        "/dev/.systemd/",
        "/etc/init/",
        "/sbin/openrc",
        "/etc/init.d/",
        "/etc/dinit.d/",
    ],
    needs: &["platform", "distribution"],
    parse: service_mgr,
    ..NONE
};

fn service_mgr(out: &Output, f: &mut Facts) {
    let init = out.section("init");
    let tool = |k: &str| {
        init.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
            .unwrap_or("")
            .to_string()
    };
    let (link, systemctl, initctl) = (tool("init"), tool("systemctl"), tool("initctl"));
    let proc_1 = out
        .text("/proc/1/comm")
        .map(String::from)
        .or_else(|| (!link.is_empty()).then(|| link.clone()))
        .map(|p| p.rsplit('/').next().unwrap_or("").trim().to_string())
        .filter(|p| p != "init" && !p.ends_with("sh"));
    let canary = [
        "/run/systemd/system/",
        "/dev/.run/systemd/",
        "/dev/.systemd/",
    ]
    .iter()
    .any(|c| out.exists(c));
    let system = f.get("system").and_then(Json::as_str).unwrap_or("");
    let distribution = f.get("distribution").and_then(Json::as_str).unwrap_or("");
    let name = match proc_1 {
        Some(p) => match p.as_str() {
            "procd" => "openwrt_init".into(),
            "runit-init" => "runit".into(),
            "svscan" => "svc".into(),
            "openrc-init" => "openrc".into(),
            _ => p,
        },
        None if distribution == "OpenWrt" => "openwrt_init".into(),
        None if distribution == "SMGL" => "simpleinit_msb".into(),
        None if system == "Linux" => if !systemctl.is_empty() && canary {
            "systemd"
        } else if !initctl.is_empty() && out.exists("/etc/init/") {
            "upstart"
        } else if out.exists("/sbin/openrc") {
            "openrc"
        } else if !systemctl.is_empty() && link.rsplit('/').next() == Some("systemd") {
            "systemd"
        } else if out.exists("/etc/init.d/") {
            "sysvinit"
        } else if out.exists("/etc/dinit.d/") {
            "dinit"
        } else {
            "service"
        }
        .into(),
        None => "service".into(),
    };
    f.insert("service_mgr".into(), s(name));
}

pub(crate) static CMDLINE: Collector = Collector {
    name: "cmdline",
    files: &["/proc/cmdline"],
    parse: |out, f| {
        let Some(text) = out.text("/proc/cmdline") else {
            return;
        };
        let (mut cmdline, mut proc_cmdline) = (Map::new(), Map::new());
        for piece in text.split_whitespace() {
            let (k, v) = match piece.split_once('=') {
                Some((k, v)) => (k, s(v)),
                None => (piece, Json::Bool(true)),
            };
            cmdline.insert(k.into(), v.clone());
            match proc_cmdline.get_mut(k) {
                Some(Json::Array(list)) => list.push(v),
                Some(old) => *old = Json::Array(vec![old.clone(), v]),
                None => {
                    proc_cmdline.insert(k.into(), v);
                }
            }
        }
        f.insert("cmdline".into(), Json::Object(cmdline));
        f.insert("proc_cmdline".into(), Json::Object(proc_cmdline));
    },
    ..NONE
};

pub(crate) static DATE_TIME: Collector = Collector {
    name: "date_time",
    parts: &["date_time"],
    parse: |out, f| {
        if let Some(dt) = date_time(out.section("date")) {
            f.insert("date_time".into(), dt);
        }
    },
    ..NONE
};

/// `date_time` from three `date` lines: now, 1 January and 1 July 2020 (for the zone's
/// summer name, Python's `time.tzname[1]`).
fn date_time(text: &str) -> Option<Json> {
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    let now = lines.first().filter(|w| w.len() >= 13)?;
    let zone = |l: Option<&Vec<&str>>| {
        l.filter(|w| w.len() >= 13)
            .map(|w| (w[11].to_string(), w[12].parse::<i32>().unwrap_or(0)))
    };
    let (winter, summer) = (zone(lines.get(1)), zone(lines.get(2)));
    let tz_dst = match (winter, summer) {
        (Some(w), Some(su)) if w.1 > su.1 => w.0,
        (_, Some(su)) => su.0,
        _ => now[11].to_string(),
    };
    let epoch: i64 = now[6].parse().ok()?;
    let micros = &now[7].get(..6).unwrap_or("000000");
    let utc = chrono::DateTime::from_timestamp(epoch, 0)?;
    let (y, mo, d, h, mi, se) = (now[0], now[1], now[2], now[3], now[4], now[5]);
    Some(json!({
        "date": format!("{y}-{mo}-{d}"),
        "day": d,
        "epoch": now[6],
        "epoch_int": now[6],
        "hour": h,
        "iso8601": utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "iso8601_basic": format!("{y}{mo}{d}T{h}{mi}{se}{micros}"),
        "iso8601_basic_short": format!("{y}{mo}{d}T{h}{mi}{se}"),
        "iso8601_micro": format!("{}.{micros}Z", utc.format("%Y-%m-%dT%H:%M:%S")),
        "minute": mi,
        "month": mo,
        "second": se,
        "time": format!("{h}:{mi}:{se}"),
        "tz": now[11],
        "tz_dst": tz_dst,
        "tz_offset": now[12],
        "weekday": now[8],
        "weekday_number": now[9],
        "weeknumber": now[10],
        "year": y,
    }))
}

pub(crate) static LOADAVG: Collector = Collector {
    name: "loadavg",
    files: &["/proc/loadavg"],
    parse: |out, f| {
        let Some(text) = out.text("/proc/loadavg") else {
            return;
        };
        let v: Vec<f64> = text
            .split_whitespace()
            .take(3)
            .filter_map(|w| w.parse().ok())
            .collect();
        if v.len() == 3 {
            f.insert(
                "loadavg".into(),
                json!({"1m": v[0], "5m": v[1], "15m": v[2]}),
            );
        }
    },
    ..NONE
};

pub(crate) static SSH_PUB_KEYS: Collector = Collector {
    name: "ssh_pub_keys",
    ids: &[
        "ssh_host_pub_keys",
        "ssh_host_key_dsa_public",
        "ssh_host_key_rsa_public",
        "ssh_host_key_ecdsa_public",
        "ssh_host_key_ed25519_public",
    ],
    files: &[
        "/etc/ssh/ssh_host_*_key.pub",
        "/etc/openssh/ssh_host_*_key.pub",
        "/etc/ssh_host_*_key.pub",
    ],
    parse: |out, f| {
        for dir in ["/etc/ssh", "/etc/openssh", "/etc"] {
            let mut found = false;
            for algo in ["dsa", "rsa", "ecdsa", "ed25519"] {
                let Some(text) = out.text(&format!("{dir}/ssh_host_{algo}_key.pub")) else {
                    continue;
                };
                let mut words = text.split_whitespace();
                let (Some(kind), Some(key)) = (words.next(), words.next()) else {
                    continue;
                };
                f.insert(format!("ssh_host_key_{algo}_public"), s(key));
                f.insert(format!("ssh_host_key_{algo}_public_keytype"), s(kind));
                found = true;
            }
            if found {
                break;
            }
        }
    },
    ..NONE
};

pub(crate) static USER: Collector = Collector {
    name: "user",
    ids: &[
        "user_id",
        "user_uid",
        "user_gid",
        "user_gecos",
        "user_dir",
        "user_shell",
        "real_user_id",
        "effective_user_id",
        "effective_group_ids",
    ],
    parts: &["user"],
    files: &["/proc/self/status"],
    parse: user,
    ..NONE
};

fn user(out: &Output, f: &mut Facts) {
    let pw: Vec<&str> = out.section("user").trim().splitn(7, ':').collect();
    if pw.len() == 7 {
        let num = |v: &str| v.parse::<i64>().map(Json::from).unwrap_or_else(|_| s(v));
        f.insert("user_id".into(), s(pw[0]));
        f.insert("user_uid".into(), num(pw[2]));
        f.insert("user_gid".into(), num(pw[3]));
        f.insert("user_gecos".into(), s(pw[4]));
        f.insert("user_dir".into(), s(pw[5]));
        f.insert("user_shell".into(), s(pw[6]));
    }
    let status = out.file("/proc/self/status").unwrap_or("");
    let ids = |key: &str| -> Vec<i64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|r| {
                r.split_whitespace()
                    .filter_map(|w| w.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (uids, gids) = (ids("Uid:"), ids("Gid:"));
    if uids.len() >= 2 && gids.len() >= 2 {
        f.insert("real_user_id".into(), uids[0].into());
        f.insert("effective_user_id".into(), uids[1].into());
        f.insert("real_group_id".into(), gids[0].into());
        f.insert("effective_group_id".into(), gids[1].into());
    }
}

pub(crate) static SYSTEMD: Collector = Collector {
    name: "systemd",
    parts: &["systemd"],
    parse: |out, f| {
        let text = out.section("systemd");
        let mut lines = text.lines();
        let (Some(first), Some(features)) = (lines.next(), lines.next()) else {
            return;
        };
        let Some(version) = first.split(' ').nth(1).and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        f.insert(
            "systemd".into(),
            json!({"features": features, "version": version}),
        );
    },
    ..NONE
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_is_the_first_dotted_name() {
        assert_eq!(fqdn("127.0.0.1 localhost runsc vm\n", "vm"), "localhost");
        assert_eq!(
            fqdn("10.0.0.5 web web.example.com\n", "web"),
            "web.example.com"
        );
        assert_eq!(fqdn("", "vm"), "vm");
    }

    #[test]
    fn date_time_reads_now_and_the_zone_names() {
        let text = "2026|12|04|11|04|36|1796382276|660379123|Friday|5|48|CET|+0100|338\n\
                    2020|01|01|01|00|00|1577836800|000000000|Wednesday|3|00|CET|+0100|001\n\
                    2020|07|01|02|00|00|1593561600|000000000|Wednesday|3|26|CEST|+0200|183\n";
        let dt = date_time(text).unwrap();
        assert_eq!(dt["tz_dst"], "CEST");
        assert_eq!(dt["iso8601"], "2026-12-04T11:04:36Z");
        assert_eq!(dt["iso8601_micro"], "2026-12-04T11:04:36.660379Z");
        assert_eq!(dt["iso8601_basic"], "20261204T110436660379");
        assert_eq!(dt["weekday_number"], "5");
    }
}
