//! Evaluation of a bound [`Expr`] against one input row.
//!
//! Operands already have the types their operator expects (the binder inserted the
//! casts), so evaluation only dispatches on values. NULL handling follows SQL:
//! operators and strict functions return NULL for NULL input; AND/OR use three-valued
//! logic; IN, ANY/ALL and row comparisons return NULL when the answer depends on an
//! unknown value.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::value::Array;
use helios_types::{DataType, Value};

use crate::expr::arith;
use crate::expr::cast::{cast_value, cast_value_tz};
use crate::expr::compare::{compare, compare_op, not_distinct, satisfies};
use crate::expr::context::EvalContext;
use crate::expr::node::{BinaryOp, Expr, SubqueryTest, UnaryOp};
use crate::expr::pattern;

/// Everything an evaluation step can see.
struct Env<'a> {
    row: &'a [Value],
    ctx: &'a dyn EvalContext,
    case_operand: Option<&'a Value>,
}

impl Expr {
    /// Evaluates the expression for one input row.
    pub fn eval(&self, row: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
        eval(self, &Env { row, ctx, case_operand: None })
    }

    /// Evaluates a condition (WHERE, HAVING, ON, CHECK): NULL counts as false.
    pub fn eval_predicate(&self, row: &[Value], ctx: &dyn EvalContext) -> Result<bool> {
        Ok(matches!(self.eval(row, ctx)?, Value::Bool(true)))
    }
}

