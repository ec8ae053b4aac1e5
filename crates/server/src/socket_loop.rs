//! The message loop of one client connection: pgwire's own loop (startup timeout,
//! Terminate, cancel requests, errors), plus NotificationResponse messages sent as soon
//! as a LISTEN notification arrives while the client is idle, as PostgreSQL does.
//!
//! The session calls a waker when a notification reaches it (from the committing
//! session's thread); the loop, waiting for the client's next message, wakes and sends
//! what is queued when the connection is ready for a query and not inside a
//! transaction block (PostgreSQL delays delivery to the end of the listener's
//! transaction). Notifications that arrive while a command runs go out when it ends
//! (`simple.rs`, `extended.rs`).

use std::io;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireConnectionState, PgWireServerHandlers};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::PgWireFrontendMessage;
use pgwire::tokio::server::{process_error, process_message};
use tokio::sync::Notify;
use tokio::time::{sleep, Duration};

use crate::conn::conn_state;

/// How long a client may take to finish startup (pgwire's limit).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

macro_rules! message_loop {
    ($socket:expr, $startup_timeout:expr, $handlers:expr) => {{
        let startup_handler = $handlers.startup_handler();
        let simple_query_handler = $handlers.simple_query_handler();
        let extended_query_handler = $handlers.extended_query_handler();
        let copy_handler = $handlers.copy_handler();
        let cancel_handler = $handlers.cancel_handler();
        let error_handler = $handlers.error_handler();
        let socket = &mut $socket;
        let wake = Arc::new(Notify::new());
        let mut waker_set = false;
        loop {
            let starting = matches!(
                socket.state(),
                PgWireConnectionState::AwaitingStartup
                    | PgWireConnectionState::AuthenticationInProgress
            );
            if !starting && !waker_set {
                if let Ok(conn) = conn_state(socket) {
                    let w = wake.clone();
                    conn.set_notification_waker(Arc::new(move || w.notify_one()));
                    waker_set = true;
                }
            }
            let idle = matches!(socket.state(), PgWireConnectionState::ReadyForQuery)
                && matches!(socket.transaction_status(), TransactionStatus::Idle);
            let msg = tokio::select! {
                _ = &mut $startup_timeout, if starting => None,
                () = wake.notified(), if idle && waker_set => {
                    if let Ok(conn) = conn_state(socket) {
                        for m in conn.notification_messages() {
                            socket.feed(m).await?;
                        }
                        socket.flush().await?;
                    }
                    continue;
                }
                msg = socket.next() => msg,
            };
            let Some(Ok(msg)) = msg else { break };
            if matches!(msg, PgWireFrontendMessage::Terminate(_)) {
                break;
            }
            let is_extended_query = match socket.state() {
                PgWireConnectionState::CopyInProgress(extended) => extended,
                _ => msg.is_extended_query(),
            };
            let is_cancel_request = matches!(msg, PgWireFrontendMessage::CancelRequest(_));
            if let Err(mut e) = process_message(
                msg,
                socket,
                startup_handler.clone(),
                simple_query_handler.clone(),
                extended_query_handler.clone(),
                copy_handler.clone(),
                cancel_handler.clone(),
            )
            .await
            {
                error_handler.on_error(socket, &mut e);
                let is_fatal = e.is_fatal();
                process_error(socket, e, is_extended_query).await?;
                if is_fatal {
                    break;
                }
            }
            if is_cancel_request {
                break;
            }
        }
    }};
}

/// Serves a TCP client (TLS negotiated as pgwire does).
pub async fn serve_tcp<H: PgWireServerHandlers>(
    tcp: tokio::net::TcpStream,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    handlers: H,
) -> io::Result<()> {
    let startup_timeout = sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_timeout);
    let socket = tokio::select! {
        _ = &mut startup_timeout => return Ok(()),
        s = pgwire::tokio::server::negotiate_tls(tcp, tls) => s?,
    };
    let Some(mut socket) = socket else { return Ok(()) };
    message_loop!(socket, startup_timeout, handlers);
    Ok(())
}

/// Serves a client on a Unix-domain socket.
#[cfg(unix)]
pub async fn serve_unix<H: PgWireServerHandlers>(
    unix: tokio::net::UnixStream,
    handlers: H,
) -> io::Result<()> {
    use pgwire::api::DefaultClient;
    use pgwire::tokio::server::{MaybeTls, PgWireMessageServerCodec};
    let startup_timeout = sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_timeout);
    // PostgreSQL reports no address for a Unix-socket client either.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut socket = tokio_util::codec::Framed::new(
        MaybeTls::Unix(unix),
        PgWireMessageServerCodec::new(DefaultClient::new(addr, false)),
    );
    socket.set_state(PgWireConnectionState::AwaitingStartup);
    message_loop!(socket, startup_timeout, handlers);
    Ok(())
}
