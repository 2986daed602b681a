//! What the subcommands share: executor options from the common flags, `-e` values, loading
//! playbooks and inventories, and [`Reporters`] — the one place where `--output` and
//! `--junit` become the reporters that receive a run's events.
//!
//! A new report format is a reporter file in `output/`, its flag in `cli.rs`, and one line in
//! [`Reporters::from_flags`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::cli::{CommonArgs, HostKeyMode, OutputFormat};
use crate::config::Config;
use crate::connection::{ConnectOptions, HostKeyChecking};
use crate::error::{Error, LoadError, LoadErrors};
use crate::events::{Reporter, Tee};
use crate::executor::RunOptions;
use crate::inventory::Inventory;
use crate::output::human::Human;
use crate::output::json::JsonLines;
use crate::output::junit::Junit;
use crate::playbook::{self, Playbook};
use crate::vars::Vars;
use crate::yaml;

/// Hosts that run a task at once without `-f` or ansible.cfg's `forks` (Ansible: 5).
pub const DEFAULT_FORKS: usize = 1024;

/// The reporters a command's flags ask for: the main one (`--output`) and the report files
/// (`--junit FILE`), all behind one [`Reporter`].
pub struct Reporters {
    /// Every event goes here.
    pub sink: Arc<dyn Reporter>,
    /// Report files written when the run ends.
    files: Vec<(Arc<Junit>, PathBuf)>,
    /// The run's report model (`--report`, history), written by [`Reporters::finish_with`] or,
    /// when the command is interrupted, on drop.
    pub recording: Arc<crate::report::recording::Recording>,
}

impl Reporters {
    /// The reporters for `common`'s output flags.
    pub fn from_flags(common: &CommonArgs) -> Reporters {
        let main: Arc<dyn Reporter> = match common.output {
            OutputFormat::Human => Arc::new(Human::new(common.verbose)),
            OutputFormat::Json => Arc::new(JsonLines::default()),
        };
        let files: Vec<(Arc<Junit>, PathBuf)> = common
            .junit
            .iter()
            .map(|path| (Arc::new(Junit::default()), path.clone()))
            .collect();
        let recording = Arc::new(crate::report::recording::Recording::new(
            crate::report::args::of_process(common),
            common.report.clone(),
        ));
        // Always a Tee, even for one reporter: it masks vault secrets in every event.
        let mut all = vec![main, recording.reporter()];
        all.extend(
            files
                .iter()
                .map(|(j, _)| Arc::clone(j) as Arc<dyn Reporter>),
        );
        let sink: Arc<dyn Reporter> = Arc::new(Tee(all));
        Reporters {
            sink,
            files,
            recording,
        }
    }

    /// Writes the report files, the HTML report and the history of a run that ended with `code`.
    pub fn finish_with(&self, code: i32) -> Result<(), Error> {
        self.finish()?;
        Ok(self.recording.finish(Some(code))?)
    }

