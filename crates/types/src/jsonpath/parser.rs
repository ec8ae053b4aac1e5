//! The `jsonpath` parser: tokens to a [`JsonPath`], with PostgreSQL's grammar.
//!
//! A recursive-descent parser over PostgreSQL's precedence levels (lowest first):
//! `||`, `&&`, `!`, comparisons / `starts with` / `like_regex`, `+ -`, `* / %`, unary
//! `+ -`, accessors. Every parsed node is either a value *expression* or a boolean
//! *predicate*; the grammar only accepts predicates around `&&`, `||`, `!`, in filters
//! and before `is unknown`, and only expressions elsewhere. A misplaced one is a syntax
//! error at the token where PostgreSQL's LALR parser would stop: the operator after a
//! wrong left operand, or the token after a wrong right operand.
//!
//! After parsing, [`check_placement`] rejects `@` outside filters and `last` outside
//! array subscripts, as PostgreSQL does when it flattens the tree.

use helios_common::SqlState;

use super::ast::{Accessor, BinaryOp, JsonPath, Method, Node, RegexFlags, ANY_LAST};
use super::lexer::{tokenize, Tok, Token};
use crate::error::{TypeError, TypeResult};

/// Whether a node yields values or a truth value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Expr,
    Pred,
}

/// Parses `jsonpath` text input.
pub fn parse(input: &str) -> TypeResult<JsonPath> {
    let tokens = tokenize(input);
    if tokens.is_empty() {
        return Err(TypeError::syntax("jsonpath", input));
    }
    let mut p = Parser { tokens, pos: 0, depth: 0, signs: 0 };
    let mut strict = false;
    if p.keyword("strict") {
        strict = true;
        p.pos += 1;
    } else if p.keyword("lax") {
        p.pos += 1;
    }
    let (expr, _) = p.or()?;
    if p.pos < p.tokens.len() {
        return Err(p.error_here());
    }
    check_placement(&expr, false, false)?;
    Ok(JsonPath { strict, expr })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Nesting of parentheses, subscripts and filters, bounded so that deeply nested
    /// input is an error rather than a stack overflow.
    depth: usize,
    /// Nesting of unary signs, bounded likewise (separately: the canonical text of
    /// nested signs brackets each one, `-(-($))`).
    signs: usize,
}

