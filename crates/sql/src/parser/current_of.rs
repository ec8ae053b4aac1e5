//! `UPDATE ... WHERE CURRENT OF cursor` and `DELETE ... WHERE CURRENT OF cursor`, which
//! sqlparser does not read.
//!
//! A statement that failed to parse is retried with the condition replaced by a marker
//! call naming the cursor (its name folded as an identifier is), which the binder turns
//! into "the row the cursor is on" (see `BoundUpdate::current_of`):
//!
//! ```text
//! delete from t where current of c returning *
//! delete from t where helios_current_of('c') returning *
//! ```
//!
//! Only a `WHERE` of the statement itself is rewritten (not one inside parentheses),
//! and only in UPDATE and DELETE, the statements PostgreSQL's grammar allows it in.
//! Anything after the cursor name other than `RETURNING` is left for the binder to
//! refuse, as PostgreSQL's grammar refuses it.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::token_rewrite::Significant;

/// The marker function's name.
pub const CURRENT_OF_MARKER: &str = "helios_current_of";

/// The rewritten text, or `None` when no statement of `sql` has `WHERE CURRENT OF`.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = Significant::new(tokens);
    let first = (0..s.sig.len()).find_map(|n| s.word(n).map(|w| (n, w)));
    let mut n = match first {
        // `WITH ... UPDATE` reaches the statement's own keyword below.
        Some((n, Keyword::UPDATE | Keyword::DELETE | Keyword::WITH)) => n,
        _ => return None,
    };
    let mut depth = 0i32;
    while n + 3 < s.sig.len() {
        match &s.tokens[s.sig[n]] {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        let at = (s.word(n), s.word(n + 1), s.word(n + 2));
        if depth == 0 && at == (Some(Keyword::WHERE), Some(Keyword::CURRENT), Some(Keyword::OF)) {
            let name = s.ident(n + 3)?;
            let (from, to) = (s.sig[n + 1], s.sig[n + 3]);
            let mut out = String::new();
            for (i, t) in tokens.iter().enumerate() {
                if i == from {
                    out.push_str(&format!("{CURRENT_OF_MARKER}('{}')", name.replace('\'', "''")));
                } else if !(from..=to).contains(&i) {
                    out.push_str(&t.to_string());
                }
            }
            return Some(out);
        }
        n += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn current_of_becomes_a_marker_call() {
        assert_eq!(
            rewrite("DELETE FROM t WHERE CURRENT OF C1 RETURNING *").as_deref(),
            Some("DELETE FROM t WHERE helios_current_of('c1') RETURNING *")
        );
        assert_eq!(
            rewrite("update t set a = (select 1) where current of \"My\"").as_deref(),
            Some("update t set a = (select 1) where helios_current_of('My')")
        );
        assert_eq!(rewrite("SELECT * FROM t WHERE CURRENT OF c"), None);
        assert_eq!(rewrite("DELETE FROM t WHERE a IN (SELECT 1 WHERE CURRENT OF c)"), None);
        assert_eq!(rewrite("DELETE FROM t WHERE current_date OF c"), None);
    }
}
