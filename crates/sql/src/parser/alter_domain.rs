//! `CREATE DOMAIN`, `ALTER DOMAIN` and `ALTER TYPE ... OWNER TO`, which sqlparser does
//! not read (or reads without `NOT NULL` and with a mandatory `AS`):
//!
//! ```text
//! CREATE DOMAIN name [ AS ] type [ COLLATE c ] [ DEFAULT expr ]
//!     [ [ CONSTRAINT c ] { NOT NULL | NULL | CHECK ( expr ) } ... ]
//! ALTER DOMAIN name { SET DEFAULT expr | DROP DEFAULT }
//! ALTER DOMAIN name { SET | DROP } NOT NULL
//! ALTER DOMAIN name ADD [ CONSTRAINT c ] CHECK ( expr ) [ NOT VALID ]
//! ALTER DOMAIN name DROP CONSTRAINT [ IF EXISTS ] c [ RESTRICT | CASCADE ]
//! ALTER DOMAIN name RENAME CONSTRAINT c TO d
//! ALTER DOMAIN name VALIDATE CONSTRAINT c
//! ALTER DOMAIN name RENAME TO new_name
//! ALTER { DOMAIN | TYPE } name OWNER TO role
//! ALTER TYPE name ADD ATTRIBUTE a type [ CASCADE | RESTRICT ]
//! ALTER TYPE name DROP ATTRIBUTE [ IF EXISTS ] a [ CASCADE | RESTRICT ]
//! ALTER TYPE name RENAME ATTRIBUTE a TO b [ CASCADE | RESTRICT ]
//! ALTER TYPE name ALTER ATTRIBUTE a [ SET DATA ] TYPE type [ CASCADE | RESTRICT ]
//! ```
//!
//! (The other `ALTER TYPE` forms are sqlparser's; `SET SCHEMA` is refused with 0A000.)

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::QualifiedName;

/// One change an `ALTER DOMAIN` makes.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainChange {
    /// `SET DEFAULT expr` (SQL text) or `DROP DEFAULT` (`None`).
    Default(Option<String>),
    /// `SET NOT NULL` (`true`) or `DROP NOT NULL`.
    NotNull(bool),
    /// `ADD [CONSTRAINT name] CHECK (expr)`: the name if given, the condition's text, and
    /// whether existing rows are left unchecked (`NOT VALID`).
    AddCheck {
        /// The constraint name, if given.
        name: Option<String>,
        /// The condition as SQL text.
        expr: String,
        /// `NOT VALID`.
        not_valid: bool,
    },
    /// `DROP CONSTRAINT [IF EXISTS] name`.
    DropConstraint {
        /// The constraint name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `RENAME CONSTRAINT a TO b`.
    RenameConstraint(String, String),
    /// `VALIDATE CONSTRAINT name`: checks the stored values.
    Validate(String),
    /// `RENAME TO name`.
    RenameTo(String),
    /// `OWNER TO role`.
    OwnerTo(ast::Owner),
    /// `ADD ATTRIBUTE name type` of a composite type.
    AddAttribute(String, ast::DataType),
    /// `DROP ATTRIBUTE [IF EXISTS] name`.
    DropAttribute {
        /// The attribute.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `RENAME ATTRIBUTE a TO b`.
    RenameAttribute(String, String),
    /// `ALTER ATTRIBUTE name [SET DATA] TYPE type`.
    AttributeType(String, ast::DataType),
}

/// A statement of this module.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainStatement {
    /// `CREATE DOMAIN`.
    Create(CreateDomain),
    /// `ALTER DOMAIN` or `ALTER TYPE ... OWNER TO`.
    Alter(AlterDomain),
}

/// A parsed `CREATE DOMAIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDomain {
    /// The domain.
    pub name: QualifiedName,
    /// The base type.
    pub data_type: ast::DataType,
    /// `DEFAULT` as SQL text.
    pub default: Option<String>,
    /// `NOT NULL` with its constraint name if one was given (the last of `NOT NULL` and
    /// `NULL` wins).
    pub not_null: Option<Option<String>>,
    /// `CHECK` constraints: name if given, condition text.
    pub checks: Vec<(Option<String>, String)>,
}

