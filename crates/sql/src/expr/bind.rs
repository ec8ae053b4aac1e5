//! Binding: from the sqlparser AST (`ast::Expr`) to a typed [`Expr`].
//!
//! The binder walks the AST once, bottom-up. Each node is bound, then its operands are
//! coerced to what the operator or function needs, following PostgreSQL's rules
//! (chapter 10, "Type Conversion"):
//!
//! 1. Literals get their natural types: integers `int4`/`int8`/`numeric` by size,
//!    decimals `numeric`, strings and NULL `unknown`.
//! 2. An `unknown` operand takes the type the context needs (the other operand of a
//!    binary operator, a function parameter, a CAST target); string literals are then
//!    parsed right away, so `'abc'::int` fails at bind time as in PostgreSQL.
//! 3. Other operands are converted only by implicit casts (see [`super::types`]).
//!
//! Operators live in `bind_ops.rs`, function calls in `bind_func.rs`, subqueries and
//! special forms (CASE, IN, LIKE, ...) in `bind_special.rs`.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::expr::cast::cast_value;
use crate::expr::context::ExprScope;
use crate::expr::node::{BinaryOp, Expr, UnaryOp};
use crate::expr::types::{
    can_assignment_cast, can_implicit_cast, common_type, data_type_from_ast, reg_type, same_base,
    RegType,
};
use crate::parser::place;

/// Binds an AST expression against `scope`.
///
/// Aggregate and window calls come back as [`Expr::Aggregate`] / [`Expr::Window`] nodes
/// for the planner to extract. Unknown-typed results (a bare `'abc'` or `NULL`) are
/// left `unknown`; callers that need a concrete type use [`coerce_expr`] or
/// [`resolve_unknown`].
pub fn bind_expr(e: &ast::Expr, scope: &mut dyn ExprScope) -> Result<Expr> {
    Binder { scope }.bind(e)
}

/// How strict a coercion is: PostgreSQL's cast contexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoercionKind {
    /// Implicit casts only (operators, functions).
    Implicit,
    /// Assignment casts too (INSERT/UPDATE targets, SET).
    Assignment,
    /// Any cast (`CAST`, `::`).
    Explicit,
}

/// Converts a bound expression to `to` in the given context. Unknown literals are
/// parsed as `to`; unknown parameters are reported to the scope with `to` as hint.
/// Errors: 42804 `column is of type x but expression is of type y` style messages for
/// assignment, 42846 `cannot cast type x to y` for explicit casts.
pub fn coerce_expr(
    e: Expr,
    to: &DataType,
    kind: CoercionKind,
    scope: &mut dyn ExprScope,
) -> Result<Expr> {
    Binder { scope }.coerce(e, to, kind)
}

/// Gives an expression that is still `unknown` (a bare string literal or NULL) the type
/// `text`, as PostgreSQL does for select-list outputs.
pub fn resolve_unknown(e: Expr, scope: &mut dyn ExprScope) -> Result<Expr> {
    if e.data_type() == DataType::Unknown {
        coerce_expr(e, &DataType::Text, CoercionKind::Implicit, scope)
    } else {
        Ok(e)
    }
}

/// The binder state: the scope, borrowed for one expression tree.
pub(crate) struct Binder<'a> {
    pub(crate) scope: &'a mut dyn ExprScope,
}

