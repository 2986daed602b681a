//! `LocalConnection`: `ansible_connection=local`, commands run here with `sh -c`; or, with
//! another program in front (`docker exec -i CONTAINER /bin/sh -c`, see `docker.rs`), run by a
//! program here that runs them elsewhere.
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
    /// The program and arguments the command line is given to (`sh -c`).
    program: Vec<String>,
}

impl LocalConnection {
    pub(crate) fn new(host: &str) -> Self {
        Self::through(host, vec!["sh".into(), "-c".into()])
    }

    /// Commands given as the last argument to `program` (a program and its arguments, ending
    /// in one that runs a sh command line, such as `... /bin/sh -c`).
    pub(crate) fn through(host: &str, program: Vec<String>) -> Self {
        LocalConnection {
            host: host.to_owned(),
            program,
        }
    }

    /// The process that runs `command`.
    fn command(&self, command: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program[0]);
        cmd.args(&self.program[1..]).arg(command).kill_on_drop(true);
        cmd
    }

    /// Runs `sh -c command` with `input` on its stdin.
    pub async fn exec_input(&self, command: &str, input: Input) -> Result<ExecOutput, ConnError> {
        use tokio::io::AsyncWriteExt;
        let mut child = self
            .command(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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
        // Not `output()`: tokio's would pipe stdout, away from the file.
        let output = self
            .command(command)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std_out))
            .stderr(Stdio::piped())
            .spawn()
            .map_err(local)?
            .wait_with_output()
            .await
            .map_err(local)?;
        Ok(to_output(output))
    }

    /// Runs `sh -c command` and waits for it.
    pub async fn exec(&self, command: &str) -> Result<ExecOutput, ConnError> {
        let output = self
            .command(command)
            .stdin(Stdio::null())
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

    #[tokio::test]
    async fn a_download_lands_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = tokio::fs::File::create(&path).await.unwrap();
        let local = LocalConnection::new("localhost");
        let out = local
            .exec_to_file("printf 'data\\n'; echo err >&2", &mut file)
            .await
            .unwrap();
        assert_eq!((out.rc, out.stderr.as_str()), (0, "err\n"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "data\n");
    }
}
