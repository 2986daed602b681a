//! One play: choose its hosts, split them into `serial` batches, and for each batch gather
//! facts, run pre_tasks, tasks and post_tasks (flushing handlers after each section).

use std::collections::HashSet;
use std::path::Path;

use crate::executor::play_ctx::PlayCtx;
use crate::executor::select::tags_selected;
use crate::executor::{Executor, HostState};
use crate::inventory::PatternError;
use serde_json::Value as Json;

use crate::error::LoadError;
use crate::playbook::{AtPlayStart, Play, Serial, Strategy};
use crate::vars::Vars;

impl Executor {
    /// Runs one play; false when the playbook must stop (no host left, or a fatal failure).
    pub(crate) async fn run_play(
        &mut self,
        play: &Play,
        playbook_dir: &Path,
        prompted: Vars,
    ) -> bool {
        let name = self.render_or_raw(play.display_name(), &self.opts.extra_vars.clone());
        self.reporter.play_start(&name);
        self.reporter
            .play_strategy(play.strategy != Strategy::Linear);
        let hosts = match self.play_hosts(play) {
            Ok(h) => h,
            Err(e) => {
                self.reporter.warning(&e.to_string());
                Vec::new()
            }
        };
        if hosts.is_empty() {
            self.reporter.no_hosts_matched();
            return true;
        }
        for host in &hosts {
            if !self.hosts.contains_key(host) {
                let waiting = self.waiting_facts.remove(host).unwrap_or_default();
                let state = HostState {
                    inv_vars: self.inventory.host_vars(host),
                    ..waiting
                };
                let state = super::facts::with_cached_facts(host, state);
                self.hosts.insert(host.clone(), state);
            }
        }
        let play_vars = match self.play_vars(play, &playbook_dir.display().to_string()) {
            Ok(vars) => vars,
            Err(e) => {
                self.fatal = Some(e.into());
                return false;
            }
        };
        let mut play_vars = play_vars;
        play_vars.extend(prompted);
        let (serial, max_fail) = match self.at_play_start(play, &play_vars) {
            Ok(values) => values,
            Err(e) => {
                self.fatal = Some(e.into());
                return false;
            }
        };
        // As ansible-core: batches are cut from all the play's hosts, those out of the run
        // (failed or unreachable in an earlier play) included; they run nothing, and a batch is
        // lost only when all of its hosts fail in it.
        for (n, batch) in batches(&hosts, &serial).into_iter().enumerate() {
            if n > 0 {
                self.reporter.play_batch(&name);
            }
            let mut ctx = PlayCtx::new(play, hosts.clone(), batch, playbook_dir);
            ctx.active.retain(|h| !self.hosts[h.as_str()].out);
            if ctx.active.is_empty() {
                continue;
            }
            ctx.play_vars = play_vars.clone();
            ctx.max_fail = max_fail;
            if play.strategy == Strategy::Linear {
                self.run_batch(&mut ctx).await;
            } else {
                self.run_batch_free(&mut ctx).await;
            }
            if self.fatal.is_some() {
                return false;
            }
            self.announce_no_hosts_left(&ctx);
            let batch_lost = !ctx.end_play && ctx.failed.len() == ctx.batch.len();
            if ctx.abort || batch_lost {
                return false;
            }
            if ctx.end_play {
                break;
            }
        }
        true
    }

    /// "NO MORE HOSTS LEFT" where ansible-core 2.18 shows it: twice when the linear strategy
    /// trips `max_fail_percentage` (both of its checks fire), once when a free strategy's
    /// hosts are all unreachable; not when hosts merely failed.
    fn announce_no_hosts_left(&self, ctx: &PlayCtx<'_>) {
        let times = if ctx.play.strategy == Strategy::Linear {
            if ctx.max_fail_hit {
                2
            } else {
                0
            }
        } else {
            let unreachable = |h: &String| self.hosts[h.as_str()].stats.unreachable > 0;
            usize::from(ctx.batch.iter().all(unreachable))
        };
        for _ in 0..times {
            self.reporter.no_more_hosts();
        }
    }

