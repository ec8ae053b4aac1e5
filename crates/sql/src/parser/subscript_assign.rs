//! `UPDATE t SET a[i] = v`: sqlparser has no subscripted assignment targets, so an UPDATE
//! that fails to parse is retried with each `col[i]... = value` rewritten as
//! `col = helios_array_assign(col, i, value)` (nested for `col[i][j]`).

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// The rewritten text, or `None` when `sql` has no subscripted UPDATE (or INSERT, or ON
/// CONFLICT DO UPDATE) target.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    // The INSERT column list first, then SET lists (an INSERT may have both).
    let inserted = rewrite_each(sql, rewrite_insert);
    let text = inserted.as_deref().unwrap_or(sql);
    rewrite_each(text, rewrite_update).or(inserted)
}

/// `sql` with every statement that `f` rewrites replaced; `None` when `f` rewrote none.
fn rewrite_each(sql: &str, f: fn(&[Token]) -> Option<String>) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let mut i = 0;
    // Each `;`-separated statement: copy it, rewriting the SET list of an UPDATE.
    while i < tokens.len() {
        let end = statement_end(&tokens, i);
        let stmt = &tokens[i..end];
        match f(stmt) {
            Some(text) => {
                changed = true;
                out.push(text);
            }
            None => out.extend(stmt.iter().map(token_text)),
        }
        if end < tokens.len() {
            out.push(";".into());
        }
        i = end + 1;
    }
    changed.then(|| out.concat())
}

