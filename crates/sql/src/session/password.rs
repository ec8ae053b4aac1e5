//! Role passwords as PostgreSQL stores them, and their checks.
//!
//! A role's password is never kept in clear. `CREATE ROLE ... PASSWORD 'secret'` stores,
//! as `password_encryption` says:
//!
//! ```text
//! scram-sha-256 (default)  SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//! md5                      md5<hex of MD5(password || role name)>
//! ```
//!
//! (salt and keys in standard base64; StoredKey = SHA-256(HMAC(SaltedPassword,
//! "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key"), SaltedPassword =
//! PBKDF2-HMAC-SHA-256(password, salt, iterations); RFC 5802 / RFC 7677). A password given
//! already in one of these forms (what `pg_dumpall` writes and psql's `\password` sends)
//! is stored as given. The server's authentication reads the stored form back
//! ([`StoredPassword::parse`]): a SCRAM verifier answers the SCRAM exchange without the
//! password, an md5 hash answers the md5 challenge, and either checks a cleartext password
//! ([`StoredPassword::verify`]).

use std::num::NonZeroU32;

use base64ct::{Base64, Encoding};
use helios_common::{Error, Result, SqlState};
use ring::{digest, hmac, pbkdf2};

/// Iterations of a new SCRAM verifier (PostgreSQL's `scram_iterations` default).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// Bytes of a new SCRAM verifier's random salt (as PostgreSQL).
const SCRAM_SALT_LEN: usize = 16;

/// What a login name has to prove itself with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginSecret {
    /// No role has that name (the server's own password applies).
    NoRole,
    /// The role has no password (the server's own password applies).
    NoPassword,
    /// The role's password.
    Password(StoredPassword),
    /// The role's `VALID UNTIL` has passed: no password logs it in.
    Expired,
}

/// A stored password, parsed.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredPassword {
    /// `md5` and 32 hex digits: MD5 of the password followed by the role name.
    Md5(String),
    /// A SCRAM-SHA-256 verifier.
    Scram(ScramVerifier),
}

/// What a SCRAM-SHA-256 exchange needs from the server: never the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// PBKDF2 salt.
    pub salt: Vec<u8>,
    /// SHA-256 of the client key.
    pub stored_key: Vec<u8>,
    /// HMAC of the salted password with "Server Key".
    pub server_key: Vec<u8>,
}

impl std::fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for StoredPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes are secrets too: a stolen md5 hash logs in through the md5 challenge.
        match self {
            StoredPassword::Md5(_) => f.write_str("StoredPassword::Md5(..)"),
            StoredPassword::Scram(v) => write!(f, "StoredPassword::Scram({v:?})"),
        }
    }
}

impl StoredPassword {
    /// Parses a stored password; `None` when it is in neither form (a role's password
    /// always is: [`encrypt`] writes only these).
    pub fn parse(stored: &str) -> Option<StoredPassword> {
        if let Some(hex) = stored.strip_prefix("md5") {
            let ok = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
            return ok.then(|| StoredPassword::Md5(hex.to_ascii_lowercase()));
        }
        let rest = stored.strip_prefix("SCRAM-SHA-256$")?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored_key, server_key) = keys.split_once(':')?;
        let iterations: u32 = iterations.parse().ok().filter(|i| *i > 0)?;
        let decode = |s: &str| Base64::decode_vec(s).ok();
        let (salt, stored_key, server_key) =
            (decode(salt)?, decode(stored_key)?, decode(server_key)?);
        if salt.is_empty() || stored_key.len() != 32 || server_key.len() != 32 {
            return None;
        }
        Some(StoredPassword::Scram(ScramVerifier { iterations, salt, stored_key, server_key }))
    }

    /// Whether `password`, given in clear by role `role`, is this password.
    pub fn verify(&self, role: &str, password: &str) -> bool {
        match self {
            StoredPassword::Md5(hex) => {
                let given = md5_hex(&[password.as_bytes(), role.as_bytes()].concat());
                constant_time_eq(given.as_bytes(), hex.as_bytes())
            }
            StoredPassword::Scram(v) => {
                let salted = salted_password(password, &v.salt, v.iterations);
                let stored_key =
                    digest::digest(&digest::SHA256, &hmac_sha256(&salted, b"Client Key"));
                constant_time_eq(stored_key.as_ref(), &v.stored_key)
            }
        }
    }
}

/// The md5 challenge's expected answer for a stored md5 password and the 4-byte `salt`
/// sent to the client: `md5` and the hex MD5 of the stored hex digest followed by the salt.
pub fn md5_challenge_answer(stored_hex: &str, salt: &[u8]) -> String {
    format!("md5{}", md5_hex(&[stored_hex.as_bytes(), salt].concat()))
}

