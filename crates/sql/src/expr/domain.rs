//! Domains in expressions: binding a domain's constraints so that casts to the domain
//! and writes into domain columns check them ([`Expr::DomainCheck`]).

use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::DataType;

use crate::catalog::TypeDef;
use crate::expr::node::{DomainConstraints, Expr};
use crate::expr::{bind_expr, coerce_expr, CoercionKind, SessionInfo, StaticScope};

/// Binds the NOT NULL and CHECK constraints of domain `def`; the conditions see the
/// value as the column `value`.
pub fn bind_domain(def: &TypeDef, session: &SessionInfo) -> Result<Arc<DomainConstraints>> {
    let d = def
        .domain()
        .ok_or_else(|| Error::internal(format!("type \"{}\" is not a domain", def.name)))?;
    let mut checks = Vec::with_capacity(d.checks.len());
    for c in &d.checks {
        let mut scope = StaticScope::with_columns(&[("value", d.base.clone())]);
        scope.session = session.clone();
        let e = bind_expr(&crate::parser::parse_expr(&c.expr)?, &mut scope)?;
        let e = coerce_expr(e, &DataType::Bool, CoercionKind::Implicit, &mut scope)?;
        checks.push((c.name.clone(), e));
    }
    Ok(Arc::new(DomainConstraints { name: def.name.clone(), not_null: d.not_null, checks }))
}

/// `expr` checked against the domain: the node a cast to the domain binds to.
pub fn domain_check(expr: Expr, domain: Arc<DomainConstraints>) -> Expr {
    Expr::DomainCheck { expr: Box::new(expr), domain }
}

/// A row condition that is always true but checks column `index` against the domain on
/// the way (raising the domain's error), for a table's list of CHECK conditions.
pub fn column_condition(index: usize, ty: DataType, domain: Arc<DomainConstraints>) -> Expr {
    let checked = domain_check(Expr::Column(index, ty), domain);
    // `(checked IS NULL) IS NOT UNKNOWN`: a boolean that is never NULL, so always true.
    Expr::IsBool {
        expr: Box::new(Expr::IsNull { expr: Box::new(checked), negated: false }),
        value: None,
        negated: true,
    }
}
