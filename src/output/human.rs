//! Ansible's familiar output: `PLAY [..]`, `TASK [..]`, `ok: [host]`, `fatal: ...`, the recap.
//!
//! On a terminal, a progress bar per task (hosts done / total) is drawn on stderr and colours are
//! used; without one (CI logs) there are only the lines.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value as Json;

use super::diff::diff_text;
use crate::events::{Delegated, HostEvent, Recap, Reporter, StageStatus, Status, TaskKind};
use crate::pyjson::dumps;

/// Writes Ansible-style lines to stdout.
pub struct Human {
    verbosity: u8,
    colour: bool,
    bars: bool,
    bar: Mutex<Option<ProgressBar>>,
    banners: Mutex<Banners>,
}

/// Task banners under a free strategy, shown as ansible-core's default callback shows them:
/// not when a task starts, but before a result of a task other than the last one shown.
#[derive(Default)]
struct Banners {
    /// The play runs a free strategy (`free`, `host_pinned`).
    free: bool,
    /// Each started task's banner, by task name.
    started: std::collections::HashMap<String, String>,
    /// The task whose banner was shown last.
    shown: Option<String>,
    /// The task that started last.
    last_started: Option<String>,
}

const GREEN: &str = "\x1b[0;32m";
const YELLOW: &str = "\x1b[0;33m";
const RED: &str = "\x1b[0;31m";
const CYAN: &str = "\x1b[0;36m";
const PURPLE: &str = "\x1b[0;35m";
const RESET: &str = "\x1b[0m";

impl Human {
    /// A reporter for the current terminal (colours and bars only when attached to one).
    pub fn new(verbosity: u8) -> Human {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let bars = colour && std::io::stderr().is_terminal();
        Human {
            verbosity,
            colour,
            bars,
            bar: Mutex::new(None),
            banners: Mutex::new(Banners::default()),
        }
    }

    fn line(&self, text: &str, colour: Option<&str>) {
        let text = match colour {
            Some(c) if self.colour => format!("{c}{text}{RESET}"),
            _ => text.to_string(),
        };
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
        };
        match bar.as_ref() {
            Some(b) => b.suspend(write),
            None => write(),
        }
    }

    /// A diff as Ansible's display prints it: each line coloured by its first character, the
    /// text's last line end not doubled (its blank last line stays).
    fn diff_lines(&self, text: &str) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        for l in text.split('\n') {
            let colour = match l.as_bytes().first() {
                Some(b'+') => Some(GREEN),
                Some(b'-') => Some(RED),
                Some(b'@') if l.starts_with("@@") => Some(CYAN),
                _ => None,
            };
            self.line(l, colour);
        }
    }

    /// Under a free strategy: the banner of `task` (the last started one when `None`) unless
    /// it was the last shown.
    fn free_banner(&self, task: Option<&str>) {
        let mut b = self.banners.lock().unwrap_or_else(|e| e.into_inner());
        if !b.free {
            return;
        }
        let Some(task) = task.map(str::to_string).or_else(|| b.last_started.clone()) else {
            return;
        };
        if b.shown.as_deref() == Some(task.as_str()) {
            return;
        }
        let banner = b
            .started
            .get(&task)
            .cloned()
            .unwrap_or_else(|| format!("TASK [{task}]"));
        b.shown = Some(task);
        drop(b);
        self.banner(&banner);
    }

    fn tick(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.inc(1);
        }
    }

    fn banner(&self, text: &str) {
        let stars = 80usize.saturating_sub(text.chars().count() + 1).max(3);
        self.line(&format!("\n{text} {}", "*".repeat(stars)), None);
    }
}

/// Results are shown whole only from `-vvvv` on; below, text beyond [`SHOW_LIMIT`] is shown
/// as its size and its last lines (a deliberate difference: Ansible prints megabytes).
const WHOLE_OUTPUT_VERBOSITY: u8 = 4;
const SHOW_LIMIT: usize = 64 * 1024;
const TAIL_LINES: usize = 20;

