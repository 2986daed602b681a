//! The fast transport: one long-lived `sh` per connection on one session channel, which
//! runs each command in a subshell and frames its output with a per-connection marker.
//!
//! For every command it writes one line
//! `( eval 'COMMAND' ) </dev/null; printf '\n%s:%d\n' MARKER "$?"; printf '\n%s\n' MARKER >&2`
//! and reads stdout up to `\nMARKER:rc\n` and stderr up to `\nMARKER\n`. `eval` keeps a
//! syntax error inside the subshell (at top level it would end `sh`); the subshell keeps
//! `cd`, `exit`, variables and traps from leaking into the next command. Commands on one
//! connection take turns. A shell that dies, or is abandoned mid-command, is replaced by a
//! fresh one for the next command; if no shell can be started at all, commands fall back
//! to exec channels (`exec.rs`) for the rest of the connection.

use std::future::Future;
use std::task::Poll;

use russh::client::{Handle, Handler, Msg};
use russh::{Channel, ChannelMsg};
use tokio::sync::{Mutex, Semaphore};

use super::exec::{self, ChannelGuard};
use crate::connection::{quote, ConnError, ExecOutput};

/// Runs commands through one `sh` at a time on a connection.
pub(crate) struct ShellRunner {
    marker: String,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    /// The idle shell, if one is open.
    shell: Option<ChannelGuard>,
    /// No shell could be started: use exec channels from now on.
    unavailable: bool,
}

/// How reading one framed command ended.
enum Outcome {
    /// Both markers seen: the command finished and the shell waits for the next one.
    Framed(ExecOutput),
    /// The channel ended first: `sh` died (or never started). Carries what was read.
    Ended {
        output: ExecOutput,
        /// Whether the startup frame was seen, i.e. `sh` did run.
        started: bool,
    },
}

impl ShellRunner {
    pub(crate) fn new() -> Self {
        let marker = format!("__ferry_{:032x}", rand::random::<u128>());
        ShellRunner {
            marker,
            slot: Mutex::new(Slot::default()),
        }
    }

    /// Runs `command` in the connection's shell (opening one if needed).
    pub(crate) async fn run<H: Handler>(
        &self,
        handle: &Handle<H>,
        host: &str,
        permits: &Semaphore,
        command: &str,
    ) -> Result<ExecOutput, ConnError> {
        let mut slot = self.slot.lock().await;
        if slot.unavailable {
            drop(slot);
            return exec::run(handle, host, permits, command).await;
        }
        let idle = match slot.shell.take() {
            Some(guard) => still_alive(guard).await,
            None => None,
        };
        let fresh = idle.is_none();
        let mut guard = match idle {
            Some(guard) => guard,
            None => open(handle, host).await?,
        };
        let mut script = if fresh { self.frame("") } else { String::new() };
        script.push_str(&self.frame(command));
        let channel = guard.get();
        if let Err(e) = channel.data_bytes(script.into_bytes()).await {
            return Err(exec::broken(handle, host, &e));
        }
        match self.read(channel, fresh).await {
            Outcome::Framed(output) => {
                slot.shell = Some(guard);
                Ok(output)
            }
            Outcome::Ended { output, started } => {
                guard.0 = None; // the channel is gone already
                if handle.is_closed() {
                    return Err(ConnError::Lost {
                        host: host.to_owned(),
                        message: "the connection closed before the command finished".into(),
                    });
                }
                if started {
                    Ok(output) // the command ended the shell; the next one gets a new shell
                } else {
                    slot.unavailable = true;
                    drop(slot);
                    exec::run(handle, host, permits, command).await
                }
            }
        }
    }

    /// The line that runs `command` and prints the two end markers. An empty command makes
    /// the startup frame, which also swallows anything the login shell printed.
    fn frame(&self, command: &str) -> String {
        let run = if command.is_empty() {
            String::new()
        } else {
            format!("( eval {} ) </dev/null; ", quote(command))
        };
        let m = &self.marker;
        format!("{run}printf '\\n%s:%d\\n' {m} \"$?\"; printf '\\n%s\\n' {m} >&2\n")
    }

