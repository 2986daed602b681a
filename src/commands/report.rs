//! `ferry report [PIPELINE] [RUN] [-o FILE]`: a recorded run's HTML page, from the report model
//! the history database keeps; `--compare RUN_A RUN_B`: what differs between two runs.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::ReportArgs;
use crate::error::Error;
use crate::report::model::Report;
use crate::state::{StateSpec, Store};

/// `ferry report`.
pub fn report(args: ReportArgs) -> Result<i32, Error> {
    let mut file = None;
    let mut run = None;
    for a in &args.args {
        match a.parse::<i64>() {
            Ok(n) if run.is_none() => run = Some(n),
            _ if file.is_none() => file = Some(PathBuf::from(a)),
            _ => {
                return Err(Error::Options(
                    "usage: ferry report [PIPELINE] [RUN] | ferry report [PIPELINE] --compare RUN_A RUN_B".into(),
                ))
            }
        }
    }
    let (pipeline, db_path, db) = crate::commands::history::open(
        file.as_deref(),
        args.state.as_deref(),
        args.history_db.as_deref(),
    )?;
    let html = match args.compare.as_slice() {
        [a, b] => {
            let (a, b) = (recorded(&db, &db_path, *a)?, recorded(&db, &db_path, *b)?);
            let c = crate::report::compare::compare(&a, &b);
            let title = format!(
                "ferry: runs {} and {} compared",
                args.compare[0], args.compare[1]
            );
            crate::report::html::page(&title, &c.page())
        }
        _ => {
            let name = pipeline.as_ref().map(|p| p.name.as_str());
            let id = match run {
                Some(id) => id,
                None => newest(&db, &db_path, name)?,
            };
            crate::report::html::render(&recorded(&db, &db_path, id)?)
        }
    };
    write(args.output.as_deref(), &html)?;
    Ok(0)
}

fn newest(db: &Store, path: &StateSpec, pipeline: Option<&str>) -> Result<i64, Error> {
    db.runs(pipeline)?
        .first()
        .map(|r| r.id)
        .ok_or_else(|| Error::Options(format!("no run recorded in {path}")))
}

/// Run `id`'s report model.
fn recorded(db: &Store, path: &StateSpec, id: i64) -> Result<Report, Error> {
    if db.run(id)?.is_none() {
        return Err(Error::Options(format!("no run {id} in {path}")));
    }
    db.report(id)?.ok_or_else(|| {
        Error::Options(format!(
            "run {id} in {path} has no report (it was recorded before ferry kept them)"
        ))
    })
}

fn write(path: Option<&Path>, html: &str) -> Result<(), Error> {
    let Some(path) = path else {
        let _ = std::io::stdout().lock().write_all(html.as_bytes());
        return Ok(());
    };
    std::fs::write(path, html).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
