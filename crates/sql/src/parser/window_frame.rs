//! Window frame syntax sqlparser does not read:
//!
//! - the frame exclusion `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS`, which
//!   sqlparser's `WindowFrame` has no place for. The clause is removed and carried as a
//!   marker sort key `helios_frame_exclude('ties')` appended to the window's ORDER BY,
//!   which the binder takes out again (see `crate::expr::window_frame`). `NO OTHERS`
//!   is the default and is simply dropped;
//! - an offset that starts with a string (`'1 year'::interval PRECEDING`): sqlparser
//!   reads a leading string as a MySQL interval literal and stops at `::`, so the
//!   offset is put in parentheses;
//! - `unbounded(1) PRECEDING` or `unbounded.x PRECEDING`, a function or a column named
//!   `unbounded` (PostgreSQL reads the keyword so only before PRECEDING / FOLLOWING):
//!   the name is quoted.
//!
//! ```text
//! over (order by x rows between 1 preceding and 1 following exclude ties)
//! over (order by x , helios_frame_exclude('ties') rows between 1 preceding and 1 following )
//! ```

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::token_rewrite::Significant;

/// The marker function's name.
pub const FRAME_EXCLUDE_MARKER: &str = "helios_frame_exclude";

/// The rewritten text, or `None` when no statement of `sql` has such a frame.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

/// What to do with one token of the statement.
#[derive(Clone, Default)]
struct Edit {
    /// Text put before the token.
    before: String,
    /// Text put after the token.
    after: String,
    /// The token is left out.
    drop: bool,
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = Significant::new(tokens);
    let n = s.sig.len();
    // The paren depth of every significant token (a paren has the depth outside it).
    let mut depth = vec![0i32; n];
    let mut d = 0i32;
    for (p, &i) in s.sig.iter().enumerate() {
        match tokens[i] {
            Token::LParen => {
                depth[p] = d;
                d += 1;
            }
            Token::RParen => {
                d -= 1;
                depth[p] = d;
            }
            _ => depth[p] = d,
        }
    }
    let mut edits = vec![Edit::default(); tokens.len()];
    let mut changed = false;
    for unit in 1..n {
        if !matches!(s.word(unit), Some(Keyword::ROWS | Keyword::RANGE | Keyword::GROUPS))
            || matches!(s.tokens[s.sig[unit - 1]], Token::Comma)
            || s.word(unit - 1) == Some(Keyword::BY)
        {
            continue;
        }
        let level = depth[unit];
        // The frame runs to the `)` closing the window specification.
        let Some(close) = (unit + 1..n).find(|&p| depth[p] < level) else {
            continue;
        };
        let top: Vec<usize> = (unit + 1..close).filter(|&p| depth[p] == level).collect();
        let is_frame = top.iter().any(|&p| {
            matches!(s.word(p), Some(Keyword::PRECEDING | Keyword::FOLLOWING | Keyword::ROW))
        });
        if !is_frame {
            continue;
        }
        // Offsets starting with a string: each bound starts after the unit, BETWEEN or
        // AND, and ends at PRECEDING / FOLLOWING.
        let mut p = unit + 1;
        while p < close {
            let starts_bound =
                matches!(s.word(p - 1), Some(Keyword::BETWEEN | Keyword::AND)) || p == unit + 1;
            // `unbounded(1)` and `unbounded.x` are a function and a column, as in
            // PostgreSQL's grammar: quoted, sqlparser reads them so.
            if starts_bound
                && depth[p] == level
                && word_is(&s, p, "unbounded")
                && matches!(
                    s.sig.get(p + 1).map(|&i| &tokens[i]),
                    Some(Token::LParen | Token::Period)
                )
            {
                edits[s.sig[p]].drop = true;
                edits[s.sig[p]].before.push_str("\"unbounded\"");
                changed = true;
            }
            if starts_bound
                && depth[p] == level
                && matches!(tokens[s.sig[p]], Token::SingleQuotedString(_))
            {
                let end = (p..close).find(|&q| {
                    depth[q] == level
                        && matches!(s.word(q), Some(Keyword::PRECEDING | Keyword::FOLLOWING))
                })?;
                edits[s.sig[p]].before.push('(');
                edits[s.sig[end - 1]].after.push(')');
                changed = true;
                p = end;
            }
            p += 1;
        }
        // The exclusion clause.
        let Some(&excl) = top.iter().find(|&&p| word_is(&s, p, "exclude")) else { continue };
        let kind = if s.word(excl + 1) == Some(Keyword::CURRENT)
            && s.word(excl + 2) == Some(Keyword::ROW)
        {
            Some(("current row", 3))
        } else if s.word(excl + 1) == Some(Keyword::GROUP) {
            Some(("group", 2))
        } else if word_is(&s, excl + 1, "ties") {
            Some(("ties", 2))
        } else if s.word(excl + 1) == Some(Keyword::NO) && word_is(&s, excl + 2, "others") {
            None
        } else {
            continue;
        };
        let len = kind.map_or(3, |(_, len)| len);
        if excl + len != close {
            continue;
        }
        for p in excl..excl + len {
            edits[s.sig[p]].drop = true;
        }
        if let Some((kind, _)) = kind {
            // The window's own ORDER BY, if it has one, precedes the frame at its level.
            let open = (0..unit).rev().find(|&p| depth[p] == level - 1 && is_lparen(&s, p))?;
            let has_order =
                (open + 1..unit).any(|p| depth[p] == level && s.word(p) == Some(Keyword::ORDER));
            let marker = format!("{FRAME_EXCLUDE_MARKER}('{kind}') ");
            let text = if has_order { format!(", {marker}") } else { format!("ORDER BY {marker}") };
            edits[s.sig[unit]].before.push_str(&text);
        }
        changed = true;
    }
    if !changed {
        return None;
    }
    let mut out = String::new();
    for (t, e) in tokens.iter().zip(&edits) {
        out.push_str(&e.before);
        if !e.drop {
            out.push_str(&t.to_string());
        }
        out.push_str(&e.after);
    }
    Some(out)
}