/// Replaces each long text (and long list of lines) in a result by its size and tail.
fn abbreviate(value: &mut Json) {
    match value {
        Json::String(s) if s.len() > SHOW_LIMIT => {
            let body = s.trim_end_matches('\n');
            let lines = memchr::memchr_iter(b'\n', body.as_bytes()).count() + 1;
            let shown = lines.min(TAIL_LINES);
            let start = memchr::memrchr_iter(b'\n', body.as_bytes())
                .nth(shown - 1)
                .map_or(0, |nl| nl + 1);
            let tail = tail_text(&body[start..]);
            *s = format!(
                "[{} in {lines} lines; the last {shown} follow]\n{tail}",
                size(s.len())
            );
        }
        Json::Array(items) if text_len(items) > SHOW_LIMIT => {
            let total = text_len(items);
            let from = items.len().saturating_sub(TAIL_LINES);
            let mut kept: Vec<Json> = items.drain(from..).collect();
            for item in &mut kept {
                abbreviate(item);
            }
            let note = format!(
                "[{} items, {}; the last {} follow]",
                items.len() + kept.len(),
                size(total),
                kept.len()
            );
            *items = std::iter::once(Json::String(note)).chain(kept).collect();
        }
        Json::Array(items) => items.iter_mut().for_each(abbreviate),
        Json::Object(map) => map.values_mut().for_each(abbreviate),
        _ => {}
    }
}

/// The end of `text`, at most 4 KiB of it.
fn tail_text(text: &str) -> &str {
    let mut from = text.len().saturating_sub(4096);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..]
}

/// The bytes of text in a list (its strings).
fn text_len(items: &[Json]) -> usize {
    items
        .iter()
        .map(|i| match i {
            Json::String(s) => s.len(),
            _ => 0,
        })
        .sum()
}

/// `n` bytes as people read it (`64.0 MiB`).
fn size(n: usize) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// The item (or its `label`) as the default callback prints it: Python's `str()`, so a
/// dict keeps its order and quotes (`{'name': 'a', 'on': True}`).
fn item_label(item: &Json) -> String {
    match item {
        Json::String(s) => s.clone(),
        other => crate::template::py_repr_json(other),
    }
}

/// The host between the brackets of a result line, as ansible-core's default callback labels
/// it: `host`, or for a task delegated elsewhere `host -> to`, with the delegated-to host's
/// address when it is not its name: `host -> to(address)`.
fn host_label(host: &str, delegated: Option<Delegated<'_>>) -> String {
    match delegated {
        None => host.to_string(),
        Some(Delegated { to, address: None }) => format!("{host} -> {to}"),
        Some(Delegated {
            to,
            address: Some(a),
        }) => format!("{host} -> {to}({a})"),
    }
}

/// A result's line as the default callback prints it, and its colour; `result` is what it
/// shows of the result, shown whole when `show` (-v, debug).
fn result_line(ev: &HostEvent<'_>, result: &Json, show: bool) -> (String, &'static str) {
    let item = ev.item.map(item_label);
    let (word, colour) = match ev.status {
        Status::Ok => ("ok", GREEN),
        Status::Changed => ("changed", YELLOW),
        Status::Skipped => ("skipping", CYAN),
        Status::Failed => ("failed", RED),
        Status::Unreachable => ("unreachable", RED),
    };
    // The default callback labels every result but a skipped one with the delegation.
    let host = match ev.status {
        Status::Skipped => ev.host.to_string(),
        _ => host_label(ev.host, ev.delegated),
    };
    let text = match ev.status {
        Status::Failed | Status::Unreachable => {
            let kind = if ev.status == Status::Failed {
                "FAILED!"
            } else {
                "UNREACHABLE!"
            };
            // As ansible-core: a result the action marks verbose-always (assert, debug)
            // is indented, failed or not.
            let body = dumps(result, ev.verbose_always.then_some(4), true);
            match &item {
                Some(i) => format!("failed: [{host}] (item={i}) => {body}"),
                None => format!("fatal: [{host}]: {kind} => {body}"),
            }
        }
        _ => {
            let mut t = format!("{word}: [{host}]");
            if let Some(i) = &item {
                t.push_str(&format!(" => (item={i})"));
                // The default callback ends a skipped item's line with a space.
                if ev.status == Status::Skipped {
                    t.push(' ');
                }
            }
            if show {
                let indent = if ev.verbose_always { Some(4) } else { None };
                t.push_str(&format!(" => {}", dumps(result, indent, true)));
            }
            t
        }
    };
    (text, colour)
}

