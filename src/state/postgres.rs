//! The PostgreSQL state backend: the SQLite history's tables (runs, stages, results, recaps,
//! locks) in a shared database, so every CI runner sees one history and one lock. ferry creates
//! and migrates the schema itself (versioned migrations in `ferry_migrations`, applied under an
//! advisory lock so runners that start together do not race). Times come from the server's
//! clock, so runners whose clocks disagree still agree on leases.
//!
//! A run holds a lease (`runs.lease_until`), renewed by a task on a second connection while the
//! run lives; a run whose lease passed without it finishing (its runner was killed) is marked
//! `interrupted`. The lock's own SQL is in `postgres_lock.rs`.
//!
//! The driver is async (`tokio-postgres`); its connections run on a small runtime of their own,
//! and the synchronous methods here wait on the client's futures, which need no runtime, so
//! they can be called from the executor's tasks like the SQLite store's.

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::Value as Json;
use tokio_postgres::Client;

use crate::events::Recap;
use crate::pipeline::history::{hostname, username, ResultRow, RunRow, StageRow};
use crate::vars::Vars;

/// The server's clock, in seconds since the epoch.
pub(crate) const NOW: &str = "extract(epoch from clock_timestamp())::float8";

/// A PostgreSQL failure; it names the database without its password.
#[derive(Debug, thiserror::Error)]
#[error("state database {url}: {}", reason(source))]
pub struct PgError {
    url: String,
    #[source]
    source: tokio_postgres::Error,
}

/// The driver's error with its causes (its own text is only "db error" for the server's),
/// and what to do about a client certificate the server wants or refused.
fn reason(e: &tokio_postgres::Error) -> String {
    let text = causes(e);
    if text.contains("requires a valid client certificate") {
        format!("{text}; give it with sslcert=PATH&sslkey=PATH in the URL")
    } else if ["UnknownCA", "BadCertificate", "CertificateRequired"]
        .iter()
        .any(|alert| text.contains(&format!("received fatal alert: {alert}")))
    {
        format!("{text} (the server refused the client certificate: sslcert must be signed by a CA in the server's ssl_ca_file)")
    } else {
        text
    }
}

fn causes(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// An open PostgreSQL state database.
pub struct PgStore {
    client: Mutex<Client>,
    /// A second connection, for lease renewals while the first is busy.
    pub(crate) renewer: Arc<Client>,
    url: String,
    ttl: Duration,
    leases: Mutex<HashMap<i64, tokio::task::AbortHandle>>,
    /// The newest run this store started (0: none), whose report model it stores.
    pub(crate) last_run: std::sync::atomic::AtomicI64,
}

/// The schema, one migration per version; a new version is a new line, never an edit.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE runs(id BIGSERIAL PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL,
       started DOUBLE PRECISION NOT NULL, finished DOUBLE PRECISION, git_sha TEXT, git_branch TEXT,
       \"user\" TEXT, host TEXT, pid BIGINT, exit_code BIGINT, rollback_of BIGINT,
       lease_until DOUBLE PRECISION, origin TEXT UNIQUE);
     CREATE INDEX runs_pipeline ON runs(pipeline, id);
     CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
     CREATE TABLE stages(run_id BIGINT NOT NULL REFERENCES runs(id), seq BIGSERIAL,
       name TEXT NOT NULL, status TEXT NOT NULL, exit_code BIGINT, started DOUBLE PRECISION NOT NULL,
       finished DOUBLE PRECISION, exports TEXT, PRIMARY KEY(run_id, name));
     CREATE TABLE results(seq BIGSERIAL PRIMARY KEY, run_id BIGINT NOT NULL, stage TEXT, task TEXT,
       host TEXT, status TEXT, ignored BOOLEAN, msg TEXT, at DOUBLE PRECISION);
     CREATE INDEX results_run ON results(run_id);
     CREATE TABLE recaps(seq BIGSERIAL PRIMARY KEY, run_id BIGINT NOT NULL, stage TEXT, host TEXT,
       ok BIGINT, changed BIGINT, unreachable BIGINT, failed BIGINT, skipped BIGINT,
       rescued BIGINT, ignored BIGINT);
     CREATE INDEX recaps_run ON recaps(run_id);
     CREATE TABLE locks(name TEXT PRIMARY KEY, \"user\" TEXT, host TEXT, pid BIGINT, run_id BIGINT,
       acquired DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION NOT NULL);
     CREATE TABLE lock_queue(id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, run_id BIGINT NOT NULL,
       \"user\" TEXT, host TEXT, pid BIGINT, seen DOUBLE PRECISION NOT NULL);",
),
(2, super::postgres_reports::REPORTS_TABLE),
(3, super::postgres_rollouts::ROLLOUT_TABLES),
(4, super::postgres_lock::QUEUE_ROLLOUT),
];

