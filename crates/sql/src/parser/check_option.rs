//! `CREATE [OR REPLACE] [TEMP] VIEW ... AS query WITH [LOCAL | CASCADED] CHECK OPTION`:
//! sqlparser does not parse the trailing clause. A statement that fails to parse is
//! retried with the clause moved into the view's option list as PostgreSQL's own
//! equivalent spelling, `WITH (check_option = 'local' | 'cascaded')` (CASCADED when
//! neither is named), which `session/ddl.rs` reads.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no statement of `sql` is a CREATE VIEW ending in
/// `WITH [LOCAL | CASCADED] CHECK OPTION` (without a `WITH (...)` list of its own).
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    if word(0) != Some(Keyword::CREATE) {
        return None;
    }
    // CREATE [OR REPLACE] [TEMP | TEMPORARY] [RECURSIVE] VIEW
    let mut at = 1;
    if word(at) == Some(Keyword::OR) && word(at + 1) == Some(Keyword::REPLACE) {
        at += 2;
    }
    if matches!(word(at), Some(Keyword::TEMP | Keyword::TEMPORARY | Keyword::RECURSIVE)) {
        at += 1;
    }
    if word(at) != Some(Keyword::VIEW) {
        return None;
    }
    let n = sig.len();
    if n < 4 || word(n - 2) != Some(Keyword::CHECK) || word(n - 1) != Some(Keyword::OPTION) {
        return None;
    }
    let (cut, kind) = match word(n - 3) {
        Some(Keyword::LOCAL) if n >= 4 && word(n - 4) == Some(Keyword::WITH) => (n - 4, "local"),
        Some(Keyword::CASCADED) if n >= 4 && word(n - 4) == Some(Keyword::WITH) => {
            (n - 4, "cascaded")
        }
        Some(Keyword::WITH) => (n - 3, "cascaded"),
        _ => return None,
    };
    // The first top-level AS starts the query; the option goes before it.
    super::token_rewrite::options_before_as(
        &s,
        at + 1,
        cut,
        &format!("WITH (check_option = '{kind}') "),
    )
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn moves_the_check_option_into_the_options() {
        assert_eq!(
            rewrite("CREATE VIEW v (a) AS SELECT a FROM t WHERE a > 0 WITH LOCAL CHECK OPTION")
                .unwrap(),
            "CREATE VIEW v (a) WITH (check_option = 'local') AS SELECT a FROM t WHERE a > 0 "
        );
        assert_eq!(
            rewrite("create or replace view v as select 1 with check option; select 1").unwrap(),
            "create or replace view v WITH (check_option = 'cascaded') as select 1 ; select 1"
        );
        assert!(rewrite("CREATE VIEW v AS SELECT 1").is_none());
        assert!(rewrite("CREATE VIEW v WITH (x = 1) AS SELECT 1 WITH CHECK OPTION").is_none());
    }
}
