//! Full-text search values: `tsvector` (a sorted set of lexemes with positions and
//! weights) and `tsquery` (a boolean/phrase query over lexemes).
//!
//! Both types are held in a [`crate::Value::Text`] as their canonical PostgreSQL text
//! form (the column's [`crate::DataType`] says which), like `jsonpath`. This module
//! parses that text into [`TsVector`] / [`TsQuery`] and prints them back exactly as
//! PostgreSQL's `tsvectorout` / `tsqueryout` do. Text parsing into lexemes
//! (`to_tsvector`), matching and ranking live in the SQL crate's function library.

pub mod query;
pub mod vector;

pub use query::{QueryNode, QueryOperand, TsQuery};
pub use vector::{Lexeme, TsVector, WordPos, MAX_POS};

/// Writes `word` quoted as a lexeme: `'...'` with `'` and `\` doubled.
pub(crate) fn quote_lexeme(out: &mut String, word: &str) {
    out.push('\'');
    for c in word.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}
