//! Parsing one task (or handler) and the typed keyword values it holds.
//!
//! A key is a task keyword, a real Ansible keyword ferry refuses, or the task's one module.

use serde_json::Value as Json;

use crate::error::{did_you_mean, LoadError, LoadErrors};
use crate::modules::{self, FreeForm, ModuleSpec};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::{
    parse_count_or_template, parse_names, parse_string, parse_vars, Count,
};
use crate::playbook::inherit::INHERITED;
use crate::playbook::keywords::{TASK_SUPPORTED, TASK_UNSUPPORTED};
use crate::playbook::loops;
use crate::playbook::model::{Condition, Task};
use crate::playbook::search::{parse_collections, Unresolved};
use crate::text::parse_free_form;
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

/// The task's module: its name as written, and its inline arguments.
struct Action<'a> {
    spec: &'static ModuleSpec,
    /// The module's name as the task wrote it.
    name: String,
    /// Inline arguments (free-form text or a mapping); owned for `action:` forms.
    value: std::borrow::Cow<'a, Node>,
    /// `action: {module: shell echo hi, chdir: /tmp}`: the mapping's other keys, below the
    /// inline text.
    mapped: Option<&'a Node>,
}

pub(crate) fn parse_task(ctx: &LoadCtx, node: &Node, handler: bool) -> Result<Task, LoadErrors> {
    let Some(entries) = node.as_map() else {
        return Err(node
            .error(format!(
                "a task must be a mapping, found {}",
                node.type_name()
            ))
            .into());
    };
    let mut parts = TaskParts {
        task: Task::empty(node.span.clone(), &modules::DEFAULTS),
        handler,
        action: None,
        extra_args: None,
        local: false,
        async_key: None,
        collections: None,
        old_style: Vec::new(),
        others: Vec::new(),
    };
    let mut errors: Vec<LoadError> = Vec::new();
    for (key, value) in entries {
        if let Err(e) = parts.keyword(key, value) {
            errors.push(e);
        }
    }
    // The module is found once the task's own `collections` are known.
    let list = ctx
        .search
        .task_list(ctx.role.is_some(), parts.collections.take());
    for (key, value) in std::mem::take(&mut parts.old_style) {
        if let Err(e) = parts.old_style(ctx, &list, key, value) {
            errors.push(e);
        }
    }
    for (key, value) in std::mem::take(&mut parts.others) {
        if let Err(e) = parts.module(ctx, &list, key, value) {
            errors.push(e);
        }
    }
    let mut task = parts.task;
    if parts.local {
        // As Ansible's ModuleArgsParser: local_action wins over a delegate_to keyword.
        task.opts.delegate_to = Some("localhost".into());
    }
    if let (Some(key), Some(a)) = (parts.async_key, &parts.action) {
        // A template is checked when it is rendered (it may say 0, or omit).
        if !a.spec.background && matches!(task.async_val, Some(Count::Const(n)) if n > 0) {
            errors.push(
                key.error(format!(
                    "async is not supported by ferry for module '{}'",
                    a.spec.name
                ))
                .with_hint(format!(
                    "ferry runs these as background jobs: {}",
                    background_modules()
                )),
            );
        }
    }
    match parts.action {
        Some(a) => match module_args(&a, parts.extra_args) {
            Ok(args) => {
                task.module = a.spec;
                task.args = Json::Object(args);
            }
            Err(e) => errors.push(e),
        },
        None if errors.is_empty() => errors.push(
            node.error("no module in this task")
                .with_hint("a task names one module, e.g. 'command: /bin/true'"),
        ),
        None => {}
    }
    if task.meta() == Some("end_role") {
        errors.extend(misplaced_end_role(ctx, handler, node));
    }
    if errors.is_empty() {
        Ok(task)
    } else {
        Err(LoadErrors(errors))
    }
}