/// A parsed `ALTER DOMAIN` (or `ALTER TYPE ... OWNER TO`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterDomain {
    /// `true` for `ALTER DOMAIN`, `false` for `ALTER TYPE`.
    pub domain: bool,
    /// The type.
    pub name: QualifiedName,
    /// The change.
    pub change: DomainChange,
}

struct Words<'a> {
    raw: &'a [TokenWithSpan],
    /// Positions in `raw` of the tokens that are not whitespace.
    sig: Vec<usize>,
    at: usize,
}

impl Words<'_> {
    fn token(&self, n: usize) -> Option<&Token> {
        self.sig.get(n).map(|&i| &self.raw[i].token)
    }

    fn peek_word(&self) -> Option<String> {
        match self.token(self.at) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek_word().as_deref() == Some(word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str) -> Result<()> {
        if self.eat(word) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn error(&self) -> Error {
        match self.token(self.at) {
            Some(t) => {
                Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{t}\""))
            }
            None => Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input"),
        }
    }

    fn ident(&mut self) -> Result<String> {
        match self.token(self.at) {
            Some(Token::Word(w)) => {
                let out = match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                };
                self.at += 1;
                Ok(out)
            }
            _ => Err(self.error()),
        }
    }

    fn qualified(&mut self) -> Result<QualifiedName> {
        let mut parts = vec![self.ident()?];
        while matches!(self.token(self.at), Some(Token::Period)) {
            self.at += 1;
            parts.push(self.ident()?);
        }
        let name = parts.pop().ok_or_else(|| self.error())?;
        match parts.len() {
            0 => Ok(QualifiedName { schema: None, name }),
            1 => Ok(QualifiedName { schema: parts.pop(), name }),
            _ => Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "improper qualified name (too many dotted names)",
            )),
        }
    }

    /// The text of the remaining tokens.
    fn rest_text(&mut self) -> String {
        let text = match self.sig.get(self.at) {
            Some(&start) => self.raw[start..].iter().map(|t| t.token.to_string()).collect(),
            None => String::new(),
        };
        self.at = self.sig.len();
        text.trim().to_string()
    }

    /// The text inside a parenthesised group starting at the current token.
    fn parenthesised(&mut self) -> Result<String> {
        if !matches!(self.token(self.at), Some(Token::LParen)) {
            return Err(self.error());
        }
        let start = self.sig[self.at];
        let mut depth = 0usize;
        for (n, &i) in self.sig.iter().enumerate().skip(self.at) {
            match self.raw[i].token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        self.at = n + 1;
                        return Ok(self.raw[start + 1..i]
                            .iter()
                            .map(|t| t.token.to_string())
                            .collect::<String>()
                            .trim()
                            .to_string());
                    }
                }
                _ => {}
            }
        }
        Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input"))
    }

    fn done(&self) -> Result<()> {
        if self.at < self.sig.len() {
            Err(self.error())
        } else {
            Ok(())
        }
    }
}

/// Parses `piece` when it is a `CREATE DOMAIN`, an `ALTER DOMAIN` or an `ALTER TYPE ...
/// OWNER TO`; `None` otherwise.
pub(super) fn parse(piece: &[TokenWithSpan]) -> Result<Option<DomainStatement>> {
    let sig: Vec<usize> = piece
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let mut w = Words { raw: piece, sig, at: 0 };
    if w.eat("CREATE") {
        if !w.eat("DOMAIN") {
            return Ok(None);
        }
        return parse_create(&mut w).map(|c| Some(DomainStatement::Create(c)));
    }
    if !w.eat("ALTER") {
        return Ok(None);
    }
    parse_alter(&mut w).map(|a| a.map(DomainStatement::Alter))
}

/// Whether the token at `n` is one of the words that end a part of CREATE DOMAIN.
fn clause_word(w: &Words<'_>, n: usize) -> bool {
    matches!(w.token(n), Some(Token::Word(t)) if t.quote_style.is_none()
        && ["DEFAULT", "CONSTRAINT", "NOT", "NULL", "CHECK", "COLLATE"]
            .contains(&t.value.to_ascii_uppercase().as_str()))
}

