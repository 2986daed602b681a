//! The reporters: each turns the run's events ([`crate::events`]) into one output — Ansible's
//! familiar lines ([`human`]), one JSON object per line ([`json`]), JUnit XML ([`junit`]); [`shards`] reads
//! the JSON logs of a sharded rollout back and merges them.
//! Modules and the executor never print; they emit events through a
//! [`Reporter`](crate::events::Reporter).

pub(crate) mod diff;
mod difflib;
pub mod human;
pub mod json;
pub mod junit;
pub mod shards;
