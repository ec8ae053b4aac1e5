//! The aggregate statements, which sqlparser does not read:
//!
//! ```text
//! CREATE [OR REPLACE] AGGREGATE name ( * | [mode] [argname] argtype [, ...] )
//!     ( SFUNC = f, STYPE = t [, option [= value]] ... )
//! CREATE [OR REPLACE] AGGREGATE name ( BASETYPE = t, SFUNC = f, STYPE = t, ... )
//! DROP AGGREGATE [IF EXISTS] name ( * | argtypes ) [, ...] [CASCADE | RESTRICT]
//! ALTER AGGREGATE name ( * | argtypes ) { RENAME TO new | OWNER TO role }
//! ```
//!
//! The options are kept as lowercase names with their values as text; the session
//! checks them.

use super::{is_word, take_word};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

type PResult<T> = std::result::Result<T, ParserError>;

/// The argument list of an aggregate: `*` or typed arguments.
#[derive(Debug, Clone)]
pub struct AggregateArgs {
    /// `(*)`: no arguments.
    pub star: bool,
    /// The argument types.
    pub types: Vec<ast::DataType>,
    /// The last argument is `VARIADIC`.
    pub variadic: bool,
    /// `(args ORDER BY args)`: an ordered-set aggregate.
    pub ordered: bool,
}

/// A parsed `CREATE AGGREGATE`.
#[derive(Debug, Clone)]
pub struct CreateAggregate {
    /// `OR REPLACE`.
    pub or_replace: bool,
    /// The aggregate's name.
    pub name: ast::ObjectName,
    /// The arguments (`None` in the old syntax, where `BASETYPE` gives them).
    pub args: Option<AggregateArgs>,
    /// `name = value` options (lowercase names; `None` for a bare option such as
    /// `FINALFUNC_EXTRA`); string values unquoted.
    pub options: Vec<(String, Option<String>)>,
}

/// An aggregate named with its argument types, as DROP and ALTER name one.
#[derive(Debug, Clone)]
pub struct AggregateRef {
    /// The name.
    pub name: ast::ObjectName,
    /// The arguments.
    pub args: AggregateArgs,
}

/// What `ALTER AGGREGATE` changes.
#[derive(Debug, Clone)]
pub enum AlterAggregateAction {
    /// `RENAME TO name`.
    Rename(String),
    /// `OWNER TO role`.
    Owner(String),
}

