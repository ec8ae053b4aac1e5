//! Authentication: trust, cleartext password, MD5 and SCRAM-SHA-256.
//!
//! pgwire runs the exchanges; this module picks the mechanism for each login and supplies
//! the secret it checks against:
//!
//! - a role with a password (`CREATE ROLE ... PASSWORD`) proves that password: its SCRAM
//!   verifier answers SCRAM without the server ever holding the password, its md5 hash
//!   answers the md5 challenge, either checks a cleartext password. As in PostgreSQL, a
//!   role whose password is a SCRAM verifier uses SCRAM even when the server asks for md5,
//!   and an md5 hash cannot answer SCRAM (the login fails);
//! - a role without a password, and a name that is no role (the bootstrap superuser),
//!   prove the server's own `--password` (PostgreSQL would refuse a role without a
//!   password; here whoever knows the server's password is its administrator anyway).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use heliosdb_nano::auth::{md5_challenge_answer, LoginSecret, StoredPassword};
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::md5pass::{hash_md5_password, Md5PasswordAuth};
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::api::auth::sasl::scram::{
    gen_salted_password, ScramAuth, ScramSecret, SCRAM_ITERATIONS,
};
use pgwire::api::auth::sasl::{SaslMechanismFactory, SaslMechanisms};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::PasswordMessageFamily;

use crate::config::AuthMethod;
use crate::session::SessionFactory;

/// Chooses each login's mechanism and secret (see the module docs).
pub struct Authenticator {
    method: AuthMethod,
    password: String,
    roles: Arc<dyn SessionFactory>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator").field("method", &self.method).finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Authentication by `method`, with `password` for logins that have none of their
    /// own, and the roles' passwords read through `roles`.
    pub fn new(
        method: AuthMethod,
        password: Option<&str>,
        roles: Arc<dyn SessionFactory>,
    ) -> Authenticator {
        Authenticator { method, password: password.unwrap_or_default().to_owned(), roles }
    }

    /// The mechanism that authenticates `user`.
    pub fn mechanism_for(&self, user: &str) -> Box<dyn AuthMechanism> {
        if self.method == AuthMethod::Trust {
            return Box::new(Trust);
        }
        // A failed lookup must not let anyone in: no secret matches `Unreadable`.
        let secret = match self.roles.login_secret(user) {
            Ok(LoginSecret::Password(p)) => Secret::Role(p),
            Ok(LoginSecret::NoRole | LoginSecret::NoPassword) => {
                Secret::Server(self.password.clone())
            }
            // An expired role (VALID UNTIL) fails like an unreadable one.
            Ok(LoginSecret::Expired) | Err(_) => Secret::Unreadable,
        };
        let scram_role = matches!(secret, Secret::Role(StoredPassword::Scram(_)));
        let source = Arc::new(RoleSource { secret });
        match self.method {
            AuthMethod::Trust => Box::new(Trust),
            AuthMethod::Password => CleartextPasswordAuth::new(source).create(),
            AuthMethod::Md5 if !scram_role => Md5PasswordAuth::new(source).create(),
            AuthMethod::Md5 | AuthMethod::ScramSha256 => {
                let scram: Arc<dyn SaslMechanismFactory> = Arc::new(ScramAuth::new(source));
                SaslMechanisms::new(vec![scram]).create()
            }
        }
    }
}

/// What one login is checked against.
enum Secret {
    /// The role's own stored password.
    Role(StoredPassword),
    /// The server's password (the login has none of its own).
    Server(String),
    /// The role's password could not be read: every check fails.
    Unreadable,
}

/// The secret of one login, in the form each mechanism asks for.
struct RoleSource {
    secret: Secret,
}

impl fmt::Debug for RoleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoleSource { .. }")
    }
}

fn refused(login: &LoginInfo) -> PgWireError {
    PgWireError::InvalidPassword(login.user().unwrap_or_default().to_owned())
}

#[async_trait]
impl AuthSource for RoleSource {
    /// The md5 mechanism's expected answer (with the salt it sends); other mechanisms use
    /// the methods below.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let salt: [u8; 4] = rand::random();
        let answer = match &self.secret {
            Secret::Role(StoredPassword::Md5(hex)) => md5_challenge_answer(hex, &salt),
            Secret::Server(pw) => hash_md5_password(login.user().unwrap_or_default(), pw, &salt),
            Secret::Role(StoredPassword::Scram(_)) | Secret::Unreadable => {
                return Err(refused(login))
            }
        };
        Ok(Password::new(Some(salt.to_vec()), answer.into_bytes()))
    }

    async fn verify_password(
        &self,
        login: &LoginInfo,
        presented: &[u8],
    ) -> PgWireResult<Option<()>> {
        let given = std::str::from_utf8(presented).map_err(|_| refused(login))?;
        let ok = match &self.secret {
            Secret::Role(stored) => stored.verify(login.user().unwrap_or_default(), given),
            Secret::Server(pw) => {
                pw.len() == given.len()
                    && pw.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
            }
            Secret::Unreadable => false,
        };
        if ok {
            Ok(None)
        } else {
            Err(refused(login))
        }
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let secret = match &self.secret {
            Secret::Role(StoredPassword::Scram(v)) => ScramSecret::Verifier {
                salt: v.salt.clone(),
                iterations: v.iterations as usize,
                stored_key: v.stored_key.clone(),
                server_key: v.server_key.clone(),
            },
            Secret::Server(pw) => {
                let salt: [u8; 16] = rand::random();
                let salted_password = gen_salted_password(pw, &salt, SCRAM_ITERATIONS);
                ScramSecret::SaltedPassword { salt: salt.to_vec(), salted_password }
            }
            // An md5 hash cannot answer SCRAM (as in PostgreSQL).
            Secret::Role(StoredPassword::Md5(_)) | Secret::Unreadable => {
                return Err(refused(login))
            }
        };
        Ok((secret, None))
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
