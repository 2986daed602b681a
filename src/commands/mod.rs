//! The subcommands, one file each, from parsed flags ([`crate::cli`]) to an exit code.
//!
//! - [`run`]: `ferry run` (and `--syntax-check`, `--list-hosts`, `--list-tasks`).
//! - [`check`]: `ferry check`: load everything, contact no host.
//! - [`inventory`]: `ferry inventory --list | --graph | --host`.
//! - [`pipeline`]: `ferry pipeline run` and `ferry pipeline watch`.
//! - [`history`]: `ferry history [PIPELINE] [show RUN]`.
//! - [`report`]: `ferry report [PIPELINE] [RUN]`, `--compare A B`: recorded runs as HTML.
//! - [`rollback`]: `ferry rollback PIPELINE [--to RUN]`.
//! - [`lock`]: `ferry lock release NAME`.
//! - [`shards`]: `ferry shards merge LOG...`: the shards of a `--shard` rollout as one.
//! - [`state`]: `ferry state migrate`: a SQLite history copied into PostgreSQL.
//! - [`config`]: `ferry config dump [--only-changed]`: ansible.cfg and `ANSIBLE_*` as read.
//! - [`vault`]: `ferry vault ...` (like ansible-vault), and unlocking the vault passwords a
//!   command was given.
//! - [`options`]: what they share: run options, extra vars, loading playbooks and
//!   inventories, and the one place where output flags become reporters.
//!
//! A new subcommand is a file here, its clap definition in `cli.rs` and one arm of
//! [`dispatch`].

pub mod check;
pub mod config;
pub mod history;
pub mod inventory;
pub mod lock;
pub mod options;
pub mod pipeline;
pub mod report;
pub mod rollback;
pub mod run;
pub mod shards;
pub mod state;
pub mod vault;

use crate::cli::{
    Command, ConfigCommand, LockCommand, PipelineCommand, ShardsCommand, StateCommand,
};
use crate::error::Error;

/// Runs any ferry command; returns its exit code.
pub async fn dispatch(command: Command) -> Result<i32, Error> {
    match command {
        Command::Run(args) => run::run(*args).await,
        Command::Check(args) => check::check(args),
        Command::Pipeline(PipelineCommand::Run(args)) => pipeline::run(*args).await,
        Command::Pipeline(PipelineCommand::Watch(args)) => pipeline::watch(*args).await,
        Command::History(args) => history::history(args),
        Command::Report(args) => report::report(args),
        Command::Rollback(args) => rollback::rollback(*args).await,
        Command::Lock(LockCommand::Release {
            name,
            pipeline,
            history_db,
            state,
        }) => lock::release(
            &name,
            pipeline.as_deref(),
            history_db.as_deref(),
            state.as_deref(),
        ),
        Command::Inventory(args) => inventory::inventory(&args),
        Command::Config(ConfigCommand::Dump { only_changed }) => config::dump(only_changed),
        Command::Vault(command) => vault::vault(command),
        Command::Shards(ShardsCommand::Merge(args)) => shards::merge(&args),
        Command::State(StateCommand::Migrate { from, to }) => state::migrate(&from, &to),
    }
}