/// The deepest nesting a path may have.
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(k))
    }

    /// The syntax error for the current token (or the end of input), or the scan error
    /// the current token carries.
    fn error_here(&self) -> TypeError {
        match self.tokens.get(self.pos) {
            None => {
                TypeError::other(SqlState::SYNTAX_ERROR, "syntax error at end of jsonpath input")
            }
            Some(Token { tok: Tok::Error(e), .. }) => e.clone(),
            Some(t) => TypeError::other(
                SqlState::SYNTAX_ERROR,
                format!("syntax error at or near \"{}\" of jsonpath input", t.text),
            ),
        }
    }

    fn expect(&mut self, p: &str) -> TypeResult<()> {
        if self.punct(p) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn expect_keyword(&mut self, k: &str) -> TypeResult<()> {
        if self.keyword(k) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    /// A right operand (or filter body) must be of `kind`: otherwise the error is at
    /// the token after it.
    fn require(&self, kind: Kind, want: Kind) -> TypeResult<()> {
        if kind == want {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn or(&mut self) -> TypeResult<(Node, Kind)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(TypeError::other(
                SqlState::STATEMENT_TOO_COMPLEX,
                "stack depth limit exceeded",
            ));
        }
        let result = self.or_inner();
        self.depth -= 1;
        result
    }

    fn or_inner(&mut self) -> TypeResult<(Node, Kind)> {
        let (mut left, mut kind) = self.and()?;
        while self.punct("||") {
            if kind != Kind::Pred {
                return Err(self.error_here());
            }
            self.pos += 1;
            let (right, rk) = self.and()?;
            self.require(rk, Kind::Pred)?;
            left = Node::Binary(BinaryOp::Or, Box::new(left), Box::new(right));
            kind = Kind::Pred;
        }
        Ok((left, kind))
    }

    fn and(&mut self) -> TypeResult<(Node, Kind)> {
        let (mut left, mut kind) = self.not()?;
        while self.punct("&&") {
            if kind != Kind::Pred {
                return Err(self.error_here());
            }
            self.pos += 1;
            let (right, rk) = self.not()?;
            self.require(rk, Kind::Pred)?;
            left = Node::Binary(BinaryOp::And, Box::new(left), Box::new(right));
            kind = Kind::Pred;
        }
        Ok((left, kind))
    }

    fn not(&mut self) -> TypeResult<(Node, Kind)> {
        if !self.punct("!") {
            return self.comparison();
        }
        self.pos += 1;
        // `!` takes a delimited predicate: `(predicate)` or `exists (...)`.
        if self.keyword("exists") {
            let e = self.exists()?;
            return Ok((Node::Not(Box::new(e)), Kind::Pred));
        }
        self.expect("(")?;
        let (inner, kind) = self.or()?;
        self.require(kind, Kind::Pred)?;
        self.expect(")")?;
        Ok((Node::Not(Box::new(inner)), Kind::Pred))
    }

    fn exists(&mut self) -> TypeResult<Node> {
        self.expect_keyword("exists")?;
        self.expect("(")?;
        let (inner, kind) = self.or()?;
        self.require(kind, Kind::Expr)?;
        self.expect(")")?;
        Ok(Node::Exists(Box::new(inner)))
    }

    fn comparison(&mut self) -> TypeResult<(Node, Kind)> {
        let (left, kind) = self.additive()?;
        let op = match self.peek() {
            Some(Tok::Punct("==")) => Some(BinaryOp::Eq),
            Some(Tok::Punct("!=")) => Some(BinaryOp::Ne),
            Some(Tok::Punct("<")) => Some(BinaryOp::Lt),
            Some(Tok::Punct("<=")) => Some(BinaryOp::Le),
            Some(Tok::Punct(">")) => Some(BinaryOp::Gt),
            Some(Tok::Punct(">=")) => Some(BinaryOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            if kind != Kind::Expr {
                return Err(self.error_here());
            }
            self.pos += 1;
            let (right, rk) = self.additive()?;
            self.require(rk, Kind::Expr)?;
            return Ok((Node::Binary(op, Box::new(left), Box::new(right)), Kind::Pred));
        }
        if self.keyword("starts") && kind == Kind::Expr {
            self.pos += 1;
            self.expect_keyword("with")?;
            let right = match self.peek() {
                Some(Tok::Str(s)) => Node::String(s.clone()),
                Some(Tok::Var(v)) => Node::Variable(v.clone()),
                _ => return Err(self.error_here()),
            };
            self.pos += 1;
            return Ok((
                Node::Binary(BinaryOp::StartsWith, Box::new(left), Box::new(right)),
                Kind::Pred,
            ));
        }
        if self.keyword("like_regex") && kind == Kind::Expr {
            self.pos += 1;
            let Some(Tok::Str(pattern)) = self.peek().cloned() else {
                return Err(self.error_here());
            };
            self.pos += 1;
            let mut flags = RegexFlags::default();
            if self.keyword("flag") {
                self.pos += 1;
                let Some(Tok::Str(f)) = self.peek().cloned() else {
                    return Err(self.error_here());
                };
                self.pos += 1;
                flags = regex_flags(&f)?;
            }
            check_regex(&pattern, flags)?;
            return Ok((Node::LikeRegex { expr: Box::new(left), pattern, flags }, Kind::Pred));
        }
        Ok((left, kind))
    }

    fn additive(&mut self) -> TypeResult<(Node, Kind)> {
        let (mut left, mut kind) = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("+")) => BinaryOp::Add,
                Some(Tok::Punct("-")) => BinaryOp::Sub,
                _ => return Ok((left, kind)),
            };
            if kind != Kind::Expr {
                return Err(self.error_here());
            }
            self.pos += 1;
            let (right, rk) = self.multiplicative()?;
            self.require(rk, Kind::Expr)?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
            kind = Kind::Expr;
        }
    }

    fn multiplicative(&mut self) -> TypeResult<(Node, Kind)> {
        let (mut left, mut kind) = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("*")) => BinaryOp::Mul,
                Some(Tok::Punct("/")) => BinaryOp::Div,
                Some(Tok::Punct("%")) => BinaryOp::Mod,
                _ => return Ok((left, kind)),
            };
            if kind != Kind::Expr {
                return Err(self.error_here());
            }
            self.pos += 1;
            let (right, rk) = self.unary()?;
            self.require(rk, Kind::Expr)?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
            kind = Kind::Expr;
        }
    }

    fn unary(&mut self) -> TypeResult<(Node, Kind)> {
        let plus = match self.peek() {
            Some(Tok::Punct("+")) => true,
            Some(Tok::Punct("-")) => false,
            _ => return self.accessor_expr(),
        };
        self.pos += 1;
        self.signs += 1;
        if self.signs > MAX_DEPTH {
            return Err(TypeError::other(
                SqlState::STATEMENT_TOO_COMPLEX,
                "stack depth limit exceeded",
            ));
        }
        let arg = self.unary();
        self.signs -= 1;
        let (arg, kind) = arg?;
        self.require(kind, Kind::Expr)?;
        // A sign on a numeric literal is folded into it, as PostgreSQL's parser does.
        Ok((
            match arg {
                Node::Number(n) if plus => Node::Number(n),
                Node::Number(n) => Node::Number(-n),
                other => Node::Sign(plus, Box::new(other)),
            },
            Kind::Expr,
        ))
    }

    fn accessor_expr(&mut self) -> TypeResult<(Node, Kind)> {
        let Some(tok) = self.peek().cloned() else { return Err(self.error_here()) };
        let base = match tok {
            Tok::Punct("(") => {
                self.pos += 1;
                let (inner, kind) = self.or()?;
                self.expect(")")?;
                if !self.at_accessor() {
                    if kind == Kind::Pred && self.keyword("is") {
                        self.pos += 1;
                        self.expect_keyword("unknown")?;
                        return Ok((Node::IsUnknown(Box::new(inner)), Kind::Pred));
                    }
                    return Ok((inner, kind));
                }
                inner
            }
            Tok::Ident(ref k) if k.eq_ignore_ascii_case("exists") => {
                return Ok((self.exists()?, Kind::Pred));
            }
            Tok::Punct("$") => self.advance(Node::Root),
            Tok::Punct("@") => self.advance(Node::Current),
            Tok::Var(v) => self.advance(Node::Variable(v)),
            Tok::Str(s) => self.advance(Node::String(s)),
            Tok::Int(n) | Tok::Num(n) => self.advance(Node::Number(n)),
            Tok::Ident(k) if k.eq_ignore_ascii_case("null") => self.advance(Node::Null),
            Tok::Ident(k) if k.eq_ignore_ascii_case("true") => self.advance(Node::Bool(true)),
            Tok::Ident(k) if k.eq_ignore_ascii_case("false") => self.advance(Node::Bool(false)),
            Tok::Ident(k) if k.eq_ignore_ascii_case("last") => self.advance(Node::Last),
            _ => return Err(self.error_here()),
        };
        let mut accessors = Vec::new();
        while self.at_accessor() {
            accessors.push(self.accessor()?);
        }
        Ok((chain(base, accessors), Kind::Expr))
    }

    fn advance(&mut self, n: Node) -> Node {
        self.pos += 1;
        n
    }

    fn at_accessor(&self) -> bool {
        self.punct(".") || self.punct("[") || self.punct("?")
    }

    fn accessor(&mut self) -> TypeResult<Accessor> {
        if self.punct("?") {
            self.pos += 1;
            self.expect("(")?;
            let (pred, kind) = self.or()?;
            self.require(kind, Kind::Pred)?;
            self.expect(")")?;
            return Ok(Accessor::Filter(Box::new(pred)));
        }
        if self.punct("[") {
            self.pos += 1;
            if self.punct("*") {
                self.pos += 1;
                self.expect("]")?;
                return Ok(Accessor::AnyArray);
            }
            let mut subscripts = Vec::new();
            loop {
                let (from, kind) = self.or()?;
                self.require(kind, Kind::Expr)?;
                let to = if self.keyword("to") {
                    self.pos += 1;
                    let (to, kind) = self.or()?;
                    self.require(kind, Kind::Expr)?;
                    Some(to)
                } else {
                    None
                };
                subscripts.push((from, to));
                if self.punct(",") {
                    self.pos += 1;
                    continue;
                }
                self.expect("]")?;
                return Ok(Accessor::Index(subscripts));
            }
        }
        self.expect(".")?;
        match self.peek().cloned() {
            Some(Tok::Punct("*")) => {
                self.pos += 1;
                Ok(Accessor::AnyKey)
            }
            Some(Tok::Punct("**")) => {
                self.pos += 1;
                if !self.punct("{") {
                    return Ok(Accessor::Any { first: 0, last: ANY_LAST });
                }
                self.pos += 1;
                let first = self.any_level()?;
                let last = if self.keyword("to") {
                    self.pos += 1;
                    self.any_level()?
                } else {
                    first
                };
                self.expect("}")?;
                Ok(Accessor::Any { first, last })
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Accessor::Key(s))
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if !self.punct("(") {
                    return Ok(Accessor::Key(name));
                }
                let lower = name.to_ascii_lowercase();
                if let Some(m) = Method::from_name(&lower) {
                    self.pos += 1;
                    self.expect(")")?;
                    return Ok(Accessor::Method(m));
                }
                if lower == "datetime" {
                    self.pos += 1;
                    let template = match self.peek() {
                        Some(Tok::Str(s)) => {
                            let s = s.clone();
                            self.pos += 1;
                            Some(s)
                        }
                        _ => None,
                    };
                    self.expect(")")?;
                    return Ok(Accessor::Datetime(template));
                }
                Err(self.error_here())
            }
            _ => Err(self.error_here()),
        }
    }

    fn any_level(&mut self) -> TypeResult<u32> {
        if self.keyword("last") {
            self.pos += 1;
            return Ok(ANY_LAST);
        }
        let Some(Tok::Int(n)) = self.peek().cloned() else { return Err(self.error_here()) };
        let text = n.to_string();
        let level = text.parse::<u32>().ok().filter(|l| *l < ANY_LAST).ok_or_else(|| {
            TypeError::other(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{text}\" is out of range for type integer"),
            )
        })?;
        self.pos += 1;
        Ok(level)
    }
}

