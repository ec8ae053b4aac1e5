//! `RESET TIME ZONE`: PostgreSQL's spelling of `RESET timezone`, which sqlparser refuses.
//! A statement that failed to parse is retried with the two words joined.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no statement of `sql` is `RESET TIME ZONE`.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let words = (s.word(0), s.word(1), s.word(2));
    if s.sig.len() != 3 || words != (Some(Keyword::RESET), Some(Keyword::TIME), Some(Keyword::ZONE))
    {
        return None;
    }
    Some("RESET timezone".to_string())
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn reset_time_zone_names_the_setting() {
        assert_eq!(rewrite("RESET TIME ZONE").as_deref(), Some("RESET timezone"));
        assert_eq!(rewrite("reset time zone;").as_deref(), Some("RESET timezone;"));
        assert_eq!(rewrite("RESET TIME"), None);
    }
}
