//! The history database: every pipeline run, stage, host result, recap and export, written as
//! it happens into an embedded SQLite file (`.ferry/history.db` next to the pipeline). A run
//! whose process died (SIGKILL, power loss) is marked `interrupted` the next time the database
//! is opened, so nothing shows as running forever.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value as Json;

use crate::events::Recap;
use crate::vars::Vars;

/// A history database failure (it names the file).
#[derive(Debug, thiserror::Error)]
#[error("history database {path}: {source}")]
pub struct HistoryError {
    path: PathBuf,
    #[source]
    source: rusqlite::Error,
}

/// An open history database.
pub struct History {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// One run, as listed by `ferry history`.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub pipeline: String,
    pub status: String,
    pub started: f64,
    pub finished: Option<f64>,
    pub git_sha: String,
    pub git_branch: String,
    pub exit_code: Option<i64>,
    pub rollback_of: Option<i64>,
}

/// One host's result of one task, as recorded.
pub struct ResultRow<'a> {
    pub stage: &'a str,
    pub task: &'a str,
    pub host: &'a str,
    pub status: &'a str,
    pub ignored: bool,
    pub msg: &'a str,
}

/// One stage of a run.
#[derive(Debug, Clone)]
pub struct StageRow {
    pub name: String,
    pub status: String,
    pub exit_code: Option<i64>,
    pub started: f64,
    pub finished: Option<f64>,
    pub exports: Vars,
}

const SCHEMA: &str = "
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL,
  status TEXT NOT NULL, started REAL NOT NULL, finished REAL, git_sha TEXT, git_branch TEXT,
  user TEXT, host TEXT, pid INTEGER, exit_code INTEGER, rollback_of INTEGER);
CREATE TABLE IF NOT EXISTS stages(run_id INTEGER NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
  exit_code INTEGER, started REAL NOT NULL, finished REAL, exports TEXT, PRIMARY KEY(run_id, name));
CREATE TABLE IF NOT EXISTS results(run_id INTEGER, stage TEXT, task TEXT, host TEXT, status TEXT,
  ignored INTEGER, msg TEXT, at REAL);
CREATE TABLE IF NOT EXISTS recaps(run_id INTEGER, stage TEXT, host TEXT, ok INTEGER, changed INTEGER,
  unreachable INTEGER, failed INTEGER, skipped INTEGER, rescued INTEGER, ignored INTEGER);
CREATE TABLE IF NOT EXISTS reports(run_id INTEGER PRIMARY KEY, args TEXT, model TEXT);
CREATE TABLE IF NOT EXISTS locks(name TEXT PRIMARY KEY, user TEXT, host TEXT, pid INTEGER,
  run_id INTEGER, acquired REAL NOT NULL, ttl REAL NOT NULL);
