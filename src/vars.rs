//! The type of every variable scope: name → JSON value. (Which scope wins — Ansible's
//! precedence — is decided in `executor/hostvars.rs`.)
//!
//! Values are JSON values throughout ([`Vars`] keeps insertion order): the inventory, the
//! playbook, registered results and facts all become `serde_json::Value`, and templates read them.

/// A scope of variables: name → value, in insertion order.
pub type Vars = serde_json::Map<String, serde_json::Value>;
