//! `ferry run` and `ferry check` end to end: options → loaded playbooks and inventory →
//! executor → recap → exit code. Load errors stop the run before any host is contacted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::cli::{
    CheckArgs, Command, CommonArgs, HostKeyMode, InventoryArgs, LockCommand, OutputFormat,
    PipelineCommand, RunArgs,
};
use crate::error::{Error, LoadError, LoadErrors};
use crate::executor::{Executor, RunOptions};
use crate::inventory::Inventory;
use crate::output::human::Human;
use crate::output::json::JsonLines;
use crate::output::junit::Junit;
use crate::output::{Reporter, Tee};
use crate::playbook::{self, Playbook};
use crate::ssh::{ConnectOptions, HostKeyChecking};
use crate::vars::Vars;
use crate::yaml;

/// Exit code: a host was unreachable or a file could not be parsed.
pub const EXIT_PARSE: i32 = 4;

/// Runs any ferry command; returns its exit code.
pub async fn dispatch(command: Command) -> Result<i32, Error> {
    match command {
        Command::Run(args) => run(*args).await,
        Command::Check(args) => check(args),
        Command::Pipeline(PipelineCommand::Run(args)) => crate::pipeline::cli::run(*args).await,
        Command::Pipeline(PipelineCommand::Watch(args)) => crate::pipeline::cli::watch(*args).await,
        Command::History(args) => crate::pipeline::cli::history(args),
        Command::Rollback(args) => crate::pipeline::cli::rollback(*args).await,
        Command::Lock(LockCommand::Release {
            name,
            pipeline,
            history_db,
        }) => crate::pipeline::cli::release_lock(&name, pipeline.as_deref(), history_db.as_deref()),
        Command::Inventory(args) => inventory(&args),
    }
}

/// `ferry inventory`: prints what the sources give, without running anything.
fn inventory(args: &InventoryArgs) -> Result<i32, Error> {
    use std::io::Write as _;
    let inv = load_inventory(&args.inventory, args.playbook_dir.as_deref())?;
    let text = if let Some(host) = &args.host {
        let vars = inv
            .host_json(host)
            .ok_or_else(|| Error::Options(format!("the inventory has no host named '{host}'")))?;
        Inventory::to_text(&vars)
    } else if args.graph {
        let group = args.group.as_deref().unwrap_or("all");
        inv.graph(group, args.vars)
            .ok_or_else(|| Error::Options(format!("the inventory has no group named '{group}'")))?
            .trim_end()
            .to_string()
    } else {
        Inventory::to_text(&inv.list_json())
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    Ok(0)
}

/// The reporter for `--output`.
pub fn reporter(common: &CommonArgs) -> Arc<dyn Reporter> {
    match common.output {
        OutputFormat::Human => Arc::new(Human::new(common.verbose)),
        OutputFormat::Json => Arc::new(JsonLines),
    }
}

/// Executor options from the shared flags.
pub fn run_options(common: &CommonArgs) -> Result<RunOptions, Error> {
    Ok(RunOptions {
        forks: common.forks,
        extra_vars: parse_extra_vars(&common.extra_vars)?,
        limit: None,
        connect: connect_options(common),
        check: common.check,
        diff: common.diff,
        become_: common.become_,
        become_user: common.become_user.clone(),
        become_password: if common.ask_become_pass {
            Some(ask_password()?)
        } else {
            None
        },
        tags: Vec::new(),
        skip_tags: Vec::new(),
        force_handlers: common.force_handlers,
        start_at_task: None,
    })
}

/// Connection settings from the shared flags.
fn connect_options(common: &CommonArgs) -> ConnectOptions {
    ConnectOptions {
        remote_user: common.user.clone(),
        private_key: common.private_key.clone(),
        known_hosts: known_hosts(&common.known_hosts),
        known_hosts_given: !common.known_hosts.is_empty(),
        ssh_config: common.ssh_config.clone().or_else(|| {
            let default = crate::paths::home_dir()?.join(".ssh/config");
            default.is_file().then_some(default)
        }),
        timeout_given: common.timeout.is_some(),
        connect_retries: common.connect_retries,
        host_key_checking: match common.host_key_checking {
            HostKeyMode::Strict => HostKeyChecking::Strict,
            HostKeyMode::AcceptNew => HostKeyChecking::AcceptNew,
            HostKeyMode::Off => HostKeyChecking::Off,
        },
        connect_timeout: Duration::from_secs(common.timeout.unwrap_or(10).max(1)),
    }
}

/// Runs playbooks; returns the exit code ansible-playbook would.
pub async fn run(args: RunArgs) -> Result<i32, Error> {
    let mut opts = run_options(&args.common)?;
    opts.limit = args.limit.clone();
    opts.tags = split_list(&args.tags);
    opts.skip_tags = split_list(&args.skip_tags);
    opts.start_at_task = args.start_at_task.clone();
    let playbooks = load_playbooks(&args.playbooks)?;
    let playbook_dir = args.playbooks[0].parent().map(Path::to_path_buf);
    let inventory = load_inventory(&args.inventory, playbook_dir.as_deref())?;
    if args.syntax_check || args.list_hosts || args.list_tasks {
        let what = crate::listing::Listing {
            hosts: args.list_hosts,
            tasks: args.list_tasks,
        };
        let text = crate::listing::render(&playbooks, &inventory, args.limit.as_deref(), what);
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, text.as_bytes());
        return Ok(0);
    }
    let main = reporter(&args.common);
    let junit = args
        .common
        .junit
        .as_ref()
        .map(|_| Arc::new(Junit::default()));
    let reporter: Arc<dyn Reporter> = match &junit {
        Some(j) => Arc::new(Tee(vec![
            Arc::clone(&main),
            Arc::clone(j) as Arc<dyn Reporter>,
        ])),
        None => main,
    };
    let mut executor = Executor::new(inventory, opts, Arc::clone(&reporter));
    for pb in &playbooks {
        reporter.playbook_start(&pb.path.display().to_string());
        executor.run(pb).await;
    }
    let recap = executor.finish().await;
    reporter.recap(&recap);
    if let (Some(j), Some(path)) = (&junit, &args.common.junit) {
        j.write(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(recap.exit_code())
}

/// Loads everything `ferry run` would, and contacts no host.
pub fn check(args: CheckArgs) -> Result<i32, Error> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for path in &args.playbooks {
        let is_pipeline = yaml::load_file(path).is_ok_and(|n| n.get("stages").is_some());
        if is_pipeline {
            match crate::pipeline::model::load(path) {
                Ok(p) => lines.push(format!(
                    "ok: pipeline {} ({} stages)",
                    path.display(),
                    p.stages.len()
                )),
                Err(e) => errors.extend(e.0),
            }
            continue;
        }
        match load_playbooks(std::slice::from_ref(path)) {
            Ok(pbs) => {
                let mut tasks = 0;
                for play in pbs.iter().flat_map(|p| &p.plays) {
                    for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                        crate::playbook::Item::visit(section, &mut |_| tasks += 1);
                    }
                    tasks += play.handlers.len();
                }
                lines.push(format!(
                    "ok: playbook {} ({tasks} tasks and handlers)",
                    path.display()
                ));
            }
            Err(Error::Load(e)) => errors.extend(e.0),
            Err(e) => return Err(e),
        }
    }
    if !args.inventory.is_empty() {
        let dir = args.playbooks[0].parent().map(Path::to_path_buf);
        load_inventory(&args.inventory, dir.as_deref())?;
        lines.push(format!("ok: inventory {}", args.inventory.len()));
    }
    if !errors.is_empty() {
        return Err(Error::Load(LoadErrors(errors)));
    }
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    Ok(0)
}

