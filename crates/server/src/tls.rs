//! TLS for client connections (rustls with the ring provider).
//!
//! With a certificate and key configured, an `SSLRequest` is answered `S` and the
//! connection upgrades; without them it is answered `N` and the client may go on in
//! plain text (or give up, with `sslmode=require`).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use pgwire::tokio::tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use pgwire::tokio::tokio_rustls::rustls::ServerConfig;
use pgwire::tokio::TlsAcceptor;

use crate::error::ServerError;

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> ServerError {
    move |source| ServerError::Io { context, source }
}

/// Builds the TLS acceptor from PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ServerError> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(
        File::open(cert)
            .map_err(io_err(format!("could not open certificate file \"{}\"", cert.display())))?,
    ))
    .collect::<Result<_, _>>()
    .map_err(io_err(format!("could not read certificate file \"{}\"", cert.display())))?;
    if certs.is_empty() {
        return Err(ServerError::Config(format!("no certificate found in \"{}\"", cert.display())));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut BufReader::new(
        File::open(key)
            .map_err(io_err(format!("could not open private key file \"{}\"", key.display())))?,
    ))
    .map_err(io_err(format!("could not read private key file \"{}\"", key.display())))?
    .ok_or_else(|| ServerError::Config(format!("no private key found in \"{}\"", key.display())))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Config(format!("invalid TLS certificate or key: {e}")))?;
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