impl Binder<'_> {
    /// Binds one AST node.
    pub(crate) fn bind(&mut self, e: &ast::Expr) -> Result<Expr> {
        self.bind_node(e).map_err(|err| place::at_literal(err, e))
    }

    fn bind_node(&mut self, e: &ast::Expr) -> Result<Expr> {
        use ast::Expr as A;
        match e {
            A::Identifier(id) => self.bind_identifier(id),
            A::CompoundIdentifier(ids) => self.bind_compound(ids),
            A::Value(v) => bind_literal(&v.value, self.scope),
            A::Nested(inner) => self.bind(inner),
            A::BinaryOp { left, op: ast::BinaryOperator::Overlaps, right } => {
                self.bind_overlaps(left, right)
            }
            A::BinaryOp { left, op, right } => {
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                self.bind_binary(op, l, r).map_err(|e| {
                    if e.sqlstate() == SqlState::UNDEFINED_FUNCTION
                        && e.message().starts_with("operator does not exist")
                    {
                        place::at_operator(e, left, op)
                    } else {
                        e
                    }
                })
            }
            A::UnaryOp { op, expr } => self.bind_unary(*op, expr),
            A::Cast { expr, data_type, format, .. } => {
                if format.is_some() {
                    return Err(Error::unsupported("CAST ... FORMAT"));
                }
                if let Some(reg) = reg_type(data_type) {
                    let inner = self.bind(expr)?;
                    return self.bind_reg_cast(reg, inner);
                }
                let (to, domain) = self.type_name(data_type)?;
                // `ARRAY[]::t[]`: the cast gives the empty array its type.
                if let (A::Array(arr), DataType::Array(elem)) = (expr.as_ref(), &to) {
                    if arr.elem.is_empty() {
                        let empty = Value::Array(std::sync::Arc::new(helios_types::Array::new(
                            (**elem).clone(),
                            Vec::new(),
                        )));
                        return self.with_domain(Expr::Literal(empty, to.clone()), domain);
                    }
                }
                let inner = match expr.as_ref() {
                    // `x::regclass::oid` is `x` again, whichever way `x::regclass` went.
                    A::Cast { expr: reg_inner, data_type: dt, .. }
                        if reg_type(dt).is_some() && matches!(to, DataType::Int8) =>
                    {
                        let e = self.bind(reg_inner)?;
                        match e.data_type() {
                            DataType::Int2 | DataType::Int4 | DataType::Int8 => e,
                            _ => {
                                let reg = reg_type(dt).expect("matched as a reg* type");
                                // Marked as a cast: the OID is wanted, not the name a
                                // bare `::regclass` output column prints.
                                let oid = self.bind_reg_cast(reg, e)?;
                                return Ok(Expr::Cast {
                                    expr: Box::new(oid),
                                    to: DataType::Int8,
                                    explicit: true,
                                });
                            }
                        }
                    }
                    _ => self.bind(expr)?,
                };
                // Any error converting a quoted constant points at it (a jsonpath syntax
                // error or an unsupported feature of its input too), as in PostgreSQL.
                let e = self.coerce(inner, &to, CoercionKind::Explicit).map_err(|e| match expr
                    .as_ref()
                {
                    A::Value(v) => place::at_string(e, v),
                    _ => e,
                })?;
                let e = match super::typmod::Typmod::of(data_type) {
                    Some(m) => m.wrap(e),
                    None => e,
                };
                self.with_domain(e, domain)
            }
            A::TypedString(ts) => {
                let inner = bind_literal(&ts.value.value, self.scope)?;
                if let Some(reg) = reg_type(&ts.data_type) {
                    return self.bind_reg_cast(reg, inner);
                }
                let (to, domain) = self.type_name(&ts.data_type)?;
                let e = self
                    .coerce(inner, &to, CoercionKind::Explicit)
                    .map_err(|e| place::at_string(e, &ts.value))?;
                let e = match super::typmod::Typmod::of(&ts.data_type) {
                    Some(m) => m.wrap(e),
                    None => e,
                };
                self.with_domain(e, domain)
            }
            A::IsNull(x) => Ok(Expr::IsNull { expr: Box::new(self.bind(x)?), negated: false }),
            A::IsNotNull(x) => Ok(Expr::IsNull { expr: Box::new(self.bind(x)?), negated: true }),
            A::IsTrue(x) => self.bind_is_bool(x, Some(true), false),
            A::IsNotTrue(x) => self.bind_is_bool(x, Some(true), true),
            A::IsFalse(x) => self.bind_is_bool(x, Some(false), false),
            A::IsNotFalse(x) => self.bind_is_bool(x, Some(false), true),
            A::IsUnknown(x) => self.bind_is_bool(x, None, false),
            A::IsNotUnknown(x) => self.bind_is_bool(x, None, true),
            A::IsDistinctFrom(a, b) => self.bind_is_distinct(a, b, false),
            A::IsNotDistinctFrom(a, b) => self.bind_is_distinct(a, b, true),
            A::Tuple(items) => {
                let fields = items.iter().map(|x| self.bind(x)).collect::<Result<Vec<_>>>()?;
                Ok(Expr::Row(fields))
            }
            _ => self.bind_special(e),
        }
    }

    fn bind_identifier(&mut self, id: &ast::Ident) -> Result<Expr> {
        let name = ident_name(id);
        match self.scope.resolve_column(None, &name) {
            Ok((index, ty)) => Ok(Expr::Column(index, ty)),
            Err(err) if err.sqlstate() == SqlState::UNDEFINED_COLUMN => {
                // A FROM item's name alone is its whole row, as a composite value.
                if let Some(row) = self.whole_row(&name) {
                    return Ok(row);
                }
                if id.quote_style.is_some() {
                    return Err(place::at_ident(err, id));
                }
                // Keywords PostgreSQL treats as niladic functions when no column has the name.
                match self.bind_niladic(&name)? {
                    Some(e) => Ok(e),
                    None => Err(place::at_ident(err, id)),
                }
            }
            Err(err) => Err(place::at_ident(err, id)),
        }
    }

    /// The whole row of the FROM item `qualifier` as a composite value: of the table's
    /// row type when it names a table with those columns, else an anonymous record.
    /// On the nullable side of an outer join it is NULL where the join filled the item
    /// with NULLs, as in PostgreSQL (`count(t.*)` does not count such rows); a row of
    /// the item whose columns are all NULL cannot be told apart there and is NULL too.
    pub(crate) fn whole_row(&mut self, qualifier: &str) -> Option<Expr> {
        let row = self.whole_row_value(qualifier)?;
        if !self.scope.null_extended(qualifier) {
            return Some(row);
        }
        let (all_null, ty) = match &row {
            Expr::Cast { expr, to, .. } => {
                (Expr::IsNull { expr: expr.clone(), negated: false }, to.clone())
            }
            _ => return Some(row),
        };
        Some(Expr::Case {
            operand: None,
            whens: vec![(all_null, Expr::Literal(Value::Null, ty.clone()))],
            else_result: Some(Box::new(row)),
            ty,
        })
    }

    /// [`whole_row`](Self::whole_row) as a value, whatever the row's origin.
    fn whole_row_value(&mut self, qualifier: &str) -> Option<Expr> {
        let cols = self.scope.whole_row(qualifier)?;
        let fields: Vec<Expr> =
            cols.iter().map(|(i, _, ty)| Expr::Column(*i, ty.clone())).collect();
        let named = self.scope.catalog().and_then(|c| {
            let search_path = self.scope.search_path();
            match c.resolve(None, qualifier, search_path) {
                Some((_, crate::catalog::Relation::Table(id))) => c.table_row_type(id),
                _ => None,
            }
        });
        match named {
            Some(t)
                if t.fields.len() == cols.len()
                    && t.fields.iter().zip(&cols).all(|(f, (_, n, _))| &f.name == n) =>
            {
                Some(Expr::Cast {
                    expr: Box::new(Expr::Row(fields)),
                    to: DataType::Record(t),
                    explicit: true,
                })
            }
            _ => {
                let ty = helios_types::RecordType::anonymous_named(
                    cols.into_iter()
                        .map(|(_, name, ty)| helios_types::RecordField { name, ty })
                        .collect(),
                );
                Some(Expr::Cast {
                    expr: Box::new(Expr::Row(fields)),
                    to: DataType::Record(std::sync::Arc::new(ty)),
                    explicit: true,
                })
            }
        }
    }

    fn bind_compound(&mut self, ids: &[ast::Ident]) -> Result<Expr> {
        let Some((last, quals)) = ids.split_last() else {
            return Err(Error::internal("empty compound identifier"));
        };
        let qualifier = quals.iter().map(ident_name).collect::<Vec<_>>().join(".");
        let (index, ty) = self
            .scope
            .resolve_column(Some(&qualifier), &ident_name(last))
            .map_err(|e| place::at_ident(e, &ids[0]))?;
        Ok(Expr::Column(index, ty))
    }

    fn bind_unary(&mut self, op: ast::UnaryOperator, operand: &ast::Expr) -> Result<Expr> {
        use ast::UnaryOperator as U;
        // PostgreSQL negates numeric constants in the grammar, so `-2147483648` is an
        // int4 literal (not int4 overflow of 2147483648) and `-(-2147483648)` is int8.
        if op == U::Minus {
            if let Some(n) = numeric_literal_text(operand) {
                return bind_number(&negate_text(&n));
            }
        }
        let inner = self.bind(operand)?;
        let inner = match op {
            U::BitwiseNot => match self.inet_not(inner)? {
                Ok(e) => return Ok(e),
                Err(e) => e,
            },
            _ => inner,
        };
        let op = match op {
            U::Not => UnaryOp::Not,
            U::Minus => UnaryOp::Neg,
            U::Plus => return self.check_numeric_unary("+", inner),
            U::PGAbs => UnaryOp::Abs,
            U::BitwiseNot => UnaryOp::BitNot,
            U::PGSquareRoot => UnaryOp::Sqrt,
            U::PGCubeRoot => UnaryOp::Cbrt,
            U::PGPrefixFactorial => return self.call_function("tsquery_not", vec![inner]),
            other => return Err(Error::unsupported(format!("operator {other}"))),
        };
        self.unary(op, inner)
    }

    fn check_numeric_unary(&mut self, sym: &str, inner: Expr) -> Result<Expr> {
        let ty = inner.data_type();
        match ty {
            DataType::Unknown => self.coerce(inner, &DataType::Float8, CoercionKind::Implicit),
            t if crate::expr::types::numeric_rank(&t).is_some() => Ok(inner),
            DataType::Interval if sym == "-" => Ok(inner),
            t => Err(no_unary_operator(sym, &t)),
        }
    }

    /// Builds a unary operator node with PostgreSQL's operand and result types.
    pub(crate) fn unary(&mut self, op: UnaryOp, inner: Expr) -> Result<Expr> {
        match op {
            UnaryOp::Not => {
                let inner = self.coerce_bool(inner, "NOT")?;
                Ok(Expr::Unary { op, expr: Box::new(inner), ty: DataType::Bool })
            }
            UnaryOp::Neg | UnaryOp::Abs => {
                let sym = if op == UnaryOp::Neg { "-" } else { "@" };
                let inner = if inner.data_type() == DataType::Unknown {
                    // PostgreSQL resolves `-'1'` to numeric negation of the unknown.
                    self.coerce(inner, &DataType::Numeric(None), CoercionKind::Implicit)?
                } else {
                    self.check_numeric_unary(sym, inner)?
                };
                let ty = crate::expr::types::strip_modifiers(&inner.data_type());
                Ok(Expr::Unary { op, expr: Box::new(inner), ty })
            }
            UnaryOp::BitNot => {
                let ty = inner.data_type();
                if !matches!(ty, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                    return Err(no_unary_operator("~", &ty));
                }
                Ok(Expr::Unary { op, expr: Box::new(inner), ty })
            }
            UnaryOp::Sqrt | UnaryOp::Cbrt => {
                let sym = if op == UnaryOp::Sqrt { "|/" } else { "||/" };
                let ty = inner.data_type();
                let target = if can_implicit_cast(&ty, &DataType::Float8) {
                    DataType::Float8
                } else {
                    return Err(no_unary_operator(sym, &ty));
                };
                let inner = self.coerce(inner, &target, CoercionKind::Implicit)?;
                Ok(Expr::Unary { op, expr: Box::new(inner), ty: target })
            }
        }
    }

    fn bind_is_bool(&mut self, x: &ast::Expr, value: Option<bool>, negated: bool) -> Result<Expr> {
        let inner = self.bind(x)?;
        let what = match (value, negated) {
            (Some(true), false) => "IS TRUE",
            (Some(true), true) => "IS NOT TRUE",
            (Some(false), false) => "IS FALSE",
            (Some(false), true) => "IS NOT FALSE",
            (None, false) => "IS UNKNOWN",
            (None, true) => "IS NOT UNKNOWN",
        };
        let inner = self.coerce_bool(inner, what)?;
        Ok(Expr::IsBool { expr: Box::new(inner), value, negated })
    }

    fn bind_is_distinct(&mut self, a: &ast::Expr, b: &ast::Expr, negated: bool) -> Result<Expr> {
        let l = self.bind(a)?;
        let r = self.bind(b)?;
        // IS DISTINCT FROM uses the `=` operator of the pair's types.
        let (l, r) = self.comparison_operands(BinaryOp::Eq, l, r)?;
        Ok(Expr::IsDistinct { left: Box::new(l), right: Box::new(r), negated })
    }

    /// Coerces a condition to boolean: `argument of AND must be type boolean, not type
    /// integer` (42804) when it is not one.
    pub(crate) fn coerce_bool(&mut self, e: Expr, construct: &str) -> Result<Expr> {
        let ty = e.data_type();
        match ty {
            DataType::Bool => Ok(e),
            DataType::Unknown => self.coerce(e, &DataType::Bool, CoercionKind::Implicit),
            other => Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("argument of {construct} must be type boolean, not type {other}"),
            )),
        }
    }

    /// A cast to a `reg*` type: text goes through `helios_reg*_in` (the OID of the named
    /// object), a number through `helios_reg*_out` (the object's name, as text); other
    /// types cast to `int8` like `oid`.
    pub(crate) fn bind_reg_cast(&mut self, reg: RegType, inner: Expr) -> Result<Expr> {
        let from = inner.data_type();
        let (dir, arg_type) = match from {
            DataType::Int2 | DataType::Int4 | DataType::Int8 => ("out", DataType::Int8),
            DataType::Unknown | DataType::Text | DataType::Varchar(_) | DataType::Char(_) => {
                ("in", DataType::Text)
            }
            _ => return self.coerce(inner, &DataType::Int8, CoercionKind::Explicit),
        };
        let name = format!("helios_{}_{dir}", reg.name());
        let call =
            crate::functions::registry::resolve_scalar(&name, std::slice::from_ref(&arg_type))?;
        let arg = self.coerce(inner, &arg_type, CoercionKind::Explicit)?;
        Ok(Expr::Function { func: call.func, args: vec![arg], ty: call.ret })
    }

    /// Resolves a type name, user-defined types (enums, domains) included: the type
    /// values have, and the domain when the name is one.
    pub(crate) fn type_name(
        &mut self,
        ty: &ast::DataType,
    ) -> Result<(DataType, Option<std::sync::Arc<crate::catalog::TypeDef>>)> {
        let scope = self.scope.catalog().map(|catalog| crate::catalog::typename::TypeScope {
            catalog,
            search_path: self.scope.search_path(),
        });
        let resolved = crate::catalog::typename::resolve_user_column_type(ty, scope)?;
        if resolved.column.serial {
            // `serial` is only a column declaration; as a cast target it is no type.
            return data_type_from_ast(ty).map(|t| (t, None));
        }
        Ok((resolved.column.data_type, resolved.domain))
    }

    /// `e` checked against `domain`'s constraints, when there is a domain.
    pub(crate) fn with_domain(
        &mut self,
        e: Expr,
        domain: Option<std::sync::Arc<crate::catalog::TypeDef>>,
    ) -> Result<Expr> {
        match domain {
            None => Ok(e),
            Some(def) => {
                let catalog = self
                    .scope
                    .catalog()
                    .ok_or_else(|| Error::internal("a domain named without a catalog"))?;
                let bound = crate::expr::domain::bind_domain(&def, catalog, self.scope.session())?;
                Ok(crate::expr::domain::domain_check(e, bound))
            }
        }
    }

    /// A row constructor converted to `to`: field by field to a composite type (PostgreSQL's
    /// `coerce_record_to_complex`), or through its text to a string type by an explicit
    /// cast.
    fn coerce_row(&mut self, fields: Vec<Expr>, to: &DataType, kind: CoercionKind) -> Result<Expr> {
        let cannot =
            || Error::new(SqlState::CANNOT_COERCE, format!("cannot cast type record to {to}"));
        match to {
            DataType::Record(t) if t.is_anonymous() => Ok(Expr::Row(fields)),
            DataType::Record(t) => {
                if fields.len() != t.fields.len() {
                    let detail = if fields.len() < t.fields.len() {
                        "Input has too few columns."
                    } else {
                        "Input has too many columns."
                    };
                    return Err(cannot().with_detail(detail));
                }
                let mut out = Vec::with_capacity(fields.len());
                for (i, (f, tf)) in fields.into_iter().zip(&t.fields).enumerate() {
                    let from = f.data_type();
                    let c = self.coerce(f, &tf.ty, kind).map_err(|_| {
                        cannot().with_detail(format!(
                            "Cannot cast type {from} to {} in column {}.",
                            tf.ty,
                            i + 1
                        ))
                    })?;
                    out.push(c);
                }
                Ok(Expr::Cast { expr: Box::new(Expr::Row(out)), to: to.clone(), explicit: true })
            }
            DataType::Text | DataType::Varchar(_) | DataType::Char(_)
                if kind != CoercionKind::Implicit =>
            {
                Ok(Expr::Cast { expr: Box::new(Expr::Row(fields)), to: to.clone(), explicit: true })
            }
            _ => Err(cannot()),
        }
    }

    /// Converts `e` to type `to` under `kind`'s rules.
    pub(crate) fn coerce(&mut self, e: Expr, to: &DataType, kind: CoercionKind) -> Result<Expr> {
        let from = e.data_type();
        if &from == to {
            return Ok(e);
        }
        match e {
            Expr::Literal(value, DataType::Unknown) => {
                // An untyped literal is input text for the target type, read with the
                // session's TimeZone and DateStyle.
                let zone = crate::expr::context::session_zone(self.scope.session());
                let v = crate::expr::cast::cast_value_tz(value, to, true, &zone)?;
                return Ok(Expr::Literal(v, to.clone()));
            }
            Expr::Param(i, DataType::Unknown) => {
                let ty = self.scope.param_type(i, Some(to))?;
                let p = Expr::Param(i, ty.clone());
                return if &ty == to { Ok(p) } else { self.coerce(p, to, kind) };
            }
            Expr::Row(fields) => return self.coerce_row(fields, to, kind),
            _ => {}
        }
        if from == DataType::Unknown {
            // An unknown-typed expression that is not a literal (a CASE of NULLs, the
            // operand of CASE NULL WHEN ...): its values are NULL or text, which the
            // cast converts like input text.
            return Ok(Expr::Cast { expr: Box::new(e), to: to.clone(), explicit: true });
        }
        let allowed = match kind {
            CoercionKind::Implicit => can_implicit_cast(&from, to),
            CoercionKind::Assignment => can_assignment_cast(&from, to),
            CoercionKind::Explicit => true,
        };
        if !allowed {
            return Err(match kind {
                CoercionKind::Assignment => Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!("column is of type {to} but expression is of type {from}"),
                )
                .with_hint("You will need to rewrite or cast the expression."),
                _ => {
                    Error::new(SqlState::CANNOT_COERCE, format!("cannot cast type {from} to {to}"))
                }
            });
        }
        if same_base(&from, to) && !has_typmod(to) {
            return Ok(e);
        }
        if matches!(from, DataType::Char(_)) && matches!(to, DataType::Text | DataType::Varchar(_))
        {
            let text = Expr::Function {
                func: crate::functions::string::bpchar_to_text_function(),
                args: vec![e],
                ty: DataType::Text,
            };
            return if *to == DataType::Text { Ok(text) } else { self.coerce(text, to, kind) };
        }
        // Casting a constant folds right away, so bad constants fail at bind time.
        if let Expr::Literal(value, _) = e {
            let zone = crate::expr::context::session_zone(self.scope.session());
            let v =
                crate::expr::cast::cast_value_tz(value, to, kind == CoercionKind::Explicit, &zone)?;
            return Ok(Expr::Literal(v, to.clone()));
        }
        Ok(Expr::Cast {
            expr: Box::new(e),
            to: to.clone(),
            explicit: kind == CoercionKind::Explicit,
        })
    }

    /// Coerces all expressions to their common type; `context` names the construct in
    /// the error message. Returns the expressions and the type.
    pub(crate) fn coerce_common(
        &mut self,
        exprs: Vec<Expr>,
        context: &str,
    ) -> Result<(Vec<Expr>, DataType)> {
        let types: Vec<DataType> = exprs.iter().map(Expr::data_type).collect();
        let ty = common_type(&types, context)?;
        let out = exprs
            .into_iter()
            .map(|e| self.coerce(e, &ty, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, ty))
    }
}

