//! One play: its keywords read one at a time (`hosts`, `vars`, `vars_files`, `serial`,
//! `max_fail_percentage`, the task sections, `roles`, `handlers` and the inherited keywords),
//! then finished: role tasks and handlers put in place, every `notify` checked against the
//! play's handlers, the play's inherited keywords pushed down into its tasks.
//!
//! Reading the playbook file and `import_playbook` is `load.rs`; a task is `task.rs`; blocks,
//! includes and roles are `block.rs`, `include.rs` and `role.rs`.

use std::path::Path;

use crate::error::{did_you_mean, LoadError, LoadErrors};
use crate::playbook::block::parse_items;
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::{parse_bool, parse_string, parse_vars};
use crate::playbook::inherit::{Inherit, INHERITED};
use crate::playbook::keywords::{PLAY_SUPPORTED, PLAY_UNSUPPORTED};
use crate::playbook::model::{
    AtPlayStart, HostOrder, Include, Item, LaterVarsFile, Play, Serial, Strategy, Task,
};
use crate::playbook::role::parse_roles;
use crate::playbook::search::parse_collections;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

/// Reads one play of a playbook (a mapping of play keywords).
pub(crate) fn parse_play(ctx: &mut LoadCtx, node: &Node) -> Result<Play, LoadErrors> {
    ctx.handlers.clear();
    ctx.handler_includes.clear();
    ctx.roles_seen.clear();
    ctx.roles.clear();
    let Some(entries) = node.as_map() else {
        return Err(node
            .error(format!(
                "a play must be a mapping, found {}",
                node.type_name()
            ))
            .into());
    };
    let mut parts = PlayParts {
        play: empty_play(node),
        has_hosts: false,
        roles: Vec::new(),
    };
    let mut errors = Vec::new();
    match default_strategy() {
        Ok(s) => parts.play.strategy = s,
        Err(e) => errors.push(node.error(e)),
    }
    // The play's collections apply to all its tasks, wherever the keyword is written.
    let own = node.get("collections").map(parse_collections).transpose();
    let own = own.unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    ctx.search.collections = ctx.search.scope_list(own);
    for (key, value) in entries {
        if let Err(e) = parts.keyword(ctx, key, value) {
            errors.extend(e.0);
        }
    }
    if !parts.has_hosts && errors.is_empty() {
        errors.push(
            node.error("this play has no 'hosts'")
                .with_hint("add 'hosts: all' or a host pattern"),
        );
    }
    if !errors.is_empty() {
        return Err(LoadErrors(errors));
    }
    let play = finish_play(ctx, parts.play, parts.roles, &mut errors);
    if errors.is_empty() {
        Ok(play)
    } else {
        Err(LoadErrors(errors))
    }
}

/// A play with nothing set yet.
fn empty_play(node: &Node) -> Play {
    Play {
        name: None,
        span: node.span.clone(),
        hosts: String::new(),
        hosts_at: node.span.clone(),
        vars: Vars::new(),
        // ansible.cfg's `gathering = explicit` gathers only where a play asks.
        gather_facts: crate::config::Config::global().text("DEFAULT_GATHERING") != Some("explicit"),
        gather_facts_set: false,
        gather_args: serde_json::Map::new(),
        when: Vec::new(),
        opts: Inherit {
            any_errors_fatal: crate::config::Config::global()
                .bool("ANY_ERRORS_FATAL")
                .filter(|fatal| *fatal)
                .map(crate::playbook::Flag::Const),
            ..Inherit::default()
        },
        vars_files: Vec::new(),
        prompts: Vec::new(),
        vars_files_later: Vec::new(),
        serial: AtPlayStart::Const(Vec::new()),
        order: HostOrder::default(),
        max_fail_percentage: None,
        force_handlers: false,
        strategy: Strategy::Linear,
        pre_tasks: Vec::new(),
        tasks: Vec::new(),
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        handler_includes: Default::default(),
        roles: Vec::new(),
    }
}

/// A play while its keywords are read.
struct PlayParts {
    play: Play,
    has_hosts: bool,
    /// The tasks of `roles:`, which run before `tasks:`.
    roles: Vec<Item>,
}

