//! `ferry run` and `ferry check` end to end: options → loaded playbooks and inventory →
//! executor → recap → exit code. Load errors stop the run before any host is contacted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::cli::{CheckArgs, HostKeyMode, OutputFormat, RunArgs};
use crate::error::{Error, LoadError, LoadErrors};
use crate::executor::{Executor, RunOptions};
use crate::inventory::Inventory;
use crate::output::human::Human;
use crate::output::json::JsonLines;
use crate::output::Reporter;
use crate::playbook::{self, Playbook};
use crate::ssh::HostKeyChecking;
use crate::vars::Vars;
use crate::yaml;

/// Exit code: a host was unreachable or a file could not be parsed.
pub const EXIT_PARSE: i32 = 4;

/// Runs playbooks; returns the exit code ansible-playbook would.
pub async fn run(args: RunArgs) -> Result<i32, Error> {
    let extra_vars = parse_extra_vars(&args.extra_vars)?;
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
    let reporter: Arc<dyn Reporter> = match args.output {
        OutputFormat::Human => Arc::new(Human::new(args.verbose)),
        OutputFormat::Json => Arc::new(JsonLines),
    };
    let opts = RunOptions {
        forks: args.forks,
        extra_vars,
        limit: args.limit.clone(),
        remote_user: args.user.clone(),
        private_key: args.private_key.clone(),
        known_hosts: known_hosts(&args.known_hosts),
        host_key_checking: match args.host_key_checking {
            HostKeyMode::Strict => HostKeyChecking::Strict,
            HostKeyMode::AcceptNew => HostKeyChecking::AcceptNew,
            HostKeyMode::Off => HostKeyChecking::Off,
        },
        connect_timeout: Duration::from_secs(args.timeout.max(1)),
        check: args.check,
        diff: args.diff,
        become_: args.become_,
        become_user: args.become_user.clone(),
        tags: split_list(&args.tags),
        skip_tags: split_list(&args.skip_tags),
        force_handlers: args.force_handlers,
        start_at_task: args.start_at_task.clone(),
    };
    let mut executor = Executor::new(inventory, opts, Arc::clone(&reporter));
    for pb in &playbooks {
        reporter.playbook_start(&pb.path.display().to_string());
        executor.run(pb).await;
    }
    let recap = executor.finish().await;
    reporter.recap(&recap);
    Ok(recap.exit_code())
}

/// Loads everything `ferry run` would, and contacts no host.
pub fn check(args: CheckArgs) -> Result<i32, Error> {
    let playbooks = load_playbooks(&args.playbooks)?;
    let playbook_dir = args.playbooks[0].parent().map(Path::to_path_buf);
    load_inventory(&args.inventory, playbook_dir.as_deref())?;
    let tasks: usize = playbooks
        .iter()
        .flat_map(|p| &p.plays)
        .map(|p| p.tasks.len() + p.handlers.len())
        .sum();
    let mut out = std::io::stdout().lock();
    let _ = std::io::Write::write_fmt(
        &mut out,
        format_args!(
            "ok: {} playbook(s), {tasks} task(s) and handler(s)\n",
            playbooks.len()
        ),
    );
    Ok(0)
}

fn load_playbooks(paths: &[PathBuf]) -> Result<Vec<Playbook>, Error> {
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
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    vec![PathBuf::from(home).join(".ssh/known_hosts")]
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
            let (params, rest) = playbook::parse_free_form(value, None);
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
