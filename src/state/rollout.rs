//! One rollout split over shards (`pipeline run --shard I/N` with a run key): the shards share
//! one run id, one deploy lock and one history row. This file owns the key (`--run-key`,
//! `FERRY_RUN_KEY`, else — on PostgreSQL — the CI system's run), the waiting loop, and the
//! rules both backends
//! follow; the SQL is the backends' (`pipeline/history_rollouts.rs` for SQLite,
//! `postgres_rollouts.rs` for PostgreSQL).
//!
//! The rules: the first shard to arrive takes the pipeline's lock and creates the run (both
//! in one transaction, so two shards arriving at once cannot both create it); a shard that
//! finds the rollout's run joins it instead of waiting on the lock. Each shard records its own
//! part — hosts, results, recaps, its stages merged into the run's, its status and exit code.
//! The run ends when all `N` shards have reported, with the worst status and the highest exit
//! code; the lock is released then. A shard whose runner died (its process gone on this
//! machine, or its lease passed on PostgreSQL) is `interrupted`; missing shards are waited for
//! up to the shard wait (`FERRY_SHARD_WAIT`, default 10 minutes) after the last shard ended,
//! then the run is `interrupted` too.

use std::time::{Duration, Instant};

use crate::pipeline::lock::LockError;
use crate::shard::Shard;
use crate::state::{StateError, Store};

/// The run of a rollout: which shard this process is, and the key the shards share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// What the shards of one rollout have in common (a CI run's id).
    pub key: String,
    /// This process's shard.
    pub shard: Shard,
    /// The key came from the CI system's variables, not from `--run-key`/`FERRY_RUN_KEY`:
    /// it applies on PostgreSQL only, since a SQLite file is shared by the shards of one
    /// machine alone, and the CI system's other runners would leave its rollouts waiting.
    pub from_ci: bool,
}

impl Rollout {
    /// The rollout a `--shard` run takes part in: its shard and the key [`run_key`] finds
    /// (`given`: `--run-key`); `None` without either, each shard then a run of its own.
    pub fn of(shard: Option<Shard>, given: Option<&str>) -> Option<Rollout> {
        let (key, from_ci) = run_key(given)?;
        shard.map(|shard| Rollout {
            key,
            shard,
            from_ci,
        })
    }

    /// Whether the shards join one run in `store`: a key from the CI system's variables does
    /// not apply on SQLite (see [`Rollout::from_ci`]).
    pub fn applies_on(&self, store: &Store) -> bool {
        !(self.from_ci && matches!(store, Store::Sqlite(_)))
    }
}

/// What a shard knows when it starts: the run to create, or to join.
pub struct RolloutStart<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The shard and the key.
    pub rollout: &'a Rollout,
    /// `git_sha`, `git_branch`.
    pub git: (&'a str, &'a str),
    /// A rollback's target run.
    pub rollback_of: Option<i64>,
    /// The pipeline's lock, when it has one.
    pub lock: Option<&'a str>,
}

impl RolloutStart<'_> {
    /// How this rollout's shards name themselves in the lock's queue: its pipeline and key.
    pub(crate) fn queued_as(&self) -> String {
        format!("{}/{}", self.pipeline, self.rollout.key)
    }
}

/// The outcome of one attempt to start or join a rollout.
pub enum Attempt {
    /// This shard runs as part of run `id`.
    Run(i64),
    /// The lock is held by another run.
    Busy(LockError),
    /// The lock is held by another run, and the rollout already gave up on it.
    Refused(LockError),
}

/// An attempt, or why this shard cannot take part in its rollout.
pub(crate) type Tried = Result<Attempt, RolloutError>;

/// A shard that cannot take part in its rollout.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// The rollout has another number of shards.
    #[error("run key '{key}': run {run} is a rollout of {count} shards, not {given} (the shards of one rollout need the same --shard COUNT)")]
    Count {
        key: String,
        run: i64,
        count: usize,
        given: usize,
    },
    /// The rollout's run is over.
    #[error("run key '{key}': its rollout, run {run}, already ended ({status}); a new rollout needs a new --run-key")]
    Ended {
        key: String,
        run: i64,
        status: String,
    },
    /// This shard already took part.
    #[error("run key '{key}': shard {shard} already took part in run {run}; a new rollout needs a new --run-key")]
    Twice { key: String, shard: Shard, run: i64 },
}

