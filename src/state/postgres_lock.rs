//! The deploy lock in PostgreSQL: a lease row in `locks` (holder user@host, pid, run id,
//! expiry), renewed with the run's lease, so a killed runner's lock expires on its own.
//!
//! Waiters (`--wait-lock`) are served in the order they asked: each takes a ticket in
//! `lock_queue` (a sequence, so the server orders them, not the runners' clocks) and refreshes
//! it while it waits; the lock goes to the oldest live ticket once no unexpired lease holds it.
//! A ticket not refreshed for a lease length is a waiter that died and is dropped. Every
//! attempt runs in one transaction under an advisory lock on the lock's name, so two runners
//! never both see the lock free.
//!
//! A shard of a rollout waits as its rollout: its ticket names the rollout (pipeline and run
//! key), and its siblings' tickets are never in its way — the first of them to get the lock
//! creates the rollout's run, which the others join.

use std::time::{Duration, Instant};

use tokio_postgres::Transaction;

use crate::pipeline::history::{hostname, username};
use crate::pipeline::lock::LockError;
use crate::state::postgres::{block, PgError, PgStore, NOW};
use crate::state::StateError;

/// Migration 4: a waiter's rollout (`pipeline/key`), so a rollout's shards do not queue
/// behind each other.
pub(crate) const QUEUE_ROLLOUT: &str = "ALTER TABLE lock_queue ADD COLUMN rollout TEXT;";

/// Takes `name` for `run_id`, waiting up to `wait`, in the order waiters asked.
pub(crate) async fn acquire(
    store: &PgStore,
    name: &str,
    run_id: i64,
    wait: Duration,
) -> Result<(), StateError> {
    let ticket = enqueue(store, name, run_id, None)?;
    let deadline = Instant::now() + wait;
    loop {
        match try_take(store, name, run_id, ticket) {
            Ok(None) => return Ok(()),
            Ok(Some(busy)) if Instant::now() >= deadline => {
                dequeue(store, ticket)?;
                return Err(busy.into());
            }
            Ok(Some(_)) => tokio::time::sleep(Duration::from_millis(300)).await,
            Err(e) => {
                let _ = dequeue(store, ticket);
                return Err(e.into());
            }
        }
    }
}

/// Queues for `name` as `run_id`, or as a shard of `rollout`: returns the ticket.
pub(crate) fn enqueue(
    store: &PgStore,
    name: &str,
    run_id: i64,
    rollout: Option<&str>,
) -> Result<i64, PgError> {
    let sql = format!(
        "INSERT INTO lock_queue(name, run_id, \"user\", host, pid, seen, rollout)
         VALUES($1,$2,$3,$4,$5,{NOW},$6) RETURNING id"
    );
    let pid = i64::from(std::process::id());
    let row = block(store.client().query_one(
        &sql,
        &[&name, &run_id, &username(), &hostname(), &pid, &rollout],
    ))
    .map_err(|e| store.err(e))?;
    Ok(row.get(0))
}

pub(crate) fn dequeue(store: &PgStore, ticket: i64) -> Result<(), PgError> {
    block(
        store
            .client()
            .execute("DELETE FROM lock_queue WHERE id=$1", &[&ticket]),
    )
    .map(|_| ())
    .map_err(|e| store.err(e))
}

/// One attempt: `None` when the lock is now ours, else who is in the way.
fn try_take(
    store: &PgStore,
    name: &str,
    run_id: i64,
    ticket: i64,
) -> Result<Option<LockError>, PgError> {
    store.mark_dead_runs()?;
    let ttl = store.ttl();
    let mut c = store.client();
    block(async {
        let tx = c.transaction().await?;
        if let Some(busy) = check_in(&tx, name, (ticket, None), ttl).await? {
            return Ok(Some(busy));
        }
        take_row(&tx, name, run_id, ticket, ttl).await?;
        tx.commit().await?;
        Ok(None)
    })
    .map_err(|e| store.err(e))
}

