//! Rollouts in PostgreSQL: the shards of one `--shard` rollout, on any runners, sharing one
//! run (the rules are `rollout.rs`'s). Migration 3 adds `rollouts` (the key, the run, the
//! shard count, how long missing shards are waited for) and `rollout_shards` (each shard's
//! part, with a lease its runner renews). Starting or joining takes an advisory lock on the
//! pipeline and key, then on the run; ending a shard's part takes the run's, so two shards
//! that end at once cannot both leave the run running. What a shard records of its stages and
//! report is `postgres_rollout_parts.rs`'s.

use tokio_postgres::Transaction;

use crate::pipeline::history::{hostname, username};
use crate::pipeline::lock::LockError;
use crate::shard::Shard;
use crate::state::postgres::{block, runtime, PgError, PgStore, NOW};
use crate::state::postgres_lock::{check_in, take_row};
use crate::state::rollout::{shard_wait, worst, Attempt, RolloutError, RolloutStart, Tried};
use crate::state::StateError;

/// Migration 3: the rollout tables.
pub(crate) const ROLLOUT_TABLES: &str = "
CREATE TABLE rollouts(pipeline TEXT NOT NULL, key TEXT NOT NULL, run_id BIGINT NOT NULL UNIQUE,
  count BIGINT NOT NULL, deadline DOUBLE PRECISION NOT NULL, PRIMARY KEY(pipeline, key));
CREATE TABLE rollout_shards(run_id BIGINT NOT NULL, shard BIGINT NOT NULL, status TEXT NOT NULL,
  exit_code BIGINT, \"user\" TEXT, host TEXT, pid BIGINT, started DOUBLE PRECISION NOT NULL,
  finished DOUBLE PRECISION, lease_until DOUBLE PRECISION NOT NULL, PRIMARY KEY(run_id, shard));";

type PgResult<T> = Result<T, tokio_postgres::Error>;

/// Serialises the changes to one rollout's run, for the rest of the transaction.
pub(crate) async fn lock_run(tx: &Transaction<'_>, run: i64) -> PgResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('ferry.rollout.run.' || $1::bigint::text))",
        &[&run],
    )
    .await
    .map(|_| ())
}

/// Adds this process as `shard` of `run`; false if that shard is already there.
async fn add_shard(
    tx: &Transaction<'_>,
    run: i64,
    shard: Shard,
    status: &str,
    ttl: f64,
) -> PgResult<bool> {
    let code: Option<i64> = (status != "running").then_some(1);
    let sql = format!(
        "INSERT INTO rollout_shards(run_id, shard, status, exit_code, \"user\", host, pid, started,
           lease_until) VALUES($1,$2,$3,$4,$5,$6,$7,{NOW},{NOW}+$8) ON CONFLICT DO NOTHING"
    );
    let pid = i64::from(std::process::id());
    let index = shard.index as i64;
    let n = tx
        .execute(
            &sql,
            &[
                &run,
                &index,
                &status,
                &code,
                &username(),
                &hostname(),
                &pid,
                &ttl,
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Creates the rollout's run (`running`, or `failed` when its shard gave up on the lock).
async fn create(
    tx: &Transaction<'_>,
    start: &RolloutStart<'_>,
    status: &str,
    ttl: f64,
) -> PgResult<i64> {
    let ended = status != "running";
    let sql = format!(
        "INSERT INTO runs(pipeline, status, started, finished, git_sha, git_branch, \"user\", host,
           pid, exit_code, rollback_of, lease_until)
         VALUES($1,$2,{NOW},CASE WHEN $3 THEN {NOW} END,$4,$5,$6,$7,$8,CASE WHEN $3 THEN 1 END,$9,
           {NOW}+$10) RETURNING id"
    );
    let pid = i64::from(std::process::id());
    let row = tx
        .query_one(
            &sql,
            &[
                &start.pipeline,
                &status,
                &ended,
                &start.git.0,
                &start.git.1,
                &username(),
                &hostname(),
                &pid,
                &start.rollback_of,
                &ttl,
            ],
        )
        .await?;
    let run: i64 = row.get(0);
    let r = start.rollout;
    let sql = format!(
        "INSERT INTO rollouts(pipeline, key, run_id, count, deadline) VALUES($1,$2,$3,$4,{NOW}+$5)"
    );
    let count = r.shard.count as i64;
    let wait = shard_wait().as_secs_f64();
    tx.execute(&sql, &[&start.pipeline, &r.key, &run, &count, &wait])
        .await?;
    add_shard(tx, run, r.shard, status, ttl).await?;
    Ok(run)
}

/// Who holds the pipeline's lock, or waits for it before `ticket` (other than this rollout's
/// shards), if anyone.
async fn lock_busy(
    tx: &Transaction<'_>,
    start: &RolloutStart<'_>,
    ticket: Option<i64>,
    ttl: f64,
) -> PgResult<Option<LockError>> {
    match (start.lock, ticket) {
        (Some(name), Some(ticket)) => {
            let queued_as = start.queued_as();
            check_in(tx, name, (ticket, Some(&queued_as)), ttl).await
        }
        _ => Ok(None),
    }
}

/// One attempt, in one transaction: join the rollout's run, or create it with the lock.
async fn attempt(
    tx: &Transaction<'_>,
    start: &RolloutStart<'_>,
    ticket: Option<i64>,
    give_up: bool,
    ttl: f64,
) -> PgResult<Tried> {
    let r = start.rollout;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('ferry.rollout.' || $1 || '/' || $2))",
        &[&start.pipeline, &r.key],
    )
    .await?;
    let found = tx
        .query_opt(
            "SELECT r.run_id, r.count FROM rollouts r WHERE r.pipeline=$1 AND r.key=$2",
            &[&start.pipeline, &r.key],
        )
        .await?;
    if let Some(found) = found {
        let (run, count): (i64, i64) = (found.get(0), found.get(1));
        lock_run(tx, run).await?;
        return join(tx, start, ticket, (run, count as usize), ttl).await;
    }
    if let Some(busy) = lock_busy(tx, start, ticket, ttl).await? {
        if give_up {
            create(tx, start, "failed", ttl).await?;
        }
        return Ok(Ok(Attempt::Busy(busy)));
    }
    let run = create(tx, start, "running", ttl).await?;
    if let (Some(name), Some(ticket)) = (start.lock, ticket) {
        take_row(tx, name, run, ticket, ttl).await?;
    }
    Ok(Ok(Attempt::Run(run)))
}

