//! The TCP connection under SSH: resolve, connect, and acknowledge promptly.
//!
//! OpenSSH keeps Nagle's algorithm on until a session starts, so its reply to our first
//! channel open can sit behind an unacknowledged packet (it announces its host keys right
//! after authentication) until Linux's delayed ACK fires, 40 ms later. Asking for a quick
//! ACK after each read removes that stall from every connection's first command.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::connection::{ConnError, ConnectSpec};

/// `address:port`, as messages name the place connected to.
pub(crate) fn target(spec: &ConnectSpec) -> String {
    format!("{}:{}", spec.address, spec.port)
}

/// Resolves the spec's address and connects to the first address that answers.
pub(crate) async fn open_tcp(spec: &ConnectSpec) -> Result<QuickAck, ConnError> {
    let addrs = tokio::net::lookup_host((spec.address.as_str(), spec.port))
        .await
        .map_err(|e| ConnError::Resolve {
            host: spec.name.clone(),
            address: spec.address.clone(),
            source: Arc::new(e),
        })?;
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // Commands are small request/response exchanges: Nagle would only add delay.
                let _ = stream.set_nodelay(true);
                give_up_unacknowledged(&stream, spec);
                return Ok(QuickAck(stream));
            }
            Err(e) => last_error = e,
        }
    }
    Err(ConnError::Connect {
        host: spec.name.clone(),
        address: target(spec),
        source: Arc::new(last_error),
    })
}

/// Data the server has not acknowledged for as long as the keepalive would wait (interval ×
/// (count + 1)) ends the connection (`TCP_USER_TIMEOUT`). The SSH keepalive alone cannot see
/// a network partition during an upload: the session waits on a full send buffer and sends
/// no probe; the kernel then fails that write, and the host is reported unreachable.
fn give_up_unacknowledged(stream: &TcpStream, spec: &ConnectSpec) {
    let interval = spec.keepalive_interval.unwrap_or(super::KEEPALIVE_INTERVAL);
    if interval.is_zero() {
        return; // keepalive off: wait as long as the kernel does
    }
    let count = spec.keepalive_max.unwrap_or(super::KEEPALIVE_MAX) as u32 + 1;
    let limit = interval.saturating_mul(count).as_millis();
    let _ = rustix::net::sockopt::set_tcp_user_timeout(
        stream,
        u32::try_from(limit).unwrap_or(u32::MAX),
    );
}

/// SSH over a `ProxyCommand`: the command runs under `sh -c` with its stdin and stdout as
/// the connection (its stderr is ferry's, as OpenSSH leaves it); killed when dropped.
pub(crate) fn spawn_proxy(
    spec: &ConnectSpec,
    command: &str,
) -> Result<(tokio::process::Child, ProxyStream), ConnError> {
    let failed = |e: io::Error| ConnError::Connect {
        host: spec.name.clone(),
        address: format!("ProxyCommand {command}"),
        source: Arc::new(e),
    };
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(failed)?;
    let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
        return Err(failed(io::Error::other("no pipes to the command")));
    };
    Ok((child, tokio::io::join(stdout, stdin)))
}

/// The ProxyCommand's stdout (what the server says) and stdin (what we say).
pub(crate) type ProxyStream =
    tokio::io::Join<tokio::process::ChildStdout, tokio::process::ChildStdin>;

/// A TCP stream that acknowledges received data at once.
pub(crate) struct QuickAck(TcpStream);

impl AsyncRead for QuickAck {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.0).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            quick_ack(&this.0);
        }
        poll
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn quick_ack(stream: &TcpStream) {
    // Linux clears the flag as it goes, so it is set again after every read.
    let _ = stream.set_quickack(true);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quick_ack(_stream: &TcpStream) {}

impl AsyncWrite for QuickAck {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