fn has_typmod(ty: &DataType) -> bool {
    matches!(ty, DataType::Numeric(Some(_)) | DataType::Varchar(Some(_)) | DataType::Char(Some(_)))
}

/// `42883 operator does not exist: - text`.
fn no_unary_operator(sym: &str, ty: &DataType) -> Error {
    Error::new(SqlState::UNDEFINED_FUNCTION, format!("operator does not exist: {sym} {ty}"))
        .with_hint(
            "No operator matches the given name and argument type. You might need to add an explicit type cast.",
        )
}

/// An identifier's name as PostgreSQL sees it: unquoted names fold to lower case.
pub fn ident_name(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The text of a numeric constant, looking through parentheses and nested minus signs.
fn numeric_literal_text(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        ast::Expr::Nested(inner) => numeric_literal_text(inner),
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => {
            numeric_literal_text(expr).map(|n| negate_text(&n))
        }
        _ => None,
    }
}

fn negate_text(n: &str) -> String {
    match n.strip_prefix('-') {
        Some(pos) => pos.to_string(),
        None => format!("-{n}"),
    }
}

/// Binds a literal with PostgreSQL's literal typing.
fn bind_literal(v: &ast::Value, scope: &mut dyn ExprScope) -> Result<Expr> {
    use ast::Value as V;
    Ok(match v {
        V::Number(n, _) => return bind_number(n),
        V::SingleQuotedString(s)
        | V::EscapedStringLiteral(s)
        | V::UnicodeStringLiteral(s)
        | V::NationalStringLiteral(s)
        | V::TripleSingleQuotedString(s)
        | V::TripleDoubleQuotedString(s) => {
            Expr::Literal(Value::Text(s.clone()), DataType::Unknown)
        }
        V::DollarQuotedString(d) => Expr::Literal(Value::Text(d.value.clone()), DataType::Unknown),
        V::HexStringLiteral(h) => bit_string_unsupported(h)?,
        V::SingleQuotedByteStringLiteral(s) | V::DoubleQuotedByteStringLiteral(s) => {
            bit_string_unsupported(s)?
        }
        V::Boolean(b) => Expr::Literal(Value::Bool(*b), DataType::Bool),
        V::Null => Expr::Literal(Value::Null, DataType::Unknown),
        V::Placeholder(p) => {
            let index = p
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{p}\""))
                })?;
            let ty = scope.param_type(index - 1, None)?;
            Expr::Param(index - 1, ty)
        }
        V::DoubleQuotedString(s) => {
            return Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{s}\" does not exist"),
            ))
        }
        other => return Err(Error::unsupported(format!("literal {other}"))),
    })
}