/// Joins the rollout's run `found` (its id and shard count), when it still runs.
async fn join(
    tx: &Transaction<'_>,
    start: &RolloutStart<'_>,
    ticket: Option<i64>,
    (run, count): (i64, usize),
    ttl: f64,
) -> PgResult<Tried> {
    let r = start.rollout;
    if count != r.shard.count {
        return Ok(Err(RolloutError::Count {
            key: r.key.clone(),
            run,
            count,
            given: r.shard.count,
        }));
    }
    let status: String = tx
        .query_one("SELECT status FROM runs WHERE id=$1", &[&run])
        .await?
        .get(0);
    if status != "running" {
        // A rollout refused by the lock: its other shards stop with the same message.
        let busy = lock_busy(tx, start, ticket, ttl).await?;
        if let Some(busy) = busy.filter(|_| status == "failed") {
            add_shard(tx, run, r.shard, "failed", ttl).await?;
            return Ok(Ok(Attempt::Refused(busy)));
        }
        let key = r.key.clone();
        return Ok(Err(RolloutError::Ended { key, run, status }));
    }
    Ok(match add_shard(tx, run, r.shard, "running", ttl).await? {
        true => Ok(Attempt::Run(run)),
        false => Err(RolloutError::Twice {
            key: r.key.clone(),
            shard: r.shard,
            run,
        }),
    })
}

/// Ends rollout run `run` when none of its shards is running and all came (or the wait for
/// the missing ones passed): the worst status, the highest exit code, the lock released.
async fn end_if_complete(tx: &Transaction<'_>, run: i64) -> PgResult<bool> {
    let sql = format!("SELECT count, deadline < {NOW} FROM rollouts WHERE run_id=$1");
    let row = tx.query_one(&sql, &[&run]).await?;
    let (count, waited): (i64, bool) = (row.get(0), row.get(1));
    let rows = tx
        .query(
            "SELECT status, coalesce(exit_code, 0) FROM rollout_shards WHERE run_id=$1",
            &[&run],
        )
        .await?;
    let shards: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let missing = usize::try_from(count)
        .unwrap_or(0)
        .saturating_sub(shards.len());
    if shards.iter().any(|(s, _)| s == "running") || (missing > 0 && !waited) {
        return Ok(false);
    }
    let (status, code) = worst(&shards, missing);
    tx.execute(
        &format!(
            "UPDATE runs SET status=$2, finished={NOW}, exit_code=$3 WHERE id=$1 AND status='running'"
        ),
        &[&run, &status, &code],
    )
    .await?;
    tx.execute(
        &format!(
            "UPDATE stages SET status=$2, finished={NOW} WHERE run_id=$1 AND status='running'"
        ),
        &[&run, &status],
    )
    .await?;
    tx.execute("DELETE FROM locks WHERE run_id=$1", &[&run])
        .await?;
    Ok(true)
}

