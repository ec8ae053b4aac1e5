//! Binding of the special forms: IN, BETWEEN, LIKE/ILIKE/SIMILAR TO, CASE, arrays and
//! subscripts, subqueries, ANY/ALL, and the SQL-standard function syntaxes
//! (EXTRACT, SUBSTRING, TRIM, POSITION, OVERLAY, CEIL/FLOOR, AT TIME ZONE, INTERVAL).

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::expr::bind::{map_binary_operator, Binder, CoercionKind};
use crate::expr::node::{BinaryOp, Expr, SubqueryKind, SubqueryTest};
use crate::parser::ident_name;

impl Binder<'_> {
    /// Binds the AST nodes not handled in `bind.rs`.
    pub(crate) fn bind_special(&mut self, e: &ast::Expr) -> Result<Expr> {
        use ast::Expr as A;
        match e {
            A::In { expr, target, negated, .. } => match target {
                ast::InTarget::List(list) => self.bind_in_list(expr, list, *negated),
                ast::InTarget::Subquery(q) => {
                    let lhs = self.bind(expr)?;
                    let op = if *negated { BinaryOp::NotEq } else { BinaryOp::Eq };
                    self.bind_quantified(lhs, op, q, *negated)
                }
                _ => Err(Error::unsupported("this form of IN")),
            },
            A::Between { expr, negated, low, high } => self.bind_between(expr, *negated, low, high),
            A::Like { negated, any, expr, pattern, escape_char } => {
                self.bind_like(*any, expr, pattern, escape_char.as_deref(), false, *negated)
            }
            A::ILike { negated, any, expr, pattern, escape_char } => {
                self.bind_like(*any, expr, pattern, escape_char.as_deref(), true, *negated)
            }
            A::SimilarTo { negated, expr, pattern, escape_char } => {
                let x = self.bind_text(expr, "SIMILAR TO")?;
                let p = self.bind_text(pattern, "SIMILAR TO")?;
                let esc =
                    escape_char.as_deref().map(|e| self.bind_text(e, "SIMILAR TO")).transpose()?;
                Ok(Expr::SimilarTo {
                    expr: Box::new(x),
                    pattern: Box::new(p),
                    escape: esc.map(Box::new),
                    negated: *negated,
                })
            }
            A::Case { operand, conditions, else_result, .. } => {
                self.bind_case(operand.as_deref(), conditions, else_result.as_deref())
            }
            // `(VALUES (1))` in an expression is a scalar subquery; sqlparser reads it as a
            // call of a function `values` (a reserved word in PostgreSQL, so no function
            // can have that name).
            A::Function(f) if is_values_call(f) => {
                let (id, cols) =
                    self.scope.bind_subquery(&values_query(f)?, SubqueryKind::Scalar)?;
                let ty = single_column(&cols)?;
                Ok(Expr::Subquery { id, kind: SubqueryTest::Scalar, ty })
            }
            A::Function(f) => self.bind_function(f).map_err(|e| {
                if e.sqlstate() == SqlState::UNDEFINED_FUNCTION
                    && e.message().starts_with("function ")
                {
                    crate::parser::place::at_name(e, &f.name)
                } else {
                    e
                }
            }),
            A::Array(arr) => {
                let elems = arr.elem.iter().map(|x| self.bind(x)).collect::<Result<Vec<_>>>()?;
                self.make_array(elems)
            }
            A::CompoundFieldAccess { root, access_chain } => {
                if let Some(e) = self.bind_record_field(root, access_chain)? {
                    return Ok(e);
                }
                // `t.col[i]` arrives as `t` with the access chain `.col`, `[i]`: the
                // leading names are one column reference.
                let mut names = match root.as_ref() {
                    A::Identifier(id) => vec![id.clone()],
                    A::CompoundIdentifier(ids) => ids.clone(),
                    _ => Vec::new(),
                };
                let mut rest = access_chain.as_slice();
                while let (false, [ast::AccessExpr::Dot(A::Identifier(id)), tail @ ..]) =
                    (names.is_empty(), rest)
                {
                    names.push(id.clone());
                    rest = tail;
                }
                let name_column = names.last().is_some_and(|n| ident_name(n).ends_with("name"));
                let mut cur = if rest.len() < access_chain.len() {
                    self.bind(&A::CompoundIdentifier(names))?
                } else {
                    self.bind(root)?
                };
                let mut k = 0;
                while k < rest.len() {
                    let access = &rest[k];
                    k += 1;
                    cur = match access {
                        // A catalog `name` column (text here, `typname`, `relname`, ...):
                        // `typname[0]` is its first byte as PostgreSQL's "char".
                        ast::AccessExpr::Subscript(ast::Subscript::Index { index })
                            if k == 1 && cur.data_type() == DataType::Text && name_column =>
                        {
                            let idx = self.bind(index)?;
                            self.call_function("helios_name_char", vec![cur, idx])?
                        }
                        ast::AccessExpr::Subscript(s) => {
                            // `a[i][j]` is one subscript of a two-dimensional array.
                            let mut subs = vec![s];
                            while let Some(ast::AccessExpr::Subscript(t)) = rest.get(k) {
                                subs.push(t);
                                k += 1;
                            }
                            self.bind_subscripts(cur, &subs)?
                        }
                        ast::AccessExpr::Dot(A::Identifier(field)) => {
                            self.select_field(cur, &ident_name(field))?
                        }
                        ast::AccessExpr::Dot(_) => {
                            return Err(Error::unsupported(
                                "this field selection from a composite value",
                            ))
                        }
                    };
                }
                Ok(cur)
            }
            A::Subquery(q) => {
                let (id, cols) = self.scope.bind_subquery(q, SubqueryKind::Scalar)?;
                let ty = single_column(&cols)?;
                Ok(Expr::Subquery { id, kind: SubqueryTest::Scalar, ty })
            }
            A::Exists { subquery, negated } => {
                let (id, _) = self.scope.bind_subquery(subquery, SubqueryKind::Exists)?;
                Ok(Expr::Subquery {
                    id,
                    kind: SubqueryTest::Exists { negated: *negated },
                    ty: DataType::Bool,
                })
            }
            A::AnyOp { left, compare_op, right, .. } => {
                self.bind_any_all(left, compare_op, right, false)
            }
            A::AllOp { left, compare_op, right } => {
                self.bind_any_all(left, compare_op, right, true)
            }
            A::Extract { field, expr, .. } => {
                let f = datetime_field_name(field);
                let x = self.bind(expr)?;
                self.call_function("extract", vec![Expr::literal(Value::Text(f)), x])
            }
            A::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.bind(expr)?];
                let from = match substring_from {
                    Some(f) => self.bind(f)?,
                    None => Expr::literal(Value::Int4(1)),
                };
                args.push(from);
                if let Some(n) = substring_for {
                    args.push(self.bind(n)?);
                }
                self.call_function("substring", args)
            }
            A::Trim { trim_where, trim_what, expr, trim_characters } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![self.bind(expr)?];
                if let Some(w) = trim_what {
                    args.push(self.bind(w)?);
                } else if let Some(chars) = trim_characters {
                    for c in chars {
                        args.push(self.bind(c)?);
                    }
                }
                self.call_function(name, args)
            }
            A::Position { expr, r#in } => {
                let needle = self.bind(expr)?;
                let hay = self.bind(r#in)?;
                self.call_function("strpos", vec![hay, needle])
            }
            A::Overlay { expr, overlay_what, overlay_from, overlay_for } => {
                let mut args =
                    vec![self.bind(expr)?, self.bind(overlay_what)?, self.bind(overlay_from)?];
                if let Some(f) = overlay_for {
                    args.push(self.bind(f)?);
                }
                self.call_function("overlay", args)
            }
            A::Ceil { expr, field } | A::Floor { expr, field } => {
                let name = if matches!(e, A::Ceil { .. }) { "ceil" } else { "floor" };
                match field {
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) => {
                        let x = self.bind(expr)?;
                        self.call_function(name, vec![x])
                    }
                    _ => Err(Error::unsupported(format!(
                        "{} with a second argument",
                        name.to_uppercase()
                    ))),
                }
            }
            A::AtTimeZone { timestamp, time_zone } => {
                let ts = self.bind(timestamp)?;
                let tz = self.bind(time_zone)?;
                self.call_function("timezone", vec![tz, ts])
            }
            A::Interval(iv) => self.bind_interval(iv),
            A::Collate { expr, .. } => self.bind(expr),
            A::Wildcard(_) | A::QualifiedWildcard(..) => {
                Err(Error::new(SqlState::SYNTAX_ERROR, "\"*\" is not allowed in this context"))
            }
            other => Err(Error::unsupported(format!("expression {other}"))),
        }
    }

    fn bind_text(&mut self, e: &ast::Expr, construct: &str) -> Result<Expr> {
        let x = self.bind(e)?;
        let ty = x.data_type();
        if matches!(ty, DataType::Char(_)) {
            // Pattern matching on character(n) keeps the trailing blanks (bpcharlike).
            return Ok(Expr::Cast { expr: Box::new(x), to: DataType::Text, explicit: false });
        }
        if crate::expr::types::category(&ty) == crate::expr::types::TypeCategory::String
            || ty == DataType::Unknown
        {
            self.coerce(x, &DataType::Text, CoercionKind::Implicit)
        } else {
            Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("operator does not exist: {ty} {construct} text"),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts."))
        }
    }

    fn bind_in_list(
        &mut self,
        expr: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
    ) -> Result<Expr> {
        let lhs = self.bind(expr)?;
        let items = list.iter().map(|x| self.bind(x)).collect::<Result<Vec<_>>>()?;
        if matches!(lhs, Expr::Row(_)) {
            // (a, b) IN ((1, 2), (3, 4)): an OR of row comparisons.
            let op = if negated { BinaryOp::NotEq } else { BinaryOp::Eq };
            let join = if negated { BinaryOp::And } else { BinaryOp::Or };
            let mut acc: Option<Expr> = None;
            for item in items {
                let cmp = self.binary(op, lhs.clone(), item)?;
                acc = Some(match acc {
                    None => cmp,
                    Some(prev) => self.binary(join, prev, cmp)?,
                });
            }
            return acc.ok_or_else(|| {
                Error::new(SqlState::SYNTAX_ERROR, "syntax error at or near \")\"")
            });
        }
        // PostgreSQL uses the common type when all fit; otherwise it compares one by one.
        let mut all = vec![lhs];
        all.extend(items);
        let types: Vec<DataType> = all.iter().map(Expr::data_type).collect();
        if crate::expr::types::common_type(&types, "IN").is_ok() {
            let (mut coerced, _) = self.coerce_common(all, "IN")?;
            let lhs = coerced.remove(0);
            return Ok(Expr::InList { expr: Box::new(lhs), list: coerced, negated });
        }
        let lhs = all.remove(0);
        let mut list = Vec::with_capacity(all.len());
        for item in all {
            // Each comparison must resolve; the error names the pair like PostgreSQL.
            let (_, r) = self.comparison_operands(BinaryOp::Eq, lhs.clone(), item)?;
            list.push(r);
        }
        Ok(Expr::InList { expr: Box::new(lhs), list, negated })
    }

    fn bind_between(
        &mut self,
        expr: &ast::Expr,
        negated: bool,
        low: &ast::Expr,
        high: &ast::Expr,
    ) -> Result<Expr> {
        let (low, symmetric) = match symmetric_low_bound(low) {
            Some(inner) => (inner, true),
            None => (low, false),
        };
        let x = self.bind(expr)?;
        let lo = self.bind(low)?;
        let hi = self.bind(high)?;
        let between = |b: &mut Self, lo: Expr, hi: Expr| -> Result<Expr> {
            let ge = b.binary(BinaryOp::GtEq, x.clone(), lo)?;
            let le = b.binary(BinaryOp::LtEq, x.clone(), hi)?;
            b.binary(BinaryOp::And, ge, le)
        };
        let mut out = between(self, lo.clone(), hi.clone())?;
        if symmetric {
            // PostgreSQL's `(x BETWEEN lo AND hi) OR (x BETWEEN hi AND lo)`.
            let swapped = between(self, hi, lo)?;
            out = self.binary(BinaryOp::Or, out, swapped)?;
        }
        if negated {
            out = self.unary(crate::expr::node::UnaryOp::Not, out)?;
        }
        Ok(out)
    }

    fn bind_like(
        &mut self,
        any: bool,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        case_insensitive: bool,
        negated: bool,
    ) -> Result<Expr> {
        if any {
            return Err(Error::unsupported("LIKE ANY"));
        }
        let name = if case_insensitive { "~~*" } else { "~~" };
        let x = self.bind_text(expr, name)?;
        let p = self.bind_text(pattern, name)?;
        let esc = escape.map(|e| self.bind_text(e, name)).transpose()?;
        Ok(Expr::Like {
            expr: Box::new(x),
            pattern: Box::new(p),
            escape: esc.map(Box::new),
            case_insensitive,
            negated,
        })
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
    ) -> Result<Expr> {
        let operand = operand.map(|o| self.bind(o)).transpose()?;
        let mut conds = Vec::with_capacity(conditions.len());
        let mut results = Vec::with_capacity(conditions.len() + 1);
        for w in conditions {
            let c = self.bind(&w.condition)?;
            let c = match &operand {
                Some(op) => {
                    let placeholder = Expr::CaseOperand(op.data_type());
                    self.binary(BinaryOp::Eq, placeholder, c)?
                }
                None => self.coerce_bool(c, "CASE/WHEN")?,
            };
            conds.push(c);
            results.push(self.bind(&w.result)?);
        }
        let has_else = else_result.is_some();
        if let Some(e) = else_result {
            results.push(self.bind(e)?);
        }
        let (mut results, ty) = self.coerce_common(results, "CASE")?;
        let else_result = if has_else { results.pop().map(Box::new) } else { None };
        Ok(Expr::Case {
            operand: operand.map(Box::new),
            whens: conds.into_iter().zip(results).collect(),
            else_result,
            ty,
        })
    }

    /// `ARRAY[...]` from bound elements.
    pub(crate) fn make_array(&mut self, elems: Vec<Expr>) -> Result<Expr> {
        if elems.is_empty() {
            return Err(Error::new(
                SqlState::INDETERMINATE_DATATYPE,
                "cannot determine type of empty array",
            )
            .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."));
        }
        let (elems, elem_ty) = self.coerce_common(elems, "ARRAY")?;
        // ARRAY[ARRAY[..]] (or ARRAY[[..]]) stacks the sub-arrays into one more dimension;
        // its type is the sub-arrays' (`int[][]` is `int[]`).
        let ty = match elem_ty {
            DataType::Array(_) => elem_ty,
            other => DataType::Array(Box::new(other)),
        };
        Ok(Expr::Array { elements: elems, ty })
    }

    /// `base[s1][s2]...`: one array subscript (or slice when any `si` is a slice), or a
    /// chain of jsonb subscripts.
    fn bind_subscripts(&mut self, base: Expr, subs: &[&ast::Subscript]) -> Result<Expr> {
        let DataType::Array(elem) = base.data_type() else {
            let mut cur = base;
            for s in subs {
                cur = self.bind_subscript(cur, s)?;
            }
            return Ok(cur);
        };
        let int = |b: &mut Self, e: &ast::Expr| -> Result<Expr> {
            let x = b.bind(e)?;
            b.coerce(x, &DataType::Int4, CoercionKind::Implicit).map_err(|_| {
                Error::new(SqlState::DATATYPE_MISMATCH, "array subscript must have type integer")
            })
        };
        if subs.len() > helios_types::array::MAX_DIMS {
            return Err(Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "number of array dimensions ({}) exceeds the maximum allowed ({})",
                    subs.len(),
                    helios_types::array::MAX_DIMS
                ),
            ));
        }
        if subs.iter().all(|s| matches!(s, ast::Subscript::Index { .. })) {
            let mut indexes = Vec::with_capacity(subs.len());
            for s in subs {
                if let ast::Subscript::Index { index } = s {
                    indexes.push(int(self, index)?);
                }
            }
            return Ok(Expr::Subscript { expr: Box::new(base), indexes, ty: *elem });
        }
        // A slice: a plain subscript `[n]` among slices means `[1:n]`, as in PostgreSQL.
        let mut bounds = Vec::with_capacity(subs.len());
        for s in subs {
            bounds.push(match s {
                ast::Subscript::Index { index } => {
                    (Some(Expr::literal(Value::Int4(1))), Some(int(self, index)?))
                }
                ast::Subscript::Slice { lower_bound, upper_bound, stride } => {
                    if stride.is_some() {
                        return Err(Error::unsupported("array slice stride"));
                    }
                    (
                        lower_bound.as_ref().map(|e| int(self, e)).transpose()?,
                        upper_bound.as_ref().map(|e| int(self, e)).transpose()?,
                    )
                }
            });
        }
        let ty = DataType::Array(elem);
        Ok(Expr::Slice { expr: Box::new(base), bounds, ty })
    }

    /// One jsonb (or catalog int2vector) subscript.
    fn bind_subscript(&mut self, base: Expr, s: &ast::Subscript) -> Result<Expr> {
        let base_ty = base.data_type();
        let DataType::Array(_) = base_ty.clone() else {
            if base_ty == DataType::Jsonb {
                let ast::Subscript::Index { index } = s else {
                    return Err(Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        "jsonb subscript does not support slices",
                    ));
                };
                let idx = self.bind(index)?;
                return self.call_function("helios_jsonb_subscript", vec![base, idx]);
            }
            // The int2vector columns of the catalog (`pg_index.indkey`, `indoption`) are
            // text here; drivers subscript them (0-based).
            if base_ty == DataType::Text {
                if let ast::Subscript::Index { index } = s {
                    let idx = self.bind(index)?;
                    return self.call_function("helios_int2vector_get", vec![base, idx]);
                }
            }
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("cannot subscript type {base_ty} because it does not support subscripting"),
            ));
        };
        self.bind_subscripts(base, &[s])
    }

    /// `lhs op ANY|ALL (subquery)`, also `IN (subquery)` (`= ANY`) and `NOT IN` (`<> ALL`).
    fn bind_quantified(
        &mut self,
        lhs: Expr,
        op: BinaryOp,
        q: &ast::Query,
        all: bool,
    ) -> Result<Expr> {
        let lhs_fields = match lhs {
            Expr::Row(fields) => fields,
            other => vec![other],
        };
        let (id, cols) = self.scope.bind_subquery(q, SubqueryKind::Quantified)?;
        if cols.len() != lhs_fields.len() {
            let msg = if cols.len() > lhs_fields.len() {
                "subquery has too many columns"
            } else {
                "subquery has too few columns"
            };
            return Err(Error::new(SqlState::SYNTAX_ERROR, msg));
        }
        let mut coerced = Vec::with_capacity(lhs_fields.len());
        for (field, col) in lhs_fields.into_iter().zip(&cols) {
            // Resolve the operator against a stand-in for the subquery column.
            let stand_in = Expr::Literal(Value::Null, col.clone());
            // The evaluator compares the coerced left side with the subquery's values,
            // widening numeric types as the chosen operator would.
            let (l, _) = self.comparison_operands(op, field, stand_in)?;
            coerced.push(l);
        }
        Ok(Expr::Subquery {
            id,
            kind: SubqueryTest::Quantified { lhs: coerced, op, all },
            ty: DataType::Bool,
        })
    }

    fn bind_any_all(
        &mut self,
        left: &ast::Expr,
        compare_op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
    ) -> Result<Expr> {
        let op = map_binary_operator(compare_op)?;
        if !op.is_comparison() {
            return Err(Error::unsupported(format!("operator {op} with ANY/ALL")));
        }
        let l = self.bind(left)?;
        // `x = ANY(SELECT ...)` arrives as a Subquery operand.
        let inner = match right {
            ast::Expr::Nested(inner) => inner.as_ref(),
            other => other,
        };
        if let ast::Expr::Subquery(q) = inner {
            return self.bind_quantified(l, op, q, all);
        }
        let r = self.bind(right)?;
        let rt = r.data_type();
        let elem = match &rt {
            DataType::Array(e) => (**e).clone(),
            DataType::Unknown => l.data_type(),
            other => {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!("op ANY/ALL (array) requires array on right side, not {other}"),
                ))
            }
        };
        let stand_in = Expr::Literal(Value::Null, elem.clone());
        let (l, r_elem) = self.comparison_operands(op, l, stand_in)?;
        let target = DataType::Array(Box::new(r_elem.data_type()));
        let r = self.coerce(r, &target, CoercionKind::Implicit)?;
        Ok(Expr::AnyAll { left: Box::new(l), op, right: Box::new(r), all })
    }

    fn bind_interval(&mut self, iv: &ast::Interval) -> Result<Expr> {
        let v = self.bind(&iv.value)?;
        let text = match v {
            Expr::Literal(Value::Text(s), _) => s,
            Expr::Literal(Value::Int4(i), _) => i.to_string(),
            Expr::Literal(Value::Numeric(_), _) | Expr::Literal(Value::Int8(_), _) => {
                return Err(Error::unsupported("a numeric INTERVAL literal"))
            }
            _ => {
                return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error in INTERVAL literal"))
            }
        };
        let style = crate::expr::context::session_zone(self.scope.session()).style().interval;
        let value = interval_literal(iv, &text, style)?;
        Ok(Expr::Literal(Value::Interval(value), DataType::Interval))
    }
}

