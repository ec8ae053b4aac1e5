//! The PL/pgSQL parser: statements are read from sqlparser's tokens; the SQL inside
//! (expressions, queries, commands) is cut out by token positions and handed to our
//! SQL parser.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::ast::*;
use crate::parser::Statement as ParsedStatement;

/// Parses a function body (`[DECLARE ...] BEGIN ... END [;]`).
pub fn parse_function(body: &str) -> Result<Function> {
    let src = spaced_ranges(body);
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, &src)
        .tokenize_with_location()
        .map_err(|e| syntax(&e.to_string()))?;
    let toks: Vec<TokenWithSpan> =
        tokens.into_iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
    let mut p = P { toks, pos: 0, src: &src, lines: line_starts(&src), declared: Vec::new() };
    let label = p.label();
    let block = p.block(label)?;
    p.take(&Token::SemiColon);
    if !p.at_end() {
        return Err(p.error());
    }
    check_constants(&block, &mut Vec::new())?;
    Ok(Function { block })
}

/// Assignments to CONSTANT variables are compile errors, as in PostgreSQL.
fn check_constants(b: &Block, constants: &mut Vec<String>) -> Result<()> {
    let mark = constants.len();
    constants.extend(b.decls.iter().filter(|d| d.constant).map(|d| d.name.clone()));
    let r = check_list(&b.body, constants)
        .and_then(|()| b.handlers.iter().try_for_each(|h| check_list(&h.body, constants)));
    constants.truncate(mark);
    r
}

fn check_list(list: &[Statement], constants: &mut Vec<String>) -> Result<()> {
    for s in list {
        match &s.stmt {
            Stmt::Assign(t, _) if t.field.is_none() && constants.contains(&t.name) => {
                return Err(Error::new(
                    SqlState::from_code("22005"),
                    format!("variable \"{}\" is declared CONSTANT", t.name),
                ));
            }
            Stmt::If(branches, otherwise) => {
                for (_, body) in branches {
                    check_list(body, constants)?;
                }
                check_list(otherwise, constants)?;
            }
            Stmt::Case { whens, otherwise, .. } => {
                for (_, body) in whens {
                    check_list(body, constants)?;
                }
                if let Some(o) = otherwise {
                    check_list(o, constants)?;
                }
            }
            Stmt::Loop(_, body)
            | Stmt::While(_, _, body)
            | Stmt::ForRange { body, .. }
            | Stmt::ForQuery { body, .. }
            | Stmt::ForCursor { body, .. }
            | Stmt::ForEach { body, .. } => check_list(body, constants)?,
            Stmt::Block(b) => check_constants(b, constants)?,
            _ => {}
        }
    }
    Ok(())
}

/// `a..b` is read by the tokenizer as the numbers `a.` and `.b`: put spaces around
/// `..` outside string literals.
fn spaced_ranges(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let mut in_quote = false;
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            in_quote = !in_quote;
        }
        if !in_quote && c == '.' && chars.get(i + 1) == Some(&'.') {
            out.push_str(" .. ");
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn line_starts(src: &str) -> Vec<usize> {
    let mut v = vec![0];
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' {
            v.push(i + 1);
        }
    }
    v
}

fn syntax(msg: &str) -> Error {
    Error::new(SqlState::SYNTAX_ERROR, msg.to_string())
}

struct P<'s> {
    toks: Vec<TokenWithSpan>,
    pos: usize,
    src: &'s str,
    lines: Vec<usize>,
    /// The variables declared in the enclosing blocks, innermost last: cursor
    /// arguments and `FOR ... IN cursor` are resolved while parsing, as in PostgreSQL.
    declared: Vec<(String, Declared)>,
}

/// What the parser knows of a declared variable.
#[derive(Debug, Clone)]
enum Declared {
    /// A cursor variable bound to a query.
    Bound(Arc<CursorDecl>),
    /// A `refcursor` variable without a query.
    Unbound,
    /// Any other variable.
    Other,
}

/// Words that end a statement list.
const LIST_END: &[&str] = &["end", "else", "elsif", "elseif", "when", "exception"];

