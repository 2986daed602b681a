//! The run report: one self-contained HTML page per run (`--report FILE.html`), and the model
//! behind it that the history database keeps for every recorded run.
//!
//! - [`model`]: the [`model::Report`] — header, plays, tasks, one compact row per host result,
//!   texts cut to size, recaps, pipeline stages.
//! - [`collector`]: a reporter that fills the model from the run's events.
//! - [`args`]: the exact arguments of a run, extra-var values masked.
//! - [`recording`]: a run's report from start to end; written when the run ends, fails or is
//!   interrupted (HTML, history).
//! - [`html`]: the page (`page.html`, `page.css`, `page.js` inlined; data as escaped JSON).
//! - [`compare`]: what differs between two recorded runs.
//!
//! It does not run anything or open the history itself for pipelines: `commands/` says where.

pub mod args;
pub mod collector;
pub mod compare;
pub mod html;
pub mod merge;
pub mod model;
pub mod recording;
