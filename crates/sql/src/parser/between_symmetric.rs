//! `BETWEEN SYMMETRIC` and `BETWEEN ASYMMETRIC`, which sqlparser does not read.
//!
//! `ASYMMETRIC` is the default and is simply dropped. For `SYMMETRIC` the lower bound is
//! wrapped in a marker call `helios_between_symmetric(low)`, which the binder unwraps to
//! test the operand against the bounds in either order (see
//! `crate::expr::bind_special`):
//!
//! ```text
//! x not between symmetric a + 1 and b
//! x not between helios_between_symmetric( a + 1 )and b
//! ```
//!
//! Unlike the rewrites tried after sqlparser refused a statement, this one runs before
//! sqlparser: `BETWEEN SYMMETRIC (a) AND b` parses as a call of a function `symmetric`.
//!
//! The lower bound ends at the first `AND` at its own nesting level: parentheses,
//! brackets, `CASE ... END` and a nested `BETWEEN ... AND` are skipped over, as
//! PostgreSQL's grammar reads them.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::token_rewrite::Significant;

/// The marker function's name.
pub const BETWEEN_SYMMETRIC_MARKER: &str = "helios_between_symmetric";

/// The rewritten text, or `None` when no statement of `sql` has such a BETWEEN.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

/// What happens at one token index of the statement.
enum Edit {
    /// The `SYMMETRIC` word: the marker call opens here.
    Open,
    /// The `ASYMMETRIC` word: dropped.
    Drop,
    /// The `AND` that ends a symmetric lower bound: the marker call closes before it.
    Close,
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = Significant::new(tokens);
    let mut edits: Vec<(usize, Edit)> = Vec::new();
    for n in 1..s.sig.len() {
        if s.word(n - 1) != Some(Keyword::BETWEEN) {
            continue;
        }
        match s.word(n) {
            Some(Keyword::ASYMMETRIC) => edits.push((s.sig[n], Edit::Drop)),
            Some(Keyword::SYMMETRIC) => {
                let and = bound_end(&s, n + 1)?;
                edits.push((s.sig[n], Edit::Open));
                edits.push((s.sig[and], Edit::Close));
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        match edits.iter().find(|(at, _)| *at == i).map(|(_, e)| e) {
            Some(Edit::Open) => {
                out.push_str(BETWEEN_SYMMETRIC_MARKER);
                out.push('(');
            }
            Some(Edit::Drop) => {}
            Some(Edit::Close) => {
                out.push(')');
                out.push_str(&t.to_string());
            }
            None => out.push_str(&t.to_string()),
        }
    }
    Some(out)
}

/// The significant position of the `AND` that ends a BETWEEN's lower bound starting at
/// significant position `from`; `None` when the bound has no such end.
fn bound_end(s: &Significant<'_>, from: usize) -> Option<usize> {
    let mut depth = 0i32;
    // Each open CASE and each nested BETWEEN waiting for its own AND.
    let mut pending_case = 0u32;
    let mut pending_between = 0u32;
    for n in from..s.sig.len() {
        match &s.tokens[s.sig[n]] {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ if depth > 0 => {}
            _ => match s.word(n) {
                Some(Keyword::CASE) => pending_case += 1,
                Some(Keyword::END) if pending_case > 0 => pending_case -= 1,
                Some(Keyword::BETWEEN) => pending_between += 1,
                Some(Keyword::AND) if pending_case > 0 => {}
                Some(Keyword::AND) if pending_between > 0 => pending_between -= 1,
                Some(Keyword::AND) => return Some(n),
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn symmetric_bounds_become_markers() {
        assert_eq!(
            rewrite("select 2 between symmetric 3 and 1").as_deref(),
            Some("select 2 between helios_between_symmetric( 3 )and 1")
        );
        assert_eq!(
            rewrite("select x not between asymmetric 1 and 3 from t").as_deref(),
            Some("select x not between  1 and 3 from t")
        );
        assert_eq!(
            rewrite("select x between symmetric case when a and b then 1 end and (y and z)")
                .as_deref(),
            Some(
                "select x between helios_between_symmetric( case when a and b then 1 end )and \
                 (y and z)"
            )
        );
        assert_eq!(rewrite("select x between 1 and 2"), None);
        assert_eq!(rewrite("select x between symmetric 1"), None);
    }
}
