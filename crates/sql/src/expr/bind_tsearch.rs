//! Binding of the full-text search operators: each becomes a call of the function
//! PostgreSQL's `pg_operator` names for it (`@@` → `ts_match_vq`, `tsvector ||
//! tsvector` → `tsvector_concat`, `tsquery < tsquery` → `tsquery_lt`, ...), resolved
//! like any function call (see `functions/tsearch`).

use helios_common::Result;
use helios_types::DataType;

use crate::expr::bind::Binder;
use crate::expr::node::{BinaryOp, Expr};

fn is_ts(t: &DataType) -> bool {
    matches!(t, DataType::TsVector | DataType::TsQuery)
}

impl Binder<'_> {
    /// `l @@ r` when neither side is `jsonb`/`jsonpath`: one of `ts_match_vq`,
    /// `ts_match_qv`, `ts_match_tq`, `ts_match_tt` by the operand types.
    pub(crate) fn ts_match(&mut self, l: Expr, r: Expr) -> Result<Expr> {
        use DataType::{TsQuery, TsVector};
        let name = match (l.data_type(), r.data_type()) {
            (TsVector, _) => "ts_match_vq",
            (TsQuery, _) => "ts_match_qv",
            (_, TsQuery) => "ts_match_tq",
            (DataType::Unknown, TsVector) => "ts_match_qv",
            _ => "ts_match_tt",
        };
        self.call_function(name, vec![l, r])
    }

    /// A binary operator with a `tsvector` or `tsquery` operand, if it is one of theirs.
    pub(crate) fn tsearch_binary(
        &mut self,
        op: BinaryOp,
        l: Expr,
        r: Expr,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        let (lt, rt) = (l.data_type(), r.data_type());
        if !is_ts(&lt) && !is_ts(&rt) {
            return Ok(Err((l, r)));
        }
        let query = lt == DataType::TsQuery || rt == DataType::TsQuery;
        let vector = lt == DataType::TsVector || rt == DataType::TsVector;
        let name = match op {
            BinaryOp::Concat if vector => "tsvector_concat",
            BinaryOp::Concat if query => "tsquery_or",
            BinaryOp::Overlap if query => "tsquery_and",
            BinaryOp::L2Distance if query => "tsquery_phrase",
            BinaryOp::Contains if query => "tsq_mcontains",
            BinaryOp::ContainedBy if query => "tsq_mcontained",
            BinaryOp::Lt if query => "tsquery_lt",
            BinaryOp::LtEq if query => "tsquery_le",
            BinaryOp::Eq if query => "tsquery_eq",
            BinaryOp::NotEq if query => "tsquery_ne",
            BinaryOp::GtEq if query => "tsquery_ge",
            BinaryOp::Gt if query => "tsquery_gt",
            BinaryOp::Lt => "tsvector_lt",
            BinaryOp::LtEq => "tsvector_le",
            BinaryOp::Eq => "tsvector_eq",
            BinaryOp::NotEq => "tsvector_ne",
            BinaryOp::GtEq => "tsvector_ge",
            BinaryOp::Gt => "tsvector_gt",
            _ => return Ok(Err((l, r))),
        };
        self.call_function(name, vec![l, r]).map(Ok)
    }
}
