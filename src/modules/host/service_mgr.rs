//! Which service manager a host runs (systemd, OpenRC, SysV init scripts) as the `service`
//! and `service_facts` modules ask it: the `use:` argument, else the gathered
//! `ansible_service_mgr` fact, else a probe on the host that asks what Ansible's `service`
//! module asks (systemd's own "booted" canaries, `/sbin/openrc`, `/etc/init.d`). Also the
//! commands those modules run, with the host's failure to run them as the module's result.

use serde_json::Value as Json;

use crate::connection::ExecOutput;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// A service manager ferry drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Manager {
    /// OpenRC: `rc-service`, `rc-update`.
    OpenRc,
    /// systemd: `systemctl`.
    Systemd,
    /// SysV init scripts under `/etc/init.d`, `service`, `update-rc.d` or `chkconfig`.
    SysV,
}

/// The names `use:` takes.
pub(crate) const USE_NAMES: &[&str] = &["auto", "openrc", "service", "systemd", "sysvinit"];

impl Manager {
    /// The manager `use:` names (`None` for `auto`).
    pub(crate) fn named(name: &str) -> Option<Manager> {
        match name {
            "openrc" => Some(Manager::OpenRc),
            "systemd" => Some(Manager::Systemd),
            "service" | "sysvinit" => Some(Manager::SysV),
            _ => None,
        }
    }
}

/// systemd is the running init (systemd's `sd_booted` test, or PID 1 is systemd), and
/// `systemctl` is there; else OpenRC; else init scripts.
const PROBE: &str = "if { [ -d /run/systemd/system ] || [ -d /dev/.run/systemd ] || \
    [ -d /dev/.systemd ] || [ \"$(cat /proc/1/comm 2>/dev/null)\" = systemd ]; } && \
    command -v systemctl >/dev/null 2>&1; then echo systemd; \
    elif [ -x /sbin/openrc ] && command -v rc-service >/dev/null 2>&1; then echo openrc; \
    else echo sysv; fi";

/// The manager to drive: `use` when it names one, else the gathered fact when it names
/// one, else what the host shows.
pub(crate) async fn detect(ctx: &ModuleCtx<'_>, use_: &str) -> Result<Manager, ModuleResult> {
    if let Some(m) = Manager::named(use_) {
        return Ok(m);
    }
    let fact = ctx
        .vars
        .get("ansible_facts")
        .and_then(|f| f.get("service_mgr"))
        .or_else(|| ctx.vars.get("ansible_service_mgr"))
        .and_then(Json::as_str);
    if let Some(m) = fact.and_then(Manager::named) {
        return Ok(m);
    }
    let out = exec(ctx, PROBE).await?;
    Ok(match out.stdout.trim() {
        "systemd" => Manager::Systemd,
        "openrc" => Manager::OpenRc,
        _ => Manager::SysV,
    })
}

/// Runs `line` on the host; only a host that cannot be reached is an error here.
pub(crate) async fn exec(ctx: &ModuleCtx<'_>, line: &str) -> Result<ExecOutput, ModuleResult> {
    ctx.exec(line)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))
}

/// Runs `line` with its stdin closed and its output in a file, so that a daemon it starts
/// (which keeps the descriptors it inherited) does not hold the session open.
pub(crate) async fn exec_detached(
    ctx: &ModuleCtx<'_>,
    line: &str,
) -> Result<ExecOutput, ModuleResult> {
    let wrapped = format!(
        "t=$(mktemp) || exit 1; ( {line} ) </dev/null >\"$t\" 2>&1; rc=$?; cat \"$t\"; \
         rm -f \"$t\"; exit $rc"
    );
    exec(ctx, &wrapped).await
}

/// `Could not find the requested service NAME: host`, Ansible's failure for a service the
/// host does not have.
pub(crate) fn missing(name: &str) -> ModuleResult {
    ModuleResult::failed(format!("Could not find the requested service {name}: host"))
}

/// `systemctl show` output as a mapping; a value in braces may go on over several lines.
pub(crate) fn parse_show(out: &str) -> Vars {
    let mut props = Vars::new();
    let mut open: Option<(String, String)> = None;
    for line in out.lines() {
        if let Some((key, mut value)) = open.take() {
            value.push('\n');
            value.push_str(line);
            if line.trim_end().ends_with('}') {
                props.insert(key, value.into());
            } else {
                open = Some((key, value));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if value.starts_with('{') && !value.trim_end().ends_with('}') {
            open = Some((key.to_string(), value.to_string()));
        } else {
            props.insert(key.to_string(), value.into());
        }
    }
    if let Some((key, value)) = open {
        props.insert(key, value.into());
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_output_becomes_a_mapping() {
        let out = "Id=cron.service\nActiveState=active\nExecStart={ path=/usr/sbin/cron ;\n argv[]=/usr/sbin/cron }\nEmpty=\nDescription=a=b\n";
        let props = parse_show(out);
        assert_eq!(props["Id"], "cron.service");
        assert_eq!(props["ActiveState"], "active");
        assert_eq!(
            props["ExecStart"],
            "{ path=/usr/sbin/cron ;\n argv[]=/usr/sbin/cron }"
        );
        assert_eq!(props["Empty"], "");
        assert_eq!(props["Description"], "a=b");
    }

    #[test]
    fn use_names_managers() {
        for (name, m) in [
            ("systemd", Some(Manager::Systemd)),
            ("sysvinit", Some(Manager::SysV)),
            ("service", Some(Manager::SysV)),
            ("openrc", Some(Manager::OpenRc)),
            ("auto", None),
        ] {
            assert_eq!(Manager::named(name), m, "{name}");
        }
    }
}
