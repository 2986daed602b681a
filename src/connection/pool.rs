//! `Pool`: one connection per host for the whole run, opened on first use and shared by
//! every task on that host.
//!
//! Concurrent callers for the same host wait for the one connect; a failed connect is
//! remembered and every later caller gets the same error without another attempt.
//!
//! At fleet scale: at most [`MAX_HANDSHAKES`] connects are in progress at once (the rest
//! wait their turn, outside their connect timeout), so a thousand hosts do not open a
//! thousand sockets in the same instant, overrunning sshd's `MaxStartups` and the local
//! ports; and the process's open-files limit is raised to its hard limit once (each host
//! holds a socket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OnceCell, Semaphore};

use super::{connect, ConnError, ConnectSpec, Connection};

type Slot = Arc<OnceCell<Result<Arc<dyn Connection>, ConnError>>>;

/// Connects in progress at once, across all hosts.
pub const MAX_HANDSHAKES: usize = 100;

/// Connects, retrying a refused or timed-out connect `spec.connect_retries` times with
/// exponential backoff (0.5 s, 1 s, 2 s, ... at most 8 s): a host that is still booting.
async fn connect_with_retries(
    spec: &ConnectSpec,
    handshakes: &Semaphore,
) -> Result<Arc<dyn Connection>, ConnError> {
    let mut pause = std::time::Duration::from_millis(500);
    let mut left = spec.connect_retries;
    loop {
        let turn = handshakes.acquire().await;
        let attempt = connect(spec).await;
        drop(turn);
        match attempt {
            Ok(c) => return Ok(Arc::from(c)),
            Err(e @ (ConnError::Connect { .. } | ConnError::Timeout { .. })) if left > 0 => {
                let _ = e;
                left -= 1;
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(8));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The run's connections, keyed by inventory host name.
pub struct Pool {
    slots: Mutex<HashMap<String, Slot>>,
    handshakes: Semaphore,
}

impl Default for Pool {
    fn default() -> Self {
        raise_open_files_limit();
        Pool {
            slots: Mutex::default(),
            handshakes: Semaphore::new(MAX_HANDSHAKES),
        }
    }
}

/// Raises the soft limit on open files to the hard limit (once per process): the default
/// soft limit, often 1,024, is below what a fleet of hosts needs.
fn raise_open_files_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            limit.current = limit.maximum;
            let _ = setrlimit(Resource::Nofile, limit);
        }
    });
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection to `spec.name`, connecting on the first call.
    pub async fn get(&self, spec: &ConnectSpec) -> Result<Arc<dyn Connection>, ConnError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            // One connection per host and kind (a task's `connection: local` is another one).
            let key = format!("{}\u{1}{}", spec.name, spec.connection);
            slots.entry(key).or_default().clone()
        };
        slot.get_or_init(|| connect_with_retries(spec, &self.handshakes))
            .await
            .clone()
    }

    /// Closes `host`'s connections (of every kind) and forgets them: the next task on it
    /// connects again (`meta: reset_connection`). A failed connect is forgotten too.
    pub async fn reset(&self, host: &str) {
        let prefix = format!("{host}\u{1}");
        let slots: Vec<Slot> = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let keys: Vec<String> = slots
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            keys.iter().filter_map(|k| slots.remove(k)).collect()
        };
        close(slots).await;
    }

    /// Closes every open connection and forgets them all.
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.drain().map(|(_, slot)| slot).collect()
        };
        close(slots).await;
    }
}

async fn close(slots: Vec<Slot>) {
    for slot in slots {
        if let Some(Ok(connection)) = slot.get() {
            connection.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, local: bool) -> ConnectSpec {
        let mut spec = ConnectSpec::new(name);
        spec.connection = if local { "local" } else { "ssh" }.into();
        spec.address = "127.0.0.1".into();
        spec.port = 1; // nothing listens there: connection refused
        spec
    }

    #[tokio::test]
    async fn shares_one_connection_per_host() {
        let pool = Pool::new();
        let h = spec("h", true);
        let (a, b) = tokio::join!(pool.get(&h), pool.get(&h));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(Arc::ptr_eq(&a, &b));
        let other = pool.get(&spec("other", true)).await.unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(a.exec("echo hi").await.unwrap().stdout, "hi\n");
        pool.close_all().await;
    }

    #[test]
    fn a_pool_raises_the_open_files_limit_to_the_hard_limit() {
        let _pool = Pool::new();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(limit.current, limit.maximum);
    }

    #[tokio::test]
    async fn remembers_a_failed_connect() {
        let pool = Pool::new();
        let first = pool.get(&spec("down", false)).await.unwrap_err();
        assert!(matches!(first, ConnError::Connect { .. }), "{first}");
        assert!(first.is_unreachable());
        // Asking again for the same host and kind gets the remembered error, without a new
        // attempt (another kind, as a task's `connection: local`, is another connection).
        let again = pool.get(&spec("down", false)).await.unwrap_err();
        assert_eq!(again.to_string(), first.to_string());
    }

    #[tokio::test]
    async fn a_reset_host_connects_again() {
        let pool = Pool::new();
        let h = spec("h", true);
        let first = pool.get(&h).await.unwrap();
        let other = pool.get(&spec("other", true)).await.unwrap();
        pool.reset("h").await;
        let second = pool.get(&h).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        let same = pool.get(&spec("other", true)).await.unwrap();
        assert!(Arc::ptr_eq(&other, &same));
        pool.close_all().await;
    }
}
