//! Issue 15's service modules on real sshd hosts (this machine, as root, where systemd is not
//! PID 1): `service` drives a REAL SysV init script installed under /etc/init.d (a shell
//! daemon with a pid file) and its rc.d links through update-rc.d; `systemd_service` talks to
//! a recording `systemctl` STAND-IN on the host's PATH (systemd cannot run as PID 1 here);
//! `reboot` runs a STAND-IN reboot command that restarts the host's sshd and changes its boot
//! id, so the connection really drops and comes back.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{counts, run_playbook, write, Run, SshHosts};

/// A SysV init script under /etc/init.d with a unique name; removed (daemon stopped, links
/// gone) on drop.
struct InitScript {
    name: String,
}

impl InitScript {
    fn install(tag: &str) -> InitScript {
        let name = format!("ferry-{tag}-{}", std::process::id());
        let script = format!(
            r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ferry's test daemon
### END INIT INFO
PIDFILE=/run/{name}.pid
LOG=/run/{name}.log
running() {{ [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }}
case "$1" in
  start)
    echo "start $2" >> "$LOG"
    running && exit 0
    setsid sh -c 'while :; do sleep 1; done' {name}-daemon </dev/null >/dev/null 2>&1 &
    echo $! > "$PIDFILE" ;;
  stop)
    echo stop >> "$LOG"
    running && kill "$(cat "$PIDFILE")"
    rm -f "$PIDFILE" ;;
  reload)
    echo reload >> "$LOG" ;;
  restart)
    "$0" stop; "$0" start ;;
  status)
    if running; then echo "{name} is running"; exit 0; fi
    echo "{name} is not running"; exit 3 ;;
  *) echo "Usage: $0 start|stop|reload|restart|status"; exit 2 ;;
esac
exit 0
"#
        );
        let path = Path::new("/etc/init.d").join(&name);
        fs::write(&path, script).unwrap();
        assert!(Command::new("chmod")
            .arg("755")
            .arg(&path)
            .status()
            .unwrap()
            .success());
        InitScript { name }
    }

    /// The daemon's pid while it runs.
    fn pid(&self) -> Option<u32> {
        let text = fs::read_to_string(format!("/run/{}.pid", self.name)).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        alive(pid).then_some(pid)
    }

    fn log(&self) -> String {
        fs::read_to_string(format!("/run/{}.log", self.name)).unwrap_or_default()
    }

    /// The rc.d links of runlevel 2 (`S01name` when enabled, `K01name` when disabled).
    fn rc2_link(&self) -> Option<String> {
        fs::read_dir("/etc/rc2.d")
            .ok()?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|f| f.len() == self.name.len() + 3 && f.ends_with(&self.name))
            .map(|f| f[..1].to_string())
    }
}

impl Drop for InitScript {
    fn drop(&mut self) {
        let script = format!("/etc/init.d/{}", self.name);
        let _ = Command::new(&script).arg("stop").status();
        let _ = Command::new("update-rc.d")
            .args(["-f", &self.name, "remove"])
            .output();
        let _ = fs::remove_file(&script);
        let _ = fs::remove_file(format!("/run/{}.log", self.name));
    }
}

/// True while `pid` runs (PID 1 here may leave the ended daemon a zombie: that is not running).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|r| r.chars().next()), Some('Z' | 'X'))
        })
        .unwrap_or(false)
}

/// host1's recap: ok, changed and failed as given, nothing else.
fn recap_is(run: &Run, ok: u32, changed: u32, failed: u32) {
    let want = format!(
        "ok={ok} changed={changed} unreachable=0 failed={failed} skipped=0 rescued=0 ignored=0"
    );
    assert_eq!(counts(run, "host1"), want, "{}", run.all());
}

fn play(hosts: &SshHosts, name: &str, tasks: &str) -> PathBuf {
    write(
        hosts,
        name,
        &format!("- hosts: all\n  gather_facts: no\n  tasks:\n{tasks}"),
    )
}

