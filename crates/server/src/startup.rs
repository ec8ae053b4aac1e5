//! Connection startup: protocol negotiation, authentication, session creation and the
//! `ParameterStatus` messages clients read (`server_version`, encodings, `DateStyle`...).
//!
//! ```text
//! StartupMessage ──▶ negotiate, save user/database/options and other settings
//!                ──▶ auth mechanism (trust: immediately done; else challenge ⇄ password)
//!                ──▶ open the database session, apply startup settings and
//!                    `-c name=value` options (an unknown `-c` setting is FATAL)
//!                ──▶ AuthenticationOk, ParameterStatus*, BackendKeyData, ReadyForQuery
//! ```

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::driver::AuthOutcome;
use pgwire::api::auth::{
    protocol_negotiation, save_startup_parameters_to_metadata, AuthDriver, ServerParameterProvider,
    StartupHandler,
};
use pgwire::api::{ClientInfo, METADATA_APPLICATION_NAME, METADATA_DATABASE, METADATA_USER};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use helios_common::SqlState;

use crate::auth::Authenticator;
use crate::cancel::CancelRegistry;
use crate::conn::ConnState;
use crate::error::fatal;
use crate::session::SessionFactory;

/// The version clients see; it must parse as a PostgreSQL version.
pub const SERVER_VERSION: &str = "15.0";

/// Metadata key where the session's time zone is kept for `ParameterStatus`.
const METADATA_TIMEZONE: &str = "helios.timezone";
/// Metadata key where the session's `is_superuser` is kept for `ParameterStatus`.
const METADATA_SUPERUSER: &str = "helios.is_superuser";

/// The `ParameterStatus` values sent after authentication.
#[derive(Debug, Default)]
pub struct Parameters;

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<HashMap<String, String>> {
        let meta = client.metadata();
        let mut p = HashMap::new();
        let mut put = |k: &str, v: &str| {
            p.insert(k.to_owned(), v.to_owned());
        };
        put("server_version", SERVER_VERSION);
        put("server_encoding", "UTF8");
        put("client_encoding", "UTF8");
        put("DateStyle", "ISO, MDY");
        put("IntervalStyle", "postgres");
        put("TimeZone", meta.get(METADATA_TIMEZONE).map_or("UTC", String::as_str));
        put("integer_datetimes", "on");
        put("standard_conforming_strings", "on");
        put("is_superuser", meta.get(METADATA_SUPERUSER).map_or("on", String::as_str));
        put("default_transaction_read_only", "off");
        put("in_hot_standby", "off");
        put("application_name", meta.get(METADATA_APPLICATION_NAME).map_or("", String::as_str));
        put("session_authorization", meta.get(METADATA_USER).map_or("", String::as_str));
        Some(p)
    }
}

/// Runs startup and authentication for every connection.
pub struct Startup {
    driver: AuthDriver<Parameters>,
    auth: Arc<Authenticator>,
    factory: Arc<dyn SessionFactory>,
    cancel: Arc<CancelRegistry>,
}

impl Debug for Startup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Startup").finish_non_exhaustive()
    }
}

impl Startup {
    /// A startup handler with the given authenticator, session factory and cancel registry.
    pub fn new(
        auth: Arc<Authenticator>,
        factory: Arc<dyn SessionFactory>,
        cancel: Arc<CancelRegistry>,
    ) -> Startup {
        Startup { driver: AuthDriver::new(Parameters), auth, factory, cancel }
    }

