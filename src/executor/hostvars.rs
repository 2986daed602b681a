//! The variables a task sees on one host, in Ansible's precedence order. (The connection
//! settings read from them are resolved in `connection::options`.)
//!
//! Order (low → high): inventory (group, then host) < play vars < task vars < include_vars <
//! facts
//! (set_fact, register, gathered) < extra vars; magic variables on top.

use serde_json::Value as Json;

use crate::executor::play_ctx::PlayCtx;
use crate::executor::Executor;
use crate::playbook::fields::holds_template;
use crate::playbook::{Role, Task};
use crate::vars::Vars;

impl Executor {
    /// All variables of `host` for `task`.
    pub(crate) fn task_vars(&self, ctx: &PlayCtx<'_>, host: &str, task: &Task) -> Vars {
        let magic = self.wants_magic(ctx, host, task);
        let mut vars = self.scope_vars(ctx, host, &task.vars, task.role.as_deref(), magic);
        if mentions_hostvars(task, "hostvars")
            || ctx.play_vars.values().any(|v| mentions(v, "hostvars"))
        {
            vars.insert("hostvars".into(), self.hostvars());
            // Variables written as templates of `hostvars` could not render without it.
            let lazy = lazy_names(&vars);
            self.render_templated(&mut vars, &lazy);
        }
        // `vars`: every variable by name (`vars['app_' ~ env]`), built only when named.
        if mentions_hostvars(task, "vars[") || mentions_hostvars(task, "vars.") {
            let all = Json::Object(vars.clone());
            vars.insert("vars".into(), all);
        }
        vars
    }

    /// The `hostvars` magic variable: every host's inventory variables and facts. Built only
    /// for tasks that mention it (it is large).
    fn hostvars(&self) -> Json {
        let mut all = Vars::new();
        for name in self.inventory.hosts() {
            let peer = self.peers.as_ref().and_then(|p| p.get(name));
            let vars = match self.hosts.get(name).or(peer) {
                Some(state) => {
                    let mut v = state.inv_vars.clone();
                    v.extend(state.included_vars.clone());
                    v.extend(state.facts.clone());
                    v
                }
                None => {
                    // Facts given to a host no play has run on yet (`delegate_facts`).
                    let mut v = self.inventory.host_vars(name);
                    if let Some(given) = self.waiting_facts.get(name) {
                        v.extend(given.included_vars.clone());
                        v.extend(given.facts.clone());
                    }
                    v
                }
            };
            all.insert(name.to_string(), Json::Object(vars));
        }
        Json::Object(all)
    }

    /// Whether `task` on `host` may read the play-wide magic variables (`groups`, the play's
    /// host lists): lists of every host, which would make each host's variables grow with the
    /// fleet (500 hosts × 500 names per task). They are left out when nothing that can be
    /// rendered for the task names them: its own fields, the play's and its roles' variables,
    /// the host's included variables, the inventory and extra variables (checked once), and
    /// no file template, lookup or `with_<lookup>` loop (which may read any variable).
    fn wants_magic(&self, ctx: &PlayCtx<'_>, host: &str, task: &Task) -> bool {
        let names = |v: &Json| MAGIC_WORDS.iter().any(|w| mentions(v, w));
        let roles = ctx
            .public_roles
            .iter()
            .map(|r| &**r)
            .chain(task.role.as_deref());
        self.magic_in_inventory
            || task.module.name.contains("template")
            || task.module.name.contains("k8s")
            || task.loop_with.is_some()
            || MAGIC_WORDS
                .iter()
                .chain(["lookup", "query(", "q("].iter())
                .any(|w| mentions_hostvars(task, w))
            || ctx.play_vars.values().any(names)
            || roles
                .into_iter()
                .any(|r| r.defaults.values().any(names) || r.vars.values().any(names))
            || self.hosts[host].included_vars.values().any(names)
    }

