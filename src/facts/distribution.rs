//! The `distribution` collector: a first guess from os-release (as the `distro` library
//! Ansible uses makes it), then the first distribution file that tells more (Ansible's
//! list, in its order), then the OS family.

use serde_json::Value as Json;

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

pub(crate) static DISTRIBUTION: Collector = Collector {
    name: "distribution",
    ids: &[
        "distribution_version",
        "distribution_release",
        "distribution",
        "distribution_major_version",
        "os_family",
    ],
    parts: &[],
    files: &[
        "/etc/os-release",
        "/usr/lib/os-release",
        "/etc/debian_version",
        "/etc/altlinux-release",
        "/etc/oracle-release",
        "/etc/slackware-version",
        "/etc/centos-release",
        "/etc/redhat-release",
        "/etc/openwrt_release",
        "/etc/system-release",
        "/etc/alpine-release",
        "/etc/SuSE-release",
        "/etc/gentoo-release",
        "/etc/lsb-release",
    ],
    exists: &["/etc/arch-release", "/etc/vmware-release"],
    needs: &[],
    parse: distribution,
};

/// A value of os-release (quotes removed).
pub(crate) fn os_release_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix('=')?;
        Some(v.trim().trim_matches('"').trim_matches('\'').to_string())
    })
}

fn distribution(out: &Output, f: &mut Facts) {
    let os = out
        .file("/etc/os-release")
        .or(out.file("/usr/lib/os-release"))
        .unwrap_or("");
    let get = |k: &str| os_release_value(os, k).filter(|v| !v.is_empty());
    let id = get("ID").unwrap_or_default();
    let mut name = capitalize_like_python(&id);
    name = match name.as_str() {
        "Amzn" => "Amazon".into(),
        "Rhel" => "Redhat".into(),
        "" => "OtherLinux".into(),
        _ => name,
    };
    let mut version = get("VERSION_ID").unwrap_or_default();
    if id == "debian" {
        if let Some(v) = out
            .text("/etc/debian_version")
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        {
            version = v.to_string();
        }
    }
    let release = get("VERSION_CODENAME")
        .or_else(|| get("UBUNTU_CODENAME"))
        .or_else(|| get("VERSION").and_then(|v| paren(&v)))
        .unwrap_or_else(|| "NA".into());
    let version = if version.is_empty() {
        "NA".to_string()
    } else {
        version
    };
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty())
        .unwrap_or("NA")
        .to_string();
    f.insert("distribution".into(), s(name));
    f.insert("distribution_version".into(), s(version));
    f.insert("distribution_release".into(), s(release));
    f.insert("distribution_major_version".into(), s(major));
    dist_files(out, f);
    let distro = f
        .get("distribution")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    f.insert("os_family".into(), s(os_family(&distro).unwrap_or(&distro)));
}

