//! `ferry state migrate --from sqlite:PATH --to postgres://...`: copies a SQLite history (runs,
//! stages with their exports, results, recaps, report models and run arguments, rollouts and
//! their shards) into PostgreSQL, so a team moving to a shared backend keeps its history and
//! `ferry rollback` keeps its targets.
//!
//! Runs get new ids in PostgreSQL (`rollback_of` follows them); each remembers where it came
//! from (`runs.origin`), so migrating again copies only what is new. Locks are not copied: a
//! lock is held by a live run, and runs being migrated are over.

use std::collections::HashMap;

use rusqlite::types::Value as Sql;

use crate::pipeline::history::History;
use crate::state::postgres::{block, PgStore};
use crate::state::{StateError, StateSpec, Store};

/// What a migration did.
#[derive(Debug, Default, PartialEq)]
pub struct Copied {
    /// Runs copied now.
    pub runs: usize,
    /// Runs already there from an earlier migration.
    pub skipped: usize,
}

type Rows = Vec<Vec<Sql>>;

/// Copies `from` (SQLite) into `to` (PostgreSQL).
pub fn migrate(from: &StateSpec, to: &StateSpec) -> Result<Copied, StateError> {
    let (StateSpec::Sqlite(path), StateSpec::Postgres(_)) = (from, to) else {
        return Err(StateError::Url(format!(
            "{from} -> {to}: only sqlite:PATH -> postgres://... can be migrated"
        )));
    };
    if !path.exists() {
        return Err(StateError::Url(format!("{from}: no such history database")));
    }
    let (Store::Sqlite(src), Store::Postgres(dst)) = (Store::open(from)?, Store::open(to)?) else {
        unreachable!("opened as the specs say");
    };
    let origin = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
    let origin = format!("sqlite:{}", origin.display());
    let runs = read(
        &src,
        "SELECT id, pipeline, status, started, finished, git_sha, git_branch, user, host, pid,
           exit_code, rollback_of FROM runs ORDER BY id",
    )?;
    let mut ids: HashMap<i64, i64> = HashMap::new();
    let mut copied = Copied::default();
    for run in runs {
        let old = int(&run[0]).unwrap_or_default();
        let key = format!("{origin}#{old}");
        let rollback_of = int(&run[11]).and_then(|o| ids.get(&o).copied());
        match copy_run(&src, &dst, &run, &key, rollback_of)? {
            Some(new) => {
                ids.insert(old, new);
                copied.runs += 1;
            }
            None => {
                ids.insert(old, existing(&dst, &key)?);
                copied.skipped += 1;
            }
        }
    }
    Ok(copied)
}

fn read(src: &History, sql: &str) -> Result<Rows, StateError> {
    Ok(src.with(|c| {
        let mut stmt = c.prepare(sql)?;
        let n = stmt.column_count();
        let rows = stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())?;
        rows.collect()
    })?)
}

fn int(v: &Sql) -> Option<i64> {
    match v {
        Sql::Integer(i) => Some(*i),
        Sql::Real(f) => Some(*f as i64),
        _ => None,
    }
}

fn real(v: &Sql) -> Option<f64> {
    match v {
        Sql::Integer(i) => Some(*i as f64),
        Sql::Real(f) => Some(*f),
        _ => None,
    }
}

fn text(v: &Sql) -> Option<String> {
    match v {
        Sql::Text(t) => Some(t.clone()),
        _ => None,
    }
}

fn existing(dst: &PgStore, key: &str) -> Result<i64, StateError> {
    let row = block(
        dst.client()
            .query_one("SELECT id FROM runs WHERE origin=$1", &[&key]),
    )
    .map_err(|e| dst.err(e))?;
    Ok(row.get(0))
}

/// One SQLite run's rows in the tables that hang off it.
struct RunRows {
    stages: Rows,
    results: Rows,
    recaps: Rows,
    reports: Rows,
    /// Its rollout (at most one row), when the run is one.
    rollout: Rows,
    /// The rollout's shards.
    shards: Rows,
}

impl RunRows {
    fn read(src: &History, old: i64) -> Result<RunRows, StateError> {
        let of = |sql: &str| read(src, &sql.replace("{old}", &old.to_string()));
        Ok(RunRows {
            stages: of("SELECT name, status, exit_code, started, finished, exports FROM stages WHERE run_id={old} ORDER BY rowid")?,
            results: of("SELECT stage, task, host, status, ignored, msg, at FROM results WHERE run_id={old} ORDER BY rowid")?,
            recaps: of("SELECT stage, host, ok, changed, unreachable, failed, skipped, rescued, ignored FROM recaps WHERE run_id={old} ORDER BY rowid")?,
            reports: of("SELECT args, model FROM reports WHERE run_id={old}")?,
            rollout: of("SELECT pipeline, key, count, deadline FROM rollouts WHERE run_id={old}")?,
            shards: of("SELECT shard, status, exit_code, user, host, pid, started, finished FROM rollout_shards WHERE run_id={old} ORDER BY shard")?,
        })
    }
}