/// `meta: end_role` outside a role's tasks, refused as ansible-core refuses it at load.
fn misplaced_end_role(ctx: &LoadCtx, handler: bool, node: &Node) -> Option<LoadError> {
    let why = if handler || ctx.in_handlers {
        "Cannot execute 'end_role' from a handler"
    } else if ctx.role.is_none() {
        "Cannot execute 'end_role' from outside of a role"
    } else {
        return None;
    };
    Some(node.error(why))
}

/// A task while its keys are read: keywords, and the one module key.
struct TaskParts<'a> {
    task: Task,
    handler: bool,
    action: Option<Action<'a>>,
    /// `args:`, merged into the module's arguments.
    extra_args: Option<&'a Node>,
    /// `local_action:` was used: the task is delegated to localhost.
    local: bool,
    /// Where `async:` was written.
    async_key: Option<&'a Node>,
    /// The task's own `collections`.
    collections: Option<Vec<String>>,
    /// The keys that are no keyword: the module's (one of them).
    others: Vec<(&'a Node, &'a Node)>,
    /// `action:` / `local_action:` keys, read once the task's `collections` are known.
    old_style: Vec<(&'a Node, &'a Node)>,
}

impl<'a> TaskParts<'a> {
    /// Reads one key of the task: a keyword or the module.
    fn keyword(&mut self, key: &'a Node, value: &'a Node) -> Result<(), LoadError> {
        let task = &mut self.task;
        match key.key_string().as_str() {
            "name" => parse_string(value, "name").map(|s| task.name = Some(s)),
            "args" => {
                self.extra_args = Some(value);
                Ok(())
            }
            "when" => parse_conditions(value).map(|c| task.when = c),
            "changed_when" => parse_conditions(value).map(|c| task.changed_when = Some(c)),
            "failed_when" => parse_conditions(value).map(|c| task.failed_when = Some(c)),
            "until" => parse_conditions(value).map(|c| task.until = Some(c)),
            "retries" => parse_count_or_template(value, "retries").map(|n| task.retries = Some(n)),
            "delay" => parse_count_or_template(value, "delay").map(|n| task.delay = Some(n)),
            "async" => parse_count_or_template(value, "async").map(|n| {
                task.async_val = Some(n);
                self.async_key = Some(key);
            }),
            "poll" => parse_count_or_template(value, "poll").map(|n| task.poll = n),
            "register" => parse_string(value, "register").map(|s| task.register = Some(s)),
            "notify" => parse_names(value, "notify").map(|n| task.notify = n),
            "listen" if self.handler => parse_names(value, "listen")
                .map(|n| task.listen = n.into_iter().map(|(s, _)| s).collect()),
            "vars" => parse_vars(value).map(|v| task.vars = v),
            "loop" => loops::set_loop(task, key, value, None),
            with if with.starts_with("with_") => {
                let plugin = loops::with_plugin(key)?;
                loops::set_loop(task, key, value, Some(plugin))
            }
            "loop_control" => loops::parse_loop_control(value).map(|c| task.loop_control = c),
            "action" | "local_action" => {
                self.old_style.push((key, value));
                Ok(())
            }
            "collections" => parse_collections(value).map(|c| self.collections = Some(c)),
            other if INHERITED.contains(&other) => task.opts.parse(other, value).unwrap_or(Ok(())),
            other if TASK_UNSUPPORTED.contains(&other) => Err(key
                .error(format!(
                    "task keyword '{other}' is not supported by ferry yet"
                ))
                .with_hint(format!("supported task keywords: {}", supported_keywords()))),
            _ => {
                self.others.push((key, value));
                Ok(())
            }
        }
    }

    /// The module key: one per task, naming a module ferry has, ansible-core has or an
    /// installed collection has, searched in `list`.
    fn module(
        &mut self,
        ctx: &LoadCtx,
        list: &[String],
        key: &'a Node,
        value: &'a Node,
    ) -> Result<(), LoadError> {
        let name = key.key_string();
        let spec = resolve(ctx, list, key, &name)?;
        self.set_action(
            key,
            Action {
                spec,
                name: name.to_string(),
                value: std::borrow::Cow::Borrowed(value),
                mapped: None,
            },
        )
    }

