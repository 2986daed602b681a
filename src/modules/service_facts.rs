//! `service_facts`: every service the host's managers know, as `ansible_facts.services`
//! (name → `name`, `state`, `source`, and `status` for systemd), read as Ansible's
//! service_facts reads them: `service --status-all` for init scripts, `rc-status` and
//! `rc-update show` for OpenRC, and on systemd `systemctl list-units` then
//! `list-unit-files` (their entries replace the init scripts' of the same name). Changes
//! nothing.

use serde_json::{json, Value as Json};

use crate::modules::host::service_mgr::{detect, exec, Manager};
use crate::modules::{argnames, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "service_facts",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("service_facts", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {}

/// What systemd says of a unit that Ansible reports as its `status` whatever else it says.
const BAD_STATES: &[&str] = &["not-found", "masked", "failed"];

/// The init scripts' and OpenRC's listings, in one round trip: `service --status-all` when
/// the host has neither chkconfig nor rc-status; OpenRC's states and runlevels.
const SCAN: &str =
    "if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 \
    && ! command -v rc-status >/dev/null 2>&1; then service --status-all 2>&1; fi; \
    if command -v rc-status >/dev/null 2>&1 && command -v rc-update >/dev/null 2>&1; then \
    echo '#openrc'; rc-status -a -s -m 2>&1 | grep '^ ' | tr -d '[]'; \
    echo '#runlevels'; rc-update show -v 2>&1 | grep '|'; fi; true";

async fn run(ctx: &ModuleCtx<'_>, _args: Args) -> Outcome {
    let mut services = Vars::new();
    let out = exec(ctx, SCAN).await?;
    read_scan(&out.stdout, &mut services);
    if detect(ctx, "auto").await? == Manager::Systemd {
        let units = exec(
            ctx,
            "systemctl list-units --no-pager --type service --all --plain; echo '#files'; \
             systemctl list-unit-files --no-pager --type service --all --plain",
        )
        .await?;
        let (listed, files) = units
            .stdout
            .split_once("#files")
            .unwrap_or((&units.stdout, ""));
        read_units(listed, &mut services);
        for (name, status) in read_unit_files(files, &mut services) {
            let line = format!("systemctl show {name} --property=ActiveState");
            let shown = exec(ctx, &line).await?;
            let state = match shown.stdout.trim_end() {
                s if shown.rc == 0 && !s.is_empty() => s.trim_start_matches("ActiveState="),
                _ => "unknown",
            };
            let entry =
                json!({"name": name, "state": state, "status": status, "source": "systemd"});
            services.insert(name, entry);
        }
    }
    if services.is_empty() {
        let mut r = ModuleResult::ok(Vars::new());
        r.skipped = true;
        r.data.insert(
            "msg".into(),
            "Failed to find any services. This can be due to privileges or some other configuration issue.".into(),
        );
        return Ok(r);
    }
    let mut facts = Vars::new();
    facts.insert("services".into(), Json::Object(services));
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), Json::Object(facts));
    Ok(ModuleResult::ok(data))
}

/// `service --status-all` lines (`[ + ]  cron`), then OpenRC's sections.
fn read_scan(out: &str, services: &mut Vars) {
    let (sysv, openrc) = out.split_once("#openrc").unwrap_or((out, ""));
    for line in sysv.lines() {
        let Some(rest) = line.trim_start().strip_prefix("[ ") else {
            continue;
        };
        let state = match rest.chars().next() {
            Some('+') => "running",
            Some('-') => "stopped",
            _ => continue,
        };
        let Some(name) = rest[1..].strip_prefix(" ]").map(str::trim) else {
            continue;
        };
        if !name.is_empty() {
            let entry = json!({"name": name, "state": state, "source": "sysv"});
            services.insert(name.to_string(), entry);
        }
    }
    let (states, levels) = openrc.split_once("#runlevels").unwrap_or((openrc, ""));
    let mut runlevels = Vars::new();
    for line in levels.lines() {
        if let Some((name, levels)) = line.split_once('|') {
            let levels: Vec<&str> = levels.split_whitespace().collect();
            let value = if levels.is_empty() {
                Json::Null
            } else {
                json!(levels)
            };
            runlevels.insert(name.trim().to_string(), value);
        }
    }
    for line in states.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, state, ..] = fields[..] {
            let levels = runlevels.get(name).cloned().unwrap_or(Json::Null);
            let entry =
                json!({"name": name, "runlevels": levels, "state": state, "source": "openrc"});
            services.insert(name.to_string(), entry);
        }
    }
}

/// `systemctl list-units --plain` lines: unit, load, active, sub, description.
fn read_units(out: &str, services: &mut Vars) {
    for line in out.lines().filter(|l| l.contains(".service")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 {
            continue;
        }
        let head = &fields[..fields.len() - 1];
        let status = BAD_STATES
            .iter()
            .find(|b| head.contains(b))
            .copied()
            .unwrap_or(fields[2]);
        let state = if fields[3] == "running" {
            "running"
        } else {
            "stopped"
        };
        let entry =
            json!({"name": fields[0], "state": state, "status": status, "source": "systemd"});
        services.insert(fields[0].to_string(), entry);
    }
}

/// `systemctl list-unit-files --plain` lines: sets the status of listed units (unless it is
/// a bad state); returns the units not listed, with their status, to be asked about.
fn read_unit_files(out: &str, services: &mut Vars) -> Vec<(String, String)> {
    let mut unlisted = Vec::new();
    for line in out.lines().filter(|l| l.contains(".service")) {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(status)) = (fields.next(), fields.next()) else {
            continue;
        };
        match services.get_mut(name).and_then(Json::as_object_mut) {
            Some(entry) => {
                let bad = entry
                    .get("status")
                    .and_then(Json::as_str)
                    .is_some_and(|s| BAD_STATES.contains(&s));
                if !bad || entry.get("source") != Some(&json!("systemd")) {
                    entry.insert("status".into(), status.into());
                }
            }
            None => unlisted.push((name.to_string(), status.to_string())),
        }
    }
    unlisted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_all_openrc_and_systemd_listings() {
        let mut s = Vars::new();
        read_scan(
            " [ - ]  apparmor\n [ + ]  cron\n [ ? ]  weird\n#openrc\n sshd started\n#runlevels\n sshd | default\n",
            &mut s,
        );
        assert_eq!(
            s["cron"],
            json!({"name": "cron", "state": "running", "source": "sysv"})
        );
        assert_eq!(s["apparmor"]["state"], "stopped");
        assert!(!s.contains_key("weird"));
        assert_eq!(s["sshd"]["runlevels"], json!(["default"]));
        read_units(
            "cron.service loaded active running Regular background\nx.service not-found inactive dead x.service\n",
            &mut s,
        );
        let asked = read_unit_files(
            "cron.service enabled enabled\nx.service masked -\ny.service disabled enabled\n",
            &mut s,
        );
        assert_eq!(
            s["cron.service"],
            json!({"name": "cron.service", "state": "running", "status": "enabled", "source": "systemd"})
        );
        assert_eq!(s["x.service"]["status"], "not-found");
        assert_eq!(
            asked,
            vec![("y.service".to_string(), "disabled".to_string())]
        );
    }
}
