//! `--shard INDEX/COUNT`: which of `COUNT` stable slices of a run's hosts this run takes.
//!
//! Owns the spec (parsed from the flag, `FERRY_SHARD`, or `k8s/COUNT` with the index from a
//! Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`) and the slicing rule. Which hosts are
//! sliced — the plays' selections after `--limit` — is the executor's (`executor/shard.rs`).
//!
//! The rule: hosts are ranked by the sha1 of their name (the name breaks ties), and the host
//! of rank `r` goes to shard `r % COUNT`. A host's shard depends only on the set of names,
//! never on the order of the inventory, and the shards' sizes differ by at most one.

use std::fmt;

/// The environment variable a Kubernetes Indexed Job sets in each pod (0-based).
pub const K8S_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// One shard: `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 0.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

/// A `--shard` value that does not name a shard.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    /// `0/0`.
    #[error("the count must be at least 1")]
    Count,
    /// `3/2`.
    #[error("the index must be below the count (0 to {last}; indexes start at 0)")]
    Index { last: usize },
    /// `k8s/N` where the pod's index is not below N.
    #[error("{K8S_INDEX_VAR}={index} is not below the count {count} of 'k8s/{count}' (the Job's completions)")]
    K8sIndex { index: String, count: usize },
    /// `k8s/N` outside a Kubernetes Indexed Job.
    #[error("k8s/COUNT takes the index from {K8S_INDEX_VAR}, which is not set (a Kubernetes Indexed Job sets it)")]
    K8sUnset,
    /// Not `I/N` at all.
    #[error("not a shard: use INDEX/COUNT (0-based: 0/4 .. 3/4) or k8s/COUNT")]
    Syntax,
}

impl Shard {
    /// Reads `INDEX/COUNT` or `k8s/COUNT` (the index from `JOB_COMPLETION_INDEX`).
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        Shard::parse_with(text, std::env::var(K8S_INDEX_VAR).ok().as_deref())
    }

    /// [`Shard::parse`] with the Indexed Job's index given.
    fn parse_with(text: &str, k8s_index: Option<&str>) -> Result<Shard, ShardError> {
        let (index, count) = text.trim().split_once('/').ok_or(ShardError::Syntax)?;
        let count: usize = count.trim().parse().map_err(|_| ShardError::Syntax)?;
        if count == 0 {
            return Err(ShardError::Count);
        }
        let index = match index.trim() {
            "k8s" => {
                let raw = k8s_index.ok_or(ShardError::K8sUnset)?;
                let k8s = || ShardError::K8sIndex {
                    index: raw.to_string(),
                    count,
                };
                let index: usize = raw.trim().parse().map_err(|_| k8s())?;
                return match index < count {
                    true => Ok(Shard { index, count }),
                    false => Err(k8s()),
                };
            }
            digits => digits.parse::<usize>().map_err(|_| ShardError::Syntax)?,
        };
        if index >= count {
            return Err(ShardError::Index { last: count - 1 });
        }
        Ok(Shard { index, count })
    }

    /// The names of `hosts` that fall in this shard, in the order given.
    pub fn slice(&self, hosts: &[String]) -> Vec<String> {
        let mut ranked: Vec<(String, &String)> = hosts
            .iter()
            .map(|h| (crate::checksum::sha1_hex(h.as_bytes()), h))
            .collect();
        ranked.sort();
        ranked.dedup_by(|a, b| a.1 == b.1);
        let mine: std::collections::HashSet<&String> = ranked
            .iter()
            .enumerate()
            .filter(|(rank, _)| rank % self.count == self.index)
            .map(|(_, (_, h))| *h)
            .collect();
        hosts.iter().filter(|h| mine.contains(h)).cloned().collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let ok = |index, count| Ok(Shard { index, count });
        let cases: &[(&str, Option<&str>, Result<Shard, ShardError>)] = &[
            ("0/2", None, ok(0, 2)),
            ("1/2", None, ok(1, 2)),
            (" 0/1 ", None, ok(0, 1)),
            ("k8s/4", Some("3"), ok(3, 4)),
            ("3/2", None, Err(ShardError::Index { last: 1 })),
            ("2/2", None, Err(ShardError::Index { last: 1 })),
            ("0/0", None, Err(ShardError::Count)),
            ("x", None, Err(ShardError::Syntax)),
            ("1/x", None, Err(ShardError::Syntax)),
            ("-1/2", None, Err(ShardError::Syntax)),
            ("k8s/4", None, Err(ShardError::K8sUnset)),
            (
                "k8s/4",
                Some("4"),
                Err(ShardError::K8sIndex {
                    index: "4".into(),
                    count: 4,
                }),
            ),
        ];
        for (text, env, want) in cases {
            assert_eq!(&Shard::parse_with(text, *env), want, "{text}");
        }
        assert_eq!(
            ShardError::Index { last: 1 }.to_string(),
            "the index must be below the count (0 to 1; indexes start at 0)"
        );
    }

    #[test]
    fn slices_cover_every_host_once_balanced_and_ignore_order() {
        let hosts: Vec<String> = (0..103).map(|i| format!("web{i:03}")).collect();
        let mut reversed = hosts.clone();
        reversed.reverse();
        for count in [1, 2, 3, 7, 200] {
            let mut seen: Vec<String> = Vec::new();
            let mut sizes = Vec::new();
            for index in 0..count {
                let shard = Shard { index, count };
                let slice = shard.slice(&hosts);
                let mut again = shard.slice(&reversed);
                again.reverse();
                assert_eq!(
                    slice, again,
                    "{shard}: the inventory's order changed the slice"
                );
                sizes.push(slice.len());
                seen.extend(slice);
            }
            seen.sort();
            assert_eq!(seen, hosts, "{count} shards cover every host once");
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            assert!(max.unwrap() - min.unwrap() <= 1, "{count}: {sizes:?}");
        }
    }
}
