//! The bound expression tree.
//!
//! A bound [`Expr`] is fully typed: every implicit cast PostgreSQL would insert is an
//! explicit [`Expr::Cast`] node, unknown-typed literals have been parsed into their
//! target type, and functions and operators are resolved to one implementation. The
//! evaluator therefore never guesses types at run time.

use std::fmt;

use helios_types::{DataType, Value};

use crate::functions::aggregate::AggregateFunc;
use crate::functions::registry::ScalarFunction;
use crate::functions::window::WindowFunc;

/// Identifies a subquery bound by the [`crate::expr::ExprScope`]; the executor knows what
/// it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubqueryId(pub u32);

/// A bound call of a user-defined function.
#[derive(Clone, Debug, PartialEq)]
pub struct UserCall {
    /// The function as the catalog held it when the call was bound.
    pub func: std::sync::Arc<crate::catalog::FunctionDef>,
    /// Arguments, coerced to the parameter types (defaults filled in).
    pub args: Vec<Expr>,
    /// The result type.
    pub ty: DataType,
}

/// A bound scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant with its SQL type (a `NULL` literal carries the type it was resolved
    /// to, `unknown` when nothing gave it one).
    Literal(Value, DataType),
    /// Column `index` of the input row.
    Column(usize, DataType),
    /// Statement parameter: `Param(0, ..)` is `$1`.
    Param(usize, DataType),
    /// A cast; `explicit` is true for `CAST`/`::`, false for implicit coercions.
    Cast {
        /// The value to convert.
        expr: Box<Expr>,
        /// The target type.
        to: DataType,
        /// Explicit (`CAST`, `::`) or implicit/assignment coercion.
        explicit: bool,
    },
    /// A value converted to a domain: `expr` (already of the base type) checked against
    /// the domain's constraints.
    DomainCheck {
        /// The value, of the domain's base type.
        expr: Box<Expr>,
        /// The domain's constraints, bound.
        domain: std::sync::Arc<DomainConstraints>,
    },
    /// A unary operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
        /// The result type.
        ty: DataType,
    },
    /// A binary operator whose operands already have the operator's input types.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// The result type.
        ty: DataType,
    },
    /// `expr IS [NOT] NULL` (for a row: all fields null / none null, as in PostgreSQL).
    IsNull {
        /// The tested value.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `expr IS [NOT] TRUE | FALSE | UNKNOWN`; `value` is `None` for UNKNOWN.
    IsBool {
        /// The tested boolean.
        expr: Box<Expr>,
        /// `Some(true)` for TRUE, `Some(false)` for FALSE, `None` for UNKNOWN.
        value: Option<bool>,
        /// `IS NOT ...`.
        negated: bool,
    },
    /// `left IS [NOT] DISTINCT FROM right`.
    IsDistinct {
        /// Left operand.
        left: Box<Expr>,
        /// Right operand (same type as the left after coercion).
        right: Box<Expr>,
        /// `IS NOT DISTINCT FROM`.
        negated: bool,
    },
    /// A resolved scalar function call.
    Function {
        /// The implementation.
        func: &'static ScalarFunction,
        /// Arguments, coerced to the parameter types.
        args: Vec<Expr>,
        /// The result type.
        ty: DataType,
    },
    /// A call of a user-defined function.
    UserCall(Box<UserCall>),
    /// `CASE [operand] WHEN .. THEN .. ELSE .. END`.
    Case {
        /// For the simple form: the value compared with each WHEN (already folded into
        /// each `when` as an equality, so this is only kept to evaluate it once).
        operand: Option<Box<Expr>>,
        /// (condition, result) pairs; with an operand, conditions compare
        /// `Expr::CaseOperand` with the WHEN value.
        whens: Vec<(Expr, Expr)>,
        /// The ELSE result (NULL when absent).
        else_result: Option<Box<Expr>>,
        /// The common result type.
        ty: DataType,
    },
    /// The value of the enclosing simple CASE's operand (only inside `Case::whens`).
    CaseOperand(DataType),
    /// `COALESCE(a, b, ...)`.
    Coalesce(Vec<Expr>, DataType),
    /// `NULLIF(a, b)`: `a` unless `a = b`.
    NullIf {
        /// The value returned.
        left: Box<Expr>,
        /// The comparison `a = b` as a bound boolean expression.
        eq: Box<Expr>,
        /// The type of `a`.
        ty: DataType,
    },
    /// `GREATEST(...)` (`greatest = true`) or `LEAST(...)`: NULLs are ignored.
    MinMax {
        /// The arguments, coerced to the common type.
        args: Vec<Expr>,
        /// GREATEST or LEAST.
        greatest: bool,
        /// The common type.
        ty: DataType,
    },
    /// `expr [NOT] IN (list)` with SQL NULL semantics.
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// The candidates, coerced to the common type.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `expr [NOT] LIKE / ILIKE pattern [ESCAPE e]`.
    Like {
        /// The tested string.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// The escape character (default backslash); an empty string disables escaping.
        escape: Option<Box<Expr>>,
        /// ILIKE.
        case_insensitive: bool,
        /// NOT LIKE.
        negated: bool,
    },
    /// `expr [NOT] SIMILAR TO pattern [ESCAPE e]`.
    SimilarTo {
        /// The tested string.
        expr: Box<Expr>,
        /// The SQL regular expression.
        pattern: Box<Expr>,
        /// The escape character.
        escape: Option<Box<Expr>>,
        /// NOT SIMILAR TO.
        negated: bool,
    },
    /// `ARRAY[...]`.
    Array {
        /// The elements, coerced to the element type.
        elements: Vec<Expr>,
        /// The array type.
        ty: DataType,
    },
    /// `array[i1][i2]...` (NULL when out of range or the count of subscripts is not the
    /// array's number of dimensions).
    Subscript {
        /// The array.
        expr: Box<Expr>,
        /// One int4 subscript per dimension.
        indexes: Vec<Expr>,
        /// The element type.
        ty: DataType,
    },
    /// `array[l1:u1][l2:u2]...`; a bound left out means the array's own bound.
    Slice {
        /// The array.
        expr: Box<Expr>,
        /// The int4 (lower, upper) bound pair of each leading dimension.
        bounds: Vec<(Option<Expr>, Option<Expr>)>,
        /// The array type.
        ty: DataType,
    },
    /// `ROW(a, b, ...)` or `(a, b, ...)`: an anonymous record (a cast names its type);
    /// inside comparisons, IN, IS NULL and subquery tests it compares field by field.
    Row(Vec<Expr>),
    /// `(composite).field`: field `index` of a composite value (NULL for a NULL value).
    Field {
        /// The composite value.
        expr: Box<Expr>,
        /// The field's position.
        index: usize,
        /// The field's name (for display).
        name: String,
        /// The field's type.
        ty: DataType,
    },
    /// Row-wise comparison `(a, b) op (c, d)` by PostgreSQL's rules.
    RowCompare {
        /// `=`, `<>`, `<`, `<=`, `>`, `>=`.
        op: BinaryOp,
        /// Left fields.
        left: Vec<Expr>,
        /// Right fields, each coerced to match its left field.
        right: Vec<Expr>,
    },
    /// `left op ANY|ALL (array)`.
    AnyAll {
        /// The scalar.
        left: Box<Expr>,
        /// The comparison operator (resolved for left vs element type).
        op: BinaryOp,
        /// The array expression.
        right: Box<Expr>,
        /// ALL (true) or ANY/SOME (false).
        all: bool,
    },
    /// A subquery, evaluated through [`crate::expr::EvalContext::subquery`].
    Subquery {
        /// The subquery's id.
        id: SubqueryId,
        /// What is done with its rows.
        kind: SubqueryTest,
        /// The result type.
        ty: DataType,
    },
    /// An aggregate call. The planner replaces it with a column of the aggregate's
    /// output; evaluating it directly is an error.
    Aggregate(Box<AggregateCall>),
    /// A window function call. The planner replaces it with a column of the window
    /// operator's output; evaluating it directly is an error.
    Window(Box<WindowCall>),
}

