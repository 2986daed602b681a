//! Running one command on its own exec channel: open a session channel (retrying when the
//! server is out of sessions), send the exec request, collect stdout, stderr and the exit
//! status until the channel closes.
//!
//! The number of channels open at once is bounded by the caller's semaphore. A channel
//! abandoned mid-command (the caller's future dropped) is closed in the background, so it
//! does not hold one of the server's session slots.

use std::time::Duration;

use russh::client::{Handle, Handler, Msg};
use russh::{Channel, ChannelMsg, Sig};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::connection::{ConnError, ExecOutput, Input};

/// Attempts at opening a channel the server refused, and the first pause between them
/// (doubled each time: 10 ms … 1.3 s, about 2.5 s in all).
const OPEN_ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(10);

/// Runs `command` on a new exec channel of `handle`.
pub(crate) async fn run<H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &Semaphore,
    command: &str,
) -> Result<ExecOutput, ConnError> {
    run_with_input(handle, host, permits, command, Input::default()).await
}

/// Runs `command` with `input` on its stdin (then end of file). A file in `input` is sent
/// as it is read, within the channel's flow-control window.
pub(crate) async fn run_with_input<H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &Semaphore,
    command: &str,
    input: Input,
) -> Result<ExecOutput, ConnError> {
    run_channel(handle, host, permits, command, input, None).await
}

/// Runs `command` with its stdout written to `out` as it arrives (a download); the
/// returned output has stderr only.
pub(crate) async fn run_to_file<H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &Semaphore,
    command: &str,
    out: &mut tokio::fs::File,
) -> Result<ExecOutput, ConnError> {
    run_channel(handle, host, permits, command, Input::default(), Some(out)).await
}

/// One command on its own channel: `input` on stdin (empty: end of file right away, as from
/// /dev/null), stdout collected or written to `out`.
async fn run_channel<H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &Semaphore,
    command: &str,
    input: Input,
    out: Option<&mut tokio::fs::File>,
) -> Result<ExecOutput, ConnError> {
    let (_permit, mut channel) = open_guarded(handle, host, permits).await?;
    let ch = channel.get();
    if let Err(e) = async {
        ch.exec(true, command).await?;
        if !input.head.is_empty() {
            ch.data(&input.head[..]).await?;
        }
        if let Some(file) = input.file {
            ch.data(file).await?;
        }
        ch.eof().await
    }
    .await
    {
        return Err(broken(handle, host, &e));
    }
    let result = collect(ch, host, out).await;
    if result.is_ok() {
        channel.0 = None; // the channel has closed
    }
    result
}

/// Takes one of the connection's channel permits and opens a session channel under it.
pub(crate) async fn open_guarded<'p, H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &'p Semaphore,
) -> Result<(SemaphorePermit<'p>, ChannelGuard), ConnError> {
    let permit = permits.acquire().await.map_err(|_| ConnError::Lost {
        host: host.to_owned(),
        message: "the connection was closed".to_owned(),
    })?;
    Ok((
        permit,
        ChannelGuard(Some(open_session(handle, host).await?)),
    ))
}

/// Opens a session channel, retrying with backoff while the server refuses (its
/// `MaxSessions` is shared with other clients of the same connection we cannot see).
pub(crate) async fn open_session<H: Handler>(
    handle: &Handle<H>,
    host: &str,
) -> Result<Channel<Msg>, ConnError> {
    let mut pause = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match handle.channel_open_session().await {
            Ok(channel) => return Ok(channel),
            Err(russh::Error::ChannelOpenFailure(_)) if attempt < OPEN_ATTEMPTS => {
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            Err(russh::Error::ChannelOpenFailure(reason)) => {
                return Err(ConnError::Channel {
                    host: host.to_owned(),
                    message: format!(
                        "the server refused to open a session channel {attempt} times \
                         ({reason:?}); is MaxSessions in its sshd_config very low?"
                    ),
                })
            }
            Err(e) => return Err(broken(handle, host, &e)),
        }
    }
}