/// Copies a rollout's key and shards with its run (new id `id`). A key PostgreSQL already
/// has for that pipeline stays its own rollout's: the copied run then keeps no key.
async fn copy_rollout(
    tx: &tokio_postgres::Transaction<'_>,
    id: i64,
    rows: &RunRows,
) -> Result<(), tokio_postgres::Error> {
    for r in &rows.rollout {
        tx.execute(
            "INSERT INTO rollouts(pipeline, key, run_id, count, deadline) VALUES($1,$2,$3,$4,$5)
             ON CONFLICT(pipeline, key) DO NOTHING",
            &[
                &text(&r[0]),
                &text(&r[1]),
                &id,
                &int(&r[2]).unwrap_or(0),
                &real(&r[3]).unwrap_or_default(),
            ],
        )
        .await?;
    }
    for s in &rows.shards {
        let started = real(&s[6]).unwrap_or_default();
        let lease = real(&s[7]).unwrap_or(started);
        tx.execute(
            "INSERT INTO rollout_shards(run_id, shard, status, exit_code, \"user\", host, pid,
               started, finished, lease_until) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            &[
                &id,
                &int(&s[0]).unwrap_or(0),
                &text(&s[1]),
                &int(&s[2]),
                &text(&s[3]),
                &text(&s[4]),
                &int(&s[5]),
                &started,
                &real(&s[7]),
                &lease,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Copies one run with its stages, results and recaps in one transaction; its new id, or
/// `None` when an earlier migration copied it.
fn copy_run(
    src: &History,
    dst: &PgStore,
    run: &[Sql],
    key: &str,
    rollback_of: Option<i64>,
) -> Result<Option<i64>, StateError> {
    let rows = RunRows::read(src, int(&run[0]).unwrap_or_default())?;
    let RunRows {
        stages,
        results,
        recaps,
        reports,
        ..
    } = &rows;
    let mut c = dst.client();
    block(async {
        let tx = c.transaction().await?;
        let row = tx
            .query_opt(
                "INSERT INTO runs(pipeline, status, started, finished, git_sha, git_branch, \"user\",
                   host, pid, exit_code, rollback_of, origin)
                 VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT(origin) DO NOTHING
                 RETURNING id",
                &[
                    &text(&run[1]), &text(&run[2]), &real(&run[3]).unwrap_or_default(),
                    &real(&run[4]), &text(&run[5]), &text(&run[6]), &text(&run[7]),
                    &text(&run[8]), &int(&run[9]), &int(&run[10]), &rollback_of, &key,
                ],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.get(0);
        for s in stages {
            tx.execute(
                "INSERT INTO stages(run_id, name, status, exit_code, started, finished, exports)
                 VALUES($1,$2,$3,$4,$5,$6,$7)",
                &[&id, &text(&s[0]), &text(&s[1]), &int(&s[2]), &real(&s[3]).unwrap_or_default(), &real(&s[4]), &text(&s[5])],
            )
            .await?;
        }
        for r in results {
            tx.execute(
                "INSERT INTO results(run_id, stage, task, host, status, ignored, msg, at)
                 VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
                &[&id, &text(&r[0]), &text(&r[1]), &text(&r[2]), &text(&r[3]), &(int(&r[4]).unwrap_or(0) != 0), &text(&r[5]), &real(&r[6])],
            )
            .await?;
        }
        for r in recaps {
            let n: Vec<i64> = r[2..9].iter().map(|v| int(v).unwrap_or(0)).collect();
            tx.execute(
                "INSERT INTO recaps(run_id, stage, host, ok, changed, unreachable, failed, skipped,
                   rescued, ignored) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                &[&id, &text(&r[0]), &text(&r[1]), &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6]],
            )
            .await?;
        }
        for r in reports {
            tx.execute(
                "INSERT INTO reports(run_id, args, model) VALUES($1,$2,$3)",
                &[&id, &text(&r[0]), &text(&r[1]).map(|m| renumbered(&m, id))],
            )
            .await?;
        }
        copy_rollout(&tx, id, &rows).await?;
        tx.commit().await?;
        Ok(Some(id))
    })
    .map_err(|e| dst.err(e).into())
}

/// A report model (JSON text) with its run number made the run's new id.
fn renumbered(model: &str, id: i64) -> String {
    match serde_json::from_str::<serde_json::Value>(model) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.insert("run_id".into(), id.into());
            serde_json::Value::Object(m).to_string()
        }
        _ => model.to_string(),
    }
}
