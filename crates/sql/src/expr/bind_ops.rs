//! Binding of binary operators: the operator catalog (which argument types each
//! operator accepts and what it returns, as in PostgreSQL's `pg_operator`) and the
//! coercion of operands to the chosen operator's types.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use crate::expr::bind::{map_binary_operator, Binder, CoercionKind};
use crate::expr::node::{BinaryOp, Expr};
use crate::expr::resolve::{resolve, Resolution};
use crate::expr::types::{category, numeric_rank, strip_modifiers, TypeCategory};

use DataType::{
    Bool, Bytea, Date, Float4, Float8, Int2, Int4, Int8, Interval, Json, Jsonb, Text, Time, TimeTz,
    Timestamp, TimestampTz, Uuid,
};

const NUMERIC: DataType = DataType::Numeric(None);

/// One operator signature: left type, right type, result type.
type OpSig = (DataType, DataType, DataType);

/// The numeric types in promotion order.
fn numeric_types() -> [DataType; 6] {
    [Int2, Int4, Int8, NUMERIC, Float4, Float8]
}

/// The result type of an arithmetic operator on two numeric types, which is also the
/// type both operands are converted to for evaluation: PostgreSQL has cross-type
/// integer operators returning the wider type, `float4 op float8` returns float8, and
/// every other mix goes through the common type (with float4 widened to float8).
pub fn numeric_op_type(l: &DataType, r: &DataType) -> DataType {
    let (lr, rr) = (numeric_rank(l).unwrap_or(0), numeric_rank(r).unwrap_or(0));
    if lr == rr {
        return strip_modifiers(l);
    }
    let wider = if lr > rr { l } else { r };
    match wider {
        DataType::Float4 => Float8,
        other => strip_modifiers(other),
    }
}

