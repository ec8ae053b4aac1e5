//! Binding of the network address operators: each becomes a call of the function
//! PostgreSQL's `pg_operator` names for it (`<<` → `network_sub`, `inet + bigint` →
//! `inetpl`, `~ macaddr` → `macaddr_not`, ...), resolved like any function call (see
//! `functions/inet.rs`). Comparisons (`= < ...`) bind through the operator catalog.

use helios_common::Result;
use helios_types::DataType;
use sqlparser::ast;

use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::node::{BinaryOp, Expr};
use crate::expr::types::numeric_rank;

/// Whether the type is `inet` or `cidr`.
fn is_inet(t: &DataType) -> bool {
    matches!(t, DataType::Inet | DataType::Cidr)
}

impl Binder<'_> {
    /// `<<=` and `>>=` (also as `OPERATOR(pg_catalog.<<=)`), which the parser leaves as
    /// custom operators; `None` for any other.
    pub(crate) fn inet_custom_binary(
        &mut self,
        op: &ast::BinaryOperator,
        l: &Expr,
        r: &Expr,
    ) -> Option<&'static str> {
        let sym = match op {
            ast::BinaryOperator::Custom(sym) => sym.as_str(),
            ast::BinaryOperator::PGCustomBinaryOperator(parts) => match parts.as_slice() {
                [schema, sym] if schema.eq_ignore_ascii_case("pg_catalog") => sym.as_str(),
                [sym] => sym.as_str(),
                _ => return None,
            },
            _ => return None,
        };
        if !is_inet(&l.data_type()) && !is_inet(&r.data_type()) {
            return None;
        }
        match sym {
            "<<=" => Some("network_subeq"),
            ">>=" => Some("network_supeq"),
            _ => None,
        }
    }

    /// `cidr('...')`, `inet(text)`, `macaddr('...')`: as in PostgreSQL, a call named
    /// after a type with one untyped or string argument is a cast through text input
    /// (so `cidr('10.1.2.3/8')` rejects the host bits instead of clearing them).
    pub(crate) fn net_function_cast(
        &mut self,
        name: &str,
        args: Vec<Expr>,
    ) -> Result<std::result::Result<Expr, Vec<Expr>>> {
        let ty = match name {
            "inet" => DataType::Inet,
            "cidr" => DataType::Cidr,
            "macaddr" => DataType::MacAddr,
            _ => return Ok(Err(args)),
        };
        match <[Expr; 1]>::try_from(args) {
            Ok([a])
                if matches!(
                    a.data_type(),
                    DataType::Unknown | DataType::Text | DataType::Varchar(_) | DataType::Char(_)
                ) =>
            {
                self.coerce(a, &ty, CoercionKind::Explicit).map(Ok)
            }
            Ok([a]) => Ok(Err(vec![a])),
            Err(args) => Ok(Err(args)),
        }
    }

    /// `~ x` for an `inet`, `cidr` or `macaddr` operand; `Err` gives the operand back.
    pub(crate) fn inet_not(&mut self, e: Expr) -> Result<std::result::Result<Expr, Expr>> {
        match e.data_type() {
            t if is_inet(&t) => self.call_function("inetnot", vec![e]).map(Ok),
            DataType::MacAddr => self.call_function("macaddr_not", vec![e]).map(Ok),
            _ => Ok(Err(e)),
        }
    }

    /// A binary operator with an `inet`, `cidr` or `macaddr` operand, if it is one of
    /// theirs (other than the comparisons).
    pub(crate) fn inet_binary(
        &mut self,
        op: BinaryOp,
        l: Expr,
        r: Expr,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        let (lt, rt) = (l.data_type(), r.data_type());
        if lt == DataType::MacAddr || rt == DataType::MacAddr {
            let name = match op {
                BinaryOp::BitAnd => "macaddr_and",
                BinaryOp::BitOr => "macaddr_or",
                _ => return Ok(Err((l, r))),
            };
            return self.call_function(name, vec![l, r]).map(Ok);
        }
        if !is_inet(&lt) && !is_inet(&rt) {
            return Ok(Err((l, r)));
        }
        let number = |t: &DataType| numeric_rank(t).is_some();
        let (name, args) = match op {
            BinaryOp::ShiftLeft => ("network_sub", vec![l, r]),
            BinaryOp::ShiftRight => ("network_sup", vec![l, r]),
            BinaryOp::Overlap => ("network_overlap", vec![l, r]),
            BinaryOp::BitAnd => ("inetand", vec![l, r]),
            BinaryOp::BitOr => ("inetor", vec![l, r]),
            BinaryOp::Add if number(&lt) => ("int8pl_inet", vec![l, r]),
            BinaryOp::Add => ("inetpl", vec![l, r]),
            BinaryOp::Sub if number(&rt) => ("inetmi_int8", vec![l, r]),
            BinaryOp::Sub => ("inetmi", vec![l, r]),
            _ => return Ok(Err((l, r))),
        };
        self.call_function(name, args).map(Ok)
    }
}
