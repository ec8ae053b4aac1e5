//! The front parser of our own statements and clauses, run before sqlparser.
//!
//! Statements (each recognised by its first two words):
//!
//! ```text
//! CREATE BRANCH name [FROM parent] [AS OF TIMESTAMP expr | AS OF TRANSACTION expr]
//! USE BRANCH name
//! SHOW BRANCHES
//! MERGE BRANCH src INTO dst [WITH (on_conflict = 'fail' | 'ours' | 'theirs')]
//! DROP BRANCH [IF EXISTS] name [CASCADE]
//! VACUUM ... / ANALYZE ...               (PostgreSQL's grammar, see `maintenance.rs`)
//! ```
//!
//! `FETCH` and `MOVE` also pass through here (see [`super::cursor`]).
//!
//! Table clauses are rewritten token by token into the version clauses sqlparser knows,
//! and the statement is then parsed with [`HeliosDialect`](super::dialect::HeliosDialect):
//!
//! ```text
//! t AS OF TIMESTAMP e                    -> t FOR SYSTEM_TIME AS OF e
//! t AS OF TRANSACTION e                  -> t TIMESTAMP AS OF e
//! t FOR SYSTEM_TIME AS OF e              -> (unchanged)
//! t VERSIONS BETWEEN TIMESTAMP a AND TIMESTAMP b
//!                                        -> t FOR SYSTEM_TIME AS OF NULL BETWEEN a AND b
//! ```
//!
//! The binder reads them back with [`TableVersionSpec::from_ast`].

use helios_common::Result;
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use super::dialect::HeliosDialect;
use super::{is_word, take_word};
use super::{syntax_error, Statement};

/// When a statement reads data: a timestamp or the commit of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum AsOf {
    /// `AS OF TIMESTAMP expr`.
    Timestamp(ast::Expr),
    /// `AS OF TRANSACTION expr`: the commit timestamp of that transaction.
    Transaction(ast::Expr),
}

/// How `MERGE BRANCH` resolves rows changed on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Change nothing and fail.
    Fail,
    /// Keep the destination's rows.
    Ours,
    /// Take the source's rows.
    Theirs,
}

/// One of our own statements.
#[derive(Debug, Clone, PartialEq)]
pub enum HeliosStatement {
    /// `CREATE BRANCH`.
    CreateBranch {
        /// The new branch.
        name: String,
        /// The parent (default: the session's branch).
        parent: Option<String>,
        /// The fork point (default: now).
        as_of: Option<Box<AsOf>>,
    },
    /// `USE BRANCH name`.
    UseBranch(String),
    /// `SHOW BRANCHES`.
    ShowBranches,
    /// `MERGE BRANCH src INTO dst`.
    MergeBranch {
        /// The branch whose changes are applied.
        source: String,
        /// The branch they are applied to.
        target: String,
        /// Conflict resolution.
        on_conflict: OnConflict,
    },
    /// `VACUUM` or `ANALYZE`.
    Maintenance(super::maintenance::Maintenance),
    /// `CHECKPOINT`.
    Checkpoint,
    /// `DROP BRANCH`.
    DropBranch {
        /// The branch.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
        /// `CASCADE`: also drop child branches, even while connections use them.
        cascade: bool,
    },
}

/// A table reference's version clause, as the binder sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum TableVersionSpec {
    /// Read the table as of a time.
    AsOf(Box<AsOf>),
    /// Every version between two timestamps.
    Versions(Box<(ast::Expr, ast::Expr)>),
}

impl TableVersionSpec {
    /// Reads back a version clause written by the front parser (or by the user as
    /// `FOR SYSTEM_TIME AS OF`).
    pub fn from_ast(v: &ast::TableVersion) -> Option<TableVersionSpec> {
        match v {
            ast::TableVersion::ForSystemTimeAsOf(ast::Expr::Between {
                expr,
                negated: false,
                low,
                high,
            }) if matches!(expr.as_ref(), ast::Expr::Value(v) if v.value == ast::Value::Null) => {
                Some(TableVersionSpec::Versions(Box::new(((**low).clone(), (**high).clone()))))
            }
            ast::TableVersion::ForSystemTimeAsOf(e) => {
                Some(TableVersionSpec::AsOf(Box::new(AsOf::Timestamp(e.clone()))))
            }
            ast::TableVersion::TimestampAsOf(e) => {
                Some(TableVersionSpec::AsOf(Box::new(AsOf::Transaction(e.clone()))))
            }
            _ => None,
        }
    }
}