    /// The one module of the task; a second one is an error.
    fn set_action(&mut self, key: &Node, action: Action<'a>) -> Result<(), LoadError> {
        if let Some(first) = &self.action {
            return Err(key
                .error(format!(
                    "conflicting action statements: '{}' and '{}'",
                    first.name, action.name
                ))
                .with_hint("a task runs exactly one module: split it into two tasks"));
        }
        self.action = Some(action);
        Ok(())
    }

    /// `action:` / `local_action:`, as a string (`shell echo hi`) or a mapping with a
    /// `module` key (`{module: copy, src: a, dest: b}`).
    fn old_style(
        &mut self,
        ctx: &LoadCtx,
        list: &[String],
        key: &'a Node,
        value: &'a Node,
    ) -> Result<(), LoadError> {
        let local = key.key_string() == "local_action";
        if self.local || (local && self.action.is_some()) {
            return Err(key.error("action and local_action are mutually exclusive"));
        }
        let (module_text, mapped) = match &value.kind {
            NodeKind::Str(s) => (s.as_str(), None),
            NodeKind::Map(_) => match value.get("module").and_then(Node::as_str) {
                Some(m) => (m, Some(value)),
                None => {
                    return Err(value
                        .error(format!("'{}' needs a 'module' key", key.key_string()))
                        .with_hint("e.g. '{module: copy, src: a, dest: b}'"))
                }
            },
            _ => {
                return Err(value.error(format!(
                    "'{}' must be a string or a mapping, found {}",
                    key.key_string(),
                    value.type_name()
                )))
            }
        };
        let text = module_text.trim_start();
        let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let spec = resolve(ctx, list, value, name)?;
        let rest = rest.trim();
        let inline = Node {
            kind: if rest.is_empty() {
                NodeKind::Null
            } else {
                NodeKind::Str(rest.to_string())
            },
            span: value.span.clone(),
        };
        self.local |= local;
        self.set_action(
            key,
            Action {
                spec,
                name: name.to_string(),
                value: std::borrow::Cow::Owned(inline),
                mapped,
            },
        )
    }
}

/// The module `name` (written at `at`) as the task's collections `list` finds it.
fn resolve(
    ctx: &LoadCtx,
    list: &[String],
    at: &Node,
    name: &str,
) -> Result<&'static modules::ModuleSpec, LoadError> {
    match ctx.search.resolve_module(name, list) {
        Ok(spec) => Ok(spec),
        Err(Unresolved::Unknown) => Err(unknown_module(at, name)),
        Err(Unresolved::Removed(why)) => {
            Err(at.error(format!("module '{name}' was removed: {why}")))
        }
    }
}

/// The module's arguments (free form and `args:`), checked by the module's declaration.
fn module_args(a: &Action, extra: Option<&Node>) -> Result<Vars, LoadError> {
    let args = build_args(a, extra)?;
    match a.spec.check.map_or(Ok(()), |check| check(&args)) {
        Ok(()) => Ok(args),
        Err(p) => Err(a.value.error(p.message).with_hint(p.hint)),
    }
}

/// The modules that can run as background jobs, for hints.
fn background_modules() -> String {
    let names: Vec<&str> = modules::all()
        .filter(|m| m.background)
        .map(|m| m.name)
        .collect();
    names.join(", ")
}

/// Every task keyword ferry supports, sorted, for hints.
fn supported_keywords() -> String {
    let mut all: Vec<&str> = TASK_SUPPORTED.iter().chain(INHERITED).copied().collect();
    all.sort_unstable();
    all.join(", ")
}