/// The value of `INTERVAL '<text>' <qualifier>` (the qualifier from `iv`), read with the
/// session's IntervalStyle.
pub(crate) fn interval_literal(
    iv: &ast::Interval,
    text: &str,
    style: helios_types::text::style::IntervalStyle,
) -> Result<helios_types::Interval> {
    use helios_types::text::interval::{IntervalField, IntervalRange};
    let field = |f: &Option<ast::DateTimeField>| -> Result<Option<IntervalField>> {
        let Some(f) = f else { return Ok(None) };
        Ok(Some(match datetime_field_name(f).trim_end_matches('s') {
            "year" => IntervalField::Year,
            "month" => IntervalField::Month,
            "day" => IntervalField::Day,
            "hour" => IntervalField::Hour,
            "minute" => IntervalField::Minute,
            "second" => IntervalField::Second,
            other => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("syntax error at or near \"{}\"", other.to_uppercase()),
                ))
            }
        }))
    };
    let leading = field(&iv.leading_field)?;
    let last = field(&iv.last_field)?;
    let seconds_last = last.or(leading) == Some(IntervalField::Second);
    let precision = iv
        .fractional_seconds_precision
        .or(if seconds_last && last.is_none() { iv.leading_precision } else { None })
        .map(|p| u32::try_from(p.min(6)).unwrap_or(6));
    let range = IntervalRange { leading, last, precision, style };
    helios_types::text::interval::parse_interval_range(text, &range).map_err(Error::from)
}