/// Inside an attempt's transaction: the advisory lock on `name`, this waiter's ticket
/// refreshed and dead waiters' dropped; who is in the way, if anyone. `rollout`: the rollout
/// this waiter is a shard of, whose other shards are not in its way.
pub(crate) async fn check_in(
    tx: &Transaction<'_>,
    name: &str,
    (ticket, rollout): (i64, Option<&str>),
    ttl: f64,
) -> Result<Option<LockError>, tokio_postgres::Error> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('ferry.lock.' || $1))",
        &[&name],
    )
    .await?;
    tx.execute(
        &format!("UPDATE lock_queue SET seen={NOW} WHERE id=$1"),
        &[&ticket],
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM lock_queue WHERE name=$1 AND seen < {NOW} - $2"),
        &[&name, &ttl],
    )
    .await?;
    in_the_way(tx, name, ticket, rollout).await
}

/// Inside an attempt's transaction, after [`check_in`] found no one in the way: the lock is
/// `run_id`'s, and the ticket is used up.
pub(crate) async fn take_row(
    tx: &Transaction<'_>,
    name: &str,
    run_id: i64,
    ticket: i64,
    ttl: f64,
) -> Result<(), tokio_postgres::Error> {
    let pid = i64::from(std::process::id());
    tx.execute(
        &format!(
            "INSERT INTO locks(name, \"user\", host, pid, run_id, acquired, expires)
             VALUES($1,$2,$3,$4,$5,{NOW},{NOW}+$6)
             ON CONFLICT(name) DO UPDATE SET \"user\"=$2, host=$3, pid=$4, run_id=$5,
               acquired={NOW}, expires={NOW}+$6"
        ),
        &[&name, &username(), &hostname(), &pid, &run_id, &ttl],
    )
    .await?;
    tx.execute("DELETE FROM lock_queue WHERE id=$1", &[&ticket])
        .await?;
    Ok(())
}

/// The unexpired holder of `name`, else the oldest waiter that asked before `ticket` and is
/// not a shard of `rollout`.
async fn in_the_way(
    tx: &Transaction<'_>,
    name: &str,
    ticket: i64,
    rollout: Option<&str>,
) -> Result<Option<LockError>, tokio_postgres::Error> {
    let holder = format!(
        "SELECT \"user\", host, pid, run_id, {NOW} - acquired FROM locks
         WHERE name=$1 AND expires > {NOW}"
    );
    let text = |r: &tokio_postgres::Row, i| r.get::<_, Option<String>>(i).unwrap_or_default();
    if let Some(r) = tx.query_opt(&holder, &[&name]).await? {
        return Ok(Some(LockError::Busy {
            name: name.to_string(),
            user: text(&r, 0),
            host: text(&r, 1),
            pid: r.get::<_, Option<i64>>(2).unwrap_or_default(),
            run_id: r.get(3),
            since: r.get::<_, f64>(4).max(0.0) as u64,
        }));
    }
    let waiter = "SELECT \"user\", host, pid FROM lock_queue
         WHERE name=$1 AND id < $2 AND ($3::text IS NULL OR rollout IS NULL OR rollout <> $3)
         ORDER BY id LIMIT 1";
    let row = tx.query_opt(waiter, &[&name, &ticket, &rollout]).await?;
    Ok(row.map(|r| LockError::Queued {
        name: name.to_string(),
        user: text(&r, 0),
        host: text(&r, 1),
        pid: r.get::<_, Option<i64>>(2).unwrap_or_default(),
    }))
}

/// Releases `name` if `run_id` holds it.
pub(crate) fn release(store: &PgStore, name: &str, run_id: i64) -> Result<(), PgError> {
    block(store.client().execute(
        "DELETE FROM locks WHERE name=$1 AND run_id=$2",
        &[&name, &run_id],
    ))
    .map(|_| ())
    .map_err(|e| store.err(e))
}

/// `ferry lock release NAME`: clears the lock whoever holds it; true if there was one.
pub(crate) fn force_release(store: &PgStore, name: &str) -> Result<bool, PgError> {
    block(
        store
            .client()
            .execute("DELETE FROM locks WHERE name=$1", &[&name]),
    )
    .map(|n| n > 0)
    .map_err(|e| store.err(e))
}
