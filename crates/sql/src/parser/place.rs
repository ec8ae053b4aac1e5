//! Error positions from the parser's source spans: an error raised while binding a name
//! points at the name in the statement text, as PostgreSQL's cursor position does
//! (psql prints it as `LINE n:` and a caret). The place is an anchor
//! ([`Error::with_anchor`]) until the session resolves it against the text it ran.

use helios_common::{Error, SqlState};
use sqlparser::ast;

/// Points `e` at the identifier `id` (its opening quote when quoted).
pub fn at_ident(e: Error, id: &ast::Ident) -> Error {
    let start = id.span.start;
    match id.quote_style {
        Some(q) => e.with_anchor(start.line, start.column, &format!("{q}{}", id.value)),
        None => e.with_anchor(start.line, start.column, &id.value),
    }
}

/// Points `e` at the first part of the (possibly qualified) name `name`.
pub fn at_name(e: Error, name: &ast::ObjectName) -> Error {
    match name.0.first() {
        Some(ast::ObjectNamePart::Identifier(id)) => at_ident(e, id),
        _ => e,
    }
}

/// Points `e` at the first token of the expression `x`, when it is a literal or a name
/// (the kinds whose first token the parser's spans give exactly).
pub fn at_expr(e: Error, x: &ast::Expr) -> Error {
    match x {
        ast::Expr::Identifier(id) => at_ident(e, id),
        ast::Expr::CompoundIdentifier(ids) => match ids.first() {
            Some(id) => at_ident(e, id),
            None => e,
        },
        ast::Expr::Value(v) => {
            let token = v.value.to_string();
            let first: String = token.chars().take(1).collect();
            e.with_anchor(v.span.start.line, v.span.start.column, &first)
        }
        _ => e,
    }
}

/// Points `e` at the opening parenthesis of the parenthesized expression `x` (a row, a
/// sub-SELECT): the `(` written just before the start of the span sqlparser gives it
/// (the spans sqlparser gives rows, sub-SELECTs and nested expressions leave the
/// parentheses out).
pub fn at_parenthesis(e: Error, x: &ast::Expr) -> Error {
    use sqlparser::ast::Spanned;
    let start = x.span().start;
    if start.column > 1 {
        e.with_anchor(start.line, start.column - 1, "(")
    } else {
        e
    }
}

/// Points an "operator does not exist" error at the operator `op` of `left op right`:
/// the first token after the end of the left operand (whose span sqlparser gives).
pub fn at_operator(e: Error, left: &ast::Expr, op: &ast::BinaryOperator) -> Error {
    use sqlparser::ast::Spanned;
    let end = left.span().end;
    e.with_anchor_after(end.line, end.column, &op.to_string())
}

/// Points a data exception (class 22, or a syntax error in a literal's input) raised
/// while binding `e` at the quoted literal it is about, as PostgreSQL points at the
/// constant it failed to convert: `e` itself when it is one (`interval 'x'` too), or else
/// the one literal among `e`'s direct operands whose text the message quotes (`a = 'zz'`:
/// `invalid input syntax for type integer: "zz"`). Casts of a constant are the binder's
/// ([`at_string`]).
pub fn at_literal(err: Error, e: &ast::Expr) -> Error {
    let data = err.sqlstate().class() == "22";
    let converted = match e {
        ast::Expr::Interval(iv) => string_literal(&iv.value),
        _ => string_literal(e),
    };
    // A converted literal's input errors include syntax errors of text types with a
    // grammar of their own (jsonpath: 42601).
    if let Some(v) = converted.filter(|_| data || err.sqlstate() == SqlState::SYNTAX_ERROR) {
        return at_string(err, v);
    }
    if !data {
        return err;
    }
    let operands: Vec<&ast::Expr> = match e {
        ast::Expr::BinaryOp { left, right, .. } => vec![left, right],
        ast::Expr::UnaryOp { expr, .. } => vec![expr],
        ast::Expr::Nested(inner) => vec![inner],
        ast::Expr::Between { expr, low, high, .. } => vec![expr, low, high],
        ast::Expr::In { expr, target: ast::InTarget::List(list), .. } => {
            std::iter::once(&**expr).chain(list).collect()
        }
        ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => vec![a, b],
        _ => Vec::new(),
    };
    let message = err.message();
    let mut quoted = operands.into_iter().filter_map(string_literal).filter(|v| {
        literal_text(v).is_some_and(|(_, text)| message.contains(&format!("\"{text}\"")))
    });
    match (quoted.next(), quoted.next()) {
        (Some(v), None) => at_string(err, v),
        _ => err,
    }
}

/// Points `err` at the quoted literal `v` (the cast of a constant: any error of its
/// input, as PostgreSQL reports them).
pub fn at_string(err: Error, v: &ast::ValueWithSpan) -> Error {
    match literal_text(v) {
        Some((token, _)) => err.with_anchor(v.span.start.line, v.span.start.column, token),
        None => err,
    }
}

/// The quoted literal `e` is (a typed one's string too: `date '...'`).
fn string_literal(e: &ast::Expr) -> Option<&ast::ValueWithSpan> {
    match e {
        ast::Expr::Value(v) => Some(v),
        ast::Expr::TypedString(ts) => Some(&ts.value),
        _ => None,
    }
}

/// How a string literal starts in the text, and its value.
fn literal_text(v: &ast::ValueWithSpan) -> Option<(&'static str, &str)> {
    match &v.value {
        ast::Value::SingleQuotedString(s) => Some(("'", s)),
        ast::Value::EscapedStringLiteral(s) => Some(("E", s)),
        ast::Value::NationalStringLiteral(s) => Some(("N", s)),
        ast::Value::UnicodeStringLiteral(s) => Some(("U", s)),
        ast::Value::DollarQuotedString(d) => Some(("$", &d.value)),
        _ => None,
    }
}
