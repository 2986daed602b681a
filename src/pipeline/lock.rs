//! The deploy lock, held in the history database: holder (user, host, pid, run id), start time
//! and a TTL. A second run on the same lock waits (`--wait-lock`) or fails at once naming the
//! holder; a lock whose holder died on this machine, or whose TTL passed, is taken over.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::pipeline::history::{hostname, now, pid_alive, username, History, HistoryError};

/// How long a lock is valid without its holder (for holders on other machines).
pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 3600);

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds it.
    #[error("the lock '{name}' is held by {user}@{host} (pid {pid}, run {run_id}) since {since}s ago; wait with --wait-lock DURATION, or clear a stale lock with 'ferry lock release {name}'")]
    Busy {
        name: String,
        user: String,
        host: String,
        pid: i64,
        run_id: i64,
        since: u64,
    },
    /// Nobody holds it, but another run asked for it first (`--wait-lock` waiters are served
    /// in the order they asked).
    #[error("the lock '{name}' is next for {user}@{host} (pid {pid}), who asked for it first; wait with --wait-lock DURATION")]
    Queued {
        name: String,
        user: String,
        host: String,
        pid: i64,
    },
    /// The database failed.
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// Takes `name` for `run_id`, waiting up to `wait`.
pub async fn acquire(
    db: &History,
    name: &str,
    run_id: i64,
    wait: Duration,
) -> Result<(), LockError> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match try_acquire(db, name, run_id)? {
            None => return Ok(()),
            Some(busy) if std::time::Instant::now() >= deadline => return Err(busy),
            Some(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

fn try_acquire(db: &History, name: &str, run_id: i64) -> Result<Option<LockError>, HistoryError> {
    db.with(|c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        crate::pipeline::history_rollouts::mark_dead_rollouts(&tx)?;
        if let Some(busy) = in_the_way(&tx, name)? {
            return Ok(Some(busy));
        }
        take(&tx, name, run_id)?;
        tx.commit()?;
        Ok(None)
    })
}

/// Who holds `name`, unless the holder died on this machine or its TTL passed. A rollout's
/// run holds it while any of its shards runs, whichever shard's process took it.
pub(crate) fn in_the_way(c: &Connection, name: &str) -> rusqlite::Result<Option<LockError>> {
    let holder: Option<(String, String, i64, i64, f64, f64)> = c
        .query_row(
            "SELECT user, host, pid, run_id, acquired, ttl FROM locks WHERE name=?1",
            [name],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((user, host, pid, holder_run, acquired, ttl)) = holder else {
        return Ok(None);
    };
    let dead = host == hostname()
        && !pid_alive(pid)
        && !crate::pipeline::history_rollouts::rollout_running(c, holder_run)?;
    let expired = acquired + ttl < now();
    if dead || expired {
        return Ok(None);
    }
    Ok(Some(LockError::Busy {
        name: name.to_string(),
        user,
        host,
        pid,
        run_id: holder_run,
        since: (now() - acquired).max(0.0) as u64,
    }))
}

/// Takes `name` for `run_id` (the caller checked no one is in the way).
pub(crate) fn take(c: &Connection, name: &str, run_id: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO locks(name, user, host, pid, run_id, acquired, ttl) VALUES(?1,?2,?3,?4,?5,?6,?7)",
        params![name, username(), hostname(), std::process::id(), run_id, now(), DEFAULT_TTL.as_secs_f64()],
    )
    .map(|_| ())
}

/// Releases `name` if `run_id` holds it.
pub fn release(db: &History, name: &str, run_id: i64) -> Result<(), HistoryError> {
    db.with(|c| {
        c.execute(
            "DELETE FROM locks WHERE name=?1 AND run_id=?2",
            params![name, run_id],
        )
        .map(|_| ())
    })
}

/// `ferry lock release NAME`: clears the lock whoever holds it; true if there was one.
pub fn force_release(db: &History, name: &str) -> Result<bool, HistoryError> {
    db.with(|c| {
        c.execute("DELETE FROM locks WHERE name=?1", [name])
            .map(|n| n > 0)
    })
}
