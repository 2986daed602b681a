//! `hostname`: the host's current (kernel) name and its permanent one, each changed only when
//! it differs. The strategy is `use`, else `systemd` (`hostnamectl`) when systemd runs the
//! host, else chosen by `/etc/os-release`: Debian and most others keep the name in
//! /etc/hostname and set the running name with `hostname` (Ansible's file strategy writes only
//! the file; ferry also sets the running name, so one run leaves both right), Alpine runs
//! `hostname -F`, SLES uses /etc/HOSTNAME, Red Hat /etc/sysconfig/network, OpenRC
//! /etc/conf.d/hostname. BSD, macOS and Solaris strategies are refused.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "hostname",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("hostname", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

/// Ansible's strategies (`use`).
const USES: &[&str] = &[
    "alpine", "darwin", "debian", "freebsd", "generic", "macos", "macosx", "openbsd", "openrc",
    "redhat", "sles", "solaris", "systemd",
];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "hostname", &["use"], USES)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    name: String,
    #[serde(rename = "use")]
    use_: Option<String>,
}

/// Where the permanent name lives.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Strategy {
    /// `hostnamectl --static` / `--transient`.
    Systemd,
    /// The whole file is the name; `hostname NAME` sets the running one (Alpine: `-F`).
    File(&'static str, bool),
    /// A `KEY=value` line in a file (Red Hat, OpenRC).
    Assignment(&'static str, &'static str),
}

/// The strategy for `use`, or from what the host runs (`systemd` marker and os-release ID).
fn strategy(use_: Option<&str>, systemd: bool, id_like: &str) -> Result<Strategy, ModuleResult> {
    let chosen = match use_ {
        Some(u) => u.to_string(),
        None if systemd => "systemd".into(),
        None => {
            let words: Vec<&str> = id_like.split_whitespace().collect();
            let any = |names: &[&str]| words.iter().any(|w| names.contains(w));
            match () {
                _ if any(&["alpine"]) => "alpine".into(),
                _ if any(&["sles", "suse", "opensuse"]) => "sles".into(),
                _ if any(&[
                    "rhel",
                    "centos",
                    "fedora",
                    "amzn",
                    "rocky",
                    "almalinux",
                    "ol",
                ]) =>
                {
                    "redhat".into()
                }
                _ if any(&["gentoo"]) => "openrc".into(),
                _ => "generic-file".into(),
            }
        }
    };
    Ok(match chosen.as_str() {
        "systemd" | "debian" => Strategy::Systemd,
        "alpine" => Strategy::File("/etc/hostname", true),
        "sles" => Strategy::File("/etc/HOSTNAME", false),
        "redhat" => Strategy::Assignment("/etc/sysconfig/network", "HOSTNAME"),
        "openrc" => Strategy::Assignment("/etc/conf.d/hostname", "hostname"),
        "generic-file" | "generic" => Strategy::File("/etc/hostname", false),
        other => {
            return Err(ModuleResult::failed(format!(
                "hostname strategy '{other}' is not supported by ferry (Linux strategies only)"
            )))
        }
    })
}

