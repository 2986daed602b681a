//! Task modules: one file per module, and the one table of their names.
//!
//! A module gets its arguments already templated (a JSON mapping) and a [`ModuleCtx`] giving the
//! host's variables, the templar and the host's connection; it returns a [`ModuleResult`]. It
//! never prints: the executor reports. Adding a module touches its file and one line of
//! `MODULES`.

mod argnames;
mod assert;
mod command;
mod copy;
mod debug;
mod docker;
mod docker_container;
mod docker_image;
mod docker_login;
mod fail;
mod fetch;
mod file;
pub(crate) mod host;
mod k8s;
mod lineinfile;
mod meta;
mod set_fact;
mod shell;
mod stat;
mod template;
mod uri;
mod wait_for;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::connection::privilege::Become;
use crate::connection::{ConnError, ConnectSpec, Connection, ExecOutput, Input, Pool};
use crate::template::Templar;
use crate::vars::Vars;

/// A boxed future, the return type of a module's run function.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a module reads a free-form string (`command: ls -l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeForm {
    /// The text is the module's `_raw_params`; only the module's own `key=value` options are
    /// taken out of it (command, shell, meta).
    Raw,
    /// The text is only `key=value` pairs (debug, fail, ...).
    KeyValue,
}

/// A module's one declaration: everything any other layer may ask about it. Each module file
/// has one `SPEC` (written with `..DEFAULTS` for what it does not set) and one line in
/// `MODULES`.
pub struct ModuleSpec {
    /// Its short name.
    pub name: &'static str,
    /// Its collection: the module also answers to `collection.name` (and a builtin to
    /// `ansible.legacy.name`).
    pub collection: &'static str,
    /// Other names it answers to (Ansible's redirects).
    pub aliases: &'static [&'static str],
    /// Its argument names, read from its typed `Args` struct(s) (see `argnames`); `None`:
    /// any name (`set_fact`).
    pub args: Option<fn() -> Vec<&'static str>>,
    /// How free-form text is read.
    pub free_form: FreeForm,
    /// Its results are hidden unless the task says `no_log: false` (credentials).
    pub hides_results: bool,
    /// Its result is shown as it is, without `changed` (debug).
    pub bare_result: bool,
    /// An executor directive (`meta`): the executor acts on it; it runs on no host.
    pub directive: bool,
    /// For a module that writes the file its arguments name, a function that finds it in
    /// rendered arguments: the executor stats those of a loop's items at once.
    pub written_path: Option<fn(&Vars) -> Option<&str>>,
    /// Checks at load time what argument names cannot (meta's action).
    pub check: Option<ArgCheck>,
    /// Runs it on one host.
    pub run: for<'a> fn(&'a ModuleCtx<'a>, Vars) -> BoxFuture<'a, ModuleResult>,
}

/// A module's load-time check of its arguments.
pub type ArgCheck = fn(&Vars) -> Result<(), ArgProblem>;

/// What a module's load-time [`ModuleSpec::check`] found wrong, and what to do.
#[derive(Debug)]
pub struct ArgProblem {
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// What a declaration does not say: a builtin module, free-form text as `key=value`, any
/// argument name, no flags.
pub const DEFAULTS: ModuleSpec = ModuleSpec {
    name: "",
    collection: "ansible.builtin",
    aliases: &[],
    args: None,
    free_form: FreeForm::KeyValue,
    hides_results: false,
    bare_result: false,
    directive: false,
    written_path: None,
    check: None,
    run: |_, _| Box::pin(async { ModuleResult::failed("module without a run function") }),
};

impl ModuleSpec {
    /// Its argument names, when they are checked.
    pub fn arg_names(&self) -> Option<Vec<&'static str>> {
        self.args.map(|f| f())
    }