fn eval(e: &Expr, env: &Env<'_>) -> Result<Value> {
    match e {
        Expr::Literal(v, _) => Ok(v.clone()),
        Expr::Column(i, _) => env
            .row
            .get(*i)
            .cloned()
            .ok_or_else(|| Error::internal(format!("column {i} outside the input row"))),
        Expr::Param(i, ty) => {
            let v = env.ctx.param(*i).clone();
            if v.is_null() || has_type(&v, ty) || *ty == helios_types::DataType::Unknown {
                Ok(v)
            } else {
                // Parameters arrive as text or as another type when the client sent
                // them untyped; convert them like an unknown literal.
                cast_value(v, ty, true)
            }
        }
        Expr::CaseOperand(_) => Ok(env.case_operand.cloned().unwrap_or(Value::Null)),
        Expr::Cast { expr, to, explicit } => {
            cast_value_tz(eval(expr, env)?, to, *explicit, &env.ctx.time_zone())
        }
        Expr::Unary { op, expr, .. } => eval_unary(*op, eval(expr, env)?),
        Expr::Binary { op, left, right, .. } => eval_binary(*op, left, right, env),
        Expr::IsNull { expr, negated } => {
            let null = match expr.as_ref() {
                // A row IS NULL when every field is; IS NOT NULL when none is.
                Expr::Row(fields) => {
                    let vals = fields.iter().map(|f| eval(f, env)).collect::<Result<Vec<_>>>()?;
                    if *negated {
                        return Ok(Value::Bool(vals.iter().all(|v| !v.is_null())));
                    }
                    vals.iter().all(Value::is_null)
                }
                other => match eval(other, env)? {
                    // A composite value IS NULL when every field is, IS NOT NULL when none is.
                    Value::Record(r) => {
                        if *negated {
                            return Ok(Value::Bool(r.fields.iter().all(|v| !v.is_null())));
                        }
                        r.fields.iter().all(Value::is_null)
                    }
                    v => v.is_null(),
                },
            };
            Ok(Value::Bool(null != *negated))
        }
        Expr::IsBool { expr, value, negated } => {
            let v = eval(expr, env)?;
            let hit = match (value, &v) {
                (None, Value::Null) => true,
                (Some(want), Value::Bool(b)) => want == b,
                _ => false,
            };
            Ok(Value::Bool(hit != *negated))
        }
        Expr::IsDistinct { left, right, negated } => {
            let same = not_distinct(&eval(left, env)?, &eval(right, env)?)?;
            Ok(Value::Bool(same == *negated))
        }
        Expr::Function { func, args, .. } => {
            let vals = args.iter().map(|a| eval(a, env)).collect::<Result<Vec<_>>>()?;
            func.call(&vals, env.ctx)
        }
        Expr::UserCall(call) => {
            let vals = call.args.iter().map(|a| eval(a, env)).collect::<Result<Vec<_>>>()?;
            let rows = env.ctx.call_routine(&call.func, vals)?;
            Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(Value::Null))
        }
        Expr::Case { operand, whens, else_result, .. } => {
            let op_val = operand.as_ref().map(|o| eval(o, env)).transpose()?;
            let inner = Env { row: env.row, ctx: env.ctx, case_operand: op_val.as_ref() };
            for (cond, result) in whens {
                if matches!(eval(cond, &inner)?, Value::Bool(true)) {
                    return eval(result, env);
                }
            }
            else_result.as_ref().map_or(Ok(Value::Null), |e| eval(e, env))
        }
        Expr::Coalesce(args, _) => {
            for a in args {
                let v = eval(a, env)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        Expr::DomainCheck { expr, domain } => {
            let v = eval(expr, env)?;
            domain.check(&v, env.ctx)?;
            Ok(v)
        }
        Expr::NullIf { left, eq, .. } => {
            if matches!(eval(eq, env)?, Value::Bool(true)) {
                Ok(Value::Null)
            } else {
                eval(left, env)
            }
        }
        Expr::MinMax { args, greatest, .. } => {
            let mut best: Option<Value> = None;
            for a in args {
                let v = eval(a, env)?;
                if v.is_null() {
                    continue;
                }
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = compare(&v, &b)?;
                        let better =
                            if *greatest { o == Ordering::Greater } else { o == Ordering::Less };
                        if better {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            Ok(best.unwrap_or(Value::Null))
        }
        Expr::InList { expr, list, negated } => {
            let x = eval(expr, env)?;
            let vals = list.iter().map(|i| eval(i, env)).collect::<Result<Vec<_>>>()?;
            let r = quantified(&x, BinaryOp::Eq, vals.iter(), false)?;
            Ok(negate_bool(r, *negated))
        }
        Expr::Like { expr, pattern: pat, escape, case_insensitive, negated } => {
            let (Some(s), Some(p)) = (text_of(eval(expr, env)?), text_of(eval(pat, env)?)) else {
                return Ok(Value::Null);
            };
            let esc = match escape {
                Some(e) => match text_of(eval(e, env)?) {
                    Some(t) => Some(t),
                    None => return Ok(Value::Null),
                },
                None => None,
            };
            let hit = pattern::like(&s, &p, esc.as_deref(), *case_insensitive)?;
            Ok(Value::Bool(hit != *negated))
        }
        Expr::SimilarTo { expr, pattern: pat, escape, negated } => {
            let (Some(s), Some(p)) = (text_of(eval(expr, env)?), text_of(eval(pat, env)?)) else {
                return Ok(Value::Null);
            };
            let esc = match escape {
                Some(e) => match text_of(eval(e, env)?) {
                    Some(t) => Some(t),
                    None => return Ok(Value::Null),
                },
                None => None,
            };
            let hit = pattern::similar(&s, &p, esc.as_deref())?;
            Ok(Value::Bool(hit != *negated))
        }
        Expr::Array { elements, ty } => {
            let vals = elements.iter().map(|x| eval(x, env)).collect::<Result<Vec<_>>>()?;
            let helios_types::DataType::Array(elem) = ty else {
                return Err(Error::internal("array constructor without an array type"));
            };
            let nested = matches!(
                elements.first().map(Expr::data_type),
                Some(helios_types::DataType::Array(_))
            );
            if !nested {
                return Ok(Value::Array(Arc::new(Array::new((**elem).clone(), vals))));
            }
            // ARRAY[ARRAY[..], ..]: one more dimension; a NULL sub-array counts as empty.
            let empty = Array::new((**elem).clone(), Vec::new());
            let parts: Vec<&Array> = vals
                .iter()
                .map(|v| match v {
                    Value::Array(a) => &**a,
                    _ => &empty,
                })
                .collect();
            Ok(Value::Array(Arc::new(Array::stack((**elem).clone(), &parts)?)))
        }
        Expr::Subscript { expr, indexes, .. } => {
            let Value::Array(arr) = eval(expr, env)? else { return Ok(Value::Null) };
            let mut subs = Vec::with_capacity(indexes.len());
            for i in indexes {
                match eval(i, env)? {
                    Value::Int4(i) => subs.push(i),
                    _ => return Ok(Value::Null),
                }
            }
            Ok(arr.get(&subs).cloned().unwrap_or(Value::Null))
        }
        Expr::Slice { expr, bounds, .. } => {
            let Value::Array(arr) = eval(expr, env)? else { return Ok(Value::Null) };
            let mut pairs = Vec::with_capacity(bounds.len());
            for (l, u) in bounds {
                let side = |e: &Option<Expr>| -> Result<Option<Option<i32>>> {
                    Ok(match e {
                        None => Some(None),
                        Some(e) => match eval(e, env)? {
                            Value::Int4(i) => Some(Some(i)),
                            _ => None,
                        },
                    })
                };
                let (Some(l), Some(u)) = (side(l)?, side(u)?) else { return Ok(Value::Null) };
                pairs.push((l, u));
            }
            Ok(Value::Array(Arc::new(arr.slice(&pairs))))
        }
        Expr::Row(fields) => {
            let vals = fields.iter().map(|f| eval(f, env)).collect::<Result<Vec<_>>>()?;
            let ty = match e.data_type() {
                helios_types::DataType::Record(t) => t,
                _ => return Err(Error::internal("a row without a record type")),
            };
            Ok(Value::Record(Arc::new(helios_types::Record::new(ty, vals))))
        }
        Expr::Field { expr, index, .. } => match eval(expr, env)? {
            Value::Record(r) => Ok(r.fields.get(*index).cloned().unwrap_or(Value::Null)),
            _ => Ok(Value::Null),
        },
        Expr::RowCompare { op, left, right } => {
            let l = left.iter().map(|x| eval(x, env)).collect::<Result<Vec<_>>>()?;
            let r = right.iter().map(|x| eval(x, env)).collect::<Result<Vec<_>>>()?;
            row_compare(*op, &l, &r)
        }
        Expr::AnyAll { left, op, right, all } => {
            let x = eval(left, env)?;
            let arr = eval(right, env)?;
            let Value::Array(arr) = arr else { return Ok(Value::Null) };
            quantified(&x, *op, arr.elements.iter(), *all)
        }
        Expr::Subquery { id, kind, .. } => eval_subquery(*id, kind, env),
        Expr::Aggregate(call) => Err(Error::internal(format!(
            "aggregate {} evaluated outside an aggregation",
            call.func.name()
        ))),
        Expr::Window(call) => Err(Error::internal(format!(
            "window function {} evaluated outside a window",
            call.func.name()
        ))),
    }
}

/// Whether `v` is a value of type `t` (`v.data_type() == *t` without building the type
/// of the common scalar values).
#[inline]
pub(crate) fn has_type(v: &Value, t: &DataType) -> bool {
    match (v, t) {
        (Value::Int8(_), DataType::Int8)
        | (Value::Int4(_), DataType::Int4)
        | (Value::Int2(_), DataType::Int2)
        | (Value::Text(_), DataType::Text)
        | (Value::Bool(_), DataType::Bool)
        | (Value::Float8(_), DataType::Float8) => true,
        (Value::Int8(_) | Value::Int4(_) | Value::Int2(_) | Value::Text(_), _) => false,
        _ => v.data_type() == *t,
    }
}

fn text_of(v: Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn negate_bool(v: Value, negate: bool) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(b != negate),
        other => other,
    }
}

/// `x op ANY (values)` / `x op ALL (values)` with SQL NULL semantics: ANY is true if any
/// comparison is true, else NULL if any was NULL, else false; ALL is the dual.
pub(crate) fn quantified<'v>(
    x: &Value,
    op: BinaryOp,
    values: impl Iterator<Item = &'v Value>,
    all: bool,
) -> Result<Value> {
    let mut saw_null = false;
    let mut any_value = false;
    for v in values {
        any_value = true;
        match compare_op(op, x, v)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(!all)),
            Value::Null => saw_null = true,
            _ => {}
        }
    }
    if !any_value {
        return Ok(Value::Bool(all));
    }
    Ok(if saw_null { Value::Null } else { Value::Bool(all) })
}

