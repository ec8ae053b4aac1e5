//! Locking clauses sqlparser does not parse: `FOR NO KEY UPDATE`, `FOR KEY SHARE` and an
//! OF list of several tables. A statement that fails to parse is retried with each
//! clause spelled the way sqlparser takes it: one clause per table of an OF list, each
//! with the list's NOWAIT / SKIP LOCKED, and the weaker strengths as `FOR UPDATE` / `FOR
//! SHARE` whose OF name starts with the marker [`WEAK_LOCK_MARKER`] (alone when the
//! clause has no OF list), which the binder takes off again to keep the real strength:
//!
//! ```text
//! for no key update of a, s.b nowait
//! FOR UPDATE OF "?key?".a NOWAIT FOR UPDATE OF "?key?".s.b NOWAIT
//! for key share
//! FOR SHARE OF "?key?"
//! ```

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The quoted name part that marks a clause as the weaker strength (`FOR NO KEY UPDATE`
/// for `FOR UPDATE`, `FOR KEY SHARE` for `FOR SHARE`).
pub const WEAK_LOCK_MARKER: &str = "?key?";

/// The rewritten text, or `None` when no statement of `sql` has such a clause.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn is_kw(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let sig: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i], Token::Whitespace(_))).collect();
    let at = |p: usize| sig.get(p).map(|&i| &tokens[i]);
    let kw = |p: usize, k: Keyword| at(p).is_some_and(|t| is_kw(t, k));
    let mut out = String::new();
    let mut changed = false;
    let mut p = 0;
    // Tokens before sig[p] not yet copied start at `copied`.
    let mut copied = 0;
    while p < sig.len() {
        let strength_len = if kw(p, Keyword::FOR) && kw(p + 1, Keyword::UPDATE) {
            Some((2, "UPDATE", false))
        } else if kw(p, Keyword::FOR) && kw(p + 1, Keyword::SHARE) {
            Some((2, "SHARE", false))
        } else if kw(p, Keyword::FOR)
            && kw(p + 1, Keyword::NO)
            && kw(p + 2, Keyword::KEY)
            && kw(p + 3, Keyword::UPDATE)
        {
            Some((4, "UPDATE", true))
        } else if kw(p, Keyword::FOR) && kw(p + 1, Keyword::KEY) && kw(p + 2, Keyword::SHARE) {
            Some((3, "SHARE", true))
        } else {
            None
        };
        let Some((len, strength, weak)) = strength_len else {
            p += 1;
            continue;
        };
        // OF name [, name ...]: each name is words joined by periods.
        let mut q = p + len;
        let mut names: Vec<String> = Vec::new();
        if kw(q, Keyword::OF) {
            q += 1;
            loop {
                let mut name = String::new();
                while let Some(Token::Word(w)) = at(q) {
                    name.push_str(&w.to_string());
                    if matches!(at(q + 1), Some(Token::Period)) {
                        name.push('.');
                        q += 2;
                    } else {
                        q += 1;
                        break;
                    }
                }
                if name.is_empty() {
                    return None;
                }
                names.push(name);
                if matches!(at(q), Some(Token::Comma)) {
                    q += 1;
                } else {
                    break;
                }
            }
        }
        let nonblock = if kw(q, Keyword::NOWAIT) {
            q += 1;
            " NOWAIT"
        } else if kw(q, Keyword::SKIP) && kw(q + 1, Keyword::LOCKED) {
            q += 2;
            " SKIP LOCKED"
        } else {
            ""
        };
        if !weak && names.len() < 2 {
            p = q.max(p + 1);
            continue;
        }
        changed = true;
        tokens[copied..sig[p]].iter().for_each(|t| out.push_str(&t.to_string()));
        let marker = if weak { format!("\"{WEAK_LOCK_MARKER}\"") } else { String::new() };
        if names.is_empty() {
            out.push_str(&format!("FOR {strength} OF {marker}{nonblock}"));
        }
        let dot = if weak { "." } else { "" };
        let clauses: Vec<String> =
            names.iter().map(|n| format!("FOR {strength} OF {marker}{dot}{n}{nonblock}")).collect();
        out.push_str(&clauses.join(" "));
        copied = sig.get(q).copied().unwrap_or(tokens.len());
        p = q;
    }
    if !changed {
        return None;
    }
    tokens[copied..].iter().for_each(|t| out.push_str(&t.to_string()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weaker_strengths_and_of_lists_become_clauses_sqlparser_reads() {
        assert_eq!(
            rewrite("SELECT * FROM t FOR NO KEY UPDATE").unwrap(),
            "SELECT * FROM t FOR UPDATE OF \"?key?\""
        );
        assert_eq!(
            rewrite("select * from a, b for key share of a, s.b skip locked").unwrap(),
            "select * from a, b FOR SHARE OF \"?key?\".a SKIP LOCKED FOR SHARE OF \"?key?\".s.b \
             SKIP LOCKED"
        );
        assert_eq!(
            rewrite("SELECT * FROM s.a, b FOR UPDATE OF s.a, b NOWAIT; SELECT 1").unwrap(),
            "SELECT * FROM s.a, b FOR UPDATE OF s.a NOWAIT FOR UPDATE OF b NOWAIT; SELECT 1"
        );
        assert_eq!(rewrite("SELECT * FROM t FOR UPDATE OF t"), None);
    }
}