/// An aggregate statement.
#[derive(Debug, Clone)]
pub enum AggregateStatement {
    /// `CREATE AGGREGATE`.
    Create(CreateAggregate),
    /// `DROP AGGREGATE`.
    Drop {
        /// The aggregates.
        aggs: Vec<AggregateRef>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `COMMENT ON AGGREGATE name (args) IS 'text' | NULL`.
    Comment {
        /// The aggregate.
        agg: AggregateRef,
        /// The text (`None` for NULL).
        text: Option<String>,
    },
    /// `ALTER AGGREGATE`.
    Alter {
        /// The aggregate.
        agg: AggregateRef,
        /// The change.
        action: AlterAggregateAction,
    },
}

fn expected<T>(what: &str, p: &mut Parser<'_>) -> PResult<T> {
    let t = p.peek_token();
    Err(ParserError::ParserError(format!("Expected: {what}, found: {}", t.token)))
}

/// Parses the tokens after `CREATE [OR REPLACE] AGGREGATE`.
pub(super) fn parse_create(
    rest: Vec<TokenWithSpan>,
    or_replace: bool,
) -> PResult<AggregateStatement> {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let name = p.parse_object_name(false)?;
    p.expect_token(&Token::LParen)?;
    // The old syntax starts with `option =` right away.
    let old = matches!(p.peek_token_ref().token, Token::Word(_))
        && p.peek_nth_token_ref(1).token == Token::Eq;
    let args = if old {
        None
    } else {
        let a = parse_args_after_paren(&mut p)?;
        p.expect_token(&Token::LParen)?;
        Some(a)
    };
    let options = parse_options(&mut p)?;
    if p.peek_token_ref().token != Token::EOF {
        return expected("end of statement", &mut p);
    }
    Ok(AggregateStatement::Create(CreateAggregate { or_replace, name, args, options }))
}

/// Parses the tokens after `DROP AGGREGATE`.
pub(super) fn parse_drop(rest: Vec<TokenWithSpan>) -> PResult<AggregateStatement> {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let if_exists = take_word(&mut p, "if");
    if if_exists && !take_word(&mut p, "exists") {
        return expected("EXISTS", &mut p);
    }
    let mut aggs = Vec::new();
    loop {
        aggs.push(parse_ref(&mut p)?);
        if !p.consume_token(&Token::Comma) {
            break;
        }
    }
    // Dependencies on aggregates are not tracked: CASCADE and RESTRICT drop the same.
    let _ = take_word(&mut p, "cascade") || take_word(&mut p, "restrict");
    if p.peek_token_ref().token != Token::EOF {
        return expected("end of statement", &mut p);
    }
    Ok(AggregateStatement::Drop { aggs, if_exists })
}

/// Parses the tokens after `ALTER AGGREGATE`.
pub(super) fn parse_alter(rest: Vec<TokenWithSpan>) -> PResult<AggregateStatement> {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let agg = parse_ref(&mut p)?;
    let action = if take_word(&mut p, "rename") {
        if !take_word(&mut p, "to") {
            return expected("TO", &mut p);
        }
        AlterAggregateAction::Rename(super::ident_name(&p.parse_identifier()?))
    } else if take_word(&mut p, "owner") {
        if !take_word(&mut p, "to") {
            return expected("TO", &mut p);
        }
        AlterAggregateAction::Owner(super::ident_name(&p.parse_identifier()?))
    } else {
        return expected("RENAME or OWNER", &mut p);
    };
    if p.peek_token_ref().token != Token::EOF {
        return expected("end of statement", &mut p);
    }
    Ok(AggregateStatement::Alter { agg, action })
}

/// Parses the tokens after `COMMENT ON AGGREGATE`.
pub(super) fn parse_comment(rest: Vec<TokenWithSpan>) -> PResult<AggregateStatement> {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(rest);
    let agg = parse_ref(&mut p)?;
    if !take_word(&mut p, "is") {
        return expected("IS", &mut p);
    }
    let text = match p.next_token().token {
        Token::SingleQuotedString(s) => Some(s),
        t if is_word(&t, "null") => None,
        _ => return expected("a string or NULL", &mut p),
    };
    if p.peek_token_ref().token != Token::EOF {
        return expected("end of statement", &mut p);
    }
    Ok(AggregateStatement::Comment { agg, text })
}

fn parse_ref(p: &mut Parser<'_>) -> PResult<AggregateRef> {
    let name = p.parse_object_name(false)?;
    p.expect_token(&Token::LParen)?;
    let args = parse_args_after_paren(p)?;
    Ok(AggregateRef { name, args })
}

/// `* )` or `[mode] [name] type, ... [ORDER BY ...] )`.
fn parse_args_after_paren(p: &mut Parser<'_>) -> PResult<AggregateArgs> {
    let mut args =
        AggregateArgs { star: false, types: Vec::new(), variadic: false, ordered: false };
    if p.consume_token(&Token::Mul) {
        p.expect_token(&Token::RParen)?;
        args.star = true;
        return Ok(args);
    }
    if p.consume_token(&Token::RParen) {
        return Ok(args);
    }
    loop {
        if take_word(p, "order") {
            if !take_word(p, "by") {
                return expected("BY", p);
            }
            args.ordered = true;
        }
        let _ = take_word(p, "in");
        if take_word(p, "variadic") {
            args.variadic = true;
        }
        args.types.push(parse_arg_type(p)?);
        if p.consume_token(&Token::RParen) {
            return Ok(args);
        }
        let order_next = is_word(&p.peek_token_ref().token, "order");
        if !order_next {
            p.expect_token(&Token::Comma)?;
        }
    }
}

/// `[name] type`: a leading word followed by another word starts with the argument's
/// name, unless the two make a type name (`double precision`, `character varying`,
/// `timestamp with time zone`).
fn parse_arg_type(p: &mut Parser<'_>) -> PResult<ast::DataType> {
    let first = p.peek_token_ref().token.clone();
    let second = p.peek_nth_token_ref(1).token.clone();
    let multiword_start =
        ["double", "character", "char", "bit", "national", "time", "timestamp", "interval"]
            .iter()
            .any(|w| is_word(&first, w));
    let named = matches!(first, Token::Word(_))
        && matches!(second, Token::Word(_))
        && !multiword_start
        && !is_word(&second, "order");
    if named {
        p.parse_identifier()?;
    }
    p.parse_data_type()
}

/// `name [= value], ... )`.
fn parse_options(p: &mut Parser<'_>) -> PResult<Vec<(String, Option<String>)>> {
    let mut options = Vec::new();
    loop {
        let key = super::ident_name(&p.parse_identifier()?);
        let value = if p.consume_token(&Token::Eq) { Some(option_value(p)?) } else { None };
        options.push((key, value));
        if p.consume_token(&Token::RParen) {
            return Ok(options);
        }
        p.expect_token(&Token::Comma)?;
    }
}

/// An option's value as text: a string's contents, or the tokens up to the next `,` or
/// `)` at depth 0 (a name, a type, a number, an operator).
fn option_value(p: &mut Parser<'_>) -> PResult<String> {
    if let Token::SingleQuotedString(s) = &p.peek_token_ref().token {
        let s = s.clone();
        p.advance_token();
        return Ok(s);
    }
    let mut text = String::new();
    let mut depth = 0usize;
    let mut last_word = false;
    loop {
        let t = p.peek_token_ref().token.clone();
        match t {
            Token::EOF => break,
            Token::Comma | Token::RParen if depth == 0 => break,
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
        p.next_token();
        let word = matches!(t, Token::Word(_));
        if word && last_word {
            text.push(' ');
        }
        last_word = word;
        text.push_str(&t.to_string());
    }
    let text = text.trim().to_string();
    if text.is_empty() {
        return expected("a value", p);
    }
    Ok(text)
}
