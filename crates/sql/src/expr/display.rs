//! Rendering a bound expression as SQL text, for EXPLAIN and messages.
//!
//! [`Expr::to_sql`] takes a function naming input columns (the planner knows the
//! names); `Display` shows column `i` as `#i`. Implicit casts are shown like
//! PostgreSQL's EXPLAIN does (`(x)::numeric`), literals with their type when it is not
//! obvious (`'2024-01-01'::date`).

use std::fmt;

use helios_types::{DataType, Value};

use crate::expr::node::{Expr, SubqueryTest, UnaryOp};

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_sql(&|i| format!("#{i}")))
    }
}

fn literal(v: &Value, ty: &DataType) -> String {
    match v {
        Value::Null => match ty {
            DataType::Unknown => "NULL".into(),
            t => format!("NULL::{t}"),
        },
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Int4(i) => i.to_string(),
        Value::Int8(i) if *i > i64::from(i32::MAX) || *i < i64::from(i32::MIN) => i.to_string(),
        Value::Numeric(_) if matches!(ty, DataType::Numeric(None)) => v.to_pg_text(),
        Value::Text(s) if matches!(ty, DataType::Text | DataType::Unknown) => quote(s),
        other => format!("{}::{ty}", quote(&other.to_pg_text())),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn list(items: &[Expr], name: &dyn Fn(usize) -> String) -> String {
    items.iter().map(|e| e.to_sql(name)).collect::<Vec<_>>().join(", ")
}

impl Expr {
    /// The expression as SQL text; `name(i)` renders input column `i`.
    pub fn to_sql(&self, name: &dyn Fn(usize) -> String) -> String {
        let s = |e: &Expr| e.to_sql(name);
        match self {
            Expr::Literal(v, ty) => literal(v, ty),
            Expr::Column(i, _) => name(*i),
            Expr::Param(i, _) => format!("${}", i + 1),
            Expr::CaseOperand(_) => "CASE_TEST_EXPR".into(),
            Expr::Cast { expr, to, .. } => format!("({})::{to}", s(expr)),
            Expr::Unary { op, expr, .. } => match op {
                UnaryOp::Not => format!("(NOT {})", s(expr)),
                UnaryOp::Neg => format!("(- {})", s(expr)),
                UnaryOp::Abs => format!("(@ {})", s(expr)),
                UnaryOp::BitNot => format!("(~ {})", s(expr)),
                UnaryOp::Sqrt => format!("(|/ {})", s(expr)),
                UnaryOp::Cbrt => format!("(||/ {})", s(expr)),
            },
            Expr::Binary { op, left, right, .. } => format!("({} {op} {})", s(left), s(right)),
            Expr::IsNull { expr, negated } => {
                format!("({} IS {}NULL)", s(expr), if *negated { "NOT " } else { "" })
            }
            Expr::IsBool { expr, value, negated } => {
                let what = match value {
                    Some(true) => "TRUE",
                    Some(false) => "FALSE",
                    None => "UNKNOWN",
                };
                format!("({} IS {}{what})", s(expr), if *negated { "NOT " } else { "" })
            }
            Expr::IsDistinct { left, right, negated } => format!(
                "({} IS {}DISTINCT FROM {})",
                s(left),
                if *negated { "NOT " } else { "" },
                s(right)
            ),
            // A range constructor is shown by its type's name, without the hidden
            // argument carrying the type.
            Expr::Function { func, args, ty }
                if matches!(func.name, "range_constructor" | "multirange_constructor") =>
            {
                format!("{ty}({})", list(&args[..args.len().saturating_sub(1)], name))
            }
            Expr::Function { func, args, .. } => {
                match (crate::functions::inet::operator_symbol(func.name), args.as_slice()) {
                    (Some(op), [l, r]) => format!("({} {op} {})", s(l), s(r)),
                    (Some(op), [x]) => format!("({op} {})", s(x)),
                    _ => format!("{}({})", func.name, list(args, name)),
                }
            }
            Expr::UserCall(call) => format!("{}({})", call.func.name, list(&call.args, name)),
            Expr::Case { operand, whens, else_result, .. } => {
                let mut out = String::from("CASE");
                if let Some(o) = operand {
                    out.push_str(&format!(" {}", s(o)));
                }
                for (w, t) in whens {
                    out.push_str(&format!(" WHEN {} THEN {}", s(w), s(t)));
                }
                if let Some(e) = else_result {
                    out.push_str(&format!(" ELSE {}", s(e)));
                }
                out.push_str(" END");
                out
            }
            Expr::DomainCheck { expr, domain } => format!("({})::{}", s(expr), domain.name),
            Expr::Coalesce(args, _) => format!("COALESCE({})", list(args, name)),
            Expr::NullIf { eq, .. } => match eq.as_ref() {
                Expr::Binary { left, right, .. } => format!("NULLIF({}, {})", s(left), s(right)),
                other => format!("NULLIF({})", s(other)),
            },
            Expr::MinMax { args, greatest, .. } => {
                format!("{}({})", if *greatest { "GREATEST" } else { "LEAST" }, list(args, name))
            }
            Expr::InList { expr, list: items, negated } => {
                format!(
                    "({} {}IN ({}))",
                    s(expr),
                    if *negated { "NOT " } else { "" },
                    list(items, name)
                )
            }
            Expr::Like { expr, pattern, escape, case_insensitive, negated } => {
                let op = match (case_insensitive, negated) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                let esc = escape.as_ref().map_or(String::new(), |e| format!(" ESCAPE {}", s(e)));
                format!("({} {op} {}{esc})", s(expr), s(pattern))
            }
            Expr::SimilarTo { expr, pattern, negated, .. } => {
                format!(
                    "({} {}SIMILAR TO {})",
                    s(expr),
                    if *negated { "NOT " } else { "" },
                    s(pattern)
                )
            }
            Expr::Array { elements, .. } => format!("ARRAY[{}]", list(elements, name)),
            Expr::Subscript { expr, indexes, .. } => {
                let subs: String = indexes.iter().map(|i| format!("[{}]", s(i))).collect();
                format!("({}){subs}", s(expr))
            }
            Expr::Slice { expr, bounds, .. } => {
                let side = |e: &Option<Expr>| e.as_ref().map_or(String::new(), &s);
                let subs: String =
                    bounds.iter().map(|(l, u)| format!("[{}:{}]", side(l), side(u))).collect();
                format!("({}){subs}", s(expr))
            }
            Expr::Row(fields) => format!("ROW({})", list(fields, name)),
            Expr::Field { expr, name: field, .. } => format!("({}).{field}", s(expr)),
            Expr::RowCompare { op, left, right } => {
                format!("(ROW({}) {op} ROW({}))", list(left, name), list(right, name))
            }
            Expr::AnyAll { left, op, right, all } => {
                format!("({} {op} {}({}))", s(left), if *all { "ALL" } else { "ANY" }, s(right))
            }
            Expr::Subquery { id, kind, .. } => match kind {
                SubqueryTest::Exists { negated } => {
                    format!("({}EXISTS(SubPlan {}))", if *negated { "NOT " } else { "" }, id.0 + 1)
                }
                SubqueryTest::ExistsKeys { keys, negated } => format!(
                    "({}EXISTS(ROW({}) = hashed SubPlan {}))",
                    if *negated { "NOT " } else { "" },
                    list(keys, name),
                    id.0 + 1
                ),
                SubqueryTest::Scalar | SubqueryTest::Column(_) => {
                    format!("(SubPlan {})", id.0 + 1)
                }
                SubqueryTest::Array => format!("ARRAY(SubPlan {})", id.0 + 1),
                SubqueryTest::Quantified { lhs, op, all } => format!(
                    "({} {op} {}(SubPlan {}))",
                    if lhs.len() == 1 { s(&lhs[0]) } else { format!("ROW({})", list(lhs, name)) },
                    if *all { "ALL" } else { "ANY" },
                    id.0 + 1
                ),
            },
            Expr::Aggregate(call) => {
                let mut args =
                    if call.args.is_empty() { "*".to_string() } else { list(&call.args, name) };
                if call.distinct {
                    args = format!("DISTINCT {args}");
                }
                let filter = call
                    .filter
                    .as_ref()
                    .map_or(String::new(), |f| format!(" FILTER (WHERE {})", s(f)));
                let fname = call.user.as_ref().map_or(call.func.name(), |u| u.name.as_str());
                format!("{fname}({args}){filter}")
            }
            Expr::Window(call) => {
                format!("{}({}) OVER (...)", call.func.name(), list(&call.args, name))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::{bind_sql, StaticScope};
    use helios_types::DataType;

    #[test]
    fn renders_like_explain() {
        let mut scope = StaticScope::with_columns(&[("x", DataType::Int4), ("d", DataType::Date)]);
        let show = |sql: &str, scope: &mut StaticScope| {
            let e = bind_sql(sql, scope).expect("bind");
            e.to_sql(&|i| ["x", "d"][i].to_string())
        };
        assert_eq!(show("x + 1 > 2.5", &mut scope), "(((x + 1))::numeric > 2.5)");
        assert_eq!(show("d = '2024-01-01'", &mut scope), "(d = '2024-01-01'::date)");
        assert_eq!(
            show("int4range(x, 5) -|- '[1,2)'", &mut scope),
            "(int4range(x, 5) -|- '[1,2)'::int4range)"
        );
        assert_eq!(
            show("count(*) FILTER (WHERE x IN (1, 2))", &mut scope),
            "count(*) FILTER (WHERE (x IN (1, 2)))"
        );
        assert_eq!(show("lower('A') LIKE 'a%'", &mut scope), "(lower('A') ~~ 'a%')");
        let e = bind_sql("x IS NULL", &mut scope).expect("bind");
        assert_eq!(e.to_string(), "(#0 IS NULL)");
    }
}