/// Row comparison by PostgreSQL's rules: `=`/`<>` combine fields with AND/OR and three-
/// valued logic; ordering operators decide on the first unequal pair of fields (NULL if
/// that pair involves a NULL).
pub(crate) fn row_compare(op: BinaryOp, l: &[Value], r: &[Value]) -> Result<Value> {
    match op {
        BinaryOp::Eq | BinaryOp::NotEq => {
            let mut saw_null = false;
            for (a, b) in l.iter().zip(r) {
                match compare_op(BinaryOp::Eq, a, b)? {
                    Value::Bool(false) => return Ok(Value::Bool(op == BinaryOp::NotEq)),
                    Value::Null => saw_null = true,
                    _ => {}
                }
            }
            Ok(if saw_null { Value::Null } else { Value::Bool(op == BinaryOp::Eq) })
        }
        _ => {
            for (a, b) in l.iter().zip(r) {
                if a.is_null() || b.is_null() {
                    return Ok(Value::Null);
                }
                let o = compare(a, b)?;
                if o != Ordering::Equal {
                    return Ok(Value::Bool(satisfies(op, o)));
                }
            }
            Ok(Value::Bool(satisfies(op, Ordering::Equal)))
        }
    }
}

fn eval_subquery(
    id: crate::expr::node::SubqueryId,
    kind: &SubqueryTest,
    env: &Env<'_>,
) -> Result<Value> {
    if let SubqueryTest::Quantified { lhs, op, all } = kind {
        return eval_quantified(id, lhs, *op, *all, env);
    }
    if let SubqueryTest::ExistsKeys { keys, negated } = kind {
        return eval_exists_keys(id, keys, *negated, env);
    }
    let result = env.ctx.subquery(id, env.row)?;
    match kind {
        SubqueryTest::Exists { negated } => Ok(Value::Bool(result.rows.is_empty() == *negated)),
        SubqueryTest::Scalar => match result.rows.as_slice() {
            [] => Ok(Value::Null),
            [row] => Ok(row.first().cloned().unwrap_or(Value::Null)),
            _ => Err(Error::new(
                SqlState::CARDINALITY_VIOLATION,
                "more than one row returned by a subquery used as an expression",
            )),
        },
        SubqueryTest::Column(n) => match result.rows.as_slice() {
            [] => Ok(Value::Null),
            [row] => Ok(row.get(*n).cloned().unwrap_or(Value::Null)),
            _ => Err(Error::new(
                SqlState::CARDINALITY_VIOLATION,
                "more than one row returned by a subquery used as an expression",
            )),
        },
        SubqueryTest::Array => {
            let elems: Vec<Value> =
                result.rows.iter().map(|r| r.first().cloned().unwrap_or(Value::Null)).collect();
            // ARRAY(SELECT <array>) stacks the arrays into one more dimension.
            if let Some(Value::Array(first)) = elems.iter().find(|v| !v.is_null()) {
                let element_type = first.element_type.clone();
                for v in &elems {
                    crate::functions::accumulator::check_sub_array(v, elems.first())?;
                }
                let parts: Vec<&Array> = elems
                    .iter()
                    .filter_map(|v| match v {
                        Value::Array(a) => Some(&**a),
                        _ => None,
                    })
                    .collect();
                return Ok(Value::Array(Arc::new(Array::stack(element_type, &parts)?)));
            }
            let element_type = elems
                .iter()
                .find(|v| !v.is_null())
                .map_or(helios_types::DataType::Text, Value::data_type);
            Ok(Value::Array(Arc::new(Array::new(element_type, elems))))
        }
        SubqueryTest::Quantified { .. } | SubqueryTest::ExistsKeys { .. } => {
            Err(Error::internal("keyed subquery test"))
        }
    }
}