/// What the expression does with a subquery's rows (PostgreSQL's SubLink kinds).
#[derive(Clone, Debug, PartialEq)]
pub enum SubqueryTest {
    /// `[NOT] EXISTS (...)`: true when there is at least one row.
    Exists {
        /// NOT EXISTS.
        negated: bool,
    },
    /// `[NOT] EXISTS (...)` over a correlated subquery whose correlation is equalities
    /// only, rewritten by the optimizer: the (uncorrelated) subquery returns the values
    /// those equalities compare with `keys`, and the test is whether a row equals `keys`
    /// (a NULL matches nothing), so its rows can be hashed once.
    ExistsKeys {
        /// The enclosing side of each equality, one per subquery column.
        keys: Vec<Expr>,
        /// NOT EXISTS.
        negated: bool,
    },
    /// `(SELECT x ...)`: the one value of the one row, NULL for no row, error for more.
    Scalar,
    /// `ARRAY(SELECT x ...)`: the values as an array.
    Array,
    /// `UPDATE ... SET (a, b) = (SELECT x, y ...)`: column `n` of the one row, NULL
    /// for no row, an error for more (each target column reads its own column).
    Column(usize),
    /// `lhs op ANY|ALL (SELECT ...)`; `IN` is `= ANY`, `NOT IN` is `<> ALL`. With a row
    /// on the left, the subquery returns as many columns.
    Quantified {
        /// The left side: one expression per subquery column.
        lhs: Vec<Expr>,
        /// The comparison.
        op: BinaryOp,
        /// ALL (true) or ANY (false).
        all: bool,
    },
}