/// The rollout key and whether it came from the CI system: `--run-key`/`FERRY_RUN_KEY`
/// (`given`), else the CI system's run — GitHub Actions' run id and attempt, GitLab's pipeline
/// id. `None`: each shard is a run of its own. The Kubernetes Job example sets
/// `FERRY_RUN_KEY` from the Job's uid.
pub fn run_key(given: Option<&str>) -> Option<(String, bool)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(key) = given.map(str::trim).filter(|k| !k.is_empty()) {
        return Some((key.to_string(), false));
    }
    if let Some(id) = env("GITHUB_RUN_ID") {
        let attempt = env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into());
        return Some((format!("github-{id}-{attempt}"), true));
    }
    env("CI_PIPELINE_ID").map(|id| (format!("gitlab-{id}"), true))
}

/// How long a rollout waits for shards that have not arrived, after its last shard ended:
/// `FERRY_SHARD_WAIT` (e.g. 30m), default 10 minutes.
pub(crate) fn shard_wait() -> Duration {
    std::env::var("FERRY_SHARD_WAIT")
        .ok()
        .and_then(|t| crate::cli::parse_duration(&t).ok())
        .unwrap_or(Duration::from_secs(600))
}

/// How a rollout's run ends from its shards' (status, exit code), `missing` shards never
/// having arrived: interrupted if any was (or is missing), else failed if any failed; the
/// highest exit code (99 for an interrupted run, as Ctrl-C's).
pub(crate) fn worst(shards: &[(String, i64)], missing: usize) -> (&'static str, i64) {
    let code = shards.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let any = |s: &str| shards.iter().any(|(st, _)| st == s);
    if missing > 0 || any("interrupted") {
        ("interrupted", code.max(99))
    } else if any("failed") || code != 0 {
        ("failed", code)
    } else {
        ("succeeded", 0)
    }
}

/// How bad a stage's status is, for merging the shards' parts of one stage: the worse one
/// stays (a part still running is replaced by one that ended).
pub(crate) fn stage_rank(status: &str) -> u8 {
    match status {
        "failed" => 5,
        "interrupted" => 4,
        s if s.starts_with("skipped") => 3,
        "succeeded" => 2,
        "reused" => 1,
        _ => 0,
    }
}

/// The status a stage row keeps when a shard's part ends `mine` and the row says `theirs`.
pub(crate) fn merged_stage(theirs: &str, mine: &str) -> String {
    match stage_rank(theirs) > stage_rank(mine) {
        true => theirs.to_string(),
        false => mine.to_string(),
    }
}

/// Exports as a shard's stage keeps them: the first shard's to end (the others' CI stages
/// export the same; a CD stage's exports are the first shard's hosts').
pub(crate) fn merged_exports(theirs: Option<String>, mine: String) -> String {
    theirs.filter(|t| t != "{}").unwrap_or(mine)
}

/// [`merged_exports`] for a report's stages.
pub(crate) fn merged_exports_of(
    theirs: crate::vars::Vars,
    mine: &crate::vars::Vars,
) -> crate::vars::Vars {
    match theirs.is_empty() {
        true => mine.clone(),
        false => theirs,
    }
}

impl Store {
    /// Starts or joins the rollout's run: returns its id. A shard that finds the lock held by
    /// another run waits up to `wait` (in the order waiters asked, on PostgreSQL); one that
    /// gives up records the rollout as failed, so its other shards stop too.
    pub async fn start_rollout(
        &self,
        start: &RolloutStart<'_>,
        wait: Duration,
    ) -> Result<i64, StateError> {
        let ticket = match (self, start.lock) {
            (Store::Postgres(s), Some(name)) => {
                let queued_as = start.queued_as();
                Some(super::postgres_lock::enqueue(s, name, 0, Some(&queued_as))?)
            }
            _ => None,
        };
        let deadline = Instant::now() + wait;
        let result = loop {
            let give_up = Instant::now() >= deadline;
            let attempt = match self {
                Store::Postgres(s) => s.rollout_attempt(start, ticket, give_up),
                Store::Sqlite(s) => s.rollout_attempt(start, give_up),
            };
            match attempt {
                Ok(Attempt::Run(id)) => break Ok(id),
                Ok(Attempt::Busy(busy)) if give_up => break Err(busy.into()),
                Ok(Attempt::Refused(busy)) => break Err(busy.into()),
                Ok(Attempt::Busy(_)) => tokio::time::sleep(Duration::from_millis(300)).await,
                Err(e) => break Err(e),
            }
        };
        if let (Store::Postgres(s), Some(ticket)) = (self, ticket) {
            let _ = super::postgres_lock::dequeue(s, ticket);
        }
        result
    }

