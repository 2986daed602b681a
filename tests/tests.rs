//! ferry's one integration test binary: it drives the real `ferry` executable against real
//! OpenSSH servers on loopback addresses (see `support/sshd.rs`).

mod support;

mod aws_lookups;
mod bad_input;
mod bastion;
mod collections;
mod config;
mod conformance;
mod connections;
mod core;
mod corpus;
mod deploy;
mod diffs;
mod dnf;
mod ec2;
mod facts;
mod fallback;
mod faults;
mod files;
mod fuzz_smoke;
mod load_errors;
mod net_modules;
mod packages;
mod pipeline;
mod report;
mod roles;
mod services;
mod shard_rollouts;
mod shard_runs;
mod shards;
mod state_pg;
mod state_pg_reports;
mod state_pg_tls;
mod sudo_become;
mod system_modules;
mod template_plugins;
mod templating;
mod text_modules;
mod vault;