    /// Reads the startup frame when `fresh`, then the command's frame.
    async fn read(&self, channel: &mut Channel<Msg>, fresh: bool) -> Outcome {
        let mut frames = Frames::new(&self.marker);
        let mut started = !fresh;
        loop {
            let Some(msg) = channel.wait().await else {
                return frames.ended(started);
            };
            match msg {
                ChannelMsg::Data { data } => frames.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    frames.stderr.extend_from_slice(&data);
                }
                ChannelMsg::ExitStatus { exit_status } => {
                    frames.exit = Some(i32::try_from(exit_status).unwrap_or(-1));
                }
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    frames.exit = Some(128 + exec::signal_number(&signal_name));
                }
                // The server refused to start the shell; the channel stays open but idle.
                ChannelMsg::Failure => return frames.ended(false),
                ChannelMsg::Close => return frames.ended(started),
                _ => continue,
            }
            while let Some(output) = frames.take() {
                if started {
                    return Outcome::Framed(output);
                }
                started = true; // that was the startup frame: now the command's
            }
        }
    }
}

/// Opens a session channel running `sh` (through the user's login shell, as an exec
/// request would). Whether `sh` really started shows in the startup frame.
async fn open<H: Handler>(handle: &Handle<H>, host: &str) -> Result<ChannelGuard, ConnError> {
    let mut guard = ChannelGuard(Some(exec::open_session(handle, host).await?));
    if let Err(e) = guard.get().exec(true, "exec sh").await {
        return Err(exec::broken(handle, host, &e));
    }
    Ok(guard)
}

/// `guard` back if its shell is still there. Messages that arrived while it was idle are
/// drained: window adjustments and stray output (a background job's) mean nothing, but an
/// exit, end of file or close means the shell is gone and a fresh one is needed.
async fn still_alive(mut guard: ChannelGuard) -> Option<ChannelGuard> {
    let channel = guard.get();
    loop {
        let ready = {
            let mut wait = std::pin::pin!(channel.wait());
            std::future::poll_fn(|cx| Poll::Ready(wait.as_mut().poll(cx))).await
        };
        match ready {
            Poll::Pending => return Some(guard),
            Poll::Ready(None) => return None,
            Poll::Ready(Some(msg)) => match msg {
                ChannelMsg::Close
                | ChannelMsg::Eof
                | ChannelMsg::ExitStatus { .. }
                | ChannelMsg::ExitSignal { .. } => return None,
                _ => continue,
            },
        }
    }
}

/// Accumulated stdout/stderr of a shell channel, cut into per-command frames.
struct Frames {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// `\nMARKER:` ends a command's stdout; the rc and a newline follow.
    out_end: Vec<u8>,
    /// `\nMARKER\n` ends a command's stderr.
    err_end: Vec<u8>,
    /// Where a finished stdout frame ended: (content length, rc, bytes consumed).
    out_frame: Option<(usize, i32, usize)>,
    /// The exit status or signal of `sh` itself, if it ended.
    exit: Option<i32>,
    /// How much of stdout and stderr was searched for the end markers already.
    out_scanned: usize,
    err_scanned: usize,
}

impl Frames {
    fn new(marker: &str) -> Self {
        Frames {
            stdout: Vec::new(),
            stderr: Vec::new(),
            out_end: format!("\n{marker}:").into_bytes(),
            err_end: format!("\n{marker}\n").into_bytes(),
            out_frame: None,
            exit: None,
            out_scanned: 0,
            err_scanned: 0,
        }
    }

    /// The next complete frame, removed from the buffers, if both of its markers are in.
    fn take(&mut self) -> Option<ExecOutput> {
        if self.out_frame.is_none() {
            let at = find_from(&self.stdout, &self.out_end, &mut self.out_scanned)?;
            let rc_start = at + self.out_end.len();
            let rc_len = self.stdout[rc_start..].iter().position(|&b| b == b'\n')?;
            let rc = std::str::from_utf8(&self.stdout[rc_start..rc_start + rc_len])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1);
            self.out_frame = Some((at, rc, rc_start + rc_len + 1));
        }
        let err_at = find_from(&self.stderr, &self.err_end, &mut self.err_scanned)?;
        let (out_at, rc, out_used) = self.out_frame.take()?;
        let stdout = cut(&mut self.stdout, out_at, out_used);
        let stderr = cut(&mut self.stderr, err_at, err_at + self.err_end.len());
        (self.out_scanned, self.err_scanned) = (0, 0);
        Some(ExecOutput { rc, stdout, stderr })
    }

    /// What to report when the channel ended before a frame was complete.
    fn ended(self, started: bool) -> Outcome {
        Outcome::Ended {
            started,
            output: ExecOutput {
                rc: self.exit.unwrap_or(-1),
                stdout: String::from_utf8_lossy(&self.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&self.stderr).into_owned(),
            },
        }
    }
}

