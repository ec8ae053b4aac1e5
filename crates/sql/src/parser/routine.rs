//! The routine statements sqlparser does not read PostgreSQL's way:
//!
//! ```text
//! DO [LANGUAGE lang] 'body' [LANGUAGE lang]
//! CREATE [OR REPLACE] TRIGGER name {BEFORE | AFTER} event [OR event ...] ON table
//!     [FOR [EACH] {ROW | STATEMENT}] [WHEN (condition)]
//!     EXECUTE {FUNCTION | PROCEDURE} fname([literal, ...])
//!   event: INSERT | UPDATE [OF col, ...] | DELETE | TRUNCATE
//! CREATE [OR REPLACE] PROCEDURE ...        (read as a function returning nothing)
//! CREATE [OR REPLACE] FUNCTION ... COST n | ROWS n | [NOT] LEAKPROOF
//!                                          (options without effect here, dropped)
//! ```
//!
//! Everything else about CREATE FUNCTION is sqlparser's.

use helios_common::Result;
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::syntax_error;
use super::{is_word, take_word};
use crate::catalog::routine_defs::TriggerTiming;

/// A routine statement read by this module.
#[derive(Debug, Clone)]
pub enum RoutineStatement {
    /// `CREATE FUNCTION` / `CREATE PROCEDURE`.
    CreateFunction {
        /// The statement as sqlparser reads it (a procedure as a function).
        def: Box<ast::CreateFunction>,
        /// It was `CREATE PROCEDURE`.
        procedure: bool,
    },
    /// `DO`: an anonymous block.
    Do {
        /// `LANGUAGE` (plpgsql when absent).
        language: Option<String>,
        /// The block's text.
        body: String,
    },
    /// `CREATE TRIGGER`.
    CreateTrigger(Box<TriggerSpec>),
    /// `CREATE`, `DROP` or `ALTER AGGREGATE`.
    Aggregate(Box<super::aggregate::AggregateStatement>),
    /// `COMMENT ON {FUNCTION | PROCEDURE} name [(arg types)] IS 'text' | NULL`.
    Comment {
        /// The routine, as DROP FUNCTION names it.
        desc: Box<ast::FunctionDesc>,
        /// It was `COMMENT ON PROCEDURE`.
        procedure: bool,
        /// The comment; `None` (NULL) or empty removes it.
        text: Option<String>,
    },
}

/// A parsed `CREATE TRIGGER`.
#[derive(Debug, Clone)]
pub struct TriggerSpec {
    /// `OR REPLACE`.
    pub or_replace: bool,
    /// The trigger's name.
    pub name: String,
    /// BEFORE or AFTER.
    pub timing: TriggerTiming,
    /// Fires on INSERT.
    pub on_insert: bool,
    /// Fires on UPDATE.
    pub on_update: bool,
    /// Fires on DELETE.
    pub on_delete: bool,
    /// `UPDATE OF` columns.
    pub update_columns: Vec<String>,
    /// The table.
    pub table: ast::ObjectName,
    /// FOR EACH ROW.
    pub for_each_row: bool,
    /// The WHEN condition as SQL text.
    pub when: Option<String>,
    /// The function.
    pub function: ast::ObjectName,
    /// Its arguments as strings.
    pub args: Vec<String>,
    /// `REFERENCING OLD TABLE AS name`.
    pub old_table: Option<String>,
    /// `REFERENCING NEW TABLE AS name`.
    pub new_table: Option<String>,
}

/// A cheap test that keeps the tokenizer off batches without routine statements.
fn mentions_routine(sql: &str) -> bool {
    super::literals::has_any_word(sql, &["do", "trigger", "procedure", "function", "aggregate"])
}

