//! `UPDATE t SET a[i] = v`: sqlparser has no subscripted assignment targets, so an UPDATE
//! that fails to parse is retried with each `col[i]... = value` rewritten as
//! `col = helios_array_assign(col, i, value)` (nested for `col[i][j]`).

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// The rewritten text, or `None` when `sql` has no subscripted UPDATE target.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let mut i = 0;
    // Each `;`-separated statement: copy it, rewriting the SET list of an UPDATE.
    while i < tokens.len() {
        let end = statement_end(&tokens, i);
        let stmt = &tokens[i..end];
        match rewrite_update(stmt) {
            Some(text) => {
                changed = true;
                out.push(text);
            }
            None => out.extend(stmt.iter().map(|t| t.to_string())),
        }
        if end < tokens.len() {
            out.push(";".into());
        }
        i = end + 1;
    }
    changed.then(|| out.concat())
}

fn statement_end(tokens: &[Token], from: usize) -> usize {
    tokens[from..].iter().position(|t| *t == Token::SemiColon).map_or(tokens.len(), |p| from + p)
}

fn is_keyword(t: &Token, k: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k)
}

fn significant(t: &Token) -> bool {
    !matches!(t, Token::Whitespace(_))
}

fn rewrite_update(stmt: &[Token]) -> Option<String> {
    let first = stmt.iter().position(significant)?;
    if !is_keyword(&stmt[first], Keyword::UPDATE) {
        return None;
    }
    let set = depth0_positions(stmt).find(|&p| is_keyword(&stmt[p], Keyword::SET))?;
    let mut out: Vec<String> = stmt[..=set].iter().map(|t| t.to_string()).collect();
    let mut pos = set + 1;
    // The SET list: plain assignments as written, subscripted ones as `(column, value)`.
    // Several subscripted assignments to one column apply in order, each to the value
    // the previous one made, as in PostgreSQL.
    let mut items: Vec<Result<(String, String), String>> = Vec::new();
    loop {
        // One assignment: target, optional subscripts, `=`, value up to `,` or the end of
        // the SET list.
        let value_end = assignment_end(stmt, pos);
        let item = &stmt[pos..value_end];
        match subscripted(item) {
            Some(target) => {
                let earlier = items.iter_mut().find_map(|i| match i {
                    Ok((col, expr)) if *col == target.column => Some(expr),
                    _ => None,
                });
                match earlier {
                    Some(expr) => *expr = target.assign(&format!("({expr})")),
                    None => items.push(Ok((target.column.clone(), target.assign(&target.column)))),
                }
            }
            None => items.push(Err(item.iter().map(|t| t.to_string()).collect())),
        }
        pos = value_end;
        if pos < stmt.len() && stmt[pos] == Token::Comma {
            pos += 1;
            continue;
        }
        break;
    }
    if items.iter().all(Result::is_err) {
        return None;
    }
    let list: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            Ok((col, expr)) => format!(" {col} = {expr} "),
            Err(text) => text,
        })
        .collect();
    out.push(list.join(","));
    out.extend(stmt[pos..].iter().map(|t| t.to_string()));
    Some(out.concat())
}

/// Positions of the tokens outside any parentheses or brackets.
fn depth0_positions(stmt: &[Token]) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0i32;
    stmt.iter().enumerate().filter_map(move |(i, t)| {
        let here = depth;
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            _ => {}
        }
        (here == 0).then_some(i)
    })
}

/// Where the assignment starting at `from` ends: the next top-level `,`, or FROM / WHERE
/// / RETURNING, or the end of the statement.
fn assignment_end(stmt: &[Token], from: usize) -> usize {
    let mut depth = 0i32;
    for (i, t) in stmt.iter().enumerate().skip(from) {
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Comma if depth == 0 => return i,
            t if depth == 0
                && (is_keyword(t, Keyword::FROM)
                    || is_keyword(t, Keyword::WHERE)
                    || is_keyword(t, Keyword::RETURNING)) =>
            {
                return i
            }
            _ => {}
        }
    }
    stmt.len()
}

/// The nesting depth of `item[k]` relative to `item[from]`.
fn bracket_depth(item: &[Token], from: usize, k: usize) -> i32 {
    item[from..k].iter().fold(0, |d, t| match t {
        Token::LParen | Token::LBracket => d + 1,
        Token::RParen | Token::RBracket => d - 1,
        _ => d,
    })
}