/// A token as SQL text: the tokenizer unescapes string literals, so their quotes are
/// doubled again here.
fn token_text(t: &Token) -> String {
    match t {
        Token::SingleQuotedString(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    }
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
    let set = if is_keyword(&stmt[first], Keyword::UPDATE) {
        depth0_positions(stmt).find(|&p| is_keyword(&stmt[p], Keyword::SET))?
    } else if is_keyword(&stmt[first], Keyword::INSERT) {
        // `ON CONFLICT ... DO UPDATE SET`.
        let sig: Vec<usize> = depth0_positions(stmt).filter(|&p| significant(&stmt[p])).collect();
        sig.windows(3)
            .find(|w| {
                is_keyword(&stmt[w[0]], Keyword::DO)
                    && is_keyword(&stmt[w[1]], Keyword::UPDATE)
                    && is_keyword(&stmt[w[2]], Keyword::SET)
            })
            .map(|w| w[2])?
    } else {
        return None;
    };
    let mut out: Vec<String> = stmt[..=set].iter().map(token_text).collect();
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
            None => items.push(Err(item.iter().map(token_text).collect())),
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
    out.extend(stmt[pos..].iter().map(token_text));
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
/// subscript. A slice subscript is written `helios_slice_bound((l), (u))`
/// (`helios_omitted` for a missing bound).
fn subscripted(item: &[Token]) -> Option<Target> {
    let (column, subscripts, p) = target_parts(item)?;
    if subscripts.is_empty() || item.get(p) != Some(&Token::Eq) {
        return None;
    }
    let value: String = item[p + 1..].iter().map(token_text).collect();
    Some(Target { column, subscripts, value })
}

/// A column name and its subscripts (rewritten as for [`Target`]), and the position of
/// the first significant token after them.
fn target_parts(item: &[Token]) -> Option<(String, Vec<String>, usize)> {
    let sig: Vec<usize> = (0..item.len()).filter(|&i| significant(&item[i])).collect();
    let col = match item.get(*sig.first()?)? {
        Token::Word(w) => Token::Word(w.clone()).to_string(),
        _ => return None,
    };
    let mut p = sig.get(1).copied().unwrap_or(item.len());
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
            let t: String = ts.iter().map(token_text).collect();
            if t.trim().is_empty() {
                "helios_omitted".into()
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
    Some((col, subscripts, p))
}

/// `INSERT INTO t (a[1:2], b) VALUES (v, w), ...`: each subscripted column's value
/// becomes an assignment into a NULL of the column's type, `(NULL::t).a`.
fn rewrite_insert(stmt: &[Token]) -> Option<String> {
    let sig: Vec<usize> = (0..stmt.len()).filter(|&i| significant(&stmt[i])).collect();
    if !is_keyword(&stmt[*sig.first()?], Keyword::INSERT)
        || !is_keyword(&stmt[*sig.get(1)?], Keyword::INTO)
    {
        return None;
    }
    let open = *sig.iter().skip(2).find(|&&i| stmt[i] == Token::LParen)?;
    let table: String = stmt[sig[1] + 1..open].iter().map(token_text).collect();
    let table = table.trim().to_string();
    if table.is_empty() {
        return None;
    }
    let close = matching_close(stmt, open)?;
    let columns = split_depth1(stmt, open, close);
    let mut targets = Vec::with_capacity(columns.len());
    for (from, to) in &columns {
        let item = &stmt[*from..*to];
        let (col, subs, p) = target_parts(item)?;
        if item[p.min(item.len())..].iter().any(significant) {
            return None;
        }
        targets.push((col, subs));
    }
    if targets.iter().all(|(_, s)| s.is_empty()) {
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    if !targets.iter().all(|(c, _)| seen.insert(c.clone())) {
        return None;
    }
    let values = (close + 1..stmt.len()).find(|&i| significant(&stmt[i]))?;
    if !is_keyword(&stmt[values], Keyword::VALUES) {
        return None;
    }
    let mut out: Vec<String> = stmt[..open].iter().map(token_text).collect();
    let names: Vec<&str> = targets.iter().map(|(c, _)| c.as_str()).collect();
    out.push(format!("({}) VALUES ", names.join(", ")));
    // Each row `( ... )`, separated by commas, up to whatever follows the last one.
    let mut pos = values + 1;
    let mut first = true;
    loop {
        let start = (pos..stmt.len()).find(|&i| significant(&stmt[i]))?;
        if stmt[start] != Token::LParen {
            return None;
        }
        let end = matching_close(stmt, start)?;
        let items = split_depth1(stmt, start, end);
        if items.len() != targets.len() {
            return None;
        }
        let row: Vec<String> = items
            .iter()
            .zip(&targets)
            .map(|((f, t), (col, subs))| {
                let value: String = stmt[*f..*t].iter().map(token_text).collect();
                if subs.is_empty() {
                    return value;
                }
                let target = Target { column: col.clone(), subscripts: subs.clone(), value };
                target.assign(&format!("(NULL::{table}).{col}"))
            })
            .collect();
        if !first {
            out.push(", ".into());
        }
        first = false;
        out.push(format!("({})", row.join(", ")));
        pos = end + 1;
        match (pos..stmt.len()).find(|&i| significant(&stmt[i])) {
            Some(i) if stmt[i] == Token::Comma => pos = i + 1,
            _ => break,
        }
    }
    out.extend(stmt[pos..].iter().map(token_text));
    Some(out.concat())
}

/// The position of the `)` matching the `(` at `open`.
fn matching_close(stmt: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (k, t) in stmt.iter().enumerate().skip(open) {
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The comma-separated items between `open` and `close` (exclusive), as ranges.
fn split_depth1(stmt: &[Token], open: usize, close: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = open + 1;
    for (k, t) in stmt.iter().enumerate().take(close).skip(open + 1) {
        match t {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Comma if depth == 0 => {
                out.push((start, k));
                start = k + 1;
            }
            _ => {}
        }
    }
    out.push((start, close));
    out
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
        assert!(r.contains("helios_slice_bound((helios_omitted), (3))"), "{r}");
        assert_eq!(rewrite("SELECT a[1] FROM t"), None);
    }

    #[test]
    fn rewrites_on_conflict_set_lists() {
        let r = rewrite(
            "insert into t(pk, f1[1:2]) values (1, '{6,7}') on conflict (pk) \
             do update set f1[1] = excluded.f1[1] returning pk",
        )
        .unwrap();
        assert!(r.contains("(NULL::t).f1"), "{r}");
        assert!(r.contains("f1 = helios_array_assign(f1, (1), (excluded.f1[1]))"), "{r}");
        assert!(r.contains("returning pk"), "{r}");
    }

    #[test]
    fn keeps_quotes_in_string_literals() {
        let r = rewrite("UPDATE t SET c[NULL] = '{\"can''t\"}' WHERE x = 'it''s'").unwrap();
        assert!(r.contains("('{\"can''t\"}')"), "{r}");
        assert!(r.contains("x = 'it''s'"), "{r}");
    }

    #[test]
    fn rewrites_subscripted_insert_columns() {
        let r = rewrite("INSERT INTO s.t (a[1:2], b, c[3]) VALUES ('{1,2}', 1, 5), (NULL, 2, 6)")
            .unwrap();
        assert!(r.contains("INSERT INTO s.t (a, b, c) VALUES"), "{r}");
        assert!(
            r.contains(
                "helios_array_assign((NULL::s.t).a, (helios_slice_bound((1), (2))), ('{1,2}'))"
            ),
            "{r}"
        );
        assert!(r.contains("helios_array_assign((NULL::s.t).c, (3), (6))"), "{r}");
        assert_eq!(rewrite("INSERT INTO t (a, b) VALUES (1, 2)"), None);
        assert_eq!(rewrite("INSERT INTO t (a[1]) SELECT 1"), None);
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
