//! Keywords that plays and blocks pass down to their tasks (become, environment, tags,
//! ignore_errors, ...). Each level has an [`Inherit`]; at load time a task's unset fields are
//! filled from its block, then from its play, so the executor reads one place.

use serde_json::Value as Json;

use crate::collections::Installed;
use crate::connection::privilege::{self, BecomeMethod};
use crate::error::LoadError;
use crate::playbook::fields::{parse_count_or_template, parse_flag, parse_string, Count, Flag};
use crate::yaml::{Node, NodeKind};

/// The inheritable keywords; `None` means "not set here".
#[derive(Debug, Clone, Default)]
pub struct Inherit {
    /// `become`.
    pub become_: Option<Flag>,
    /// `become_user` (default root).
    pub become_user: Option<String>,
    /// `become_method` (sudo or su).
    pub become_method: Option<String>,
    /// `become_exe`: the sudo or su program to run.
    pub become_exe: Option<String>,
    /// `become_flags`: the words given to it (sudo's default `-H -S -n`).
    pub become_flags: Option<String>,
    /// `port`: the host's SSH port, where its `ansible_port` does not say.
    pub port: Option<Count>,
    /// `debugger`: when Ansible would open its interactive task debugger (ferry has none; it
    /// says so when that happens).
    pub debugger: Option<String>,
    /// `environment`: merged down the levels, the inner key wins.
    pub environment: Option<Json>,
    /// `tags`: the union of all levels.
    pub tags: Vec<String>,
    /// `ignore_errors`.
    pub ignore_errors: Option<Flag>,
    /// `ignore_unreachable`.
    pub ignore_unreachable: Option<Flag>,
    /// `no_log`.
    pub no_log: Option<Flag>,
    /// `check_mode`.
    pub check_mode: Option<Flag>,
    /// `diff`: show what changes, for these tasks (over `--diff`).
    pub diff: Option<Flag>,
    /// `run_once`.
    pub run_once: Option<Flag>,
    /// `delegate_to`.
    pub delegate_to: Option<String>,
    /// `delegate_facts`: facts a delegated task sets go to the host it is delegated to.
    pub delegate_facts: Option<Flag>,
    /// `connection`: the connection kind, where the host's `ansible_connection` does not say.
    pub connection: Option<String>,
    /// `remote_user`.
    pub remote_user: Option<String>,
    /// `timeout` in seconds.
    pub timeout: Option<Count>,
    /// `throttle`: at most this many hosts run the task at once.
    pub throttle: Option<Count>,
    /// `any_errors_fatal`.
    pub any_errors_fatal: Option<Flag>,
    /// `module_defaults`: by full module name or `group/<collection>.<group>` (see
    /// `module_defaults.rs`); an inner level's entry replaces the outer one's.
    pub module_defaults: Option<crate::vars::Vars>,
}

/// The keywords [`Inherit::parse`] reads.
pub(crate) const INHERITED: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "connection",
    "debugger",
    "delegate_facts",
    "delegate_to",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "no_log",
    "port",
    "remote_user",
    "run_once",
    "tags",
    "throttle",
    "timeout",
];

