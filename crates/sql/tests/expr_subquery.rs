//! Subquery tests (EXISTS, IN, NOT IN, ANY/ALL, scalar, ARRAY) with PostgreSQL's NULL
//! semantics, and the binding of aggregate and window calls. A mock scope stands in for
//! sql-core's binder and a mock context for its executor.

use std::cell::RefCell;

use helios_common::{Result, SqlState};
use helios_sql::expr::{
    bind_sql, EvalContext, Expr, ExprScope, SessionInfo, SubqueryId, SubqueryKind, SubqueryResult,
};
use helios_sql::functions::aggregate::AggregateFunc;
use helios_sql::functions::window::WindowFunc;
use helios_types::{DataType, Value};
use sqlparser::ast;

/// Every subquery gets the next id; its column types come from `columns`.
struct MockScope {
    columns: Vec<DataType>,
    kinds: RefCell<Vec<SubqueryKind>>,
    session: SessionInfo,
}

impl ExprScope for MockScope {
    fn resolve_column(&self, _q: Option<&str>, name: &str) -> Result<(usize, DataType)> {
        match name {
            "x" => Ok((0, DataType::Int4)),
            "y" => Ok((1, DataType::Text)),
            _ => Err(helios_common::Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            )),
        }
    }
    fn bind_subquery(
        &mut self,
        _q: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, Vec<DataType>)> {
        let mut kinds = self.kinds.borrow_mut();
        kinds.push(kind);
        Ok((SubqueryId(u32::try_from(kinds.len() - 1).unwrap_or(0)), self.columns.clone()))
    }
    fn param_type(&mut self, _i: usize, hint: Option<&DataType>) -> Result<DataType> {
        Ok(hint.cloned().unwrap_or(DataType::Unknown))
    }
    fn session(&self) -> &SessionInfo {
        &self.session
    }
}

struct MockCtx {
    rows: Vec<Vec<Value>>,
    session: SessionInfo,
}

impl EvalContext for MockCtx {
    fn subquery(&self, _id: SubqueryId, _row: &[Value]) -> Result<SubqueryResult> {
        Ok(SubqueryResult { rows: std::rc::Rc::new(self.rows.clone()) })
    }
    fn param(&self, _i: usize) -> &Value {
        &Value::Null
    }
    fn now(&self) -> i64 {
        0
    }
    fn session(&self) -> &SessionInfo {
        &self.session
    }
}

fn scope(columns: Vec<DataType>) -> MockScope {
    MockScope { columns, kinds: RefCell::new(Vec::new()), session: SessionInfo::default() }
}

/// Binds `sql` with a subquery of one int column returning `rows`, evaluates it for x.
fn eval(sql: &str, x: Value, rows: &[Option<i32>]) -> Result<Value> {
    let mut s = scope(vec![DataType::Int4]);
    let e = bind_sql(sql, &mut s)?;
    let ctx = MockCtx {
        rows: rows.iter().map(|r| vec![r.map_or(Value::Null, Value::Int4)]).collect(),
        session: SessionInfo::default(),
    };
    e.eval(&[x, Value::Null], &ctx)
}

const Q: &str = "(SELECT a FROM t)";

#[test]
fn in_and_not_in_follow_sql_null_rules() {
    let t = |v| Ok(Value::Bool(v));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Int4(1), &[Some(1), None]), t(true));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Int4(2), &[Some(1), None]), Ok(Value::Null));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Int4(2), &[Some(1)]), t(false));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Int4(2), &[]), t(false));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Null, &[]), t(false));
    assert_eq!(eval(&format!("x IN {Q}"), Value::Null, &[Some(1)]), Ok(Value::Null));
    assert_eq!(eval(&format!("x NOT IN {Q}"), Value::Int4(2), &[Some(1), None]), Ok(Value::Null));
    assert_eq!(eval(&format!("x NOT IN {Q}"), Value::Int4(2), &[Some(1)]), t(true));
    assert_eq!(eval(&format!("x NOT IN {Q}"), Value::Int4(1), &[Some(1), None]), t(false));
    assert_eq!(eval(&format!("x NOT IN {Q}"), Value::Null, &[]), t(true));
}

#[test]
fn any_all_exists_scalar_array() {
    let t = |v| Ok(Value::Bool(v));
    assert_eq!(eval(&format!("x > ALL {Q}"), Value::Int4(5), &[]), t(true));
    assert_eq!(eval(&format!("x > ALL {Q}"), Value::Int4(5), &[Some(1), Some(4)]), t(true));
    assert_eq!(eval(&format!("x > ALL {Q}"), Value::Int4(5), &[Some(1), None]), Ok(Value::Null));
    assert_eq!(eval(&format!("x > ALL {Q}"), Value::Int4(5), &[Some(9), None]), t(false));
    assert_eq!(eval(&format!("x = ANY {Q}"), Value::Int4(4), &[Some(1), Some(4)]), t(true));
    assert_eq!(eval(&format!("x < SOME {Q}"), Value::Int4(4), &[Some(1)]), t(false));
    assert_eq!(eval(&format!("EXISTS {Q}"), Value::Null, &[None]), t(true));
    assert_eq!(eval(&format!("NOT EXISTS {Q}"), Value::Null, &[]), t(true));
    assert_eq!(eval(&format!("{Q} + 1"), Value::Null, &[Some(41)]), Ok(Value::Int4(42)));
    assert_eq!(eval(&format!("{Q} + 1"), Value::Null, &[]), Ok(Value::Null));
    let err = eval(&format!("{Q} + 1"), Value::Null, &[Some(1), Some(2)]).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::CARDINALITY_VIOLATION);
    assert_eq!(err.message(), "more than one row returned by a subquery used as an expression");
    let arr = eval(&format!("ARRAY{Q}"), Value::Null, &[Some(1), None]).expect("array");
    assert_eq!(arr.to_pg_text(), "{1,NULL}");
}

