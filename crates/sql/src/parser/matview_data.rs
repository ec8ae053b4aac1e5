//! `CREATE MATERIALIZED VIEW ... AS query WITH [NO] DATA`: sqlparser does not parse the
//! trailing clause. A statement that fails to parse is retried without it; `WITH NO DATA`
//! becomes the option [`NO_DATA_OPTION`] in the view's `WITH (...)` list, which
//! `session/matview.rs` reads (and no other statement accepts).

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The view option that stands for a trailing `WITH NO DATA`.
pub const NO_DATA_OPTION: &str = "helios_with_no_data";

/// The rewritten text, or `None` when no statement of `sql` is a CREATE MATERIALIZED
/// VIEW ending in `WITH [NO] DATA` (without a `WITH (...)` option list of its own).
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let sig: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i], Token::Whitespace(_))).collect();
    let kw = |n: usize, k: Keyword| {
        sig.get(n).is_some_and(
            |&i| matches!(&tokens[i], Token::Word(w) if w.quote_style.is_none() && w.keyword == k),
        )
    };
    if !(kw(0, Keyword::CREATE) && kw(1, Keyword::MATERIALIZED) && kw(2, Keyword::VIEW)) {
        return None;
    }
    let n = sig.len();
    let (cut, no_data) = if n >= 3 && kw(n - 3, Keyword::WITH) && kw(n - 2, Keyword::NO) {
        (n - 3, true)
    } else if n >= 2 && kw(n - 2, Keyword::WITH) {
        (n - 2, false)
    } else {
        return None;
    };
    if !kw(n - 1, Keyword::DATA) {
        return None;
    }
    // The first top-level AS starts the query; options go before it.
    let options = if no_data { format!("WITH ({NO_DATA_OPTION} = true) ") } else { String::new() };
    let s = super::token_rewrite::Significant::new(tokens);
    super::token_rewrite::options_before_as(&s, 3, cut, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_with_no_data_into_the_options() {
        assert_eq!(
            rewrite("CREATE MATERIALIZED VIEW mv (a) AS SELECT (1) AS a WITH NO DATA; SELECT 1")
                .unwrap(),
            "CREATE MATERIALIZED VIEW mv (a) WITH (helios_with_no_data = true) AS SELECT (1) AS a ; SELECT 1"
        );
        assert_eq!(
            rewrite("create materialized view mv as select 1 with data").unwrap(),
            "create materialized view mv as select 1 "
        );
        assert!(rewrite("CREATE VIEW v AS SELECT 1 WITH NO DATA").is_none());
        assert!(rewrite("CREATE MATERIALIZED VIEW mv AS SELECT 1").is_none());
    }
}