pub(crate) fn load_playbooks(paths: &[PathBuf]) -> Result<Vec<Playbook>, Error> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let templar = crate::template::Templar::new();
    for path in paths {
        match playbook::load(path) {
            Ok(pb) => match playbook::check_templates(&pb, &templar) {
                Ok(()) => out.push(pb),
                Err(e) => errors.extend(e.0),
            },
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Load(LoadErrors(errors)))
    }
}

fn load_inventory(sources: &[PathBuf], playbook_dir: Option<&Path>) -> Result<Inventory, Error> {
    if sources.is_empty() {
        let default = PathBuf::from("/etc/ansible/hosts");
        if default.exists() {
            return Ok(Inventory::load(&[default], playbook_dir)?);
        }
        return Ok(Inventory::implicit_localhost());
    }
    for s in sources {
        if !s.exists() {
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

/// `-K`: reads the sudo password from the terminal without echo.
fn ask_password() -> Result<String, Error> {
    rpassword::prompt_password("BECOME password: ").map_err(|e| {
        Error::Options(format!(
            "-K needs a terminal to read the password from: {e}"
        ))
    })
}

fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn known_hosts(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let home = crate::paths::home_dir().unwrap_or_else(|| PathBuf::from("/root"));
    vec![home.join(".ssh/known_hosts")]
}

/// `-e` values: `key=value ...`, a JSON or YAML mapping, or `@file`.
pub fn parse_extra_vars(values: &[String]) -> Result<Vars, Error> {
    let mut vars = Vars::new();
    for value in values {
        let value = value.trim();
        let parsed = if let Some(path) = value.strip_prefix('@') {
            let node = yaml::load_file(Path::new(path))?;
            match node.to_json() {
                Json::Object(m) => m,
                Json::Null => Vars::new(),
                _ => return Err(node.error("an extra-vars file must hold a mapping").into()),
            }
        } else if value.starts_with('{') {
            let file = crate::error::SourceFile::new("<extra-vars>", value);
            match yaml::parse(file)?.to_json() {
                Json::Object(m) => m,
                _ => return Err(Error::Options(format!("-e {value}: not a mapping"))),
            }
        } else {
            let (params, rest) = crate::text::parse_free_form(value, None);
            if !rest.is_empty() {
                return Err(Error::Options(format!(
                    "-e '{value}': expected key=value pairs, a JSON mapping or @file"
                )));
            }
            params
        };
        vars.extend(parsed);
    }
    Ok(vars)
}
