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

/// A recording `systemctl` STAND-IN: systemd cannot run as PID 1 in the test container, so
/// this script on the host's PATH answers `show`, `is-enabled`, `is-active`, `list-units`
/// and `list-unit-files` from state files under `$HOME/systemd`, changes them for start,
/// stop, enable, mask..., and records every call (flags included) in `$HOME/systemd/calls`.
/// A unit exists when `$HOME/systemd/<unit>.unit` does.
const SYSTEMCTL: &str = r#"#!/bin/sh
S="$HOME/systemd"; mkdir -p "$S"
echo "$*" >> "$S/calls"
while case "$1" in --*) true ;; *) false ;; esac; do shift; done
cmd=$1; unit=$2
case "$unit" in ""|*.*) ;; *) unit="$unit.service" ;; esac
known() { [ -f "$S/$unit.unit" ]; }
get() { cat "$S/$unit.$1" 2>/dev/null || echo "$2"; }
case "$cmd" in
  daemon-reload|daemon-reexec) ;;
  show)
    load=not-found; known && load=loaded; [ "$(get enabled x)" = masked ] && load=masked
    printf 'Id=%s\nNames=%s\nLoadState=%s\nActiveState=%s\nSubState=%s\nUnitFileState=%s\nDescription=stand-in unit\n' \
      "$unit" "$unit" "$load" "$(get active inactive)" "$(get active inactive)" "$(get enabled disabled)" ;;
  is-enabled)
    st=$(get enabled disabled); known || [ "$st" = masked ] || { echo "Failed to get unit file state for $unit" >&2; exit 1; }
    echo "$st"; [ "$st" = enabled ] ;;
  is-active) st=$(get active inactive); echo "$st"; [ "$st" = active ] ;;
  list-unit-files)
    case "$2" in ""|--*) ;; *) known; exit ;; esac
    echo "UNIT FILE STATE VENDOR PRESET"
    for f in "$S"/*.unit; do u=$(basename "$f" .unit); echo "$u $(cat "$S/$u.enabled" 2>/dev/null || echo disabled) enabled"; done ;;
  list-units)
    for f in "$S"/*.unit; do u=$(basename "$f" .unit); a=$(cat "$S/$u.active" 2>/dev/null || echo inactive)
      sub=dead; [ "$a" = active ] && sub=running; echo "$u loaded $a $sub stand-in unit"; done ;;
  start|restart|reload)
    known || { echo "Failed to $cmd $unit: Unit $unit not found." >&2; exit 5; }
    [ "$(get enabled x)" = masked ] && { echo "Failed to $cmd $unit: Unit $unit is masked." >&2; exit 1; }
    echo active > "$S/$unit.active" ;;
  stop) known || exit 5; echo inactive > "$S/$unit.active" ;;
  enable|disable) known || exit 1; echo "${cmd}d" > "$S/$unit.enabled" ;;
  mask) echo masked > "$S/$unit.enabled" ;;
  unmask) rm -f "$S/$unit.enabled" ;;
  *) echo "stand-in: unknown command $cmd" >&2; exit 1 ;;
esac
"#;

/// One host with the systemctl stand-in, which knows the unit `ferryd.service`; its state
/// directory.
fn systemd_host() -> (SshHosts, PathBuf) {
    let hosts = SshHosts::start(1);
    hosts.install_script("systemctl", SYSTEMCTL);
    let state = hosts.hosts[0].dir.join("home/systemd");
    fs::create_dir_all(&state).unwrap();
    fs::write(state.join("ferryd.service.unit"), "").unwrap();
    (hosts, state)
}

/// The stand-in's recorded calls on host1 since the last look (then forgotten).
fn calls(hosts: &SshHosts) -> Vec<String> {
    let path = hosts.hosts[0].dir.join("home/systemd/calls");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let _ = fs::remove_file(&path);
    text.lines().map(str::to_string).collect()
}

#[test]
fn systemd_service_queries_then_changes_only_what_differs_through_systemctl() {
    let (hosts, state) = systemd_host();
    let inv = hosts.inventory("");
    let up = play(
        &hosts,
        "up.yml",
        "    - systemd_service: {name: ferryd, state: started, enabled: yes, daemon_reload: yes}\n      register: r\n    - copy: {content: '{{ r | to_json }}', dest: '{{ host_dir }}/r.json'}\n",
    );
    let first = run_playbook(&hosts, &up, &inv, &[]);
    recap_is(&first, 2, 2, 0);
    let r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(hosts.hosts[0].dir.join("r.json")).unwrap())
            .unwrap();
    assert_eq!(r["name"], "ferryd");
    assert_eq!(r["state"], "started");
    assert_eq!(r["enabled"], true);
    assert_eq!(r["changed"], true);
    assert_eq!(r["status"]["LoadState"], "loaded");
    assert_eq!(
        r["status"]["ActiveState"], "inactive",
        "status is read before the change"
    );
    let made = calls(&hosts);
    for call in ["daemon-reload", "enable ferryd", "start ferryd"] {
        assert!(made.iter().any(|c| c == call), "{call}: {made:?}");
    }
    assert_eq!(
        fs::read_to_string(state.join("ferryd.service.active")).unwrap(),
        "active\n"
    );

    let same = play(
        &hosts,
        "same.yml",
        "    - systemd: {name: ferryd, state: started, enabled: yes}\n    - service: {name: ferryd, state: started, use: systemd}\n",
    );
    let again = run_playbook(&hosts, &same, &inv, &[]);
    recap_is(&again, 2, 0, 0);
    let asked = calls(&hosts);
    assert!(
        asked
            .iter()
            .all(|c| !c.starts_with("start") && !c.starts_with("enable")),
        "nothing to change: {asked:?}"
    );

    let change = play(
        &hosts,
        "change.yml",
        "    - service: {name: ferryd, state: restarted, use: systemd, sleep: 3}\n    - systemd: {name: ferryd, state: stopped, masked: yes, no_block: yes, force: yes}\n    - systemd: {name: ferryd, masked: no, scope: user}\n",
    );
    let check = run_playbook(&hosts, &change, &inv, &["--check"]);
    recap_is(&check, 3, 2, 0);
    let looked = calls(&hosts);
    assert!(
        looked
            .iter()
            .all(|c| !c.contains("restart ") && !c.contains("mask ")),
        "--check only asks: {looked:?}"
    );
    let changed = run_playbook(&hosts, &change, &inv, &[]);
    recap_is(&changed, 3, 3, 0);
    let made = calls(&hosts);
    for call in [
        "restart ferryd",
        "--no-block --force mask ferryd",
        "--no-block --force stop ferryd",
        "--user unmask ferryd",
    ] {
        assert!(made.iter().any(|c| c == call), "{call}: {made:?}");
    }

    let unknown = play(
        &hosts,
        "unknown.yml",
        "    - systemd: {name: ferry-nope, state: started}\n",
    );
    let run = run_playbook(&hosts, &unknown, &inv, &[]);
    recap_is(&run, 0, 0, 1);
    assert!(
        run.stdout
            .contains("Could not find the requested service ferry-nope: host"),
        "{}",
        run.all()
    );
}

#[test]
fn service_facts_lists_init_scripts_as_ansible_does() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let up = InitScript::install("facts-up");
    let down = InitScript::install("facts-down");
    assert!(Command::new(format!("/etc/init.d/{}", up.name))
        .arg("start")
        .status()
        .unwrap()
        .success());
    let pb = play(
        &hosts,
        "facts.yml",
        &format!(
            "    - service_facts:\n    - copy:\n        dest: '{{{{ host_dir }}}}/facts-{{{{ tool }}}}'\n        content: |\n          {{{{ ansible_facts.services['{}'] | to_json }}}}\n          {{{{ ansible_facts.services['{}'] | to_json }}}}\n          {{{{ services['{}'].state }}}}\n",
            up.name, down.name, up.name
        ),
    );
    let dir = &hosts.hosts[0].dir;
    let mut ansible = crate::conformance::ansible_command(&hosts, &pb);
    ansible.arg("-i").arg(&inv).args(["-e", "tool=ansible"]);
    let (code, out) = crate::conformance::run_command(ansible);
    assert_eq!(code, 0, "{out}");
    let ferry = run_playbook(&hosts, &pb, &inv, &["-e", "tool=ferry"]);
    recap_is(&ferry, 2, 1, 0);
    let theirs = fs::read_to_string(dir.join("facts-ansible")).unwrap();
    let ours = fs::read_to_string(dir.join("facts-ferry")).unwrap();
    assert_eq!(ours, theirs);
    assert!(
        ours.contains(r#""state": "running""#) && ours.ends_with("running\n"),
        "{ours}"
    );
    assert!(ours.contains(r#""source": "sysv""#), "{ours}");
}

#[test]
fn service_facts_reads_systemd_units_through_systemctl() {
    let (hosts, state) = systemd_host();
    fs::write(state.join("ferryd.service.active"), "active\n").unwrap();
    fs::write(state.join("ferryd.service.enabled"), "enabled\n").unwrap();
    fs::write(state.join("idle.service.unit"), "").unwrap();
    // The gathered service_mgr fact says systemd (the stand-in cannot make systemd PID 1).
    let inv = hosts.inventory("[all:vars]\nansible_service_mgr=systemd\n");
    let pb = play(
        &hosts,
        "facts.yml",
        "    - service_facts:\n    - copy:\n        dest: '{{ host_dir }}/facts'\n        content: \"{{ ansible_facts.services['ferryd.service'] | to_json }} {{ ansible_facts.services['idle.service'] | to_json }}\"\n",
    );
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    recap_is(&run, 2, 1, 0);
    let facts = fs::read_to_string(hosts.hosts[0].dir.join("facts")).unwrap();
    assert_eq!(
        facts,
        r#"{"name": "ferryd.service", "state": "running", "status": "enabled", "source": "systemd"} {"name": "idle.service", "state": "stopped", "status": "disabled", "source": "systemd"}"#
    );
}

/// The reboot STAND-IN: in the background, a moment after it returns, it ends the host's sshd
/// (listener and sessions, so ferry's connection really drops), writes a new boot id, and
/// starts sshd again with the same config; the new sshd's pid goes to `sshd.pid` for the
/// test to end.
fn reboot_stand_in(dir: &Path, pid: u32) -> String {
    let d = dir.display();
    format!(
        "setsid sh -c 'sleep 1; kill $(pgrep -P {pid}) {pid}; sleep 0.5; \
         echo boot-$(date +%s%N) > {d}/home/boot_id; \
         /usr/sbin/sshd -D -f {d}/sshd_config -E {d}/sshd.log & echo $! > {d}/sshd.pid' \
         </dev/null >/dev/null 2>&1 &"
    )
}

/// The sshd the reboot stand-in started (its pid in a file), ended on drop.
struct NewSshd(PathBuf);

impl NewSshd {
    fn pid(&self) -> Option<u32> {
        fs::read_to_string(&self.0).ok()?.trim().parse().ok()
    }
}

impl Drop for NewSshd {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

#[test]
fn reboot_waits_for_the_host_to_come_back_and_reconnects() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let dir = hosts.hosts[0].dir.clone();
    fs::write(dir.join("home/boot_id"), "boot-first\n").unwrap();
    let pid = hosts.hosts[0].pid().expect("sshd runs");
    let pb = play(
        &hosts,
        "reboot.yml",
        &format!(
            "    - reboot:\n        reboot_command: \"{}\"\n        boot_time_command: cat {}/home/boot_id\n        connect_timeout: 5\n        reboot_timeout: 60\n        post_reboot_delay: 0\n      register: r\n    - command: cat {}/home/boot_id\n      register: after\n    - copy:\n        dest: '{{{{ host_dir }}}}/r.json'\n        content: '{{{{ r | to_json }}}} {{{{ after.stdout }}}}'\n",
            reboot_stand_in(&dir, pid).replace('"', "\\\""),
            dir.display(),
            dir.display()
        ),
    );
    let nowhere = play(
        &hosts,
        "nowhere.yml",
        "    - reboot: {reboot_command: ferry-no-such-reboot now, search_paths: [/sbin, /usr/sbin]}\n",
    );
    let missing = run_playbook(&hosts, &nowhere, &inv, &[]);
    recap_is(&missing, 0, 0, 1);
    assert!(
        missing.stdout.contains(
            r#"Unable to find command \"ferry-no-such-reboot\" in search paths: ['/sbin', '/usr/sbin']"#
        ),
        "{}",
        missing.all()
    );
    let check = run_playbook(&hosts, &pb, &inv, &["--check"]);
    assert_eq!(
        fs::read_to_string(dir.join("home/boot_id")).unwrap(),
        "boot-first\n",
        "--check reboots nothing: {}",
        check.all()
    );
    let new_sshd = NewSshd(dir.join("sshd.pid"));
    let run = run_playbook(&hosts, &pb, &inv, &[]);
    recap_is(&run, 3, 3, 0);
    let r = fs::read_to_string(dir.join("r.json")).unwrap();
    let new_pid = new_sshd.pid();
    let (json, after) = r.rsplit_once(' ').unwrap();
    let r: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(r["rebooted"], true, "{r}");
    assert_eq!(r["changed"], true);
    assert!(r["elapsed"].as_u64().unwrap() >= 1, "{r}");
    assert!(
        after.starts_with("boot-") && after != "boot-first",
        "{after}"
    );
    assert!(!alive(pid), "the first sshd was ended");
    assert_ne!(new_pid, Some(pid));
}

/// The init script stopped and its rc.d links removed (between the two tools' runs).
fn reset(svc: &InitScript) {
    let _ = Command::new(format!("/etc/init.d/{}", svc.name))
        .arg("stop")
        .output();
    let _ = Command::new("update-rc.d")
        .args(["-f", &svc.name, "remove"])
        .output();
}

#[test]
fn service_results_and_recap_match_ansible_on_a_real_init_script() {
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let svc = InitScript::install("conform");
    let n = &svc.name;
    let step = |args: &str, extra: &str| {
        format!(
            "    - service: {{name: {n}, {args}}}\n      register: r\n{extra}    - shell: echo '{{{{ [r.changed, r.name | default('-'), r.state | default('-'), r.enabled | default('-'), r.msg | default('-')] }}}}' >> {{{{ host_dir }}}}/out-{{{{ tool }}}}\n      changed_when: false\n"
        )
    };
    let tasks = [
        step("state: started, enabled: true", ""),
        step("state: started, enabled: true", ""),
        step("state: stopped", "      check_mode: true\n"),
        step("enabled: false", "      check_mode: true\n"),
        step("state: restarted, sleep: 0", ""),
        step("state: reloaded", ""),
        step("state: stopped, enabled: false", ""),
        step("state: stopped", ""),
        step("enabled: false", ""),
    ]
    .concat();
    let pb = play(&hosts, "conform.yml", &tasks);
    let dir = &hosts.hosts[0].dir;
    let mut ansible = crate::conformance::ansible_command(&hosts, &pb);
    ansible.arg("-i").arg(&inv).args(["-e", "tool=ansible"]);
    let (code, out) = crate::conformance::run_command(ansible);
    assert_eq!(code, 0, "{out}");
    reset(&svc);
    let ferry = run_playbook(&hosts, &pb, &inv, &["-e", "tool=ferry"]);
    assert_eq!(
        ferry.recap(),
        crate::support::recap(&out),
        "{out}\n{}",
        ferry.all()
    );
    let theirs = fs::read_to_string(dir.join("out-ansible")).unwrap();
    let ours = fs::read_to_string(dir.join("out-ferry")).unwrap();
    assert_eq!(ours, theirs, "{out}\n{}", ferry.all());
}

/// Recording OpenRC STAND-INS (`rc-service`, `rc-update`; no OpenRC on this Debian host):
/// a service exists when `$HOME/openrc/<name>` does; its state and runlevels are files there;
/// every call is recorded in `$HOME/openrc/calls`.
const RC_SERVICE: &str = r#"#!/bin/sh
S="$HOME/openrc"; echo "rc-service $*" >> "$S/calls"
if [ "$1" = -e ]; then [ -f "$S/$2" ]; exit; fi
[ -f "$S/$1" ] || { echo " * rc-service: service \`$1' does not exist" >&2; exit 1; }
case "$2" in
  start|restart|reload) echo started > "$S/$1.state" ;;
  stop) echo stopped > "$S/$1.state" ;;
  status) st=$(cat "$S/$1.state" 2>/dev/null || echo stopped); echo " * status: $st"; [ "$st" = started ] ;;
esac
"#;

const RC_UPDATE: &str = r#"#!/bin/sh
S="$HOME/openrc"; echo "rc-update $*" >> "$S/calls"
case "$1" in
  add) echo "$3" > "$S/$2.level" ;;
  del) rm -f "$S/$2.level" ;;
  show) for f in "$S"/*.level; do [ -f "$f" ] || continue; [ "$(cat "$f")" = "$2" ] && echo " $(basename "$f" .level) | $2"; done ;;
esac
exit 0
"#;

#[test]
fn service_drives_openrc_through_rc_service_and_rc_update() {
    let hosts = SshHosts::start(1);
    hosts.install_script("rc-service", RC_SERVICE);
    hosts.install_script("rc-update", RC_UPDATE);
    let state = hosts.hosts[0].dir.join("home/openrc");
    fs::create_dir_all(&state).unwrap();
    fs::write(state.join("ferryrc"), "").unwrap();
    let inv = hosts.inventory("");
    let calls = || {
        let text = fs::read_to_string(state.join("calls")).unwrap_or_default();
        let _ = fs::remove_file(state.join("calls"));
        text
    };
    let up = play(
        &hosts,
        "up.yml",
        "    - service: {name: ferryrc, state: started, enabled: yes, runlevel: boot, use: openrc}\n",
    );
    recap_is(&run_playbook(&hosts, &up, &inv, &[]), 1, 1, 0);
    let made = calls();
    assert!(
        made.contains("rc-service ferryrc start\n")
            && made.contains("rc-update add ferryrc boot\n"),
        "{made}"
    );
    recap_is(&run_playbook(&hosts, &up, &inv, &[]), 1, 0, 0);
    let asked = calls();
    assert!(
        !asked.contains(" start\n") && !asked.contains(" add "),
        "{asked}"
    );
    let change = play(
        &hosts,
        "change.yml",
        "    - service: {name: ferryrc, state: restarted, use: openrc}\n    - service: {name: ferryrc, state: stopped, enabled: no, runlevel: boot, use: openrc}\n",
    );
    recap_is(&run_playbook(&hosts, &change, &inv, &[]), 2, 2, 0);
    let made = calls();
    assert!(
        made.contains("rc-service ferryrc restart\n"),
        "OpenRC restarts itself: {made}"
    );
    assert!(
        made.contains("rc-service ferryrc stop\n") && made.contains("rc-update del ferryrc boot\n"),
        "{made}"
    );
    assert_eq!(
        fs::read_to_string(state.join("ferryrc.state")).unwrap(),
        "stopped\n"
    );
}
