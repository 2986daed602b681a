//! The `virtual` collector: containers (cgroups, pid 1's environment, marker files) and
//! hypervisors (DMI names, cpuinfo, kernel modules, `/dev/kvm`), with Ansible's order of
//! checks: the first found sets `virtualization_type` and `_role`; every one found is in
//! `virtualization_tech_guest` / `_host`.

use std::collections::BTreeSet;

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

pub(crate) static VIRTUAL: Collector = Collector {
    name: "virtual",
    ids: &[
        "virtualization_type",
        "virtualization_role",
        "virtualization_tech_guest",
        "virtualization_tech_host",
    ],
    parts: &["virtual"],
    files: &[
        "/proc/1/cgroup",
        "/proc/1/environ",
        "/run/systemd/container",
        "/proc/xen/capabilities",
        "/sys/devices/virtual/dmi/id/product_name",
        "/sys/devices/virtual/dmi/id/sys_vendor",
        "/sys/devices/virtual/dmi/id/product_family",
        "/sys/devices/virtual/dmi/id/bios_vendor",
        "/proc/self/status",
        "/proc/cpuinfo",
        "/proc/modules",
    ],
    exists: &[
        "/proc/vz",
        "/proc/lve",
        "/proc/bc",
        "/.dockerenv",
        "/.dockerinit",
        "/proc/xen",
    ],
    needs: &[],
    parse: virtual_facts,
};

/// The first finding, and every technology seen.
#[derive(Default)]
struct Found {
    kind: Option<(String, String)>,
    guest: BTreeSet<String>,
    host: BTreeSet<String>,
}

impl Found {
    fn guest(&mut self, tech: &str, kind: &str, role: Option<&str>) {
        self.guest.insert(tech.into());
        self.first(kind, role.unwrap_or("guest"));
    }
    fn host(&mut self, tech: &str, kind: &str) {
        self.host.insert(tech.into());
        self.first(kind, "host");
    }
    fn first(&mut self, kind: &str, role: &str) {
        if self.kind.is_none() {
            self.kind = Some((kind.into(), role.into()));
        }
    }
}

fn virtual_facts(out: &Output, f: &mut Facts) {
    let mut v = Found::default();
    containers(out, &mut v);
    hypervisors(out, &mut v);
    let (kind, role) = v.kind.clone().unwrap_or(("NA".into(), "NA".into()));
    f.insert("virtualization_type".into(), s(kind));
    f.insert("virtualization_role".into(), s(role));
    f.insert(
        "virtualization_tech_guest".into(),
        v.guest.iter().map(s).collect(),
    );
    f.insert(
        "virtualization_tech_host".into(),
        v.host.iter().map(s).collect(),
    );
}

fn containers(out: &Output, v: &mut Found) {
    for line in out.file("/proc/1/cgroup").unwrap_or("").lines() {
        if line.contains("/docker/") || (line.contains("/docker-") && line.ends_with(".scope")) {
            v.guest("docker", "docker", None);
        }
        if line.contains("/lxc/") || line.contains("/machine.slice/machine-lxc") {
            v.guest("lxc", "lxc", None);
        }
        if line.contains("/system.slice/containerd.service") {
            v.guest("containerd", "containerd", None);
        }
    }
    let environ = out.file("/proc/1/environ").unwrap_or("");
    for var in environ.split(['\0', '\n']) {
        if var.contains("container=lxc") {
            v.guest("lxc", "lxc", None);
        }
        if var.contains("container=podman") {
            v.guest("podman", "podman", None);
        }
        if var.starts_with("container=") && var.len() > 10 {
            v.guest("container", "container", None);
        }
    }
    if out.exists("/proc/vz") && !out.exists("/proc/lve") {
        if out.exists("/proc/bc") {
            v.host("openvz", "openvz");
        } else {
            v.guest("openvz", "openvz", None);
        }
    }
    let systemd = out.text("/run/systemd/container").filter(|c| !c.is_empty());
    if let Some(c) = systemd {
        v.guest(c, c, None);
    }
    if out.exists("/.dockerenv") || out.exists("/.dockerinit") {
        v.guest("docker", "docker", None);
    }
    let kinds = ["docker", "lxc", "podman", "openvz", "containerd"];
    if kinds.iter().any(|k| v.guest.contains(*k)) || systemd.is_some() {
        v.guest.insert("container".into());
    }
    if out.exists("/proc/xen") {
        let caps = out.file("/proc/xen/capabilities").unwrap_or("");
        if caps.contains("control_d") {
            v.host("xen", "xen");
        } else {
            v.first("xen", "guest");
        }
    }
}

fn hypervisors(out: &Output, v: &mut Found) {
    let dmi = |k: &str| {
        out.text(&format!("/sys/devices/virtual/dmi/id/{k}"))
            .unwrap_or("")
    };
    let (product, vendor, family, bios) = (
        dmi("product_name"),
        dmi("sys_vendor"),
        dmi("product_family"),
        dmi("bios_vendor"),
    );
    let guest = |tech: &str, v: &mut Found| v.guest(tech, tech, None);
    if ["KVM", "KVM Server", "Bochs", "AHV"].contains(&product) {
        guest("kvm", v);
    }
    match vendor {
        "oVirt" => guest("oVirt", v),
        "Red Hat" if family == "RHV" => guest("RHV", v),
        "Red Hat" if product == "RHEV Hypervisor" => guest("RHEV", v),
        _ => {}
    }
    if product.starts_with("VMware") {
        guest("VMware", v);
    }
    if ["OpenStack Compute", "OpenStack Nova"].contains(&product) {
        guest("openstack", v);
    }
    match bios {
        "Xen" => guest("xen", v),
        "innotek GmbH" => guest("virtualbox", v),
        "Amazon EC2" | "DigitalOcean" | "Hetzner" => guest("kvm", v),
        _ => {}
    }
    match vendor {
        "QEMU" | "Amazon EC2" | "DigitalOcean" | "Google" | "Scaleway" | "Nutanix" => {
            guest("kvm", v)
        }
        "KubeVirt" => guest("KubeVirt", v),
        "Microsoft Corporation" => guest("VirtualPC", v),
        "Parallels Software International Inc." => guest("parallels", v),
        "OpenStack Foundation" => guest("openstack", v),
        _ => {}
    }
    for line in out.file("/proc/cpuinfo").unwrap_or("").lines() {
        if line.starts_with("model name") && line.contains("QEMU Virtual CPU") {
            guest("kvm", v);
        } else if line.starts_with("vendor_id") && line.contains("User Mode Linux") {
            guest("uml", v);
        }
    }
    let modules: BTreeSet<&str> = out
        .file("/proc/modules")
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    if modules.contains("kvm") {
        v.host("kvm", "kvm");
    }
    if modules.contains("vboxdrv") {
        v.host("virtualbox", "virtualbox");
    }
    if modules.contains("virtio") {
        v.host.insert("kvm".into());
        v.first("kvm", "guest");
    }
    if out.section("dev_kvm").trim() == "yes" {
        v.host("kvm", "kvm");
    }
}
