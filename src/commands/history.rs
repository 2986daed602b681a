//! `ferry history [PIPELINE]` (a table of runs; `--host NAME`, `--status failed` filter it) and `ferry history [PIPELINE] show RUN` (one
//! run's stages, exports and recaps), read from the history database.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::HistoryArgs;
use crate::error::Error;
use crate::pipeline::history::{RunRow, StageRow};
use crate::pipeline::model;
use crate::state::{StateSpec, Store};

/// `ferry history [PIPELINE]` and `ferry history show RUN`.
pub fn history(args: HistoryArgs) -> Result<i32, Error> {
    let (file, show) = match args.args.as_slice() {
        [] => (None, None),
        [one] => (Some(PathBuf::from(one)), None),
        [cmd, run] if cmd == "show" => (None, Some(run.clone())),
        [file, cmd, run] if cmd == "show" => (Some(PathBuf::from(file)), Some(run.clone())),
        _ => {
            return Err(Error::Options(
                "usage: ferry history [PIPELINE] | ferry history [PIPELINE] show RUN".into(),
            ))
        }
    };
    let (pipeline, db_path, db) = open(
        file.as_deref(),
        args.state.as_deref(),
        args.history_db.as_deref(),
    )?;
    let mut out = std::io::stdout().lock();
    match show {
        Some(run) => show_run(&db, &db_path, &run, &mut out),
        None if args.host.is_some() || args.status.is_some() => {
            let runs = db.runs_matching(
                pipeline.as_ref().map(|p| p.name.as_str()),
                args.host.as_deref(),
                args.status.as_deref(),
            )?;
            print_runs(&runs, &mut out)
        }
        None => list_runs(&db, pipeline.as_ref().map(|p| p.name.as_str()), &mut out),
    }
}

/// The pipeline `file` (when given) and its state: `--state`, `--history-db`, `FERRY_STATE`,
/// the pipeline's `state:`, else `.ferry/history.db` here. Reading commands never create a
/// SQLite file: one that is not there is an error saying where ferry looked.
pub(crate) fn open(
    file: Option<&std::path::Path>,
    state: Option<&str>,
    given: Option<&std::path::Path>,
) -> Result<(Option<crate::pipeline::Pipeline>, StateSpec, Store), Error> {
    let pipeline = file.map(model::load).transpose()?;
    let spec = StateSpec::resolve(
        state,
        given,
        pipeline.as_ref(),
        std::path::Path::new(".ferry/history.db"),
    )?;
    if let StateSpec::Sqlite(db_path) = &spec {
        if !db_path.is_file() {
            let looked = std::path::absolute(db_path).unwrap_or_else(|_| db_path.clone());
            return Err(Error::Options(format!(
                "no history at {} (looked for {}): runs are recorded there by `ferry pipeline run`, or by `ferry run --history FILE`; name another database with --history-db",
                db_path.display(),
                looked.display()
            )));
        }
    }
    let db = Store::open(&spec)?;
    Ok((pipeline, spec, db))
}

/// One run: its header, then each stage with its exports and per-host recap.
fn show_run(db: &Store, path: &StateSpec, run: &str, out: &mut impl Write) -> Result<i32, Error> {
    let id: i64 = run
        .parse()
        .map_err(|_| Error::Options(format!("'{run}' is not a run number")))?;
    let Some(r) = db.run(id)? else {
        return Err(Error::Options(format!("no run {id} in {path}")));
    };
    let _ = writeln!(
        out,
        "run {} of {}: {} (exit {}), {} on {}",
        r.id,
        r.pipeline,
        r.status,
        r.exit_code.unwrap_or(-1),
        short(&r.git_sha),
        r.git_branch
    );
    let _ = writeln!(
        out,
        "  started {:.0}, took {:.1}s",
        r.started,
        r.finished.unwrap_or(r.started) - r.started
    );
    if let Some(args) = db.arguments(id)? {
        let _ = writeln!(out, "  command: {}", args.argv.join(" "));
    }
    show_shards(&db.rollout_shards(id)?, out);
    let recaps = db.recaps(id)?;
    show_recaps(&recaps, "", out);
    for s in db.stages(id)? {
        show_stage(&s, &recaps, out);
    }
    Ok(0)
}

/// A rollout's shards: each one's part, where it ran.
fn show_shards(shards: &[crate::state::rollout::ShardRow], out: &mut impl Write) {
    let Some(first) = shards.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "  rollout {}: {} of {} shards took part",
        first.key,
        shards.len(),
        first.shard.count
    );
    for s in shards {
        let code = s.exit_code.map_or("-".into(), |c| c.to_string());
        let _ = writeln!(
            out,
            "    shard {}: {} (exit {code}) on {}",
            s.shard, s.status, s.runner
        );
    }
}

fn show_stage(s: &StageRow, recaps: &[(String, String, [i64; 7])], out: &mut impl Write) {
    let took = s.finished.unwrap_or(s.started) - s.started;
    let _ = writeln!(
        out,
        "  stage {}: {} (exit {}) {took:.1}s",
        s.name,
        s.status,
        s.exit_code.unwrap_or(0)
    );
    for (k, v) in &s.exports {
        let v = v
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string());
        let _ = writeln!(out, "    export {k} = {v}");
    }
    show_recaps(recaps, &s.name, out);
}

/// The recap lines of `stage` (empty: a plain run's).
fn show_recaps(recaps: &[(String, String, [i64; 7])], stage: &str, out: &mut impl Write) {
    for (_, host, n) in recaps.iter().filter(|(st, _, _)| st == stage) {
        let _ = writeln!(
            out,
            "    {host:<24} ok={} changed={} unreachable={} failed={} skipped={} rescued={} ignored={}",
            n[0], n[1], n[2], n[3], n[4], n[5], n[6]
        );
    }
}

/// The table of runs, newest first.
fn list_runs(db: &Store, pipeline: Option<&str>, out: &mut impl Write) -> Result<i32, Error> {
    print_runs(&db.runs(pipeline)?, out)
}

fn print_runs(runs: &[RunRow], out: &mut impl Write) -> Result<i32, Error> {
    let _ = writeln!(
        out,
        "{:>5}  {:<20} {:<12} {:>4}  {:<10} {:<12} {:>8}",
        "RUN", "PIPELINE", "STATUS", "EXIT", "COMMIT", "BRANCH", "SECONDS"
    );
    for r in runs {
        let _ = writeln!(out, "{}", run_line(r));
    }
    Ok(0)
}

fn run_line(r: &RunRow) -> String {
    let took = r
        .finished
        .map(|f| format!("{:.1}", f - r.started))
        .unwrap_or_else(|| "-".into());
    let exit = r
        .exit_code
        .map(|c| c.to_string())
        .unwrap_or_else(|| "-".into());
    let mut status = r.status.clone();
    if let Some(of) = r.rollback_of {
        status = format!("{status} (rollback to {of})");
    }
    format!(
        "{:>5}  {:<20} {:<12} {:>4}  {:<10} {:<12} {:>8}",
        r.id,
        r.pipeline,
        status,
        exit,
        short(&r.git_sha),
        r.git_branch,
        took
    )
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}
