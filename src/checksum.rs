//! Content checksums as Ansible reports them (`checksum`, the `sha1` filter): sha1, lower-case hex.
//!
//! A leaf: it imports nothing of ferry's.

use sha1::Digest;

/// sha1 of `data`, as lower-case hex.
pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(data))
}