fn unknown_module(key: &Node, name: &str) -> LoadError {
    let e = key.error(format!("unknown module or keyword '{name}'"));
    let cands = modules::names()
        .chain(TASK_SUPPORTED.iter().copied())
        .chain(INHERITED.iter().copied());
    match did_you_mean(name, cands) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(format!(
            "ferry's modules: {}",
            modules::names().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The module's arguments: inline (free-form or mapping) over `args:`; names are checked.
fn build_args(action: &Action, extra: Option<&Node>) -> Result<Vars, LoadError> {
    let spec = action.spec;
    let mut args = Vars::new();
    if let Some(extra) = extra {
        let Some(entries) = extra.as_map() else {
            return Err(extra.error(format!(
                "'args' must be a mapping, found {}",
                extra.type_name()
            )));
        };
        check_arg_names(spec, entries)?;
        for (k, v) in entries {
            args.insert(k.key_string(), v.to_json());
        }
    }
    if let Some(entries) = action.mapped.and_then(Node::as_map) {
        let entries: Vec<(Node, Node)> = entries
            .iter()
            .filter(|(k, _)| k.key_string() != "module")
            .cloned()
            .collect();
        check_arg_names(spec, &entries)?;
        for (k, v) in &entries {
            args.insert(k.key_string(), v.to_json());
        }
    }
    let value: &Node = &action.value;
    match &value.kind {
        NodeKind::Null => {}
        NodeKind::Map(entries) => {
            check_arg_names(spec, entries)?;
            for (k, v) in entries {
                args.insert(k.key_string(), v.to_json());
            }
        }
        NodeKind::Str(text) => match spec.free_form {
            FreeForm::Raw => {
                let names = spec.arg_names();
                let (params, raw) = parse_free_form(text, names.as_deref());
                args.extend(params);
                if !raw.is_empty() {
                    args.insert("_raw_params".into(), raw.into());
                }
            }
            FreeForm::KeyValue => {
                let (params, raw) = parse_free_form(text, None);
                if !raw.is_empty() {
                    return Err(value.error(format!(
                        "module '{}' takes key=value arguments, not free-form text '{raw}'",
                        spec.name
                    )));
                }
                if let Some(known) = spec.arg_names() {
                    for name in params.keys() {
                        check_arg_name(spec, &known, name, value)?;
                    }
                }
                args.extend(params);
            }
        },
        _ if spec.free_form == FreeForm::Raw => {
            args.insert("_raw_params".into(), Json::String(value.key_string()));
        }
        _ => {
            return Err(value.error(format!(
                "module '{}' needs a mapping of arguments, found {}",
                spec.name,
                value.type_name()
            )))
        }
    }
    Ok(args)
}

fn check_arg_names(spec: &ModuleSpec, entries: &[(Node, Node)]) -> Result<(), LoadError> {
    let Some(known) = spec.arg_names() else {
        return Ok(());
    };
    for (k, _) in entries {
        check_arg_name(spec, &known, &k.key_string(), k)?;
    }
    Ok(())
}

fn check_arg_name(
    spec: &ModuleSpec,
    known: &[&str],
    name: &str,
    at: &Node,
) -> Result<(), LoadError> {
    if known.contains(&name) {
        return Ok(());
    }
    let mut known = known.to_vec();
    known.sort_unstable();
    let e = at.error(format!(
        "unknown argument '{name}' for module '{}'",
        spec.name
    ));
    Err(match did_you_mean(name, known.iter().copied()) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(format!("'{}' takes: {}", spec.name, known.join(", "))),
    })
}

pub(crate) fn parse_conditions(node: &Node) -> Result<Vec<Condition>, LoadError> {
    let one = |n: &Node| -> Result<Condition, LoadError> {
        let expr = match &n.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => n.key_string(),
            _ => {
                return Err(n.error(format!(
                    "a condition must be a string or a boolean, found {}",
                    n.type_name()
                )))
            }
        };
        Ok(Condition {
            expr,
            span: n.span.clone(),
        })
    };
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(one).collect(),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![one(node)?]),
    }
}
