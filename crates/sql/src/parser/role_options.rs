//! PostgreSQL's role statements that sqlparser reads differently: `CREATE USER` (its
//! parser takes Snowflake's form) becomes `CREATE ROLE ... LOGIN`, and the noise word
//! `ENCRYPTED` before `PASSWORD` (PostgreSQL always stores passwords hashed) is dropped.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The rewritten text, or `None` when no statement of `sql` needs it. Called only for
/// texts that mention `user` or `encrypted` (cheap pre-check by the caller).
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    let create_user = word(0) == Some(Keyword::CREATE)
        && word(1) == Some(Keyword::USER)
        && word(2) != Some(Keyword::MAPPING);
    let role_statement = create_user
        || (matches!(word(0), Some(Keyword::CREATE | Keyword::ALTER))
            && matches!(word(1), Some(Keyword::ROLE | Keyword::USER | Keyword::GROUP)));
    let encrypted: Vec<usize> = (0..sig.len())
        .filter(|&n| word(n) == Some(Keyword::ENCRYPTED) && word(n + 1) == Some(Keyword::PASSWORD))
        .map(|n| sig[n])
        .collect();
    if !role_statement || (!create_user && encrypted.is_empty()) {
        return None;
    }
    let has_login =
        (0..sig.len()).any(|n| matches!(word(n), Some(Keyword::LOGIN | Keyword::NOLOGIN)));
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if encrypted.contains(&i) {
            continue;
        }
        if create_user && i == sig[1] {
            out.push_str("ROLE");
        } else {
            out.push_str(&t.to_string());
        }
    }
    if create_user && !has_login {
        out.push_str(" LOGIN");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn create_user_is_a_role_that_logs_in() {
        assert_eq!(rewrite("CREATE USER alice").as_deref(), Some("CREATE ROLE alice LOGIN"));
        assert_eq!(
            rewrite("create user bob with encrypted password 'x' nologin").as_deref(),
            Some("create ROLE bob with  password 'x' nologin")
        );
        assert_eq!(rewrite("CREATE USER MAPPING FOR x SERVER s"), None);
        assert_eq!(rewrite("SELECT current_user"), None);
        assert_eq!(
            rewrite("ALTER ROLE a ENCRYPTED PASSWORD 'p'").as_deref(),
            Some("ALTER ROLE a  PASSWORD 'p'")
        );
    }
}
