//! The SEARCH and CYCLE clauses of a recursive WITH query, which sqlparser does not
//! read, rewritten into the plain recursive query they stand for (as PostgreSQL's
//! rewriter does):
//!
//! ```text
//! name(cols) AS (L UNION [ALL] R)
//!     SEARCH {DEPTH | BREADTH} FIRST BY c, ... SET seq
//!     CYCLE c, ... SET mark [TO v DEFAULT d] USING path
//! ```
//!
//! becomes `name(cols, seq, mark, path) AS (L' UNION [ALL] R')` with
//!
//! ```text
//! L' = SELECT l.*, <first values> FROM (L) AS l(cols)
//! R' = SELECT r.cols, <next values> FROM (R + q.seq, q.mark, q.path) AS r(cols, prev...)
//! ```
//!
//! where `q` is R's reference to `name` and, for CYCLE, R also gets `AND q.mark <> v`.
//! The added columns:
//!
//! | column | first value | next value |
//! |---|---|---|
//! | DEPTH seq | `ARRAY[ROW(c, ...)]` | `prev_seq \|\| ARRAY[ROW(c, ...)]` |
//! | BREADTH seq | `ROW(0::int8, c, ...)` | `ROW((prev_seq).f1 + 1, c, ...)` |
//! | mark | `d` | `CASE WHEN ROW(c, ...) = ANY(prev_path) THEN v ELSE d END` |
//! | path | `ARRAY[ROW(c, ...)]` | `prev_path \|\| ARRAY[ROW(c, ...)]` |
//!
//! TO / DEFAULT default to `true` / `false`.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{ident_name, syntax_error};

/// `SEARCH {DEPTH | BREADTH} FIRST BY cols SET seq`.
struct Search {
    breadth: bool,
    by: Vec<String>,
    seq: String,
}

/// `CYCLE cols SET mark [TO v DEFAULT d] USING path`.
struct Cycle {
    cols: Vec<String>,
    mark: String,
    to: String,
    default: String,
    path: String,
}

/// The batch with every WITH query's SEARCH / CYCLE clause rewritten; `None` when it
/// has none.
pub(super) fn rewrite(sql: &str) -> Result<Option<String>> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Ok(None);
    };
    let sig: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i], Token::Whitespace(_))).collect();
    let word = |n: usize, w: &str| {
        sig.get(n).is_some_and(
            |&i| matches!(&tokens[i], Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w)),
        )
    };
    let mut out = String::with_capacity(sql.len() + 256);
    let mut copied = 0; // tokens before this index are in `out` (or replaced)
    let mut changed = false;
    let mut n = 1;
    while n < sig.len() {
        let clause = (word(n, "search") && (word(n + 1, "depth") || word(n + 1, "breadth")))
            || (word(n, "cycle") && !word(n + 1, "as"));
        if !clause || tokens[sig[n - 1]] != Token::RParen {
            n += 1;
            continue;
        }
        let Some(cte) = cte_before(&tokens, &sig, n - 1) else {
            n += 1;
            continue;
        };
        if cte.name_at < copied {
            // A clause of a WITH query inside another one's body, rewritten already.
            return Err(Error::unsupported("SEARCH or CYCLE clauses of nested WITH queries"));
        }
        let (search, cycle, end) = parse_clauses(&tokens, &sig, n)?;
        let body_text: String =
            tokens[cte.open + 1..sig[n - 1]].iter().map(ToString::to_string).collect();
        let body = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&body_text)
            .and_then(|mut p| p.parse_query())
            .map_err(syntax_error)?;
        let new = rewrite_cte(&cte.name, cte.columns, &body, search.as_ref(), cycle.as_ref())?;
        for t in &tokens[copied..cte.name_at] {
            out.push_str(&t.to_string());
        }
        out.push_str(&new.columns_text(&tokens[cte.name_at]));
        out.push_str(" AS ");
        for t in &tokens[cte.as_at + 1..cte.open] {
            out.push_str(&t.to_string());
        }
        out.push('(');
        out.push_str(&new.body);
        out.push_str(") ");
        copied = sig.get(end).copied().unwrap_or(tokens.len());
        changed = true;
        n = end;
    }
    if !changed {
        return Ok(None);
    }
    for t in &tokens[copied..] {
        out.push_str(&t.to_string());
    }
    Ok(Some(out))
}