#[test]
fn subquery_kinds_and_column_checks() {
    let mut s = scope(vec![DataType::Int4]);
    bind_sql(&format!("x IN {Q}"), &mut s).expect("in");
    bind_sql(&format!("EXISTS {Q}"), &mut s).expect("exists");
    bind_sql(Q, &mut s).expect("scalar");
    assert_eq!(
        *s.kinds.borrow(),
        vec![SubqueryKind::Quantified, SubqueryKind::Exists, SubqueryKind::Scalar]
    );
    let mut two = scope(vec![DataType::Int4, DataType::Text]);
    let err = bind_sql(Q, &mut two).unwrap_err();
    assert_eq!(err.message(), "subquery must return only one column");
    let err = bind_sql(&format!("x IN {Q}"), &mut two).unwrap_err();
    assert_eq!(err.message(), "subquery has too many columns");
    // Row IN subquery compares field by field.
    let e = bind_sql(&format!("(x, y) IN {Q}"), &mut two).expect("row in");
    let ctx = MockCtx {
        rows: vec![vec![Value::Int4(1), Value::Text("a".into())]],
        session: SessionInfo::default(),
    };
    assert_eq!(
        e.eval(&[Value::Int4(1), Value::Text("a".into())], &ctx).ok(),
        Some(Value::Bool(true))
    );
    assert_eq!(
        e.eval(&[Value::Int4(1), Value::Text("b".into())], &ctx).ok(),
        Some(Value::Bool(false))
    );
}

#[test]
fn aggregates_bind_with_postgres_types() {
    let mut s = scope(vec![]);
    let e = bind_sql("sum(x) + 1", &mut s).expect("sum");
    assert!(e.contains_aggregate());
    assert_eq!(e.data_type(), DataType::Int8);
    let Expr::Binary { left, .. } = &e else { panic!("binary") };
    let Expr::Aggregate(call) = left.as_ref() else { panic!("aggregate") };
    assert_eq!((call.func, call.ty.clone()), (AggregateFunc::Sum, DataType::Int8));
    let Expr::Aggregate(call) = bind_sql("count(*)", &mut s).expect("count") else {
        panic!("aggregate")
    };
    assert_eq!((call.func, call.args.len()), (AggregateFunc::CountStar, 0));
    let Expr::Aggregate(call) =
        bind_sql("string_agg(DISTINCT y, ',' ORDER BY y DESC) FILTER (WHERE x > 1)", &mut s)
            .expect("string_agg")
    else {
        panic!("aggregate")
    };
    assert!(call.distinct && call.filter.is_some());
    assert_eq!(call.order_by.len(), 1);
    assert!(!call.order_by[0].asc && call.order_by[0].nulls_first);
    assert_eq!(bind_sql("avg(x)", &mut s).expect("avg").data_type(), DataType::Numeric(None));
    let err = bind_sql("sum(sum(x))", &mut s).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::WRONG_OBJECT_TYPE_OR_GROUPING);
    let err = bind_sql("sum(y)", &mut s).unwrap_err();
    assert_eq!(err.message(), "function sum(text) does not exist");
    let err = bind_sql("lower(y) FILTER (WHERE true)", &mut s).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::WRONG_OBJECT_TYPE);
}

#[test]
fn windows_bind_partition_order_and_frame() {
    let mut s = scope(vec![]);
    let Expr::Window(w) =
        bind_sql("rank() OVER (PARTITION BY y ORDER BY x DESC)", &mut s).expect("rank")
    else {
        panic!("window")
    };
    assert_eq!((w.func, w.ty.clone()), (WindowFunc::Rank, DataType::Int8));
    assert_eq!((w.partition_by.len(), w.order_by.len()), (1, 1));
    let Expr::Window(w) =
        bind_sql("sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)", &mut s)
            .expect("sum over")
    else {
        panic!("window")
    };
    assert_eq!(w.func, WindowFunc::Aggregate(AggregateFunc::Sum));
    assert!(w.frame.is_some());
    let Expr::Window(w) = bind_sql("lag(x, 1, 0) OVER w", &mut s).expect("lag") else {
        panic!("window")
    };
    assert_eq!((w.window_name.as_deref(), w.ty.clone()), (Some("w"), DataType::Int4));
    let err = bind_sql("row_number()", &mut s).unwrap_err();
    assert_eq!(err.message(), "window function row_number requires an OVER clause");
}
