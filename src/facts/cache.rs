//! The fact cache (`fact_caching`): `memory` keeps facts for the run; `jsonfile` also keeps
//! them between runs, one JSON file per host in `fact_caching_connection` (named
//! `<fact_caching_prefix><host>`: jsonfile's own prefix is unset unless ansible.cfg sets it), expired after
//! `fact_caching_timeout` seconds (0: never) by the file's age.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde_json::Value as Json;

use crate::config::Config;
use crate::facts::Facts;

/// Where facts are kept between runs, if anywhere.
#[derive(Debug, Clone)]
pub(crate) struct FactCache {
    dir: PathBuf,
    prefix: String,
    timeout: u64,
}

impl FactCache {
    /// The cache ansible.cfg and `ANSIBLE_CACHE_PLUGIN*` set up (`None`: `memory`, or
    /// `jsonfile` without a directory, which Ansible refuses; ferry then keeps memory).
    pub(crate) fn from_config() -> Option<FactCache> {
        let cfg = Config::global();
        let plugin = cfg.text("CACHE_PLUGIN").unwrap_or("memory");
        if !matches!(plugin, "jsonfile" | "ansible.builtin.jsonfile") {
            return None;
        }
        let dir = cfg.text("CACHE_PLUGIN_CONNECTION")?;
        let timeout = cfg
            .int("CACHE_PLUGIN_TIMEOUT")
            .map_or(86400, |t| t.max(0) as u64);
        let prefix = cfg.text("CACHE_PLUGIN_PREFIX").unwrap_or("").to_string();
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).ok()?;
        Some(FactCache {
            dir,
            prefix,
            timeout,
        })
    }

    fn file(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{}{host}", self.prefix))
    }

    /// The host's cached facts, unless missing, unreadable or expired.
    pub(crate) fn get(&self, host: &str) -> Option<Facts> {
        let path = self.file(host);
        let age = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or(Duration::ZERO);
        if self.timeout != 0 && age.as_secs() > self.timeout {
            return None;
        }
        match serde_json::from_slice(&std::fs::read(&path).ok()?).ok()? {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Keeps the host's facts (written whole, then renamed into place).
    pub(crate) fn set(&self, host: &str, facts: &Facts) {
        let path = self.file(host);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let Ok(text) = serde_json::to_string_pretty(facts) else {
            return;
        };
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
}