/// Parses a batch: our statements here, the rest through sqlparser. `None` when the batch
/// holds neither our statements nor time-travel clauses (the caller parses it as usual).
pub(super) fn parse(sql: &str) -> Result<Option<Vec<Statement>>> {
    if !mentions_ours(sql) {
        return Ok(None);
    }
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| syntax_error(ParserError::TokenizerError(e.to_string())))?;
    let mut out = Vec::new();
    for piece in split_statements(tokens) {
        let words = significant(&piece);
        if words.is_empty() {
            continue;
        }
        if let Some(stmt) = super::cursor::parse(&piece)? {
            out.push(Statement::Cursor(Box::new(stmt)));
            continue;
        }
        if let Some(stmt) = super::alter_sequence::parse(&piece)? {
            out.push(Statement::AlterSequence(Box::new(stmt)));
            continue;
        }
        if let Some(stmt) = super::alter_domain::parse(&piece)? {
            out.push(Statement::Domain(Box::new(stmt)));
            continue;
        }
        if let Some(stmt) = parse_reindex(&piece)? {
            out.push(Statement::Reindex(Box::new(stmt)));
            continue;
        }
        {
            let dialect = PostgreSqlDialect {};
            let mut p = Parser::new(&dialect).with_tokens_with_locations(piece.clone());
            if let Some(stmt) = super::constraints::parse(&mut p)? {
                out.push(Statement::Constraints(Box::new(stmt)));
                continue;
            }
        }
        if let Some(stmt) = parse_ours(&piece)? {
            out.push(Statement::Helios(Box::new(stmt)));
            continue;
        }
        let (piece, rewritten) = rewrite_time_travel(piece);
        let stmts = if rewritten {
            Parser::new(&HeliosDialect::default())
                .with_tokens_with_locations(piece)
                .parse_statements()
                .map_err(syntax_error)?
        } else {
            let text: String = piece.iter().map(|t| t.token.to_string()).collect();
            match Parser::new(&dialect).with_tokens_with_locations(piece).parse_statements() {
                Ok(stmts) => stmts,
                // The syntax sqlparser does not read, as for a batch without our words.
                Err(e) => super::rewrite_and_parse(&text).ok_or_else(|| syntax_error(e))?,
            }
        };
        out.extend(stmts.into_iter().map(|s| Statement::Sql(Box::new(s))));
    }
    Ok(Some(out))
}

/// A cheap test that keeps the front parser off the common path.
fn mentions_ours(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    let starts_do = lower
        .trim_start()
        .strip_prefix("do")
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_whitespace() || c == '$' || c == '\''));
    starts_do
        || lower.contains("set constraints")
        || lower.contains("alter constraint")
        || lower.contains(";do ")
        || lower.contains("\ndo ")
        || lower.contains("\ndo\n")
        || [
            "branch",
            "as of",
            "system_time",
            "versions",
            "fetch",
            "move",
            "vacuum",
            "analy",
            "checkpoint",
            "reindex",
            "sequence",
            "domain",
            "owner",
            "attribute",
            "trigger",
            "procedure",
            "function",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

fn split_statements(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut out = vec![Vec::new()];
    for t in tokens {
        if t.token == Token::SemiColon {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(t);
        }
    }
    out
}

/// Positions of the tokens that are not whitespace.
fn significant(tokens: &[TokenWithSpan]) -> Vec<usize> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect()
}

/// `REINDEX ...` (see [`super::reindex`]); `None` for other statements.
fn parse_reindex(piece: &[TokenWithSpan]) -> Result<Option<super::reindex::Reindex>> {
    let sig = significant(piece);
    if !sig.first().is_some_and(|&p| is_word(&piece[p].token, "reindex")) {
        return Ok(None);
    }
    let rest: Vec<TokenWithSpan> = piece[sig[0] + 1..].to_vec();
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let r = super::reindex::parse_reindex(&mut p)?;
    expect_end(&mut p)?;
    Ok(Some(r))
}

fn parse_ours(piece: &[TokenWithSpan]) -> Result<Option<HeliosStatement>> {
    let sig = significant(piece);
    let word = |i: usize, w: &str| sig.get(i).is_some_and(|&p| is_word(&piece[p].token, w));
    let vacuum = word(0, "vacuum");
    if vacuum || word(0, "analyze") || word(0, "analyse") {
        let rest: Vec<TokenWithSpan> = piece[sig[0] + 1..].to_vec();
        let dialect = PostgreSqlDialect {};
        let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
        let m = super::maintenance::parse_maintenance(&mut p, vacuum).map_err(syntax_error)?;
        expect_end(&mut p)?;
        return Ok(Some(HeliosStatement::Maintenance(m)));
    }
    if word(0, "checkpoint") {
        let rest: Vec<TokenWithSpan> = piece[sig[0] + 1..].to_vec();
        let dialect = PostgreSqlDialect {};
        expect_end(&mut Parser::new(&dialect).with_tokens_with_locations(rest))?;
        return Ok(Some(HeliosStatement::Checkpoint));
    }
    let kind = if word(0, "create") && word(1, "branch") {
        0
    } else if word(0, "use") && word(1, "branch") {
        1
    } else if word(0, "show") && word(1, "branches") && sig.len() == 2 {
        return Ok(Some(HeliosStatement::ShowBranches));
    } else if word(0, "merge") && word(1, "branch") {
        2
    } else if word(0, "drop") && word(1, "branch") {
        3
    } else {
        return Ok(None);
    };
    let rest: Vec<TokenWithSpan> = piece[sig[1] + 1..].to_vec();
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let stmt = match kind {
        0 => parse_create(&mut p),
        1 => branch_name(&mut p).map(HeliosStatement::UseBranch),
        2 => parse_merge(&mut p),
        _ => parse_drop(&mut p),
    }
    .map_err(syntax_error)?;
    expect_end(&mut p)?;
    Ok(Some(stmt))
}