impl PlayParts {
    /// Reads one play keyword.
    fn keyword(&mut self, ctx: &mut LoadCtx, key: &Node, value: &Node) -> Result<(), LoadErrors> {
        let play = &mut self.play;
        match key.key_string().as_str() {
            "name" => parse_string(value, "name")
                .map(|s| play.name = Some(s))
                .map_err(Into::into),
            "hosts" => parse_hosts(value).map(|h| {
                self.has_hosts = true;
                play.hosts = h;
                play.hosts_at = value.span.clone();
            }),
            // vars_files read before (written above `vars:`) still rank above play vars.
            "vars" => parse_vars(value)
                .map(|mut v| {
                    v.extend(std::mem::take(&mut play.vars));
                    play.vars = v;
                })
                .map_err(Into::into),
            "collections" => Ok(()),
            "gather_facts" => parse_bool(value, "gather_facts")
                .map(|b| {
                    play.gather_facts = b;
                    play.gather_facts_set = true;
                })
                .map_err(Into::into),
            "gather_subset" | "gather_timeout" | "fact_path" => {
                parse_gather_arg(key, value).map(|(k, v)| {
                    play.gather_args.insert(k, v);
                })
            }
            "vars_files" => parse_vars_files(value, play),
            "vars_prompt" => crate::playbook::prompt::parse_prompts(value)
                .map(|p| play.prompts = p)
                .map_err(Into::into),
            "serial" => at_play_start(value, Serial::sizes)
                .map(|s| play.serial = s)
                .map_err(Into::into),
            "order" => match parse_string(value, "order").map(|o| HostOrder::from_name(&o)) {
                Ok(Some(order)) => {
                    play.order = order;
                    Ok(())
                }
                Ok(None) => Err(value
                    .error("'order' must be inventory, reverse_inventory, sorted, reverse_sorted or shuffle")
                    .into()),
                Err(e) => Err(e.into()),
            },
            "max_fail_percentage" => at_play_start(value, Serial::percent)
                .map(|p| play.max_fail_percentage = Some(p))
                .map_err(Into::into),
            "strategy" => parse_strategy(value)
                .map(|s| play.strategy = s)
                .map_err(Into::into),
            "force_handlers" => parse_bool(value, "force_handlers")
                .map(|b| play.force_handlers = b)
                .map_err(Into::into),
            other if INHERITED.contains(&other) => play
                .opts
                .parse(other, value)
                .unwrap_or(Ok(()))
                .map_err(Into::into),
            "pre_tasks" => parse_items(ctx, value, "pre_tasks").map(|t| play.pre_tasks = t),
            "roles" => parse_roles(ctx, value).map(|t| self.roles = t),
            "tasks" => parse_items(ctx, value, "tasks").map(|t| play.tasks = t),
            "post_tasks" => parse_items(ctx, value, "post_tasks").map(|t| play.post_tasks = t),
            "handlers" => parse_handlers(ctx, value).map(|(handlers, includes)| {
                play.handlers = handlers;
                play.handler_includes = includes;
            }),
            other => Err(unknown_play_keyword(key, other).into()),
        }
    }
}

/// `gather_subset` (a list or comma-separated words), `gather_timeout` (a number) or
/// `fact_path` (a path): checked here unless templated, rendered when facts are gathered.
fn parse_gather_arg(key: &Node, value: &Node) -> Result<(String, serde_json::Value), LoadErrors> {
    let name = key.key_string();
    let json = value.to_json();
    if crate::playbook::fields::holds_template(&json) {
        return Ok((name, json));
    }
    let ok = match (name.as_str(), &json) {
        ("gather_subset", serde_json::Value::Array(items)) => items.iter().all(|i| i.is_string()),
        ("gather_subset", serde_json::Value::String(_)) => true,
        ("gather_timeout", serde_json::Value::Number(n)) => n.is_u64(),
        ("gather_timeout", serde_json::Value::String(t)) => t.trim().parse::<u64>().is_ok(),
        ("fact_path", serde_json::Value::String(_)) => true,
        _ => false,
    };
    if !ok {
        let want = match name.as_str() {
            "gather_subset" => {
                "a list of subset names (all, min, hardware, network, virtual, !name, ...)"
            }
            "gather_timeout" => "a whole number of seconds",
            _ => "a path",
        };
        return Err(value
            .error(format!(
                "'{name}' must be {want}, found {}",
                value.type_name()
            ))
            .into());
    }
    Ok((name, json))
}

