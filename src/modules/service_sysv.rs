//! `service` on hosts without systemd, as Ansible's generic service module drives them: SysV
//! init scripts (`/etc/init.d/NAME`, run through `service` when the host has it; enabled when
//! `/etc/rc?.d/S??NAME` links exist, changed with `update-rc.d` or `chkconfig`) and OpenRC
//! (`rc-service`, `rc-update` in `runlevel`). The state is read from the script's `status`
//! (its exit code and, for one line of output, its words) or, with `pattern`, from `ps`.

use std::time::Duration;

use crate::connection::quote;
use crate::modules::host::service_mgr::{exec, exec_detached, missing, Manager};
use crate::modules::service_args::Args;
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

/// The commands that drive one service.
struct Tool<'a> {
    ctx: &'a ModuleCtx<'a>,
    args: &'a Args,
    manager: Manager,
    /// The command a verb follows (`service 'x'`, `/etc/init.d/'x'`, `rc-service 'x'`).
    control: String,
    q: String,
}

pub(crate) async fn run(ctx: &ModuleCtx<'_>, args: &Args, manager: Manager) -> Outcome {
    let tool = Tool::find(ctx, args, manager).await?;
    let mut result = ModuleResult::ok(Vars::new());
    result.data.insert("name".into(), args.name.clone().into());
    if let Some(wanted) = args.enabled {
        result.changed |= tool.enable(wanted).await?;
        result.data.insert("enabled".into(), wanted.into());
    }
    let Some(state) = args.state.as_deref() else {
        return Ok(result);
    };
    let running = tool.running().await?.ok_or_else(|| {
        ModuleResult::failed("failed determining service state, possible typo of service name?")
    })?;
    let action = match state {
        "started" => (!running).then_some("start"),
        "stopped" => running.then_some("stop"),
        "reloaded" if running => Some("reload"),
        "reloaded" => Some("start"),
        _ => Some("restart"),
    };
    if let Some(action) = action {
        if ctx.check_mode {
            let mut r = ModuleResult::ok(Vars::new());
            r.changed = true;
            r.data.insert("msg".into(), "service state changed".into());
            return Ok(r);
        }
        tool.control(action).await?;
        result.changed = true;
    }
    let shown = if state == "stopped" {
        "stopped"
    } else {
        "started"
    };
    result.data.insert("state".into(), shown.into());
    Ok(result)
}