/// `[NOT] EXISTS` as a lookup of `keys` among the subquery's rows: only a row equal to
/// the keys in every column matches (`=` is never true with a NULL), so the answer is
/// TRUE or FALSE, never NULL.
fn eval_exists_keys(
    id: crate::expr::node::SubqueryId,
    keys: &[Expr],
    negated: bool,
    env: &Env<'_>,
) -> Result<Value> {
    let left = keys.iter().map(|x| eval(x, env)).collect::<Result<Vec<_>>>()?;
    if left.iter().any(Value::is_null) {
        return Ok(Value::Bool(negated));
    }
    let found = match env.ctx.subquery_probe(id, env.row, &left)? {
        Some(probe) => probe.found,
        None => {
            let result = env.ctx.subquery(id, env.row)?;
            let mut found = false;
            for row in result.rows.iter() {
                if quantified_rows(&left, BinaryOp::Eq, false, std::slice::from_ref(row))?
                    == Value::Bool(true)
                {
                    found = true;
                    break;
                }
            }
            found
        }
    };
    Ok(Value::Bool(found != negated))
}

/// `lhs op ANY|ALL (subquery)`. `= ANY` and `<> ALL` (IN and NOT IN) with a non-NULL
/// left side ask the context for a hash of the rows first; otherwise, and for the rows
/// holding NULLs, the rows are compared one by one.
fn eval_quantified(
    id: crate::expr::node::SubqueryId,
    lhs: &[Expr],
    op: BinaryOp,
    all: bool,
    env: &Env<'_>,
) -> Result<Value> {
    let left = lhs.iter().map(|x| eval(x, env)).collect::<Result<Vec<_>>>()?;
    let membership = (op == BinaryOp::Eq && !all) || (op == BinaryOp::NotEq && all);
    if membership && !left.iter().any(Value::is_null) {
        if let Some(probe) = env.ctx.subquery_probe(id, env.row, &left)? {
            // `x <> ALL (s)` is `NOT (x = ANY (s))` in three-valued logic.
            let any = if probe.empty || probe.found {
                Value::Bool(probe.found)
            } else {
                quantified_rows(&left, BinaryOp::Eq, false, &probe.rows_with_nulls)?
            };
            return Ok(match any {
                Value::Bool(b) => Value::Bool(b != all),
                other => other,
            });
        }
    }
    let result = env.ctx.subquery(id, env.row)?;
    quantified_rows(&left, op, all, &result.rows)
}

