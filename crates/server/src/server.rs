//! The listener: accepts TCP (and Unix-socket) connections and serves each on its own
//! task until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::copy::CopyHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{NoopHandler, PgWireServerHandlers};
use pgwire::tokio::TlsAcceptor;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};

use crate::auth;
use crate::cancel::{CancelRegistry, Canceller};
use crate::config::ServerConfig;
use crate::copy::CopyRunner;
use crate::error::ServerError;
use crate::extended::ExtendedQueries;
use crate::session::SessionFactory;
use crate::simple::SimpleQueries;
use crate::startup::Startup;

/// The handlers pgwire calls for every connection.
#[derive(Debug)]
pub struct Handlers {
    startup: Arc<Startup>,
    simple: Arc<SimpleQueries>,
    extended: Arc<ExtendedQueries>,
    copy: Arc<CopyRunner>,
    cancel: Arc<Canceller>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.simple)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.extended)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn copy_handler(&self) -> Arc<impl CopyHandler> {
        Arc::clone(&self.copy)
    }

    fn error_handler(&self) -> Arc<impl pgwire::api::ErrorHandler> {
        Arc::new(NoopHandler)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

/// A bound server, ready to serve.
pub struct Server {
    listener: TcpListener,
    #[cfg(unix)]
    unix: Option<(tokio::net::UnixListener, PathBuf)>,
    handlers: Arc<Handlers>,
    tls: Option<TlsAcceptor>,
    slots: Arc<Semaphore>,
    registry: Arc<CancelRegistry>,
    stack_bytes: usize,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

/// `FATAL 53300` as raw bytes, sent to connections over the limit.
fn too_many_clients() -> Vec<u8> {
    let mut body = Vec::new();
    for (code, text) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "53300"),
        (b'M', "sorry, too many clients already"),
    ] {
        body.push(code);
        body.extend_from_slice(text.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = vec![b'E'];
    let len = u32::try_from(body.len() + 4).unwrap_or(u32::MAX);
    msg.extend_from_slice(&len.to_be_bytes());
    msg.extend_from_slice(&body);
    msg
}

impl Server {
    /// Validates the configuration and binds the listeners.
    pub async fn bind(
        config: ServerConfig,
        factory: Arc<dyn SessionFactory>,
    ) -> Result<Server, ServerError> {
        config.validate()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
            _ => None,
        };
        let addr = SocketAddr::new(config.listen, config.port);
        let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Io {
            context: format!("could not listen on {addr}"),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| ServerError::Io { context: "local address".into(), source })?
            .port();
        #[cfg(unix)]
        let unix = match &config.socket_dir {
            Some(dir) => {
                let path = dir.join(format!(".s.PGSQL.{port}"));
                // A socket file left by a previous run would make bind fail.
                let _ = std::fs::remove_file(&path);
                let l =
                    tokio::net::UnixListener::bind(&path).map_err(|source| ServerError::Io {
                        context: format!("could not create Unix socket \"{}\"", path.display()),
                        source,
                    })?;
                Some((l, path))
            }
            None => None,
        };
        let registry = Arc::new(CancelRegistry::default());
        let auth = Arc::new(auth::Authenticator::new(
            config.auth,
            config.password.as_deref(),
            Arc::clone(&factory),
        ));
        let handlers = Arc::new(Handlers {
            startup: Arc::new(Startup::new(auth, factory, Arc::clone(&registry))),
            simple: Arc::new(SimpleQueries),
            extended: Arc::new(ExtendedQueries::default()),
            copy: Arc::new(CopyRunner),
            cancel: Arc::new(Canceller { registry: Arc::clone(&registry) }),
        });
        Ok(Server {
            listener,
            #[cfg(unix)]
            unix,
            handlers,
            tls,
            slots: Arc::new(Semaphore::new(config.max_connections)),
            registry,
            stack_bytes: config.connection_stack_bytes,
        })
    }

    /// The TCP address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves connections until `shutdown` completes; running statements are then
    /// cancelled and connections dropped (their open transactions roll back).
    ///
    /// Each connection is served on a thread of its own ([`serve_on_thread`]), where its
    /// statements run in place: no hand-off to a thread pool and back per statement.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        tokio::pin!(shutdown);
        let mut tasks = tokio::task::JoinSet::new();
        let (stop, stopped) = watch::channel(false);
        let stack = self.stack_bytes;
        #[cfg(unix)]
        let (unix, unix_path) = match self.unix {
            Some((l, p)) => (Some(l), Some(p)),
            None => (None, None),
        };
        loop {
            #[cfg(unix)]
            let unix_accept = async {
                match &unix {
                    Some(l) => l.accept().await.map(|(s, _)| s),
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let unix_accept = std::future::pending::<std::io::Result<()>>();
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let Ok((mut socket, _)) = accepted else { continue };
                    let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
                        tasks.spawn(async move {
                            let _ = socket.write_all(&too_many_clients()).await;
                            let _ = socket.shutdown().await;
                        });
                        continue;
                    };
                    let Ok(socket) = socket.into_std() else { continue };
                    let conn = Connection {
                        socket: Socket::Tcp(socket, self.tls.clone()),
                        handlers: Arc::clone(&self.handlers),
                        stopped: stopped.clone(),
                        _permit: permit,
                    };
                    if let Ok(done) = serve_on_thread(conn, stack) {
                        tasks.spawn(async move {
                            let _ = done.await;
                        });
                    }
                }
                accepted = unix_accept => {
                    #[cfg(unix)]
                    {
                        let Ok(mut socket) = accepted else { continue };
                        let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
                            tasks.spawn(async move {
                                let _ = socket.write_all(&too_many_clients()).await;
                            });
                            continue;
                        };
                        let Ok(socket) = socket.into_std() else { continue };
                        let conn = Connection {
                            socket: Socket::Unix(socket),
                            handlers: Arc::clone(&self.handlers),
                            stopped: stopped.clone(),
                            _permit: permit,
                        };
                        if let Ok(done) = serve_on_thread(conn, stack) {
                            tasks.spawn(async move {
                                let _ = done.await;
                            });
                        }
                    }
                    #[cfg(not(unix))]
                    let _ = accepted;
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        // Cancel running statements and tell every connection thread to drop its socket,
        // then wait for them to end.
        let _ = stop.send(true);
        self.registry.cancel_all();
        while tasks.join_next().await.is_some() {}
        #[cfg(unix)]
        if let Some(p) = unix_path {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }
}

/// An accepted client socket, taken off the accepting runtime.
enum Socket {
    Tcp(std::net::TcpStream, Option<TlsAcceptor>),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

/// What a connection thread needs.
struct Connection {
    socket: Socket,
    handlers: Arc<Handlers>,
    /// Becomes `true` when the server shuts down.
    stopped: watch::Receiver<bool>,
    /// The connection's slot under `max_connections`, freed when the thread ends.
    _permit: OwnedSemaphorePermit,
}

/// Serves `conn` on a new thread with a single-threaded runtime of its own, as
/// PostgreSQL serves each connection in a process of its own. The connection's
/// statements run right there ([`crate::conn::ConnState::run`]), so a statement costs
/// no thread switch beyond the socket's own wake-ups; a statement that blocks (a row
/// lock wait, a long scan) blocks only its own connection. The receiver completes
/// when the thread ends.
fn serve_on_thread(conn: Connection, stack_bytes: usize) -> std::io::Result<oneshot::Receiver<()>> {
    let (done, ended) = oneshot::channel();
    std::thread::Builder::new().name("helios-conn".into()).stack_size(stack_bytes).spawn(
        move || {
            // Without a runtime (no file descriptors left) the socket is dropped: the
            // client sees the connection closed, as when a backend cannot start.
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build()
            else {
                return;
            };
            crate::conn::mark_connection_thread();
            let Connection { socket, handlers, mut stopped, _permit } = conn;
            runtime.block_on(async move {
                let served = async move {
                    match socket {
                        Socket::Tcp(s, tls) => {
                            if let Ok(s) = tokio::net::TcpStream::from_std(s) {
                                let _ = pgwire::tokio::process_socket(s, tls, handlers).await;
                            }
                        }
                        #[cfg(unix)]
                        Socket::Unix(s) => {
                            if let Ok(s) = tokio::net::UnixStream::from_std(s) {
                                let _ = pgwire::tokio::process_socket_unix(s, handlers).await;
                            }
                        }
                    }
                };
                tokio::select! {
                    () = served => {}
                    _ = stopped.wait_for(|s| *s) => {}
                }
            });
            let _ = done.send(());
        },
    )?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    #[test]
    fn too_many_clients_is_a_wellformed_error_response() {
        let m = super::too_many_clients();
        assert_eq!(m[0], b'E');
        let len = u32::from_be_bytes([m[1], m[2], m[3], m[4]]) as usize;
        assert_eq!(len + 1, m.len());
        assert!(m.windows(5).any(|w| w == b"53300"));
    }
}