/// Removes `buf[..used]` and returns its first `len` bytes as text.
fn cut(buf: &mut Vec<u8>, len: usize, used: usize) -> String {
    let text = String::from_utf8_lossy(&buf[..len]).into_owned();
    buf.drain(..used);
    text
}

/// The first `needle` in `haystack`, searching only what was not searched before
/// (`scanned`, moved forward): output arriving in many pieces is scanned once, not once per
/// piece (a 64 MB output used to take minutes).
fn find_from(haystack: &[u8], needle: &[u8], scanned: &mut usize) -> Option<usize> {
    let start = scanned.saturating_sub(needle.len() - 1).min(haystack.len());
    match memchr::memmem::find(&haystack[start..], needle) {
        Some(at) => Some(start + at),
        None => {
            *scanned = haystack.len();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Feeds the frames of `commands` to a local `sh` the way the shell transport does,
    /// then cuts its output into frames, fed `chunk` bytes at a time.
    fn run_locally(commands: &[&str], chunk: usize) -> Vec<ExecOutput> {
        let runner = ShellRunner::new();
        let mut script = runner.frame("");
        for command in commands {
            script.push_str(&runner.frame(command));
        }
        let mut child = std::process::Command::new("sh")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let mut frames = Frames::new(&runner.marker);
        let mut results = Vec::new();
        for piece in out.stdout.chunks(chunk) {
            frames.stdout.extend_from_slice(piece);
            while let Some(frame) = frames.take() {
                results.push(frame);
            }
        }
        for piece in out.stderr.chunks(chunk) {
            frames.stderr.extend_from_slice(piece);
            while let Some(frame) = frames.take() {
                results.push(frame);
            }
        }
        assert!(frames.stdout.is_empty() && frames.stderr.is_empty());
        results.remove(0); // the startup frame
        results
    }

    fn out(rc: i32, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            rc,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn frames_each_command() {
        let cases: &[(&str, ExecOutput)] = &[
            ("true", out(0, "", "")),
            ("echo out; echo err >&2; exit 3", out(3, "out\n", "err\n")),
            ("printf 'no newline'", out(0, "no newline", "")),
            ("printf '\\n\\n'", out(0, "\n\n", "")),
            ("cd /; X=1; pwd", out(0, "/\n", "")),
            (
                "echo ${X-unset}; [ \"$PWD\" != / ] && echo not-root",
                out(0, "unset\nnot-root\n", ""),
            ),
            ("cat; echo after-cat", out(0, "after-cat\n", "")),
            ("echo a # ) comment with 'quotes", out(0, "a\n", "")),
            (
                "cat <<EOF\nheredoc $((1+1))\nEOF",
                out(0, "heredoc 2\n", ""),
            ),
            ("set -e; false; echo unreachable", out(1, "", "")),
            ("exit 300", out(44, "", "")),
            (
                "trap 'echo trapped' EXIT; echo body",
                out(0, "body\ntrapped\n", ""),
            ),
            ("echo \"it's\" '$HOME'", out(0, "it's $HOME\n", "")),
        ];
        let commands: Vec<&str> = cases.iter().map(|(c, _)| *c).collect();
        for chunk in [1, 7, 4096] {
            let results = run_locally(&commands, chunk);
            assert_eq!(results.len(), cases.len(), "chunk {chunk}");
            for ((command, expected), got) in cases.iter().zip(&results) {
                assert_eq!(got, expected, "{command} (chunk {chunk})");
            }
        }
    }

    #[test]
    fn a_syntax_error_does_not_end_the_shell() {
        let results = run_locally(&["if then fi (", "echo still-here"], 4096);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].rc, 2);
        assert!(
            results[0].stderr.to_lowercase().contains("syntax error"),
            "{:?}",
            results[0]
        );
        assert_eq!(results[1], out(0, "still-here\n", ""));
    }

    #[test]
    fn a_stream_that_ends_early_keeps_what_was_read() {
        let mut frames = Frames::new("__m");
        frames.stdout.extend_from_slice(b"partial");
        frames.exit = Some(137);
        match frames.ended(true) {
            Outcome::Ended { output, started } => {
                assert!(started);
                assert_eq!(output, out(137, "partial", ""));
            }
            Outcome::Framed(_) => panic!("no frame was complete"),
        }
    }
}
