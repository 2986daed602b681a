//! Rollouts in the SQLite history: the shards of one `--shard` rollout sharing one run, for
//! shards on one machine sharing the file (the rules are `state/rollout.rs`'s). Every step is
//! one IMMEDIATE transaction, so two shards arriving at once cannot both create the run and
//! two ending at once cannot both leave it running. A shard whose process is gone from this
//! machine is `interrupted`.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::pipeline::history::{hostname, now, pid_alive, username, History, HistoryError};
use crate::pipeline::lock;
use crate::report::merge::merged;
use crate::report::model::Report;
use crate::shard::Shard;
use crate::state::rollout::{
    merged_exports, merged_stage, shard_wait, worst, Attempt, RolloutError, RolloutStart, ShardRow,
    Tried,
};
use crate::state::StateError;

/// The rollout tables (created with the others in `history.rs`'s schema).
pub(crate) const ROLLOUT_TABLES: &str = "
CREATE TABLE IF NOT EXISTS rollouts(pipeline TEXT NOT NULL, key TEXT NOT NULL, run_id INTEGER NOT NULL,
  count INTEGER NOT NULL, deadline REAL NOT NULL, PRIMARY KEY(pipeline, key));
CREATE TABLE IF NOT EXISTS rollout_shards(run_id INTEGER NOT NULL, shard INTEGER NOT NULL,
  status TEXT NOT NULL, exit_code INTEGER, user TEXT, host TEXT, pid INTEGER, started REAL NOT NULL,
  finished REAL, PRIMARY KEY(run_id, shard));
";

/// A rollout found by its key: its run, shard count and the run's status.
struct Found {
    run: i64,
    count: usize,
    status: String,
}

