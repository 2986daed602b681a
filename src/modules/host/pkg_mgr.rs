//! Which package manager a host has, found as Ansible's `pkg_mgr` fact finds it: the last of
//! its known programs that exists on the host names the manager (the fact's own table).

use crate::facts::PKG_MGRS as MANAGERS;
use crate::modules::{ModuleCtx, ModuleResult};

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