    /// Whether it answers to `name` (short, FQCN or alias).
    fn answers_to(&self, name: &str) -> bool {
        if name == self.name || self.aliases.contains(&name) {
            return true;
        }
        match name.rsplit_once('.') {
            Some((collection, short)) if short == self.name => {
                collection == self.collection
                    || (self.collection == "ansible.builtin" && collection == "ansible.legacy")
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for ModuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "module {}", self.name)
    }
}

/// The table of modules, in alphabetical order.
static MODULES: &[&ModuleSpec] = &[
    &assert::SPEC,
    &command::SPEC,
    &copy::SPEC,
    &debug::SPEC,
    &docker_container::SPEC,
    &docker_image::SPEC,
    &docker_login::SPEC,
    &fail::SPEC,
    &fetch::SPEC,
    &file::SPEC,
    &k8s::SPEC,
    &lineinfile::SPEC,
    &meta::SPEC,
    &set_fact::SPEC,
    &shell::SPEC,
    &stat::SPEC,
    &template::SPEC,
    &uri::SPEC,
    &wait_for::SPEC,
];

/// The module called `name`: short name, FQCN (`ansible.builtin.command`,
/// `community.docker.docker_image`) or alias.
pub fn lookup(name: &str) -> Option<&'static ModuleSpec> {
    MODULES.iter().copied().find(|m| m.answers_to(name))
}

/// The short names of all modules.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name)
}

/// What a module sees of the host it runs on.
pub struct ModuleCtx<'a> {
    /// The inventory hostname.
    pub host: &'a str,
    /// All variables of the host for this task.
    pub vars: &'a Vars,
    /// The run's templar.
    pub templar: &'a Templar,
    /// How to reach the host.
    pub conn: &'a HostConn,
    /// `become`: run remote commands as another user (applied by the connection layer).
    pub become_: Option<&'a Become>,
    /// `environment`: `export K=V; ` assignments put before every remote command.
    pub env: Option<&'a str>,
    /// `--check` / `check_mode`: report what would change, change nothing.
    pub check_mode: bool,
    /// `--diff`: modules that change files add a `diff` to their result.
    pub diff: bool,
    /// `-v` count of the run.
    pub verbosity: u8,
    /// Stats prefetched for the items of a loop (see `host::prefetch`).
    pub prefetched: Option<&'a host::Prefetched>,
}

impl ModuleCtx<'_> {
    /// Runs a command with `input` on its stdin (secrets go this way, never on a command line).
    pub async fn exec_stdin(&self, script: &str, input: &[u8]) -> Result<ExecOutput, ConnError> {
        self.exec_input(script, Input::bytes(input)).await
    }

    /// Runs a command with `input` (bytes, then a streamed local file) on its stdin; a become
    /// password goes first.
    pub async fn exec_input(&self, script: &str, input: Input) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let line = self.with_env(script);
        match self.become_ {
            None => conn.exec_input(&line, input).await,
            Some(b) => {
                let (line, input) = b.wrap_input(self.host, &line, input)?;
                conn.exec_input(&line, input).await
            }
        }
    }

    /// Runs a command with its stdout streamed into `out` (downloads). Under become with a
    /// password, which needs stdin, callers read into memory instead.
    pub async fn exec_to_file(
        &self,
        script: &str,
        out: &mut tokio::fs::File,
    ) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let script = format!("exec </dev/null; {script}");
        let line = self.with_env(&script);
        let line = match self.become_ {
            None => line,
            Some(b) => b.wrap(self.host, &line)?.into(),
        };
        conn.exec_to_file(&line, out).await
    }

    /// Runs a sh command line on the host, with the task's environment and become applied.
    pub async fn exec(&self, script: &str) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let line = self.with_env(script);
        let Some(b) = self.become_ else {
            return conn.exec(&line).await;
        };
        match b.wrap_exec(self.host, &line)? {
            (line, Some(input)) => conn.exec_input(&line, input).await,
            (line, None) => conn.exec(&line).await,
        }
    }

    /// `script` after the task's `environment` assignments.
    fn with_env<'s>(&self, script: &'s str) -> std::borrow::Cow<'s, str> {
        match self.env {
            Some(env) => format!("{env}{script}").into(),
            None => script.into(),
        }
    }

    /// True under `--diff`.
    pub fn diff_mode(&self) -> bool {
        self.diff
    }
}

