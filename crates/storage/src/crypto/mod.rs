//! Encryption at rest (TDE): keys, the key header file and page sealing.
//!
//! ```text
//!   KeySource ──▶ key-encryption key (KEK) ──unwraps──▶ data key (DEK) ──▶ PageCipher
//!   (key file | env var | passphrase+Argon2id)        (random, in the key header)
//! ```
//!
//! - A database has one random 256-bit **data key**. It never leaves memory unwrapped: the
//!   key header file stores it encrypted (AES-256-GCM) under a **key-encryption key** that
//!   comes from a [`KeySource`]. Changing the passphrase re-wraps the data key
//!   ([`change_passphrase`]) without touching the data file.
//! - [`PageCipher`] seals fixed-size pages with the data key: each sealed page carries its
//!   own nonce and tag and is bound to its page number, so tampering, swapped pages and a
//!   wrong key are detected. The encrypting storage backend of the disk engine
//!   (`kv::disk`) maps redb's file onto such pages.
//! - Every key lives in a [`zeroize`] wrapper and no key type implements a `Debug` that
//!   prints key bytes.
//!
//! The byte layouts are in `docs/storage-format.md` (`## Encrypted pages`, `## Key header`).
//! Nothing here knows redb or SQL.

mod kdf;
mod key_header;
mod key_source;
mod page_cipher;

pub use kdf::KdfParams;
pub(crate) use key_header::sync_dir;
pub use key_header::KEY_HEADER_FILE;
pub use key_header::{change_passphrase, KeyHeader, KEY_HEADER_LEN};
pub use key_source::{KeyEncryptionKey, KeySource};
pub(crate) use page_cipher::fill_random;
pub use page_cipher::{DataKey, PageCipher, SealError, NONCE_LEN, SEALED_OVERHEAD, TAG_LEN};