fn is_lparen(s: &Significant<'_>, p: usize) -> bool {
    matches!(s.tokens[s.sig[p]], Token::LParen)
}

/// Whether the p-th significant token is the unquoted word `w` (lower case).
fn word_is(s: &Significant<'_>, p: usize, w: &str) -> bool {
    match s.sig.get(p).map(|&i| &s.tokens[i]) {
        Some(Token::Word(word)) => word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn exclusions_become_order_by_markers() {
        assert_eq!(
            rewrite("select sum(x) over (order by x rows between 1 preceding and 1 following exclude ties) from t").as_deref(),
            Some("select sum(x) over (order by x , helios_frame_exclude('ties') rows between 1 preceding and 1 following  ) from t")
        );
        assert_eq!(
            rewrite("select sum(x) over (w range unbounded preceding exclude current row)").as_deref(),
            Some("select sum(x) over (w ORDER BY helios_frame_exclude('current row') range unbounded preceding   )")
        );
        assert_eq!(
            rewrite("select sum(x) over (rows current row exclude no others)").as_deref(),
            Some("select sum(x) over (rows current row   )")
        );
        assert_eq!(rewrite("select sum(x) over (order by rows rows unbounded preceding)"), None);
    }

    #[test]
    fn unbounded_names_are_quoted() {
        assert_eq!(
            rewrite("select sum(x) over (rows between unbounded(1) preceding and unbounded.x following) from t").as_deref(),
            Some("select sum(x) over (rows between \"unbounded\"(1) preceding and \"unbounded\".x following) from t")
        );
    }

    #[test]
    fn string_offsets_are_parenthesized() {
        assert_eq!(
            rewrite("select sum(x) over (order by d range between '1 year'::interval preceding and '1 day' following)").as_deref(),
            Some("select sum(x) over (order by d range between ('1 year'::interval) preceding and ('1 day') following)")
        );
    }
}
