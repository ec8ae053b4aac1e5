//! One client connection's conversation: read a message, let pgwire's `process_message`
//! dispatch it to our handlers, report its error if it failed; and, between messages,
//! push LISTEN notifications to an idle client as soon as they arrive, as PostgreSQL does.
//!
//! ```text
//!   startup deadline ─┐
//!   client message ───┼─▶ next() ─▶ Message ─▶ process_message ─▶ (error ─▶ process_error)
//!   notification ─────┘           └▶ Notify ──▶ NotificationResponse*, flush
//! ```
//!
//! The session calls a waker when a notification reaches it (from the committing
//! session's thread). The conversation listens for that waker only while the client is
//! ready for a query and outside a transaction block: PostgreSQL holds notifications until
//! the listener's transaction ends, and those that arrive while a command runs go out when
//! it ends (`simple.rs`, `extended.rs`). The conversation ends when the client sends
//! Terminate or hangs up, after a fatal error, after a cancel request (which comes on a
//! connection of its own), or when startup takes longer than [`STARTUP_TIMEOUT`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, PgWireConnectionState};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::PgWireFrontendMessage;
use pgwire::tokio::server::{process_error, process_message, MaybeTls, PgWireMessageServerCodec};
use tokio::sync::Notify;
use tokio::time::{sleep, Duration, Sleep};
use tokio_util::codec::{Framed, FramedParts};

use crate::conn::conn_state;
use crate::extended::Prepared;
use crate::output::SharedSocket;
use crate::server::Handlers;

/// How long a client may take to finish startup and authentication.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A client's framed socket, plain, TLS or Unix-domain, shared with the output of the
/// statements that stream their results ([`crate::output`]).
type ClientSocket = Framed<SharedSocket, PgWireMessageServerCodec<Prepared>>;

/// The framed socket over a [`SharedSocket`], keeping what was read or queued already.
fn share(
    socket: Framed<MaybeTls, PgWireMessageServerCodec<Prepared>>,
) -> (ClientSocket, SharedSocket) {
    let parts = socket.into_parts();
    let shared = SharedSocket::new(parts.io);
    let mut new_parts = FramedParts::new(shared.clone(), parts.codec);
    new_parts.read_buf = parts.read_buf;
    new_parts.write_buf = parts.write_buf;
    (Framed::from_parts(new_parts), shared)
}

/// What woke the conversation up.
enum Event {
    Message(PgWireFrontendMessage),
    Notified,
    Ended,
}

/// Serves a TCP client (TLS negotiated first, as the client asks).
pub async fn serve_tcp(
    tcp: tokio::net::TcpStream,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    handlers: Arc<Handlers>,
) -> io::Result<()> {
    let deadline = sleep(STARTUP_TIMEOUT);
    tokio::pin!(deadline);
    let negotiated = tokio::select! {
        _ = &mut deadline => return Ok(()),
        s = pgwire::tokio::server::negotiate_tls(tcp, tls) => s?,
    };
    match negotiated {
        Some(socket) => {
            let (socket, shared) = share(socket);
            Conversation::new(socket, shared, handlers).run(deadline).await
        }
        None => Ok(()),
    }
}

/// Serves a client on a Unix-domain socket.
#[cfg(unix)]
pub async fn serve_unix(unix: tokio::net::UnixStream, handlers: Arc<Handlers>) -> io::Result<()> {
    use pgwire::api::DefaultClient;
    let deadline = sleep(STARTUP_TIMEOUT);
    tokio::pin!(deadline);
    // PostgreSQL reports no address for a Unix-socket client either.
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let codec = PgWireMessageServerCodec::new(DefaultClient::new(peer, false));
    let shared = SharedSocket::new(MaybeTls::Unix(unix));
    let mut socket = Framed::new(shared.clone(), codec);
    socket.set_state(PgWireConnectionState::AwaitingStartup);
    Conversation::new(socket, shared, handlers).run(deadline).await
}

