//! `LocalConnection`: `ansible_connection=local`, commands run here with `sh -c`.
//!
//! Same contract as an SSH connection: one command line in, rc/stdout/stderr out, stdin from
//! /dev/null.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;

use super::{BoxFuture, ConnError, Connection, ExecOutput, Input, Kind};

/// `ansible_connection: local`.
pub(crate) static KIND: Kind = Kind {
    names: &["local"],
    connect: |spec| {
        let conn: Box<dyn Connection> = Box::new(LocalConnection::new(&spec.name));
        Box::pin(async { Ok(conn) })
    },
};

/// Runs commands on the machine ferry runs on.
#[derive(Debug)]
pub struct LocalConnection {
    host: String,
}

impl LocalConnection {
    pub(crate) fn new(host: &str) -> Self {
        LocalConnection {
            host: host.to_owned(),
        }
    }

    /// Runs `sh -c command` with `input` on its stdin.
    pub async fn exec_input(&self, command: &str, input: Input) -> Result<ExecOutput, ConnError> {
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ConnError::Local {
                host: self.host.clone(),
                source: Arc::new(e),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that stops reading early closes the pipe: that is its result to report.
            if stdin.write_all(&input.head).await.is_ok() {
                if let Some(mut file) = input.file {
                    let _ = tokio::io::copy(&mut file, &mut stdin).await;
                }
            }
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|e| ConnError::Local {
                host: self.host.clone(),
                source: Arc::new(e),
            })?;
        Ok(to_output(output))
    }

    /// Runs `sh -c command` with its stdout going into `out`.
    pub async fn exec_to_file(
        &self,
        command: &str,
        out: &mut tokio::fs::File,
    ) -> Result<ExecOutput, ConnError> {
        let local = |e: std::io::Error| ConnError::Local {
            host: self.host.clone(),
            source: Arc::new(e),
        };
        let std_out = out.try_clone().await.map_err(local)?.into_std().await;
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std_out))
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(local)?;
        Ok(to_output(output))
    }

    /// Runs `sh -c command` and waits for it.
    pub async fn exec(&self, command: &str) -> Result<ExecOutput, ConnError> {
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| ConnError::Local {
                host: self.host.clone(),
                source: Arc::new(e),
            })?;
        Ok(to_output(output))
    }
}

impl Connection for LocalConnection {
    fn exec<'a>(&'a self, command: &'a str) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(LocalConnection::exec(self, command))
    }

    fn exec_input<'a>(
        &'a self,
        command: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(LocalConnection::exec_input(self, command, input))
    }

    fn exec_to_file<'a>(
        &'a self,
        command: &'a str,
        out: &'a mut tokio::fs::File,
    ) -> BoxFuture<'a, Result<ExecOutput, ConnError>> {
        Box::pin(LocalConnection::exec_to_file(self, command, out))
    }
}

/// A finished process as an [`ExecOutput`] (rc 128+N for signal N).
fn to_output(output: std::process::Output) -> ExecOutput {
    let status = output.status;
    ExecOutput {
        rc: status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_sh_and_reports_rc_stdout_stderr() {
        let local = LocalConnection::new("localhost");
        let cases = [
            ("echo out; echo err >&2; exit 3", 3, "out\n", "err\n"),
            ("true", 0, "", ""),
            ("cat", 0, "", ""), // stdin is /dev/null: cat ends at once
            ("kill -TERM $$", 128 + 15, "", ""),
            ("printf '\\377ok'", 0, "\u{FFFD}ok", ""),
        ];
        for (command, rc, stdout, stderr) in cases {
            let out = local.exec(command).await.unwrap();
            let expected = ExecOutput {
                rc,
                stdout: stdout.into(),
                stderr: stderr.into(),
            };
            assert_eq!(out, expected, "{command}");
        }
    }
}