/// Python's `str.capitalize`.
fn capitalize_like_python(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|first| {
            first
                .to_uppercase()
                .chain(c.flat_map(char::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

/// The text in parentheses: "12 (bookworm)" → "bookworm".
fn paren(text: &str) -> Option<String> {
    let start = text.find('(')?;
    let end = text[start..].find(')')? + start;
    Some(text[start + 1..end].trim().to_string())
}

/// Ansible's distribution files, in its order: (path, name, may be empty).
const FILES: &[(&str, &str, bool)] = &[
    ("/etc/altlinux-release", "Altlinux", false),
    ("/etc/oracle-release", "OracleLinux", false),
    ("/etc/slackware-version", "Slackware", false),
    ("/etc/centos-release", "CentOS", false),
    ("/etc/redhat-release", "RedHat", false),
    ("/etc/vmware-release", "VMwareESX", true),
    ("/etc/openwrt_release", "OpenWrt", false),
    ("/etc/os-release", "Amazon", false),
    ("/etc/system-release", "Amazon", false),
    ("/etc/alpine-release", "Alpine", false),
    ("/etc/arch-release", "Archlinux", true),
    ("/etc/os-release", "Archlinux", false),
    ("/etc/os-release", "SUSE", false),
    ("/etc/SuSE-release", "SUSE", false),
    ("/etc/gentoo-release", "Gentoo", false),
    ("/etc/os-release", "Debian", false),
    ("/etc/os-release", "NA", false),
];

/// The first distribution file that parses sets the file facts and corrects the guess.
fn dist_files(out: &Output, f: &mut Facts) {
    for (path, name, may_be_empty) in FILES {
        if *may_be_empty && out.exists(path) {
            f.insert("distribution".into(), s(*name));
            f.insert("distribution_file_path".into(), s(*path));
            f.insert("distribution_file_variety".into(), s(*name));
            return;
        }
        let Some(data) = out.file(path).filter(|d| !d.is_empty()) else {
            continue;
        };
        let data = data.trim_matches(|c| c == '\'' || c == '"' || c == '\\');
        let mut parsed = Facts::new();
        if !parse_file(name, path, data, out, f, &mut parsed) {
            continue;
        }
        f.insert("distribution".into(), s(*name));
        f.insert("distribution_file_path".into(), s(*path));
        f.insert("distribution_file_variety".into(), s(*name));
        f.insert("distribution_file_parsed".into(), Json::Bool(true));
        f.extend(parsed);
        return;
    }
}

/// One file's parser; false when the file is not the distribution's.
fn parse_file(name: &str, path: &str, data: &str, out: &Output, f: &Facts, p: &mut Facts) -> bool {
    let first_word = || s(data.split_whitespace().next().unwrap_or(""));
    match name {
        "OracleLinux" | "RedHat" | "Altlinux" => {
            let search = match name {
                "OracleLinux" => "Oracle Linux",
                "RedHat" => "Red Hat",
                _ => "ALT",
            };
            if data.contains(search) {
                p.insert("distribution".into(), s(name));
                p.insert("distribution_file_search_string".into(), s(search));
            } else {
                p.insert("distribution".into(), first_word());
            }
            true
        }
        "Slackware" => data.contains("Slackware"),
        "CentOS" => {
            if data.contains("CentOS Stream") {
                p.insert("distribution_release".into(), s("Stream"));
                return true;
            }
            false
        }
        "Amazon" => {
            if !data.contains("Amazon") {
                return false;
            }
            p.insert("distribution".into(), s("Amazon"));
            if path == "/etc/os-release" {
                if let Some(v) = os_release_value(data, "VERSION_ID") {
                    let (major, minor) = v.split_once('.').unwrap_or((&v, "NA"));
                    p.insert("distribution_major_version".into(), s(major));
                    p.insert("distribution_minor_version".into(), s(minor));
                    p.insert("distribution_version".into(), s(v.clone()));
                }
            }
            true
        }
        "Alpine" => {
            p.insert("distribution".into(), s("Alpine"));
            p.insert("distribution_version".into(), s(data));
            true
        }
        "Archlinux" => {
            if data.contains("Arch Linux") {
                p.insert("distribution".into(), s("Archlinux"));
                return true;
            }
            false
        }
        "SUSE" => suse(data, path, p),
        "Gentoo" | "OpenWrt" => false,
        "Debian" => debian(data, out, f, p),
        "NA" => {
            for line in data.lines() {
                if let Some(v) = line.strip_prefix("NAME=") {
                    p.insert("distribution".into(), s(v.trim_matches('"')));
                }
                let na = f.get("distribution_version").and_then(Json::as_str) == Some("NA");
                if let (Some(v), true) = (line.strip_prefix("VERSION="), na) {
                    p.insert("distribution_version".into(), s(v.trim_matches('"')));
                }
            }
            true
        }
        _ => false,
    }
}

fn suse(data: &str, path: &str, p: &mut Facts) -> bool {
    if !data.to_lowercase().contains("suse") {
        return false;
    }
    if path == "/etc/os-release" {
        if let Some(name) = os_release_value(data, "NAME") {
            p.insert("distribution".into(), s(name));
        }
        if let Some(v) = os_release_value(data, "VERSION_ID") {
            p.insert(
                "distribution_major_version".into(),
                s(v.split('.').next().unwrap_or("")),
            );
            p.insert("distribution_version".into(), s(v));
        }
    }
    true
}

fn debian(data: &str, out: &Output, f: &Facts, p: &mut Facts) -> bool {
    if data.contains("Debian") || data.contains("Raspbian") {
        p.insert("distribution".into(), s("Debian"));
        if let Some(pretty) = os_release_value(data, "PRETTY_NAME") {
            if let Some(release) = paren(&pretty) {
                p.insert("distribution_release".into(), s(release));
            }
        }
        let _ = f;
        if let Some(v) = out.text("/etc/debian_version") {
            let digits: Vec<&str> = v.split('.').collect();
            if digits.len() >= 2
                && digits
                    .iter()
                    .take(2)
                    .all(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            {
                p.insert("distribution_minor_version".into(), s(digits[1]));
            }
        }
        return true;
    }
    for (word, distro) in [
        ("Ubuntu", "Ubuntu"),
        ("SteamOS", "SteamOS"),
        ("Devuan", "Devuan"),
        ("Cumulus", "Cumulus Linux"),
        ("Mint", "Linux Mint"),
        ("UOS", "Uos"),
        ("Deepin", "Deepin"),
        ("Kali", "Kali"),
        ("Parrot", "Parrot"),
        ("Pop!_OS", "Pop!_OS"),
    ] {
        if data.contains(word) {
            p.insert("distribution".into(), s(distro));
            return true;
        }
    }
    false
}

/// The family of a distribution (Ansible's `OS_FAMILY_MAP`).
fn os_family(distro: &str) -> Option<&'static str> {
    const MAP: &[(&str, &[&str])] = &[
        (
            "RedHat",
            &[
                "RedHat",
                "RHEL",
                "Fedora",
                "CentOS",
                "Scientific",
                "SLC",
                "Ascendos",
                "CloudLinux",
                "PSBM",
                "OracleLinux",
                "OVS",
                "OEL",
                "Amazon",
                "Amzn",
                "Virtuozzo",
                "XenServer",
                "Alibaba",
                "EulerOS",
                "openEuler",
                "AlmaLinux",
                "Rocky",
                "TencentOS",
                "EuroLinux",
                "Kylin Linux Advanced Server",
                "MIRACLE",
            ],
        ),
        (
            "Debian",
            &[
                "Debian",
                "Ubuntu",
                "Raspbian",
                "Neon",
                "KDE neon",
                "Linux Mint",
                "SteamOS",
                "Devuan",
                "Kali",
                "Cumulus Linux",
                "Pop!_OS",
                "Parrot",
                "Pardus GNU/Linux",
                "Uos",
                "Deepin",
                "OSMC",
            ],
        ),
        (
            "Suse",
            &[
                "SuSE",
                "SLES",
                "SLED",
                "openSUSE",
                "openSUSE Tumbleweed",
                "SLES_SAP",
                "SUSE_LINUX",
                "openSUSE Leap",
                "ALP-Dolomite",
                "SL-Micro",
            ],
        ),
        ("Archlinux", &["Archlinux", "Antergos", "Manjaro"]),
        ("Mandrake", &["Mandrake", "Mandriva"]),
        ("Slackware", &["Slackware"]),
        ("Altlinux", &["Altlinux"]),
        ("SMGL", &["SMGL"]),
        ("Gentoo", &["Gentoo", "Funtoo"]),
        ("Alpine", &["Alpine"]),
        ("ClearLinux", &["Clear Linux OS", "Clear Linux Mix"]),
    ];
    MAP.iter()
        .find(|(_, names)| names.contains(&distro))
        .map(|(family, _)| *family)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_of(files: &[(&str, &str)]) -> Facts {
        let mut text = String::from("\n@@ferry:files\n");
        for (path, content) in files {
            for line in content.lines() {
                text.push_str(&format!("{path}:{line}\n"));
            }
        }
        let out = Output::read(&text);
        let mut f = Facts::new();
        distribution(&out, &mut f);
        f
    }

    #[test]
    fn debian_ubuntu_and_rocky_read_as_ansible_reads_them() {
        let debian = facts_of(&[
            ("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"),
            ("/etc/debian_version", "12.11\n"),
        ]);
        for (k, v) in [
            ("distribution", "Debian"),
            ("distribution_version", "12.11"),
            ("distribution_major_version", "12"),
            ("distribution_minor_version", "11"),
            ("distribution_release", "bookworm"),
            ("os_family", "Debian"),
            ("distribution_file_variety", "Debian"),
            ("distribution_file_path", "/etc/os-release"),
        ] {
            assert_eq!(debian[k], v, "{k}");
        }
        let ubuntu = facts_of(&[("/etc/os-release", "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n")]);
        assert_eq!(
            (
                ubuntu["distribution"].as_str(),
                ubuntu["distribution_version"].as_str(),
                ubuntu["os_family"].as_str()
            ),
            (Some("Ubuntu"), Some("22.04"), Some("Debian"))
        );
        let rocky = facts_of(&[
            (
                "/etc/os-release",
                "NAME=\"Rocky Linux\"\nVERSION_ID=\"9.4\"\nID=\"rocky\"\n",
            ),
            (
                "/etc/redhat-release",
                "Rocky Linux release 9.4 (Blue Onyx)\n",
            ),
        ]);
        assert_eq!(
            (
                rocky["distribution"].as_str(),
                rocky["distribution_major_version"].as_str(),
                rocky["os_family"].as_str(),
                rocky["distribution_file_variety"].as_str()
            ),
            (Some("Rocky"), Some("9"), Some("RedHat"), Some("RedHat"))
        );
    }
}