    /// All variables of `host` with `local` vars (a task's or an include's) and a role's;
    /// with `magic`, the play-wide magic variables too (see [`Executor::wants_magic`]).
    pub(crate) fn scope_vars(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        local: &Vars,
        role: Option<&Role>,
        magic: bool,
    ) -> Vars {
        let state = &self.hosts[host];
        let mut vars = Vars::new();
        let publics = ctx.public_roles.iter().map(|r| &**r);
        // Every layer a person wrote may hold templates of other variables (role defaults
        // and inventory variables as much as play vars); facts and results are data.
        let mut templated: Vec<String> = Vec::new();
        let mut layers: Vec<&Vars> = publics.clone().chain(role).map(|r| &r.defaults).collect();
        layers.push(&state.inv_vars);
        layers.push(&ctx.play_vars);
        layers.extend(publics.chain(role).map(|r| &r.vars));
        layers.push(local);
        layers.push(&state.included_vars);
        for layer in layers {
            for (k, v) in layer {
                if holds_template(v) {
                    templated.push(k.clone());
                }
                vars.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &state.facts {
            vars.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.opts.extra_vars {
            vars.insert(k.clone(), v.clone());
        }
        if magic {
            self.insert_magic(ctx, &mut vars);
        }
        vars.insert("playbook_dir".into(), ctx.playbook_dir.clone().into());
        vars.insert("ansible_check_mode".into(), self.opts.check.into());
        vars.insert("ansible_diff_mode".into(), self.opts.diff.into());
        vars.insert("omit".into(), crate::template::OMIT.into());
        if let Some(name) = &ctx.play.name {
            vars.insert("ansible_play_name".into(), name.clone().into());
        }
        if let Some(role) = role {
            vars.insert("role_path".into(), role.path.display().to_string().into());
            vars.insert("role_name".into(), role.name.clone().into());
        }
        self.run_magic_vars(&mut vars);
        self.render_templated(&mut vars, &templated);
        if !templated.is_empty() {
            let names = templated.into_iter().map(Json::String).collect();
            vars.insert(crate::template::LAZY.into(), Json::Array(names));
        }
        vars
    }
}

impl Executor {
    /// Vars defined as templates of other vars resolve lazily in Ansible; here those named
    /// `templated` are rendered against everything else (twice, for one level of chaining);
    /// one that does not render yet stays as written.
    fn render_templated(&self, vars: &mut Vars, templated: &[String]) {
        for _ in 0..2 {
            for key in templated {
                if let Some(v) = vars.get(key).filter(|v| holds_template(v)).cloned() {
                    if let Ok(r) = self.templar.render_value(&v, vars) {
                        vars.insert(key.clone(), r);
                    }
                }
            }
        }
    }
}

/// The names of the variables [`Executor::scope_vars`] found written as templates.
fn lazy_names(vars: &Vars) -> Vec<String> {
    match vars.get(crate::template::LAZY) {
        Some(Json::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl Executor {
    /// `groups` and the play's host lists.
    fn insert_magic(&self, ctx: &PlayCtx<'_>, vars: &mut Vars) {
        let hosts: Vec<Json> = ctx.hosts.iter().map(|h| Json::String(h.clone())).collect();
        // Under the free strategies a host runs alone: its batch is the hosts it started with.
        let running = if ctx.together.is_empty() {
            ctx.active.clone()
        } else {
            self.shared.still_in(&ctx.together)
        };
        let active: Vec<Json> = running.iter().map(|h| Json::String(h.clone())).collect();
        vars.insert("groups".into(), self.groups.clone());
        vars.insert("play_hosts".into(), Json::Array(active.clone()));
        vars.insert("ansible_play_hosts".into(), Json::Array(active.clone()));
        vars.insert("ansible_play_batch".into(), Json::Array(active));
        vars.insert("ansible_play_hosts_all".into(), Json::Array(hosts));
    }
}

/// What names the play-wide magic variables (`vars[...]` may name any).
const MAGIC_WORDS: &[&str] = &["groups", "play_hosts", "play_batch", "vars[", "vars."];

/// Whether any inventory variable of any host, or an extra variable, names a magic variable.
pub(crate) fn inventory_names_magic(inventory: &crate::inventory::Inventory, extra: &Vars) -> bool {
    let names = |v: &Json| MAGIC_WORDS.iter().any(|w| mentions(v, w));
    extra.values().any(names)
        || inventory
            .hosts()
            .any(|h| inventory.host_vars(h).values().any(names))
}

impl Executor {
    /// The magic variables of the run: `ansible_version` (the ansible-core whose behaviour
    /// ferry follows), `ansible_forks`, `ansible_run_tags`, `ansible_skip_tags`,
    /// `ansible_verbosity`, `ansible_limit`, `ansible_config_file`.
    fn run_magic_vars(&self, vars: &mut Vars) {
        let run_tags: Vec<Json> = if self.opts.tags.is_empty() {
            vec!["all".into()]
        } else {
            self.opts.tags.iter().map(|t| t.clone().into()).collect()
        };
        let skip_tags: Vec<Json> = self
            .opts
            .skip_tags
            .iter()
            .map(|t| t.clone().into())
            .collect();
        vars.insert(
            "ansible_version".into(),
            serde_json::json!({
                "full": ANSIBLE_VERSION, "major": 2, "minor": 18, "revision": 0,
                "string": ANSIBLE_VERSION,
            }),
        );
        vars.insert("ansible_forks".into(), self.opts.forks.into());
        vars.insert("ansible_run_tags".into(), Json::Array(run_tags));
        vars.insert("ansible_skip_tags".into(), Json::Array(skip_tags));
        vars.insert("ansible_verbosity".into(), self.opts.verbosity.into());
        if let Some(limit) = &self.opts.limit {
            vars.insert("ansible_limit".into(), limit.clone().into());
        }
        vars.entry("ansible_config_file").or_insert(Json::Null);
    }
}

/// The ansible-core release whose behaviour ferry follows, as `ansible_version` reports it.
const ANSIBLE_VERSION: &str = "2.18.0";

fn mentions_hostvars(task: &Task, word: &str) -> bool {
    let conds = task
        .when
        .iter()
        .chain(task.changed_when.iter().flatten())
        .chain(task.failed_when.iter().flatten())
        .chain(task.until.iter().flatten());
    let o = &task.opts;
    // Keywords rendered with the host's variables (`delegate_to: "{{ groups.web[0] }}"`).
    let keywords = [
        &o.delegate_to,
        &o.become_user,
        &o.become_exe,
        &o.become_flags,
        &o.connection,
        &o.remote_user,
    ];
    mentions(&task.args, word)
        || keywords
            .iter()
            .any(|k| k.as_deref().is_some_and(|t| t.contains(word)))
        || task.loop_items.as_ref().is_some_and(|l| mentions(l, word))
        || task.vars.values().any(|v| mentions(v, word))
        || conds.into_iter().any(|c| c.expr.contains(word))
}

fn mentions(v: &Json, word: &str) -> bool {
    match v {
        Json::String(s) => s.contains(word),
        Json::Array(items) => items.iter().any(|i| mentions(i, word)),
        Json::Object(m) => m.values().any(|i| mentions(i, word)),
        _ => false,
    }
}