    pub(crate) async fn run_batch(&mut self, ctx: &mut PlayCtx<'_>) {
        let play = ctx.play;
        let always = ["always".to_string()];
        if play.gather_facts && tags_selected(&always, &self.opts.tags, &self.opts.skip_tags) {
            self.gather_facts(ctx).await;
        }
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            if section.is_empty() || ctx.active.is_empty() || ctx.abort {
                continue;
            }
            let mut scope = ctx.active.clone();
            let failed = self.run_items(ctx, section, &mut scope, false).await;
            self.fail_hosts(ctx, &failed);
            if ctx.abort {
                for host in ctx.active.clone() {
                    if let Some(state) = self.hosts.get_mut(&host) {
                        state.out = true;
                    }
                }
                ctx.active.clear();
            }
            if !ctx.end_play {
                self.flush_handlers(ctx).await;
            }
        }
    }

    /// `serial` and `max_fail_percentage`, rendered with the play's vars and the extra vars
    /// (as Ansible renders them when the play starts); a value that does not render or fit
    /// stops the run, as it stops ansible-playbook.
    fn at_play_start(
        &self,
        play: &Play,
        play_vars: &Vars,
    ) -> Result<(Vec<Serial>, Option<f64>), LoadError> {
        let mut vars = play_vars.clone();
        vars.extend(self.opts.extra_vars.clone());
        vars.insert("groups".into(), self.groups.clone());
        let serial = self.play_value("serial", &play.serial, &vars, Serial::sizes)?;
        let max_fail = match &play.max_fail_percentage {
            Some(pct) => {
                Some(self.play_value("max_fail_percentage", pct, &vars, Serial::percent)?)
            }
            None => None,
        };
        Ok((serial, max_fail))
    }

    fn play_value<T: Clone>(
        &self,
        name: &str,
        value: &AtPlayStart<T>,
        vars: &Vars,
        read: fn(&Json) -> Result<T, String>,
    ) -> Result<T, LoadError> {
        let (raw, at) = match value {
            AtPlayStart::Const(v) => return Ok(v.clone()),
            AtPlayStart::Template(raw, at) => (raw, at),
        };
        let shown = raw.as_str().map_or_else(|| raw.to_string(), String::from);
        let invalid = |why: String| {
            LoadError::at(
                at,
                format!("the field '{name}' has an invalid value ('{shown}'): {why}"),
            )
        };
        let rendered = self
            .templar
            .render_value(raw, vars)
            .map_err(|e| invalid(e.to_string()))?;
        read(&rendered).map_err(invalid)
    }

    /// The play's hosts: its pattern (templated with extra vars) within `--limit`.
    pub(super) fn play_hosts(&self, play: &Play) -> Result<Vec<String>, PatternError> {
        let pattern = self.pattern(play);
        let mut hosts = self.inventory.select(&pattern)?;
        if let Some(limit) = &self.opts.limit {
            let allowed: HashSet<String> = self.inventory.select(limit)?.into_iter().collect();
            hosts.retain(|h| allowed.contains(h));
        }
        hosts.retain(|h| !self.shard_out.contains(h));
        play.order.apply(&mut hosts);
        Ok(hosts)
    }

    /// What `--list-hosts` shows of `play`: its pattern as rendered and its hosts as a run
    /// would select them (`--limit`, `order`); none when the pattern does not select.
    pub fn listed_hosts(&self, play: &Play) -> (String, Vec<String>) {
        (
            self.pattern(play),
            self.play_hosts(play).unwrap_or_default(),
        )
    }

    /// The play's host pattern, rendered as the load-time check renders it
    /// (`playbook::check_hosts`): with the play's vars and the extra vars.
    fn pattern(&self, play: &Play) -> String {
        let mut vars = play.vars.clone();
        vars.extend(self.opts.extra_vars.clone());
        vars.insert("groups".into(), self.groups.clone());
        self.render_or_raw(&play.hosts, &vars)
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

/// Splits hosts into `serial` batches (the last size repeats; percentages round down, min 1).
fn batches(hosts: &[String], serial: &[Serial]) -> Vec<Vec<String>> {
    if serial.is_empty() {
        return vec![hosts.to_vec()];
    }
    let total = hosts.len();
    let mut out = Vec::new();
    let mut rest = hosts;
    let mut i = 0;
    while !rest.is_empty() {
        let spec = serial[i.min(serial.len() - 1)];
        let size = match spec {
            Serial::Count(0) => total,
            Serial::Count(n) => n,
            Serial::Percent(p) => ((total as f64 * p / 100.0) as usize).max(1),
        };
        let take = size.min(rest.len());
        out.push(rest[..take].to_vec());
        rest = &rest[take..];
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_batches() {
        let hosts: Vec<String> = (1..=7).map(|i| format!("h{i}")).collect();
        let sizes = |s: &[Serial]| batches(&hosts, s).iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(&[]), vec![7]);
        assert_eq!(sizes(&[Serial::Count(2)]), vec![2, 2, 2, 1]);
        assert_eq!(sizes(&[Serial::Count(1), Serial::Count(3)]), vec![1, 3, 3]);
        assert_eq!(sizes(&[Serial::Percent(30.0)]), vec![2, 2, 2, 1]);
        assert_eq!(sizes(&[Serial::Percent(1.0)]), vec![1; 7]);
    }
}