/// `left op ANY|ALL (rows)` over the given rows.
fn quantified_rows(left: &[Value], op: BinaryOp, all: bool, rows: &[Vec<Value>]) -> Result<Value> {
    let mut saw_null = false;
    for row in rows {
        let r = if left.len() == 1 {
            compare_op(op, &left[0], row.first().unwrap_or(&Value::Null))?
        } else {
            row_compare(op, left, row)?
        };
        match r {
            Value::Bool(b) if b != all => return Ok(Value::Bool(!all)),
            Value::Null => saw_null = true,
            _ => {}
        }
    }
    Ok(if saw_null && !rows.is_empty() { Value::Null } else { Value::Bool(all) })
}

fn eval_unary(op: UnaryOp, v: Value) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match op {
        UnaryOp::Not => match v {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            other => Err(Error::internal(format!("NOT of {}", other.data_type()))),
        },
        UnaryOp::Neg => arith::negate(&v),
        UnaryOp::Abs => arith::abs(&v),
        UnaryOp::BitNot => Ok(match v {
            Value::Int2(i) => Value::Int2(!i),
            Value::Int4(i) => Value::Int4(!i),
            Value::Int8(i) => Value::Int8(!i),
            other => return Err(Error::internal(format!("~ of {}", other.data_type()))),
        }),
        UnaryOp::Sqrt => crate::functions::math::sqrt_value(&v),
        UnaryOp::Cbrt => crate::functions::math::cbrt_value(&v),
    }
}

