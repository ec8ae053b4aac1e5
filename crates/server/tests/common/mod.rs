//! Shared helpers for the server's integration tests: an in-process server on a random
//! loopback port, and a raw protocol client for what drivers cannot send.

#![allow(dead_code)]

pub mod echo;
pub mod raw;

use std::net::SocketAddr;
use std::sync::Arc;

use helios_server::{Server, ServerConfig, SessionFactory};
use tokio::sync::oneshot;

/// A running in-process server; dropping it shuts the server down.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Starts a server with `config` (port forced to 0) over `factory`.
pub async fn start(mut config: ServerConfig, factory: Arc<dyn SessionFactory>) -> TestServer {
    config.port = 0;
    let server = Server::bind(config, factory).await.expect("bind");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    TestServer { addr, stop: Some(tx) }
}

/// A tokio-postgres client connected to `server` as `user` with `password`.
pub async fn connect_with(
    server: &TestServer,
    user: &str,
    password: Option<&str>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1").port(server.addr.port()).user(user).dbname("test");
    if let Some(p) = password {
        cfg.password(p);
    }
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// A trusted tokio-postgres client.
pub async fn connect(server: &TestServer) -> tokio_postgres::Client {
    connect_with(server, "tester", None).await.expect("connect")
}
