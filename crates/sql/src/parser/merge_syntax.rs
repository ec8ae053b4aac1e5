//! MERGE syntax sqlparser does not read, rewritten into forms it does:
//!
//! - `WHEN NOT MATCHED THEN INSERT DEFAULT VALUES` becomes
//!   `INSERT VALUES (helios_default_values)`, which the binder reads back (see
//!   `binder/merge.rs`);
//! - a join as the source (`USING a JOIN b ON a.x = b.x ON t.id = a.id`) is put in
//!   parentheses (`USING (a JOIN b ON a.x = b.x) ON ...`): the MERGE's own ON is the
//!   last one before the first WHEN.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no MERGE of `sql` needs a rewrite.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    if s.word(0) != Some(Keyword::MERGE) {
        return None;
    }
    match wrap_join_source(tokens, &s) {
        Some(text) => {
            let wrapped = sqlparser::tokenizer::Tokenizer::new(
                &sqlparser::dialect::PostgreSqlDialect {},
                &text,
            )
            .tokenize()
            .ok()?;
            Some(default_values(&wrapped).unwrap_or(text))
        }
        None => default_values(tokens),
    }
}

/// The statement with a join source put in parentheses, if it has one.
fn wrap_join_source(tokens: &[Token], s: &super::token_rewrite::Significant<'_>) -> Option<String> {
    // Depth of parentheses before each significant token.
    let mut depth = Vec::with_capacity(s.sig.len());
    let mut d = 0i32;
    for &i in &s.sig {
        if tokens[i] == Token::RParen {
            d -= 1;
        }
        depth.push(d);
        if tokens[i] == Token::LParen {
            d += 1;
        }
    }
    let top = |n: usize, k: Keyword| depth[n] == 0 && s.word(n) == Some(k);
    let using = (0..s.sig.len()).find(|&n| top(n, Keyword::USING))?;
    let when = (using..s.sig.len()).find(|&n| top(n, Keyword::WHEN)).unwrap_or(s.sig.len());
    let on = (using + 1..when).rev().find(|&n| top(n, Keyword::ON))?;
    if !(using + 1..on).any(|n| top(n, Keyword::JOIN)) {
        return None;
    }
    let mut out = String::new();
    tokens[..s.sig[using + 1]].iter().for_each(|t| out.push_str(&t.to_string()));
    out.push('(');
    tokens[s.sig[using + 1]..s.sig[on]].iter().for_each(|t| out.push_str(&t.to_string()));
    out.push_str(") ");
    tokens[s.sig[on]..].iter().for_each(|t| out.push_str(&t.to_string()));
    Some(out)
}

/// The statement with `INSERT DEFAULT VALUES` written as the marker row.
fn default_values(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let hits: Vec<usize> = (0..s.sig.len().saturating_sub(2))
        .filter(|&n| {
            s.word(n) == Some(Keyword::INSERT)
                && s.word(n + 1) == Some(Keyword::DEFAULT)
                && s.word(n + 2) == Some(Keyword::VALUES)
        })
        .collect();
    if hits.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut from = 0;
    for n in hits {
        tokens[from..s.sig[n + 1]].iter().for_each(|t| out.push_str(&t.to_string()));
        out.push_str(&format!("VALUES ({})", crate::binder::merge::DEFAULT_VALUES_MARKER));
        from = s.sig[n + 2] + 1;
    }
    tokens[from..].iter().for_each(|t| out.push_str(&t.to_string()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn insert_default_values_becomes_a_marker_row() {
        assert_eq!(
            rewrite("MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT DEFAULT VALUES")
                .as_deref(),
            Some("MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (helios_default_values)")
        );
        assert_eq!(rewrite("INSERT INTO t DEFAULT VALUES"), None);
        assert_eq!(
            rewrite("MERGE INTO t USING a JOIN b ON a.x = b.x ON t.id = a.x WHEN MATCHED THEN DELETE")
                .as_deref(),
            Some("MERGE INTO t USING (a JOIN b ON a.x = b.x ) ON t.id = a.x WHEN MATCHED THEN DELETE")
        );
        assert_eq!(
            rewrite("MERGE INTO t USING s ON t.id = (SELECT 1 FROM a JOIN b ON true) WHEN MATCHED THEN DELETE"),
            None
        );
    }
}