/// The state of one connection's conversation.
struct Conversation {
    socket: ClientSocket,
    handlers: Arc<Handlers>,
    /// Signalled by the session when a notification is queued for this client.
    notified: Arc<Notify>,
    /// The session knows `notified` and the connection state knows `shared` (they
    /// exist once startup made them).
    waker_installed: bool,
    /// The socket under `socket`, for results streamed while a statement runs.
    shared: SharedSocket,
}

impl Conversation {
    fn new(socket: ClientSocket, shared: SharedSocket, handlers: Arc<Handlers>) -> Conversation {
        Conversation {
            socket,
            handlers,
            notified: Arc::new(Notify::new()),
            waker_installed: false,
            shared,
        }
    }

    async fn run(mut self, mut deadline: Pin<&mut Sleep>) -> io::Result<()> {
        loop {
            self.install_waker();
            match self.next_event(deadline.as_mut()).await {
                Event::Ended => return Ok(()),
                Event::Notified => self.send_notifications().await?,
                Event::Message(message) => {
                    if !self.handle(message).await? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Still in startup or authentication (the deadline applies).
    fn starting(&self) -> bool {
        matches!(
            self.socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        )
    }

    /// Ready for a query outside a transaction block: notifications may go out now.
    fn idle(&self) -> bool {
        matches!(self.socket.state(), PgWireConnectionState::ReadyForQuery)
            && matches!(self.socket.transaction_status(), TransactionStatus::Idle)
    }

    /// Hands the session our waker and the connection state our socket, once they
    /// exist.
    fn install_waker(&mut self) {
        if self.waker_installed || self.starting() {
            return;
        }
        if let Ok(conn) = conn_state(&self.socket) {
            let notified = Arc::clone(&self.notified);
            conn.set_notification_waker(Arc::new(move || notified.notify_one()));
            conn.set_socket(self.shared.clone());
            self.waker_installed = true;
        }
    }

    async fn next_event(&mut self, deadline: Pin<&mut Sleep>) -> Event {
        let starting = self.starting();
        let listening = self.waker_installed && self.idle();
        let notified = Arc::clone(&self.notified);
        tokio::select! {
            _ = deadline, if starting => Event::Ended,
            () = notified.notified(), if listening => Event::Notified,
            message = self.socket.next() => match message {
                Some(Ok(m)) => Event::Message(m),
                // A hang-up or bytes that are no message: the connection is over.
                Some(Err(_)) | None => Event::Ended,
            },
        }
    }

    async fn send_notifications(&mut self) -> io::Result<()> {
        let Ok(conn) = conn_state(&self.socket) else { return Ok(()) };
        for m in conn.notification_messages() {
            self.socket.feed(m).await?;
        }
        self.socket.flush().await
    }

    /// Handles one message; `false` when the conversation is over.
    async fn handle(&mut self, message: PgWireFrontendMessage) -> io::Result<bool> {
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            // Some clients (asyncpg) wait for the server to close after Terminate.
            return Ok(false);
        }
        // After an error in the extended protocol (or in COPY started by it) the client
        // is skipped ahead to its Sync.
        let skip_to_sync = match self.socket.state() {
            PgWireConnectionState::CopyInProgress(extended) => extended,
            _ => message.is_extended_query(),
        };
        let cancel_request = matches!(message, PgWireFrontendMessage::CancelRequest(_));
        let h = &self.handlers;
        let handled = process_message(
            message,
            &mut self.socket,
            Arc::clone(&h.startup),
            Arc::clone(&h.simple),
            Arc::clone(&h.extended),
            Arc::clone(&h.copy),
            Arc::clone(&h.cancel),
        )
        .await;
        if let Err(e) = handled {
            let fatal = e.is_fatal();
            process_error(&mut self.socket, e, skip_to_sync).await?;
            if fatal {
                return Ok(false);
            }
        }
        // A cancel request's connection carries nothing else.
        Ok(!cancel_request)
    }
}
