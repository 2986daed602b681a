//! Which package manager a host has, found as Ansible's `pkg_mgr` fact finds it: the last of
//! its known programs that exists on the host names the manager.

use crate::modules::{ModuleCtx, ModuleResult};

/// Ansible's table: a program's path and the package module it means (later entries win).
const MANAGERS: &[(&str, &str)] = &[
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

/// The host's package manager (`apt`, `dnf`, ...), or `None` when none is known.
pub(crate) async fn detect(ctx: &ModuleCtx<'_>) -> Result<Option<&'static str>, ModuleResult> {
    let paths: Vec<&str> = MANAGERS.iter().map(|(p, _)| *p).collect();
    let script = format!(
        "for p in {}; do [ -e \"$p\" ] && echo \"$p\"; done; true",
        paths.join(" ")
    );
    let out = super::run(ctx, &script).await?;
    Ok(out
        .lines()
        .filter_map(|p| MANAGERS.iter().find(|(path, _)| *path == p.trim()))
        .map(|(_, name)| *name)
        .next_back())
}