/// The value of `key=` in an assignment file, quotes removed.
fn assigned(text: &str, key: &str) -> String {
    let prefix = format!("{key}=");
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

/// The assignment file with `key` set to `name`.
fn assign(text: &str, key: &str, name: &str) -> String {
    let prefix = format!("{key}=");
    let line = match key {
        "HOSTNAME" => format!("HOSTNAME={name}"),
        _ => format!("{key}=\"{name}\""),
    };
    let mut lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    match lines.iter().position(|l| l.starts_with(&prefix)) {
        Some(i) => lines[i] = line,
        None => lines.push(line),
    }
    textfile::join_lines(&lines)
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if let Some(u) = &args.use_ {
        sysargs::at_run("use", u, USES)?;
    }
    let probe = host::run(
        ctx,
        "[ -d /run/systemd/system ] && command -v hostnamectl >/dev/null && echo systemd; \
         . /etc/os-release 2>/dev/null; echo \"id:$ID $ID_LIKE\"; echo \"cur:$(hostname)\"",
    )
    .await?;
    let systemd = probe.lines().any(|l| l == "systemd");
    let field = |tag: &str| {
        probe
            .lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or("")
            .to_string()
    };
    let strat = strategy(args.use_.as_deref(), systemd, &field("id:"))?;
    let (current, permanent, file) = read_names(ctx, strat, field("cur:")).await?;
    let name = args.name.clone();
    let changed = current != name || permanent != name;
    if changed && !ctx.check_mode {
        apply(
            ctx,
            strat,
            &name,
            current != name,
            permanent != name,
            file.as_deref(),
        )
        .await?;
    }
    let mut data = Vars::new();
    data.insert("name".into(), name.clone().into());
    data.insert("ansible_facts".into(), facts(ctx, &name).await?);
    // Ansible's hostname registers it whenever it changes, --diff or not.
    if changed {
        let before = if name != current {
            &current
        } else {
            &permanent
        };
        let d = serde_json::json!({
            "before": format!("hostname = {before}\n"),
            "after": format!("hostname = {name}\n"),
        });
        data.insert("diff".into(), d);
    }
    Ok(ModuleResult::changed(data, changed))
}

/// The current name, the permanent name, and the permanent file's text (file strategies).
async fn read_names(
    ctx: &ModuleCtx<'_>,
    strat: Strategy,
    current: String,
) -> Result<(String, String, Option<String>), ModuleResult> {
    Ok(match strat {
        Strategy::Systemd => {
            let out = host::run(
                ctx,
                "hostnamectl --transient status; hostnamectl --static status",
            )
            .await?;
            let mut l = out.lines().map(|s| s.trim().to_string());
            (
                l.next().unwrap_or_default(),
                l.next().unwrap_or_default(),
                None,
            )
        }
        Strategy::File(path, _) => {
            let text = textfile::read(ctx, path).await?;
            let name = text.as_deref().unwrap_or("").trim().to_string();
            (current, name, text)
        }
        Strategy::Assignment(path, key) => {
            let text = textfile::read(ctx, path).await?;
            (current, assigned(text.as_deref().unwrap_or(""), key), text)
        }
    })
}

async fn apply(
    ctx: &ModuleCtx<'_>,
    strat: Strategy,
    name: &str,
    set_current: bool,
    set_permanent: bool,
    text: Option<&str>,
) -> Result<(), ModuleResult> {
    let n = quote(name);
    let fail = |e: ModuleResult| {
        let msg = e
            .data
            .get("msg")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        ModuleResult::failed(format!("Command failed rc=1, out=, err={msg}"))
    };
    if strat == Strategy::Systemd {
        if name.len() > 64 {
            return Err(ModuleResult::failed(
                "name cannot be longer than 64 characters on systemd servers, try a shorter name",
            ));
        }
        if set_current {
            host::run(ctx, &format!("hostnamectl --transient set-hostname {n}"))
                .await
                .map_err(fail)?;
        }
        if set_permanent {
            host::run(
                ctx,
                &format!("hostnamectl --pretty --static set-hostname {n}"),
            )
            .await
            .map_err(fail)?;
        }
        return Ok(());
    }
    let after = match strat {
        Strategy::File(..) => format!("{name}\n"),
        Strategy::Assignment(_, key) => assign(text.unwrap_or(""), key, name),
        Strategy::Systemd => unreachable!("handled above"),
    };
    if let (Strategy::File(path, _) | Strategy::Assignment(path, _), true) = (strat, set_permanent)
    {
        write_in_place(ctx, path, &after).await?;
    }
    if set_current {
        let cmd = match strat {
            Strategy::File(path, true) => format!("hostname -F {}", quote(path)),
            _ => format!("hostname {n}"),
        };
        host::run(ctx, &cmd).await.map_err(fail)?;
    }
    Ok(())
}

/// Writes `text` into the file itself rather than renaming a new one over it, as Ansible
/// does: /etc/hostname is often a bind mount (containers), which a rename cannot replace.
async fn write_in_place(ctx: &ModuleCtx<'_>, path: &str, text: &str) -> Result<(), ModuleResult> {
    let p = quote(path);
    let cmd = format!("mkdir -p -- \"$(dirname -- {p})\" && cat > {p}");
    textfile::feed(ctx, &cmd, text)
        .await
        .map(drop)
        .map_err(|e| {
            let msg = e.data.get("msg").and_then(Json::as_str).unwrap_or("");
            ModuleResult::failed(format!("failed to update hostname: {msg}"))
        })
}

/// The facts Ansible sets: the short name, the node name, and the FQDN and domain the host
/// resolves its name to.
async fn facts(ctx: &ModuleCtx<'_>, name: &str) -> Result<Json, ModuleResult> {
    let fqdn = host::run(ctx, "hostname -f 2>/dev/null || hostname").await?;
    let fqdn = fqdn.trim().to_string();
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    Ok(serde_json::json!({
        "ansible_hostname": name.split('.').next().unwrap_or(name),
        "ansible_nodename": name,
        "ansible_fqdn": fqdn,
        "ansible_domain": domain,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_follow_use_then_systemd_then_the_distribution() {
        let s = |u: Option<&str>, sd: bool, id: &str| strategy(u, sd, id).unwrap();
        assert_eq!(
            s(None, false, "debian "),
            Strategy::File("/etc/hostname", false)
        );
        assert_eq!(s(None, true, "debian "), Strategy::Systemd);
        assert_eq!(s(Some("debian"), false, ""), Strategy::Systemd);
        assert_eq!(
            s(None, false, "rocky rhel centos fedora"),
            Strategy::Assignment("/etc/sysconfig/network", "HOSTNAME")
        );
        assert_eq!(
            s(None, false, "alpine "),
            Strategy::File("/etc/hostname", true)
        );
        assert!(strategy(Some("freebsd"), false, "").is_err());
        assert_eq!(
            assign("NETWORKING=yes\nHOSTNAME=old\n", "HOSTNAME", "new"),
            "NETWORKING=yes\nHOSTNAME=new\n"
        );
        assert_eq!(assigned("hostname=\"box\"\n", "hostname"), "box");
    }
}
