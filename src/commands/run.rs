//! `ferry run`: playbooks against an inventory, as ansible-playbook runs them; with
//! `--syntax-check`, `--list-hosts` or `--list-tasks`, only what it would do.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::RunArgs;
use crate::commands::options::{
    load_inventory, load_playbooks, run_options, split_list, Reporters,
};
use crate::error::{Error, LoadErrors};
use crate::events::Tee;
use crate::executor::Executor;
use crate::inventory::Inventory;
use crate::pipeline::history_reports::PLAIN_PREFIX;
use crate::playbook::Playbook;
use crate::template::Templar;
use crate::vars::Vars;
use serde_json::Value as Json;

/// Every play's templated `hosts` renders before any host runs (see `playbook::check_hosts`).
fn check_hosts(playbooks: &[Playbook], inventory: &Inventory, extra: &Vars) -> Result<(), Error> {
    let mut known = extra.clone();
    known.insert("groups".into(), Json::Object(inventory.groups()));
    let templar = Templar::new();
    let mut errors = Vec::new();
    for pb in playbooks {
        if let Err(e) = crate::playbook::check_hosts(pb, &templar, &known) {
            errors.extend(e.0);
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(Error::Load(LoadErrors(errors))),
    }
}

/// Runs playbooks; returns the exit code ansible-playbook would. With `--report`, a run that
/// cannot start (a playbook or inventory that does not load) still writes its page, saying why.
pub async fn run(args: RunArgs) -> Result<i32, Error> {
    let page = args.common.report.clone();
    let run_args = crate::report::args::of_process(&args.common);
    let title = crate::report::args::titled(&args.playbooks);
    let result = run_playbooks(args).await;
    if let (Err(e), Some(path)) = (&result, page) {
        crate::report::recording::write_error_page(
            &path,
            run_args,
            &title,
            &e.to_string(),
            e.exit_code(),
        )?;
    }
    result
}

/// Runs playbooks (see [`run`]).
async fn run_playbooks(args: RunArgs) -> Result<i32, Error> {
    crate::commands::vault::unlock(&args.common.vault)?;
    let mut opts = run_options(&args.common)?;
    opts.limit = args.limit.clone();
    opts.tags = split_list(&args.tags);
    opts.skip_tags = split_list(&args.skip_tags);
    opts.start_at_task = args.start_at_task.clone();
    let mut playbooks = load_playbooks(&args.playbooks)?;
    let playbook_dir = args.playbooks[0].parent().map(Path::to_path_buf);
    let inventory = load_inventory(&args.inventory, playbook_dir.as_deref())?;
    check_hosts(&playbooks, &inventory, &opts.extra_vars)?;
    if args.syntax_check || args.list_hosts || args.list_tasks {
        let what = crate::listing::Listing {
            hosts: args.list_hosts,
            tasks: args.list_tasks,
        };
        let sharded = Executor::new(inventory.clone(), opts, Arc::new(Tee(Vec::new())));
        let only = sharded.shard_hosts(&playbooks);
        let hosts_of = |play: &crate::playbook::Play| sharded.listed_hosts(play);
        let text = crate::listing::render(&playbooks, &hosts_of, what, only.as_ref());
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, text.as_bytes());
        return Ok(0);
    }
    let refused = crate::modules::external::refusals(&playbooks);
    if !refused.is_empty() {
        return Err(Error::Load(crate::error::LoadErrors(refused)));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        for pb in &mut playbooks {
            crate::playbook::ask_on_terminal(pb, &opts.extra_vars, &mut Terminal)?;
        }
    }
    let reporters = Reporters::from_flags(&args.common);
    let described = describe_report(&reporters, &args, playbook_dir.as_deref());
    keep_history(&reporters, &args, described).await?;
    let reporter = Arc::clone(&reporters.sink);
    let mut executor = Executor::new(inventory, opts, Arc::clone(&reporter));
    executor.shard(&playbooks);
    for pb in &playbooks {
        reporter.playbook_start(&pb.path.display().to_string());
        if let Err(errors) = executor.run(pb).await {
            executor.finish().await;
            let error: Error = errors.into();
            reporters.finish_with(error.exit_code())?;
            return Err(error);
        }
    }
    let recap = executor.finish().await;
    reporter.recap(&recap);
    reporters.finish_with(recap.exit_code())?;
    Ok(recap.exit_code())
}

/// The report's header: what ran, with which arguments, from which commit. Returns the
/// title and the commit's sha and branch.
fn describe_report(
    reporters: &Reporters,
    args: &RunArgs,
    playbook_dir: Option<&Path>,
) -> (String, String, String) {
    let title = crate::report::args::titled(&args.playbooks);
    let (sha, branch) = crate::report::args::git(playbook_dir.unwrap_or(Path::new(".")));
    let described = (title.clone(), sha.clone(), branch.clone());
    reporters.recording.describe(|r| {
        r.title = title;
        r.args.limit = args.limit.clone();
        r.args.tags = split_list(&args.tags);
        r.args.skip_tags = split_list(&args.skip_tags);
        r.git_sha = sha;
        r.git_branch = branch;
    });
    described
}

/// `--history`'s state (a SQLite file, `sqlite:PATH` or `postgres://...`), opened before any
/// host is contacted, so a database that cannot be reached stops the run first. A shard with a
/// run key starts or joins its rollout's run there now, so a shard refused stops first too.
async fn keep_history(
    reporters: &Reporters,
    args: &RunArgs,
    (title, sha, branch): (String, String, String),
) -> Result<(), Error> {
    let Some(path) = &args.history else {
        return Ok(());
    };
    let spec = crate::state::StateSpec::parse(&path.to_string_lossy(), Path::new(""))?;
    let store = crate::state::Store::open(&spec)?;
    let rollout = crate::state::rollout::Rollout::of(args.common.shard, args.run_key.as_deref())
        .filter(|r| r.applies_on(&store));
    let joined = match &rollout {
        Some(rollout) => {
            let name = format!("{PLAIN_PREFIX}{title}");
            let start = crate::state::rollout::RolloutStart {
                pipeline: &name,
                rollout,
                git: (&sha, &branch),
                rollback_of: None,
                lock: None,
            };
            let run = store.start_rollout(&start, Duration::ZERO).await?;
            Some((run, rollout.shard))
        }
        None => None,
    };
    reporters
        .recording
        .keep_history(crate::report::recording::HistoryTarget {
            store: Arc::new(store),
            keep: args.common.history_keep,
            joined,
        });
    Ok(())
}

/// `vars_prompt` on the terminal: hidden answers through rpassword, others read as a line.
struct Terminal;

impl crate::playbook::Asker for Terminal {
    fn ask(&mut self, question: &str, private: bool) -> Option<String> {
        if private {
            return rpassword::prompt_password(question).ok();
        }
        use std::io::Write;
        let mut out = std::io::stderr();
        let _ = out.write_all(question.as_bytes());
        let _ = out.flush();
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).ok()?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn say(&mut self, text: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{text}");
    }
}