    /// This shard's part ended with `status` and `code`; the run ends (and its lock is
    /// released) when it was the last part. True if the run ended.
    pub fn finish_shard(
        &self,
        run: i64,
        shard: Shard,
        status: &str,
        code: i32,
    ) -> Result<bool, StateError> {
        let code = i64::from(code);
        match self {
            Store::Postgres(s) => Ok(s.finish_shard(run, shard.index, status, code)?),
            Store::Sqlite(s) => Ok(s.finish_shard(run, shard.index, status, code)?),
        }
    }

    /// A shard's part of a stage starts: the stage row is created by the first shard only.
    pub fn start_shard_stage(&self, run: i64, name: &str, status: &str) -> Result<(), StateError> {
        crate::state::forward!(self.start_shard_stage(run, name, status))
    }

    /// A shard's part of a stage ended: the stage keeps the worse status, the higher exit
    /// code and the first exports.
    pub fn finish_shard_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i32,
        exports: &crate::vars::Vars,
    ) -> Result<(), StateError> {
        let exports = crate::pipeline::history::stored_exports(exports);
        let code = i64::from(code);
        crate::state::forward!(self.finish_shard_stage(run, name, status, code, exports))
    }

    /// The shards of run `id` as recorded: (index, count, status, exit code, user@host).
    pub fn rollout_shards(&self, id: i64) -> Result<Vec<ShardRow>, StateError> {
        crate::state::forward!(self.rollout_shards(id))
    }
}

impl ShardRow {
    /// A row as read: the key, index, count, status, exit code, user and host.
    pub(crate) fn read(
        key: String,
        (index, count): (i64, i64),
        status: String,
        exit_code: Option<i64>,
        (user, host): (Option<String>, Option<String>),
    ) -> ShardRow {
        ShardRow {
            key,
            shard: Shard {
                index: usize::try_from(index).unwrap_or(0),
                count: usize::try_from(count).unwrap_or(0),
            },
            status,
            exit_code,
            runner: format!("{}@{}", user.unwrap_or_default(), host.unwrap_or_default()),
        }
    }
}

/// One shard of a rollout, as recorded.
#[derive(Debug, Clone)]
pub struct ShardRow {
    /// The rollout's key.
    pub key: String,
    /// The shard.
    pub shard: Shard,
    /// `running`, `succeeded`, `failed`, `interrupted`.
    pub status: String,
    /// Its exit code, once it ended.
    pub exit_code: Option<i64>,
    /// Where it ran: user@host.
    pub runner: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_ends_with_its_worst_shard() {
        type Case<'a> = (&'a [(&'a str, i64)], usize, (&'a str, i64));
        let cases: &[Case] = &[
            (&[("succeeded", 0), ("succeeded", 0)], 0, ("succeeded", 0)),
            (&[("succeeded", 0), ("failed", 2)], 0, ("failed", 2)),
            (&[("failed", 4), ("failed", 2)], 0, ("failed", 4)),
            (
                &[("failed", 2), ("interrupted", 99)],
                0,
                ("interrupted", 99),
            ),
            (&[("succeeded", 0)], 1, ("interrupted", 99)),
        ];
        for (shards, missing, want) in cases {
            let shards: Vec<(String, i64)> =
                shards.iter().map(|(s, c)| (s.to_string(), *c)).collect();
            assert_eq!(worst(&shards, *missing), *want, "{shards:?} {missing}");
        }
    }

    #[test]
    fn a_stage_keeps_the_worse_part() {
        let cases = [
            ("running", "succeeded", "succeeded"),
            ("succeeded", "failed", "failed"),
            ("failed", "succeeded", "failed"),
            ("skipped: needs ci", "succeeded", "skipped: needs ci"),
            ("succeeded", "running", "succeeded"),
        ];
        for (theirs, mine, want) in cases {
            assert_eq!(merged_stage(theirs, mine), want, "{theirs} {mine}");
        }
    }
}