/// The text from the current token up to the next clause word outside parentheses.
fn text_until_clause(w: &mut Words<'_>) -> String {
    let start = w.at;
    let mut depth = 0i32;
    while w.at < w.sig.len() {
        match w.token(w.at) {
            Some(Token::LParen | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBracket) => depth -= 1,
            _ if depth == 0 && w.at > start && clause_word(w, w.at) => break,
            _ => {}
        }
        w.at += 1;
    }
    match (w.sig.get(start), w.at.checked_sub(1).and_then(|e| w.sig.get(e))) {
        (Some(&a), Some(&b)) if w.at > start => {
            w.raw[a..=b].iter().map(|t| t.token.to_string()).collect::<String>().trim().to_string()
        }
        _ => String::new(),
    }
}

fn parse_create(w: &mut Words<'_>) -> Result<CreateDomain> {
    let name = w.qualified()?;
    w.eat("AS");
    let type_text = text_until_clause(w);
    if type_text.is_empty() {
        return Err(w.error());
    }
    let data_type = super::parse_data_type(&type_text)?;
    let mut out =
        CreateDomain { name, data_type, default: None, not_null: None, checks: Vec::new() };
    while w.at < w.sig.len() {
        if w.eat("COLLATE") {
            return Err(Error::unsupported("COLLATE in CREATE DOMAIN"));
        }
        if w.eat("DEFAULT") {
            let text = text_until_clause(w);
            super::parse_expr(&text)?;
            out.default = Some(text);
            continue;
        }
        let cname = if w.eat("CONSTRAINT") { Some(w.ident()?) } else { None };
        if w.eat("NOT") {
            w.expect("NULL")?;
            out.not_null = Some(cname);
        } else if w.eat("NULL") {
            out.not_null = None;
        } else if w.eat("CHECK") {
            let expr = w.parenthesised()?;
            super::parse_expr(&expr)?;
            out.checks.push((cname, expr));
        } else {
            return Err(w.error());
        }
    }
    Ok(out)
}

/// `ALTER TYPE name { ADD | DROP | RENAME | ALTER } ATTRIBUTE ...` (after `ALTER TYPE`).
fn parse_attribute_change(w: &mut Words<'_>) -> Result<AlterDomain> {
    let name = w.qualified()?;
    // A trailing CASCADE / RESTRICT (typed tables, which do not exist here) changes nothing.
    let n = w.sig.len();
    let trailing = matches!(w.token(n.saturating_sub(1)), Some(Token::Word(t))
        if t.quote_style.is_none() && ["CASCADE", "RESTRICT"].contains(&t.value.to_ascii_uppercase().as_str()));
    if trailing {
        w.sig.pop();
    }
    let type_rest = |w: &mut Words<'_>| -> Result<ast::DataType> {
        let mut text = w.rest_text();
        if trailing {
            if let Some(cut) = text.rfind(char::is_whitespace) {
                text.truncate(cut);
            }
        }
        if text.is_empty() {
            return Err(w.error());
        }
        super::parse_data_type(&text)
    };
    let change = if w.eat("ADD") {
        w.expect("ATTRIBUTE")?;
        let attr = w.ident()?;
        DomainChange::AddAttribute(attr, type_rest(w)?)
    } else if w.eat("DROP") {
        w.expect("ATTRIBUTE")?;
        let if_exists = w.eat("IF");
        if if_exists {
            w.expect("EXISTS")?;
        }
        DomainChange::DropAttribute { name: w.ident()?, if_exists }
    } else if w.eat("RENAME") {
        w.expect("ATTRIBUTE")?;
        let from = w.ident()?;
        w.expect("TO")?;
        DomainChange::RenameAttribute(from, w.ident()?)
    } else if w.eat("ALTER") {
        w.expect("ATTRIBUTE")?;
        let attr = w.ident()?;
        if w.eat("SET") {
            w.expect("DATA")?;
        }
        w.expect("TYPE")?;
        DomainChange::AttributeType(attr, type_rest(w)?)
    } else {
        return Err(w.error());
    };
    w.done()?;
    Ok(AlterDomain { domain: false, name, change })
}

