//! `SELECT 1 FOR UPDATE`: a locking clause on a SELECT without FROM, which sqlparser
//! refuses and PostgreSQL accepts (there is no row to lock, so the clause does
//! nothing). A statement that failed to parse is retried without it.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no statement of `sql` is such a SELECT.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    if word(0) != Some(Keyword::SELECT) || (0..sig.len()).any(|n| word(n) == Some(Keyword::FROM)) {
        return None;
    }
    // The clause runs to the end: FOR strength [NOWAIT | SKIP LOCKED].
    let start = (1..sig.len()).find(|&n| word(n) == Some(Keyword::FOR))?;
    let mut n = start + 1;
    match (word(n), word(n + 1), word(n + 2)) {
        (Some(Keyword::UPDATE | Keyword::SHARE), _, _) => n += 1,
        (Some(Keyword::NO), Some(Keyword::KEY), Some(Keyword::UPDATE)) => n += 3,
        (Some(Keyword::KEY), Some(Keyword::SHARE), _) => n += 2,
        _ => return None,
    }
    // The OF marker of a weaker strength (see `lock_clauses`).
    if word(n) == Some(Keyword::OF)
        && matches!(s.sig.get(n + 1).map(|&i| &tokens[i]),
            Some(Token::Word(w)) if w.quote_style == Some('"') && w.value == super::WEAK_LOCK_MARKER)
    {
        n += 2;
    }
    match (word(n), word(n + 1)) {
        (Some(Keyword::NOWAIT), _) => n += 1,
        (Some(Keyword::SKIP), Some(Keyword::LOCKED)) => n += 2,
        _ => {}
    }
    if n != sig.len() {
        return None;
    }
    let mut out = String::new();
    tokens[..sig[start]].iter().for_each(|t| out.push_str(&t.to_string()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn a_lock_without_from_is_dropped() {
        assert_eq!(rewrite("SELECT 1 FOR UPDATE").as_deref(), Some("SELECT 1 "));
        assert_eq!(
            rewrite("select 1, 2 for no key update nowait").as_deref(),
            Some("select 1, 2 ")
        );
        assert_eq!(rewrite("SELECT 1 FROM t FOR UPDATE"), None);
        assert_eq!(rewrite("SELECT 1 FOR UPDATE OF t"), None);
        assert_eq!(rewrite("SELECT 1 FOR SHARE OF \"?key?\" NOWAIT").as_deref(), Some("SELECT 1 "));
    }
}