fn find(c: &Connection, pipeline: &str, key: &str) -> rusqlite::Result<Option<Found>> {
    c.query_row(
        "SELECT r.run_id, r.count, x.status FROM rollouts r JOIN runs x ON x.id = r.run_id
         WHERE r.pipeline=?1 AND r.key=?2",
        params![pipeline, key],
        |r| {
            Ok(Found {
                run: r.get(0)?,
                count: r.get::<_, i64>(1)? as usize,
                status: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Adds this process as `shard` of `run`; false if that shard is already there.
fn add_shard(c: &Connection, run: i64, shard: Shard, status: &str) -> rusqlite::Result<bool> {
    let code: Option<i64> = (status != "running").then_some(1);
    let n = c.execute(
        "INSERT OR IGNORE INTO rollout_shards(run_id, shard, status, exit_code, user, host, pid, started)
         VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
        params![run, shard.index as i64, status, code, username(), hostname(), std::process::id(), now()],
    )?;
    Ok(n == 1)
}

/// Creates the rollout's run (`running`, or `failed` when its shard gave up on the lock).
fn create(c: &Connection, start: &RolloutStart<'_>, status: &str) -> rusqlite::Result<i64> {
    let (exit, finished) = match status {
        "running" => (None, None),
        _ => (Some(1), Some(now())),
    };
    c.execute(
        "INSERT INTO runs(pipeline, status, started, finished, git_sha, git_branch, user, host, pid,
           exit_code, rollback_of) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        params![start.pipeline, status, now(), finished, start.git.0, start.git.1, username(),
            hostname(), std::process::id(), exit, start.rollback_of],
    )?;
    let run = c.last_insert_rowid();
    let r = start.rollout;
    c.execute(
        "INSERT INTO rollouts(pipeline, key, run_id, count, deadline) VALUES(?1,?2,?3,?4,?5)",
        params![
            start.pipeline,
            r.key,
            run,
            r.shard.count as i64,
            now() + shard_wait().as_secs_f64()
        ],
    )?;
    add_shard(c, run, r.shard, status)?;
    Ok(run)
}

/// One attempt, in one transaction: join the rollout's run, or create it with the lock.
fn attempt(c: &Connection, start: &RolloutStart<'_>, give_up: bool) -> rusqlite::Result<Tried> {
    mark_dead_rollouts(c)?;
    let r = start.rollout;
    let busy = match start.lock {
        Some(name) => lock::in_the_way(c, name)?,
        None => None,
    };
    if let Some(found) = find(c, start.pipeline, &r.key)? {
        if found.count != r.shard.count {
            return Ok(Err(RolloutError::Count {
                key: r.key.clone(),
                run: found.run,
                count: found.count,
                given: r.shard.count,
            }));
        }
        if found.status != "running" {
            // A rollout refused by the lock: its other shards stop with the same message.
            if let Some(busy) = busy.filter(|_| found.status == "failed") {
                add_shard(c, found.run, r.shard, "failed")?;
                return Ok(Ok(Attempt::Refused(busy)));
            }
            return Ok(Err(RolloutError::Ended {
                key: r.key.clone(),
                run: found.run,
                status: found.status,
            }));
        }
        return Ok(match add_shard(c, found.run, r.shard, "running")? {
            true => Ok(Attempt::Run(found.run)),
            false => Err(RolloutError::Twice {
                key: r.key.clone(),
                shard: r.shard,
                run: found.run,
            }),
        });
    }
    if let Some(busy) = busy {
        if give_up {
            create(c, start, "failed")?;
        }
        return Ok(Ok(Attempt::Busy(busy)));
    }
    let run = create(c, start, "running")?;
    if let Some(name) = start.lock {
        lock::take(c, name, run)?;
    }
    Ok(Ok(Attempt::Run(run)))
}

/// Marks shards whose process is gone from this machine `interrupted`, and ends the rollouts
/// whose shards have all ended (or whose missing shards did not come in time).
pub(crate) fn mark_dead_rollouts(c: &Connection) -> rusqlite::Result<()> {
    let mut stmt = c.prepare(
        "SELECT run_id, shard, pid FROM rollout_shards WHERE status='running' AND host=?1",
    )?;
    let rows: Vec<(i64, i64, i64)> = stmt
        .query_map([hostname()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (run, shard, pid) in rows {
        if !pid_alive(pid) {
            c.execute(
                "UPDATE rollout_shards SET status='interrupted', exit_code=99, finished=?3
                 WHERE run_id=?1 AND shard=?2",
                params![run, shard, now()],
            )?;
        }
    }
    let mut stmt = c.prepare(
        "SELECT r.run_id FROM rollouts r JOIN runs x ON x.id = r.run_id WHERE x.status='running'",
    )?;
    let running: Vec<i64> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for run in running {
        end_if_complete(c, run)?;
    }
    Ok(())
}

/// Ends rollout run `run` when none of its shards is running and all came (or the wait for
/// the missing ones passed): the worst status, the highest exit code, the lock released.
fn end_if_complete(c: &Connection, run: i64) -> rusqlite::Result<bool> {
    let (count, deadline): (i64, f64) = c.query_row(
        "SELECT count, deadline FROM rollouts WHERE run_id=?1",
        [run],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt =
        c.prepare("SELECT status, coalesce(exit_code, 0) FROM rollout_shards WHERE run_id=?1")?;
    let shards: Vec<(String, i64)> = stmt
        .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let missing = usize::try_from(count)
        .unwrap_or(0)
        .saturating_sub(shards.len());
    if shards.iter().any(|(s, _)| s == "running") || (missing > 0 && deadline > now()) {
        return Ok(false);
    }
    let (status, code) = worst(&shards, missing);
    c.execute(
        "UPDATE runs SET status=?2, finished=?3, exit_code=?4 WHERE id=?1 AND status='running'",
        params![run, status, now(), code],
    )?;
    c.execute(
        "UPDATE stages SET status=?2, finished=?3 WHERE run_id=?1 AND status='running'",
        params![run, status, now()],
    )?;
    c.execute("DELETE FROM locks WHERE run_id=?1", [run])?;
    Ok(true)
}

/// True if `run` is a rollout's run that has not ended (its lock is held while any shard
/// runs, whichever process took it).
pub(crate) fn rollout_running(c: &Connection, run: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT count(*) FROM rollouts r JOIN runs x ON x.id = r.run_id
         WHERE r.run_id=?1 AND x.status='running'",
        [run],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

impl History {
    /// Runs `f` in one IMMEDIATE transaction.
    fn immediate<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// One attempt to start or join `start`'s rollout (`give_up`: the wait for the lock is
    /// over, so a refusal is recorded).
    pub(crate) fn rollout_attempt(
        &self,
        start: &RolloutStart<'_>,
        give_up: bool,
    ) -> Result<Attempt, StateError> {
        Ok(self.immediate(|c| attempt(c, start, give_up))??)
    }

    /// This shard's part ended; ends the run if it was the last. True if the run ended.
    pub(crate) fn finish_shard(
        &self,
        run: i64,
        index: usize,
        status: &str,
        code: i64,
    ) -> Result<bool, HistoryError> {
        self.immediate(|c| {
            c.execute(
                "UPDATE rollout_shards SET status=?3, exit_code=?4, finished=?5 WHERE run_id=?1 AND shard=?2",
                params![run, index as i64, status, code, now()],
            )?;
            c.execute(
                "UPDATE rollouts SET deadline=?2 WHERE run_id=?1",
                params![run, now() + shard_wait().as_secs_f64()],
            )?;
            mark_dead_rollouts(c)?;
            Ok(c.query_row("SELECT status FROM runs WHERE id=?1", [run], |r| {
                r.get::<_, String>(0)
            })? != "running")
        })
    }

    /// A shard's part of a stage starts; the first shard creates the stage's row.
    pub fn start_shard_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
    ) -> Result<(), HistoryError> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO stages(run_id, name, status, started) VALUES(?1,?2,?3,?4)",
                params![run, name, status, now()],
            )
            .map(|_| ())
        })
    }

    /// A shard's part of a stage ended: merged into the stage's row.
    pub fn finish_shard_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i64,
        exports: String,
    ) -> Result<(), HistoryError> {
        self.immediate(|c| {
            let (theirs, their_code, their_exports): (String, Option<i64>, Option<String>) = c
                .query_row(
                    "SELECT status, exit_code, exports FROM stages WHERE run_id=?1 AND name=?2",
                    params![run, name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
            c.execute(
                "UPDATE stages SET status=?3, exit_code=?4, finished=?5, exports=?6 WHERE run_id=?1 AND name=?2",
                params![
                    run,
                    name,
                    merged_stage(&theirs, status),
                    their_code.unwrap_or(0).max(code),
                    now(),
                    merged_exports(their_exports, exports)
                ],
            )
            .map(|_| ())
        })
    }

    /// A rollout's run: `report` (this shard's) merged into what the shards before it stored,
    /// with the run's status, in one transaction. False if `id` is no rollout's run.
    pub(crate) fn store_shard_report(
        &self,
        id: i64,
        report: &mut Report,
    ) -> Result<bool, HistoryError> {
        self.immediate(|c| {
            let run: Option<(String, Option<i64>)> = c
                .query_row(
                    "SELECT x.status, x.exit_code FROM rollouts r JOIN runs x ON x.id = r.run_id
                     WHERE r.run_id=?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((status, code)) = run else {
                return Ok(false);
            };
            let stored: Option<String> = c
                .query_row("SELECT model FROM reports WHERE run_id=?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            *report = merged(stored.as_deref(), report, status, code);
            let args = serde_json::to_string(&report.args).unwrap_or_default();
            let model = serde_json::to_string(&*report).unwrap_or_default();
            c.execute(
                "INSERT OR REPLACE INTO reports(run_id, args, model) VALUES(?1,?2,?3)",
                params![id, args, model],
            )?;
            Ok(true)
        })
    }

    /// The shards of run `id`, by index.
    pub fn rollout_shards(&self, id: i64) -> Result<Vec<ShardRow>, HistoryError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT r.key, s.shard, r.count, s.status, s.exit_code, s.user, s.host
                 FROM rollout_shards s JOIN rollouts r ON r.run_id = s.run_id
                 WHERE s.run_id=?1 ORDER BY s.shard",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(ShardRow::read(
                    r.get(0)?,
                    (r.get(1)?, r.get(2)?),
                    r.get(3)?,
                    r.get(4)?,
                    (r.get(5)?, r.get(6)?),
                ))
            })?;
            rows.collect()
        })
    }
}
