//! CI → CD pipelines: a file chains playbooks into stages; a stage runs when the stages it
//! `needs` succeeded, and hands its `export`s to later stages as `stages.<name>.<key>`.
//!
//! [`model`] loads and validates the file (with spans), [`run`] runs it under its lock and
//! records everything in the history database ([`history`], [`lock`]); [`watch`] polls a git
//! branch and runs the pipeline for each new commit.

pub mod history;
pub mod history_reports;
pub mod history_rollouts;
pub mod lock;
pub mod model;
pub mod run;
pub mod watch;

pub use model::{Pipeline, Stage};
