//! `f(a, VARIADIC arr)`: a call passing an array to a routine's VARIADIC parameter,
//! which sqlparser refuses. A statement that failed to parse is retried with the
//! argument written as the named argument [`VARIADIC_ARG`], which the binder of user
//! routine calls reads as the variadic array itself.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The argument name a `VARIADIC` call argument is rewritten to (no identifier a user
/// writes unquoted spells it).
pub const VARIADIC_ARG: &str = "helios variadic";

/// The rewritten text, or `None` when no statement of `sql` has such a call.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    // Routine definitions declare VARIADIC parameters; they are not calls.
    if matches!(
        s.word(0),
        Some(Keyword::CREATE | Keyword::DROP | Keyword::ALTER | Keyword::COMMENT)
    ) {
        return None;
    }
    let mut hits = Vec::new();
    for (pos, &i) in s.sig.iter().enumerate().skip(2) {
        let prev = &tokens[s.sig[pos - 1]];
        if s.word(pos) == Some(Keyword::VARIADIC) && matches!(prev, Token::LParen | Token::Comma) {
            hits.push(i);
        }
    }
    if hits.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if hits.contains(&i) {
            out.push_str(&format!("\"{VARIADIC_ARG}\" =>"));
        } else {
            out.push_str(&t.to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn variadic_arguments_become_named() {
        assert_eq!(
            rewrite("select f(1, variadic array[2])").as_deref(),
            Some("select f(1, \"helios variadic\" => array[2])")
        );
        assert_eq!(rewrite("create function f(variadic int[]) returns int"), None);
        assert_eq!(rewrite("select 1"), None);
    }
}