fn expect_end(p: &mut Parser<'_>) -> Result<()> {
    if p.peek_token_ref().token != Token::EOF {
        let t = p.peek_token();
        return Err(syntax_error(ParserError::ParserError(format!(
            "Expected: end of statement, found: {}",
            t.token
        ))));
    }
    Ok(())
}

fn expect_word(p: &mut Parser<'_>, w: &str) -> std::result::Result<(), ParserError> {
    if take_word(p, w) {
        Ok(())
    } else {
        let t = p.peek_token();
        Err(ParserError::ParserError(format!("Expected: {}, found: {}", w.to_uppercase(), t.token)))
    }
}

/// A branch name: an identifier (folded to lower case unless quoted) or a string.
fn branch_name(p: &mut Parser<'_>) -> std::result::Result<String, ParserError> {
    if let Token::SingleQuotedString(s) = &p.peek_token_ref().token {
        let s = s.clone();
        p.advance_token();
        return Ok(s);
    }
    let id = p.parse_identifier()?;
    Ok(super::ident_name(&id))
}

fn parse_create(p: &mut Parser<'_>) -> std::result::Result<HeliosStatement, ParserError> {
    let name = branch_name(p)?;
    let parent = if take_word(p, "from") { Some(branch_name(p)?) } else { None };
    let as_of = if take_word(p, "as") {
        expect_word(p, "of")?;
        if take_word(p, "timestamp") {
            Some(Box::new(AsOf::Timestamp(p.parse_expr()?)))
        } else {
            expect_word(p, "transaction")?;
            Some(Box::new(AsOf::Transaction(p.parse_expr()?)))
        }
    } else {
        None
    };
    Ok(HeliosStatement::CreateBranch { name, parent, as_of })
}