#[test]
fn service_drives_a_real_sysv_init_script_and_its_rc_links() {
    assert!(
        Path::new("/usr/sbin/update-rc.d").exists(),
        "update-rc.d is missing: apt-get install init-system-helpers (scripts/test.sh does)"
    );
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let svc = InitScript::install("svc");
    let n = &svc.name;
    let up = play(
        &hosts,
        "up.yml",
        &format!(
            "    - service: {{name: {n}, state: started, enabled: yes}}\n      register: r\n    - assert:\n        that: [r.changed, r.name == '{n}', r.state == 'started', r.enabled]\n"
        ),
    );
    let first = run_playbook(&hosts, &up, &inv, &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    recap_is(&first, 2, 1, 0);
    let pid = svc.pid().expect("the daemon runs");
    assert_eq!(
        svc.rc2_link().as_deref(),
        Some("S"),
        "enabled: S link in rc2.d"
    );
    let again = run_playbook(&hosts, &up, &inv, &[]);
    recap_is(&again, 1, 0, 1);
    assert!(again.stdout.contains("Assertion failed"), "{}", again.all());
    assert_eq!(svc.pid(), Some(pid), "a second run leaves the daemon alone");

    // --check reports the stop but stops nothing.
    let down = play(
        &hosts,
        "down.yml",
        &format!("    - service: {{name: {n}, state: stopped, enabled: no}}\n      register: r\n"),
    );
    let check = run_playbook(&hosts, &down, &inv, &["--check"]);
    recap_is(&check, 1, 1, 0);
    assert_eq!(svc.pid(), Some(pid));
    assert_eq!(svc.rc2_link().as_deref(), Some("S"));

    // restarted: stop, sleep, start (a new process); reloaded: the script's reload.
    let bounce = play(
        &hosts,
        "bounce.yml",
        &format!(
            "    - service: {{name: {n}, state: restarted, sleep: 0, arguments: fast}}\n      register: r\n    - service: {{name: {n}, state: reloaded}}\n    - assert:\n        that: [r.changed, r.state == 'started']\n"
        ),
    );
    let bounced = run_playbook(&hosts, &bounce, &inv, &[]);
    recap_is(&bounced, 3, 2, 0);
    let new_pid = svc.pid().expect("running after restart");
    assert_ne!(new_pid, pid, "restarted means a new process");
    assert!(
        svc.log().contains("stop\nstart fast\nreload\n"),
        "{}",
        svc.log()
    );

    // pattern: the state comes from ps.
    let by_ps = play(
        &hosts,
        "ps.yml",
        &format!("    - service: {{name: {n}, state: started, pattern: '{n}-daemon'}}\n"),
    );
    let ps = run_playbook(&hosts, &by_ps, &inv, &[]);
    recap_is(&ps, 1, 0, 0);

    let stopped = run_playbook(&hosts, &down, &inv, &[]);
    recap_is(&stopped, 1, 1, 0);
    assert_eq!(svc.pid(), None, "the daemon is gone");
    assert!(!alive(new_pid), "the daemon's process ended");
    assert_eq!(
        svc.rc2_link().as_deref(),
        Some("K"),
        "disabled: K link in rc2.d"
    );
    let still = run_playbook(&hosts, &down, &inv, &[]);
    recap_is(&still, 1, 0, 0);
}

#[test]
fn service_refuses_unknown_services_and_bad_arguments() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let bad = play(
        &hosts,
        "bad.yml",
        "    - service: {name: cron, state: runing}\n",
    );
    let run = run_playbook(&hosts, &bad, &inv, &[]);
    assert_eq!(run.code, 4, "{}", run.all());
    assert!(
        run.stderr.contains("bad.yml:4:16")
            && run.stderr.contains(
                "value of state must be one of: reloaded, restarted, started, stopped, got: runing"
            ),
        "{}",
        run.all()
    );
    assert!(
        !hosts.any_connection(),
        "refused before any host is touched"
    );
    let missing = play(
        &hosts,
        "missing.yml",
        "    - service: {name: ferry-no-such-service, state: started}\n    - service: {name: ferry-no-such-service}\n      ignore_errors: yes\n",
    );
    let run = run_playbook(&hosts, &missing, &inv, &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout
            .contains("Could not find the requested service ferry-no-such-service: host"),
        "{}",
        run.all()
    );
    let neither = play(&hosts, "neither.yml", "    - service: {name: cron}\n");
    let run = run_playbook(&hosts, &neither, &inv, &[]);
    assert!(
        run.stdout
            .contains("one of the following is required: state, enabled"),
        "{}",
        run.all()
    );
}
