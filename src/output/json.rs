//! `--output json`: one JSON object per line on stdout, one per event, for machines.

use std::io::Write;

use serde_json::{json, Value as Json};

use crate::events::{HostEvent, Recap, Reporter, StageStatus, Status, TaskKind};

/// Writes one JSON event per line.
#[derive(Default)]
pub struct JsonLines {
    /// When the current task started: a result carries its `seconds` since (as JUnit's
    /// cases do), so `ferry shards merge` can give the merged JUnit real times.
    task_started: std::sync::Mutex<Option<std::time::Instant>>,
}

impl JsonLines {
    fn since_task_start(&self) -> f64 {
        let started = *self.task_started.lock().unwrap_or_else(|e| e.into_inner());
        let seconds = started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        (seconds * 1000.0).round() / 1000.0
    }
}

fn emit(value: Json) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
}

impl Reporter for JsonLines {
    fn playbook_start(&self, path: &str) {
        emit(json!({"event": "playbook_start", "playbook": path}));
    }

    fn play_start(&self, name: &str) {
        emit(json!({"event": "play_start", "name": name}));
    }

    fn no_hosts_matched(&self) {
        emit(json!({"event": "no_hosts_matched"}));
    }

    fn no_more_hosts(&self) {
        emit(json!({"event": "no_more_hosts"}));
    }

    fn task_start(&self, name: &str, kind: TaskKind, hosts: usize) {
        let kind = match kind {
            TaskKind::Task => "task",
            TaskKind::Handler => "handler",
        };
        *self.task_started.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(std::time::Instant::now());
        emit(json!({"event": "task_start", "name": name, "kind": kind, "hosts": hosts}));
    }

    fn host_result(&self, ev: &HostEvent<'_>) {
        let status = match ev.status {
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Unreachable => "unreachable",
        };
        let mut event = json!({
            "event": "host_result",
            "host": ev.host,
            "task": ev.task,
            "status": status,
            "ignored": ev.ignored,
            "seconds": self.since_task_start(),
            "result": Json::Object(ev.result.clone()),
        });
        if let Some(item) = ev.item {
            event["item"] = item.clone();
        }
        if let Some(d) = ev.delegated {
            event["delegated_to"] = d.to.into();
            if let Some(address) = d.address {
                event["delegated_address"] = address.into();
            }
        }
        emit(event);
    }

    fn included(&self, target: &str, hosts: &[String]) {
        emit(json!({"event": "included", "target": target, "hosts": hosts}));
    }

    fn retrying(&self, host: &str, delegated_to: Option<&str>, task: &str, left: u64) {
        let mut event =
            json!({"event": "retrying", "host": host, "task": task, "retries_left": left});
        if let Some(to) = delegated_to {
            event["delegated_to"] = to.into();
        }
        emit(event);
    }

    fn warning(&self, msg: &str) {
        emit(json!({"event": "warning", "msg": msg}));
    }

    fn stage_start(&self, name: &str) {
        emit(json!({"event": "stage_start", "stage": name}));
    }

    fn shard(&self, plan: &crate::events::ShardPlan) {
        emit(json!({
            "event": "shard", "index": plan.index, "count": plan.count,
            "selected": plan.selected, "hosts": plan.hosts, "local": plan.local,
            "notes": plan.notes,
        }));
    }

    fn stage_end(&self, name: &str, status: &StageStatus, code: i32, exports: &crate::vars::Vars) {
        let status = status.to_string();
        emit(
            json!({"event": "stage_end", "stage": name, "status": status, "exit_code": code, "exports": exports}),
        );
    }

    fn recap(&self, recap: &Recap) {
        let hosts: serde_json::Map<String, Json> = recap
            .hosts
            .iter()
            .map(|(h, s)| {
                let v = json!({
                    "ok": s.ok, "changed": s.changed, "unreachable": s.unreachable,
                    "failed": s.failed, "skipped": s.skipped, "rescued": s.rescued,
                    "ignored": s.ignored,
                });
                (h.clone(), v)
            })
            .collect();
        emit(json!({"event": "recap", "hosts": hosts, "exit_code": recap.exit_code()}));
    }
}
