//! Parser glue: text in, statements out.
//!
//! Our own statements (branches, time travel, ...) are recognised here first; everything
//! else goes to `sqlparser` with its PostgreSQL dialect. This module also holds the
//! helpers that turn sqlparser identifiers into PostgreSQL names (unquoted identifiers
//! fold to lower case).

pub mod aggregate;
pub mod alter_domain;
pub mod alter_sequence;
mod between_symmetric;
mod check_option;
pub mod constraints;
pub mod ctas_columns;
mod current_of;
pub mod cursor;
mod depth;
mod dialect;
pub mod drop_expression;
pub mod fk_set_columns;
pub mod helios;
mod identity_sequence_name;
mod literals;
mod lock_clauses;
mod lock_without_from;
pub mod maintenance;
pub mod matview_data;
mod merge_syntax;
mod names;
mod owner_to;
pub mod place;
mod placeholders;
mod recursive_view;
pub mod reindex;
mod reset_time_zone;
mod role_options;
pub mod routine;
mod search_cycle;
pub mod set_schema;
mod subscript_assign;
mod token_rewrite;
mod variadic_args;
mod window_frame;

pub use between_symmetric::BETWEEN_SYMMETRIC_MARKER;
pub use current_of::CURRENT_OF_MARKER;
pub use depth::{stack_depth_error, statement_depth, with_stack_for, MAX_EXPR_DEPTH};
pub use literals::{parameterize, Parameterized};
pub use lock_clauses::WEAK_LOCK_MARKER;
pub use names::{cte_names, ident_name, object_name, QualifiedName};
pub use placeholders::rewrite_question_marks;
pub use variadic_args::VARIADIC_MARKER;
pub use window_frame::FRAME_EXCLUDE_MARKER;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// One parsed statement.
#[derive(Debug, Clone)]
pub enum Statement {
    /// A statement sqlparser understands.
    Sql(Box<ast::Statement>),
    /// One of our own statements (branches, ...), see [`helios`].
    Helios(Box<helios::HeliosStatement>),
    /// `ALTER SEQUENCE`, see [`alter_sequence`].
    AlterSequence(Box<alter_sequence::AlterSequence>),
    /// `FETCH` or `MOVE` on a cursor, see [`cursor`].
    Cursor(Box<cursor::CursorMove>),
    /// `CREATE DOMAIN`, `ALTER DOMAIN` or `ALTER TYPE ... OWNER TO`, see
    /// [`alter_domain`].
    Domain(Box<alter_domain::DomainStatement>),
    /// `DO`, `CREATE TRIGGER`, `CREATE PROCEDURE`, see [`routine`].
    Routine(Box<routine::RoutineStatement>),
    /// `REINDEX`, see [`reindex`].
    Reindex(Box<reindex::Reindex>),
    /// `SET CONSTRAINTS` or `ALTER TABLE ... ALTER CONSTRAINT`, see [`constraints`].
    Constraints(Box<constraints::ConstraintStatement>),
}

/// Parses `sql` into its `;`-separated statements (empty statements are skipped).
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let mut stmts = parse_unchecked(sql)?;
    for s in &mut stmts {
        if let Statement::Sql(s) = s {
            depth::check_depth(s)?;
        }
    }
    Ok(stmts)
}

/// The deepest expression nesting of a parsed statement (0 for our own statements).
pub fn nesting_depth(stmt: &Statement) -> usize {
    match stmt {
        Statement::Sql(s) => depth::statement_depth(s),
        Statement::Helios(_)
        | Statement::Cursor(_)
        | Statement::AlterSequence(_)
        | Statement::Domain(_) => 0,
        Statement::Routine(_) | Statement::Reindex(_) | Statement::Constraints(_) => 0,
    }
}

