//! TLS: with a certificate configured, SSLRequest is accepted and the whole session runs
//! over rustls, streamed results included. The test certificate comes from the `openssl` command; without it the
//! test says so and returns (set HELIOS_REQUIRE_OPENSSL=1 to make that a failure).

mod common;

use std::process::Command;
use std::sync::Arc;

use common::raw::{cstr, message, startup_packet};
use common::start;
use helios_server::nano::NanoFactory;
use helios_server::ServerConfig;
use heliosdb_nano::Database;
use pgwire::tokio::tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use pgwire::tokio::tokio_rustls::rustls::{ClientConfig, RootCertStore};
use pgwire::tokio::tokio_rustls::TlsConnector;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn read_msg<S: AsyncRead + Unpin>(s: &mut S) -> (u8, Vec<u8>) {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).await.expect("message header");
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0; len - 4];
    s.read_exact(&mut body).await.expect("message body");
    (head[0], body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_run_over_tls() {
    let dir = std::env::temp_dir().join(format!("helios-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("HELIOS_REQUIRE_OPENSSL").is_err(), "openssl is required");
        println!("skipping TLS test: the openssl command is not available");
        return;
    }
    let config = ServerConfig {
        tls_cert: Some(cert.clone()),
        tls_key: Some(key),
        ..ServerConfig::default()
    };
    let db = Database::open_in_memory().expect("open in memory");
    let server = start(config, Arc::new(NanoFactory::new(db))).await;

    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut req = 8u32.to_be_bytes().to_vec();
    req.extend(80_877_103u32.to_be_bytes());
    tcp.write_all(&req).await.unwrap();
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"S");

    let pem = std::fs::read(&cert).unwrap();
    let der: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut pem.as_slice()).collect::<Result<_, _>>().unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(der[0].clone()).unwrap();
    let client = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let mut tls = TlsConnector::from(Arc::new(client))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake with the server's certificate");

    tls.write_all(&startup_packet("secure")).await.unwrap();
    loop {
        let (tag, _) = read_msg(&mut tls).await;
        assert_ne!(tag, b'E');
        if tag == b'Z' {
            break;
        }
    }
    tls.write_all(&message(b'Q', &cstr("select 8"))).await.unwrap();
    let mut saw_row = false;
    loop {
        let (tag, body) = read_msg(&mut tls).await;
        if tag == b'D' {
            assert_eq!(&body[6..], b"8");
            saw_row = true;
        }
        if tag == b'Z' {
            break;
        }
    }
    assert!(saw_row);

    // A result far past the server's flush threshold goes out through TLS while the
    // statement runs (records written on the statement's thread).
    let big = "SELECT g, repeat('x', 1000) FROM generate_series(1, 2000) g";
    tls.write_all(&message(b'Q', &cstr(big))).await.unwrap();
    let mut rows = 0;
    loop {
        let (tag, body) = read_msg(&mut tls).await;
        assert_ne!(tag, b'E');
        if tag == b'D' {
            rows += 1;
            assert_eq!(body.len(), 2 + 4 + rows.to_string().len() + 4 + 1000);
        }
        if tag == b'Z' {
            break;
        }
    }
    assert_eq!(rows, 2000);
    let _ = std::fs::remove_dir_all(&dir);
}
