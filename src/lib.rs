//! ferry: run Ansible-style playbooks over SSH, fast, and chain them into CI → CD pipelines.
//!
//! # Layout
//!
//! Data flows one way: **load** → **plan** → **execute** → **report**. `ARCHITECTURE.md` has
//! the full map and says which files to touch to add a module, a connection, a report format
//! or an inventory source.
//!
//! - [`cli`]: clap definitions of the command line (the `--help` text).
//! - Leaves every layer may use: [`text`] (Ansible's booleans, variable names, `key=value`
//!   free-form), [`paths`] (`~` expansion), [`checksum`] (sha1 as Ansible reports it),
//!   [`pyjson`] (JSON written as Python's `json.dumps` writes it).
//! - [`error`]: [`error::Span`], [`error::LoadError`] and the library's [`error::Error`].
//! - [`yaml`]: YAML → [`yaml::Node`] trees with positions; YAML 1.1 booleans as PyYAML.
//! - `aws`: what talks to AWS (the credential chain, SigV4 signing, the signed HTTP call), for
//!   the EC2 inventory and the SSM and Secrets Manager lookups.
//! - [`vault`]: Ansible Vault: the AES256 envelope, password sources, and the masking of every
//!   value that came out of a vault.
//! - [`collections`]: installed Ansible collections, and how a task's action name resolves to
//!   a module or action plugin (FQCNs, the `collections` keyword, `library/`, routing).
//! - [`playbook`]: the validated model (plays, tasks, handlers) and its loader; every error is
//!   found here, with a span, before any host is contacted — except in what a dynamic include
//!   names, which is read (and checked the same way) when the include runs.
//! - [`inventory`]: INI and YAML inventories, group_vars/host_vars, host patterns.
//! - [`vars`]: the `Vars` type (name → JSON value); precedence is `executor/hostvars.rs`.
//! - [`template`]: one minijinja environment with Ansible's filters and tests; strict undefined.
//! - [`connection`]: the `Connection` trait and its kinds (ssh over russh, local), one
//!   connection per host reused by every task; connect options; become (sudo, su).
//! - [`modules`]: one declaration (`ModuleSpec`) and file per module, the `MODULES` table;
//!   `modules/host/` is the toolkit modules call to act on a host; `modules/ansiballz/` runs a
//!   module ferry has no native code for as Ansible runs it (packaged, on the host's Python).
//!   `modules/host/` is the toolkit modules call to act on a host.
//! - `facts`: fact gathering (`setup`, `gather_facts`) in one script per host, and the
//!   fact cache.
//! - [`executor`]: runs plays: hosts in parallel per task, handlers, outcomes and the recap.
//! - [`events`]: the event vocabulary (task and host results, recap, stage and run statuses)
//!   and the [`events::Reporter`] trait; the executor emits, reporters receive.
//! - [`output`]: the reporters: human, JSON lines, JUnit.
//! - [`report`]: the HTML run report (`--report`) and the report model the history keeps.
//! - [`listing`]: `--list-hosts`, `--list-tasks`, `--syntax-check`.
//! - [`shard`]: `--shard INDEX/COUNT`: the spec and the stable slicing rule (the executor
//!   applies it, `output/shards.rs` merges the shards' logs).
//! - [`pipeline`]: CI → CD pipelines: stages, exports, lock, history, watch, rollback.
//! - [`state`]: where pipeline history and the deploy lock live: SQLite (default) or
//!   PostgreSQL (`--state postgres://...`), behind one `Store`; the shards of one rollout
//!   (`--shard` with a run key) as one run (`state/rollout.rs`).
//! - [`commands`]: one file per subcommand, from parsed flags to an exit code; the one place
//!   where output flags become reporters.

pub(crate) mod aws;
pub mod checksum;
pub mod cli;
pub mod collections;
pub mod commands;
pub mod config;
pub mod connection;
pub mod error;
pub mod events;
pub mod executor;
pub(crate) mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod listing;
pub mod modules;
pub mod output;
pub mod paths;
pub mod pipeline;
pub mod playbook;
pub mod pyjson;
pub mod report;
pub mod shard;
pub mod state;
pub mod template;
pub mod text;
pub mod vars;
pub mod vault;
pub mod yaml;