/// What the binder tells the scope a subquery is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubqueryKind {
    /// EXISTS: any number of columns; the executor may stop after the first row.
    Exists,
    /// Scalar subquery: exactly one column, at most one row.
    Scalar,
    /// `ARRAY(subquery)`: exactly one column.
    Array,
    /// IN / ANY / ALL: as many columns as the left side has fields.
    Quantified,
}

/// A bound aggregate call (`count(*)`, `sum(DISTINCT x) FILTER (WHERE ..)`, ...).
///
/// DISTINCT, FILTER and ORDER BY are the executor's job: it filters rows with `filter`,
/// removes duplicate argument tuples when `distinct`, sorts by `order_by` and feeds the
/// remaining argument values to an accumulator from [`AggregateFunc::create`].
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    /// The aggregate.
    pub func: AggregateFunc,
    /// Arguments (empty for `count(*)`), coerced to the aggregate's input types.
    pub args: Vec<Expr>,
    /// `agg(DISTINCT ...)`.
    pub distinct: bool,
    /// `FILTER (WHERE ...)`.
    pub filter: Option<Expr>,
    /// `agg(x ORDER BY ...)`.
    pub order_by: Vec<SortExpr>,
    /// The result type.
    pub ty: DataType,
    /// For [`AggregateFunc::User`]: the aggregate's support functions, bound.
    pub user: Option<std::sync::Arc<UserAggregate>>,
}

/// A user-defined aggregate (`CREATE AGGREGATE`) bound for one call: its transition
/// and final functions as expressions over a small row, its first state.
///
/// The executor folds the buffered argument rows: `state = transition([state,
/// args...])`, then `final_([state])` (or the state itself).
#[derive(Clone, Debug, PartialEq)]
pub struct UserAggregate {
    /// The aggregate's name (for display).
    pub name: String,
    /// The transition function called over `[state, arg1, ...]`.
    pub transition: Expr,
    /// The transition function is strict: rows with a NULL argument are skipped, and a
    /// NULL first state takes the first row's argument.
    pub strict: bool,
    /// The final function called over `[state]` (NULL arguments for
    /// `FINALFUNC_EXTRA` are part of the expression).
    pub final_: Option<Expr>,
    /// The first state (`INITCOND`, NULL when absent).
    pub init: Value,
}

