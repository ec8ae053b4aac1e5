//! `CREATE TABLE name (a, b) AS query`: PostgreSQL lets CREATE TABLE AS rename the
//! query's columns with a list of bare names, which sqlparser does not parse (it wants a
//! type for every column). A statement that fails to parse is retried with each such
//! name given the placeholder type [`CTAS_COLUMN`]; `session/create_table_as.rs` takes
//! only the names and rejects any other type in that list.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The placeholder type name given to the bare column names of CREATE TABLE AS.
pub const CTAS_COLUMN: &str = "helios_ctas_column";

/// The rewritten text, or `None` when `sql` has no CREATE TABLE AS with bare names.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, |stmt| {
        let names = bare_column_names(stmt);
        if names.is_empty() {
            return None;
        }
        let mut out = String::new();
        for (i, t) in stmt.iter().enumerate() {
            out.push_str(&t.to_string());
            if names.contains(&i) {
                out.push(' ');
                out.push_str(CTAS_COLUMN);
            }
        }
        Some(out)
    })
}

/// Positions of the bare column names of a `CREATE ... TABLE name (a, b) AS` statement.
fn bare_column_names(stmt: &[Token]) -> Vec<usize> {
    let sig: Vec<usize> =
        (0..stmt.len()).filter(|&i| !matches!(stmt[i], Token::Whitespace(_))).collect();
    let kw = |n: usize, k: Keyword| {
        sig.get(n).is_some_and(
            |&i| matches!(&stmt[i], Token::Word(w) if w.quote_style.is_none() && w.keyword == k),
        )
    };
    let tok = |n: usize| sig.get(n).map(|&i| &stmt[i]);
    if !kw(0, Keyword::CREATE) {
        return Vec::new();
    }
    let mut n = 1;
    while [Keyword::TEMP, Keyword::TEMPORARY, Keyword::UNLOGGED, Keyword::GLOBAL, Keyword::LOCAL]
        .iter()
        .any(|&k| kw(n, k))
    {
        n += 1;
    }
    if !kw(n, Keyword::TABLE) {
        return Vec::new();
    }
    n += 1;
    if kw(n, Keyword::IF) && kw(n + 1, Keyword::NOT) && kw(n + 2, Keyword::EXISTS) {
        n += 3;
    }
    // The table name: word (. word)*.
    if !matches!(tok(n), Some(Token::Word(_))) {
        return Vec::new();
    }
    n += 1;
    while matches!(tok(n), Some(Token::Period)) && matches!(tok(n + 1), Some(Token::Word(_))) {
        n += 2;
    }
    if !matches!(tok(n), Some(Token::LParen)) {
        return Vec::new();
    }
    n += 1;
    let mut names = Vec::new();
    loop {
        match tok(n) {
            Some(Token::Word(_)) => names.push(sig[n]),
            _ => return Vec::new(),
        }
        n += 1;
        match tok(n) {
            Some(Token::Comma) => n += 1,
            Some(Token::RParen) => break,
            _ => return Vec::new(),
        }
    }
    if kw(n + 1, Keyword::AS) {
        names
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_only_bare_create_table_as_columns() {
        let r = rewrite("create temp table t (a, \"B\") as select 1, 2; select 1").unwrap();
        assert_eq!(
            r,
            "create temp table t (a helios_ctas_column, \"B\" helios_ctas_column) as select 1, 2; select 1"
        );
        assert!(rewrite("create table t (a int) as select 1").is_none());
        assert!(rewrite("create table t (a, b)").is_none());
        assert!(rewrite("select (a, b) as x").is_none());
    }
}
