//! Notices raised by routines (`RAISE NOTICE`, `RAISE WARNING`) reach the client as
//! NoticeResponse messages, with their severity, code, detail and hint.

mod common;

use std::sync::Arc;

use futures::StreamExt;
use helios_server::nano::NanoFactory;
use helios_server::ServerConfig;
use heliosdb_nano::Database;
use tokio_postgres::AsyncMessage;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raised_notices_reach_the_client() {
    let db = Database::open_in_memory().expect("open in memory");
    let server = common::start(ServerConfig::default(), Arc::new(NanoFactory::new(db))).await;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1").port(server.addr.port()).user("tester").dbname("test");
    let (client, mut conn) = cfg.connect(tokio_postgres::NoTls).await.expect("connect");
    let (tx, rx) = std::sync::mpsc::channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let AsyncMessage::Notice(n) = m {
                let _ = tx.send(n);
            }
        }
    });
    client
        .batch_execute(
            "DO $$ BEGIN RAISE NOTICE 'hello %', 42; \
             RAISE WARNING 'careful' USING DETAIL = 'd', HINT = 'h'; END $$",
        )
        .await
        .expect("DO");
    // The notices arrive before the command completes.
    let first = rx.recv_timeout(std::time::Duration::from_secs(5)).expect("a notice");
    assert_eq!((first.severity(), first.message()), ("NOTICE", "hello 42"));
    assert_eq!(first.code().code(), "00000");
    let second = rx.recv_timeout(std::time::Duration::from_secs(5)).expect("a warning");
    assert_eq!((second.severity(), second.message()), ("WARNING", "careful"));
    assert_eq!((second.detail(), second.hint()), (Some("d"), Some("h")));
    assert_eq!(second.code().code(), "01000");
}