impl PgStore {
    /// One attempt to start or join `start`'s rollout (`give_up`: the wait for the lock is
    /// over, so a refusal is recorded). A run this shard takes part in gets its lease renewed.
    pub(crate) fn rollout_attempt(
        &self,
        start: &RolloutStart<'_>,
        ticket: Option<i64>,
        give_up: bool,
    ) -> Result<Attempt, StateError> {
        self.mark_dead_runs()?;
        let ttl = self.ttl();
        let mut c = self.client();
        let tried = block(async {
            let tx = c.transaction().await?;
            let tried = attempt(&tx, start, ticket, give_up, ttl).await?;
            tx.commit().await?;
            Ok(tried)
        })
        .map_err(|e| self.err(e))?;
        drop(c);
        if let Ok(Attempt::Run(run)) = &tried {
            self.last_run
                .store(*run, std::sync::atomic::Ordering::SeqCst);
            self.renew_shard(*run, start.rollout.shard.index as i64);
        }
        Ok(tried?)
    }

    /// Renews the run's lease, its lock and this shard's lease every third of the TTL.
    fn renew_shard(&self, run: i64, shard: i64) {
        let client = std::sync::Arc::clone(&self.renewer);
        let ttl = self.ttl_duration();
        let runs = format!(
            "UPDATE runs SET lease_until=greatest(lease_until, {NOW}+$2) WHERE id=$1 AND status='running'"
        );
        let locks = format!("UPDATE locks SET expires=greatest(expires, {NOW}+$2) WHERE run_id=$1");
        let shards =
            format!("UPDATE rollout_shards SET lease_until={NOW}+$2 WHERE run_id=$1 AND shard=$3");
        let task = runtime().spawn(async move {
            loop {
                tokio::time::sleep(ttl / 3).await;
                let secs = ttl.as_secs_f64();
                let _ = client.execute(&runs, &[&run, &secs]).await;
                let _ = client.execute(&locks, &[&run, &secs]).await;
                let _ = client.execute(&shards, &[&run, &secs, &shard]).await;
            }
        });
        self.keep_lease(run, task.abort_handle());
    }

    /// Marks shards whose lease passed `interrupted`, and ends the rollouts whose shards have
    /// all ended (or whose missing shards did not come in time).
    pub(crate) fn mark_dead_rollouts(&self) -> Result<(), PgError> {
        let mut c = self.client();
        block(async {
            let sql = format!(
                "UPDATE rollout_shards SET status='interrupted', exit_code=99, finished=lease_until
                 WHERE status='running' AND lease_until < {NOW}"
            );
            c.execute(&sql, &[]).await?;
            let rows = c
                .query(
                    "SELECT r.run_id FROM rollouts r JOIN runs x ON x.id = r.run_id
                     WHERE x.status='running'",
                    &[],
                )
                .await?;
            for row in rows {
                let tx = c.transaction().await?;
                lock_run(&tx, row.get(0)).await?;
                end_if_complete(&tx, row.get(0)).await?;
                tx.commit().await?;
            }
            Ok(())
        })
        .map_err(|e| self.err(e))
    }

    /// This shard's part ended; ends the run if it was the last. True if the run ended.
    pub(crate) fn finish_shard(
        &self,
        run: i64,
        index: usize,
        status: &str,
        code: i64,
    ) -> Result<bool, PgError> {
        self.stop_lease(run);
        let wait = shard_wait().as_secs_f64();
        let index = index as i64;
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            lock_run(&tx, run).await?;
            let sql = format!(
                "UPDATE rollout_shards SET status=$3, exit_code=$4, finished={NOW}
                 WHERE run_id=$1 AND shard=$2"
            );
            tx.execute(&sql, &[&run, &index, &status, &code]).await?;
            // Missing shards are waited for: the run and its lock live on until then.
            let waits = [
                format!("UPDATE rollouts SET deadline={NOW}+$2 WHERE run_id=$1"),
                format!("UPDATE runs SET lease_until=greatest(lease_until, {NOW}+$2) WHERE id=$1"),
                format!("UPDATE locks SET expires=greatest(expires, {NOW}+$2) WHERE run_id=$1"),
            ];
            for sql in &waits {
                tx.execute(sql, &[&run, &wait]).await?;
            }
            let ended = end_if_complete(&tx, run).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .map_err(|e| self.err(e))
    }
}