/// A bound window function call (`rank() OVER (...)`, `sum(x) OVER w`).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCall {
    /// The function: a window-only function or an aggregate used as a window.
    pub func: WindowFunc,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `FILTER (WHERE ...)` (aggregates only).
    pub filter: Option<Expr>,
    /// `PARTITION BY`.
    pub partition_by: Vec<Expr>,
    /// `ORDER BY`.
    pub order_by: Vec<SortExpr>,
    /// The frame clause (the executor interprets it).
    pub frame: Option<crate::expr::window_frame::WindowFrame>,
    /// For an aggregate made by `CREATE AGGREGATE` used as a window function.
    pub user: Option<std::sync::Arc<UserAggregate>>,
    /// `OVER w`: a named window from the query's WINDOW clause, for the planner to
    /// resolve (partition/order/frame above are then empty).
    pub window_name: Option<String>,
    /// The result type.
    pub ty: DataType,
}

/// One `ORDER BY` item inside an aggregate or window.
#[derive(Clone, Debug, PartialEq)]
pub struct SortExpr {
    /// The sort key.
    pub expr: Expr,
    /// Ascending (default) or descending.
    pub asc: bool,
    /// NULLS FIRST; PostgreSQL's default is NULLS LAST for ASC and FIRST for DESC.
    pub nulls_first: bool,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT b`.
    Not,
    /// `-x`.
    Neg,
    /// `@ x` (absolute value).
    Abs,
    /// `~ x` (bitwise not).
    BitNot,
    /// `|/ x`.
    Sqrt,
    /// `||/ x`.
    Cbrt,
}

/// Binary operators after resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `||` on strings.
    Concat,
    /// `||` on arrays (array || array, element || array, array || element).
    ArrayConcat,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `#`
    BitXor,
    /// `<<`
    ShiftLeft,
    /// `>>`
    ShiftRight,
    /// `~` regular expression match.
    RegexMatch,
    /// `~*`
    RegexIMatch,
    /// `!~`
    RegexNotMatch,
    /// `!~*`
    RegexNotIMatch,
    /// `^@` starts with.
    StartsWith,
    /// jsonb/json `->`
    JsonGet,
    /// jsonb/json `->>`
    JsonGetText,
    /// `#>`
    JsonPath,
    /// `#>>`
    JsonPathText,
    /// `@>` (jsonb and arrays)
    Contains,
    /// `<@`
    ContainedBy,
    /// jsonb `?`
    JsonExists,
    /// jsonb `?|`
    JsonExistsAny,
    /// jsonb `?&`
    JsonExistsAll,
    /// jsonb `||`
    JsonConcat,
    /// jsonb `-`
    JsonDelete,
    /// jsonb `#-`
    JsonDeletePath,
    /// `&&` array overlap.
    Overlap,
    /// `<->` vector L2 distance.
    L2Distance,
    /// `<=>` vector cosine distance.
    CosineDistance,
    /// `<#>` negative inner product.
    NegInnerProduct,
    /// `&<` (ranges): does not extend to the right of.
    RangeOverLeft,
    /// `&>` (ranges): does not extend to the left of.
    RangeOverRight,
    /// `-|-` (ranges): adjacent to.
    RangeAdjacent,
}

impl BinaryOp {
    /// Whether this is one of the six comparison operators.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }

