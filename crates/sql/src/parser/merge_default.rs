//! `MERGE ... WHEN NOT MATCHED THEN INSERT DEFAULT VALUES`, which sqlparser does not
//! read: rewritten as `INSERT VALUES (helios_default_values)`, which the binder reads
//! back (see `binder/merge.rs`).

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no MERGE of `sql` has `INSERT DEFAULT VALUES`.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    if s.word(0) != Some(Keyword::MERGE) {
        return None;
    }
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
    }
}
