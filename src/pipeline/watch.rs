//! `ferry pipeline watch`: polls a git branch (a local path or any URL git can fetch) and runs
//! the pipeline once for each new commit, like Jenkins' "poll SCM". Runs never overlap, and a
//! failing run does not stop the watch.
//!
//! The first commit seen is the baseline: the newest run of this pipeline on the branch in the
//! history, else the branch's head when the watch starts (which does not trigger a run).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use crate::error::Error;
use crate::events::{Reporter, Tee};
use crate::pipeline::run::{run, PipelineOptions};
use crate::pipeline::Pipeline;
use crate::state::Store;

/// What to watch.
pub struct WatchOptions {
    /// The repository (path or URL).
    pub repo: String,
    /// The branch.
    pub branch: String,
    /// Time between polls.
    pub every: Duration,
    /// Stop after this many runs.
    pub max_runs: Option<usize>,
}

/// Called when a run ends, with its exit code: writes that run's own record.
pub type RunDone = Box<dyn FnOnce(i32) -> Result<(), Error> + Send>;

/// The branch head, from `git ls-remote`.
fn head(repo: &str, branch: &str) -> Result<Option<String>, Error> {
    let out = std::process::Command::new("git")
        .args(["ls-remote", repo, &format!("refs/heads/{branch}")])
        .output()
        .map_err(|source| Error::GitRun { source })?;
    if !out.status.success() {
        return Err(Error::Git {
            command: format!("git ls-remote {repo}"),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .map(String::from))
}

/// Watches until `max_runs` runs have happened (or forever); returns the last run's code.
/// `each_run` gives each run a reporter of its own beside `reporter` and what to call when it
/// ends (a run interrupted drops it instead).
pub async fn watch(
    pipeline: &Pipeline,
    db: Arc<Store>,
    make_opts: impl Fn() -> PipelineOptions,
    each_run: impl Fn() -> (Arc<dyn Reporter>, RunDone),
    w: WatchOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<i32, Error> {
    let seen_in_history = db
        .runs(Some(&pipeline.name))?
        .into_iter()
        .find(|r| r.git_branch == w.branch && !r.git_sha.is_empty())
        .map(|r| r.git_sha);
    let mut last = match seen_in_history {
        Some(sha) => Some(sha),
        None => head(&w.repo, &w.branch)?,
    };
    let mut runs = 0;
    let mut code = 0;
    loop {
        if w.max_runs.is_some_and(|m| runs >= m) {
            return Ok(code);
        }
        tokio::select! {
            _ = tokio::time::sleep(w.every) => {}
            _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
        }
        let now = match head(&w.repo, &w.branch) {
            Ok(h) => h,
            Err(e) => {
                reporter.warning(&e.to_string());
                continue;
            }
        };
        if now.is_none() || now == last {
            continue;
        }
        let sha = now.clone().unwrap_or_default();
        let mut opts = make_opts();
        opts.extra_vars.insert("git_sha".into(), Json::String(sha));
        opts.extra_vars
            .insert("git_branch".into(), Json::String(w.branch.clone()));
        let (own, done) = each_run();
        let tee: Arc<dyn Reporter> = Arc::new(Tee(vec![Arc::clone(&reporter), own]));
        code = match run(pipeline, Arc::clone(&db), opts, tee).await {
            Ok(c) => c,
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => {
                reporter.warning(&e.to_string());
                1
            }
        };
        if let Err(e) = done(code) {
            reporter.warning(&e.to_string());
        }
        last = now;
        runs += 1;
    }
}
