//! Fact gathering, as Ansible's `setup` module gathers on Linux, in one round trip per host:
//! the collectors asked for (`gather_subset`) choose the parts of one shell script
//! (`gather.sh`), the host runs it once, and the controller reads its output into facts.
//!
//! Layout: `subset.rs` (which collectors `gather_subset` names), `raw.rs` (the script built
//! and its output split into parts), one file per family of collectors — `system.rs`
//! (platform, distribution, lsb, user, date and time, python, managers, ...), `env.rs`
//! (`ansible_env` from the shell's `export -p`), `caps.rs` (capabilities from
//! `/proc/self/status`, in libcap's text form),
//! `hardware.rs` (memory, processors, mounts, devices, dmi), `network.rs` (interfaces,
//! default routes, dns), `virtual_.rs` (virtualization), `local.rs` (`fact_path` facts) —
//! and `cache.rs` (the `jsonfile` fact cache). The `setup` module (`modules/setup.rs`) and
//! `TASK [Gathering Facts]` (`executor/facts.rs`, through `setup`) run a [`Gathering`].

mod cache;
mod caps;
mod distribution;
mod env;
mod hardware;
mod local;
mod network;
mod raw;
mod subset;
mod system;
mod virtual_;

use serde_json::{Map, Value as Json};

use crate::connection::ExecOutput;

pub(crate) use cache::FactCache;
pub(crate) use subset::collectors;
pub(crate) use system::PKG_MGRS;

/// Facts as they are collected (without the `ansible_` prefix).
pub(crate) type Facts = Map<String, Json>;

/// What to gather: `setup`'s arguments.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// `gather_subset`.
    pub subset: Vec<String>,
    /// `gather_timeout`, in seconds.
    pub timeout: u64,
    /// `filter`: globs of fact names to keep (empty: all).
    pub filter: Vec<String>,
    /// `fact_path`: where local facts are.
    pub fact_path: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            subset: vec!["all".into()],
            timeout: 10,
            filter: Vec::new(),
            fact_path: "/etc/ansible/facts.d".into(),
        }
    }
}

/// One collector: its name (a `gather_subset` word), the fact names that select it too,
/// what the script reads for it, and how its facts are read from the output.
pub(crate) struct Collector {
    /// `platform`, `hardware`, ...
    pub name: &'static str,
    /// Facts it gathers, each also a `gather_subset` word (Ansible's `_fact_ids`).
    pub ids: &'static [&'static str],
    /// The parts of `gather.sh` it reads (`#: name`).
    pub parts: &'static [&'static str],
    /// Files (globs) whose contents it reads.
    pub files: &'static [&'static str],
    /// Paths whose existence it asks about.
    pub exists: &'static [&'static str],
    /// The collectors whose facts it needs (gathered with it).
    pub needs: &'static [&'static str],
    /// Reads its facts from the script's output (and the facts collected before it).
    pub parse: fn(&raw::Output, &mut Facts),
}

/// One gathering: the script the host runs once, and how its output becomes facts. The
/// caller runs the script (the `setup` module, through its host's connection), so fact
/// gathering knows no connection.
pub(crate) struct Gathering<'a> {
    opts: &'a Options,
    chosen: Vec<&'static Collector>,
    /// The shell script for the host.
    pub script: String,
}

impl<'a> Gathering<'a> {
    /// Plans the gathering `opts` asks for; `python` is `ansible_python_interpreter` (the
    /// interpreter to describe in `ansible_python`). An unknown `gather_subset` word is an
    /// error.
    pub(crate) fn new(opts: &'a Options, python: Option<&Json>) -> Result<Self, String> {
        let chosen = collectors(&opts.subset)?;
        let script = raw::script(&chosen, opts, &python_candidates(python));
        Ok(Gathering {
            opts,
            chosen,
            script,
        })
    }

    /// The facts the script's output gives: with the `ansible_` prefix (plus
    /// `gather_subset` and `module_setup`), as `setup` returns them. A script that printed
    /// nothing and failed is an error (its stderr).
    pub(crate) fn read(&self, out: &ExecOutput) -> Result<Facts, String> {
        if out.stdout.trim().is_empty() && out.rc != 0 {
            return Err(format!("could not gather facts: {}", out.stderr.trim()));
        }
        let output = raw::Output::read(&out.stdout);
        let mut facts = Facts::new();
        for c in &self.chosen {
            let mut own = Facts::new();
            // A collector may read what the ones before it found (os_family, architecture).
            own.extend(facts.clone());
            (c.parse)(&output, &mut own);
            facts.extend(own);
        }
        let mut result = Facts::new();
        for (k, v) in filtered(facts, &self.opts.filter) {
            result.insert(format!("ansible_{k}"), v);
        }
        result.insert("gather_subset".into(), json_strings(&self.opts.subset));
        result.insert("module_setup".into(), Json::Bool(true));
        Ok(result)
    }
}

