//! The PostgreSQL wire-protocol server of HeliosDB Nano.
//!
//! Clients (psql, drivers, ORMs) connect over TCP, TLS or a Unix socket and speak
//! protocol version 3. The message framing, authentication exchanges and statement /
//! portal bookkeeping come from the `pgwire` crate; this crate maps them onto database
//! sessions through the [`Session`] seam and owns everything PostgreSQL-specific in
//! between: type OIDs, text and binary value formats, COPY, cancel, transaction status.
//!
//! ```text
//!  socket ─▶ pgwire framing ─▶ startup (auth, session)   ── startup.rs, auth.rs
//!                           ─▶ Query                     ── simple.rs
//!                           ─▶ Parse/Bind/Execute/Sync   ── extended.rs
//!                           ─▶ CopyData/CopyDone         ── copy.rs
//!                           ─▶ CancelRequest             ── cancel.rs
//!  values  ◀─▶ text.rs / binary/      rows ─▶ wire.rs (RowDescription, DataRow)
//!  results stream to the socket while statements run ── output.rs
//!  sessions ─▶ session.rs (the seam) ─▶ nano.rs (heliosdb_nano::Connection)
//! ```
//!
//! The server uses only the public embedded API (`Session` is implemented for it); it
//! never reaches into the SQL engine or storage.

pub mod auth;
pub mod binary;
pub mod cancel;
pub mod config;
pub mod conn;
pub mod copy;
pub mod copy_binary;
pub mod copy_data;
pub mod copy_stmt;
pub mod error;
pub mod extended;
pub mod nano;
pub mod output;
pub mod server;
pub mod session;
pub mod simple;
pub mod socket_loop;
pub mod split;
pub mod startup;
pub mod text;
pub mod tls;
pub mod wire;

pub use config::{AuthMethod, ServerConfig};
pub use error::ServerError;
pub use server::Server;
pub use session::{
    BatchOutcome, CancelToken, Column, PreparedInfo, QueryResult, Session, SessionFactory,
    StatementResult, TxnStatus,
};
