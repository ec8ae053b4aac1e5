//! How a column default reads in the catalogs (`pg_attrdef.adbin` through `pg_get_expr`,
//! `information_schema.columns.column_default`).
//!
//! PostgreSQL prints the default's stored expression tree, not the text written in the
//! DDL, and ORMs (Django, SQLAlchemy, Rails) compare that text during migrations. The
//! forms that differ from what was written are constants:
//!
//! | written (column type)         | shown                          |
//! |-------------------------------|--------------------------------|
//! | `'abc'` (text)                | `'abc'::text`                  |
//! | `'x'` (varchar(10))           | `'x'::character varying`       |
//! | `'ab'` (char(3))              | `'ab'::bpchar`                 |
//! | `'{}'::JSONB`                 | `'{}'::jsonb`                  |
//! | `0`, `1.5`, `true`            | unchanged                      |
//! | `-1`                          | `'-1'::integer`                |
//! | `10000000000`                 | `'10000000000'::bigint`        |
//! | `current_timestamp`           | `CURRENT_TIMESTAMP`            |
//! | `NULL`                        | no default                     |
//!
//! We keep the default as written (dumps and DDL replay read it from the catalog), and
//! only rewrite these forms for display; any other expression is shown as stored.

use helios_types::DataType;
use sqlparser::ast;

use crate::expr::types::strip_modifiers;

/// What the catalogs show for a column default.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ShownDefault {
    /// The column has no default (`DEFAULT NULL` stores none in PostgreSQL).
    None,
    /// The text `pg_get_expr` prints.
    Text(String),
}

/// The catalog text of the default `stored` (as written in the DDL) of a column of type
/// `column`.
pub(super) fn display_default(stored: &str, column: &DataType) -> ShownDefault {
    let Ok(expr) = crate::parser::parse_expr(stored) else {
        return ShownDefault::Text(stored.to_string());
    };
    if matches!(&expr, ast::Expr::Value(v) if v.value == ast::Value::Null) {
        return ShownDefault::None;
    }
    ShownDefault::Text(deparse_constant(&expr, column).unwrap_or_else(|| stored.to_string()))
}

/// PostgreSQL's text for a constant default; `None` for any other expression.
fn deparse_constant(e: &ast::Expr, column: &DataType) -> Option<String> {
    use ast::Expr as A;
    match e {
        A::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(typed(s, &strip_modifiers(column))),
            ast::Value::Number(n, _) => number(n, false),
            ast::Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        A::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match expr.as_ref() {
            A::Value(v) => match &v.value {
                ast::Value::Number(n, _) => number(n, true),
                _ => None,
            },
            _ => None,
        },
        A::Cast {
            kind: ast::CastKind::DoubleColon | ast::CastKind::Cast,
            expr,
            data_type,
            format: None,
            ..
        } => {
            let A::Value(v) = expr.as_ref() else { return None };
            let ast::Value::SingleQuotedString(s) = &v.value else { return None };
            let ty = crate::catalog::typename::resolve_type(data_type).ok()?;
            Some(typed(s, &strip_modifiers(&ty)))
        }
        A::TypedString(ts) => {
            let ast::Value::SingleQuotedString(s) = &ts.value.value else { return None };
            let ty = crate::catalog::typename::resolve_type(&ts.data_type).ok()?;
            Some(typed(s, &strip_modifiers(&ty)))
        }
        A::Function(f) if matches!(f.args, ast::FunctionArguments::None) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let keyword = matches!(
                name.as_str(),
                "current_timestamp"
                    | "current_date"
                    | "current_time"
                    | "localtime"
                    | "localtimestamp"
                    | "current_user"
                    | "current_role"
                    | "session_user"
                    | "user"
                    | "current_catalog"
                    | "current_schema"
            );
            keyword.then(|| name.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// `'text'::type`, quoted as a SQL string.
fn typed(s: &str, ty: &DataType) -> String {
    format!("'{}'::{ty}", s.replace('\'', "''"))
}

/// A numeric constant: integers in `integer`'s range and non-negative numerics print
/// bare; negative ones and `bigint`s are quoted with their type, as PostgreSQL's
/// `get_const_expr` does. `None` for exponent forms.
fn number(n: &str, negative: bool) -> Option<String> {
    let signed = if negative { format!("-{n}") } else { n.to_string() };
    if n.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = signed.parse::<i32>() {
            return Some(if v < 0 { typed(&signed, &DataType::Int4) } else { signed });
        }
        if signed.parse::<i64>().is_ok() {
            return Some(typed(&signed, &DataType::Int8));
        }
    } else if !n.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some(if negative { typed(&signed, &DataType::Numeric(None)) } else { signed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(stored: &str, ty: DataType) -> String {
        match display_default(stored, &ty) {
            ShownDefault::Text(t) => t,
            ShownDefault::None => "<none>".to_string(),
        }
    }

    #[test]
    fn constants_show_their_type() {
        assert_eq!(shown("'abc'", DataType::Text), "'abc'::text");
        assert_eq!(shown("'x'", DataType::Varchar(Some(10))), "'x'::character varying");
        assert_eq!(shown("'ab'", DataType::Char(Some(3))), "'ab'::bpchar");
        assert_eq!(shown("'it''s'", DataType::Text), "'it''s'::text");
        assert_eq!(shown("'[]'::JSONB", DataType::Jsonb), "'[]'::jsonb");
        assert_eq!(shown("'{}'", DataType::Array(Box::new(DataType::Text))), "'{}'::text[]");
        assert_eq!(shown("-1", DataType::Int8), "'-1'::integer");
        assert_eq!(shown("10000000000", DataType::Int8), "'10000000000'::bigint");
        assert_eq!(shown("1.5", DataType::Numeric(Some((10, 2)))), "1.5");
        assert_eq!(shown("-1.5", DataType::Numeric(None)), "'-1.5'::numeric");
        assert_eq!(shown("current_timestamp", DataType::Timestamp), "CURRENT_TIMESTAMP");
        assert_eq!(shown("NULL", DataType::Text), "<none>");
    }

    #[test]
    fn other_expressions_stay_as_written() {
        assert_eq!(shown("now()", DataType::TimestampTz), "now()");
        assert_eq!(shown("gen_random_uuid()", DataType::Uuid), "gen_random_uuid()");
        assert_eq!(shown("nextval('s'::regclass)", DataType::Int8), "nextval('s'::regclass)");
    }
}