fn parse_merge(p: &mut Parser<'_>) -> std::result::Result<HeliosStatement, ParserError> {
    let source = branch_name(p)?;
    expect_word(p, "into")?;
    let target = branch_name(p)?;
    let mut on_conflict = OnConflict::Fail;
    if take_word(p, "with") {
        p.expect_token(&Token::LParen)?;
        loop {
            let key = p.parse_identifier()?;
            if !key.value.eq_ignore_ascii_case("on_conflict") {
                return Err(ParserError::ParserError(format!(
                    "Expected: on_conflict, found: {key}"
                )));
            }
            p.expect_token(&Token::Eq)?;
            let t = p.next_token();
            let value = match &t.token {
                Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
                Token::Word(w) => w.value.to_ascii_lowercase(),
                other => {
                    return Err(ParserError::ParserError(format!(
                        "Expected: 'fail', 'ours' or 'theirs', found: {other}"
                    )))
                }
            };
            on_conflict = match value.as_str() {
                "fail" => OnConflict::Fail,
                "ours" => OnConflict::Ours,
                "theirs" => OnConflict::Theirs,
                other => {
                    return Err(ParserError::ParserError(format!(
                        "Expected: 'fail', 'ours' or 'theirs', found: {other}"
                    )))
                }
            };
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    }
    Ok(HeliosStatement::MergeBranch { source, target, on_conflict })
}

fn parse_drop(p: &mut Parser<'_>) -> std::result::Result<HeliosStatement, ParserError> {
    let if_exists = if take_word(p, "if") {
        expect_word(p, "exists")?;
        true
    } else {
        false
    };
    let name = branch_name(p)?;
    let cascade = take_word(p, "cascade");
    if !cascade {
        take_word(p, "restrict");
    }
    Ok(HeliosStatement::DropBranch { name, if_exists, cascade })
}

fn kw(w: &str) -> TokenWithSpan {
    TokenWithSpan::wrap(Token::make_keyword(w))
}

fn space() -> TokenWithSpan {
    TokenWithSpan::wrap(Token::Whitespace(Whitespace::Space))
}

/// Rewrites our table clauses (see the module docs); `true` when the result needs the
/// version-aware dialect.
fn rewrite_time_travel(tokens: Vec<TokenWithSpan>) -> (Vec<TokenWithSpan>, bool) {
    let sig = significant(&tokens);
    let at = |k: usize, w: &str| sig.get(k).is_some_and(|&p| is_word(&tokens[p].token, w));
    let mut out = Vec::with_capacity(tokens.len() + 8);
    let mut rewritten = false;
    let mut next = 0usize; // next token position to copy
    let mut depth = 0i32;
    // Paren depth of an open `VERSIONS BETWEEN` whose `AND TIMESTAMP` is still to come.
    let mut versions_depth: Option<i32> = None;
    let mut k = 0usize;
    while k < sig.len() {
        let pos = sig[k];
        match tokens[pos].token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        let replace = if at(k, "as") && at(k + 1, "of") && at(k + 2, "timestamp") {
            Some((3, vec!["FOR", "SYSTEM_TIME", "AS", "OF"]))
        } else if at(k, "as") && at(k + 1, "of") && at(k + 2, "transaction") {
            Some((3, vec!["TIMESTAMP", "AS", "OF"]))
        } else if at(k, "for") && at(k + 1, "system_time") {
            rewritten = true;
            None
        } else if at(k, "versions") && at(k + 1, "between") && at(k + 2, "timestamp") {
            versions_depth = Some(depth);
            Some((3, vec!["FOR", "SYSTEM_TIME", "AS", "OF", "NULL", "BETWEEN"]))
        } else if versions_depth == Some(depth) && at(k, "and") && at(k + 1, "timestamp") {
            versions_depth = None;
            Some((2, vec!["AND"]))
        } else {
            None
        };
        match replace {
            Some((n, words)) => {
                out.extend_from_slice(&tokens[next..pos]);
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        out.push(space());
                    }
                    out.push(kw(w));
                }
                next = sig[k + n - 1] + 1;
                k += n;
                rewritten = true;
            }
            None => k += 1,
        }
    }
    out.extend_from_slice(&tokens[next..]);
    (out, rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(sql: &str) -> HeliosStatement {
        match parse(sql).unwrap().unwrap().pop().unwrap() {
            Statement::Helios(h) => *h,
            other => panic!("not ours: {other:?}"),
        }
    }

    #[test]
    fn parses_branch_statements() {
        assert_eq!(
            ours("create branch Dev from main"),
            HeliosStatement::CreateBranch {
                name: "dev".into(),
                parent: Some("main".into()),
                as_of: None
            }
        );
        assert!(matches!(
            ours("CREATE BRANCH fix AS OF TRANSACTION 7"),
            HeliosStatement::CreateBranch { as_of: Some(a), .. } if matches!(*a, AsOf::Transaction(_))
        ));
        assert_eq!(ours("use branch \"Dev\""), HeliosStatement::UseBranch("Dev".into()));
        assert_eq!(ours("SHOW BRANCHES"), HeliosStatement::ShowBranches);
        assert_eq!(
            ours("merge branch a into b with (on_conflict = 'theirs')"),
            HeliosStatement::MergeBranch {
                source: "a".into(),
                target: "b".into(),
                on_conflict: OnConflict::Theirs
            }
        );
        assert_eq!(
            ours("drop branch if exists x cascade"),
            HeliosStatement::DropBranch { name: "x".into(), if_exists: true, cascade: true }
        );
        assert!(parse("merge branch a into b with (on_conflict = 'maybe')").is_err());
        assert!(parse("create branch").is_err());
        assert!(parse("use branch a b").is_err());
    }

    fn version_of(sql: &str) -> TableVersionSpec {
        let Statement::Sql(s) = parse(sql).unwrap().unwrap().pop().unwrap() else {
            panic!("not sql")
        };
        let ast::Statement::Query(q) = *s else { panic!("not a query") };
        let ast::SetExpr::Select(sel) = *q.body else { panic!("not a select") };
        let ast::TableFactor::Table { version: Some(v), .. } = &sel.from[0].relation else {
            panic!("no version")
        };
        TableVersionSpec::from_ast(v).unwrap()
    }

    #[test]
    fn rewrites_table_clauses() {
        let as_of = |sql: &str| match version_of(sql) {
            TableVersionSpec::AsOf(a) => *a,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            as_of("select * from t as of timestamp (select x from m) as a where a.x = 1"),
            AsOf::Timestamp(ast::Expr::Subquery(_))
        ));
        assert!(matches!(as_of("select * from t AS OF TRANSACTION 12"), AsOf::Transaction(_)));
        assert!(matches!(as_of("select * from t for system_time as of now()"), AsOf::Timestamp(_)));
        assert!(matches!(
            version_of(
                "select * from t versions between timestamp (select 1) and timestamp now() \
                 where true and false"
            ),
            TableVersionSpec::Versions(b) if matches!(b.1, ast::Expr::Function(_))
        ));
        assert!(parse("select 1").unwrap().is_none());
    }
}
