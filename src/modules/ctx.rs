//! What a module sees of the host it runs on ([`ModuleCtx`]): its variables, the templar, and
//! its connection with the task's `environment` and become applied.

use std::sync::Arc;

use crate::connection::privilege::Become;
use crate::connection::{ConnError, ConnectSpec, Connection, ExecOutput, Input, Pool};
use crate::modules::host;
use crate::template::Templar;
use crate::vars::Vars;

/// What a module sees of the host it runs on.
pub struct ModuleCtx<'a> {
    /// The inventory hostname.
    pub host: &'a str,
    /// The module the task runs, by the name it resolved to.
    pub module: &'a str,
    /// All variables of the host for this task.
    pub vars: &'a Vars,
    /// The run's templar.
    pub templar: &'a Templar,
    /// How to reach the host.
    pub conn: &'a HostConn,
    /// `become`: run remote commands as another user (applied by the connection layer).
    pub become_: Option<&'a Become>,
    /// `environment`: `export K=V; ` assignments put before every remote command.
    pub env: Option<&'a str>,
    /// `--check` / `check_mode`: report what would change, change nothing.
    pub check_mode: bool,
    /// `--diff`: modules that change files add a `diff` to their result.
    pub diff: bool,
    /// `no_log`: the module is told to keep its arguments and results out of logs.
    pub no_log: bool,
    /// `-v` count of the run.
    pub verbosity: u8,
    /// Stats prefetched for the items of a loop (see `host::prefetch`).
    pub prefetched: Option<&'a host::Prefetched>,
    /// `async:`: a module that can (its spec's `background`) starts its work as this
    /// background job and returns at once.
    pub async_job: Option<&'a host::jobs::AsyncJob>,
    /// For a module whose spec `edits_inventory` (`add_host`, `group_by`): the run's
    /// inventory, which the executor takes back when the task is done.
    pub inventory: Option<&'a std::sync::Mutex<crate::inventory::Inventory>>,
}

impl ModuleCtx<'_> {
    /// Runs a command with `input` on its stdin (secrets go this way, never on a command line).
    pub async fn exec_stdin(&self, script: &str, input: &[u8]) -> Result<ExecOutput, ConnError> {
        self.exec_input(script, Input::bytes(input)).await
    }

    /// Runs a command with `input` (bytes, then a streamed local file) on its stdin; a become
    /// password goes first.
    pub async fn exec_input(&self, script: &str, input: Input) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let line = self.with_env(script);
        match self.become_ {
            None => conn.exec_input(&line, input).await,
            Some(b) => b.run(&*conn, self.host, &line, Some(input), None).await,
        }
    }

    /// Runs a command with its stdout streamed into `out` (downloads). Under sudo with a
    /// password, which needs stdin, callers read into memory instead.
    pub async fn exec_to_file(
        &self,
        script: &str,
        out: &mut tokio::fs::File,
    ) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let line = self.with_env(script);
        match self.become_ {
            None => {
                let line = format!("exec </dev/null; {line}");
                conn.exec_to_file(&line, out).await
            }
            Some(b) => b.run(&*conn, self.host, &line, None, Some(out)).await,
        }
    }

    /// Runs a sh command line on the host, with the task's environment and become applied.
    pub async fn exec(&self, script: &str) -> Result<ExecOutput, ConnError> {
        let conn = self.conn.get().await?;
        let line = self.with_env(script);
        match self.become_ {
            None => conn.exec(&line).await,
            Some(b) => b.run(&*conn, self.host, &line, None, None).await,
        }
    }

    /// `script` after the task's `environment` assignments.
    fn with_env<'s>(&self, script: &'s str) -> std::borrow::Cow<'s, str> {
        match self.env {
            Some(env) => format!("{env}{script}").into(),
            None => script.into(),
        }
    }

    /// Forgets the host's connection: the next command connects again (`reboot`, once the
    /// host is back).
    pub async fn reconnect(&self) {
        self.conn.pool.reset(&self.conn.spec.name).await;
    }

    /// True under `--diff`.
    pub fn diff_mode(&self) -> bool {
        self.diff
    }
}

/// A host's connection, opened on first use through the run's pool.
pub struct HostConn {
    /// The pool shared by the run.
    pub pool: Arc<Pool>,
    /// How to connect to this host.
    pub spec: ConnectSpec,
}

impl HostConn {
    /// The host's connection (opened once, then reused).
    pub async fn get(&self) -> Result<Arc<dyn Connection>, ConnError> {
        self.pool.get(&self.spec).await
    }
}