impl P<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len() || self.toks[self.pos].token == Token::EOF
    }

    fn peek(&self) -> &Token {
        self.toks.get(self.pos).map(|t| &t.token).unwrap_or(&Token::EOF)
    }

    fn peek_at(&self, n: usize) -> &Token {
        self.toks.get(self.pos + n).map(|t| &t.token).unwrap_or(&Token::EOF)
    }

    fn is_word_at(&self, n: usize, w: &str) -> bool {
        matches!(self.peek_at(n), Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
    }

    fn is_word(&self, w: &str) -> bool {
        self.is_word_at(0, w)
    }

    fn take_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn take(&mut self, t: &Token) -> bool {
        if self.peek() == t {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self) -> Error {
        match self.peek() {
            Token::EOF => syntax("syntax error at end of input"),
            t => self.anchor_at(self.pos, syntax(&format!("syntax error at or near \"{t}\""))),
        }
    }

    /// `e` pointing at token `i` (body line and column; CREATE FUNCTION re-bases them
    /// onto its statement text).
    fn anchor_at(&self, i: usize, e: Error) -> Error {
        match self.toks.get(i) {
            Some(t) if t.token != Token::EOF => {
                e.with_anchor(t.span.start.line, t.span.start.column, &t.token.to_string())
            }
            _ => e,
        }
    }

    /// `e`, found in a piece of SQL that token `i` starts (after `prefix` characters
    /// the piece has in front of the body's text), pointing into the body.
    fn shifted(&self, i: usize, prefix: i64, e: Error) -> Error {
        match self.toks.get(i) {
            Some(t) => e.shift_anchor(t.span.start.line, t.span.start.column as i64 - prefix),
            None => e,
        }
    }

    /// [`stmt_sql`] of a statement that token `i` starts.
    fn stmt_at(&self, i: usize, text: &str) -> Result<Sql> {
        stmt_sql(text).map_err(|e| self.shifted(i, 0, e))
    }

    /// [`expr_sql`] of an expression that token `i` starts.
    fn expr_at(&self, i: usize, text: &str) -> Result<Sql> {
        expr_sql(text).map_err(|e| self.shifted(i, 7, e))
    }

    fn expect_word(&mut self, w: &str) -> Result<()> {
        if self.take_word(w) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect(&mut self, t: &Token) -> Result<()> {
        if self.take(t) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn ident(&mut self) -> Result<String> {
        match self.peek().clone() {
            Token::Word(w) => {
                self.pos += 1;
                Ok(match w.quote_style {
                    Some(_) => w.value,
                    None => w.value.to_lowercase(),
                })
            }
            _ => Err(self.error()),
        }
    }

    /// `<<label>>` before a block or loop.
    fn label(&mut self) -> Option<String> {
        if *self.peek() == Token::ShiftLeft && *self.peek_at(2) == Token::ShiftRight {
            if let Token::Word(w) = self.peek_at(1).clone() {
                self.pos += 3;
                return Some(w.value.to_lowercase());
            }
        }
        None
    }

    fn offset(&self, loc: Location) -> usize {
        let line_start = self.lines.get(loc.line.saturating_sub(1) as usize).copied().unwrap_or(0);
        let rest = &self.src[line_start..];
        rest.char_indices()
            .nth(loc.column.saturating_sub(1) as usize)
            .map(|(i, _)| line_start + i)
            .unwrap_or(self.src.len())
    }

    /// The source text of tokens `from..to`.
    fn text(&self, from: usize, to: usize) -> String {
        if from >= to {
            return String::new();
        }
        let a = self.offset(self.toks[from].span.start);
        let b = self.offset(self.toks[to - 1].span.end);
        self.src[a..b].to_string()
    }

    /// Advances over tokens until `stop` holds at parenthesis (and CASE) depth 0;
    /// returns the start and end positions.
    fn until(&mut self, stop: &dyn Fn(&P<'_>) -> bool) -> Result<(usize, usize)> {
        let start = self.pos;
        let mut depth = 0i32;
        let mut case_depth = 0i32;
        while !self.at_end() {
            if depth == 0 && case_depth == 0 && stop(self) {
                break;
            }
            match self.peek() {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::SemiColon if depth == 0 => break,
                Token::Word(w) if w.quote_style.is_none() => {
                    if w.value.eq_ignore_ascii_case("case") {
                        case_depth += 1;
                    } else if w.value.eq_ignore_ascii_case("end") && case_depth > 0 {
                        case_depth -= 1;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Ok((start, self.pos))
    }

    fn expr_until(&mut self, stop: &dyn Fn(&P<'_>) -> bool) -> Result<Sql> {
        let (a, b) = self.until(stop)?;
        if a == b {
            return Err(self.error());
        }
        self.expr_at(a, &self.text(a, b))
    }

    /// The body line of the next token.
    fn line(&self) -> u32 {
        self.toks.get(self.pos).map(|t| t.span.start.line as u32).unwrap_or(0)
    }

    fn block(&mut self, label: Option<String>) -> Result<Block> {
        let mark = self.declared.len();
        let r = self.block_inner(label);
        self.declared.truncate(mark);
        r
    }

    fn block_inner(&mut self, label: Option<String>) -> Result<Block> {
        let line = self.line();
        let mut decls = Vec::new();
        if self.take_word("declare") {
            while !self.is_word("begin") {
                if self.at_end() {
                    return Err(self.error());
                }
                if self.take_word("declare") {
                    continue;
                }
                let d = self.decl()?;
                let known = match &d.ty {
                    DeclType::Cursor(c) => Declared::Bound(c.clone()),
                    DeclType::Type(_) if d.refcursor => Declared::Unbound,
                    _ => Declared::Other,
                };
                self.declared.push((d.name.clone(), known));
                decls.push(d);
            }
        }
        self.expect_word("begin")?;
        let body = self.stmts()?;
        let mut handlers = Vec::new();
        if self.take_word("exception") {
            while self.take_word("when") {
                let mut conditions = Vec::new();
                loop {
                    conditions.push(self.condition()?);
                    if !self.take_word("or") {
                        break;
                    }
                }
                self.expect_word("then")?;
                let body = self.stmts()?;
                handlers.push(Handler { conditions, body });
            }
        }
        self.expect_word("end")?;
        if let Token::Word(w) = self.peek() {
            if label.as_deref().is_some_and(|l| w.value.eq_ignore_ascii_case(l)) {
                self.pos += 1;
            }
        }
        Ok(Block { line, label, decls, body, handlers })
    }

    fn condition(&mut self) -> Result<Condition> {
        if self.take_word("sqlstate") {
            return match self.peek().clone() {
                Token::SingleQuotedString(s) => {
                    self.pos += 1;
                    Ok(Condition::Code(s))
                }
                _ => Err(self.error()),
            };
        }
        let name = self.ident()?;
        if name == "others" {
            return Ok(Condition::Others);
        }
        match condition_code(&name) {
            Some(c) => Ok(Condition::Code(c.to_string())),
            None => Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("unrecognized exception condition \"{name}\""),
            )),
        }
    }

    fn decl(&mut self) -> Result<Decl> {
        let name = self.ident()?;
        if self.take_word("alias") {
            self.expect_word("for")?;
            let n = match self.peek().clone() {
                Token::Placeholder(p) => {
                    p[1..].parse::<usize>().map(|n| format!("${n}")).map_err(|_| self.error())?
                }
                Token::Word(_) => {
                    let name = self.ident()?;
                    self.pos -= 1;
                    name
                }
                _ => return Err(self.error()),
            };
            self.pos += 1;
            self.expect(&Token::SemiColon)?;
            return Ok(Decl {
                name,
                ty: DeclType::Alias(n),
                constant: false,
                not_null: false,
                default: None,
                refcursor: false,
            });
        }
        if let Some(cursor) = self.cursor_decl()? {
            return Ok(Decl {
                name,
                ty: DeclType::Cursor(Arc::new(cursor)),
                constant: false,
                not_null: false,
                default: None,
                refcursor: true,
            });
        }
        let constant = self.take_word("constant");
        let (a, b) = self.until(&|p: &P<'_>| {
            p.is_word("default")
                || p.is_word("not")
                || *p.peek() == Token::Assignment
                || *p.peek() == Token::Eq
                || p.is_word("collate")
        })?;
        let ty_text = self.text(a, b);
        let ty = decl_type(&ty_text)?;
        let refcursor = ty_text.trim().eq_ignore_ascii_case("refcursor");
        let mut not_null = false;
        if self.take_word("collate") {
            self.ident()?;
        }
        if self.take_word("not") {
            self.expect_word("null")?;
            not_null = true;
        }
        let default = if self.take_word("default")
            || self.take(&Token::Assignment)
            || self.take(&Token::Eq)
        {
            Some(self.expr_until(&|_| false)?)
        } else {
            None
        };
        self.expect(&Token::SemiColon)?;
        Ok(Decl { name, ty, constant, not_null, default, refcursor })
    }

    /// `[NO] SCROLL CURSOR [(name type, ...)] {FOR | IS} query;` after a variable's
    /// name; `None` (nothing read) for any other declaration.
    fn cursor_decl(&mut self) -> Result<Option<CursorDecl>> {
        let scroll = if self.is_word("no") && self.is_word_at(1, "scroll") {
            Some(false)
        } else if self.is_word("scroll") {
            Some(true)
        } else {
            None
        };
        let skip = match scroll {
            Some(false) => 2,
            Some(true) => 1,
            None => 0,
        };
        if !self.is_word_at(skip, "cursor") {
            return Ok(None);
        }
        self.pos += skip + 1;
        let mut params = Vec::new();
        if self.take(&Token::LParen) {
            loop {
                let name = self.ident()?;
                let (a, b) =
                    self.until(&|p: &P<'_>| matches!(p.peek(), Token::Comma | Token::RParen))?;
                let ty = match decl_type(&self.text(a, b))? {
                    DeclType::Type(t) => t,
                    _ => return Err(syntax("cursor parameters must have a scalar type")),
                };
                params.push((name, ty));
                if !self.take(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::RParen)?;
        }
        if !self.take_word("for") {
            self.expect_word("is")?;
        }
        let (a, b) = self.until(&|_| false)?;
        self.expect(&Token::SemiColon)?;
        let query = self.stmt_at(a, &self.text(a, b))?;
        Ok(Some(CursorDecl { scroll, params, query }))
    }

    /// What the innermost declaration of `name` is.
    fn declared(&self, name: &str) -> Option<&Declared> {
        self.declared.iter().rev().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    /// The arguments of bound cursor `name` (after its name in OPEN or FOR), matched to
    /// its parameters: `(expr, ...)`, `(param := expr, ...)` or a mix (a positional
    /// argument goes to the parameter of its position). Returns them as one expression
    /// list `expr AS param, ...` in parameter order.
    fn cursor_args(&mut self, name: &str, decl: &CursorDecl) -> Result<Option<Sql>> {
        if decl.params.is_empty() {
            if *self.peek() == Token::LParen {
                return Err(syntax(&format!("cursor \"{name}\" has no arguments")));
            }
            return Ok(None);
        }
        if !self.take(&Token::LParen) {
            return Err(syntax(&format!("cursor \"{name}\" has arguments")));
        }
        let mut values: Vec<Option<String>> = vec![None; decl.params.len()];
        let mut position = 0;
        loop {
            let start = self.pos;
            let named = matches!(self.peek(), Token::Word(_))
                && matches!(self.peek_at(1), Token::Assignment | Token::RArrow);
            let slot = if named {
                let param = self.ident()?;
                self.pos += 1;
                decl.params.iter().position(|(n, _)| *n == param).ok_or_else(|| {
                    let msg = format!("cursor \"{name}\" has no argument named \"{param}\"");
                    self.anchor_at(start, syntax(&msg))
                })?
            } else {
                position
            };
            if slot >= values.len() {
                let msg = format!("too many arguments for cursor \"{name}\"");
                return Err(self.anchor_at(start, syntax(&msg)));
            }
            let (a, b) =
                self.until(&|p: &P<'_>| matches!(p.peek(), Token::Comma | Token::RParen))?;
            if a == b {
                return Err(self.error());
            }
            if values[slot].is_some() {
                let msg = format!(
                    "value for parameter \"{}\" of cursor \"{name}\" specified more than once",
                    decl.params[slot].0
                );
                return Err(self.anchor_at(start, syntax(&msg)));
            }
            values[slot] = Some(self.text(a, b));
            position += 1;
            if !self.take(&Token::Comma) {
                break;
            }
        }
        let close = self.pos;
        self.expect(&Token::RParen)?;
        let mut list = Vec::with_capacity(values.len());
        for (v, (param, _)) in values.into_iter().zip(&decl.params) {
            let v = v.ok_or_else(|| {
                let msg = format!("not enough arguments for cursor \"{name}\"");
                self.anchor_at(close, syntax(&msg))
            })?;
            list.push(format!("{v} AS {}", crate::functions::format::quote_ident(param)));
        }
        expr_sql(&list.join(", ")).map(Some)
    }

    /// `OPEN cursor [(args)]` / `OPEN cursor [[NO] SCROLL] FOR {query | EXECUTE ...}`.
    fn open(&mut self) -> Result<Stmt> {
        let cursor = self.ident()?;
        let bound = match self.declared(&cursor) {
            Some(Declared::Bound(d)) => Some(d.clone()),
            _ => None,
        };
        let source = match bound {
            Some(decl) => OpenSource::Bound(self.cursor_args(&cursor, &decl)?),
            None => {
                let scroll = if self.take_word("no") {
                    self.expect_word("scroll")?;
                    Some(false)
                } else if self.take_word("scroll") {
                    Some(true)
                } else {
                    None
                };
                self.expect_word("for")?;
                let source = self.query_source(&|_| false)?;
                OpenSource::Query { scroll, source }
            }
        };
        self.expect(&Token::SemiColon)?;
        Ok(Stmt::Open { cursor, source })
    }

    /// `FETCH [direction {FROM | IN}] cursor INTO targets` (`is_move`: `MOVE ...`).
    fn fetch(&mut self, is_move: bool) -> Result<Stmt> {
        use crate::parser::cursor::{Count, Direction};
        let from = |p: &P<'_>| p.is_word("from") || p.is_word("in");
        let word = match self.peek() {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
            _ => String::new(),
        };
        // A cursor variable may be named like a direction word: then it is followed by
        // INTO or `;` rather than by more words.
        let is_cursor_name =
            matches!(self.peek_at(1), Token::SemiColon) || self.is_word_at(1, "into");
        let direction = match word.as_str() {
            _ if is_cursor_name => FetchDirection::Fixed(Direction::Forward(Count::Rows(1))),
            "next" | "prior" | "first" | "last" => {
                self.pos += 1;
                FetchDirection::Fixed(match word.as_str() {
                    "next" => Direction::Forward(Count::Rows(1)),
                    "prior" => Direction::Backward(Count::Rows(1)),
                    "first" => Direction::Absolute(1),
                    _ => Direction::Absolute(-1),
                })
            }
            "absolute" | "relative" => {
                self.pos += 1;
                let n = self.expr_until(&from)?;
                if word == "absolute" {
                    FetchDirection::Absolute(n)
                } else {
                    FetchDirection::Relative(n)
                }
            }
            "forward" | "backward" => {
                self.pos += 1;
                let back = word == "backward";
                if from(self) {
                    let one = Count::Rows(1);
                    FetchDirection::Fixed(if back {
                        Direction::Backward(one)
                    } else {
                        Direction::Forward(one)
                    })
                } else if self.take_word("all") {
                    FetchDirection::Fixed(if back {
                        Direction::Backward(Count::All)
                    } else {
                        Direction::Forward(Count::All)
                    })
                } else {
                    let n = self.expr_until(&from)?;
                    if back {
                        FetchDirection::Backward(n)
                    } else {
                        FetchDirection::Forward(n)
                    }
                }
            }
            _ => FetchDirection::Fixed(Direction::Forward(Count::Rows(1))),
        };
        if !self.take_word("from") {
            self.take_word("in");
        }
        let cursor = self.ident()?;
        let into = if is_move {
            None
        } else {
            self.expect_word("into")?;
            let multiple = matches!(
                direction,
                FetchDirection::Forward(_)
                    | FetchDirection::Backward(_)
                    | FetchDirection::Fixed(
                        Direction::Forward(Count::All) | Direction::Backward(Count::All)
                    )
            );
            if multiple {
                return Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "FETCH statement cannot return multiple rows",
                ));
            }
            Some(self.targets_of_into()?)
        };
        self.expect(&Token::SemiColon)?;
        Ok(Stmt::Fetch { cursor, direction, into })
    }

    fn stmts(&mut self) -> Result<Vec<Statement>> {
        let mut out = Vec::new();
        loop {
            if self.at_end() || LIST_END.iter().any(|w| self.is_word(w)) {
                // `END` of a statement list, but not `END IF` etc. inside an expression.
                return Ok(out);
            }
            // The line of the statement's keyword, after any label.
            let save = self.pos;
            self.label();
            let line = self.line();
            self.pos = save;
            out.push(Statement { line, stmt: self.stmt()? });
        }
    }

    fn end_of(&mut self, word: &str) -> Result<()> {
        self.expect_word("end")?;
        self.expect_word(word)?;
        Ok(())
    }

    fn loop_tail(&mut self, label: &Option<String>) -> Result<Vec<Statement>> {
        self.expect_word("loop")?;
        let body = self.stmts()?;
        self.end_of("loop")?;
        if let Token::Word(w) = self.peek() {
            if label.as_deref().is_some_and(|l| w.value.eq_ignore_ascii_case(l)) {
                self.pos += 1;
            }
        }
        self.expect(&Token::SemiColon)?;
        Ok(body)
    }

    fn target(&mut self) -> Result<Target> {
        let name = self.ident()?;
        let field = if self.take(&Token::Period) { Some(self.ident()?) } else { None };
        let mut subscripts = Vec::new();
        while self.take(&Token::LBracket) {
            subscripts.push(self.expr_until(&|p: &P<'_>| *p.peek() == Token::RBracket)?);
            self.expect(&Token::RBracket)?;
        }
        Ok(Target { name, field, subscripts })
    }

    /// Whether an assignment starts here: `name[.field][[i]...] :=` (or `=`).
    fn assignment_ahead(&self) -> bool {
        self.assignment_op().is_some()
    }

    /// The operator of an assignment starting here (`:=` or `=`), if one does.
    fn assignment_op(&self) -> Option<&Token> {
        let mut n = 1;
        if *self.peek_at(n) == Token::Period {
            if !matches!(self.peek_at(n + 1), Token::Word(_)) {
                return None;
            }
            n += 2;
        }
        while *self.peek_at(n) == Token::LBracket {
            let mut depth = 0;
            loop {
                match self.peek_at(n) {
                    Token::LBracket | Token::LParen => depth += 1,
                    Token::RBracket | Token::RParen => depth -= 1,
                    Token::SemiColon | Token::EOF => return None,
                    _ => {}
                }
                n += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        Some(self.peek_at(n)).filter(|t| matches!(t, Token::Assignment | Token::Eq))
    }

    fn stmt(&mut self) -> Result<Stmt> {
        let label = self.label();
        // `word := ...` assigns even when the word is a keyword (`return := 1`).
        if label.is_none()
            && matches!(self.peek(), Token::Word(_))
            && self.assignment_op() == Some(&Token::Assignment)
        {
            return self.assignment();
        }
        if self.is_word("declare") || self.is_word("begin") {
            let b = self.block(label)?;
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Block(Box::new(b)));
        }
        if self.take_word("loop") {
            let body = self.stmts()?;
            self.end_of("loop")?;
            if let Token::Word(w) = self.peek() {
                if label.as_deref().is_some_and(|l| w.value.eq_ignore_ascii_case(l)) {
                    self.pos += 1;
                }
            }
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Loop(label, body));
        }
        if self.take_word("while") {
            let cond = self.expr_until(&|p: &P<'_>| p.is_word("loop"))?;
            let body = self.loop_tail(&label)?;
            return Ok(Stmt::While(label, cond, body));
        }
        if self.take_word("for") {
            return self.for_loop(label);
        }
        if self.take_word("foreach") {
            let mut targets = vec![self.target()?];
            while self.take(&Token::Comma) {
                targets.push(self.target()?);
            }
            let slice = if self.take_word("slice") {
                match self.peek().clone() {
                    Token::Number(n, _) => {
                        self.pos += 1;
                        n.parse::<usize>().map_err(|_| self.error())?
                    }
                    _ => return Err(self.error()),
                }
            } else {
                0
            };
            self.expect_word("in")?;
            self.expect_word("array")?;
            let array = self.expr_until(&|p: &P<'_>| p.is_word("loop"))?;
            let body = self.loop_tail(&label)?;
            return Ok(Stmt::ForEach { label, targets, slice, array, body });
        }
        if label.is_some() {
            return Err(self.error());
        }
        if self.take_word("if") {
            let mut branches = Vec::new();
            let cond = self.expr_until(&|p: &P<'_>| p.is_word("then"))?;
            self.expect_word("then")?;
            branches.push((cond, self.stmts()?));
            let mut otherwise = Vec::new();
            loop {
                if self.take_word("elsif") || self.take_word("elseif") {
                    let cond = self.expr_until(&|p: &P<'_>| p.is_word("then"))?;
                    self.expect_word("then")?;
                    branches.push((cond, self.stmts()?));
                } else if self.take_word("else") {
                    otherwise = self.stmts()?;
                } else {
                    break;
                }
            }
            self.end_of("if")?;
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::If(branches, otherwise));
        }
        if self.take_word("case") {
            let operand = if self.is_word("when") {
                None
            } else {
                Some(self.expr_until(&|p: &P<'_>| p.is_word("when"))?)
            };
            let mut whens = Vec::new();
            while self.take_word("when") {
                let mut values = Vec::new();
                loop {
                    values.push(self.expr_until(&|p: &P<'_>| {
                        p.is_word("then") || (*p.peek() == Token::Comma)
                    })?);
                    if !self.take(&Token::Comma) {
                        break;
                    }
                }
                self.expect_word("then")?;
                whens.push((values, self.stmts()?));
            }
            let otherwise = if self.take_word("else") { Some(self.stmts()?) } else { None };
            self.end_of("case")?;
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Case { operand, whens, otherwise });
        }
        if self.is_word("exit") || self.is_word("continue") {
            let cont = self.is_word("continue");
            self.pos += 1;
            let label = match self.peek() {
                Token::Word(w) if !w.value.eq_ignore_ascii_case("when") => Some(self.ident()?),
                _ => None,
            };
            let when =
                if self.take_word("when") { Some(self.expr_until(&|_| false)?) } else { None };
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Exit { cont, label, when });
        }
        if self.take_word("return") {
            if self.take_word("next") {
                let e = if *self.peek() == Token::SemiColon {
                    None
                } else {
                    Some(self.expr_until(&|_| false)?)
                };
                self.expect(&Token::SemiColon)?;
                return Ok(Stmt::ReturnNext(e));
            }
            if self.take_word("query") {
                let src = self.query_source(&|_| false)?;
                self.expect(&Token::SemiColon)?;
                return Ok(Stmt::ReturnQuery(src));
            }
            let e = if *self.peek() == Token::SemiColon {
                None
            } else {
                Some(self.expr_until(&|_| false)?)
            };
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Return(e));
        }
        if self.take_word("raise") {
            return self.raise();
        }
        if self.take_word("null") {
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Null);
        }
        if self.take_word("assert") {
            let cond = self.expr_until(&|p: &P<'_>| *p.peek() == Token::Comma)?;
            let message =
                if self.take(&Token::Comma) { Some(self.expr_until(&|_| false)?) } else { None };
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Assert(cond, message));
        }
        if self.take_word("perform") {
            let (a, b) = self.until(&|_| false)?;
            self.expect(&Token::SemiColon)?;
            let text = format!("SELECT {}", self.text(a, b));
            return Ok(Stmt::Perform(
                stmt_sql(&text).map_err(|e| self.shifted(a, "SELECT ".len() as i64, e))?,
            ));
        }
        if self.is_word("get") {
            self.pos += 1;
            self.take_word("current");
            let stacked = self.take_word("stacked");
            self.expect_word("diagnostics")?;
            let mut items = Vec::new();
            loop {
                let t = self.target()?;
                if !self.take(&Token::Eq) {
                    self.expect(&Token::Assignment)?;
                }
                let item = self.ident()?;
                items.push((t, item));
                if !self.take(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::GetDiagnostics(stacked, items));
        }
        if self.is_word("open") && matches!(self.peek_at(1), Token::Word(_)) {
            self.pos += 1;
            return self.open();
        }
        if (self.is_word("fetch") || self.is_word("move"))
            && matches!(self.peek_at(1), Token::Word(_))
        {
            let is_move = self.is_word("move");
            self.pos += 1;
            return self.fetch(is_move);
        }
        if self.is_word("close") && matches!(self.peek_at(1), Token::Word(_)) {
            self.pos += 1;
            let cursor = self.ident()?;
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Close(cursor));
        }
        if self.take_word("execute") {
            let expr = self.expr_until(&|p: &P<'_>| p.is_word("into") || p.is_word("using"))?;
            let mut into = None;
            let mut using = Vec::new();
            loop {
                if self.take_word("into") {
                    into = Some(self.targets_of_into()?);
                } else if self.take_word("using") {
                    using = self.expr_list(&|p: &P<'_>| p.is_word("into"))?;
                } else {
                    break;
                }
            }
            self.expect(&Token::SemiColon)?;
            return Ok(Stmt::Execute { expr, into, using });
        }
        // An assignment: `target := expr` / `target = expr`.
        if let (true, Token::Word(w)) = (self.assignment_ahead(), self.peek()) {
            if w.keyword == sqlparser::keywords::Keyword::NoKeyword || !is_sql_start(&w.value) {
                return self.assignment();
            }
        }
        self.sql_statement()
    }

    /// `target := expr;` (or `=`).
    fn assignment(&mut self) -> Result<Stmt> {
        let start = self.pos;
        let t = self.target()?;
        self.pos += 1;
        let expr_start = self.pos;
        let mut e = self.expr_until(&|_| false)?;
        let (a, b) = (
            self.offset(self.toks[start].span.start),
            self.offset(self.toks[expr_start].span.start),
        );
        e.kind = SqlKind::Assignment { prefix: self.src[a..b].to_string() };
        self.expect(&Token::SemiColon)?;
        Ok(Stmt::Assign(t, e))
    }

    fn expr_list(&mut self, also_stop: &dyn Fn(&P<'_>) -> bool) -> Result<Vec<Sql>> {
        let mut out = Vec::new();
        loop {
            out.push(self.expr_until(&|p: &P<'_>| *p.peek() == Token::Comma || also_stop(p))?);
            if !self.take(&Token::Comma) {
                return Ok(out);
            }
        }
    }

    fn targets_of_into(&mut self) -> Result<Into> {
        let strict = self.take_word("strict");
        let mut targets = vec![self.target()?];
        while self.take(&Token::Comma) {
            targets.push(self.target()?);
        }
        Ok(Into { strict, targets })
    }

    fn query_source(&mut self, stop: &dyn Fn(&P<'_>) -> bool) -> Result<QuerySource> {
        if self.take_word("execute") {
            let expr = self.expr_until(&|p: &P<'_>| p.is_word("using") || stop(p))?;
            let using = if self.take_word("using") { self.expr_list(stop)? } else { Vec::new() };
            return Ok(QuerySource::Dynamic { expr, using });
        }
        let (a, b) = self.until(stop)?;
        Ok(QuerySource::Static(self.stmt_at(a, &self.text(a, b))?))
    }

    fn for_loop(&mut self, label: Option<String>) -> Result<Stmt> {
        let mut targets = vec![self.target()?];
        while self.take(&Token::Comma) {
            targets.push(self.target()?);
        }
        self.expect_word("in")?;
        if let Token::Word(w) = self.peek() {
            let name =
                if w.quote_style.is_some() { w.value.clone() } else { w.value.to_lowercase() };
            let next_ok = matches!(self.peek_at(1), Token::LParen) || self.is_word_at(1, "loop");
            match self.declared(&name).cloned() {
                Some(Declared::Bound(decl)) if next_ok => {
                    self.pos += 1;
                    let args = self.cursor_args(&name, &decl)?;
                    let body = self.loop_tail(&label)?;
                    if targets.len() != 1 {
                        return Err(syntax("cursor FOR loop must have only one target variable"));
                    }
                    let target = targets.remove(0);
                    return Ok(Stmt::ForCursor { label, target, cursor: name, args, body });
                }
                Some(Declared::Unbound) if next_ok => {
                    return Err(syntax("cursor FOR loop must use a bound cursor variable"));
                }
                _ => {}
            }
        }
        // A range when `..` follows the first expression at depth 0.
        let save = self.pos;
        let reverse = self.take_word("reverse");
        let (a, b) = self.until(&|p: &P<'_>| {
            (*p.peek() == Token::Period && *p.peek_at(1) == Token::Period) || p.is_word("loop")
        })?;
        if *self.peek() == Token::Period && targets.len() == 1 && targets[0].field.is_none() {
            let low = self.expr_at(a, &self.text(a, b))?;
            self.pos += 2;
            let high = self.expr_until(&|p: &P<'_>| p.is_word("loop") || p.is_word("by"))?;
            let step = if self.take_word("by") {
                Some(self.expr_until(&|p: &P<'_>| p.is_word("loop"))?)
            } else {
                None
            };
            let body = self.loop_tail(&label)?;
            let var = targets.remove(0).name;
            return Ok(Stmt::ForRange { label, var, reverse, low, high, step, body });
        }
        self.pos = save;
        let source = self.query_source(&|p: &P<'_>| p.is_word("loop"))?;
        let body = self.loop_tail(&label)?;
        Ok(Stmt::ForQuery { label, targets, source, body })
    }

    fn raise(&mut self) -> Result<Stmt> {
        if self.take(&Token::SemiColon) {
            return Ok(Stmt::Reraise);
        }
        let level = [
            ("debug", RaiseLevel::Debug),
            ("log", RaiseLevel::Log),
            ("info", RaiseLevel::Info),
            ("notice", RaiseLevel::Notice),
            ("warning", RaiseLevel::Warning),
            ("exception", RaiseLevel::Exception),
        ]
        .iter()
        .find(|(w, _)| self.is_word(w))
        .map(|(_, l)| *l);
        if level.is_some() {
            self.pos += 1;
        }
        let level = level.unwrap_or(RaiseLevel::Exception);
        let mut r =
            Raise { level, condition: None, format: None, args: Vec::new(), options: Vec::new() };
        let format = match self.peek().clone() {
            Token::SingleQuotedString(s) => Some(s),
            Token::DollarQuotedString(d) => Some(d.value),
            Token::EscapedStringLiteral(s) => Some(s),
            _ => None,
        };
        match self.peek().clone() {
            _ if format.is_some() => {
                self.pos += 1;
                r.format = format;
                while self.take(&Token::Comma) {
                    r.args.push(self.expr_until(&|p: &P<'_>| {
                        *p.peek() == Token::Comma || p.is_word("using")
                    })?);
                }
            }
            Token::Word(w) if w.value.eq_ignore_ascii_case("sqlstate") => {
                self.pos += 1;
                match self.peek().clone() {
                    Token::SingleQuotedString(s) => {
                        self.pos += 1;
                        r.condition = Some(s);
                    }
                    _ => return Err(self.error()),
                }
            }
            Token::Word(w) if !w.value.eq_ignore_ascii_case("using") => {
                let name = self.ident()?;
                let code = condition_code(&name).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("unrecognized exception condition \"{name}\""),
                    )
                })?;
                r.condition = Some(code.to_string());
                r.format = Some(name);
            }
            _ => {}
        }
        if self.take_word("using") {
            loop {
                let opt = self.ident()?;
                if !self.take(&Token::Eq) {
                    self.expect(&Token::Assignment)?;
                }
                let e = self.expr_until(&|p: &P<'_>| *p.peek() == Token::Comma)?;
                r.options.push((opt, e));
                if !self.take(&Token::Comma) {
                    break;
                }
            }
        }
        self.expect(&Token::SemiColon)?;
        Ok(Stmt::Raise(Box::new(r)))
    }

    /// A SQL statement up to `;`, with an INTO clause taken out.
    fn sql_statement(&mut self) -> Result<Stmt> {
        let start = self.pos;
        let first = match self.peek() {
            Token::Word(w) => w.value.to_ascii_lowercase(),
            _ => return Err(self.error()),
        };
        let (a, b) = self.until(&|_| false)?;
        self.expect(&Token::SemiColon)?;
        // Find INTO at depth 0: the first one of a SELECT, the one after RETURNING.
        let mut depth = 0;
        let mut into_at = None;
        let mut seen_returning = false;
        for i in a..b {
            match &self.toks[i].token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::Word(w) if depth == 0 && w.quote_style.is_none() => {
                    let v = w.value.to_ascii_lowercase();
                    if v == "returning" {
                        seen_returning = true;
                    }
                    if v == "into" {
                        let select_into = (first == "select" || first == "with")
                            && !matches!(&self.toks[i.saturating_sub(1)].token, Token::Word(p) if p.value.eq_ignore_ascii_case("insert"));
                        if (select_into && into_at.is_none()) || seen_returning {
                            into_at = Some(i);
                            if seen_returning {
                                break;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let _ = start;
        let Some(at) = into_at else {
            return Ok(Stmt::Sql(self.stmt_at(a, &self.text(a, b))?, None));
        };
        let end_pos = self.pos;
        self.pos = at + 1;
        let into = self.targets_of_into()?;
        let after = self.pos;
        self.pos = end_pos;
        let text = format!("{} {}", self.text(a, at), self.text(after, b));
        Ok(Stmt::Sql(self.stmt_at(a, &text)?, Some(into)))
    }
}

/// Words that begin SQL statements rather than assignments.
fn is_sql_start(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    matches!(
        w.as_str(),
        "select"
            | "insert"
            | "update"
            | "delete"
            | "with"
            | "create"
            | "drop"
            | "alter"
            | "truncate"
            | "grant"
            | "revoke"
            | "comment"
            | "set"
            | "reset"
            | "lock"
            | "values"
    )
}

/// `x ISNULL` / `x NOTNULL` (PostgreSQL's postfix forms) written as `IS [NOT] NULL`,
/// which sqlparser reads; `None` when the text has neither.
fn null_postfix(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("isnull") && !lower.contains("notnull") {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location().ok()?;
    let lines = line_starts(text);
    let p = P { toks: Vec::new(), pos: 0, src: text, lines, declared: Vec::new() };
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for t in &tokens {
        let Token::Word(w) = &t.token else { continue };
        if w.quote_style.is_some() {
            continue;
        }
        let with = match w.value.to_ascii_lowercase().as_str() {
            "isnull" => " IS NULL",
            "notnull" => " IS NOT NULL",
            _ => continue,
        };
        let (a, b) = (p.offset(t.span.start), p.offset(t.span.end));
        out.push_str(&text[last..a]);
        out.push_str(with);
        last = b;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// Parses `text` as one SQL statement.
pub fn stmt_sql(text: &str) -> Result<Sql> {
    let rewritten = null_postfix(text);
    let mut stmts = crate::parser::parse(rewritten.as_deref().unwrap_or(text))?;
    if stmts.len() != 1 {
        return Err(syntax(&format!("syntax error at or near \"{}\"", text.trim())));
    }
    match stmts.pop() {
        Some(ParsedStatement::Sql(s)) => {
            Ok(Sql { text: text.to_string(), stmt: s, kind: SqlKind::Statement })
        }
        _ => Err(Error::unsupported(format!("statement \"{}\" in PL/pgSQL", text.trim()))),
    }
}

/// Parses `text` as an expression (kept as `SELECT text`).
pub fn expr_sql(text: &str) -> Result<Sql> {
    let s = stmt_sql(&format!("SELECT {text}"))?;
    Ok(Sql { text: text.to_string(), stmt: s.stmt, kind: SqlKind::Expression })
}

fn decl_type(text: &str) -> Result<DeclType> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if lower == "record" {
        return Ok(DeclType::Record);
    }
    if let Some(table) = lower.strip_suffix("%rowtype") {
        return Ok(DeclType::RowType(table.trim().to_string()));
    }
    if let Some(of) = lower.strip_suffix("%type") {
        return Ok(DeclType::TypeOf(of.trim().to_string()));
    }
    let ast = crate::parser::parse_data_type(t)?;
    Ok(DeclType::Type(crate::catalog::typename::resolve_type(&ast)?))
}

/// The SQLSTATE of a PL/pgSQL condition name.
pub fn condition_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "unique_violation" => "23505",
        "foreign_key_violation" => "23503",
        "not_null_violation" => "23502",
        "check_violation" => "23514",
        "integrity_constraint_violation" => "23000",
        "restrict_violation" => "23001",
        "exclusion_violation" => "23P01",
        "division_by_zero" => "22012",
        "data_exception" => "22000",
        "numeric_value_out_of_range" => "22003",
        "invalid_text_representation" => "22P02",
        "string_data_right_truncation" => "22001",
        "invalid_parameter_value" => "22023",
        "null_value_not_allowed" => "22004",
        "invalid_datetime_format" => "22007",
        "datetime_field_overflow" => "22008",
        "no_data_found" => "P0002",
        "too_many_rows" => "P0003",
        "raise_exception" => "P0001",
        "assert_failure" => "P0004",
        "plpgsql_error" => "P0000",
        "undefined_table" => "42P01",
        "undefined_column" => "42703",
        "undefined_function" => "42883",
        "undefined_object" => "42704",
        "duplicate_table" => "42P07",
        "duplicate_object" => "42710",
        "duplicate_column" => "42701",
        "duplicate_function" => "42723",
        "syntax_error" => "42601",
        "insufficient_privilege" => "42501",
        "datatype_mismatch" => "42804",
        "wrong_object_type" => "42809",
        "invalid_schema_name" => "3F000",
        "serialization_failure" => "40001",
        "deadlock_detected" => "40P01",
        "lock_not_available" => "55P03",
        "object_in_use" => "55006",
        "query_canceled" => "57014",
        "feature_not_supported" => "0A000",
        "cardinality_violation" => "21000",
        "invalid_transaction_state" => "25000",
        "read_only_sql_transaction" => "25006",
        "program_limit_exceeded" => "54000",
        "statement_too_complex" => "54001",
        "case_not_found" => "20000",
        "dependent_objects_still_exist" => "2BP01",
        "internal_error" => "XX000",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_core_statements() {
        let f = parse_function(
            "DECLARE n int := 0; r record; BEGIN
               FOR i IN 1..10 LOOP n := n + i; END LOOP;
               IF n > 5 THEN RAISE NOTICE 'n is %', n; ELSIF n < 0 THEN NULL; ELSE n := 1; END IF;
               SELECT a, b INTO STRICT n, r.x FROM t WHERE a = n;
               INSERT INTO t VALUES (n) RETURNING a INTO n;
               <<outer>> LOOP EXIT outer WHEN n > 3; n := n + 1; END LOOP outer;
               BEGIN PERFORM 1/0; EXCEPTION WHEN division_by_zero THEN n := -1; END;
               RETURN n;
             END",
        )
        .unwrap();
        assert_eq!(f.block.decls.len(), 2);
        assert_eq!(f.block.body.len(), 7);
        // Lines count from the text right after the opening quote.
        assert_eq!(f.block.body[0].line, 2);
        assert_eq!(f.block.body[4].line, 6);
        match &f.block.body[2].stmt {
            Stmt::Sql(sql, Some(into)) => {
                assert!(into.strict);
                assert_eq!(into.targets.len(), 2);
                assert!(!sql.text.to_lowercase().contains("into"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_function("BEGIN x := ; END").is_err());
        assert!(parse_function("BEGIN IF true THEN END").is_err());
    }

    #[test]
    fn parses_cursor_statements() {
        use crate::parser::cursor::{Count, Direction};
        let f = parse_function(
            "DECLARE
               c SCROLL CURSOR (lo int, hi int) FOR SELECT a FROM t WHERE a BETWEEN lo AND hi;
               u refcursor;
               x int;
             BEGIN
               OPEN c(hi => 5, lo := 1);
               FETCH PRIOR FROM c INTO x;
               MOVE RELATIVE x - 1 IN c;
               FETCH c INTO x;
               CLOSE c;
               OPEN u NO SCROLL FOR EXECUTE 'SELECT 1' USING x;
               FOR r IN c(2, 3) LOOP NULL; END LOOP;
             END",
        )
        .unwrap();
        match &f.block.decls[0].ty {
            DeclType::Cursor(c) => {
                assert_eq!(c.scroll, Some(true));
                assert_eq!(c.params.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        let body = &f.block.body;
        match &body[0].stmt {
            // Arguments come out in parameter order, as `expr AS param`.
            Stmt::Open { cursor, source: OpenSource::Bound(Some(args)) } => {
                assert_eq!(cursor, "c");
                assert_eq!(args.text, "1 AS lo, 5 AS hi");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            &body[1].stmt,
            Stmt::Fetch {
                direction: FetchDirection::Fixed(Direction::Backward(Count::Rows(1))),
                into: Some(_),
                ..
            }
        ));
        assert!(matches!(
            &body[2].stmt,
            Stmt::Fetch { direction: FetchDirection::Relative(_), into: None, .. }
        ));
        assert!(matches!(&body[3].stmt, Stmt::Fetch { into: Some(_), .. }));
        assert!(matches!(&body[4].stmt, Stmt::Close(c) if c == "c"));
        assert!(matches!(
            &body[5].stmt,
            Stmt::Open {
                source: OpenSource::Query {
                    scroll: Some(false),
                    source: QuerySource::Dynamic { .. }
                },
                ..
            }
        ));
        assert!(matches!(&body[6].stmt, Stmt::ForCursor { args: Some(_), .. }));
    }

    #[test]
    fn rejects_bad_cursor_arguments() {
        let decl =
            "DECLARE c CURSOR (p1 int, p2 int) FOR SELECT p1, p2; u refcursor; x int; BEGIN ";
        for (stmt, message) in [
            ("OPEN c(p2 := 1);", "not enough arguments for cursor \"c\""),
            ("OPEN c(1, 2, 3);", "too many arguments for cursor \"c\""),
            (
                "OPEN c(1, p1 := 2);",
                "value for parameter \"p1\" of cursor \"c\" specified more than once",
            ),
            ("OPEN c(p3 := 1, 2);", "cursor \"c\" has no argument named \"p3\""),
            ("OPEN c;", "cursor \"c\" has arguments"),
            ("FOR r IN u LOOP END LOOP;", "cursor FOR loop must use a bound cursor variable"),
        ] {
            let e = parse_function(&format!("{decl}{stmt} END")).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::SYNTAX_ERROR, "{stmt}");
            assert_eq!(e.message(), message, "{stmt}");
        }
        let e = parse_function(&format!("{decl}FETCH FORWARD 2 FROM u INTO x; END")).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::FEATURE_NOT_SUPPORTED);
    }
}
