//! PL/pgSQL: a parser of the language's statements ([`parse`]) into a small tree
//! ([`ast`]) and an interpreter of it ([`exec`]). Every SQL expression and statement
//! inside is parsed by our SQL parser when the function is created (so syntax errors
//! surface at CREATE FUNCTION, as in PostgreSQL) and bound and run by our binder and
//! executor when it runs.

pub mod ast;
pub mod exec;
pub mod parse;