fn parse_unchecked(sql: &str) -> Result<Vec<Statement>> {
    // Role statements sqlparser would read in another dialect's way, and owner changes
    // of views and sequences (before our own parser, which reads ALTER SEQUENCE).
    let lower_mentions =
        |w: &str| sql.as_bytes().windows(w.len()).any(|b| b.eq_ignore_ascii_case(w.as_bytes()));
    let role_text = if lower_mentions("user") || lower_mentions("encrypted") {
        role_options::rewrite(sql)
    } else {
        None
    };
    let sql = role_text.as_deref().unwrap_or(sql);
    let owner_text = if lower_mentions("owner") { owner_to::rewrite(sql) } else { None };
    let sql = owner_text.as_deref().unwrap_or(sql);
    let schema_text = if lower_mentions("schema") { set_schema::rewrite(sql) } else { None };
    let sql = schema_text.as_deref().unwrap_or(sql);
    // WITH RECURSIVE ... SEARCH / CYCLE, as the recursive query they stand for.
    let search_text =
        if lower_mentions("recursive") && (lower_mentions("search") || lower_mentions("cycle")) {
            search_cycle::rewrite(sql)?
        } else {
            None
        };
    let sql = search_text.as_deref().unwrap_or(sql);
    // `BETWEEN SYMMETRIC (a) AND b` would parse as a call of a function `symmetric`, so
    // this rewrite comes before sqlparser (both words are reserved in PostgreSQL).
    let between_text =
        if lower_mentions("symmetric") { between_symmetric::rewrite(sql) } else { None };
    let sql = between_text.as_deref().unwrap_or(sql);
    if let Some(stmts) = routine::parse_batch(sql, &parse_unchecked)? {
        return Ok(stmts);
    }
    if let Some(stmts) = helios::parse(sql)? {
        return Ok(stmts);
    }
    let stmts = match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(s) => s,
        // `TABLE name ...` is PostgreSQL's shorthand for `SELECT * FROM name ...`;
        // `UPDATE ... SET a[i] = v` assigns one array element; `CREATE TABLE t (a, b)
        // AS ...` names the query's columns; CREATE MATERIALIZED VIEW ends in `WITH [NO]
        // DATA`; `FOR NO KEY UPDATE`, `FOR KEY SHARE`, `OF a, b`; `ALTER COLUMN c DROP
        // EXPRESSION`; MERGE's `INSERT DEFAULT VALUES` and join sources; `SELECT 1 FOR UPDATE`;
        // VARIADIC arguments; window frames with EXCLUDE or string-led offsets; `RESET TIME
        // ZONE`; `WHERE CURRENT OF cursor`; `ON DELETE SET NULL (col, ...)`; CREATE RECURSIVE
        // VIEW.
        Err(e) => rewrite_and_parse(sql).ok_or_else(|| syntax_error(e))?,
    };
    Ok(stmts.into_iter().map(|s| Statement::Sql(Box::new(s))).collect())
}

/// The text rewrites for syntax sqlparser does not read, in the order they apply.
const REWRITES: [fn(&str) -> Option<String>; 16] = [
    table_shorthand,
    subscript_assign::rewrite,
    ctas_columns::rewrite,
    matview_data::rewrite,
    lock_clauses::rewrite,
    check_option::rewrite,
    drop_expression::rewrite,
    merge_syntax::rewrite,
    lock_without_from::rewrite,
    variadic_args::rewrite,
    window_frame::rewrite,
    reset_time_zone::rewrite,
    current_of::rewrite,
    fk_set_columns::rewrite,
    identity_sequence_name::rewrite,
    recursive_view::rewrite,
];

/// Parses `sql` after the rewrites that apply to it, composed: each one that applies
/// works on the text the earlier ones left, and parsing is tried after each (a statement
/// may need several, e.g. a VARIADIC argument in a query whose window frame has
/// EXCLUDE). `None` when no rewrite applies or the rewritten text does not parse either.
fn rewrite_and_parse(sql: &str) -> Option<Vec<ast::Statement>> {
    let mut text: Option<String> = None;
    for rewrite in REWRITES {
        let Some(next) = rewrite(text.as_deref().unwrap_or(sql)) else { continue };
        if let Ok(stmts) = Parser::parse_sql(&PostgreSqlDialect {}, &next) {
            return Some(stmts);
        }
        text = Some(next);
    }
    None
}

/// `TABLE name ...` rewritten as `SELECT * FROM name ...` (one statement only).
fn table_shorthand(sql: &str) -> Option<String> {
    let trimmed = sql.trim().trim_end_matches(';');
    let head = trimmed.get(..6)?;
    if head.eq_ignore_ascii_case("table ") && !trimmed.contains(';') {
        Some(format!("SELECT * FROM {}", &trimmed[6..]))
    } else {
        None
    }
}

/// Parses a type name such as `character varying(20)` or `integer[]`.
pub fn parse_data_type(text: &str) -> Result<ast::DataType> {
    let dialect = PostgreSqlDialect {};
    Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_data_type())
        .map_err(syntax_error)
}

/// Parses one expression, e.g. a stored column default or CHECK condition.
pub fn parse_expr(text: &str) -> Result<ast::Expr> {
    let dialect = PostgreSqlDialect {};
    Parser::new(&dialect).try_with_sql(text).and_then(|mut p| p.parse_expr()).map_err(syntax_error)
}

/// Parses one query, e.g. a stored view definition.
pub fn parse_query(text: &str) -> Result<ast::Query> {
    let dialect = PostgreSqlDialect {};
    Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_query())
        .map(|q| *q)
        .map_err(syntax_error)
}

