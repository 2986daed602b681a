//! Uploads over the SFTP subsystem: one SFTP session per connection, opened on first use on
//! its own channel and kept for the connection's life, so a file costs no new process on the
//! host. Only writes new files (the caller renames them into place with a command).

use russh::client::{Handle, Handler};
use russh::ChannelMsg;
use russh_sftp::client::SftpSession;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::exec;
use crate::connection::{ConnError, Input};

/// The connection's SFTP session, if one was opened.
#[derive(Default)]
pub(crate) struct SftpSlot(Mutex<State>);

#[derive(Default)]
enum State {
    #[default]
    Closed,
    Open(SftpSession),
    /// The server has no SFTP subsystem: callers pipe through a command instead.
    Unavailable,
}

impl SftpSlot {
    /// Creates `path` and writes `input` into it; `None` when the server has no SFTP.
    pub(crate) async fn put<H: Handler>(
        &self,
        handle: &Handle<H>,
        host: &str,
        path: &str,
        input: Input,
    ) -> Option<Result<u64, ConnError>> {
        let mut slot = self.0.lock().await;
        if let State::Closed = *slot {
            *slot = match open(handle, host).await {
                Ok(Some(session)) => State::Open(session),
                Ok(None) => State::Unavailable,
                Err(e) => return Some(Err(e)),
            };
        }
        let State::Open(session) = &*slot else {
            return None;
        };
        let result = write(session, path, input).await;
        if result.is_err() {
            // A failed session may be half-way through a request: start afresh next time.
            *slot = State::Closed;
        }
        Some(result.map_err(|e| {
            exec::failed_on(handle, host, format!("SFTP upload to {path} failed: {e}"))
        }))
    }
}

/// Opens an SFTP session on a new channel; `None` if the server refuses the subsystem.
async fn open<H: Handler>(
    handle: &Handle<H>,
    host: &str,
) -> Result<Option<SftpSession>, ConnError> {
    let mut channel = exec::open_session(handle, host).await?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| exec::broken(handle, host, &e))?;
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Success) => break,
            Some(ChannelMsg::Failure) => return Ok(None),
            Some(_) => {}
            None => return Ok(None),
        }
    }
    SftpSession::new(channel.into_stream())
        .await
        .map(Some)
        .map_err(|e| ConnError::Channel {
            host: host.to_owned(),
            message: format!("the SFTP session did not start: {e}"),
        })
}

async fn write(session: &SftpSession, path: &str, input: Input) -> std::io::Result<u64> {
    let mut file = session.create(path).await.map_err(std::io::Error::other)?;
    file.write_all(&input.head).await?;
    let mut written = input.head.len() as u64;
    if let Some(mut local) = input.file {
        written += tokio::io::copy(&mut local, &mut file).await?;
    }
    file.shutdown().await?;
    Ok(written)
}