impl Reporter for Human {
    fn play_start(&self, name: &str) {
        self.banner(&format!("PLAY [{name}]"));
    }

    fn play_strategy(&self, free: bool) {
        *self.banners.lock().unwrap_or_else(|e| e.into_inner()) = Banners {
            free,
            ..Banners::default()
        };
    }

    fn play_batch(&self, name: &str) {
        self.play_start(name);
    }

    fn no_hosts_matched(&self) {
        self.line("skipping: no hosts matched", Some(CYAN));
    }

    fn no_more_hosts(&self) {
        self.banner("NO MORE HOSTS LEFT");
    }

    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize) {
        let label = match kind {
            TaskKind::Task => "TASK",
            TaskKind::Handler => "RUNNING HANDLER",
        };
        let banner = format!("{label} [{name}]");
        {
            let mut b = self.banners.lock().unwrap_or_else(|e| e.into_inner());
            if b.free {
                b.started.insert(name.to_string(), banner);
                b.last_started = Some(name.to_string());
                return;
            }
        }
        self.banner(&banner);
        if self.bars {
            let bar =
                ProgressBar::with_draw_target(Some(hosts as u64), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {wide_bar}")
            {
                bar.set_style(style);
            }
            bar.set_message(name.to_string());
            *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
        }
    }

    fn host_result(&self, ev: &HostEvent<'_>) {
        self.free_banner(Some(ev.task));
        // A loop whose items were all skipped (or that had none) still gets its own
        // `skipping:` line, as the default callback prints it.
        if ev.looped && ev.status != Status::Skipped {
            if ev.ignored {
                self.line("...ignoring", Some(CYAN));
            }
            self.tick();
            return;
        }
        let show = self.verbosity > 0 || ev.verbose_always;
        let mut shown = ev.result.clone();
        if ev.looped {
            // The items were shown one by one.
            shown.remove("results");
        }
        // Ansible shows a diff only for a result that changed something, and keeps it in the
        // result's JSON from -vvv on.
        let diff = match self.verbosity {
            0..=2 => shown.remove("diff"),
            _ => shown.get("diff").cloned(),
        };
        let diff = diff
            .filter(|_| ev.status == Status::Changed)
            .and_then(|d| diff_text(&d));
        let mut result = Json::Object(shown);
        if self.verbosity < WHOLE_OUTPUT_VERBOSITY {
            abbreviate(&mut result);
        }
        let (text, colour) = result_line(ev, &result, show);
        if let Some(d) = diff {
            self.diff_lines(&d);
        }
        self.line(&text, Some(colour));
        if ev.ignored {
            self.line("...ignoring", Some(CYAN));
        }
        if ev.item.is_none() {
            self.tick();
        }
    }

    fn included(&self, target: &str, hosts: &[String]) {
        self.free_banner(None);
        self.line(
            &format!("included: {target} for {}", hosts.join(", ")),
            Some(CYAN),
        );
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.inc(hosts.len() as u64);
        }
    }

    fn retrying(&self, host: &str, delegated_to: Option<&str>, task: &str, left: u64) {
        // The retried result has not reached the connection yet: no address in the label.
        let delegated = delegated_to.map(|to| Delegated { to, address: None });
        let host = host_label(host, delegated);
        self.line(
            &format!("FAILED - RETRYING: [{host}]: {task} ({left} retries left)."),
            Some(RED),
        );
    }

    fn async_poll(&self, host: &str, jid: &str) {
        self.line(
            &format!("ASYNC POLL on {host}: jid={jid} started=1 finished=0"),
            None,
        );
    }

    fn task_end(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }

    fn warning(&self, msg: &str) {
        self.line(&format!("[WARNING]: {msg}"), Some(PURPLE));
    }

    fn stage_start(&self, name: &str) {
        self.banner(&format!("STAGE [{name}]"));
    }

    fn shard(&self, plan: &crate::events::ShardPlan) {
        let (index, count, n) = (plan.index, plan.count, plan.hosts.len());
        self.banner(&format!(
            "SHARD [{index}/{count}: {n} of {} hosts]",
            plan.selected
        ));
        if n == 0 && plan.local.is_empty() {
            self.line(
                &format!(
                    "none of the {} selected hosts falls in shard {index}/{count}: nothing to run",
                    plan.selected
                ),
                Some(CYAN),
            );
        } else if self.verbosity > 0 {
            self.line(&format!("hosts: {}", plan.hosts.join(", ")), None);
        }
        if !plan.local.is_empty() {
            let local = plan.local.join(", ");
            self.line(
                &format!("the controller's own hosts run in every shard: {local}"),
                None,
            );
        }
        for note in &plan.notes {
            self.line(&format!("[NOTE]: {note}"), Some(PURPLE));
        }
    }

    fn stage_end(&self, name: &str, status: &StageStatus, code: i32, exports: &crate::vars::Vars) {
        let colour = match status {
            StageStatus::Succeeded => GREEN,
            StageStatus::Skipped(_) => CYAN,
            _ => RED,
        };
        self.line(
            &format!("stage {name}: {status} (exit {code})"),
            Some(colour),
        );
        for (k, v) in exports {
            let v = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            self.line(&format!("  export {k} = {v}"), None);
        }
    }

    fn recap(&self, recap: &Recap) {
        self.banner("PLAY RECAP");
        for (host, s) in &recap.hosts {
            let colour = if s.failed > 0 || s.unreachable > 0 {
                RED
            } else if s.changed > 0 {
                YELLOW
            } else {
                GREEN
            };
            let counts = [
                ("ok", s.ok),
                ("changed", s.changed),
                ("unreachable", s.unreachable),
                ("failed", s.failed),
                ("skipped", s.skipped),
                ("rescued", s.rescued),
                ("ignored", s.ignored),
            ];
            let cols: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n:<4}")).collect();
            let line = format!("{host:<26} : {}", cols.join(" "));
            // Ansible pads every count, the last one too.
            self.line(&line, Some(colour));
        }
        self.line("", None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_items_are_shown_as_ansible_s_default_callback_shows_them() {
        for (item, shown) in [
            (
                serde_json::json!({"zeta": 1, "alpha": true, "n": null}),
                "{'zeta': 1, 'alpha': True, 'n': None}",
            ),
            (serde_json::json!([1, "a"]), "[1, 'a']"),
            (serde_json::json!(3), "3"),
            (serde_json::json!("plain"), "plain"),
        ] {
            assert_eq!(item_label(&item), shown, "{item}");
        }
    }

    #[test]
    fn delegated_results_are_labelled_as_the_default_callback_labels_them() {
        let to = |to, address| Some(Delegated { to, address });
        for (delegated, label) in [
            (None, "web1"),
            (to("localhost", None), "web1 -> localhost"),
            (to("db", Some("10.0.0.5")), "web1 -> db(10.0.0.5)"),
        ] {
            assert_eq!(host_label("web1", delegated), label);
        }
    }

    #[test]
    fn long_output_is_shown_as_its_size_and_tail() {
        let big: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let lines: Vec<Json> = big.lines().map(|l| Json::String(l.into())).collect();
        let mut result =
            serde_json::json!({"stdout": big, "stdout_lines": lines, "rc": 0, "msg": "short"});
        abbreviate(&mut result);
        let stdout = result["stdout"].as_str().unwrap();
        assert!(
            stdout.starts_with("[204.0 KiB in 20000 lines; the last 20 follow]\nline 19980\n"),
            "{stdout}"
        );
        assert!(stdout.ends_with("line 19999"), "{stdout}");
        let shown = result["stdout_lines"].as_array().unwrap();
        assert_eq!(shown.len(), 21);
        assert_eq!(shown[0], "[20000 items, 184.5 KiB; the last 20 follow]");
        assert_eq!(shown[20], "line 19999");
        assert_eq!(result["msg"], "short");
    }
}