/// The lower bound a `BETWEEN SYMMETRIC` marker wraps (see
/// `crate::parser::BETWEEN_SYMMETRIC_MARKER`); `None` for any other bound.
fn symmetric_low_bound(low: &ast::Expr) -> Option<&ast::Expr> {
    crate::parser::marker_arg(low, crate::parser::BETWEEN_SYMMETRIC_MARKER)
}

/// The type of a one-column subquery; 42601 "subquery must return only one column".
fn single_column(cols: &[DataType]) -> Result<DataType> {
    match cols {
        [one] => Ok(one.clone()),
        _ => Err(Error::new(SqlState::SYNTAX_ERROR, "subquery must return only one column")),
    }
}

/// A datetime field keyword as the lowercase name `date_part` takes.
pub(crate) fn datetime_field_name(f: &ast::DateTimeField) -> String {
    let s = f.to_string().to_lowercase();
    s.trim_matches('"').trim_matches('\'').to_string()
}

impl Binder<'_> {
    /// `(t.k).field` where `k` is the record column of a set-returning call in a derived
    /// table's select list: the hidden column carrying that field. `None` when the
    /// expression is not of that form.
    /// `(value).field` on a bound composite value.
    pub(crate) fn select_field(&mut self, cur: Expr, field: &str) -> Result<Expr> {
        let DataType::Record(t) = cur.data_type() else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!(
                    "column notation .{field} applied to type {}, which is not a composite type",
                    cur.data_type()
                ),
            ));
        };
        let Some(index) = t.field_index(field) else {
            return Err(if t.is_anonymous() {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("could not identify column \"{field}\" in record data type"),
                )
            } else {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{field}\" not found in data type {}", t.name),
                )
            });
        };
        let ty = t.fields[index].ty.clone();
        Ok(Expr::Field { expr: Box::new(cur), index, name: field.to_string(), ty })
    }

    fn bind_record_field(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
    ) -> Result<Option<Expr>> {
        let [ast::AccessExpr::Dot(ast::Expr::Identifier(field))] = chain else {
            return Ok(None);
        };
        let mut root = root;
        while let ast::Expr::Nested(inner) = root {
            root = inner;
        }
        let (qualifier, column) = match root {
            ast::Expr::Identifier(id) => (None, ident_name(id)),
            ast::Expr::CompoundIdentifier(ids) => match ids.split_last() {
                Some((last, quals)) => (
                    Some(quals.iter().map(ident_name).collect::<Vec<_>>().join(".")),
                    ident_name(last),
                ),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let name = crate::binder::companion_name(&column, &ident_name(field));
        match self.scope.resolve_column(qualifier.as_deref(), &name) {
            Ok((index, ty)) => Ok(Some(Expr::Column(index, ty))),
            Err(e) if e.sqlstate() == SqlState::UNDEFINED_COLUMN => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Whether `f` is `VALUES (a, b, ...)` read as a call of a function named `values`
/// (unquoted, plain arguments).
fn is_values_call(f: &ast::Function) -> bool {
    let [ast::ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else { return false };
    let ast::FunctionArguments::List(list) = &f.args else { return false };
    name.quote_style.is_none()
        && name.value.eq_ignore_ascii_case("values")
        && list.duplicate_treatment.is_none()
        && list.clauses.is_empty()
        && f.over.is_none()
        && f.filter.is_none()
        && f.within_group.is_empty()
        && list
            .args
            .iter()
            .all(|a| matches!(a, ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(_))))
}

/// The one-row VALUES query of a call [`is_values_call`] accepts.
fn values_query(f: &ast::Function) -> Result<ast::Query> {
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(Error::internal("VALUES without a row"));
    };
    let row: Vec<String> = list.args.iter().map(ToString::to_string).collect();
    crate::parser::parse_query(&format!("VALUES ({})", row.join(", ")))
}