/// A play keyword ferry refuses, or does not know (with a did-you-mean).
fn unknown_play_keyword(key: &Node, other: &str) -> LoadError {
    let supported = || format!("supported play keywords: {}", PLAY_SUPPORTED.join(", "));
    if PLAY_UNSUPPORTED.contains(&other) {
        return key
            .error(format!(
                "play keyword '{other}' is not supported by ferry yet"
            ))
            .with_hint(supported());
    }
    let e = key.error(format!("unknown play keyword '{other}'"));
    let cands = PLAY_SUPPORTED.iter().chain(PLAY_UNSUPPORTED).copied();
    match did_you_mean(other, cands) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(supported()),
    }
}

/// Handlers, and the indexes of those that are dynamic includes.
type Handlers = (Vec<Task>, std::collections::HashMap<usize, Include>);

/// `handlers:`: handlers, `import_tasks` of files of handlers (read now, as tasks are), and
/// `include_tasks`/`include_role` handlers (read when notified, as Ansible reads them).
fn parse_handlers(ctx: &mut LoadCtx, node: &Node) -> Result<Handlers, LoadErrors> {
    ctx.in_handlers = true;
    let items = parse_items(ctx, node, "handlers");
    ctx.in_handlers = false;
    let mut handlers = (Vec::new(), Default::default());
    flatten(items?, &mut handlers);
    Ok(handlers)
}

/// The tasks of `items`, in order; an include stands as its own task.
fn flatten(items: Vec<Item>, out: &mut Handlers) {
    for item in items {
        match item {
            Item::Task(t) => out.0.push(*t),
            Item::Block(b) => {
                for section in [b.block, b.rescue, b.always] {
                    flatten(section, out);
                }
            }
            Item::Include(i) => {
                let task = i.task.clone();
                out.1.insert(out.0.len(), *i);
                out.0.push(task);
            }
        }
    }
}

/// Roles' tasks before the play's, role handlers before the play's, notify checked, and the
/// play's inherited keywords pushed down into every task and handler.
fn finish_play(
    ctx: &mut LoadCtx,
    mut play: Play,
    mut roles: Vec<Item>,
    errors: &mut Vec<LoadError>,
) -> Play {
    roles.append(&mut play.tasks);
    play.tasks = roles;
    let mut handlers = std::mem::take(&mut ctx.handlers);
    // Role handlers come first: the play's include handlers move down by as many.
    let shift = handlers.len();
    play.handler_includes = std::mem::take(&mut play.handler_includes)
        .into_iter()
        .map(|(i, inc)| (i + shift, inc))
        .chain(std::mem::take(&mut ctx.handler_includes))
        .collect();
    handlers.append(&mut play.handlers);
    play.handlers = handlers;
    play.roles = std::mem::take(&mut ctx.roles);
    check_notify(&play, errors);
    let opts = play.opts.clone();
    for section in [&mut play.pre_tasks, &mut play.tasks, &mut play.post_tasks] {
        Item::visit_mut(section, &mut |t| t.opts.inherit_from(&opts));
        Item::visit_includes_mut(section, &mut |i| i.outer.inherit_from(&opts));
    }
    for h in &mut play.handlers {
        h.opts.inherit_from(&opts);
    }
    for inc in play.handler_includes.values_mut() {
        inc.task.opts.inherit_from(&opts);
        inc.outer.inherit_from(&opts);
    }
    play
}

/// `vars_files:` found now (relative to the playbook, or its `vars/`) are read into the play's
/// vars (above play vars, as Ansible ranks them); an entry may be a list, of which the first
/// file found is read. An entry with a templated name, or whose file is not there yet, is
/// read when the play starts (Ansible reads them then, and skips what it cannot find).
fn parse_vars_files(value: &Node, play: &mut Play) -> Result<(), LoadErrors> {
    let entries: Vec<&Node> = match &value.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Null => Vec::new(),
        _ => vec![value],
    };
    let base = value
        .span
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for entry in entries {
        let names: Vec<String> = match &entry.kind {
            NodeKind::Seq(items) => items
                .iter()
                .map(|n| parse_string(n, "vars_files"))
                .collect::<Result<_, _>>()?,
            _ => vec![parse_string(entry, "vars_files")?],
        };
        let templated = names.iter().any(|n| n.contains("{{") || n.contains("{%"));
        let found = names.iter().find_map(|n| vars_file_path(&base, n));
        match found {
            Some(path) if !templated => {
                play.vars.extend(read_vars_file(&path)?);
                play.vars_files.push(path.display().to_string());
            }
            _ => play.vars_files_later.push(LaterVarsFile {
                names,
                base: base.clone(),
                at: entry.span.clone(),
            }),
        }
    }
    Ok(())
}