    /// The operator as PostgreSQL spells it (for error messages).
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub | BinaryOp::JsonDelete => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Concat | BinaryOp::ArrayConcat | BinaryOp::JsonConcat => "||",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::RegexMatch => "~",
            BinaryOp::RegexIMatch => "~*",
            BinaryOp::RegexNotMatch => "!~",
            BinaryOp::RegexNotIMatch => "!~*",
            BinaryOp::StartsWith => "^@",
            BinaryOp::JsonGet => "->",
            BinaryOp::JsonGetText => "->>",
            BinaryOp::JsonPath => "#>",
            BinaryOp::JsonPathText => "#>>",
            BinaryOp::Contains => "@>",
            BinaryOp::ContainedBy => "<@",
            BinaryOp::JsonExists => "?",
            BinaryOp::JsonExistsAny => "?|",
            BinaryOp::JsonExistsAll => "?&",
            BinaryOp::JsonDeletePath => "#-",
            BinaryOp::Overlap => "&&",
            BinaryOp::L2Distance => "<->",
            BinaryOp::CosineDistance => "<=>",
            BinaryOp::NegInnerProduct => "<#>",
            BinaryOp::RangeOverLeft => "&<",
            BinaryOp::RangeOverRight => "&>",
            BinaryOp::RangeAdjacent => "-|-",
        }
    }

    /// The comparison with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn commuted(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => other,
        }
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The constraints of a domain, bound for checking values (see [`Expr::DomainCheck`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DomainConstraints {
    /// The domain's name, for messages.
    pub name: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The CHECK constraints: name and condition, bound against a one-column row holding
    /// the value (`VALUE`).
    pub checks: Vec<(String, Expr)>,
    /// The constraints of the domain this one is declared over, checked first.
    pub parent: Option<Box<DomainConstraints>>,
}

impl DomainConstraints {
    /// Checks one value: 23502 for a NULL in a NOT NULL domain, 23514 for a failed
    /// CHECK (a NULL result passes, as in PostgreSQL).
    pub fn check(&self, value: &Value, ctx: &dyn super::EvalContext) -> helios_common::Result<()> {
        if let Some(p) = &self.parent {
            p.check(value, ctx)?;
        }
        if value.is_null() && self.not_null {
            return Err(helios_common::Error::new(
                helios_common::SqlState::NOT_NULL_VIOLATION,
                format!("domain {} does not allow null values", self.name),
            ));
        }
        let row = std::slice::from_ref(value);
        for (name, cond) in &self.checks {
            if matches!(cond.eval(row, ctx)?, Value::Bool(false)) {
                return Err(helios_common::Error::new(
                    helios_common::SqlState::CHECK_VIOLATION,
                    format!("value for domain {} violates check constraint \"{name}\"", self.name),
                ));
            }
        }
        Ok(())
    }
}

impl Expr {
    /// The SQL type of the expression's value.
    pub fn data_type(&self) -> DataType {
        match self {
            Expr::Literal(_, ty)
            | Expr::Column(_, ty)
            | Expr::Param(_, ty)
            | Expr::Unary { ty, .. }
            | Expr::Binary { ty, .. }
            | Expr::Function { ty, .. }
            | Expr::Case { ty, .. }
            | Expr::CaseOperand(ty)
            | Expr::Coalesce(_, ty)
            | Expr::NullIf { ty, .. }
            | Expr::MinMax { ty, .. }
            | Expr::Array { ty, .. }
            | Expr::Subscript { ty, .. }
            | Expr::Field { ty, .. }
            | Expr::Slice { ty, .. }
            | Expr::Subquery { ty, .. } => ty.clone(),
            Expr::Cast { to, .. } => to.clone(),
            Expr::DomainCheck { expr, .. } => expr.data_type(),
            Expr::Aggregate(call) => call.ty.clone(),
            Expr::Window(call) => call.ty.clone(),
            Expr::UserCall(call) => call.ty.clone(),
            Expr::IsNull { .. }
            | Expr::IsBool { .. }
            | Expr::IsDistinct { .. }
            | Expr::InList { .. }
            | Expr::Like { .. }
            | Expr::SimilarTo { .. }
            | Expr::RowCompare { .. }
            | Expr::AnyAll { .. } => DataType::Bool,
            Expr::Row(fields) => DataType::Record(std::sync::Arc::new(
                helios_types::RecordType::anonymous(fields.iter().map(Expr::data_type).collect()),
            )),
        }
    }

    /// A literal of the value's natural type.
    pub fn literal(value: Value) -> Expr {
        let ty = value.data_type();
        Expr::Literal(value, ty)
    }

    /// Whether the expression contains an aggregate call (not looking into subqueries).
    pub fn contains_aggregate(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Aggregate(_)));
        found
    }

    /// Whether the expression contains a window function call.
    pub fn contains_window(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Window(_)));
        found
    }

    /// Whether the expression is free of columns, parameters, subqueries, aggregates,
    /// windows and volatile functions, so it can be evaluated once at plan time.
    pub fn is_constant(&self) -> bool {
        let mut constant = true;
        self.walk(&mut |e| {
            constant &= match e {
                Expr::Column(..)
                | Expr::Param(..)
                | Expr::Subquery { .. }
                | Expr::Aggregate(_)
                | Expr::Window(_)
                | Expr::UserCall(_) => false,
                Expr::Function { func, .. } => !func.volatile,
                _ => true,
            }
        });
        constant
    }

    /// Calls `f` on this node and every node below it (pre-order), including the
    /// arguments of aggregate and window calls.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }

    /// The direct children of this node.
    pub fn children(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        match self {
            Expr::Literal(..) | Expr::Column(..) | Expr::Param(..) | Expr::CaseOperand(_) => {}
            Expr::Cast { expr, .. }
            | Expr::DomainCheck { expr, .. }
            | Expr::Unary { expr, .. }
            | Expr::Field { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::IsBool { expr, .. } => out.push(expr),
            Expr::Binary { left, right, .. }
            | Expr::IsDistinct { left, right, .. }
            | Expr::AnyAll { left, right, .. } => {
                out.push(left);
                out.push(right);
            }
            Expr::UserCall(call) => out.extend(call.args.iter()),
            Expr::Function { args, .. }
            | Expr::Coalesce(args, _)
            | Expr::MinMax { args, .. }
            | Expr::Array { elements: args, .. }
            | Expr::Row(args) => out.extend(args.iter()),
            Expr::Case { operand, whens, else_result, .. } => {
                out.extend(operand.as_deref());
                for (w, t) in whens {
                    out.push(w);
                    out.push(t);
                }
                out.extend(else_result.as_deref());
            }
            Expr::NullIf { left, eq, .. } => {
                out.push(left);
                out.push(eq);
            }
            Expr::InList { expr, list, .. } => {
                out.push(expr);
                out.extend(list.iter());
            }
            Expr::Like { expr, pattern, escape, .. }
            | Expr::SimilarTo { expr, pattern, escape, .. } => {
                out.push(expr);
                out.push(pattern);
                out.extend(escape.as_deref());
            }
            Expr::Subscript { expr, indexes, .. } => {
                out.push(expr);
                out.extend(indexes);
            }
            Expr::Slice { expr, bounds, .. } => {
                out.push(expr);
                for (l, u) in bounds {
                    out.extend(l);
                    out.extend(u);
                }
            }
            Expr::RowCompare { left, right, .. } => {
                out.extend(left.iter());
                out.extend(right.iter());
            }
            Expr::Subquery { kind, .. } => match kind {
                SubqueryTest::Quantified { lhs: keys, .. }
                | SubqueryTest::ExistsKeys { keys, .. } => {
                    out.extend(keys.iter());
                }
                _ => {}
            },
            Expr::Aggregate(call) => {
                out.extend(call.args.iter());
                out.extend(call.filter.iter());
                out.extend(call.order_by.iter().map(|s| &s.expr));
            }
            Expr::Window(call) => {
                out.extend(call.args.iter());
                out.extend(call.filter.iter());
                out.extend(call.partition_by.iter());
                out.extend(call.order_by.iter().map(|s| &s.expr));
                if let Some(f) = &call.frame {
                    out.extend(f.start.offset());
                    out.extend(f.end.offset());
                }
            }
        }
        out
    }
}