/// Where a WITH query's definition stands in the tokens.
struct CteAt {
    /// Token index of its name.
    name_at: usize,
    /// Its name.
    name: String,
    /// Its column list, when it has one.
    columns: Option<Vec<String>>,
    /// Token index of its `AS`.
    as_at: usize,
    /// Token index of the `(` opening its query.
    open: usize,
}

/// The WITH query whose body's closing parenthesis is significant token `close`:
/// `name [(cols)] AS [[NOT] MATERIALIZED] ( ... )`.
fn cte_before(tokens: &[Token], sig: &[usize], close: usize) -> Option<CteAt> {
    let mut depth = 0;
    let mut open = None;
    for p in (0..=close).rev() {
        match tokens[sig[p]] {
            Token::RParen => depth += 1,
            Token::LParen => {
                depth -= 1;
                if depth == 0 {
                    open = Some(p);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let is = |p: usize, w: &str| matches!(&tokens[sig[p]], Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let mut p = open.checked_sub(1)?;
    if is(p, "materialized") {
        p = p.checked_sub(1)?;
        if is(p, "not") {
            p = p.checked_sub(1)?;
        }
    }
    if !is(p, "as") {
        return None;
    }
    let as_at = p;
    p = p.checked_sub(1)?;
    let mut columns = None;
    if tokens[sig[p]] == Token::RParen {
        let close_cols = p;
        while tokens[sig[p]] != Token::LParen {
            p = p.checked_sub(1)?;
        }
        let names: Vec<String> = (p + 1..close_cols)
            .filter_map(|q| match &tokens[sig[q]] {
                Token::Word(w) => Some(word_name(w)),
                _ => None,
            })
            .collect();
        columns = Some(names);
        p = p.checked_sub(1)?;
    }
    let Token::Word(name) = &tokens[sig[p]] else { return None };
    Some(CteAt {
        name_at: sig[p],
        name: word_name(name),
        columns,
        as_at: sig[as_at],
        open: sig[open],
    })
}

fn word_name(w: &sqlparser::tokenizer::Word) -> String {
    let id = match w.quote_style {
        Some(q) => ast::Ident::with_quote(q, w.value.clone()),
        None => ast::Ident::new(w.value.clone()),
    };
    ident_name(&id)
}

/// Reads the SEARCH and / or CYCLE clauses from significant token `n`; returns them and
/// the significant token after them.
fn parse_clauses(
    tokens: &[Token],
    sig: &[usize],
    mut n: usize,
) -> Result<(Option<Search>, Option<Cycle>, usize)> {
    let tok = |n: usize| sig.get(n).map(|&i| &tokens[i]);
    let is = |n: usize, w: &str| matches!(tok(n), Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let bad =
        |what: &str| Error::new(SqlState::SYNTAX_ERROR, format!("syntax error in {what} clause"));
    let name = |n: usize| match tok(n) {
        Some(Token::Word(w)) => Some(word_name(w)),
        _ => None,
    };
    // `a, b, ...` from n; returns the names and the token after them.
    let names = |mut n: usize| {
        let mut out = Vec::new();
        loop {
            out.push(name(n)?);
            n += 1;
            if tok(n) != Some(&Token::Comma) {
                return Some((out, n));
            }
            n += 1;
        }
    };
    let mut search = None;
    if is(n, "search") {
        let breadth = is(n + 1, "breadth");
        if !(is(n + 2, "first") && is(n + 3, "by")) {
            return Err(bad("SEARCH"));
        }
        let (by, m) = names(n + 4).ok_or_else(|| bad("SEARCH"))?;
        if !is(m, "set") {
            return Err(bad("SEARCH"));
        }
        let seq = name(m + 1).ok_or_else(|| bad("SEARCH"))?;
        search = Some(Search { breadth, by, seq });
        n = m + 2;
    }
    let mut cycle = None;
    if is(n, "cycle") {
        let (cols, m) = names(n + 1).ok_or_else(|| bad("CYCLE"))?;
        if !is(m, "set") {
            return Err(bad("CYCLE"));
        }
        let mark = name(m + 1).ok_or_else(|| bad("CYCLE"))?;
        let mut m = m + 2;
        let (mut to, mut default) = ("true".to_string(), "false".to_string());
        if is(m, "to") {
            let text = |from: usize, to: usize| -> String {
                (from..to)
                    .map(|k| sig[k])
                    .flat_map(|i| [tokens[i].to_string(), " ".into()])
                    .collect()
            };
            let d = (m + 1..sig.len()).find(|&k| is(k, "default")).ok_or_else(|| bad("CYCLE"))?;
            let u = (d + 1..sig.len()).find(|&k| is(k, "using")).ok_or_else(|| bad("CYCLE"))?;
            to = text(m + 1, d);
            default = text(d + 1, u);
            m = u;
        }
        if !is(m, "using") {
            return Err(bad("CYCLE"));
        }
        let path = name(m + 1).ok_or_else(|| bad("CYCLE"))?;
        cycle = Some(Cycle { cols, mark, to, default, path });
        n = m + 2;
    }
    Ok((search, cycle, n))
}

/// A rewritten WITH query: its column names and its query text.
struct NewCte {
    columns: Vec<String>,
    body: String,
}

impl NewCte {
    fn columns_text(&self, name: &Token) -> String {
        let cols: Vec<String> = self.columns.iter().map(|c| quote(c)).collect();
        format!("{name}({})", cols.join(", "))
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn err(state: SqlState, message: String) -> Error {
    Error::new(state, message)
}

/// Checks the clauses against the query's columns (PostgreSQL's errors).
fn check(columns: &[String], search: Option<&Search>, cycle: Option<&Cycle>) -> Result<()> {
    let syntax = SqlState::SYNTAX_ERROR;
    let duplicate = SqlState::from_code("42701");
    if let Some(s) = search {
        for (i, c) in s.by.iter().enumerate() {
            if !columns.contains(c) {
                return Err(err(
                    syntax,
                    format!("search column \"{c}\" not in WITH query column list"),
                ));
            }
            if s.by[..i].contains(c) {
                return Err(err(
                    duplicate,
                    format!("search column \"{c}\" specified more than once"),
                ));
            }
        }
        if columns.contains(&s.seq) {
            return Err(err(
                syntax,
                format!(
                    "search sequence column name \"{}\" already used in WITH query column list",
                    s.seq
                ),
            ));
        }
    }
    if let Some(c) = cycle {
        for (i, col) in c.cols.iter().enumerate() {
            if !columns.contains(col) {
                return Err(err(
                    syntax,
                    format!("cycle column \"{col}\" not in WITH query column list"),
                ));
            }
            if c.cols[..i].contains(col) {
                return Err(err(
                    duplicate,
                    format!("cycle column \"{col}\" specified more than once"),
                ));
            }
        }
        if columns.contains(&c.mark) {
            return Err(err(
                syntax,
                format!(
                    "cycle mark column name \"{}\" already used in WITH query column list",
                    c.mark
                ),
            ));
        }
        if columns.contains(&c.path) {
            return Err(err(
                syntax,
                format!(
                    "cycle path column name \"{}\" already used in WITH query column list",
                    c.path
                ),
            ));
        }
        if c.mark == c.path {
            return Err(err(
                syntax,
                "cycle mark column name and cycle path column name are the same".into(),
            ));
        }
    }
    if let (Some(s), Some(c)) = (search, cycle) {
        if s.seq == c.mark {
            return Err(err(
                syntax,
                "search sequence column name and cycle mark column name are the same".into(),
            ));
        }
        if s.seq == c.path {
            return Err(err(
                syntax,
                "search sequence column name and cycle path column name are the same".into(),
            ));
        }
    }
    Ok(())
}

/// The SELECT of a set operation side (possibly parenthesized).
fn side_select(e: &ast::SetExpr) -> Option<&ast::Select> {
    match e {
        ast::SetExpr::Select(s) => Some(s),
        ast::SetExpr::Query(q) if q.with.is_none() => side_select(&q.body),
        _ => None,
    }
}

/// The qualifier of `select`'s FROM item that reads WITH query `name`.
fn recursive_ref(select: &ast::Select, name: &str) -> Option<String> {
    let factors = select
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for f in factors {
        if let ast::TableFactor::Table { name: table, alias, .. } = f {
            let last = table.0.last().and_then(|p| p.as_ident()).map(ident_name);
            if table.0.len() == 1 && last.as_deref() == Some(name) {
                return Some(
                    alias.as_ref().map_or_else(|| name.to_string(), |a| ident_name(&a.name)),
                );
            }
        }
    }
    None
}

/// The output names of a SELECT list of named items; `None` when one has no name.
fn select_names(select: &ast::Select) -> Option<Vec<String>> {
    select
        .projection
        .iter()
        .map(|item| match item {
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(ident_name(alias)),
            ast::SelectItem::UnnamedExpr(ast::Expr::Identifier(id)) => Some(ident_name(id)),
            ast::SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(ids)) => {
                ids.last().map(ident_name)
            }
            _ => None,
        })
        .collect()
}

fn rewrite_cte(
    name: &str,
    columns: Option<Vec<String>>,
    body: &ast::Query,
    search: Option<&Search>,
    cycle: Option<&Cycle>,
) -> Result<NewCte> {
    let unsupported = |m: &str| Err(err(SqlState::FEATURE_NOT_SUPPORTED, m.to_string()));
    let ast::SetExpr::SetOperation { op: ast::SetOperator::Union, set_quantifier, left, right } =
        body.body.as_ref()
    else {
        return unsupported(
            "with a SEARCH or CYCLE clause, the WITH query must be a recursive UNION",
        );
    };
    if body.order_by.is_some() || body.limit_clause.is_some() || body.with.is_some() {
        return unsupported(
            "with a SEARCH or CYCLE clause, the WITH query may not have ORDER BY, LIMIT or WITH",
        );
    }
    let left_select = match left.as_ref() {
        ast::SetExpr::SetOperation { .. } => {
            return unsupported(
                "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT",
            );
        }
        l => side_select(l),
    };
    let right_select = match right.as_ref() {
        ast::SetExpr::Query(q) if q.with.is_some() => {
            return unsupported(&format!("with a SEARCH or CYCLE clause, the recursive reference to WITH query \"{name}\" must be at the top level of its right-hand SELECT"));
        }
        r => side_select(r).ok_or_else(|| {
            err(
                SqlState::SYNTAX_ERROR,
                "with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT"
                    .into(),
            )
        })?,
    };
    let columns = match columns {
        Some(c) => c,
        None => left_select.and_then(select_names).ok_or_else(|| {
            err(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("a SEARCH or CYCLE clause on WITH query \"{name}\" needs its column names"),
            )
        })?,
    };
    check(&columns, search, cycle)?;
    let Some(q) = recursive_ref(right_select, name) else {
        return unsupported(&format!("with a SEARCH or CYCLE clause, the recursive reference to WITH query \"{name}\" must be at the top level of its right-hand SELECT"));
    };
    let qualified = |table: &str, c: &str| format!("{}.{}", quote(table), quote(c));
    let row = |table: &str, cols: &[String]| {
        let parts: Vec<String> = cols.iter().map(|c| qualified(table, c)).collect();
        format!("ROW({})", parts.join(", "))
    };
    // Per added column: its name, its first value (over `l`), its next value (over
    // `r`, where the previous row's values are `prev_<k>`).
    let mut added: Vec<(String, String, String)> = Vec::new();
    if let Some(s) = search {
        let prev = qualified("r", "prev_0");
        if s.breadth {
            let by: Vec<String> = s.by.iter().map(|c| qualified("l", c)).collect();
            let first = format!("ROW(0::int8, {})", by.join(", "));
            let by: Vec<String> = s.by.iter().map(|c| qualified("r", c)).collect();
            let next = format!("ROW(({prev}).f1 + 1, {})", by.join(", "));
            added.push((s.seq.clone(), first, next));
        } else {
            let first = format!("ARRAY[{}]", row("l", &s.by));
            let next = format!("{prev} || ARRAY[{}]", row("r", &s.by));
            added.push((s.seq.clone(), first, next));
        }
    }
    if let Some(c) = cycle {
        let prev_path = qualified("r", &format!("prev_{}", added.len() + 1));
        let next_mark = format!(
            "CASE WHEN {} = ANY({prev_path}) THEN {} ELSE {} END",
            row("r", &c.cols),
            c.to,
            c.default
        );
        added.push((c.mark.clone(), c.default.clone(), next_mark));
        let next_path = format!("{prev_path} || ARRAY[{}]", row("r", &c.cols));
        added.push((c.path.clone(), format!("ARRAY[{}]", row("l", &c.cols)), next_path));
    }

    // R reads the previous row's added columns; with CYCLE it stops at a cycle. A `*`
    // over the recursive reference means its columns as written.
    let mut r = right_select.clone();
    let reference = |c: &str| {
        ast::Expr::CompoundIdentifier(vec![
            ast::Ident::with_quote('"', q.clone()),
            ast::Ident::with_quote('"', c),
        ])
    };
    let only_reference = r.from.len() == 1 && r.from[0].joins.is_empty();
    let mut projection = Vec::new();
    for item in std::mem::take(&mut r.projection) {
        let over_reference = match &item {
            ast::SelectItem::Wildcard(_) => only_reference,
            ast::SelectItem::QualifiedWildcard(
                ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                _,
            ) => n.0.len() == 1 && n.0[0].as_ident().map(ident_name).as_deref() == Some(q.as_str()),
            _ => false,
        };
        if over_reference {
            projection.extend(columns.iter().map(|c| ast::SelectItem::UnnamedExpr(reference(c))));
        } else {
            projection.push(item);
        }
    }
    for (k, (col, _, _)) in added.iter().enumerate() {
        projection.push(ast::SelectItem::ExprWithAlias {
            expr: reference(col),
            alias: ast::Ident::new(format!("prev_{k}")),
        });
    }
    r.projection = projection;
    if let Some(c) = cycle {
        let stop = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&format!("{} <> {}", qualified(&q, &c.mark), c.to))
            .and_then(|mut p| p.parse_expr())
            .map_err(syntax_error)?;
        r.selection = Some(match r.selection.take() {
            Some(w) => ast::Expr::BinaryOp {
                left: Box::new(ast::Expr::Nested(Box::new(w))),
                op: ast::BinaryOperator::And,
                right: Box::new(stop),
            },
            None => stop,
        });
    }

    let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let cols = cols.join(", ");
    let firsts: Vec<String> = added.iter().map(|(_, f, _)| f.clone()).collect();
    let nexts: Vec<String> = added.iter().map(|(_, _, n)| n.clone()).collect();
    let r_cols: Vec<String> = columns.iter().map(|c| qualified("r", c)).collect();
    let prevs: Vec<String> = (0..added.len()).map(|k| format!("prev_{k}")).collect();
    let union = match set_quantifier {
        ast::SetQuantifier::All => "UNION ALL",
        ast::SetQuantifier::Distinct => "UNION DISTINCT",
        _ => "UNION",
    };
    let body = format!(
        "SELECT \"l\".*, {} FROM ({left}) AS \"l\"({cols}) {union} SELECT {}, {} FROM ({r}) AS \"r\"({cols}, {})",
        firsts.join(", "),
        r_cols.join(", "),
        nexts.join(", "),
        prevs.join(", "),
    );
    let mut all = columns;
    all.extend(added.into_iter().map(|(c, _, _)| c));
    Ok(NewCte { columns: all, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_first_adds_a_path_column() {
        let sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) \
                   SEARCH DEPTH FIRST BY n SET seq SELECT * FROM t";
        let out = rewrite(sql).expect("rewrites").expect("has a clause");
        assert!(out.contains("t(\"n\", \"seq\")"), "{out}");
        assert!(out.contains("ARRAY[ROW(\"l\".\"n\")]"), "{out}");
        assert!(Parser::parse_sql(&PostgreSqlDialect {}, &out).is_ok(), "{out}");
    }

    #[test]
    fn cycle_stops_at_the_mark() {
        let sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) \
                   CYCLE n SET c TO 'Y' DEFAULT 'N' USING p SELECT * FROM t";
        let out = rewrite(sql).expect("rewrites").expect("has a clause");
        assert!(out.contains("<> 'Y'"), "{out}");
        assert!(Parser::parse_sql(&PostgreSqlDialect {}, &out).is_ok(), "{out}");
    }

    #[test]
    fn clause_errors() {
        let sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) \
                   SEARCH DEPTH FIRST BY m SET seq SELECT * FROM t";
        let e = rewrite(sql).expect_err("unknown column");
        assert!(e.message().contains("search column \"m\" not in WITH query column list"));
        assert_eq!(rewrite("SELECT 1 AS cycle").ok().flatten(), None);
        let nested = "WITH RECURSIVE a(x) AS (WITH RECURSIVE b(y) AS (SELECT 1 UNION ALL \
                      SELECT y FROM b) SEARCH DEPTH FIRST BY y SET s SELECT y FROM b UNION ALL \
                      SELECT x FROM a) CYCLE x SET c USING p SELECT * FROM a";
        assert!(rewrite(nested).is_err());
    }
}