/// A host's connection, opened on first use through the run's pool.
pub struct HostConn {
    /// The pool shared by the run.
    pub pool: Arc<Pool>,
    /// How to connect to this host.
    pub spec: ConnectSpec,
}

impl HostConn {
    /// The host's connection (opened once, then reused).
    pub async fn get(&self) -> Result<Arc<dyn Connection>, ConnError> {
        self.pool.get(&self.spec).await
    }
}

/// What a module reports for one host.
#[derive(Debug, Clone, Default)]
pub struct ModuleResult {
    /// Something changed on the host.
    pub changed: bool,
    /// The module failed.
    pub failed: bool,
    /// The host could not be reached.
    pub unreachable: bool,
    /// The module decided not to run.
    pub skipped: bool,
    /// Shown with its data even without -v (debug).
    pub verbose_always: bool,
    /// The result dictionary (rc, stdout, msg, ansible_facts, ...).
    pub data: Vars,
}

impl ModuleResult {
    /// A successful result.
    pub fn ok(data: Vars) -> ModuleResult {
        ModuleResult {
            data,
            ..Default::default()
        }
    }

    /// A failed result with a message.
    pub fn failed(msg: impl Into<String>) -> ModuleResult {
        let mut data = Vars::new();
        data.insert("msg".into(), Json::String(msg.into()));
        ModuleResult {
            failed: true,
            data,
            ..Default::default()
        }
    }

    /// The host could not be reached (or, for an error that is not about reaching it, such
    /// as become with su and a password, the task failed).
    pub fn unreachable(err: &ConnError) -> ModuleResult {
        let mut data = Vars::new();
        data.insert("msg".into(), Json::String(err.to_string()));
        ModuleResult {
            unreachable: err.is_unreachable(),
            failed: !err.is_unreachable(),
            data,
            ..Default::default()
        }
    }

    /// The result as Ansible registers it: the data plus `changed`, `failed` (and `skipped`).
    pub fn to_registered(&self) -> Json {
        let mut out = self.data.clone();
        out.insert("changed".into(), Json::Bool(self.changed));
        out.insert("failed".into(), Json::Bool(self.failed));
        if self.skipped {
            out.insert("skipped".into(), Json::Bool(true));
        }
        if self.unreachable {
            out.insert("unreachable".into(), Json::Bool(true));
        }
        Json::Object(out)
    }
}

/// Reads a module's typed arguments, or the failure Ansible reports for bad ones.
pub(crate) fn parse_args<T: DeserializeOwned>(module: &str, args: Vars) -> Result<T, ModuleResult> {
    serde_json::from_value(Json::Object(args))
        .map_err(|e| ModuleResult::failed(format!("invalid arguments for module '{module}': {e}")))
}

/// Reads a module's typed arguments, then runs it with them; bad arguments are its failure.
/// A module's `SPEC.run` is `|ctx, args| Box::pin(typed("name", args, move |a| run(ctx, a)))`.
pub(crate) async fn typed<T: DeserializeOwned, F: Future<Output = ModuleResult>>(
    module: &str,
    args: Vars,
    run: impl FnOnce(T) -> F,
) -> ModuleResult {
    match parse_args(module, args) {
        Ok(a) => run(a).await,
        Err(r) => r,
    }
}

/// [`typed`] for arguments read in two parts (see [`parse_parts`]), joined by `join`.
pub(crate) async fn typed_parts<T, P, F>(
    module: &str,
    args: Vars,
    join: fn(T, P) -> T,
    run: impl FnOnce(T) -> F,
) -> ModuleResult
where
    T: DeserializeOwned,
    P: DeserializeOwned,
    F: Future<Output = ModuleResult>,
{
    match parse_parts(module, args) {
        Ok((a, p)) => run(join(a, p)).await,
        Err(r) => r,
    }
}

