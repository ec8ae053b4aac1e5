//! Binding of time-travel table references and of our system views.
//!
//! `t AS OF TIMESTAMP e` / `AS OF TRANSACTION n` / `FOR SYSTEM_TIME AS OF e`: the
//! timestamp is evaluated once, at bind time (scalar subqueries allowed), and `t` is
//! resolved in the catalog *as of that time*, so the scan decodes rows with the schema
//! they were written with. Each table reference has its own time.
//!
//! `t VERSIONS BETWEEN TIMESTAMP a AND TIMESTAMP b`: every retained version of `t`'s
//! rows committed in `[a, b]`, with three extra columns `helios_commit_ts`,
//! `helios_txid` and `helios_operation` (insert / update / delete; a delete shows the
//! row as it was before). Rows are decoded with the current schema.

use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::DataType;
use sqlparser::ast;

use super::from::{requalify, undefined_table};
use super::query::rename_columns;
use super::Binder;
use crate::catalog::{Relation, TimeTravel};
use crate::parser::helios::{AsOf, TableVersionSpec};
use crate::parser::{ident_name, object_name};
use crate::planner::{Access, Field, Plan};

/// Our system views, bound as the table functions of the same name.
const SYSTEM_VIEWS: &[&str] = &["helios_branches", "helios_commits"];

impl Binder<'_> {
    /// Binds `name` with a version clause.
    pub(super) fn bind_versioned_table(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        version: &ast::TableVersion,
    ) -> Result<Plan> {
        let spec = TableVersionSpec::from_ast(version)
            .ok_or_else(|| Error::unsupported(format!("table version clause {version}")))?;
        let ctx = self
            .session
            .helios
            .clone()
            .ok_or_else(|| Error::unsupported("time travel outside a database session"))?;
        let qn = object_name(name)?;
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| qn.name.clone());
        let (catalog, travel) = match &spec {
            TableVersionSpec::AsOf(a) => {
                let ts = ctx.timestamp_of(a, self.session)?;
                (Some(ctx.catalog_at(ts)?), TimeTravel::AsOf(ts))
            }
            TableVersionSpec::Versions(bounds) => {
                let (lo, hi) = bounds.as_ref();
                let from = ctx.timestamp_of(&AsOf::Timestamp(lo.clone()), self.session)?;
                let to = ctx.timestamp_of(&AsOf::Timestamp(hi.clone()), self.session)?;
                (None, TimeTravel::Versions(from, to))
            }
        };
        let catalog = catalog.as_deref().unwrap_or(self.catalog);
        let (_, rel) = catalog
            .resolve(qn.schema.as_deref(), &qn.name, self.search_path())
            .ok_or_else(|| undefined_table(&qn.schema, &qn.name))?;
        let Relation::Table(id) = rel else {
            return Err(Error::unsupported("AS OF and VERSIONS BETWEEN on anything but a table"));
        };
        if catalog.is_partitioned(id) {
            // The partitions the table had at that time, each read at that time.
            let tree = super::partition::tree(catalog, self.session, id)?;
            let mut inputs = Vec::new();
            let mut schema = Vec::new();
            for leaf in tree.leaves() {
                let plan = versioned_scan(&leaf, &travel);
                schema = plan.schema();
                inputs.push(plan);
            }
            let plan = match inputs.len() {
                0 => {
                    let def = catalog.table(id).ok_or_else(|| Error::internal("table vanished"))?;
                    versioned_scan(def, &travel)
                }
                _ => Plan::Append { inputs, schema },
            };
            let plan = match alias {
                Some(a) => rename_columns(plan, &a.columns, &qualifier)?,
                None => plan,
            };
            return Ok(requalify(plan, Some(qualifier)));
        }
        let def = catalog.table(id).ok_or_else(|| Error::internal("table vanished"))?;
        let plan = versioned_scan(def, &travel);
        let plan = match alias {
            Some(a) => rename_columns(plan, &a.columns, &qualifier)?,
            None => plan,
        };
        Ok(requalify(plan, Some(qualifier)))
    }

    /// `helios_branches` / `helios_commits` when no table of that name exists.
    pub(super) fn bind_system_view(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<Plan>> {
        let qn = object_name(name)?;
        if qn.schema.is_some() || !SYSTEM_VIEWS.contains(&qn.name.as_str()) {
            return Ok(None);
        }
        let fname = ast::ObjectName::from(vec![ast::Ident::new(qn.name.clone())]);
        let (plan, _) = self.bind_function_item(&fname, &[], alias, None)?;
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or(qn.name);
        Ok(Some(requalify(plan, Some(qualifier))))
    }
}

/// A scan of `def` with the time-travel clause `travel`.
fn versioned_scan(def: &crate::catalog::TableDef, travel: &TimeTravel) -> Plan {
    let mut table = def.clone();
    let mut schema: Vec<Field> =
        table.columns.iter().map(|c| Field::new(c.name.clone(), c.data_type.clone())).collect();
    if let TimeTravel::Versions(..) = travel {
        // The version scan reads everything itself: no index may narrow it.
        table.indexes.clear();
        schema.push(Field::new("helios_commit_ts", DataType::TimestampTz));
        schema.push(Field::new("helios_txid", DataType::Int8));
        schema.push(Field::new("helios_operation", DataType::Text));
    }
    table.time_travel = Some(*travel);
    Plan::Scan {
        table: Arc::new(table),
        access: Access::Full,
        filter: None,
        with_key: false,
        needed: None,
        schema,
    }
}
