//! `ferry state migrate --from sqlite:PATH --to postgres://...`: copies a SQLite history into
//! PostgreSQL (the copying itself is [`crate::state::migrate`]).

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::state::{migrate, StateSpec};

/// `ferry state migrate`.
pub fn migrate(from: &str, to: &str) -> Result<i32, Error> {
    let from = StateSpec::parse(from, Path::new(""))?;
    let to = StateSpec::parse(to, Path::new(""))?;
    let copied = migrate::migrate(&from, &to)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "copied {} runs from {from} to {to} ({} already there)",
        copied.runs, copied.skipped
    );
    Ok(0)
}
