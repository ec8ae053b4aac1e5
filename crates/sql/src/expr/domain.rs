//! Domains in expressions: binding a domain's constraints so that casts to the domain
//! and writes into domain columns check them ([`Expr::DomainCheck`]).

use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::DataType;

use crate::catalog::{Catalog, TypeDef};
use crate::expr::node::{DomainConstraints, Expr};
use crate::expr::{bind_expr, coerce_expr, CoercionKind, SessionInfo, StaticScope};

/// Binds the NOT NULL and CHECK constraints of domain `def` and of the domains it is
/// declared over (theirs first, as PostgreSQL checks the base domain first); the
/// conditions see the value as the column `value`. Errors name `def` (the domain the
/// value is converted to) and the constraint, wherever in the chain it is declared.
pub fn bind_domain(
    def: &TypeDef,
    catalog: &Catalog,
    session: &SessionInfo,
) -> Result<Arc<DomainConstraints>> {
    let mut chain = vec![def];
    let mut parent = def.domain().and_then(|d| d.parent);
    while let Some(p) = parent {
        let Some(t) = catalog.types.get(&p).filter(|_| chain.len() <= catalog.types.len()) else {
            break;
        };
        chain.push(t.as_ref());
        parent = t.domain().and_then(|d| d.parent);
    }
    let mut out: Option<DomainConstraints> = None;
    for t in chain.into_iter().rev() {
        let d = t
            .domain()
            .ok_or_else(|| Error::internal(format!("type \"{}\" is not a domain", t.name)))?;
        let mut checks = Vec::with_capacity(d.checks.len());
        for c in &d.checks {
            let mut scope = StaticScope::with_columns(&[("value", d.base.clone())]);
            scope.session = session.clone();
            let e = bind_expr(&crate::parser::parse_expr(&c.expr)?, &mut scope)?;
            let e = coerce_expr(e, &DataType::Bool, CoercionKind::Implicit, &mut scope)?;
            checks.push((c.name.clone(), e));
        }
        let own = DomainConstraints {
            name: def.name.clone(),
            not_null: d.not_null,
            checks,
            parent: out.take().map(Box::new),
        };
        out = Some(own);
    }
    out.map(Arc::new).ok_or_else(|| Error::internal("empty domain chain"))
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
