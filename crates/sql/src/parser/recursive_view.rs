//! `CREATE [OR REPLACE] [TEMP] RECURSIVE VIEW name (columns) AS query`: PostgreSQL's
//! shorthand for `CREATE VIEW name AS WITH RECURSIVE name (columns) AS (query) SELECT
//! columns FROM name`, which sqlparser does not parse. A statement that fails to parse is
//! retried in that spelling (PostgreSQL stores the view the same way). The column list is
//! required, as in PostgreSQL; without it the statement stays a syntax error.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::token_rewrite::{rewrite_statements, Significant};

/// The rewritten text, or `None` when no statement of `sql` is a CREATE RECURSIVE VIEW.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = Significant::new(tokens);
    let word = |n| s.word(n);
    let text = |from: usize, to: usize| -> String {
        let (start, end) = (s.sig[from], s.sig.get(to).copied().unwrap_or(tokens.len()));
        tokens[start..end].iter().map(ToString::to_string).collect()
    };
    if word(0) != Some(Keyword::CREATE) {
        return None;
    }
    let mut at = 1;
    if word(at) == Some(Keyword::OR) && word(at + 1) == Some(Keyword::REPLACE) {
        at += 2;
    }
    if matches!(word(at), Some(Keyword::TEMP | Keyword::TEMPORARY)) {
        at += 1;
    }
    let recursive = at;
    if word(recursive) != Some(Keyword::RECURSIVE) || word(recursive + 1) != Some(Keyword::VIEW) {
        return None;
    }
    // The view's name, `word (. word)*`; the query names it by its last part.
    let name_at = recursive + 2;
    let mut n = name_at;
    s.ident(n)?;
    while s.sig.get(n + 1).is_some_and(|&i| tokens[i] == Token::Period) {
        s.ident(n + 2)?;
        n += 2;
    }
    let last = s.sig[n];
    n += 1;
    // `(column, ...)`, then AS and the query.
    if s.sig.get(n).is_none_or(|&i| tokens[i] != Token::LParen) {
        return None;
    }
    let columns_at = n;
    loop {
        s.ident(n + 1)?;
        n += 2;
        match s.sig.get(n).map(|&i| &tokens[i]) {
            Some(Token::Comma) => {}
            Some(Token::RParen) => break,
            _ => return None,
        }
    }
    let columns = text(columns_at + 1, n);
    if word(n + 1) != Some(Keyword::AS) || n + 2 >= s.sig.len() {
        return None;
    }
    let cte = tokens[last].to_string();
    Some(format!(
        "{head}VIEW {name} AS WITH RECURSIVE {cte} ({columns}) AS ({query}) SELECT {columns} FROM {cte}",
        head = text(0, recursive),
        name = text(name_at, columns_at).trim_end(),
        query = text(n + 2, s.sig.len()).trim_end(),
    ))
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn spells_the_view_as_a_recursive_query() {
        assert_eq!(
            rewrite("CREATE RECURSIVE VIEW s.nums (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM nums WHERE n < 5")
                .as_deref(),
            Some(
                "CREATE VIEW s.nums AS WITH RECURSIVE nums (n) AS (VALUES (1) UNION ALL \
                 SELECT n + 1 FROM nums WHERE n < 5) SELECT n FROM nums"
            )
        );
        assert_eq!(
            rewrite("create or replace temp recursive view \"T\" (a, b) as select 1, 2; select 1")
                .as_deref(),
            Some(
                "create or replace temp VIEW \"T\" AS WITH RECURSIVE \"T\" (a, b) AS (select 1, 2) \
                 SELECT a, b FROM \"T\"; select 1"
            )
        );
    }

    #[test]
    fn leaves_other_statements_alone() {
        assert_eq!(rewrite("CREATE RECURSIVE VIEW v AS SELECT 1"), None);
        assert_eq!(rewrite("CREATE VIEW v (a) AS SELECT 1"), None);
        assert_eq!(rewrite("CREATE RECURSIVE VIEW v (a) AS"), None);
    }
}
