//! `ALTER VIEW | SEQUENCE | MATERIALIZED VIEW name OWNER TO role`, which sqlparser reads
//! as something else or not at all: parsed as `ALTER TABLE name OWNER TO role`, which
//! PostgreSQL also accepts for those relations and which the session carries out for
//! each kind.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no statement of `sql` is such an ALTER.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    if word(0) != Some(Keyword::ALTER) {
        return None;
    }
    let kind_words = match (word(1), word(2)) {
        (Some(Keyword::VIEW | Keyword::SEQUENCE), _) => 1,
        (Some(Keyword::MATERIALIZED), Some(Keyword::VIEW)) => 2,
        _ => return None,
    };
    let n = sig.len();
    if n < 4 + kind_words || word(n - 3) != Some(Keyword::OWNER) || word(n - 2) != Some(Keyword::TO)
    {
        return None;
    }
    let rest_start = sig[1 + kind_words];
    let mut out = String::from("ALTER TABLE ");
    tokens[rest_start..].iter().for_each(|t| out.push_str(&t.to_string()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn owner_changes_of_views_and_sequences_become_alter_table() {
        assert_eq!(
            rewrite("ALTER VIEW public.v OWNER TO app").as_deref(),
            Some("ALTER TABLE public.v OWNER TO app")
        );
        assert_eq!(
            rewrite("alter materialized view mv owner to app").as_deref(),
            Some("ALTER TABLE mv owner to app")
        );
        assert_eq!(rewrite("ALTER VIEW v RENAME TO w"), None);
    }
}