/// Reads the channel until it closes; stdout goes to `file` when given.
async fn collect(
    channel: &mut Channel<Msg>,
    host: &str,
    mut file: Option<&mut tokio::fs::File>,
) -> Result<ExecOutput, ConnError> {
    use tokio::io::AsyncWriteExt;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut rc = None;
    let mut closed = false;
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => match file.as_mut() {
                Some(f) => f.write_all(&data).await.map_err(|e| ConnError::Local {
                    host: host.to_owned(),
                    source: std::sync::Arc::new(e),
                })?,
                None => stdout.extend_from_slice(&data),
            },
            ChannelMsg::ExtendedData { data, ext: 1 } => stderr.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => {
                rc = Some(i32::try_from(exit_status).unwrap_or(-1));
            }
            ChannelMsg::ExitSignal { signal_name, .. } => {
                rc = Some(128 + signal_number(&signal_name))
            }
            ChannelMsg::Failure => {
                return Err(ConnError::Channel {
                    host: host.to_owned(),
                    message: "the server refused the exec request".to_owned(),
                })
            }
            ChannelMsg::Close => closed = true,
            _ => {}
        }
    }
    if rc.is_none() && !closed {
        return Err(ConnError::Lost {
            host: host.to_owned(),
            message: "the channel ended without an exit status".to_owned(),
        });
    }
    Ok(ExecOutput {
        rc: rc.unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// A russh error on an open connection: lost if the connection is gone, else a channel error.
pub(crate) fn broken<H: Handler>(handle: &Handle<H>, host: &str, e: &russh::Error) -> ConnError {
    failed_on(handle, host, e.to_string())
}

/// A failure on an open connection: lost if the connection is gone, else a channel error.
pub(crate) fn failed_on<H: Handler>(handle: &Handle<H>, host: &str, message: String) -> ConnError {
    let host = host.to_owned();
    if handle.is_closed() {
        ConnError::Lost { host, message }
    } else {
        ConnError::Channel { host, message }
    }
}

/// Signal numbers as Linux numbers them (the usual remote host).
pub(crate) fn signal_number(signal: &Sig) -> i32 {
    match signal {
        Sig::HUP => 1,
        Sig::INT => 2,
        Sig::QUIT => 3,
        Sig::ILL => 4,
        Sig::ABRT => 6,
        Sig::FPE => 8,
        Sig::KILL => 9,
        Sig::USR1 => 10,
        Sig::SEGV => 11,
        Sig::PIPE => 13,
        Sig::ALRM => 14,
        Sig::TERM => 15,
        Sig::Custom(name) => match name.as_str() {
            "BUS" => 7,
            "USR2" => 12,
            "CHLD" => 17,
            "CONT" => 18,
            "STOP" => 19,
            "TSTP" => 20,
            "XCPU" => 24,
            "XFSZ" => 25,
            "SYS" => 31,
            _ => 0,
        },
    }
}

/// Owns a channel while a command runs; closes it in the background if dropped unfinished.
pub(crate) struct ChannelGuard(pub(crate) Option<Channel<Msg>>);

impl ChannelGuard {
    pub(crate) fn get(&mut self) -> &mut Channel<Msg> {
        self.0
            .as_mut()
            .expect("the guard holds its channel until finished")
    }
}

impl Drop for ChannelGuard {
    fn drop(&mut self) {
        let Some(channel) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = channel.close().await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_map_to_linux_numbers() {
        let cases = [
            (Sig::KILL, 9),
            (Sig::TERM, 15),
            (Sig::SEGV, 11),
            (Sig::Custom("USR2".into()), 12),
            (Sig::Custom("WEIRD".into()), 0),
        ];
        for (sig, number) in cases {
            assert_eq!(signal_number(&sig), number, "{sig:?}");
        }
    }
}