/// Converts a sqlparser error into PostgreSQL's `syntax error at or near "..."` (42601).
fn syntax_error(e: ParserError) -> Error {
    match e {
        ParserError::RecursionLimitExceeded => {
            Error::new(SqlState::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded")
        }
        ParserError::TokenizerError(msg) => {
            Error::new(SqlState::SYNTAX_ERROR, format!("syntax error: {}", lower_first(&msg)))
        }
        // MERGE's `WHEN MATCHED THEN INSERT`: PostgreSQL's grammar fails at the word.
        ParserError::ParserError(msg)
            if msg.contains(" merge clause") && msg.contains(" is not allowed in a ") =>
        {
            let word = msg.split_whitespace().next().unwrap_or_default();
            Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{word}\""))
        }
        ParserError::ParserError(msg) => {
            let near = msg.split("found: ").nth(1).map(|rest| {
                let token = rest.split(" at Line:").next().unwrap_or(rest).trim();
                token.to_string()
            });
            match near {
                Some(t) if t == "EOF" => {
                    Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input")
                }
                Some(t) => {
                    let e = Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("syntax error at or near \"{t}\""),
                    );
                    // The place is the cursor position PostgreSQL reports (no DETAIL).
                    match line_and_column(&msg) {
                        Some((line, column)) => e.with_anchor(line, column, &t),
                        None => e,
                    }
                }
                None => Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("syntax error: {}", lower_first(&msg)),
                ),
            }
        }
    }
}

/// The `at Line: L, Column: C` place sqlparser appends to its messages.
fn line_and_column(msg: &str) -> Option<(u64, u64)> {
    let (_, place) = msg.rsplit_once(" at Line: ")?;
    let (line, column) = place.split_once(", Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A `CREATE TABLE name ()` statement to fill in (used to build columns added by ALTER
/// TABLE through the CREATE TABLE path).
pub fn parse_create_table_stub(name: &str) -> Result<ast::CreateTable> {
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match parse(&format!("CREATE TABLE {quoted} ()"))?.pop() {
        Some(Statement::Sql(s)) => match *s {
            ast::Statement::CreateTable(ct) => Ok(ct),
            _ => Err(Error::internal("stub is not CREATE TABLE")),
        },
        Some(
            Statement::Helios(_)
            | Statement::Cursor(_)
            | Statement::AlterSequence(_)
            | Statement::Domain(_)
            | Statement::Routine(_)
            | Statement::Constraints(_)
            | Statement::Reindex(_),
        ) => Err(Error::internal("stub is not CREATE TABLE")),
        None => Err(Error::internal("empty stub")),
    }
}

/// An `INSERT INTO t SELECT 1` whose target and source the caller replaces (CREATE TABLE
/// AS and REFRESH MATERIALIZED VIEW fill tables through the INSERT path).
pub fn parse_insert_stub() -> Result<ast::Insert> {
    match parse("INSERT INTO t SELECT 1")?.pop() {
        Some(Statement::Sql(s)) => match *s {
            ast::Statement::Insert(i) => Ok(i),
            _ => Err(Error::internal("stub is not INSERT")),
        },
        _ => Err(Error::internal("stub is not INSERT")),
    }
}

/// An unquoted word equal to `w` (case-insensitive).
fn is_word(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w))
}

/// Consumes the next token when it is the unquoted word `w`.
fn take_word(p: &mut Parser<'_>, w: &str) -> bool {
    if is_word(&p.peek_token_ref().token, w) {
        p.advance_token();
        true
    } else {
        false
    }
}

/// The single argument of a call to the marker function `marker`: a name a source rewrite
/// puts in place of syntax sqlparser does not parse (`None`: any other expression).
pub fn marker_arg<'a>(e: &'a ast::Expr, marker: &str) -> Option<&'a ast::Expr> {
    let ast::Expr::Function(f) = e else { return None };
    if !f.name.to_string().eq_ignore_ascii_case(marker) {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else { return None };
    match list.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(inner))] => Some(inner),
        _ => None,
    }
}

/// The string literal argument of a marker call (see [`marker_arg`]).
pub fn marker_string<'a>(e: &'a ast::Expr, marker: &str) -> Option<&'a str> {
    match marker_arg(e, marker)? {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_batches_and_reports_syntax_errors() {
        assert_eq!(parse("select 1; select 2;").unwrap().len(), 2);
        let e = parse("selec 1").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::SYNTAX_ERROR);
        assert!(e.message().contains("selec"), "{}", e.message());
        assert!(parse_data_type("character varying(20)").is_ok());
        assert!(parse_expr("a + 1").is_ok());
        let Statement::Sql(t) = &parse("TABLE t ORDER BY 1;").unwrap()[0] else {
            panic!("not sql")
        };
        assert_eq!(t.to_string(), "SELECT * FROM t ORDER BY 1");
    }
}
