//! STUB until the inventory branch lands.
use crate::error::LoadErrors;
use crate::vars::Vars;
use std::path::{Path, PathBuf};
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(String);
pub struct Inventory {
    hosts: Vec<(String, Vars)>,
}
impl Inventory {
    pub fn load(
        sources: &[PathBuf],
        _playbook_dir: Option<&Path>,
    ) -> Result<Inventory, LoadErrors> {
        let mut hosts = Vec::new();
        for s in sources {
            let text = std::fs::read_to_string(s).unwrap_or_default();
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('[') || line.starts_with('#') {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let name = parts.next().unwrap().to_string();
                let mut v = Vars::new();
                for p in parts {
                    if let Some((k, val)) = p.split_once('=') {
                        v.insert(k.into(), val.into());
                    }
                }
                hosts.push((name, v));
            }
        }
        Ok(Inventory { hosts })
    }
    pub fn implicit_localhost() -> Inventory {
        let mut v = Vars::new();
        v.insert("ansible_connection".into(), "local".into());
        Inventory {
            hosts: vec![("localhost".into(), v)],
        }
    }
    pub fn select(&self, _pattern: &str) -> Result<Vec<String>, PatternError> {
        Ok(self.hosts.iter().map(|h| h.0.clone()).collect())
    }
    pub fn host_vars(&self, host: &str) -> Vars {
        let mut v = self
            .hosts
            .iter()
            .find(|h| h.0 == host)
            .map(|h| h.1.clone())
            .unwrap_or_default();
        v.insert("inventory_hostname".into(), host.into());
        v
    }
    pub fn groups(&self) -> Vars {
        Vars::new()
    }
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.0.as_str())
    }
    pub fn contains_host(&self, name: &str) -> bool {
        self.hosts.iter().any(|h| h.0 == name)
    }
}