/// The stored form of `password` for `role`: kept as given when it already is an md5
/// hash or a SCRAM verifier, else hashed as `method` (`password_encryption`) says. `None`
/// for an empty password, in clear or hashed: PostgreSQL stores none then.
pub fn encrypt(password: &str, role: &str, method: &str) -> Result<Option<String>> {
    if password.is_empty() {
        return Ok(None);
    }
    if let Some(hashed) = StoredPassword::parse(password) {
        return Ok((!hashed.verify(role, "")).then(|| password.to_string()));
    }
    match method {
        "md5" => {
            Ok(Some(format!("md5{}", md5_hex(&[password.as_bytes(), role.as_bytes()].concat()))))
        }
        "scram-sha-256" => {
            let mut salt = [0u8; SCRAM_SALT_LEN];
            getrandom::fill(&mut salt)
                .map_err(|e| Error::internal(format!("could not generate a salt: {e}")))?;
            Ok(Some(scram_verifier(password, &salt, SCRAM_ITERATIONS)))
        }
        other => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"password_encryption\": \"{other}\""),
        )
        .with_hint("Available values: md5, scram-sha-256.")),
    }
}

/// The SCRAM-SHA-256 verifier of `password` with `salt` and `iterations`.
pub fn scram_verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = salted_password(password, salt, iterations);
    let stored_key = digest::digest(&digest::SHA256, &hmac_sha256(&salted, b"Client Key"));
    let server_key = hmac_sha256(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        Base64::encode_string(salt),
        Base64::encode_string(stored_key.as_ref()),
        Base64::encode_string(&server_key)
    )
}

/// `Hi(SASLprep(password), salt, iterations)` of RFC 5802: PBKDF2 with HMAC-SHA-256. A
/// password SASLprep refuses is used as it is, as PostgreSQL and libpq do.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let password = stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password));
    let mut out = [0u8; 32];
    let iterations = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, password.as_bytes(), &mut out);
    out
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

fn md5_hex(data: &[u8]) -> String {
    crate::functions::string::md5_hex(data)
}

/// Compares two secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_form_matches_postgresql() {
        // PostgreSQL 15: CREATE ROLE alice PASSWORD 'secret' with password_encryption=md5
        // stores md5 || md5('secretalice').
        let stored = encrypt("secret", "alice", "md5").unwrap().unwrap();
        assert_eq!(stored, format!("md5{}", md5_hex(b"secretalice")));
        let p = StoredPassword::parse(&stored).unwrap();
        assert!(p.verify("alice", "secret"));
        assert!(!p.verify("alice", "Secret"));
        assert!(!p.verify("bob", "secret"), "the md5 form is salted with the role name");
    }

    #[test]
    fn scram_verifier_matches_rfc7677_test_vector() {
        // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==,
        // 4096 iterations; the server signature there is computed from this ServerKey.
        let salt = Base64::decode_vec("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = scram_verifier("pencil", &salt, 4096);
        let Some(StoredPassword::Scram(parsed)) = StoredPassword::parse(&v) else {
            panic!("not a verifier: {v}")
        };
        assert_eq!(parsed.salt, salt);
        assert_eq!(parsed.iterations, 4096);
        // ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); RFC's exchange:
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let proof = Base64::decode_vec("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=").unwrap();
        let signature = hmac_sha256(&parsed.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        assert_eq!(digest::digest(&digest::SHA256, &client_key).as_ref(), parsed.stored_key);
        let server_signature = hmac_sha256(&parsed.server_key, auth_message.as_bytes());
        assert_eq!(
            Base64::encode_string(&server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        assert!(StoredPassword::parse(&v).unwrap().verify("user", "pencil"));
        assert!(!StoredPassword::parse(&v).unwrap().verify("user", "pencil!"));
    }

    #[test]
    fn new_scram_passwords_get_fresh_salts_and_verify() {
        let a = encrypt("pw", "r", "scram-sha-256").unwrap().unwrap();
        let b = encrypt("pw", "r", "scram-sha-256").unwrap().unwrap();
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.starts_with("SCRAM-SHA-256$4096:"));
        assert!(StoredPassword::parse(&a).unwrap().verify("r", "pw"));
        assert!(StoredPassword::parse(&b).unwrap().verify("anyone", "pw"));
    }

    #[test]
    fn hashed_passwords_are_kept_and_garbage_is_not_a_hash() {
        let v = encrypt("x", "r", "scram-sha-256").unwrap().unwrap();
        assert_eq!(encrypt(&v, "other", "md5").unwrap(), Some(v));
        let m = format!("md5{}", "0123456789abcdef0123456789abcdef");
        assert_eq!(encrypt(&m, "r", "scram-sha-256").unwrap(), Some(m));
        // An empty password, in clear or hashed, is no password.
        assert_eq!(encrypt("", "r", "md5").unwrap(), None);
        let empty_md5 = format!("md5{}", md5_hex(b"r"));
        assert_eq!(encrypt(&empty_md5, "r", "scram-sha-256").unwrap(), None);
        let empty_scram = scram_verifier("", b"salt", 4096);
        assert_eq!(encrypt(&empty_scram, "r", "md5").unwrap(), None);
        for bad in [
            "md5xyz",
            "md5 0123456789abcdef0123456789abcde",
            "SCRAM-SHA-256$",
            "SCRAM-SHA-256$0:AAAA$AAAA:AAAA",
            "SCRAM-SHA-256$4096:!!$AAAA:AAAA",
            "SCRAM-SHA-256$4096:AAAA$AAAA:AAAA",
        ] {
            assert!(StoredPassword::parse(bad).is_none(), "{bad}");
        }
        assert!(encrypt("x", "r", "plain").is_err());
    }
}