/// Where vars file `name` is, from `base`: `base/vars/name` or `base/name`.
pub(crate) fn vars_file_path(base: &Path, name: &str) -> Option<std::path::PathBuf> {
    let name = crate::paths::expand_tilde(name);
    [base.join("vars").join(&name), base.join(&name)]
        .into_iter()
        .find(|p| p.is_file())
}

/// A vars file's variables: a mapping, or a list of mappings (merged in order), or nothing.
pub fn read_vars_file(path: &Path) -> Result<Vars, LoadError> {
    let node = yaml::load_file(path)?;
    let mut vars = Vars::new();
    let parts = match node.to_json() {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    for part in parts {
        match part {
            serde_json::Value::Object(m) => vars.extend(m),
            serde_json::Value::Null => {}
            _ => {
                return Err(node
                    .error("a vars file must hold a mapping, or a list of mappings")
                    .with_hint("write 'name: value' lines"))
            }
        }
    }
    Ok(vars)
}

/// `serial: 2`, `serial: "30%"`, `serial: [1, 5, "50%"]`, `max_fail_percentage: 30`: read
/// now, or when the play starts if the value holds a template.
fn at_play_start<T>(
    value: &Node,
    read: fn(&serde_json::Value) -> Result<T, String>,
) -> Result<AtPlayStart<T>, LoadError> {
    let json = value.to_json();
    if crate::playbook::fields::holds_template(&json) {
        return Ok(AtPlayStart::Template(json, value.span.clone()));
    }
    read(&json)
        .map(AtPlayStart::Const)
        .map_err(|e| value.error(e))
}

/// `strategy: free`; ferry runs linear, free and host_pinned.
fn parse_strategy(value: &Node) -> Result<Strategy, LoadError> {
    let name = parse_string(value, "strategy")?;
    Strategy::from_name(&name).ok_or_else(|| {
        value
            .error(format!("invalid play strategy specified: '{name}'"))
            .with_hint(format!("ferry runs: {}", Strategy::NAMES.join(", ")))
    })
}

/// The strategy of plays that do not name one: ansible.cfg's `[defaults] strategy` or
/// `ANSIBLE_STRATEGY`, else linear.
fn default_strategy() -> Result<Strategy, String> {
    let config = crate::config::Config::global();
    match config.text("DEFAULT_STRATEGY") {
        None => Ok(Strategy::Linear),
        Some(name) => Strategy::from_name(name).ok_or_else(|| {
            format!(
                "invalid strategy '{name}' in the DEFAULT_STRATEGY setting (ansible.cfg or ANSIBLE_STRATEGY); ferry runs: {}",
                Strategy::NAMES.join(", ")
            )
        }),
    }
}

fn parse_hosts(value: &Node) -> Result<String, LoadErrors> {
    match &value.kind {
        NodeKind::Str(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        NodeKind::Seq(items) => {
            let mut names = Vec::new();
            for item in items {
                names.push(parse_string(item, "hosts")?);
            }
            Ok(names.join(":"))
        }
        _ => Err(value
            .error(format!(
                "'hosts' must be a host pattern, found {}",
                value.type_name()
            ))
            .into()),
    }
}

/// Every `notify` must name a handler (by name or `listen` topic) of the same play.
fn check_notify(play: &Play, errors: &mut Vec<LoadError>) {
    let mut known: Vec<String> = Vec::new();
    for h in &play.handlers {
        known.extend(h.name.iter().cloned());
        known.extend(h.listen.iter().cloned());
        if let (Some(role), Some(name)) = (&h.role, &h.name) {
            known.push(h.display_name());
            known.push(format!("{} : {name}", role.name));
        }
    }
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut all_tasks: Vec<&Task> = Vec::new();
    for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
        Item::visit(section, &mut |t| all_tasks.push(t));
    }
    all_tasks.extend(play.handlers.iter());
    for task in all_tasks {
        for (name, span) in &task.notify {
            if name.contains("{{") || known.contains(&name.as_str()) {
                continue;
            }
            let e = LoadError::at(
                span,
                format!("notify: no handler named or listening to '{name}' in this play"),
            );
            errors.push(match did_you_mean(name, known.iter().copied()) {
                Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                None if known.is_empty() => e.with_hint("this play has no handlers"),
                None => e.with_hint(format!("handlers of this play: {}", known.join(", "))),
            });
        }
    }
}