";

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// This machine's name (for lock holders and runs).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// The user running ferry: the real uid's name (`/etc/passwd`, else `id -un` for users that
/// come from NSS), never `$USER`, which CI jobs often leave unset and anyone can set; the uid
/// itself when it has no name.
pub fn username() -> String {
    let uid = rustix::process::getuid().as_raw();
    crate::paths::user_name(uid)
        .or_else(|| {
            std::process::Command::new("id")
                .arg("-un")
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// True if process `pid` is alive on this machine.
pub fn pid_alive(pid: i64) -> bool {
    pid > 0 && Path::new(&format!("/proc/{pid}")).exists()
}

impl History {
    /// Opens (creating) the database and marks dead runs as interrupted.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let err = |source| HistoryError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        conn.execute_batch(super::history_rollouts::ROLLOUT_TABLES)
            .map_err(err)?;
        let history = History {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        };
        history.mark_dead_runs()?;
        history.with(|c| super::history_rollouts::mark_dead_rollouts(c))?;
        Ok(history)
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError {
            path: self.path.clone(),
            source,
        }
    }

    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn).map_err(|e| self.err(e))
    }

    fn mark_dead_runs(&self) -> Result<(), HistoryError> {
        let me = hostname();
        self.with(|c| {
            let mut stmt = c.prepare("SELECT id, pid FROM runs WHERE status='running' AND host=?1 AND id NOT IN (SELECT run_id FROM rollouts)")?;
            let rows: Vec<(i64, i64)> = stmt
                .query_map([&me], |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))))?
                .collect::<Result<_, _>>()?;
            for (id, pid) in rows {
                if !pid_alive(pid) {
                    c.execute("UPDATE runs SET status='interrupted', finished=?2 WHERE id=?1", params![id, now()])?;
                    c.execute("UPDATE stages SET status='interrupted', finished=?2 WHERE run_id=?1 AND status='running'", params![id, now()])?;
                }
            }
            Ok(())
        })
    }

    /// Records a new run; returns its id.
    pub fn start_run(
        &self,
        pipeline: &str,
        sha: &str,
        branch: &str,
        rollback_of: Option<i64>,
    ) -> Result<i64, HistoryError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO runs(pipeline, status, started, git_sha, git_branch, user, host, pid, rollback_of) VALUES(?1,'running',?2,?3,?4,?5,?6,?7,?8)",
                params![pipeline, now(), sha, branch, username(), hostname(), std::process::id(), rollback_of],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Ends a run.
    pub fn finish_run(&self, id: i64, status: &str, exit_code: i32) -> Result<(), HistoryError> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET status=?2, finished=?3, exit_code=?4 WHERE id=?1",
                params![id, status, now(), exit_code],
            )?;
            c.execute(
                "UPDATE stages SET status=?2, finished=?3 WHERE run_id=?1 AND status='running'",
                params![id, status, now()],
            )
            .map(|_| ())
        })
    }

    /// A stage starts (or is recorded as skipped with `status`).
    pub fn start_stage(&self, run: i64, name: &str, status: &str) -> Result<(), HistoryError> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO stages(run_id, name, status, started) VALUES(?1,?2,?3,?4)",
                params![run, name, status, now()],
            )
            .map(|_| ())
        })
    }

    /// A stage ends with its exit code and exports.
    pub fn finish_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i32,
        exports: &Vars,
    ) -> Result<(), HistoryError> {
        let exports = stored_exports(exports);
        self.with(|c| {
            c.execute(
                "UPDATE stages SET status=?3, exit_code=?4, finished=?5, exports=?6 WHERE run_id=?1 AND name=?2",
                params![run, name, status, code, now(), exports],
            )
            .map(|_| ())
        })
    }

    /// One host's result of one task.
    pub fn record_result(&self, run: i64, r: &ResultRow<'_>) -> Result<(), HistoryError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO results(run_id, stage, task, host, status, ignored, msg, at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
                params![run, r.stage, r.task, r.host, r.status, r.ignored, r.msg, now()],
            )
            .map(|_| ())
        })
    }

    /// A stage's recap.
    pub fn record_recap(&self, run: i64, stage: &str, recap: &Recap) -> Result<(), HistoryError> {
        self.with(|c| {
            let tx = c.transaction()?;
            for (h, s) in &recap.hosts {
                tx.execute(
                    "INSERT INTO recaps VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                    params![
                        run,
                        stage,
                        h,
                        s.ok,
                        s.changed,
                        s.unreachable,
                        s.failed,
                        s.skipped,
                        s.rescued,
                        s.ignored
                    ],
                )?;
            }
            tx.commit()
        })
    }

    /// Runs, newest first (of one pipeline, or all).
    pub fn runs(&self, pipeline: Option<&str>) -> Result<Vec<RunRow>, HistoryError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, pipeline, status, started, finished, git_sha, git_branch, exit_code, rollback_of FROM runs WHERE ?1 IS NULL OR pipeline=?1 ORDER BY id DESC",
            )?;
            let rows = stmt.query_map([pipeline], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    pipeline: r.get(1)?,
                    status: r.get(2)?,
                    started: r.get(3)?,
                    finished: r.get(4)?,
                    git_sha: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    git_branch: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    exit_code: r.get(7)?,
                    rollback_of: r.get(8)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The stages of a run, in order.
    pub fn stages(&self, run: i64) -> Result<Vec<StageRow>, HistoryError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT name, status, exit_code, started, finished, exports FROM stages WHERE run_id=?1 ORDER BY rowid")?;
            let rows = stmt.query_map([run], |r| {
                let exports: Option<String> = r.get(5)?;
                let exports = exports
                    .and_then(|e| serde_json::from_str::<Json>(&e).ok())
                    .and_then(|j| j.as_object().cloned())
                    .unwrap_or_default();
                Ok(StageRow { name: r.get(0)?, status: r.get(1)?, exit_code: r.get(2)?, started: r.get(3)?, finished: r.get(4)?, exports })
            })?;
            rows.collect()
        })
    }

    /// Per-host recaps of a run: (stage, host, [ok, changed, unreachable, failed, skipped, rescued, ignored]).
    pub fn recaps(&self, run: i64) -> Result<Vec<(String, String, [i64; 7])>, HistoryError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT stage, host, ok, changed, unreachable, failed, skipped, rescued, ignored FROM recaps WHERE run_id=?1")?;
            let rows = stmt.query_map([run], |r| {
                let mut n = [0i64; 7];
                for (i, slot) in n.iter_mut().enumerate() {
                    *slot = r.get(i + 2)?;
                }
                Ok((r.get(0)?, r.get(1)?, n))
            })?;
            rows.collect()
        })
    }

    /// One run by id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>, HistoryError> {
        Ok(self.runs(None)?.into_iter().find(|r| r.id == id))
    }

    /// The newest successful run of `pipeline`.
    pub fn last_success(&self, pipeline: &str) -> Result<Option<i64>, HistoryError> {
        self.with(|c| {
            c.query_row(
                "SELECT id FROM runs WHERE pipeline=?1 AND status='succeeded' ORDER BY id DESC LIMIT 1",
                [pipeline],
                |r| r.get(0),
            )
            .optional()
        })
    }
}

/// A stage's exports as a store keeps them: JSON text, with values that came out of a vault
/// masked (vault::mask), so they are never stored.
pub(crate) fn stored_exports(exports: &Vars) -> String {
    let exports = Json::Object(exports.clone());
    crate::vault::mask::json(&exports)
        .unwrap_or(exports)
        .to_string()
}