fn bit_string_unsupported(s: &str) -> Result<Expr> {
    Err(Error::unsupported(format!("bit string literal \"{s}\"")))
}

/// Types a numeric literal: integers as int4, int8 or numeric by magnitude; anything with
/// a decimal point or exponent as numeric.
pub(crate) fn bind_number(text: &str) -> Result<Expr> {
    let is_integer =
        text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
    if is_integer {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(match i32::try_from(i) {
                Ok(small) => Expr::Literal(Value::Int4(small), DataType::Int4),
                Err(_) => Expr::Literal(Value::Int8(i), DataType::Int8),
            });
        }
    }
    let v = cast_value(Value::Text(text.to_string()), &DataType::Numeric(None), true)?;
    Ok(Expr::Literal(v, DataType::Numeric(None)))
}

/// The binary operators of the AST, mapped to ours (before type resolution).
pub(crate) fn map_binary_operator(op: &ast::BinaryOperator) -> Result<BinaryOp> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Mod,
        B::PGExp => BinaryOp::Pow,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::StringConcat => BinaryOp::Concat,
        B::BitwiseAnd => BinaryOp::BitAnd,
        B::BitwiseOr => BinaryOp::BitOr,
        B::PGBitwiseXor => BinaryOp::BitXor,
        B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        B::PGRegexMatch => BinaryOp::RegexMatch,
        B::PGRegexIMatch => BinaryOp::RegexIMatch,
        B::PGRegexNotMatch => BinaryOp::RegexNotMatch,
        B::PGRegexNotIMatch => BinaryOp::RegexNotIMatch,
        B::PGStartsWith => BinaryOp::StartsWith,
        B::Arrow => BinaryOp::JsonGet,
        B::LongArrow => BinaryOp::JsonGetText,
        B::HashArrow => BinaryOp::JsonPath,
        B::HashLongArrow => BinaryOp::JsonPathText,
        B::AtArrow => BinaryOp::Contains,
        B::ArrowAt => BinaryOp::ContainedBy,
        B::Question => BinaryOp::JsonExists,
        B::QuestionPipe => BinaryOp::JsonExistsAny,
        B::QuestionAnd => BinaryOp::JsonExistsAll,
        B::HashMinus => BinaryOp::JsonDeletePath,
        B::PGOverlap => BinaryOp::Overlap,
        B::Spaceship => BinaryOp::CosineDistance,
        B::LtDashGt => BinaryOp::L2Distance,
        B::AndLt => BinaryOp::RangeOverLeft,
        B::AndGt => BinaryOp::RangeOverRight,
        B::PGCustomBinaryOperator(parts) => {
            // `OPERATOR(pg_catalog.~)` names a built-in operator by schema and symbol.
            let sym = match parts.as_slice() {
                [schema, sym] if schema.eq_ignore_ascii_case("pg_catalog") => sym.as_str(),
                _ => &parts.join("."),
            };
            operator_by_symbol(sym).ok_or_else(|| unknown_operator(sym))?
        }
        B::Custom(s) => match s.as_str() {
            "<->" => BinaryOp::L2Distance,
            "<=>" => BinaryOp::CosineDistance,
            "<#>" => BinaryOp::NegInnerProduct,
            "&<" => BinaryOp::RangeOverLeft,
            "&>" => BinaryOp::RangeOverRight,
            "-|-" => BinaryOp::RangeAdjacent,
            other => return Err(unknown_operator(other)),
        },
        other => return Err(unknown_operator(&other.to_string())),
    })
}

/// A built-in binary operator by its symbol, as written inside `OPERATOR(...)`.
fn operator_by_symbol(sym: &str) -> Option<BinaryOp> {
    Some(match sym {
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        "=" => BinaryOp::Eq,
        "<>" | "!=" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        "||" => BinaryOp::Concat,
        "~" => BinaryOp::RegexMatch,
        "~*" => BinaryOp::RegexIMatch,
        "!~" => BinaryOp::RegexNotMatch,
        "!~*" => BinaryOp::RegexNotIMatch,
        "^@" => BinaryOp::StartsWith,
        "<<" => BinaryOp::ShiftLeft,
        ">>" => BinaryOp::ShiftRight,
        "&&" => BinaryOp::Overlap,
        "&" => BinaryOp::BitAnd,
        "|" => BinaryOp::BitOr,
        "<->" => BinaryOp::L2Distance,
        "<=>" => BinaryOp::CosineDistance,
        "<#>" => BinaryOp::NegInnerProduct,
        _ => return None,
    })
}

fn unknown_operator(sym: &str) -> Error {
    Error::new(SqlState::UNDEFINED_FUNCTION, format!("operator does not exist: {sym}"))
}
