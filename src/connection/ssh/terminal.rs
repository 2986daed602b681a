//! A command on an exec channel with a pty ([`Terminal`]): what `su` needs to read a
//! password. stdout and stderr arrive merged, as a terminal shows them.

use russh::client::{Handle, Handler};
use russh::{ChannelMsg, Pty};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::exec::{broken, open_guarded, signal_number, ChannelGuard};
use crate::connection::{BoxFuture, ConnError, Input, Terminal};

/// A command running on a pty of its own channel.
pub(crate) struct SshTerminal<'a> {
    host: String,
    channel: ChannelGuard,
    rc: Option<i32>,
    _permit: SemaphorePermit<'a>,
}

/// Opens a channel, asks for a pty (echo off) and starts `command` on it.
pub(crate) async fn open<'a, H: Handler>(
    handle: &Handle<H>,
    host: &str,
    permits: &'a Semaphore,
    command: &str,
) -> Result<SshTerminal<'a>, ConnError> {
    let (permit, mut channel) = open_guarded(handle, host, permits).await?;
    let ch = channel.get();
    let started = async {
        ch.request_pty(false, "dumb", 200, 50, 0, 0, &[(Pty::ECHO, 0)])
            .await?;
        ch.exec(true, command).await
    };
    started.await.map_err(|e| broken(handle, host, &e))?;
    Ok(SshTerminal {
        host: host.to_owned(),
        channel,
        rc: None,
        _permit: permit,
    })
}

impl SshTerminal<'_> {
    async fn next(&mut self) -> Result<Option<Vec<u8>>, ConnError> {
        loop {
            let Some(ch) = self.channel.0.as_mut() else {
                return Ok(None);
            };
            let Some(msg) = ch.wait().await else {
                self.channel.0 = None; // closed
                return Ok(None);
            };
            match msg {
                ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. } => {
                    return Ok(Some(data.to_vec()))
                }
                ChannelMsg::ExitStatus { exit_status } => {
                    self.rc = Some(i32::try_from(exit_status).unwrap_or(-1));
                }
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    self.rc = Some(128 + signal_number(&signal_name));
                }
                ChannelMsg::Failure => {
                    return Err(ConnError::Channel {
                        host: self.host.clone(),
                        message: "the server refused a terminal or the command".to_owned(),
                    })
                }
                _ => {}
            }
        }
    }

    async fn send(&mut self, input: Input) -> Result<(), ConnError> {
        let host = self.host.clone();
        let lost = |e: russh::Error| ConnError::Lost {
            host: host.clone(),
            message: e.to_string(),
        };
        let ch = self.channel.get();
        if !input.head.is_empty() {
            ch.data(&input.head[..]).await.map_err(lost)?;
        }
        if let Some(file) = input.file {
            ch.data(file).await.map_err(lost)?;
        }
        Ok(())
    }
}

impl Terminal for SshTerminal<'_> {
    fn read(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, ConnError>> {
        Box::pin(self.next())
    }

    fn write(&mut self, input: Input) -> BoxFuture<'_, Result<(), ConnError>> {
        Box::pin(self.send(input))
    }

    fn exit_status(&self) -> Option<i32> {
        self.rc
    }
}
