//! STUB until the ssh branch lands.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyChecking {
    Strict,
    AcceptNew,
    Off,
}
#[derive(Debug, Clone)]
pub struct ConnectSpec {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    pub known_hosts: Vec<PathBuf>,
    pub host_key_checking: HostKeyChecking,
    pub connect_timeout: Duration,
    pub local: bool,
}
pub struct ExecOutput {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}
pub struct Connection;
impl Connection {
    pub async fn exec(&self, command: &str) -> Result<ExecOutput, ConnError> {
        let o = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .map_err(|e| ConnError::Other(e.to_string()))?;
        Ok(ExecOutput {
            rc: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        })
    }
    pub async fn exec_stdin(&self, command: &str, _input: &[u8]) -> Result<ExecOutput, ConnError> {
        self.exec(command).await
    }
    pub async fn close(&self) {}
}
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("{0}")]
    Other(String),
}
impl ConnError {
    pub fn is_unreachable(&self) -> bool {
        true
    }
}
#[derive(Default)]
pub struct Pool;
impl Pool {
    pub fn new() -> Pool {
        Pool
    }
    pub async fn get(&self, _spec: &ConnectSpec) -> Result<Arc<Connection>, ConnError> {
        Ok(Arc::new(Connection))
    }
    pub async fn close_all(&self) {}
}
pub fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|c| c.into_owned())
        .unwrap_or_default()
}