    async fn after_step<C>(&self, client: &mut C, outcome: AuthOutcome) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match outcome {
            AuthOutcome::InProgress => Ok(()),
            AuthOutcome::Authenticated { final_message, .. } => {
                self.open(client, final_message).await
            }
        }
    }

    async fn open<C>(
        &self,
        client: &mut C,
        final_message: Option<Authentication>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let meta = client.metadata();
        let user = meta.get(METADATA_USER).cloned().unwrap_or_default();
        let database = meta.get(METADATA_DATABASE).cloned().unwrap_or_else(|| user.clone());
        let options = parse_options(meta.get("options").map_or("", String::as_str))
            .map_err(|m| fatal(SqlState::PROTOCOL_VIOLATION, m))?;
        // Startup parameters other than these are settings, as in PostgreSQL (drivers
        // send application_name, client_encoding, DateStyle, TimeZone, extra_float_digits).
        let startup_settings: Vec<(String, String)> = meta
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "user" | "database" | "options" | "replication"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();

        let factory = Arc::clone(&self.factory);
        let opened = crate::conn::blocking(move || -> helios_common::Result<_> {
            let mut session = factory.open_session(&user, &database)?;
            for (name, value) in &startup_settings {
                // Lenient where PostgreSQL is strict: a driver's default parameters must
                // not stop it from connecting when the engine lacks one of them.
                let _ = session.set_session_default(name, value);
            }
            for (name, value) in &options {
                session.set_session_default(name, value)?;
            }
            let tz = session.setting("TimeZone").or_else(|| session.setting("timezone"));
            let superuser = session.setting("is_superuser");
            Ok((session, tz, superuser))
        })
        .await
        .map_err(|e| fatal(SqlState::INTERNAL_ERROR, format!("could not open session: {e}")))?;
        let (session, tz, superuser) = opened.map_err(|e| fatal(e.sqlstate(), e.message()))?;
        if let Some(tz) = tz {
            client.metadata_mut().insert(METADATA_TIMEZONE.to_owned(), tz);
        }
        if let Some(su) = superuser {
            client.metadata_mut().insert(METADATA_SUPERUSER.to_owned(), su);
        }
        let token = session.cancel_token();
        let conn = ConnState::new(session);
        if let Some(p) = Parameters.server_parameters(client) {
            for name in crate::conn::REPORTED_SETTINGS {
                if let Some(v) = p.get(name) {
                    conn.remember_reported(name, v);
                }
            }
        }
        // Settings the session holds but the startup parameters do not show yet.
        conn.changed_settings();
        client.session_extensions().insert(conn);

        self.driver.complete_authentication(client, final_message).await?;

        let (pid, secret) = client.pid_and_secret_key();
        let guard = self.cancel.register(pid, secret.to_bytes(), token);
        client.session_extensions().insert(guard);
        Ok(())
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                if client.metadata().get(METADATA_USER).is_none_or(String::is_empty) {
                    return Err(fatal(
                        SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                        "no PostgreSQL user name specified in startup packet",
                    ));
                }
                let user = client.metadata().get(METADATA_USER).cloned().unwrap_or_default();
                let mechanism = self.auth.mechanism_for(&user);
                let outcome = self.driver.begin_authentication(client, mechanism).await?;
                self.after_step(client, outcome).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let outcome = match self.driver.advance_authentication(client, message).await {
                    Ok(o) => o,
                    Err(PgWireError::InvalidPassword(_)) => {
                        // PostgreSQL's wording, with the user name from the startup packet.
                        let user =
                            client.metadata().get(METADATA_USER).cloned().unwrap_or_default();
                        return Err(fatal(
                            SqlState::INVALID_PASSWORD,
                            format!("password authentication failed for user \"{user}\""),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                self.after_step(client, outcome).await
            }
            _ => Err(fatal(SqlState::PROTOCOL_VIOLATION, "expected a startup or password message")),
        }
    }
}

/// Parses the startup `options` parameter: `-c name=value` and `--name=value` items,
/// separated by spaces (a backslash escapes the next character).
pub fn parse_options(options: &str) -> Result<Vec<(String, String)>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let setting = if w == "-c" {
            it.next().ok_or("missing setting after -c")?
        } else if let Some(rest) = w.strip_prefix("--").or_else(|| w.strip_prefix("-c")) {
            rest.to_owned()
        } else {
            return Err(format!("invalid command-line argument for server process: {w}"));
        };
        let (name, value) =
            setting.split_once('=').ok_or_else(|| format!("-c {setting} requires a value"))?;
        out.push((name.replace('-', "_"), value.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        assert_eq!(
            parse_options("-c search_path=a,b  --statement-timeout=5s -cTimeZone=UTC").unwrap(),
            vec![
                ("search_path".into(), "a,b".into()),
                ("statement_timeout".into(), "5s".into()),
                ("TimeZone".into(), "UTC".into())
            ]
        );
        assert_eq!(
            parse_options("-c application_name=a\\ b").unwrap(),
            vec![("application_name".into(), "a b".into())]
        );
        assert!(parse_options("-c").is_err());
        assert!(parse_options("bogus").is_err());
        assert!(parse_options("-c novalue").is_err());
        assert!(parse_options("").unwrap().is_empty());
    }
}
