//! `ALTER TABLE t ALTER [COLUMN] c DROP EXPRESSION [IF EXISTS]`, which sqlparser does not
//! read: the clause is rewritten as the column option change
//! `OPTIONS (DROP helios_drop_expression)` (`..._if_exists` for IF EXISTS), a form
//! PostgreSQL only gives foreign tables, which HeliosDB does not have; the session
//! reads it back with [`drop_expression_marker`].

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

const MARKER: &str = "helios_drop_expression";
const MARKER_IF_EXISTS: &str = "helios_drop_expression_if_exists";

/// The rewritten text, or `None` when no statement of `sql` ends in DROP EXPRESSION.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    if word(0) != Some(Keyword::ALTER) || word(1) != Some(Keyword::TABLE) {
        return None;
    }
    let n = sig.len();
    // EXPRESSION is no keyword of sqlparser's.
    let expression = |i: usize| matches!(&tokens[sig[i]], Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("expression"));
    let (drop_at, marker) = if n >= 4
        && word(n - 4) == Some(Keyword::DROP)
        && expression(n - 3)
        && word(n - 2) == Some(Keyword::IF)
        && word(n - 1) == Some(Keyword::EXISTS)
    {
        (n - 4, MARKER_IF_EXISTS)
    } else if n >= 2 && word(n - 2) == Some(Keyword::DROP) && expression(n - 1) {
        (n - 2, MARKER)
    } else {
        return None;
    };
    let mut out = String::new();
    tokens[..sig[drop_at]].iter().for_each(|t| out.push_str(&t.to_string()));
    out.push_str(&format!("OPTIONS (DROP {marker})"));
    Some(out)
}

/// For an ALTER COLUMN operation written by [`rewrite`]: `Some(if_exists)`.
pub fn drop_expression_marker(op: &ast::AlterColumnOperation) -> Option<bool> {
    let ast::AlterColumnOperation::GenericOptions { options } = op else { return None };
    match options.as_slice() {
        [ast::AlterGenericOption::Drop(id)] if id.value == MARKER => Some(false),
        [ast::AlterGenericOption::Drop(id)] if id.value == MARKER_IF_EXISTS => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn drop_expression_becomes_a_marker_option() {
        assert_eq!(
            rewrite("ALTER TABLE t ALTER COLUMN b DROP EXPRESSION").as_deref(),
            Some("ALTER TABLE t ALTER COLUMN b OPTIONS (DROP helios_drop_expression)")
        );
        assert_eq!(
            rewrite("alter table t alter b drop expression if exists").as_deref(),
            Some("alter table t alter b OPTIONS (DROP helios_drop_expression_if_exists)")
        );
        assert_eq!(rewrite("ALTER TABLE t DROP COLUMN b"), None);
    }
}
