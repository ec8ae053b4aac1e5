//! Streaming a statement's result to the client while the statement runs.
//!
//! Statements run synchronously on the connection's own thread (see [`crate::server`]),
//! inside the async handler that awaits them; the engine hands their rows to a sink
//! one at a time. The sink turns them into protocol messages and keeps them in an
//! [`Output`]:
//!
//! ```text
//!   engine row ─▶ sink ─▶ DataRow / CopyData ─▶ Output.pending (≤ FLUSH_BYTES)
//!                                                  │ past FLUSH_BYTES
//!                                                  ▼
//!                              encoded, written to the socket right away (blocking)
//!   statement ends ─▶ what is pending goes back to the handler, which sends it
//!                     through the framed connection with CommandComplete / ErrorResponse
//! ```
//!
//! So a result of any size needs about [`FLUSH_BYTES`] of server memory, and the client
//! has the first rows while the statement still runs, as with PostgreSQL. A result
//! smaller than that leaves in one write together with its CommandComplete and
//! ReadyForQuery, as before.
//!
//! The socket is shared between the framed conversation ([`SharedSocket`] is its I/O)
//! and the output: the handler flushes the framed writer before the statement starts,
//! and the conversation does not touch the socket while the statement runs, so bytes
//! keep their order. Writing while the statement runs blocks the connection's thread
//! until the client takes the data (a client that stops reading stalls only its own
//! statement, as in PostgreSQL); the wait wakes up every [`WAIT_SLICE`] to see whether
//! the statement was cancelled (a cancel request, server shutdown), which fails it with
//! 57014.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use helios_common::{Error, Result, SqlState};
use parking_lot::Mutex;
use pgwire::messages::PgWireBackendMessage;
use pgwire::tokio::server::MaybeTls;
use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::session::CancelToken;

/// Pending output past which it is written to the socket while the statement runs.
pub const FLUSH_BYTES: usize = 64 * 1024;

/// How long a blocked write waits before it checks for cancellation again.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A client socket (plain, TLS or Unix-domain) shared by the framed conversation and
/// the output of the statement running on it.
#[derive(Clone)]
pub struct SharedSocket(Arc<Mutex<MaybeTls>>);

impl std::fmt::Debug for SharedSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSocket").finish_non_exhaustive()
    }
}

impl SharedSocket {
    /// Shares `socket`.
    pub fn new(socket: MaybeTls) -> SharedSocket {
        SharedSocket(Arc::new(Mutex::new(socket)))
    }

    /// Writes all of `bytes`, waiting for the client to take them; gives up when
    /// `cancelled` says so. Call only while nothing else writes to the socket (the framed
    /// writer flushed and idle).
    ///
    /// Giving up before any of `bytes` left is a [`CancelledWrite`] error: the stream of
    /// messages is intact and the statement's error may follow. Giving up in the middle
    /// of them (the client stopped reading halfway, or TLS, whose records are committed
    /// once encrypted) would leave a message cut short: the socket is shut down and the
    /// error is `BrokenPipe`, so the connection ends instead.
    pub fn write_blocking(&self, bytes: &[u8], cancelled: &dyn Fn() -> bool) -> io::Result<()> {
        let mut socket = self.0.lock();
        match &mut *socket {
            MaybeTls::Plain(tcp) => {
                Blocking::run(SockRef::from(&*tcp), cancelled, false, |w| w.write_all(bytes))
            }
            #[cfg(unix)]
            MaybeTls::Unix(unix) => {
                Blocking::run(SockRef::from(&*unix), cancelled, false, |w| w.write_all(bytes))
            }
            MaybeTls::Tls(tls) => {
                let (tcp, session) = tls.get_mut();
                Blocking::run(SockRef::from(&*tcp), cancelled, true, |w| {
                    let mut rest = bytes;
                    loop {
                        // rustls takes plaintext up to its buffer limit; the records
                        // go out before it takes more.
                        while session.wants_write() {
                            session.write_tls(w)?;
                        }
                        if rest.is_empty() {
                            return Ok(());
                        }
                        let n = session.writer().write(rest)?;
                        rest = &rest[n..];
                    }
                })
            }
            _ => Err(io::Error::new(io::ErrorKind::Unsupported, "unknown socket kind")),
        }
    }
}

impl AsyncRead for SharedSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.lock()).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.lock()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.lock()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.lock()).poll_shutdown(cx)
    }
}

/// The error of a write given up on cancellation before any of its data left.
#[derive(Debug)]
struct CancelledWrite;

impl std::fmt::Display for CancelledWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for CancelledWrite {}

/// A non-blocking socket switched to blocking writes with a timeout for the span of one
/// [`Blocking::run`], so that a waiting write can notice cancellation.
struct Blocking<'a> {
    socket: SockRef<'a>,
    cancelled: &'a dyn Fn() -> bool,
    /// Part of the data is on its way: stopping now would cut a message short.
    committed: bool,
}