/// The runtime the driver's connections and the lease renewals run on.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ferry-postgres")
            .enable_all()
            .build()
            .expect("a tokio runtime for PostgreSQL")
    })
}

/// Waits for one of the client's futures (they need no runtime: the connection does the I/O).
pub(crate) fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// `url` with its password replaced by `***` (for messages).
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let end = url[start..].find('/').map_or(url.len(), |i| start + i);
        if let Some(at) = url[start..end].rfind('@').map(|i| start + i) {
            if let Some(colon) = url[start..at].find(':').map(|i| start + i) {
                out = format!("{}***{}", &url[..=colon], &url[at..]);
            }
        }
    }
    if let Some(i) = out.find("password=") {
        let from = i + "password=".len();
        let to = out[from..].find('&').map_or(out.len(), |j| from + j);
        out.replace_range(from..to, "***");
    }
    out
}

/// How long a run's lease lasts without renewal: `FERRY_LEASE` (e.g. 30s), default 60s.
fn lease_ttl() -> Duration {
    std::env::var("FERRY_LEASE")
        .ok()
        .and_then(|t| crate::cli::parse_duration(&t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(60))
}

async fn open_client(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(connection);
    Ok(client)
}

impl PgStore {
    /// Connects, creates or migrates the schema, and marks runs whose lease passed interrupted.
    pub fn connect(url: &str) -> Result<PgStore, crate::state::StateError> {
        let shown = redact(url);
        let (url, tls) = super::postgres_tls::split(url, &shown)?;
        let tls = super::postgres_tls::connector(&tls, &shown)?;
        let mut config = tokio_postgres::Config::from_str(&url).map_err(|source| PgError {
            url: shown.clone(),
            source,
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("ferry");
        let connect = |config: tokio_postgres::Config| {
            block(runtime().spawn(open_client(config, tls.clone()))).expect("the connect task ran")
        };
        let err = |source| PgError {
            url: shown.clone(),
            source,
        };
        let mut client = connect(config.clone()).map_err(err)?;
        migrate(&mut client).map_err(err)?;
        let renewer = Arc::new(connect(config).map_err(err)?);
        let store = PgStore {
            client: Mutex::new(client),
            renewer,
            url: shown.clone(),
            ttl: lease_ttl(),
            leases: Mutex::new(HashMap::new()),
            last_run: std::sync::atomic::AtomicI64::new(0),
        };
        store.mark_dead_runs()?;
        Ok(store)
    }

    pub(crate) fn client(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn err(&self, source: tokio_postgres::Error) -> PgError {
        PgError {
            url: self.url.clone(),
            source,
        }
    }

    /// The lease length, in seconds.
    pub(crate) fn ttl(&self) -> f64 {
        self.ttl.as_secs_f64()
    }

    /// The lease length.
    pub(crate) fn ttl_duration(&self) -> Duration {
        self.ttl
    }

    /// Keeps the task renewing run `id`'s lease, to stop when the run (or this shard) ends.
    pub(crate) fn keep_lease(&self, id: i64, task: tokio::task::AbortHandle) {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        leases.insert(id, task);
    }

    /// Stops renewing run `id`'s lease.
    pub(crate) fn stop_lease(&self, id: i64) {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(task) = leases.remove(&id) {
            task.abort();
        }
    }

    /// Runs still `running` whose lease passed: their runner is gone.
    pub(crate) fn mark_dead_runs(&self) -> Result<(), PgError> {
        self.mark_dead_rollouts()?;
        let c = self.client();
        block(c.batch_execute(
            "UPDATE runs SET status='interrupted', finished=lease_until
               WHERE status='running' AND lease_until < extract(epoch from clock_timestamp());
             UPDATE stages s SET status='interrupted', finished=r.finished FROM runs r
               WHERE s.run_id=r.id AND r.status='interrupted' AND s.status='running';",
        ))
        .map_err(|e| self.err(e))
    }

    /// Records a new run and starts renewing its lease; returns its id.
    pub fn start_run(
        &self,
        pipeline: &str,
        sha: &str,
        branch: &str,
        rollback_of: Option<i64>,
    ) -> Result<i64, PgError> {
        let sql = format!(
            "INSERT INTO runs(pipeline, status, started, git_sha, git_branch, \"user\", host, pid,
               rollback_of, lease_until) VALUES($1,'running',{NOW},$2,$3,$4,$5,$6,$7,{NOW}+$8)
             RETURNING id"
        );
        let pid = i64::from(std::process::id());
        let row = block(self.client().query_one(
            &sql,
            &[
                &pipeline,
                &sha,
                &branch,
                &username(),
                &hostname(),
                &pid,
                &rollback_of,
                &self.ttl(),
            ],
        ))
        .map_err(|e| self.err(e))?;
        let id: i64 = row.get(0);
        self.last_run.store(id, std::sync::atomic::Ordering::SeqCst);
        self.renew(id);
        Ok(id)
    }

    /// Renews run `id`'s lease (and the lock it holds) every third of the TTL until it ends.
    fn renew(&self, id: i64) {
        let client = Arc::clone(&self.renewer);
        let ttl = self.ttl;
        let sql = format!(
            "UPDATE runs SET lease_until={NOW}+$2 WHERE id=$1 AND status='running';
             UPDATE locks SET expires={NOW}+$2 WHERE run_id=$1"
        );
        let (runs, locks) = sql.split_once(';').expect("two statements");
        let (runs, locks) = (runs.to_string(), locks.to_string());
        let task = runtime().spawn(async move {
            loop {
                tokio::time::sleep(ttl / 3).await;
                let _ = client.execute(&runs, &[&id, &ttl.as_secs_f64()]).await;
                let _ = client.execute(&locks, &[&id, &ttl.as_secs_f64()]).await;
            }
        });
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        leases.insert(id, task.abort_handle());
    }

    /// Ends a run (and its lease).
    pub fn finish_run(&self, id: i64, status: &str, exit_code: i32) -> Result<(), PgError> {
        if let Some(task) = self
            .leases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
        {
            task.abort();
        }
        let c = self.client();
        let code = i64::from(exit_code);
        block(async {
            c.execute(
                &format!("UPDATE runs SET status=$2, finished={NOW}, exit_code=$3 WHERE id=$1"),
                &[&id, &status, &code],
            )
            .await?;
            c.execute(
                &format!("UPDATE stages SET status=$2, finished={NOW} WHERE run_id=$1 AND status='running'"),
                &[&id, &status],
            )
            .await
        })
        .map(|_| ())
        .map_err(|e| self.err(e))
    }

    /// A stage starts (or is recorded as skipped with `status`).
    pub fn start_stage(&self, run: i64, name: &str, status: &str) -> Result<(), PgError> {
        let sql = format!(
            "INSERT INTO stages(run_id, name, status, started) VALUES($1,$2,$3,{NOW})
             ON CONFLICT(run_id, name) DO UPDATE SET status=$3, started={NOW}, finished=NULL,
               exit_code=NULL, exports=NULL"
        );
        self.execute(&sql, &[&run, &name, &status])
    }

    /// A stage ends with its exit code and exports (vaulted values masked, as in SQLite).
    pub fn finish_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i32,
        exports: &Vars,
    ) -> Result<(), PgError> {
        let exports = crate::pipeline::history::stored_exports(exports);
        let sql = format!(
            "UPDATE stages SET status=$3, exit_code=$4, finished={NOW}, exports=$5
             WHERE run_id=$1 AND name=$2"
        );
        self.execute(&sql, &[&run, &name, &status, &i64::from(code), &exports])
    }

    /// One host's result of one task.
    pub fn record_result(&self, run: i64, r: &ResultRow<'_>) -> Result<(), PgError> {
        let sql = format!(
            "INSERT INTO results(run_id, stage, task, host, status, ignored, msg, at)
             VALUES($1,$2,$3,$4,$5,$6,$7,{NOW})"
        );
        self.execute(
            &sql,
            &[
                &run, &r.stage, &r.task, &r.host, &r.status, &r.ignored, &r.msg,
            ],
        )
    }

    /// A stage's recap, in one statement per host inside one transaction.
    pub fn record_recap(&self, run: i64, stage: &str, recap: &Recap) -> Result<(), PgError> {
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            for (h, s) in &recap.hosts {
                let n = [
                    s.ok,
                    s.changed,
                    s.unreachable,
                    s.failed,
                    s.skipped,
                    s.rescued,
                    s.ignored,
                ]
                .map(i64::from);
                tx.execute(
                    "INSERT INTO recaps(run_id, stage, host, ok, changed, unreachable, failed,
                       skipped, rescued, ignored) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                    &[
                        &run, &stage, h, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6],
                    ],
                )
                .await?;
            }
            tx.commit().await
        })
        .map_err(|e| self.err(e))
    }

    fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<(), PgError> {
        block(self.client().execute(sql, params))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Runs, newest first (of one pipeline, or all).
    pub fn runs(&self, pipeline: Option<&str>) -> Result<Vec<RunRow>, PgError> {
        let rows = block(self.client().query(
            "SELECT id, pipeline, status, started, finished, git_sha, git_branch, exit_code,
               rollback_of FROM runs WHERE $1::text IS NULL OR pipeline=$1 ORDER BY id DESC",
            &[&pipeline],
        ))
        .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| RunRow {
                id: r.get(0),
                pipeline: r.get(1),
                status: r.get(2),
                started: r.get(3),
                finished: r.get(4),
                git_sha: r.get::<_, Option<String>>(5).unwrap_or_default(),
                git_branch: r.get::<_, Option<String>>(6).unwrap_or_default(),
                exit_code: r.get(7),
                rollback_of: r.get(8),
            })
            .collect())
    }

    /// The stages of a run, in order.
    pub fn stages(&self, run: i64) -> Result<Vec<StageRow>, PgError> {
        let rows = block(self.client().query(
            "SELECT name, status, exit_code, started, finished, exports FROM stages
             WHERE run_id=$1 ORDER BY seq",
            &[&run],
        ))
        .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| StageRow {
                name: r.get(0),
                status: r.get(1),
                exit_code: r.get(2),
                started: r.get(3),
                finished: r.get(4),
                exports: r
                    .get::<_, Option<String>>(5)
                    .and_then(|e| serde_json::from_str::<Json>(&e).ok())
                    .and_then(|j| j.as_object().cloned())
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Per-host recaps of a run: (stage, host, [ok, changed, unreachable, failed, skipped,
    /// rescued, ignored]).
    pub fn recaps(&self, run: i64) -> Result<Vec<(String, String, [i64; 7])>, PgError> {
        let rows = block(self.client().query(
            "SELECT stage, host, ok, changed, unreachable, failed, skipped, rescued, ignored
             FROM recaps WHERE run_id=$1 ORDER BY seq",
            &[&run],
        ))
        .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), std::array::from_fn(|i| r.get(i + 2))))
            .collect())
    }

    /// One run by id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>, PgError> {
        Ok(self.runs(None)?.into_iter().find(|r| r.id == id))
    }

    /// The newest successful run of `pipeline`.
    pub fn last_success(&self, pipeline: &str) -> Result<Option<i64>, PgError> {
        let row = block(self.client().query_opt(
            "SELECT id FROM runs WHERE pipeline=$1 AND status='succeeded' ORDER BY id DESC LIMIT 1",
            &[&pipeline],
        ))
        .map_err(|e| self.err(e))?;
        Ok(row.map(|r| r.get(0)))
    }
}

/// Applies the migrations the database has not seen, under an advisory lock.
fn migrate(client: &mut Client) -> Result<(), tokio_postgres::Error> {
    block(async {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(727001)", &[])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS ferry_migrations(version INTEGER PRIMARY KEY,
               applied DOUBLE PRECISION NOT NULL)",
        )
        .await?;
        let row = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM ferry_migrations",
                &[],
            )
            .await?;
        let current: i32 = row.get(0);
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).await?;
            tx.execute(
                &format!("INSERT INTO ferry_migrations VALUES($1, {NOW})"),
                &[version],
            )
            .await?;
        }
        tx.commit().await
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords() {
        let cases = [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            (
                "postgres://h/db?password=secret&x=1",
                "postgres://h/db?password=***&x=1",
            ),
            ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ];
        for (url, want) in cases {
            assert_eq!(redact(url), want);
        }
    }
}
