//! `TASK [Gathering Facts]`: the play's implicit `gather_facts` task (arguments from the
//! play's `gather_subset`, `gather_timeout` and `fact_path`, rendered per host), ansible.cfg's
//! `gathering` (`implicit`, `explicit`, `smart`: skip hosts whose facts are known), and the
//! fact cache (`fact_caching = jsonfile`): read when a host first appears, written after
//! each gathering. The gathering itself is `facts/`.

use serde_json::Value as Json;

use crate::events::TaskKind;
use crate::executor::play_ctx::PlayCtx;
use crate::executor::{Executor, HostState};
use crate::facts::{self, FactCache};
use crate::modules::{setup, typed, ModuleSpec};
use crate::playbook::Task;

/// The module behind `TASK [Gathering Facts]`: `setup` (so `module_defaults` for `setup`
/// apply to it, as they apply to Ansible's gather_facts action calling setup).
static GATHER: ModuleSpec = ModuleSpec {
    name: "setup",
    args: Some(setup::arg_names),
    run: |ctx, args| Box::pin(typed("gather_facts", args, move |a| setup::run(ctx, a))),
    ..crate::modules::DEFAULTS
};

impl Executor {
    /// Runs `TASK [Gathering Facts]` on the play's active hosts (under `gathering = smart`,
    /// on those whose facts are not known yet).
    pub(crate) async fn gather_facts(&mut self, ctx: &mut PlayCtx<'_>) {
        let task = Task {
            name: Some("Gathering Facts".into()),
            when: ctx.play.when.clone(),
            opts: ctx.play.opts.clone(),
            args: Json::Object(ctx.play.gather_args.clone()),
            ..Task::empty(ctx.play.span.clone(), &GATHER)
        };
        let smart = crate::config::Config::global().text("DEFAULT_GATHERING") == Some("smart");
        let hosts: Vec<String> = ctx
            .active
            .iter()
            .filter(|h| !smart || !self.hosts.get(h.as_str()).is_some_and(gathered))
            .cloned()
            .collect();
        if hosts.is_empty() {
            return;
        }
        let failed = self
            .run_task(ctx, &task, TaskKind::Task, hosts.clone(), false)
            .await;
        self.fail_hosts(ctx, &failed);
        self.cache_facts(&hosts);
    }

    /// Writes the facts of `hosts` to the fact cache, if there is one.
    pub(crate) fn cache_facts(&self, hosts: &[String]) {
        let Some(cache) = fact_cache() else { return };
        for host in hosts {
            let Some(state) = self.hosts.get(host) else {
                continue;
            };
            if !gathered(state) {
                continue;
            }
            let mut kept = facts::Facts::new();
            for (k, v) in &state.facts {
                if k.starts_with("ansible_") && k != "ansible_facts"
                    || k == "module_setup"
                    || k == "gather_subset"
                {
                    kept.insert(k.clone(), v.clone());
                }
            }
            kept.insert("_ansible_facts_gathered".into(), Json::Bool(true));
            cache.set(host, &kept);
        }
    }
}

/// The run's fact cache (`jsonfile`), if ansible.cfg sets one up.
fn fact_cache() -> Option<&'static FactCache> {
    static CACHE: std::sync::OnceLock<Option<FactCache>> = std::sync::OnceLock::new();
    CACHE.get_or_init(FactCache::from_config).as_ref()
}

/// Whether a host's facts were gathered (this run, or a cached run).
fn gathered(state: &HostState) -> bool {
    state.facts.get("module_setup") == Some(&Json::Bool(true))
}

/// A new host's state with its cached facts, if the cache has them.
pub(crate) fn with_cached_facts(host: &str, mut state: HostState) -> HostState {
    let Some(cached) = fact_cache().and_then(|c| c.get(host)) else {
        return state;
    };
    let mut cached = cached;
    cached.remove("_ansible_facts_gathered");
    let existing = state.facts.get("ansible_facts").cloned();
    for (k, v) in facts::as_variables(&cached, existing.as_ref()) {
        state.facts.entry(k).or_insert(v);
    }
    state
}