/// `base` followed by `accessors`; a chain base is extended rather than nested, so
/// `($.a).b` is `$.a.b`.
fn chain(base: Node, mut accessors: Vec<Accessor>) -> Node {
    if accessors.is_empty() {
        return base;
    }
    match base {
        Node::Chain(inner, mut first) => {
            first.append(&mut accessors);
            Node::Chain(inner, first)
        }
        other => Node::Chain(Box::new(other), accessors),
    }
}

/// Reads `like_regex` flags: `i`, `s`, `m`, `x`, `q`.
fn regex_flags(text: &str) -> TypeResult<RegexFlags> {
    let mut f = RegexFlags::default();
    for c in text.chars() {
        match c {
            'i' => f.icase = true,
            's' => f.dotall = true,
            'm' => f.multiline = true,
            'x' => f.expanded = true,
            'q' => f.quote = true,
            other => {
                return Err(TypeError::other(
                    SqlState::SYNTAX_ERROR,
                    "invalid input syntax for type jsonpath",
                )
                .with_detail(format!(
                    "Unrecognized flag character \"{other}\" in LIKE_REGEX predicate."
                )))
            }
        }
    }
    if f.expanded && !f.quote {
        return Err(TypeError::other(
            SqlState::FEATURE_NOT_SUPPORTED,
            "XQuery \"x\" flag (expanded regular expressions) is not implemented",
        ));
    }
    Ok(f)
}

