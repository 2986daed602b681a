//! Variable scopes and precedence for one host and one task.
//!
//! Values are JSON values throughout ([`Vars`] keeps insertion order): the inventory, the
//! playbook, registered results and facts all become `serde_json::Value`, and templates read them.

/// A scope of variables: name → value, in insertion order.
pub type Vars = serde_json::Map<String, serde_json::Value>;