    /// Writes the report files.
    pub fn finish(&self) -> Result<(), Error> {
        for (junit, path) in &self.files {
            junit.write(path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Executor options from the shared flags, then ansible.cfg and `ANSIBLE_*` variables for
/// what the flags leave unset.
pub fn run_options(common: &CommonArgs) -> Result<RunOptions, Error> {
    let config = Config::global();
    note_ignored(config);
    // Hosts wait on SSH, not on ferry: a fleet runs at once (connects are paced apart, see
    // connection::pool), each host costing about 0.1 MiB.
    let forks = common
        .forks
        .or_else(|| {
            config
                .int("DEFAULT_FORKS")
                .and_then(|n| usize::try_from(n).ok())
        })
        .unwrap_or(DEFAULT_FORKS)
        .max(1);
    Ok(RunOptions {
        forks,
        extra_vars: parse_extra_vars(&common.extra_vars)?,
        limit: None,
        connect: connect_options(common),
        check: common.check,
        diff: common.diff,
        verbosity: common.verbose,
        become_: common.become_ || config.bool("DEFAULT_BECOME") == Some(true),
        become_user: common
            .become_user
            .clone()
            .or_else(|| config.text("DEFAULT_BECOME_USER").map(String::from)),
        become_method: common
            .become_method
            .clone()
            .or_else(|| config.text("DEFAULT_BECOME_METHOD").map(String::from)),
        become_exe: config.text("DEFAULT_BECOME_EXE").map(String::from),
        become_flags: config
            .text("DEFAULT_BECOME_FLAGS")
            .filter(|f| !f.is_empty())
            .map(String::from),
        become_password: if common.ask_become_pass
            || config.bool("DEFAULT_BECOME_ASK_PASS") == Some(true)
        {
            Some(ask_password()?)
        } else {
            None
        },
        tags: Vec::new(),
        skip_tags: Vec::new(),
        force_handlers: common.force_handlers,
        start_at_task: None,
        shard: common.shard,
    })
}

/// Settings ansible.cfg may hold that ferry does not use, said once on stderr.
#[allow(clippy::print_stderr)] // a note before the run starts
fn note_ignored(config: &Config) {
    static SAID: std::sync::Once = std::sync::Once::new();
    if let Some(callback) = config.text("DEFAULT_STDOUT_CALLBACK") {
        if callback != "default" {
            SAID.call_once(|| {
                eprintln!(
                    "[NOTE] stdout_callback = {callback} ({}) is ignored: ferry prints its own output (--output json for machines)",
                    config.file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "ANSIBLE_STDOUT_CALLBACK".into())
                )
            });
        }
    }
}

/// Connection settings from the shared flags, then ansible.cfg.
fn connect_options(common: &CommonArgs) -> ConnectOptions {
    let config = Config::global();
    let timeout = common.timeout.or_else(|| {
        config
            .int("DEFAULT_TIMEOUT")
            .and_then(|n| u64::try_from(n).ok())
    });
    let host_key_checking = match common.host_key_checking {
        Some(mode) => mode,
        None if config.bool("HOST_KEY_CHECKING") == Some(false) => HostKeyMode::Off,
        None => HostKeyMode::Strict,
    };
    ConnectOptions {
        remote_user: common
            .user
            .clone()
            .or_else(|| config.text("DEFAULT_REMOTE_USER").map(String::from)),
        private_key: common
            .private_key
            .clone()
            .or_else(|| config.text("DEFAULT_PRIVATE_KEY_FILE").map(PathBuf::from)),
        known_hosts: known_hosts(&common.known_hosts),
        known_hosts_given: !common.known_hosts.is_empty(),
        ssh_config: common.ssh_config.clone().or_else(|| {
            let default = crate::paths::home_dir()?.join(".ssh/config");
            default.is_file().then_some(default)
        }),
        timeout_given: timeout.is_some(),
        connect_retries: common
            .connect_retries
            .or_else(|| config.int("retries").and_then(|n| u32::try_from(n).ok()))
            .unwrap_or(0),
        host_key_checking: match host_key_checking {
            HostKeyMode::Strict => HostKeyChecking::Strict,
            HostKeyMode::AcceptNew => HostKeyChecking::AcceptNew,
            HostKeyMode::Off => HostKeyChecking::Off,
        },
        connect_timeout: Duration::from_secs(timeout.unwrap_or(10).max(1)),
    }
}

fn known_hosts(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let home = crate::paths::home_dir().unwrap_or_else(|| PathBuf::from("/root"));
    vec![home.join(".ssh/known_hosts")]
}

/// `-K`: reads the sudo password from the terminal without echo.
fn ask_password() -> Result<String, Error> {
    rpassword::prompt_password("BECOME password: ").map_err(|e| {
        Error::Options(format!(
            "-K needs a terminal to read the password from: {e}"
        ))
    })
}

/// Loads playbooks (each with its template checks); every error of every file together.
pub fn load_playbooks(paths: &[PathBuf]) -> Result<Vec<Playbook>, Error> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match playbook::load(path) {
            Ok(pb) => out.push(pb),
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Load(LoadErrors(errors)))
    }
}

/// The `-i` sources, or `/etc/ansible/hosts`, or the implicit localhost.
pub fn load_inventory(
    sources: &[PathBuf],
    playbook_dir: Option<&Path>,
) -> Result<Inventory, Error> {
    if sources.is_empty() {
        // ansible.cfg's `inventory` (or ANSIBLE_INVENTORY), else /etc/ansible/hosts.
        let configured: Vec<PathBuf> = Config::global()
            .list("DEFAULT_HOST_LIST")
            .into_iter()
            .map(PathBuf::from)
            .filter(|p| p.exists() || p.to_string_lossy().contains(','))
            .collect();
        if configured.is_empty() {
            return Ok(Inventory::implicit_localhost());
        }
        return Ok(Inventory::load(&configured, playbook_dir)?);
    }
    for s in sources {
        // `-i web1,web2,` is a host list, not a path.
        if !s.exists() && !s.to_string_lossy().contains(',') {
            return Err(LoadError::plain(format!(
                "inventory source {} does not exist",
                s.display()
            ))
            .with_hint("pass an inventory file or directory with -i")
            .into());
        }
    }
    Ok(Inventory::load(sources, playbook_dir)?)
}

/// Comma-separated values of a repeatable flag (`-t a,b -t c`).
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `-e` values: `key=value ...`, a JSON or YAML mapping, or `@file`.
pub fn parse_extra_vars(values: &[String]) -> Result<Vars, Error> {
    let mut vars = Vars::new();
    for value in values {
        vars.extend(parse_extra_value(value.trim())?);
    }
    Ok(vars)
}

fn parse_extra_value(value: &str) -> Result<Vars, Error> {
    if let Some(path) = value.strip_prefix('@') {
        let node = yaml::load_file(Path::new(path))?;
        return match node.to_json() {
            Json::Object(m) => Ok(m),
            Json::Null => Ok(Vars::new()),
            _ => Err(node.error("an extra-vars file must hold a mapping").into()),
        };
    }
    if value.starts_with('{') {
        let file = crate::error::SourceFile::new("<extra-vars>", value);
        return match yaml::parse(file)?.to_json() {
            Json::Object(m) => Ok(m),
            _ => Err(Error::Options(format!("-e {value}: not a mapping"))),
        };
    }
    let (params, rest) = crate::text::parse_free_form(value, None);
    if !rest.is_empty() {
        return Err(Error::Options(format!(
            "-e '{value}': expected key=value pairs, a JSON mapping or @file"
        )));
    }
    Ok(params)
}