fn parse_alter(w: &mut Words<'_>) -> Result<Option<AlterDomain>> {
    let domain = if w.eat("DOMAIN") {
        true
    } else if w.eat("TYPE") {
        let n = w.sig.len();
        let owner_to = n >= 3
            && matches!(w.token(n - 3), Some(Token::Word(a)) if a.value.eq_ignore_ascii_case("owner"))
            && matches!(w.token(n - 2), Some(Token::Word(b)) if b.value.eq_ignore_ascii_case("to"));
        let attribute = (w.at..n).any(|k| {
            matches!(w.token(k), Some(Token::Word(a)) if a.quote_style.is_none() && a.value.eq_ignore_ascii_case("attribute"))
        });
        if attribute && !owner_to {
            return parse_attribute_change(w).map(Some);
        }
        if !owner_to {
            return Ok(None);
        }
        false
    } else {
        return Ok(None);
    };
    let name = w.qualified()?;
    let change = if w.eat("OWNER") {
        w.expect("TO")?;
        let owner = match w.peek_word().as_deref() {
            Some("CURRENT_USER") => ast::Owner::CurrentUser,
            Some("CURRENT_ROLE") => ast::Owner::CurrentRole,
            Some("SESSION_USER") => ast::Owner::SessionUser,
            _ => {
                let quoted =
                    matches!(w.token(w.at), Some(Token::Word(t)) if t.quote_style.is_some());
                let id = w.ident()?;
                w.done()?;
                let ident =
                    if quoted { ast::Ident::with_quote('"', id) } else { ast::Ident::new(id) };
                return Ok(Some(AlterDomain {
                    domain,
                    name,
                    change: DomainChange::OwnerTo(ast::Owner::Ident(ident)),
                }));
            }
        };
        w.at += 1;
        DomainChange::OwnerTo(owner)
    } else if w.eat("SET") {
        if w.eat("DEFAULT") {
            let text = w.rest_text();
            super::parse_expr(&text)?;
            DomainChange::Default(Some(text))
        } else if w.eat("NOT") {
            w.expect("NULL")?;
            DomainChange::NotNull(true)
        } else if w.eat("SCHEMA") {
            return Err(Error::unsupported("ALTER DOMAIN ... SET SCHEMA"));
        } else {
            return Err(w.error());
        }
    } else if w.eat("DROP") {
        if w.eat("DEFAULT") {
            DomainChange::Default(None)
        } else if w.eat("NOT") {
            w.expect("NULL")?;
            DomainChange::NotNull(false)
        } else if w.eat("CONSTRAINT") {
            let if_exists = w.eat("IF");
            if if_exists {
                w.expect("EXISTS")?;
            }
            let name = w.ident()?;
            let _ = w.eat("RESTRICT") || w.eat("CASCADE");
            DomainChange::DropConstraint { name, if_exists }
        } else {
            return Err(w.error());
        }
    } else if w.eat("ADD") {
        let cname = if w.eat("CONSTRAINT") { Some(w.ident()?) } else { None };
        if w.eat("NOT") {
            w.expect("NULL")?;
            DomainChange::NotNull(true)
        } else {
            w.expect("CHECK")?;
            let expr = w.parenthesised()?;
            super::parse_expr(&expr)?;
            let not_valid = w.eat("NOT");
            if not_valid {
                w.expect("VALID")?;
            }
            DomainChange::AddCheck { name: cname, expr, not_valid }
        }
    } else if w.eat("RENAME") {
        if w.eat("CONSTRAINT") {
            let from = w.ident()?;
            w.expect("TO")?;
            DomainChange::RenameConstraint(from, w.ident()?)
        } else {
            w.expect("TO")?;
            DomainChange::RenameTo(w.ident()?)
        }
    } else if w.eat("VALIDATE") {
        w.expect("CONSTRAINT")?;
        DomainChange::Validate(w.ident()?)
    } else {
        return Err(w.error());
    };
    w.done()?;
    Ok(Some(AlterDomain { domain, name, change }))
}