/// A subscripted assignment target `col[s1]...[sn] = value`.
struct Target {
    column: String,
    subscripts: Vec<String>,
    value: String,
}

impl Target {
    /// The new value of the column, starting from `base` (the column, or what an earlier
    /// assignment to it made): `helios_array_assign(base, s1, helios_array_assign(
    /// base[s1], s2, value))`.
    fn assign(&self, base: &str) -> String {
        // Innermost first: base[s1]...[sn-1][sn] = v.
        let mut expr = format!("({})", self.value.trim());
        for n in (0..self.subscripts.len()).rev() {
            let inner: String = std::iter::once(base.to_string())
                .chain(self.subscripts[..n].iter().map(|s| format!("[{s}]")))
                .collect();
            expr = format!("helios_array_assign({inner}, ({}), {expr})", self.subscripts[n]);
        }
        expr
    }
}

/// The target of `col[i][j] = value` or `col[l:u] = value`; `None` when it has no
/// subscript. A slice subscript is written `helios_slice_bound((l), (u))` (NULL for a
/// missing bound).
fn subscripted(item: &[Token]) -> Option<Target> {
    let sig: Vec<usize> = (0..item.len()).filter(|&i| significant(&item[i])).collect();
    let col = match item.get(*sig.first()?)? {
        Token::Word(w) => Token::Word(w.clone()).to_string(),
        _ => return None,
    };
    let mut p = *sig.get(1)?;
    let mut subscripts: Vec<String> = Vec::new();
    while item.get(p) == Some(&Token::LBracket) {
        let mut depth = 0i32;
        let start = p + 1;
        let mut close = None;
        for (k, t) in item.iter().enumerate().skip(p) {
            match t {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close?;
        let text = |ts: &[Token]| -> String {
            let t: String = ts.iter().map(|t| t.to_string()).collect();
            if t.trim().is_empty() {
                "NULL".into()
            } else {
                t.trim().to_string()
            }
        };
        let colon =
            (start..close).find(|&k| item[k] == Token::Colon && bracket_depth(item, start, k) == 0);
        subscripts.push(match colon {
            Some(c) => format!(
                "helios_slice_bound(({}), ({}))",
                text(&item[start..c]),
                text(&item[c + 1..close])
            ),
            None => text(&item[start..close]),
        });
        p = close + 1;
        while item.get(p).is_some_and(|t| !significant(t)) {
            p += 1;
        }
    }
    if subscripts.is_empty() || item.get(p) != Some(&Token::Eq) {
        return None;
    }
    let value: String = item[p + 1..].iter().map(|t| t.to_string()).collect();
    Some(Target { column: col, subscripts, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_subscripted_targets_only() {
        let r = rewrite("UPDATE t SET a[2] = 'x', b = 1 WHERE id = 2").unwrap();
        assert!(r.contains("a = helios_array_assign(a, (2), ('x'))"), "{r}");
        assert!(r.contains("b = 1 WHERE id = 2"), "{r}");
        let r = rewrite("update t set m[i + 1][2] = f(1, 2) returning *").unwrap();
        assert!(
            r.contains("m = helios_array_assign(m, (i + 1), helios_array_assign(m[i + 1], (2), (f(1, 2))))"),
            "{r}"
        );
        assert_eq!(rewrite("UPDATE t SET a = b[1]"), None);
        let r = rewrite("UPDATE t SET a[1:2][:3] = '{1,2}'").unwrap();
        assert!(r.contains("helios_slice_bound((1), (2))"), "{r}");
        assert!(r.contains("helios_slice_bound((NULL), (3))"), "{r}");
        assert_eq!(rewrite("SELECT a[1] FROM t"), None);
    }

    #[test]
    fn assignments_to_one_column_compose_in_order() {
        let r = rewrite("UPDATE t SET j[0] = '0', k = 1, j['q'] = '7'").unwrap();
        assert!(
            r.contains(
                "j = helios_array_assign((helios_array_assign(j, (0), ('0'))), ('q'), ('7'))"
            ),
            "{r}"
        );
        assert!(r.contains(", k = 1"), "{r}");
        assert_eq!(r.matches("j =").count(), 1, "{r}");
    }
}