/// Reads typed arguments in two parts from the same mapping: the module's own struct and a
/// shared part it reads separately (`command`'s options shared with `shell`, the file
/// modules' mode/owner/group).
pub(crate) fn parse_parts<T: DeserializeOwned, P: DeserializeOwned>(
    module: &str,
    args: Vars,
) -> Result<(T, P), ModuleResult> {
    Ok((parse_args(module, args.clone())?, parse_args(module, args)?))
}

/// For a load-time [`ModuleSpec::check`]: refuses argument `name` when it is written as the
/// boolean `unsupported` (a template is decided at run time, and passes here).
pub(crate) fn refuse_flag(
    args: &Vars,
    module: &str,
    name: &str,
    unsupported: bool,
    why: &str,
) -> Result<(), ArgProblem> {
    let given = match args.get(name) {
        Some(Json::Bool(b)) => Some(*b),
        Some(Json::String(s)) => crate::text::ansible_bool(s),
        _ => None,
    };
    if given != Some(unsupported) {
        return Ok(());
    }
    Err(ArgProblem {
        message: format!(
            "'{name}: {unsupported}' of module '{module}' is not supported by ferry yet"
        ),
        hint: why.to_string(),
    })
}

/// `true`: the serde default of the boolean arguments that are on unless turned off.
pub(crate) fn yes() -> bool {
    true
}

/// Accepts YAML/Ansible booleans written as strings in templated arguments.
pub(crate) fn de_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::de::Error;
    match Json::deserialize(d)? {
        Json::Bool(b) => Ok(b),
        Json::Number(n) => Ok(n.as_f64() != Some(0.0)),
        Json::String(s) => crate::text::ansible_bool(&s)
            .ok_or_else(|| D::Error::custom(format!("'{s}' is not a boolean"))),
        other => Err(D::Error::custom(format!("{other} is not a boolean"))),
    }
}

use serde::Deserialize;

/// Accepts numbers written as strings (free-form `timeout=5` arrives as text).
pub(crate) fn de_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match Json::deserialize(d)? {
        Json::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number"))),
        Json::String(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("'{s}' is not a whole number"))),
        other => Err(D::Error::custom(format!("{other} is not a whole number"))),
    }
}

/// [`de_u64`] for optional arguments.
pub(crate) fn de_opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_u64(d).map(Some)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_answer_to_their_names_fqcns_and_aliases() {
        for (name, found) in [
            ("copy", Some("copy")),
            ("ansible.builtin.copy", Some("copy")),
            ("ansible.legacy.command", Some("command")),
            ("docker_image", Some("docker_image")),
            ("community.docker.docker_image", Some("docker_image")),
            ("kubernetes.core.k8s", Some("k8s")),
            ("ansible.builtin.docker_image", None),
            ("community.docker.docker_image_build", None),
            ("comand", None),
        ] {
            assert_eq!(lookup(name).map(|m| m.name), found, "{name}");
        }
    }

    #[test]
    fn argument_names_come_from_the_args_structs() {
        let copy = lookup("copy").and_then(|m| m.arg_names()).unwrap();
        for name in ["src", "dest", "content", "mode", "owner", "group"] {
            assert!(copy.contains(&name), "{name}: {copy:?}");
        }
        let stat = lookup("stat").and_then(|m| m.arg_names()).unwrap();
        assert!(stat.contains(&"dest") && stat.contains(&"path"), "{stat:?}");
        assert_eq!(lookup("set_fact").and_then(|m| m.arg_names()), None);
        let mut seen = std::collections::HashSet::new();
        assert!(MODULES.iter().all(|m| seen.insert(m.name)), "a name twice");
    }
}
