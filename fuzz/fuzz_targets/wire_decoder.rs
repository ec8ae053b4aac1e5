//! Fuzz target: arbitrary bytes through the server's decoding, without a socket.
//!
//! - the frontend message codec (pgwire's decoder, as the server runs it) in both
//!   connection states: before startup (SSLRequest, CancelRequest, StartupMessage) and
//!   after (Query, Parse, Bind, Execute, CopyData, ...), message after message;
//! - what the server decodes itself from client bytes: binary parameter values of every
//!   type, binary COPY streams, text values, `-c` startup options, COPY statements and
//!   simple-query statement splitting.
//!
//! Errors are expected; a panic, a hang or an abort is a bug.

#![no_main]

use bytes::BytesMut;
use helios_server::{binary, copy_binary, copy_stmt, split, startup, text};
use helios_types::DataType;
use libfuzzer_sys::fuzz_target;
use pgwire::messages::{DecodeContext, PgWireFrontendMessage, ProtocolVersion};

fn types() -> Vec<DataType> {
    vec![
        DataType::Bool,
        DataType::Int2,
        DataType::Int4,
        DataType::Int8,
        DataType::Float4,
        DataType::Float8,
        DataType::Numeric(None),
        DataType::Text,
        DataType::Varchar(Some(4)),
        DataType::Char(Some(2)),
        DataType::Bytea,
        DataType::Date,
        DataType::Time,
        DataType::Timestamp,
        DataType::TimestampTz,
        DataType::Interval,
        DataType::Uuid,
        DataType::Json,
        DataType::Jsonb,
        DataType::Vector(Some(3)),
        DataType::Array(Box::new(DataType::Int4)),
        DataType::Array(Box::new(DataType::Text)),
    ]
}

/// Decodes messages until the buffer is used up, an error, or no progress.
fn decode_stream(data: &[u8], startup: bool) {
    let mut ctx = DecodeContext::new(ProtocolVersion::default());
    ctx.awaiting_frontend_ssl = startup;
    ctx.awaiting_frontend_startup = startup;
    let mut buf = BytesMut::from(data);
    for _ in 0..64 {
        let before = buf.len();
        match PgWireFrontendMessage::decode(&mut buf, &ctx) {
            Ok(Some(_)) if buf.len() < before => {}
            Ok(Some(_)) => {
                // SSL negotiation answered "none": the next message is the startup.
                if ctx.awaiting_frontend_ssl {
                    ctx.awaiting_frontend_ssl = false;
                } else {
                    ctx.awaiting_frontend_startup = false;
                }
            }
            Ok(None) | Err(_) => return,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 16 {
        return;
    }
    decode_stream(data, true);
    decode_stream(data, false);
    let all = types();
    if let Some((&selector, rest)) = data.split_first() {
        let ty = &all[usize::from(selector) % all.len()];
        let _ = binary::decode(rest, ty);
        let pair = [ty.clone(), all[usize::from(selector / 32) % all.len()].clone()];
        let _ = copy_binary::decode(rest, &pair);
        if let Ok(s) = std::str::from_utf8(rest) {
            let _ = text::from_text(s, ty);
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = startup::parse_options(s);
        let _ = copy_stmt::parse_copy(s);
        let _ = split::split_statements(s);
    }
});