fn eval_binary(op: BinaryOp, left: &Expr, right: &Expr, env: &Env<'_>) -> Result<Value> {
    match op {
        BinaryOp::And => {
            let l = eval(left, env)?;
            if l == Value::Bool(false) {
                return Ok(l);
            }
            let r = eval(right, env)?;
            if r == Value::Bool(false) {
                return Ok(r);
            }
            Ok(if l.is_null() || r.is_null() { Value::Null } else { Value::Bool(true) })
        }
        BinaryOp::Or => {
            let l = eval(left, env)?;
            if l == Value::Bool(true) {
                return Ok(l);
            }
            let r = eval(right, env)?;
            if r == Value::Bool(true) {
                return Ok(r);
            }
            Ok(if l.is_null() || r.is_null() { Value::Null } else { Value::Bool(false) })
        }
        _ => {
            let l = eval(left, env)?;
            let r = eval(right, env)?;
            if op == BinaryOp::ArrayConcat {
                return array_concat(left.data_type(), right.data_type(), l, r);
            }
            if l.is_null() || r.is_null() {
                return Ok(Value::Null);
            }
            if let Some(v) = timestamptz_interval(op, &l, &r, env)? {
                return Ok(v);
            }
            binary_values(op, &l, &r)
        }
    }
}

/// `timestamptz ± interval` in the session zone: month and day steps keep the local
/// time of day across a DST change, as PostgreSQL's `timestamptz_pl_interval` does.
/// `None` for any other operation.
fn timestamptz_interval(
    op: BinaryOp,
    l: &Value,
    r: &Value,
    env: &Env<'_>,
) -> Result<Option<Value>> {
    use helios_types::datetime::{timestamptz_add, timestamptz_sub};
    let out = match (op, l, r) {
        (BinaryOp::Add, Value::TimestampTz(t), Value::Interval(iv))
        | (BinaryOp::Add, Value::Interval(iv), Value::TimestampTz(t)) => {
            timestamptz_add(*t, iv, &env.ctx.time_zone())?
        }
        (BinaryOp::Sub, Value::TimestampTz(t), Value::Interval(iv)) => {
            timestamptz_sub(*t, iv, &env.ctx.time_zone())?
        }
        _ => return Ok(None),
    };
    Ok(Some(Value::TimestampTz(out)))
}

/// `||` with an array on at least one side. A NULL array acts as an empty array (NULL
/// when both are); a NULL on the element side is appended as a NULL element.
fn array_concat(lt: DataType, rt: DataType, l: Value, r: Value) -> Result<Value> {
    let elem = |t: &DataType| match t {
        DataType::Array(e) => (**e).clone(),
        other => other.clone(),
    };
    let one = |t: &DataType, v: Value| Value::Array(Arc::new(Array::new(elem(t), vec![v])));
    match (matches!(lt, DataType::Array(_)), matches!(rt, DataType::Array(_))) {
        (true, true) => match (l, r) {
            (Value::Null, Value::Null) => Ok(Value::Null),
            (Value::Null, x) | (x, Value::Null) => Ok(x),
            (a, b) => crate::functions::array::concat_values(a, b),
        },
        (true, false) => match l {
            Value::Array(a) => crate::functions::array::append(&a, r, false),
            _ => Ok(one(&lt, r)),
        },
        _ => match r {
            Value::Array(b) => crate::functions::array::append(&b, l, true),
            _ => Ok(one(&rt, l)),
        },
    }
}