/// The candidate signatures of an operator (concrete types only; arrays, `||` and json
/// are handled before this catalog is consulted).
fn catalog(op: BinaryOp) -> Vec<OpSig> {
    let mut out: Vec<OpSig> = Vec::new();
    let ints = [Int2, Int4, Int8];
    let same_numeric = |out: &mut Vec<OpSig>, result_bool: bool| {
        for t in numeric_types() {
            out.push((t.clone(), t.clone(), if result_bool { Bool } else { t.clone() }));
        }
        for a in &ints {
            for b in &ints {
                if a != b {
                    let res = if result_bool { Bool } else { numeric_op_type(a, b) };
                    out.push((a.clone(), b.clone(), res));
                }
            }
        }
        let res = if result_bool { Bool } else { Float8 };
        out.push((Float4, Float8, res.clone()));
        out.push((Float8, Float4, res));
    };
    match op {
        BinaryOp::Add => {
            same_numeric(&mut out, false);
            out.extend([
                (Date, Int4, Date),
                (Int4, Date, Date),
                (Date, Interval, Timestamp),
                (Interval, Date, Timestamp),
                (Date, Time, Timestamp),
                (Time, Date, Timestamp),
                (Timestamp, Interval, Timestamp),
                (Interval, Timestamp, Timestamp),
                (TimestampTz, Interval, TimestampTz),
                (Interval, TimestampTz, TimestampTz),
                (Time, Interval, Time),
                (Interval, Time, Time),
                (Date, TimeTz, TimestampTz),
                (TimeTz, Date, TimestampTz),
                (TimeTz, Interval, TimeTz),
                (Interval, TimeTz, TimeTz),
                (Interval, Interval, Interval),
            ]);
        }
        BinaryOp::Sub => {
            same_numeric(&mut out, false);
            out.extend([
                (Date, Int4, Date),
                (Date, Date, Int4),
                (Date, Interval, Timestamp),
                (Timestamp, Interval, Timestamp),
                (TimestampTz, Interval, TimestampTz),
                (Timestamp, Timestamp, Interval),
                (TimestampTz, TimestampTz, Interval),
                (Time, Interval, Time),
                (Time, Time, Interval),
                (TimeTz, Interval, TimeTz),
                (Interval, Interval, Interval),
                (Jsonb, Text, Jsonb),
                (Jsonb, Int4, Jsonb),
                (Jsonb, DataType::Array(Box::new(Text)), Jsonb),
            ]);
        }
        BinaryOp::Mul => {
            same_numeric(&mut out, false);
            out.extend([(Interval, Float8, Interval), (Float8, Interval, Interval)]);
        }
        BinaryOp::Div => {
            same_numeric(&mut out, false);
            out.push((Interval, Float8, Interval));
        }
        BinaryOp::Mod => {
            for t in [Int2, Int4, Int8, NUMERIC] {
                out.push((t.clone(), t.clone(), t));
            }
            for a in &ints {
                for b in &ints {
                    if a != b {
                        out.push((a.clone(), b.clone(), numeric_op_type(a, b)));
                    }
                }
            }
        }
        BinaryOp::Pow => {
            out.extend([(Float8, Float8, Float8), (NUMERIC, NUMERIC, NUMERIC)]);
        }
        BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
            for t in ints {
                out.push((t.clone(), t.clone(), t));
            }
        }
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            for t in ints {
                out.push((t.clone(), Int4, t));
            }
        }
        op if op.is_comparison() => {
            same_numeric(&mut out, true);
            for t in [
                Bool,
                Text,
                Bytea,
                Date,
                Time,
                TimeTz,
                Timestamp,
                TimestampTz,
                Interval,
                Uuid,
                DataType::Inet,
                DataType::MacAddr,
                Jsonb,
            ] {
                out.push((t.clone(), t, Bool));
            }
            // Sort keys of tsvector (ORDER BY, indexes) are its canonical text; the
            // operators themselves bind in bind_tsearch.rs.
            out.push((DataType::TsVector, DataType::TsVector, Bool));
            // character(n) compares through text with trailing blanks dropped (the
            // coercion to text strips them), so it has no operators of its own here.
            out.extend([
                (Date, Timestamp, Bool),
                (Timestamp, Date, Bool),
                (Date, TimestampTz, Bool),
                (TimestampTz, Date, Bool),
                (Timestamp, TimestampTz, Bool),
                (TimestampTz, Timestamp, Bool),
            ]);
        }
        BinaryOp::RegexMatch
        | BinaryOp::RegexIMatch
        | BinaryOp::RegexNotMatch
        | BinaryOp::RegexNotIMatch
        | BinaryOp::StartsWith => out.push((Text, Text, Bool)),
        BinaryOp::JsonGet => out.extend([
            (Jsonb, Text, Jsonb),
            (Jsonb, Int4, Jsonb),
            (Json, Text, Json),
            (Json, Int4, Json),
        ]),
        BinaryOp::JsonGetText => out.extend([
            (Jsonb, Text, Text),
            (Jsonb, Int4, Text),
            (Json, Text, Text),
            (Json, Int4, Text),
        ]),
        BinaryOp::JsonPath => out.extend([
            (Jsonb, DataType::Array(Box::new(Text)), Jsonb),
            (Json, DataType::Array(Box::new(Text)), Json),
        ]),
        BinaryOp::JsonPathText => out.extend([
            (Jsonb, DataType::Array(Box::new(Text)), Text),
            (Json, DataType::Array(Box::new(Text)), Text),
        ]),
        BinaryOp::JsonDeletePath => out.push((Jsonb, DataType::Array(Box::new(Text)), Jsonb)),
        BinaryOp::JsonExists => out.push((Jsonb, Text, Bool)),
        BinaryOp::JsonExistsAny | BinaryOp::JsonExistsAll => {
            out.push((Jsonb, DataType::Array(Box::new(Text)), Bool));
        }
        BinaryOp::Contains | BinaryOp::ContainedBy => out.push((Jsonb, Jsonb, Bool)),
        BinaryOp::L2Distance | BinaryOp::CosineDistance | BinaryOp::NegInnerProduct => {
            out.push((DataType::Vector(None), DataType::Vector(None), Float8));
        }
        _ => {}
    }
    out
}

