//! Result column names as PostgreSQL figures them (`FigureColname`): a column keeps its
//! name, a function call is named after the function, a cast after its operand or else
//! its type, and everything else is `?column?`.

use sqlparser::ast;

use crate::parser::ident_name;

/// The name PostgreSQL gives a select-list expression without an alias.
pub fn figure_colname(e: &ast::Expr) -> String {
    figure(e).unwrap_or_else(|| "?column?".to_string())
}

fn figure(e: &ast::Expr) -> Option<String> {
    use ast::Expr as E;
    match e {
        E::Identifier(id) => Some(ident_name(id)),
        E::CompoundIdentifier(ids) => ids.last().map(ident_name),
        E::Function(f) => f.name.0.last().map(|p| match p {
            ast::ObjectNamePart::Identifier(id) => ident_name(id),
            other => other.to_string().to_lowercase(),
        }),
        // A name taken from a type (an inner cast, CASE, ARRAY, ...) is weak: an outer
        // cast's type replaces it, as in PostgreSQL's FigureColnameInternal.
        E::Cast { expr, data_type, .. } => Some(
            figure(expr).filter(|_| !weak_name(expr)).unwrap_or_else(|| type_colname(data_type)),
        ),
        E::TypedString(ts) => Some(type_colname(&ts.data_type)),
        E::Nested(inner) => figure(inner),
        E::Case { .. } => Some("case".into()),
        E::Exists { .. } => Some("exists".into()),
        E::Subquery(q) => subquery_colname(q),
        E::Array(_) => Some("array".into()),
        E::Tuple(_) => Some("row".into()),
        E::Value(v) => match &v.value {
            ast::Value::Boolean(_) => Some("bool".into()),
            _ => None,
        },
        E::Interval(_) => Some("interval".into()),
        E::Extract { .. } => Some("extract".into()),
        E::Position { .. } => Some("position".into()),
        E::Substring { shorthand: true, .. } => Some("substr".into()),
        E::Substring { .. } => Some("substring".into()),
        E::Trim { .. } => Some("btrim".into()),
        E::Overlay { .. } => Some("overlay".into()),
        E::Ceil { .. } => Some("ceil".into()),
        E::Floor { .. } => Some("floor".into()),
        E::AtTimeZone { .. } => Some("timezone".into()),
        E::Collate { expr, .. } => figure(expr),
        // The last field name of the chain (`t.a[1]` is `a`), else the root's name.
        E::CompoundFieldAccess { access_chain, root } => access_chain
            .iter()
            .rev()
            .find_map(|a| match a {
                ast::AccessExpr::Dot(inner) => Some(figure(inner)),
                ast::AccessExpr::Subscript(_) => None,
            })
            .unwrap_or_else(|| figure(root)),
        _ => None,
    }
}

/// Whether the name [`figure`] gives `e` is a weak one (PostgreSQL's strength 1).
fn weak_name(e: &ast::Expr) -> bool {
    use ast::Expr as E;
    match e {
        E::Cast { .. } | E::TypedString(_) | E::Case { .. } | E::Value(_) | E::Interval(_) => true,
        E::Nested(inner) => weak_name(inner),
        _ => false,
    }
}

fn subquery_colname(q: &ast::Query) -> Option<String> {
    match q.body.as_ref() {
        ast::SetExpr::Select(s) => match s.projection.first()? {
            ast::SelectItem::UnnamedExpr(e) => figure(e),
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(ident_name(alias)),
            _ => None,
        },
        ast::SetExpr::Query(inner) => subquery_colname(inner),
        ast::SetExpr::Values(_) => Some("column1".into()),
        // A set operation is named by its first branch.
        ast::SetExpr::SetOperation { left, .. } => {
            subquery_colname(&ast::Query { body: left.clone(), ..q.clone() })
        }
        _ => None,
    }
}

/// PostgreSQL's internal name of a type, as used for column names of casts.
pub fn type_colname(ty: &ast::DataType) -> String {
    use ast::DataType as A;
    match ty {
        A::Int(_) | A::Integer(_) | A::Int4(_) => "int4".into(),
        A::BigInt(_) | A::Int8(_) => "int8".into(),
        A::SmallInt(_) | A::Int2(_) => "int2".into(),
        A::Real | A::Float4 => "float4".into(),
        A::DoublePrecision | A::Float8 | A::Double(_) => "float8".into(),
        A::Float(_) => "float8".into(),
        A::Bool | A::Boolean => "bool".into(),
        A::Varchar(_) | A::CharacterVarying(_) | A::CharVarying(_) => "varchar".into(),
        A::Char(_) | A::Character(_) => "bpchar".into(),
        A::Numeric(_) | A::Decimal(_) | A::Dec(_) => "numeric".into(),
        A::Text => "text".into(),
        A::Bytea => "bytea".into(),
        A::Date => "date".into(),
        A::Time(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => "timetz".into(),
        A::Time(..) => "time".into(),
        A::Timestamp(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
            "timestamptz".into()
        }
        A::Timestamp(..) => "timestamp".into(),
        A::Interval { .. } => "interval".into(),
        A::Uuid => "uuid".into(),
        A::JSON => "json".into(),
        A::JSONB => "jsonb".into(),
        A::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => type_colname(inner),
        // The type's own name, unqualified and unquoted: `x::pg_catalog.int4` is
        // `int4`, `x::"char"` is `char`.
        A::Custom(name, _) => match name.0.last().and_then(|p| p.as_ident()) {
            Some(id) => crate::parser::ident_name(id),
            None => name.to_string().to_lowercase(),
        },
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(sql: &str) -> String {
        figure_colname(&crate::parser::parse_expr(sql).unwrap())
    }

    #[test]
    fn names_like_postgres() {
        assert_eq!(name("a"), "a");
        assert_eq!(name("t.B"), "b");
        assert_eq!(name("count(*)"), "count");
        assert_eq!(name("'x'::\"char\""), "char");
        assert_eq!(name("(SELECT 1 AS a UNION SELECT 2)"), "a");
        assert_eq!(name("1::pg_catalog.int4"), "int4");
        assert_eq!(name("1 + 2"), "?column?");
        assert_eq!(name("1::int"), "int4");
        assert_eq!(name("x::text"), "x");
        assert_eq!(name("true"), "bool");
        assert_eq!(name("case when true then 1 end"), "case");
        assert_eq!(name("(select max(x) from t)"), "max");
        assert_eq!(name("exists (select 1)"), "exists");
        assert_eq!(name("'empty'::int4range::int4multirange"), "int4multirange");
        assert_eq!(name("true::text"), "text");
        assert_eq!(name("(case when true then 1 end)::text"), "text");
        assert_eq!(name("array[1]::text"), "array");
        assert_eq!(name("f(1)::text"), "f");
    }
}