impl Inherit {
    /// Reads `key: value` if it is an inheritable keyword; `None` if it is not one.
    pub(crate) fn parse(&mut self, key: &str, value: &Node) -> Option<Result<(), LoadError>> {
        let flag = |v: &Node| parse_flag(v, key).map(Some);
        let r = match key {
            "become" => flag(value).map(|f| self.become_ = f),
            "become_user" => parse_string(value, key).map(|s| self.become_user = Some(s)),
            "become_method" => match parse_string(value, key) {
                Ok(m) if BecomeMethod::from_name(&m).is_some() => {
                    self.become_method = Some(m);
                    Ok(())
                }
                Ok(m) => Err(value
                    .error(format!("become_method '{m}' is not supported by ferry"))
                    .with_hint(format!(
                        "ferry supports become_method: {}",
                        privilege::METHODS.join(", ")
                    ))),
                Err(e) => Err(e),
            },
            "become_exe" => parse_string(value, key).map(|s| self.become_exe = Some(s)),
            "become_flags" => parse_string(value, key).map(|s| self.become_flags = Some(s)),
            "port" => parse_count_or_template(value, key).map(|n| self.port = Some(n)),
            "debugger" => parse_debugger(value).map(|d| self.debugger = Some(d)),
            "environment" => match &value.kind {
                NodeKind::Map(_) | NodeKind::Str(_) => {
                    self.environment = Some(value.to_json());
                    Ok(())
                }
                NodeKind::Null => Ok(()),
                _ => Err(value.error(format!(
                    "'environment' must be a mapping, found {}",
                    value.type_name()
                ))),
            },
            "tags" => parse_tags(value).map(|t| self.tags = t),
            "ignore_errors" => flag(value).map(|f| self.ignore_errors = f),
            "ignore_unreachable" => flag(value).map(|f| self.ignore_unreachable = f),
            "no_log" => flag(value).map(|f| self.no_log = f),
            "check_mode" => flag(value).map(|f| self.check_mode = f),
            "diff" => flag(value).map(|f| self.diff = f),
            "run_once" => flag(value).map(|f| self.run_once = f),
            "delegate_to" => parse_string(value, key).map(|s| self.delegate_to = Some(s)),
            "delegate_facts" => flag(value).map(|f| self.delegate_facts = f),
            "connection" => match parse_string(value, key) {
                // A connection ferry lacks but Ansible has loads; the hosts using it fail.
                Ok(kind)
                    if kind.contains("{{")
                        || crate::connection::kind(&kind).is_some()
                        || Installed::configured().has_connection(&kind) =>
                {
                    self.connection = Some(kind);
                    Ok(())
                }
                Ok(kind) => Err(value
                    .error(format!("unknown connection type '{kind}'"))
                    .with_hint(format!(
                        "ferry knows: {}",
                        crate::connection::kind_names()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                Err(e) => Err(e),
            },
            "remote_user" => parse_string(value, key).map(|s| self.remote_user = Some(s)),
            "module_defaults" => crate::playbook::module_defaults::parse(value)
                .map(|d| self.module_defaults = Some(d)),
            "timeout" => parse_count_or_template(value, key).map(|n| self.timeout = Some(n)),
            "throttle" => parse_count_or_template(value, key).map(|n| self.throttle = Some(n)),
            "any_errors_fatal" => flag(value).map(|f| self.any_errors_fatal = f),
            _ => return None,
        };
        Some(r)
    }

    /// Fills what is unset here from `outer` (the enclosing block or play).
    pub(crate) fn inherit_from(&mut self, outer: &Inherit) {
        fn fill<T: Clone>(mine: &mut Option<T>, outer: &Option<T>) {
            if mine.is_none() {
                mine.clone_from(outer);
            }
        }
        fill(&mut self.become_, &outer.become_);
        fill(&mut self.become_user, &outer.become_user);
        fill(&mut self.become_method, &outer.become_method);
        fill(&mut self.become_exe, &outer.become_exe);
        fill(&mut self.become_flags, &outer.become_flags);
        fill(&mut self.port, &outer.port);
        fill(&mut self.debugger, &outer.debugger);
        fill(&mut self.ignore_errors, &outer.ignore_errors);
        fill(&mut self.ignore_unreachable, &outer.ignore_unreachable);
        fill(&mut self.no_log, &outer.no_log);
        fill(&mut self.check_mode, &outer.check_mode);
        fill(&mut self.diff, &outer.diff);
        fill(&mut self.run_once, &outer.run_once);
        fill(&mut self.delegate_to, &outer.delegate_to);
        fill(&mut self.delegate_facts, &outer.delegate_facts);
        fill(&mut self.connection, &outer.connection);
        fill(&mut self.remote_user, &outer.remote_user);
        fill(&mut self.timeout, &outer.timeout);
        fill(&mut self.throttle, &outer.throttle);
        fill(&mut self.any_errors_fatal, &outer.any_errors_fatal);
        if let Some(outer) = &outer.module_defaults {
            let mut merged = outer.clone();
            merged.extend(self.module_defaults.take().unwrap_or_default());
            self.module_defaults = Some(merged);
        }
        for tag in &outer.tags {
            if !self.tags.contains(tag) {
                self.tags.push(tag.clone());
            }
        }
        self.environment = match (outer.environment.as_ref(), self.environment.take()) {
            (Some(Json::Object(o)), Some(Json::Object(mine))) => {
                let mut merged = o.clone();
                merged.extend(mine);
                Some(Json::Object(merged))
            }
            (o, None) => o.cloned(),
            (_, mine) => mine,
        };
    }
}

/// The values of `debugger` (Ansible's `Debugger` enum).
pub(crate) const DEBUGGER_VALUES: &[&str] = &[
    "always",
    "never",
    "on_failed",
    "on_skipped",
    "on_unreachable",
];

fn parse_debugger(node: &Node) -> Result<String, LoadError> {
    let value = parse_string(node, "debugger")?;
    if DEBUGGER_VALUES.contains(&value.as_str()) || value.contains("{{") {
        return Ok(value);
    }
    Err(node
        .error(format!("'debugger' cannot be '{value}'"))
        .with_hint(format!("it is one of: {}", DEBUGGER_VALUES.join(", "))))
}

fn parse_tags(node: &Node) -> Result<Vec<String>, LoadError> {
    let one = |n: &Node| parse_string(n, "tags");
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(one).collect(),
        NodeKind::Str(s) => Ok(s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()),
        NodeKind::Null => Ok(Vec::new()),
        _ => Ok(vec![one(node)?]),
    }
}