/// Parses a batch holding routine statements: those pieces here, every other piece
/// with `rest` (the ordinary parser, its rewrites included). `None` when the batch
/// holds no routine statement.
pub(super) fn parse_batch(
    sql: &str,
    rest: &dyn Fn(&str) -> Result<Vec<super::Statement>>,
) -> Result<Option<Vec<super::Statement>>> {
    if !mentions_routine(sql) {
        return Ok(None);
    }
    let Ok(tokens) =
        sqlparser::tokenizer::Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location()
    else {
        // The ordinary parser reports the error.
        return Ok(None);
    };
    let mut pieces: Vec<Vec<TokenWithSpan>> = vec![Vec::new()];
    for t in tokens {
        if t.token == Token::SemiColon {
            pieces.push(Vec::new());
        } else if let Some(last) = pieces.last_mut() {
            last.push(t);
        }
    }
    let mut parsed = Vec::with_capacity(pieces.len());
    let mut any = false;
    for piece in &pieces {
        let r = parse(piece)?;
        any |= r.is_some();
        parsed.push(r);
    }
    if !any {
        return Ok(None);
    }
    let lines: Vec<usize> = std::iter::once(0)
        .chain(sql.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |loc: sqlparser::tokenizer::Location| {
        let start = lines.get(loc.line.saturating_sub(1) as usize).copied().unwrap_or(0);
        sql[start..]
            .char_indices()
            .nth(loc.column.saturating_sub(1) as usize)
            .map_or(sql.len(), |(i, _)| start + i)
    };
    let mut out = Vec::new();
    for (piece, r) in pieces.iter().zip(parsed) {
        match r {
            Some(stmt) => out.push(super::Statement::Routine(Box::new(stmt))),
            None => {
                let (Some(first), Some(last)) = (piece.first(), piece.last()) else { continue };
                let text = &sql[offset(first.span.start)..offset(last.span.end)];
                if !text.trim().is_empty() {
                    out.extend(rest(text)?);
                }
            }
        }
    }
    Ok(Some(out))
}

/// Reads one statement's tokens; `None` when it is not a statement of this module.
pub(super) fn parse(piece: &[TokenWithSpan]) -> Result<Option<RoutineStatement>> {
    let sig: Vec<usize> = piece
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let word = |i: usize, w: &str| sig.get(i).is_some_and(|&p| is_word(&piece[p].token, w));
    if word(0, "do") {
        let rest = piece[sig[0] + 1..].to_vec();
        return parse_do(rest).map(Some).map_err(syntax_error);
    }
    if word(0, "comment") && word(1, "on") && word(2, "aggregate") {
        let rest = piece[sig[2] + 1..].to_vec();
        return super::aggregate::parse_comment(rest)
            .map(|s| Some(RoutineStatement::Aggregate(Box::new(s))))
            .map_err(syntax_error);
    }
    if word(0, "comment") && word(1, "on") && (word(2, "function") || word(2, "procedure")) {
        return parse_comment(piece, &sig, word(2, "procedure")).map(Some).map_err(syntax_error);
    }
    if (word(0, "drop") || word(0, "alter")) && word(1, "aggregate") {
        let rest = piece[sig[1] + 1..].to_vec();
        let stmt = if word(0, "drop") {
            super::aggregate::parse_drop(rest)
        } else {
            super::aggregate::parse_alter(rest)
        };
        return stmt.map(|s| Some(RoutineStatement::Aggregate(Box::new(s)))).map_err(syntax_error);
    }
    if !word(0, "create") {
        return Ok(None);
    }
    let mut at = 1;
    let or_replace = word(1, "or") && word(2, "replace");
    if or_replace {
        at = 3;
    }
    if word(at, "trigger") || (word(at, "constraint") && word(at + 1, "trigger")) {
        if word(at, "constraint") {
            return Err(helios_common::Error::unsupported("CREATE CONSTRAINT TRIGGER"));
        }
        let rest = piece[sig[at] + 1..].to_vec();
        let dialect = PostgreSqlDialect {};
        let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
        let spec = parse_trigger(&mut p, or_replace).map_err(syntax_error)?;
        return Ok(Some(RoutineStatement::CreateTrigger(Box::new(spec))));
    }
    if word(at, "aggregate") {
        let rest = piece[sig[at] + 1..].to_vec();
        return super::aggregate::parse_create(rest, or_replace)
            .map(|s| Some(RoutineStatement::Aggregate(Box::new(s))))
            .map_err(syntax_error);
    }
    let procedure = word(at, "procedure");
    if !procedure && !word(at, "function") {
        return Ok(None);
    }
    // Drop the options sqlparser does not know and that change nothing here.
    let mut tokens: Vec<TokenWithSpan> = Vec::with_capacity(piece.len());
    let mut i = 0;
    while i < piece.len() {
        let t = &piece[i];
        if procedure && i == sig[at] {
            tokens.push(TokenWithSpan { token: Token::make_keyword("FUNCTION"), span: t.span });
            i += 1;
            continue;
        }
        if is_word(&t.token, "cost") || is_word(&t.token, "rows") {
            let next = next_significant(piece, i + 1);
            if let Some(n) = next.filter(|&n| matches!(piece[n].token, Token::Number(..))) {
                i = n + 1;
                continue;
            }
        }
        if is_word(&t.token, "leakproof") {
            if let Some(last) =
                tokens.iter().rposition(|t| !matches!(t.token, Token::Whitespace(_)))
            {
                if is_word(&tokens[last].token, "not") {
                    tokens.truncate(last);
                }
            }
            i += 1;
            continue;
        }
        // `name VARIADIC type` (PostgreSQL takes the mode after the name too): the mode
        // goes first, where sqlparser reads it.
        if ["variadic", "out", "inout"].iter().any(|w| is_word(&t.token, w)) {
            let sig_before: Vec<usize> = tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
                .map(|(k, _)| k)
                .collect();
            if let [.., open, name] = sig_before.as_slice() {
                let named = matches!(&tokens[*name].token, Token::Word(_));
                if named && matches!(tokens[*open].token, Token::LParen | Token::Comma) {
                    let space = TokenWithSpan {
                        token: Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                        span: t.span,
                    };
                    tokens.insert(*name, space);
                    tokens.insert(*name, t.clone());
                    i += 1;
                    continue;
                }
            }
        }
        tokens.push(t.clone());
        i += 1;
    }
    let dialect = PostgreSqlDialect {};
    let stmt = Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statement()
        .map_err(syntax_error)?;
    match stmt {
        ast::Statement::CreateFunction(def) => {
            Ok(Some(RoutineStatement::CreateFunction { def: Box::new(def), procedure }))
        }
        _ => Ok(None),
    }
}

fn next_significant(piece: &[TokenWithSpan], from: usize) -> Option<usize> {
    (from..piece.len()).find(|&j| !matches!(piece[j].token, Token::Whitespace(_)))
}

/// `COMMENT ON FUNCTION | PROCEDURE name [(args)] IS ...`: the routine is read the
/// way `DROP FUNCTION` reads it, by sqlparser.
fn parse_comment(
    piece: &[TokenWithSpan],
    sig: &[usize],
    procedure: bool,
) -> std::result::Result<RoutineStatement, ParserError> {
    let mut depth = 0i32;
    let is_at = sig[3..].iter().copied().find(|&i| match &piece[i].token {
        Token::LParen => {
            depth += 1;
            false
        }
        Token::RParen => {
            depth -= 1;
            false
        }
        t => depth == 0 && is_word(t, "is"),
    });
    let Some(is_at) = is_at else {
        return Err(ParserError::ParserError("Expected: IS".into()));
    };
    let kind = if procedure { "PROCEDURE" } else { "FUNCTION" };
    let name: String = piece[sig[2] + 1..is_at].iter().map(|t| t.token.to_string()).collect();
    let drop = Parser::parse_sql(&PostgreSqlDialect {}, &format!("DROP {kind} {name}"))?;
    let desc = match drop.into_iter().next() {
        Some(ast::Statement::DropFunction(d)) => d.func_desc.into_iter().next(),
        Some(ast::Statement::DropProcedure { proc_desc, .. }) => proc_desc.into_iter().next(),
        _ => None,
    };
    let Some(desc) = desc else {
        return Err(ParserError::ParserError(format!("Expected: a {kind} name")));
    };
    let mut p =
        Parser::new(&PostgreSqlDialect {}).with_tokens_with_locations(piece[is_at + 1..].to_vec());
    let text = match p.next_token().token {
        Token::SingleQuotedString(s) => Some(s),
        Token::DollarQuotedString(s) => Some(s.value),
        t if is_word(&t, "null") => None,
        _ => return Err(expected("a string or NULL", &mut p)),
    };
    if p.peek_token_ref().token != Token::EOF {
        return Err(expected("end of statement", &mut p));
    }
    Ok(RoutineStatement::Comment { desc: Box::new(desc), procedure, text })
}

fn expected(what: &str, p: &mut Parser<'_>) -> ParserError {
    let t = p.peek_token();
    ParserError::ParserError(format!("Expected: {what}, found: {}", t.token))
}

fn parse_do(rest: Vec<TokenWithSpan>) -> std::result::Result<RoutineStatement, ParserError> {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let mut language = None;
    let mut body = None;
    loop {
        if take_word(&mut p, "language") {
            let id = p.parse_identifier()?;
            language = Some(super::ident_name(&id));
            continue;
        }
        match &p.peek_token_ref().token {
            Token::DollarQuotedString(s) if body.is_none() => {
                body = Some(s.value.clone());
                p.advance_token();
            }
            Token::SingleQuotedString(s) if body.is_none() => {
                body = Some(s.clone());
                p.advance_token();
            }
            Token::EOF => break,
            _ => return Err(expected("a string", &mut p)),
        }
    }
    let body =
        body.ok_or_else(|| ParserError::ParserError("Expected: a string, found: EOF".into()))?;
    Ok(RoutineStatement::Do { language, body })
}

fn parse_trigger(
    p: &mut Parser<'_>,
    or_replace: bool,
) -> std::result::Result<TriggerSpec, ParserError> {
    let name = super::ident_name(&p.parse_identifier()?);
    let timing = if take_word(p, "before") {
        TriggerTiming::Before
    } else if take_word(p, "after") {
        TriggerTiming::After
    } else if take_word(p, "instead") {
        if !take_word(p, "of") {
            return Err(expected("OF", p));
        }
        TriggerTiming::InsteadOf
    } else {
        return Err(expected("BEFORE or AFTER", p));
    };
    let mut spec = TriggerSpec {
        or_replace,
        name,
        timing,
        on_insert: false,
        on_update: false,
        on_delete: false,
        update_columns: Vec::new(),
        table: ast::ObjectName(Vec::new()),
        for_each_row: false,
        when: None,
        function: ast::ObjectName(Vec::new()),
        args: Vec::new(),
        old_table: None,
        new_table: None,
    };
    loop {
        if take_word(p, "insert") {
            spec.on_insert = true;
        } else if take_word(p, "delete") {
            spec.on_delete = true;
        } else if take_word(p, "update") {
            spec.on_update = true;
            if take_word(p, "of") {
                loop {
                    spec.update_columns.push(super::ident_name(&p.parse_identifier()?));
                    if !p.consume_token(&Token::Comma) {
                        break;
                    }
                }
            }
        } else if is_word(&p.peek_token_ref().token, "truncate") {
            return Err(ParserError::ParserError(
                "Expected: INSERT, UPDATE or DELETE (TRUNCATE triggers are not supported), found: TRUNCATE"
                    .into(),
            ));
        } else {
            return Err(expected("INSERT, UPDATE or DELETE", p));
        }
        if !take_word(p, "or") {
            break;
        }
    }
    if !take_word(p, "on") {
        return Err(expected("ON", p));
    }
    spec.table = p.parse_object_name(false)?;
    if take_word(p, "referencing") {
        loop {
            let old = if take_word(p, "old") {
                true
            } else if take_word(p, "new") {
                false
            } else {
                break;
            };
            if !take_word(p, "table") {
                // `OLD ROW AS` is the standard's, PostgreSQL does not have it either.
                return Err(expected("TABLE", p));
            }
            take_word(p, "as");
            let name = super::ident_name(&p.parse_identifier()?);
            if old {
                spec.old_table = Some(name);
            } else {
                spec.new_table = Some(name);
            }
        }
        if spec.old_table.is_none() && spec.new_table.is_none() {
            return Err(expected("OLD or NEW", p));
        }
    }
    if take_word(p, "for") {
        take_word(p, "each");
        if take_word(p, "row") {
            spec.for_each_row = true;
        } else if !take_word(p, "statement") {
            return Err(expected("ROW or STATEMENT", p));
        }
    }
    if take_word(p, "when") {
        p.expect_token(&Token::LParen)?;
        let e = p.parse_expr()?;
        p.expect_token(&Token::RParen)?;
        spec.when = Some(e.to_string());
    }
    if !take_word(p, "execute") {
        return Err(expected("EXECUTE", p));
    }
    if !take_word(p, "function") && !take_word(p, "procedure") {
        return Err(expected("FUNCTION or PROCEDURE", p));
    }
    spec.function = p.parse_object_name(false)?;
    p.expect_token(&Token::LParen)?;
    if !p.consume_token(&Token::RParen) {
        loop {
            let t = p.next_token();
            let arg = match t.token {
                Token::SingleQuotedString(s) => s,
                Token::Number(n, _) => n,
                Token::Word(w) => w.value,
                Token::Minus => match p.next_token().token {
                    Token::Number(n, _) => format!("-{n}"),
                    other => {
                        return Err(ParserError::ParserError(format!(
                            "Expected: a number, found: {other}"
                        )))
                    }
                },
                other => {
                    return Err(ParserError::ParserError(format!(
                        "Expected: a literal, found: {other}"
                    )))
                }
            };
            spec.args.push(arg);
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    }
    if p.peek_token_ref().token != Token::EOF {
        return Err(expected("end of statement", p));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::tokenizer::Tokenizer;

    fn one(sql: &str) -> Option<RoutineStatement> {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location().unwrap();
        parse(&tokens).unwrap()
    }

    #[test]
    fn reads_do_blocks_and_triggers() {
        match one("DO LANGUAGE plpgsql $$ BEGIN NULL; END $$") {
            Some(RoutineStatement::Do { language, body }) => {
                assert_eq!(language.as_deref(), Some("plpgsql"));
                assert_eq!(body, " BEGIN NULL; END ");
            }
            other => panic!("{other:?}"),
        }
        match one("CREATE TRIGGER t BEFORE INSERT OR UPDATE OF a ON s.tab FOR EACH ROW WHEN (NEW.a > 1) EXECUTE FUNCTION f('x', 2)") {
            Some(RoutineStatement::CreateTrigger(s)) => {
                assert!(s.on_insert && s.on_update && !s.on_delete && s.for_each_row);
                assert_eq!(s.update_columns, vec!["a".to_string()]);
                assert_eq!(s.args, vec!["x".to_string(), "2".to_string()]);
                assert_eq!(s.when.as_deref(), Some("NEW.a > 1"));
            }
            other => panic!("{other:?}"),
        }
        match one("CREATE PROCEDURE p(a int) LANGUAGE sql COST 5 AS $$ select 1 $$") {
            Some(RoutineStatement::CreateFunction { procedure, .. }) => assert!(procedure),
            other => panic!("{other:?}"),
        }
        assert!(one("SELECT 1").is_none());
    }

    #[test]
    fn routine_words_are_whole_words() {
        assert!(mentions_routine("do $$ begin end $$"));
        assert!(mentions_routine("SELECT 1;DO $$ begin end $$"));
        assert!(mentions_routine("CREATE OR REPLACE FUNCTION f() ..."));
        assert!(mentions_routine("drop trigger t on x"));
        assert!(!mentions_routine("SELECT * FROM orders ORDER BY done_at"));
        assert!(!mentions_routine("UPDATE pgbench_tellers SET tbalance = tbalance + 1"));
        assert!(!mentions_routine("SELECT functions FROM procedure_log"));
    }

    #[test]
    fn batches_keep_the_ordinary_parser_for_other_statements() {
        let stmts = crate::parser::parse(
            "CREATE TABLE t (a int); DO $$ BEGIN NULL; END $$; TABLE t; SELECT 'do; function'",
        )
        .unwrap();
        assert_eq!(stmts.len(), 4);
        assert!(matches!(stmts[1], crate::parser::Statement::Routine(_)));
        // `TABLE t` is the ordinary parser's rewrite.
        assert!(
            matches!(&stmts[2], crate::parser::Statement::Sql(s) if s.to_string().starts_with("SELECT * FROM t"))
        );
        assert!(crate::parser::parse("SELECT 'a function'").unwrap().len() == 1);
    }
}
