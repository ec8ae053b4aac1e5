//! The SQL/JSON path language (`jsonpath`): syntax tree, parser and canonical text.
//!
//! ```text
//!   text ──lexer──▶ tokens ──parser──▶ JsonPath (ast) ──display──▶ canonical text
//! ```
//!
//! A `jsonpath` value is stored as its canonical text (a [`crate::Value::Text`] under
//! [`crate::DataType::JsonPath`]): input parses and re-prints it, so what is stored
//! always parses again. Evaluation against `jsonb` lives in the SQL engine
//! (`helios_sql::functions::jsonpath`), which parses the stored text with [`parse`].
//!
//! Errors follow PostgreSQL: syntax errors are `42601` with its "at or near ... of
//! jsonpath input" wording, an empty path is `22P02`, an invalid `like_regex` pattern
//! `2201B`.

pub mod ast;
mod display;
mod lexer;
mod parser;

pub use ast::{Accessor, BinaryOp, JsonPath, Method, Node, RegexFlags, ANY_LAST};
pub use parser::parse;

use crate::error::TypeResult;

/// Parses `jsonpath` input and returns its canonical text.
pub fn canonical(input: &str) -> TypeResult<String> {
    Ok(parse(input)?.to_string())
}
