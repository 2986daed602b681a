//! The apt module's `upgrade` (`yes`/`safe`, `full`, `dist`, and `state: latest` with `*`):
//! apt-get (or aptitude when the host has it and `force_apt_get` is off), unchanged when
//! apt reports nothing upgraded.

use crate::modules::apt_args::{Args, APT_GET};
use crate::modules::apt_plan::{apt_cmd_named, simulate, APT_GET_ZERO};
use crate::modules::host::run;
use crate::modules::{ModuleCtx, Outcome};

/// Upgrades the host's packages in `mode`.
pub(crate) async fn upgrade(ctx: &ModuleCtx<'_>, a: &Args, mode: &str) -> Outcome {
    let aptitude = match a.force_apt_get {
        true => String::new(),
        false => run(ctx, "command -v aptitude || true")
            .await?
            .trim()
            .to_string(),
    };
    let flag = |on: bool, f: &'static str| if on { f } else { "" };
    let auto = flag(a.autoremove, "--auto-remove");
    let (tool, name, command) = match (mode, aptitude.is_empty()) {
        ("dist", _) | ("full", true) => (APT_GET, "apt-get", format!("dist-upgrade {auto}")),
        ("full", false) => (aptitude.as_str(), "aptitude", "full-upgrade".to_string()),
        (_, true) => (
            APT_GET,
            "apt-get",
            format!("upgrade --with-new-pkgs {auto}"),
        ),
        (_, false) => (aptitude.as_str(), "aptitude", "safe-upgrade".to_string()),
    };
    let apt_get = name == "apt-get";
    let force = match (a.force, apt_get) {
        (false, _) => "",
        (true, true) => "--force-yes",
        (true, false) => "--assume-yes --allow-untrusted",
    };
    let mut cmd = format!(
        "{tool} -y {} {force} {} {} {} {} {command}",
        a.dpkg_flags(),
        flag(a.fail_on_autoremove && apt_get, "--no-remove"),
        flag(a.allow_unauthenticated, "--allow-unauthenticated"),
        flag(a.allow_downgrade && apt_get, "--allow-downgrades"),
        simulate(ctx),
    );
    cmd.push_str(&a.release_flag());
    let mut r = apt_cmd_named(ctx, a, &cmd, &format!("{name} {command}")).await?;
    let out = r.data["stdout"].as_str().unwrap_or("").to_string();
    r.data.insert("msg".into(), out.clone().into());
    let zero = match apt_get {
        true => APT_GET_ZERO,
        false => "\n0 packages upgraded, 0 newly installed, 0 to remove",
    };
    if out.contains(zero) {
        r.changed = false;
        r.data.shift_remove("diff");
    }
    Ok(r)
}