/// Applies a (non-logical) binary operator to two non-NULL values.
pub(crate) fn binary_values(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    use BinaryOp as B;
    if !op.is_comparison()
        && (matches!(l, Value::Range(_) | Value::Multirange(_))
            || matches!(r, Value::Range(_) | Value::Multirange(_)))
    {
        if let Some(v) = crate::functions::range::binary(op, l, r)? {
            return Ok(v);
        }
    }
    match op {
        op if op.is_comparison() => compare_op(op, l, r),
        B::Add
        | B::Sub
        | B::Mul
        | B::Div
        | B::Mod
        | B::Pow
        | B::BitAnd
        | B::BitOr
        | B::BitXor
        | B::ShiftLeft
        | B::ShiftRight => {
            if crate::expr::num::to_numeric(l).is_some()
                && crate::expr::num::to_numeric(r).is_some()
            {
                arith::numeric_binary(op, l, r)
            } else {
                crate::functions::datetime::datetime_binary(op, l, r)
            }
        }
        B::Concat => match (l, r) {
            (Value::Text(a), Value::Text(b)) => Ok(Value::Text(format!("{a}{b}"))),
            (Value::Bytea(a), Value::Bytea(b)) => {
                Ok(Value::Bytea([a.as_slice(), b.as_slice()].concat()))
            }
            _ => Err(Error::internal("|| on non-text values")),
        },
        B::ArrayConcat => crate::functions::array::concat_values(l.clone(), r.clone()),
        B::RegexMatch | B::RegexIMatch | B::RegexNotMatch | B::RegexNotIMatch => {
            let (Value::Text(s), Value::Text(p)) = (l, r) else {
                return Err(Error::internal("regex match on non-text values"));
            };
            let ci = matches!(op, B::RegexIMatch | B::RegexNotIMatch);
            let neg = matches!(op, B::RegexNotMatch | B::RegexNotIMatch);
            Ok(Value::Bool(pattern::regex_is_match(s, p, ci)? != neg))
        }
        B::StartsWith => match (l, r) {
            (Value::Text(a), Value::Text(b)) => Ok(Value::Bool(a.starts_with(b.as_str()))),
            _ => Err(Error::internal("^@ on non-text values")),
        },
        B::Contains | B::ContainedBy | B::Overlap if matches!(l, Value::Array(_)) => {
            crate::functions::array::array_set_op(op, l, r)
        }
        B::JsonGet
        | B::JsonGetText
        | B::JsonPath
        | B::JsonPathText
        | B::Contains
        | B::ContainedBy
        | B::JsonExists
        | B::JsonExistsAny
        | B::JsonExistsAll
        | B::JsonConcat
        | B::JsonDelete
        | B::JsonDeletePath => crate::functions::json::json_binary(op, l, r),
        B::L2Distance | B::CosineDistance | B::NegInnerProduct => {
            crate::functions::vector::distance(op, l, r)
        }
        other => Err(Error::internal(format!("operator {other} reached evaluation unresolved"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_type_agrees_with_data_type() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Int2(1),
            Value::Int4(1),
            Value::Int8(1),
            Value::Float8(1.5),
            Value::Text("x".into()),
            Value::Bytea(vec![1]),
            Value::Date(3),
        ];
        let types = [
            DataType::Unknown,
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float8,
            DataType::Text,
            DataType::Varchar(Some(3)),
            DataType::Bytea,
            DataType::Date,
            DataType::Timestamp,
        ];
        for v in &values {
            for t in &types {
                assert_eq!(has_type(v, t), v.data_type() == *t, "{v:?} {t:?}");
            }
        }
    }
}
