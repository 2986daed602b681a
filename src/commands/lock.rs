//! `ferry lock release NAME`: clears a deploy lock whoever holds it (for a holder that died
//! on another machine).

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::pipeline::model;
use crate::state::{StateSpec, Store};

/// `ferry lock release NAME [--pipeline FILE | --history-db DB | --state URL]`.
pub fn release(
    name: &str,
    pipeline: Option<&Path>,
    db: Option<&Path>,
    state: Option<&str>,
) -> Result<i32, Error> {
    let pipeline = pipeline.map(model::load).transpose()?;
    let spec = StateSpec::resolve(state, db, pipeline.as_ref(), Path::new(".ferry/history.db"))?;
    let released = Store::open(&spec)?.force_release(name)?;
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