impl<'a> Tool<'a> {
    /// The service's control command; fails as Ansible does when the host has no such service.
    async fn find(
        ctx: &'a ModuleCtx<'a>,
        args: &'a Args,
        manager: Manager,
    ) -> Result<Tool<'a>, ModuleResult> {
        let q = quote(&args.name);
        let probe = match manager {
            Manager::OpenRc => format!("rc-service -e {q} && echo rc-service"),
            _ => format!(
                "for d in /etc/init.d /etc/rc.d/init.d; do if [ -x \"$d\"/{q} ]; then \
                 if command -v service >/dev/null 2>&1; then echo service; \
                 else echo \"$d\"; fi; exit 0; fi; done; exit 1"
            ),
        };
        let out = exec(ctx, &probe).await?;
        let how = out.stdout.trim();
        if out.rc != 0 || how.is_empty() {
            return Err(missing(&args.name));
        }
        let control = match how {
            "service" | "rc-service" => format!("{how} {q}"),
            dir => format!("{}/{q}", quote(dir)),
        };
        Ok(Tool {
            ctx,
            args,
            manager,
            control,
            q,
        })
    }

    /// Runs the control command with `verb` (a restart of an init script is a stop, the
    /// `sleep`, and a start); a failure is its output.
    async fn control(&self, verb: &str) -> Result<(), ModuleResult> {
        let arguments = &self.args.arguments;
        let restart_by_hand = verb == "restart" && self.manager != Manager::OpenRc;
        let verbs: &[&str] = if restart_by_hand {
            &["stop", "start"]
        } else {
            std::slice::from_ref(&verb)
        };
        let mut failures = Vec::new();
        for (i, v) in verbs.iter().enumerate() {
            if i > 0 && self.args.sleep > 0 {
                tokio::time::sleep(Duration::from_secs(self.args.sleep)).await;
            }
            let out = exec_detached(self.ctx, &format!("{} {v} {arguments}", self.control)).await?;
            if out.rc != 0 {
                failures.push(out.stdout.trim_end().to_string());
            }
        }
        // A restart whose stop failed (it was not running) but whose start worked is fine.
        if failures.is_empty() || (restart_by_hand && failures.len() == 1 && verbs.len() == 2) {
            return Ok(());
        }
        Err(ModuleResult::failed(failures.join("\n")))
    }

    /// Whether the service runs: `ps` with a `pattern`, else its `status`; `None` when that
    /// says nothing either way.
    async fn running(&self) -> Result<Option<bool>, ModuleResult> {
        if let Some(pattern) = &self.args.pattern {
            let out = exec(self.ctx, "echo $$; ps -eo pid=,args=").await?;
            let mut lines = out.stdout.lines();
            let me = lines.next().unwrap_or("").trim().to_string();
            let found = lines
                .filter(|l| l.split_whitespace().next() != Some(me.as_str()))
                .any(|l| l.contains(pattern.as_str()));
            return Ok(Some(found));
        }
        let out = exec_detached(self.ctx, &format!("{} status", self.control)).await?;
        Ok(read_status(&self.args.name, out.rc, &out.stdout))
    }

    /// Enables or disables the service at boot; true when that changed anything.
    async fn enable(&self, wanted: bool) -> Result<bool, ModuleResult> {
        let q = &self.q;
        let query = match self.manager {
            Manager::OpenRc => format!(
                "rc-update show {} | awk -v n={q} '$1 == n {{ f = 1 }} END {{ exit !f }}'",
                quote(&self.args.runlevel)
            ),
            _ => format!("ls /etc/rc?.d/S??{q} >/dev/null 2>&1"),
        };
        let enabled = exec(self.ctx, &query).await?.rc == 0;
        if enabled == wanted {
            return Ok(false);
        }
        if self.ctx.check_mode {
            return Ok(true);
        }
        let line = self.enable_line(wanted);
        let out = exec_detached(self.ctx, &line).await?;
        if out.rc != 0 {
            let msg = out.stdout.trim_end();
            return Err(ModuleResult::failed(if msg.is_empty() {
                format!("Error when trying to enable/disable {}", self.args.name)
            } else {
                msg.to_string()
            }));
        }
        Ok(true)
    }

    /// The command that enables or disables the service at boot.
    fn enable_line(&self, wanted: bool) -> String {
        let q = &self.q;
        if self.manager == Manager::OpenRc {
            let verb = if wanted { "add" } else { "del" };
            return format!("rc-update {verb} {q} {}", quote(&self.args.runlevel));
        }
        let (verb, on) = if wanted {
            ("enable", "on")
        } else {
            ("disable", "off")
        };
        // update-rc.d enables only a service it has links for: `defaults` makes them first.
        let defaults = if wanted {
            format!("ls /etc/rc?.d/K??{q} >/dev/null 2>&1 || update-rc.d {q} defaults || exit; ")
        } else {
            String::new()
        };
        format!(
            "if command -v update-rc.d >/dev/null 2>&1; then {defaults}update-rc.d {q} {verb}; \
             elif command -v chkconfig >/dev/null 2>&1; then chkconfig {q} {on}; \
             else echo 'no service or tool found for: '{q}; exit 1; fi"
        )
    }
}

/// What an init script's `status` says: a one-line answer's words, else its exit code (LSB:
/// 0 running; 1-4 not running).
fn read_status(name: &str, rc: i32, out: &str) -> Option<bool> {
    if out.trim_end().lines().count() <= 1 {
        let clean = out.to_lowercase().replace(&name.to_lowercase(), "");
        if clean.contains("stop") {
            return Some(false);
        }
        if clean.contains("run") {
            return Some(!clean.contains("not "));
        }
        if clean.contains("start") && !clean.contains("not ") {
            return Some(true);
        }
        let dead = [
            "could not access pid file",
            "is dead and pid file exists",
            "dead but subsys locked",
            "dead but pid file exists",
        ];
        if dead.iter().any(|d| clean.contains(d)) {
            return Some(false);
        }
    }
    match rc {
        0 => Some(true),
        1..=4 | 69 => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_output_and_exit_codes() {
        for (rc, out, want) in [
            (0, "cron is running.\n", Some(true)),
            (3, "cron is not running ... failed!\n", Some(false)),
            (0, "", Some(true)),
            (3, "", Some(false)),
            (0, " * sshd: started\n", Some(true)),
            (1, "line one\nline two with run\n", Some(false)),
            (5, "", None),
        ] {
            assert_eq!(read_status("cron", rc, out), want, "{rc} {out:?}");
        }
    }
}
