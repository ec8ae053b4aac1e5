//! The commonly used part of the pgcrypto extension: `digest`, `hmac`,
//! `gen_random_bytes`, and password hashing with `crypt` / `gen_salt` (Blowfish,
//! `$2a$`). As for every built-in extension, the functions exist whether or not
//! `CREATE EXTENSION pgcrypto` ran.
//!
//! Not built: SHA-224 digests, the `md5`, `des` and `xdes` crypt algorithms (0A000), and
//! PGP encryption (`pgp_sym_encrypt`, ...), which does not exist here.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use md5::{Digest, Md5};
use ring::{digest, hmac};

use crate::functions::registry::{p, Registry, ReturnType};

/// Registers the pgcrypto functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Bytea, Int4, Text};
    let bytea = || ReturnType::Exact(Bytea);
    for data in [Text, Bytea] {
        r.add("digest", vec![p(data.clone()), p(Text)], bytea(), |a, _| {
            Ok(Value::Bytea(hash(algorithm(text(&a[1]))?, input(&a[0]))))
        });
        for key in [Text, Bytea] {
            if (data == Text) != (key == Text) {
                continue;
            }
            r.add("hmac", vec![p(data.clone()), p(key), p(Text)], bytea(), |a, _| {
                Ok(Value::Bytea(keyed_hash(algorithm(text(&a[2]))?, input(&a[1]), input(&a[0]))))
            });
        }
    }
    r.add("gen_random_bytes", vec![p(Int4)], bytea(), |a, _| {
        let n = match &a[0] {
            Value::Int4(n) => *n,
            _ => 0,
        };
        let len = usize::try_from(n)
            .ok()
            .filter(|n| (1..=1024).contains(n))
            .ok_or_else(|| Error::new(SqlState::from_code("39000"), "Length not in range"))?;
        let mut b = vec![0u8; len];
        random(&mut b)?;
        Ok(Value::Bytea(b))
    })
    .volatile();
    r.add("gen_salt", vec![p(Text)], ReturnType::Exact(Text), |a, _| gen_salt(text(&a[0]), None))
        .volatile();
    r.add("gen_salt", vec![p(Text), p(Int4)], ReturnType::Exact(Text), |a, _| {
        let rounds = match &a[1] {
            Value::Int4(n) => *n,
            _ => 0,
        };
        gen_salt(text(&a[0]), Some(rounds))
    })
    .volatile();
    r.add("crypt", vec![p(Text), p(Text)], ReturnType::Exact(Text), |a, _| {
        crypt(text(&a[0]), text(&a[1])).map(Value::Text)
    });
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}

/// The bytes of a text or bytea argument.
fn input(v: &Value) -> &[u8] {
    match v {
        Value::Text(s) => s.as_bytes(),
        Value::Bytea(b) => b,
        _ => &[],
    }
}

fn random(b: &mut [u8]) -> Result<()> {
    getrandom::fill(b).map_err(|e| {
        Error::new(SqlState::INTERNAL_ERROR, format!("could not generate random values: {e}"))
    })
}

/// A digest algorithm of `digest` and `hmac`.
#[derive(Clone, Copy)]
enum Algorithm {
    Md5,
    Sha224,
    Sha(&'static digest::Algorithm, hmac::Algorithm),
}

fn algorithm(name: &str) -> Result<Algorithm> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "md5" => Algorithm::Md5,
        "sha1" => {
            Algorithm::Sha(&digest::SHA1_FOR_LEGACY_USE_ONLY, hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY)
        }
        "sha256" => Algorithm::Sha(&digest::SHA256, hmac::HMAC_SHA256),
        "sha384" => Algorithm::Sha(&digest::SHA384, hmac::HMAC_SHA384),
        "sha512" => Algorithm::Sha(&digest::SHA512, hmac::HMAC_SHA512),
        "sha224" => Algorithm::Sha224,
        _ => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("Cannot use \"{name}\": No such hash algorithm"),
            ))
        }
    })
}

fn hash(alg: Algorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        Algorithm::Md5 => md5_of(&[data]),
        Algorithm::Sha224 => sha224_of(&[data]),
        Algorithm::Sha(d, _) => digest::digest(d, data).as_ref().to_vec(),
    }
}

fn md5_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Md5::new();
    parts.iter().for_each(|p| h.update(p));
    h.finalize().to_vec()
}

fn sha224_of(parts: &[&[u8]]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut h = sha2::Sha224::new();
    parts.iter().for_each(|p| h.update(p));
    h.finalize().to_vec()
}

/// HMAC (RFC 2104) of `data` under `key`.
fn keyed_hash(alg: Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    match alg {
        Algorithm::Sha(_, h) => hmac::sign(&hmac::Key::new(h, key), data).as_ref().to_vec(),
        // ring has neither HMAC-MD5 nor HMAC-SHA224: the RFC's construction.
        Algorithm::Md5 => hmac_64(md5_of, key, data),
        Algorithm::Sha224 => hmac_64(sha224_of, key, data),
    }
}

/// RFC 2104's HMAC over a hash with 64-byte blocks (`h` hashes the concatenated parts).
fn hmac_64(h: fn(&[&[u8]]) -> Vec<u8>, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        let k = h(&[key]);
        block[..k.len()].copy_from_slice(&k);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| block.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = h(&[&pad(0x36), data]);
    h(&[&pad(0x5c), &inner])
}

