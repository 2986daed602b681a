//! `ferry lock release NAME`: clears a deploy lock whoever holds it (for a holder that died
//! on another machine).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::pipeline::history::History;
use crate::pipeline::run::default_db;
use crate::pipeline::{lock, model};

/// `ferry lock release NAME [--pipeline FILE | --history-db DB]`.
pub fn release(name: &str, pipeline: Option<&Path>, db: Option<&Path>) -> Result<i32, Error> {
    let path = match (db, pipeline) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(p)) => default_db(&model::load(p)?),
        (None, None) => PathBuf::from(".ferry/history.db"),
    };
    let db = History::open(&path)?;
    let released = lock::force_release(&db, name)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        if released {
            format!("released lock '{name}'")
        } else {
            format!("lock '{name}' was not held")
        }
    );
    Ok(0)
}
