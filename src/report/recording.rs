//! [`Recording`]: one run's report from start to end — the [`Collector`] that receives its
//! events, and what is written when the run ends, however it ends: the HTML page (`--report`),
//! the run in a history database (`ferry run --history`, and every pipeline run's model).
//!
//! A run that is interrupted (Ctrl-C drops the running command) is written by `Drop`, marked
//! `interrupted`, so a CI artifact exists even then.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::events::Reporter;
use crate::pipeline::history::HistoryError;
use crate::pipeline::history_reports::PLAIN_PREFIX;
use crate::report::collector::Collector;
use crate::report::model::{Report, RunArgs, VERSION};

/// Writing a report or recording a run failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The HTML file could not be written.
    #[error("cannot write the report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The history database failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The state backend failed.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

/// Where a plain `ferry run` is recorded, and how many runs the database keeps.
#[derive(Clone)]
pub struct HistoryTarget {
    /// The state it is recorded in (`--history`: a SQLite file or PostgreSQL), opened before
    /// the run starts.
    pub store: Arc<crate::state::Store>,
    /// Keep the newest this many runs (`--history-keep`).
    pub keep: Option<usize>,
    /// A shard of a rollout (`--shard` with a run key): the run it joined, and which shard
    /// it is; it adds its part to that run.
    pub joined: Option<(i64, crate::shard::Shard)>,
}

#[derive(Default)]
struct Outputs {
    html: Option<PathBuf>,
    history: Option<HistoryTarget>,
    pipeline_db: Option<(Arc<crate::state::Store>, Option<usize>)>,
}

/// One run's report, written when the run ends.
pub struct Recording {
    collector: Arc<Collector>,
    outputs: Mutex<Outputs>,
    done: AtomicBool,
}

impl Recording {
    /// A recording starting now; `html` is `--report`'s file.
    pub fn new(args: RunArgs, html: Option<PathBuf>) -> Recording {
        let header = Report {
            version: VERSION,
            kind: "run".into(),
            args,
            user: crate::pipeline::history::username(),
            machine: crate::pipeline::history::hostname(),
            started: crate::pipeline::history::now(),
            status: "running".into(),
            ..Default::default()
        };
        Recording {
            collector: Arc::new(Collector::new(header)),
            outputs: Mutex::new(Outputs {
                html,
                ..Default::default()
            }),
            done: AtomicBool::new(false),
        }
    }

    /// The reporter that collects the run's events.
    pub fn reporter(&self) -> Arc<dyn Reporter> {
        Arc::clone(&self.collector) as Arc<dyn Reporter>
    }

    /// Changes the report's header (title, arguments, stage graph).
    pub fn describe(&self, f: impl FnOnce(&mut Report)) {
        self.collector.edit(f);
    }

    fn outputs(&self) -> std::sync::MutexGuard<'_, Outputs> {
        self.outputs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `--report`'s file away from this recording (it then writes no page) and returns
    /// it: `pipeline watch` gives it to each run's own recording instead.
    pub fn take_page(&self) -> Option<PathBuf> {
        self.outputs().html.take()
    }

    /// Records the run in this history database when it ends (a plain `ferry run`).
    pub fn keep_history(&self, target: HistoryTarget) {
        self.outputs().history = Some(target);
    }

    /// Stores the model with this process's pipeline run in `db` when it ends.
    pub fn store_in_pipeline_history(&self, db: Arc<crate::state::Store>, keep: Option<usize>) {
        self.outputs().pipeline_db = Some((db, keep));
    }

    /// The run ended with `code` (`None`: interrupted): writes the page and the history.
    pub fn finish(&self, code: Option<i32>) -> Result<(), ReportError> {
        if self.done.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.collector.edit(|r| {
            r.exit_code = code;
            r.status = match code {
                Some(0) => "succeeded",
                None | Some(99) => "interrupted",
                Some(_) => "failed",
            }
            .into();
        });
        if code.is_none() {
            self.collector.edit(|r| r.exit_code = Some(99));
        }
        let outputs = std::mem::take(&mut *self.outputs());
        let mut report = self.collector.snapshot();
        if let Some((db, keep)) = &outputs.pipeline_db {
            db.store_pipeline_report(&mut report)?;
            if let Some(keep) = keep {
                db.prune(&report.title, *keep)?;
            }
        }
        if let Some(target) = &outputs.history {
            match target.joined {
                Some((run, shard)) => target.store.record_shard_run(run, shard, &mut report)?,
                None => target.store.record_plain_run(&mut report)?,
            }
            if let Some(keep) = target.keep {
                let name = format!("{PLAIN_PREFIX}{}", report.title);
                target.store.prune(&name, keep)?;
            }
        }
        if let Some(path) = &outputs.html {
            write_page(path, &report)?;
        }
        Ok(())
    }
}

/// The pages this process wrote (a command that fails after its recording wrote the page must
/// not write it again as an error page).
static WRITTEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The page of a command that failed before its run started (`message` says why), unless this
/// process already wrote one at `path`.
pub fn write_error_page(
    path: &Path,
    args: RunArgs,
    title: &str,
    message: &str,
    code: i32,
) -> Result<(), ReportError> {
    if WRITTEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|p| p == path)
    {
        return Ok(());
    }
    let report = Report {
        version: VERSION,
        kind: "run".into(),
        title: title.to_string(),
        args,
        user: crate::pipeline::history::username(),
        machine: crate::pipeline::history::hostname(),
        started: crate::pipeline::history::now(),
        status: "error".into(),
        exit_code: Some(code),
        warnings: vec![crate::vault::mask::text(message).into_owned()],
        ..Default::default()
    };
    write_page(path, &report)
}

/// Writes `report`'s page to `path` (through a temporary file, so a reader never sees half).
pub fn write_page(path: &Path, report: &Report) -> Result<(), ReportError> {
    WRITTEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_path_buf());
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("html.part");
    std::fs::write(&tmp, crate::report::html::render(report)).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

impl Drop for Recording {
    fn drop(&mut self) {
        // Dropped before `finish`: the command was interrupted (Ctrl-C drops its future).
        let _ = self.finish(None);
    }
}