/// `42883 operator does not exist: integer + text`.
pub(crate) fn no_operator(op: BinaryOp, l: &DataType, r: &DataType) -> Error {
    Error::new(SqlState::UNDEFINED_FUNCTION, format!("operator does not exist: {l} {op} {r}"))
        .with_hint(
            "No operator matches the given name and argument types. You might need to add explicit type casts.",
        )
}

/// `42725 operator is not unique: unknown + unknown`.
fn ambiguous_operator(op: BinaryOp, l: &DataType, r: &DataType) -> Error {
    Error::new(SqlState::AMBIGUOUS_FUNCTION, format!("operator is not unique: {l} {op} {r}"))
        .with_hint(
        "Could not choose a best candidate operator. You might need to add explicit type casts.",
    )
}

fn is_array(t: &DataType) -> bool {
    matches!(t, DataType::Array(_))
}

fn is_string(t: &DataType) -> bool {
    category(t) == TypeCategory::String
}

impl Binder<'_> {
    /// Binds `left op right` for an AST operator.
    pub(crate) fn bind_binary(
        &mut self,
        op: &ast::BinaryOperator,
        l: Expr,
        r: Expr,
    ) -> Result<Expr> {
        // `@?` and `@@` are the jsonpath operators (`jsonb_path_exists_opr`,
        // `jsonb_path_match_opr`).
        match op {
            ast::BinaryOperator::AtQuestion => {
                return self.call_function("jsonb_path_exists_opr", vec![l, r])
            }
            ast::BinaryOperator::AtAt => {
                let json = |t: DataType| matches!(t, DataType::Jsonb | DataType::JsonPath);
                if json(l.data_type()) || json(r.data_type()) {
                    return self.call_function("jsonb_path_match_opr", vec![l, r]);
                }
                return self.ts_match(l, r);
            }
            _ => {}
        }
        if let Some(name) = self.inet_custom_binary(op, &l, &r) {
            return self.call_function(name, vec![l, r]);
        }
        let op = map_binary_operator(op)?;
        self.binary(op, l, r)
    }

    /// `(start1, end1) OVERLAPS (start2, end2)`: a call of `overlaps` over the four
    /// endpoints, where an end given as an interval is `start + interval`.
    pub(crate) fn bind_overlaps(&mut self, left: &ast::Expr, right: &ast::Expr) -> Result<Expr> {
        let mut args = Vec::with_capacity(4);
        for (side, e) in [("left", left), ("right", right)] {
            let mut e = e;
            while let ast::Expr::Nested(inner) = e {
                e = inner;
            }
            let items: &[ast::Expr] = match e {
                ast::Expr::Tuple(items) => items,
                _ => &[],
            };
            let [start, end] = items else {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("wrong number of parameters on {side} side of OVERLAPS expression"),
                ));
            };
            let start = self.bind(start)?;
            let end = self.bind(end)?;
            let end = if end.data_type() == DataType::Interval {
                self.binary(BinaryOp::Add, start.clone(), end)?
            } else {
                end
            };
            args.push(start);
            args.push(end);
        }
        self.call_function("overlaps", args)
    }

    /// Resolves a binary operator for two bound operands.
    pub(crate) fn binary(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let name = if op == BinaryOp::And { "AND" } else { "OR" };
            let l = self.coerce_bool(l, name)?;
            let r = self.coerce_bool(r, name)?;
            return Ok(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: Bool });
        }
        // Two row constructors compare field by field (NULL when a NULL field decides);
        // a row constructor against a composite value compares as composite values.
        let composite = |e: &Expr| {
            matches!(e, Expr::Row(_))
                || matches!(e.data_type(), DataType::Record(_) | DataType::Unknown)
        };
        // (`||` is no comparison: a row constructor there is an array element or text.)
        let rows = (matches!(l, Expr::Row(_)), matches!(r, Expr::Row(_)));
        let compared =
            rows == (true, true) || ((rows.0 || rows.1) && !(composite(&l) && composite(&r)));
        if compared && op != BinaryOp::Concat {
            return self.row_compare(op, l, r);
        }
        let (l, r) = match self.tsearch_binary(op, l, r)? {
            Ok(e) => return Ok(e),
            Err(operands) => operands,
        };
        let (l, r) = match self.inet_binary(op, l, r)? {
            Ok(e) => return Ok(e),
            Err(operands) => operands,
        };
        let (lt, rt) = (l.data_type(), r.data_type());
        if op == BinaryOp::Concat {
            return self.concat(l, r);
        }
        if crate::expr::bind_range::is_rangeish(&lt) || crate::expr::bind_range::is_rangeish(&rt) {
            if let Some(e) = self.range_binary(op, l.clone(), r.clone())? {
                return Ok(e);
            }
        }
        if op.is_comparison() && (is_array(&lt) || is_array(&rt)) {
            let (l, r) = self.array_operands(op, l, r)?;
            return Ok(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: Bool });
        }
        if matches!(op, BinaryOp::Contains | BinaryOp::ContainedBy | BinaryOp::Overlap)
            && (is_array(&lt) || is_array(&rt))
        {
            let (l, r) = self.array_operands(op, l, r)?;
            return Ok(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: Bool });
        }
        if op.is_comparison() {
            // PostgreSQL's `anyenum` comparisons: both sides of one enum type (an untyped
            // literal takes the enum's type).
            let enum_type = match (&lt, &rt) {
                (DataType::Enum(a), DataType::Enum(b)) if a.oid == b.oid => Some(lt.clone()),
                (DataType::Enum(_), DataType::Unknown) => Some(lt.clone()),
                (DataType::Unknown, DataType::Enum(_)) => Some(rt.clone()),
                _ => None,
            };
            // Composite values compare field by field (`record_cmp`).
            let record_type = match (&lt, &rt) {
                (DataType::Record(a), DataType::Record(b))
                    if a.oid == b.oid || a.is_anonymous() || b.is_anonymous() =>
                {
                    Some(if a.is_anonymous() { rt.clone() } else { lt.clone() })
                }
                // Two composite types: compared field by field if their fields match.
                (DataType::Record(_), DataType::Record(_)) => Some(lt.clone()),
                (DataType::Record(_), DataType::Unknown) => Some(lt.clone()),
                (DataType::Unknown, DataType::Record(_)) => Some(rt.clone()),
                _ => None,
            };
            if let (Some(_), DataType::Record(a), DataType::Record(b)) = (&record_type, &lt, &rt) {
                check_record_fields(a, b)?;
                if a.oid != b.oid && !a.is_anonymous() && !b.is_anonymous() {
                    let (left, right) = (Box::new(l), Box::new(r));
                    return Ok(Expr::Binary { op, left, right, ty: Bool });
                }
            }
            let enum_type = enum_type.or(record_type);
            if let Some(t) = enum_type {
                let l = self.coerce(l, &t, CoercionKind::Implicit)?;
                let r = self.coerce(r, &t, CoercionKind::Implicit)?;
                return Ok(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: Bool });
            }
        }
        let cands = catalog(op);
        let params: Vec<Vec<DataType>> =
            cands.iter().map(|(a, b, _)| vec![a.clone(), b.clone()]).collect();
        let (pl, pr, res) = match resolve(&[lt.clone(), rt.clone()], &params, true) {
            Resolution::Found(i) => cands[i].clone(),
            Resolution::NotFound => return Err(no_operator(op, &lt, &rt)),
            Resolution::Ambiguous => return Err(ambiguous_operator(op, &lt, &rt)),
        };
        // Numeric operators run on one type: the cross-type integer operators of
        // PostgreSQL give the same results as widening first.
        let (pl, pr) = if numeric_rank(&pl).is_some() && numeric_rank(&pr).is_some() {
            let t = numeric_op_type(&pl, &pr);
            (t.clone(), t)
        } else {
            (pl, pr)
        };
        let l = self.coerce(l, &pl, CoercionKind::Implicit)?;
        let r = self.coerce(r, &pr, CoercionKind::Implicit)?;
        let op = match op {
            BinaryOp::Sub if pl == Jsonb => BinaryOp::JsonDelete,
            other => other,
        };
        Ok(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: res })
    }

    /// Coerces two operands for a comparison operator and returns them.
    pub(crate) fn comparison_operands(
        &mut self,
        op: BinaryOp,
        l: Expr,
        r: Expr,
    ) -> Result<(Expr, Expr)> {
        match self.binary(op, l, r)? {
            Expr::Binary { left, right, .. } => Ok((*left, *right)),
            _ => Err(Error::internal("comparison did not bind to a binary operator")),
        }
    }

    /// `||`: text concatenation (a non-string operand is converted to text), array
    /// concatenation, jsonb concatenation, bytea concatenation.
    fn concat(&mut self, l: Expr, r: Expr) -> Result<Expr> {
        let (lt, rt) = (l.data_type(), r.data_type());
        let unknown = |t: &DataType| *t == DataType::Unknown;
        if is_array(&lt) || is_array(&rt) {
            let (l, r, ty) = self.array_concat_operands(l, r)?;
            return Ok(Expr::Binary {
                op: BinaryOp::ArrayConcat,
                left: Box::new(l),
                right: Box::new(r),
                ty,
            });
        }
        if (lt == Jsonb && (rt == Jsonb || unknown(&rt))) || (rt == Jsonb && unknown(&lt)) {
            let l = self.coerce(l, &Jsonb, CoercionKind::Implicit)?;
            let r = self.coerce(r, &Jsonb, CoercionKind::Implicit)?;
            return Ok(Expr::Binary {
                op: BinaryOp::JsonConcat,
                left: Box::new(l),
                right: Box::new(r),
                ty: Jsonb,
            });
        }
        if (lt == Bytea && (rt == Bytea || unknown(&rt))) || (rt == Bytea && unknown(&lt)) {
            let l = self.coerce(l, &Bytea, CoercionKind::Implicit)?;
            let r = self.coerce(r, &Bytea, CoercionKind::Implicit)?;
            return Ok(Expr::Binary {
                op: BinaryOp::Concat,
                left: Box::new(l),
                right: Box::new(r),
                ty: Bytea,
            });
        }
        let stringish = |t: &DataType| is_string(t) || unknown(t);
        if !stringish(&lt) && !stringish(&rt) {
            return Err(no_operator(BinaryOp::Concat, &lt, &rt));
        }
        // textanycat / anytextcat: the other side goes through its output function.
        let l = if stringish(&lt) {
            self.coerce(l, &Text, CoercionKind::Implicit)?
        } else {
            self.coerce(l, &Text, CoercionKind::Explicit)?
        };
        let r = if stringish(&rt) {
            self.coerce(r, &Text, CoercionKind::Implicit)?
        } else {
            self.coerce(r, &Text, CoercionKind::Explicit)?
        };
        Ok(Expr::Binary { op: BinaryOp::Concat, left: Box::new(l), right: Box::new(r), ty: Text })
    }

    /// `array || array`, `elem || array`, `array || elem`: the element types are unified.
    fn array_concat_operands(&mut self, l: Expr, r: Expr) -> Result<(Expr, Expr, DataType)> {
        let (lt, rt) = (l.data_type(), r.data_type());
        let elem_of = |t: &DataType| match t {
            DataType::Array(e) => Some((**e).clone()),
            _ => None,
        };
        let elem = match (elem_of(&lt), elem_of(&rt)) {
            (Some(a), Some(b)) => self.common_elem(&[a, b], &lt, &rt)?,
            (Some(a), None) => self.common_elem(&[a, rt.clone()], &lt, &rt)?,
            (None, Some(b)) => self.common_elem(&[lt.clone(), b], &lt, &rt)?,
            (None, None) => return Err(no_operator(BinaryOp::Concat, &lt, &rt)),
        };
        let arr = DataType::Array(Box::new(elem.clone()));
        let side = |t: &DataType, unknown_is_array: bool| {
            if is_array(t) || (*t == DataType::Unknown && unknown_is_array) {
                arr.clone()
            } else {
                elem.clone()
            }
        };
        // An unknown literal next to an array is an array literal ('{1,2}'), as in PostgreSQL.
        let lt_target = side(&lt, true);
        let rt_target = side(&rt, true);
        let l = self.coerce(l, &lt_target, CoercionKind::Implicit)?;
        let r = self.coerce(r, &rt_target, CoercionKind::Implicit)?;
        Ok((l, r, arr))
    }

    fn common_elem(
        &mut self,
        types: &[DataType],
        lt: &DataType,
        rt: &DataType,
    ) -> Result<DataType> {
        crate::expr::types::common_type(types, "ARRAY")
            .map_err(|_| no_operator(BinaryOp::Concat, lt, rt))
    }

    /// Operands of array comparisons and `@>`, `<@`, `&&`: both arrays of one element type.
    fn array_operands(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<(Expr, Expr)> {
        let (lt, rt) = (l.data_type(), r.data_type());
        let target = match (&lt, &rt) {
            (DataType::Array(a), DataType::Array(b)) => {
                let e = crate::expr::types::common_type(&[(**a).clone(), (**b).clone()], "ARRAY")
                    .map_err(|_| no_operator(op, &lt, &rt))?;
                DataType::Array(Box::new(e))
            }
            (DataType::Array(_), DataType::Unknown) => lt.clone(),
            (DataType::Unknown, DataType::Array(_)) => rt.clone(),
            _ => return Err(no_operator(op, &lt, &rt)),
        };
        let l = self.coerce(l, &target, CoercionKind::Implicit)?;
        let r = self.coerce(r, &target, CoercionKind::Implicit)?;
        Ok((l, r))
    }

    /// `(a, b) op (c, d)`.
    fn row_compare(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        let (Expr::Row(left), Expr::Row(right)) = (l, r) else {
            return Err(Error::unsupported("comparing a row with a non-row value"));
        };
        if left.is_empty() && right.is_empty() {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot compare rows of zero length",
            ));
        };
        if !op.is_comparison() {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("operator does not exist: record {op} record"),
            ));
        }
        if left.len() != right.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "unequal number of entries in row expressions",
            ));
        }
        let mut ls = Vec::with_capacity(left.len());
        let mut rs = Vec::with_capacity(right.len());
        for (a, b) in left.into_iter().zip(right) {
            let (a, b) = self.comparison_operands(op, a, b)?;
            ls.push(a);
            rs.push(b);
        }
        Ok(Expr::RowCompare { op, left: ls, right: rs })
    }
}

/// PostgreSQL's `record_cmp` needs the same field types at every position (42804);
/// an anonymous record converts to the other side's type instead.
fn check_record_fields(a: &helios_types::RecordType, b: &helios_types::RecordType) -> Result<()> {
    if a.oid == b.oid || a.is_anonymous() || b.is_anonymous() {
        return Ok(());
    }
    if a.fields.len() != b.fields.len() {
        return Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            "cannot compare record types with different numbers of columns",
        ));
    }
    for (i, (x, y)) in a.fields.iter().zip(&b.fields).enumerate() {
        if !crate::expr::types::same_base(&x.ty, &y.ty) {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "cannot compare dissimilar column types {} and {} at record column {}",
                    x.ty,
                    y.ty,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_result_types() {
        assert_eq!(numeric_op_type(&Int2, &Int2), Int2);
        assert_eq!(numeric_op_type(&Int2, &Int8), Int8);
        assert_eq!(numeric_op_type(&Int4, &NUMERIC), NUMERIC);
        assert_eq!(numeric_op_type(&Float4, &Int4), Float8);
        assert_eq!(numeric_op_type(&Float4, &Float4), Float4);
        assert_eq!(numeric_op_type(&NUMERIC, &Float8), Float8);
    }
}
