//! Server configuration and its validation.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::error::ServerError;

/// How clients prove who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// No password; allowed only on loopback addresses.
    Trust,
    /// Cleartext password (use with TLS).
    Password,
    /// PostgreSQL's salted MD5 challenge.
    Md5,
    /// SCRAM-SHA-256 (RFC 7677), PostgreSQL's default.
    ScramSha256,
}

impl std::str::FromStr for AuthMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "trust" => Ok(AuthMethod::Trust),
            "password" | "cleartext" => Ok(AuthMethod::Password),
            "md5" => Ok(AuthMethod::Md5),
            "scram-sha-256" | "scram" => Ok(AuthMethod::ScramSha256),
            other => Err(format!(
                "unknown authentication method \"{other}\" (trust, password, md5, scram-sha-256)"
            )),
        }
    }
}

/// Everything `heliosdb-nano start` configures about the listener.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: IpAddr,
    /// TCP port; 0 picks a free one (tests).
    pub port: u16,
    /// Authentication method.
    pub auth: AuthMethod,
    /// The password every user must give (unless `auth` is `Trust`).
    pub password: Option<String>,
    /// Connections served at once; more are refused with `53300`.
    pub max_connections: usize,
    /// PEM certificate chain for TLS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    pub tls_key: Option<PathBuf>,
    /// Directory for the Unix socket `.s.PGSQL.<port>`.
    pub socket_dir: Option<PathBuf>,
    /// Stack size of each connection's thread, where its statements run: deeply nested
    /// SQL recurses through the binder and executor, and the engine's own depth limit
    /// (SQLSTATE 54001) assumes this much headroom rather than the 2 MiB default.
    pub connection_stack_bytes: usize,
}

/// The default [`ServerConfig::connection_stack_bytes`]: 32 MiB (address space; pages
/// are touched only as deep statements need them).
pub const CONNECTION_STACK_BYTES: usize = 32 * 1024 * 1024;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: IpAddr::from([127, 0, 0, 1]),
            port: 5432,
            auth: AuthMethod::Trust,
            password: None,
            max_connections: 100,
            tls_cert: None,
            tls_key: None,
            socket_dir: None,
            connection_stack_bytes: CONNECTION_STACK_BYTES,
        }
    }
}

impl ServerConfig {
    /// Checks the combination of settings.
    pub fn validate(&self) -> Result<(), ServerError> {
        if self.auth == AuthMethod::Trust && !self.listen.is_loopback() {
            return Err(ServerError::Config(format!(
                "refusing to listen on non-loopback address {} with trust authentication; use --auth scram-sha-256 with a password",
                self.listen
            )));
        }
        if self.auth != AuthMethod::Trust && self.password.as_deref().is_none_or(str::is_empty) {
            return Err(ServerError::Config(
                "a password is required with password authentication".into(),
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ServerError::Config("--tls-cert and --tls-key go together".into()));
        }
        if self.max_connections == 0 {
            return Err(ServerError::Config("max connections must be at least 1".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_only_on_loopback() {
        let mut c = ServerConfig::default();
        assert!(c.validate().is_ok());
        c.listen = IpAddr::from([0, 0, 0, 0]);
        assert!(c.validate().is_err());
        c.auth = AuthMethod::ScramSha256;
        assert!(c.validate().is_err(), "password missing");
        c.password = Some("pw".into());
        assert!(c.validate().is_ok());
        assert_eq!("scram-sha-256".parse::<AuthMethod>(), Ok(AuthMethod::ScramSha256));
        assert!("kerberos".parse::<AuthMethod>().is_err());
    }
}