/// `gen_salt(type [, rounds])`: a new random salt for `crypt`.
fn gen_salt(kind: &str, rounds: Option<i32>) -> Result<Value> {
    match kind.to_ascii_lowercase().as_str() {
        "bf" => {
            let cost = rounds.unwrap_or(6);
            if !(4..=31).contains(&cost) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "gen_salt: Incorrect number of rounds",
                ));
            }
            let mut salt = [0u8; 16];
            random(&mut salt)?;
            Ok(Value::Text(format!("$2a${cost:02}${}", encode_bcrypt_salt(&salt))))
        }
        "md5" | "des" | "xdes" => {
            Err(Error::unsupported(format!("gen_salt: salt algorithm \"{kind}\"")))
        }
        _ => Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "gen_salt: Unknown salt algorithm")),
    }
}

/// `crypt(password, salt)`: the password's hash in the salt's algorithm; `salt` may be a
/// whole earlier hash (its salt part is used), so `crypt(pw, stored) = stored` checks a
/// password.
fn crypt(password: &str, salt: &str) -> Result<String> {
    let invalid = || Error::new(SqlState::INVALID_PARAMETER_VALUE, "invalid salt");
    let Some(rest) = ["$2a$", "$2b$", "$2x$", "$2y$"].iter().find_map(|v| salt.strip_prefix(v))
    else {
        if salt.starts_with("$1$") || salt.starts_with('_') || salt.len() >= 2 {
            return Err(Error::unsupported("crypt with a salt other than Blowfish ($2a$)"));
        }
        return Err(invalid());
    };
    let (cost, encoded) = rest.split_once('$').ok_or_else(invalid)?;
    let cost: u32 = cost.parse().ok().filter(|c| (4..=31).contains(c)).ok_or_else(invalid)?;
    let encoded = encoded.get(..22).ok_or_else(invalid)?;
    let salt_bytes = decode_bcrypt_salt(encoded).ok_or_else(invalid)?;
    let parts = bcrypt::hash_with_salt(password, cost, salt_bytes)
        .map_err(|e| Error::internal(format!("bcrypt: {e}")))?;
    Ok(parts.format_for_version(bcrypt::Version::TwoA))
}

/// bcrypt's base64 alphabet.
const ALPHABET: &[u8; 64] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// bcrypt's 22-character form of 16 salt bytes.
fn encode_bcrypt_salt(salt: &[u8; 16]) -> String {
    let mut out = String::with_capacity(22);
    let (mut bits, mut nbits) = (0u32, 0);
    for b in salt {
        bits = (bits << 8) | u32::from(*b);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[((bits >> nbits) & 63) as usize]));
        }
    }
    if nbits > 0 {
        out.push(char::from(ALPHABET[((bits << (6 - nbits)) & 63) as usize]));
    }
    out
}

/// The 16 salt bytes of bcrypt's 22-character salt (the unused low bits of the last
/// character are ignored, as crypt_blowfish does).
fn decode_bcrypt_salt(s: &str) -> Option<[u8; 16]> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = [0u8; 16];
    let mut n = 0;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)?;
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 8 && n < 16 {
            nbits -= 8;
            out[n] = (bits >> nbits) as u8;
            n += 1;
        }
    }
    (n == 16).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn digests_and_hmacs_match_pgcrypto() {
        let sha256 = algorithm("sha256").expect("sha256");
        assert_eq!(
            hex(&hash(sha256, b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&hash(algorithm("MD5").expect("md5"), b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&keyed_hash(sha256, b"key", b"msg")),
            "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628"
        );
        assert_eq!(
            hex(&keyed_hash(algorithm("md5").expect("md5"), b"key", b"msg")),
            "18e3548c59ad40dd03907b7aeee71d67"
        );
        let long_key = [7u8; 100];
        assert_eq!(keyed_hash(Algorithm::Md5, &long_key, b"m").len(), 16);
        assert!(algorithm("foo").is_err());
    }

    #[test]
    fn crypt_matches_pgcrypto_and_checks_passwords() {
        // Values from PostgreSQL 15's pgcrypto.
        assert_eq!(
            crypt("password", "$2a$06$abcdefghijklmnopqrstuu").expect("crypt"),
            "$2a$06$abcdefghijklmnopqrstuuNBpXtlux7FnXJE0fnrtkSXNhdOGmWHu"
        );
        let Value::Text(salt) = gen_salt("bf", None).expect("salt") else { panic!("text") };
        assert!(salt.starts_with("$2a$06$") && salt.len() == 29, "{salt}");
        let bytes = [0x55u8; 16];
        assert_eq!(decode_bcrypt_salt(&encode_bcrypt_salt(&bytes)), Some(bytes));
        let stored = crypt("secret", &salt).expect("hash");
        assert_eq!(crypt("secret", &stored).expect("check"), stored);
        assert_ne!(crypt("Secret", &stored).expect("check"), stored);
        assert!(crypt("pw", "$2a$06$abc").is_err());
        assert!(gen_salt("bf", Some(3)).is_err());
        assert!(gen_salt("foo", None).is_err());
    }
}