impl<'a> Blocking<'a> {
    fn run(
        socket: SockRef<'a>,
        cancelled: &'a dyn Fn() -> bool,
        committed: bool,
        f: impl FnOnce(&mut Blocking<'a>) -> io::Result<()>,
    ) -> io::Result<()> {
        socket.set_write_timeout(Some(WAIT_SLICE))?;
        socket.set_nonblocking(false)?;
        let mut w = Blocking { socket, cancelled, committed };
        let written = f(&mut w);
        // The async side needs the socket non-blocking again, whatever happened.
        let restored = w.socket.set_nonblocking(true);
        written.and(restored)
    }
}

impl Write for Blocking<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match (&*self.socket).write(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    if !(self.cancelled)() {
                        continue;
                    }
                    if self.committed {
                        // The error would follow half a message: end the connection.
                        let _ = self.socket.shutdown(std::net::Shutdown::Both);
                        return Err(io::Error::new(
                            io::ErrorKind::BrokenPipe,
                            "cancelled in the middle of a message",
                        ));
                    }
                    // Not `Interrupted`: `write_all` would try again.
                    return Err(io::Error::other(CancelledWrite));
                }
                Ok(n) => {
                    self.committed |= n > 0;
                    return Ok(n);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where a connection's statements stream their output: the socket, and the token that
/// tells a blocked write to give up.
#[derive(Clone)]
pub struct StreamTarget {
    /// The client's socket.
    pub socket: SharedSocket,
    /// The session's cancel token.
    pub cancel: Arc<dyn CancelToken>,
}

impl std::fmt::Debug for StreamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamTarget").field("socket", &self.socket).finish_non_exhaustive()
    }
}

/// The messages of the running statement on their way to the client: kept while they
/// are few, written out a batch at a time once they pass [`FLUSH_BYTES`].
pub struct Output {
    pending: Vec<PgWireBackendMessage>,
    pending_bytes: usize,
    target: Option<StreamTarget>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("pending", &self.pending.len())
            .field("pending_bytes", &self.pending_bytes)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// Output to `target` (`None`: everything stays pending until the statement ends).
    pub fn new(target: Option<StreamTarget>) -> Output {
        Output { pending: Vec::new(), pending_bytes: 0, target }
    }

    /// Queues a message; writes the queue out when it has grown past [`FLUSH_BYTES`].
    pub fn push(&mut self, message: PgWireBackendMessage) -> Result<()> {
        self.pending_bytes += approximate_size(&message);
        self.pending.push(message);
        if self.pending_bytes >= FLUSH_BYTES && self.target.is_some() {
            self.flush()?;
        }
        Ok(())
    }

    /// The messages not yet written, for the handler to send.
    pub fn into_pending(self) -> Vec<PgWireBackendMessage> {
        self.pending
    }

    fn flush(&mut self) -> Result<()> {
        let Some(StreamTarget { socket, cancel }) = &self.target else { return Ok(()) };
        let mut buf = BytesMut::with_capacity(self.pending_bytes + 64);
        for m in self.pending.drain(..) {
            m.encode(&mut buf).map_err(|e| Error::internal(format!("encoding a message: {e}")))?;
        }
        self.pending_bytes = 0;
        socket.write_blocking(&buf, &|| cancel.is_cancelled()).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<CancelledWrite>()) {
                Error::new(SqlState::QUERY_CANCELED, "canceling statement due to user request")
            } else {
                Error::new(
                    SqlState::from_code("08006"),
                    format!("could not send data to client: {e}"),
                )
            }
        })
    }
}

/// About how many bytes `message` takes on the wire (exact for rows and COPY data).
fn approximate_size(message: &PgWireBackendMessage) -> usize {
    match message {
        PgWireBackendMessage::DataRow(row) => 7 + row.data.len(),
        PgWireBackendMessage::CopyData(data) => 5 + data.data.len(),
        PgWireBackendMessage::RowDescription(d) => 7 + 32 * d.fields.len(),
        _ => 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgwire::messages::data::DataRow;

    #[test]
    fn small_output_stays_pending() {
        let mut out = Output::new(None);
        let row = DataRow::new(BytesMut::from(&b"\0\0\0\x01x"[..]), 1);
        out.push(PgWireBackendMessage::DataRow(row)).unwrap();
        assert_eq!(out.into_pending().len(), 1);
    }

    #[test]
    fn sizes_count_row_bytes() {
        let row = DataRow::new(BytesMut::from(&[0u8; 100][..]), 1);
        assert_eq!(approximate_size(&PgWireBackendMessage::DataRow(row)), 107);
    }
}