/// The interpreters to describe in `ansible_python`: `ansible_python_interpreter`, else
/// those Ansible's discovery tries first.
fn python_candidates(python: Option<&Json>) -> String {
    match python {
        Some(Json::String(p)) if !p.contains("{{") && p != "auto" && !p.starts_with("auto_") => {
            p.clone()
        }
        _ => "/usr/bin/python3 /usr/libexec/platform-python python3 /usr/bin/python python".into(),
    }
}

/// Keeps the facts whose name (or `ansible_` name) matches one of `globs`, as Ansible's
/// `filter` does; no globs keeps all.
fn filtered(facts: Facts, globs: &[String]) -> Facts {
    if globs.is_empty() || globs.iter().any(|g| g.is_empty() || g == "*") {
        return facts;
    }
    let matches = |name: &str| {
        let prefixed = format!("ansible_{name}");
        globs.iter().any(|g| {
            fnmatch(g, &prefixed)
                || (!g.starts_with("ansible_")
                    && !g.starts_with("facter")
                    && !g.starts_with("ohai")
                    && fnmatch(&format!("ansible_{g}"), &prefixed))
        })
    };
    facts.into_iter().filter(|(k, _)| matches(k)).collect()
}

/// Python's `fnmatch`: `*`, `?` and `[...]` (`[!...]` negated).
fn fnmatch(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => match (p.iter().position(|c| *c == ']'), n.first()) {
                (Some(end), Some(c)) if end > 1 => {
                    let set = &p[1..end];
                    let (neg, set) = match set.first() {
                        Some('!') => (true, &set[1..]),
                        _ => (false, set),
                    };
                    let mut hit = false;
                    let mut i = 0;
                    while i < set.len() {
                        if i + 2 < set.len() && set[i + 1] == '-' {
                            hit |= set[i] <= *c && *c <= set[i + 2];
                            i += 3;
                        } else {
                            hit |= set[i] == *c;
                            i += 1;
                        }
                    }
                    hit != neg && go(&p[end + 1..], &n[1..])
                }
                _ => n.first() == Some(&'[') && go(&p[1..], &n[1..]),
            },
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

fn json_strings(items: &[String]) -> Json {
    Json::Array(items.iter().cloned().map(Json::String).collect())
}

/// A string fact.
fn s(v: impl Into<String>) -> Json {
    Json::String(v.into())
}

/// Splits a facts mapping as `setup` returns it into the host's variables: the
/// `ansible_*` names, and `ansible_facts` with the names unprefixed (merged into what the
/// host already has).
pub(crate) fn as_variables(gathered: &Facts, existing: Option<&Json>) -> Facts {
    let mut vars = Facts::new();
    let mut namespaced = match existing {
        Some(Json::Object(m)) => m.clone(),
        _ => Facts::new(),
    };
    for (k, v) in gathered {
        vars.insert(k.clone(), v.clone());
        let bare = k.strip_prefix("ansible_").unwrap_or(k);
        namespaced.insert(bare.to_string(), v.clone());
    }
    vars.insert("ansible_facts".into(), Json::Object(namespaced));
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_matches_with_and_without_the_prefix() {
        let mut facts = Facts::new();
        for k in ["distribution", "distribution_version", "eth0", "mounts"] {
            facts.insert(k.into(), Json::Null);
        }
        for (globs, kept) in [
            (
                vec![],
                vec!["distribution", "distribution_version", "eth0", "mounts"],
            ),
            (vec!["ansible_distribution"], vec!["distribution"]),
            (
                vec!["distribution*"],
                vec!["distribution", "distribution_version"],
            ),
            (vec!["ansible_eth*", "mounts"], vec!["eth0", "mounts"]),
            (vec!["nothing"], vec![]),
        ] {
            let globs: Vec<String> = globs.into_iter().map(String::from).collect();
            let got: Vec<String> = filtered(facts.clone(), &globs).keys().cloned().collect();
            assert_eq!(got, kept, "{globs:?}");
        }
    }
}
