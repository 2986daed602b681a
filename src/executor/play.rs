//! One play: choose its hosts, gather facts, run its tasks, flush handlers.

use std::collections::HashSet;
use std::path::Path;

use crate::executor::handlers::Notified;
use crate::executor::{Executor, HostState};
use crate::playbook::Play;
use crate::vars::Vars;

/// What a play run knows besides the executor's host state.
pub(crate) struct PlayCtx<'a> {
    pub play: &'a Play,
    /// Play vars rendered once (templates that need host vars stay as written).
    pub play_vars: Vars,
    /// The play's hosts, in inventory order.
    pub hosts: Vec<String>,
    /// Hosts still running tasks.
    pub active: Vec<String>,
    /// Pending handler notifications.
    pub notified: Notified,
    /// `playbook_dir`.
    pub playbook_dir: String,
}

impl Executor {
    /// Runs one play; false when no host is left to run later plays on.
    pub(crate) async fn run_play(&mut self, play: &Play, playbook_dir: &Path) -> bool {
        let name = self.render_or_raw(play.display_name(), &self.opts.extra_vars.clone());
        self.reporter.play_start(&name);
        let hosts = match self.play_hosts(play) {
            Ok(h) => h,
            Err(msg) => {
                self.reporter.warning(&msg);
                Vec::new()
            }
        };
        if hosts.is_empty() {
            self.reporter.no_hosts_matched();
            return true;
        }
        for host in &hosts {
            if !self.hosts.contains_key(host) {
                let state = HostState {
                    inv_vars: self.inventory.host_vars(host),
                    facts: Vars::new(),
                    stats: Default::default(),
                    out: false,
                    conn: None,
                };
                self.hosts.insert(host.clone(), state);
            }
        }
        let active: Vec<String> = hosts
            .iter()
            .filter(|h| !self.hosts[h.as_str()].out)
            .cloned()
            .collect();
        let mut ctx = PlayCtx {
            play,
            play_vars: play.vars.clone(),
            hosts,
            active,
            notified: Notified::default(),
            playbook_dir: playbook_dir.display().to_string(),
        };
        if ctx.active.is_empty() {
            self.reporter.no_more_hosts();
            return false;
        }
        if play.gather_facts {
            self.gather_facts(&mut ctx).await;
        }
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            if section.is_empty() || ctx.active.is_empty() {
                continue;
            }
            let mut scope = ctx.active.clone();
            let failed = self.run_items(&mut ctx, section, &mut scope, false).await;
            self.fail_hosts(&mut ctx, &failed);
            if ctx.active.is_empty() {
                self.reporter.no_more_hosts();
                break;
            }
            self.flush_handlers(&mut ctx).await;
        }
        !ctx.active.is_empty()
    }

    /// The play's hosts: its pattern (templated with extra vars) within `--limit`.
    fn play_hosts(&self, play: &Play) -> Result<Vec<String>, String> {
        let pattern = self.render_or_raw(&play.hosts, &self.opts.extra_vars);
        let mut hosts = self.inventory.select(&pattern).map_err(|e| e.to_string())?;
        if let Some(limit) = &self.opts.limit {
            let allowed: HashSet<String> = self
                .inventory
                .select(limit)
                .map_err(|e| e.to_string())?
                .into_iter()
                .collect();
            hosts.retain(|h| allowed.contains(h));
        }
        Ok(hosts)
    }

    /// Renders a display string; on error shows it as written.
    pub(crate) fn render_or_raw(&self, text: &str, vars: &Vars) -> String {
        if !text.contains("{{") {
            return text.to_string();
        }
        match self.templar.render_str(text, vars) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => text.to_string(),
        }
    }
}
