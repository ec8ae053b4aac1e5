//! Authentication: trust, cleartext password, MD5 and SCRAM-SHA-256.
//!
//! pgwire runs the exchanges; this module supplies the secret each method needs from the
//! configured password (one password for every user in this first version).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::md5pass::{hash_md5_password, Md5PasswordAuth};
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::api::auth::sasl::scram::{gen_salted_password, ScramAuth, SCRAM_ITERATIONS};
use pgwire::api::auth::sasl::{SaslMechanismFactory, SaslMechanisms};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::api::ClientInfo;
use pgwire::error::PgWireResult;
use pgwire::messages::startup::PasswordMessageFamily;

use crate::config::AuthMethod;

/// Where the password checks get their secret.
pub struct PasswordSource {
    password: String,
    method: AuthMethod,
}

impl fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordSource").field("method", &self.method).finish_non_exhaustive()
    }
}

#[async_trait]
impl AuthSource for PasswordSource {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        Ok(match self.method {
            AuthMethod::Md5 => {
                let salt: [u8; 4] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    hash_md5_password(user, &self.password, &salt).into_bytes(),
                )
            }
            AuthMethod::ScramSha256 => {
                let salt: [u8; 16] = rand::random();
                Password::new(
                    Some(salt.to_vec()),
                    gen_salted_password(&self.password, &salt, SCRAM_ITERATIONS),
                )
            }
            AuthMethod::Password | AuthMethod::Trust => {
                Password::new(None, self.password.as_bytes().to_vec())
            }
        })
    }
}

/// Accepts every client without a password.
#[derive(Debug)]
struct Trust;

#[async_trait]
impl AuthMechanism for Trust {
    async fn begin(&mut self, _client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        Ok(AuthState::Ok { final_message: None, identity: None })
    }

    async fn next(
        &mut self,
        _client: &(dyn ClientInfo + Send + Sync),
        _message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        Ok(AuthState::Ok { final_message: None, identity: None })
    }
}

impl AuthMechanismFactory for Trust {
    fn create(&self) -> Box<dyn AuthMechanism> {
        Box::new(Trust)
    }
}

/// The mechanism factory for a method and password.
pub fn mechanism(method: AuthMethod, password: Option<&str>) -> Arc<dyn AuthMechanismFactory> {
    let source =
        Arc::new(PasswordSource { password: password.unwrap_or_default().to_owned(), method });
    match method {
        AuthMethod::Trust => Arc::new(Trust),
        AuthMethod::Password => Arc::new(CleartextPasswordAuth::new(source)),
        AuthMethod::Md5 => Arc::new(Md5PasswordAuth::new(source)),
        AuthMethod::ScramSha256 => {
            let scram: Arc<dyn SaslMechanismFactory> = Arc::new(ScramAuth::new(source));
            Arc::new(SaslMechanisms::new(vec![scram]))
        }
    }
}