/// The structural checks PostgreSQL makes when it compiles a `like_regex` pattern at
/// input time: balanced parentheses and brackets. The full compilation happens when
/// the path is evaluated.
fn check_regex(pattern: &str, flags: RegexFlags) -> TypeResult<()> {
    if flags.quote {
        return Ok(());
    }
    let bad = |what: &str| {
        TypeError::other(
            SqlState::INVALID_REGULAR_EXPRESSION,
            format!("invalid regular expression: {what}"),
        )
    };
    let mut depth = 0i32;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                // Skip a bracket expression: `]` right after `[` or `[^` is literal.
                let mut first = true;
                let mut closed = false;
                while let Some(d) = chars.next() {
                    if d == '^' && first {
                        continue;
                    }
                    if d == ']' && !first {
                        closed = true;
                        break;
                    }
                    if d == '\\' {
                        chars.next();
                    }
                    first = false;
                }
                if !closed {
                    return Err(bad("brackets [] not balanced"));
                }
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(bad("parentheses () not balanced"));
                }
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(bad("parentheses () not balanced"));
    }
    Ok(())
}

/// Rejects `@` outside filters and `last` outside array subscripts.
fn check_placement(n: &Node, in_filter: bool, in_subscript: bool) -> TypeResult<()> {
    let check = |n: &Node| check_placement(n, in_filter, in_subscript);
    match n {
        Node::Current if !in_filter => {
            Err(TypeError::other(SqlState::SYNTAX_ERROR, "@ is not allowed in root expressions"))
        }
        Node::Last if !in_subscript => Err(TypeError::other(
            SqlState::SYNTAX_ERROR,
            "LAST is allowed only in array subscripts",
        )),
        Node::Binary(_, a, b) => {
            check(a)?;
            check(b)
        }
        Node::Sign(_, a) | Node::Not(a) | Node::IsUnknown(a) | Node::Exists(a) => check(a),
        Node::LikeRegex { expr, .. } => check(expr),
        Node::Chain(base, accessors) => {
            check(base)?;
            for a in accessors {
                match a {
                    Accessor::Filter(p) => check_placement(p, true, in_subscript)?,
                    Accessor::Index(subs) => {
                        for (from, to) in subs {
                            check_placement(from, in_filter, true)?;
                            if let Some(to) = to {
                                check_placement(to, in_filter, true)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
