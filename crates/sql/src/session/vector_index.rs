//! `CREATE INDEX ... USING hnsw`: the DDL of HNSW vector indexes. The index options are
//! parsed by [`crate::catalog::vector_index`], the graph is built and persisted by
//! [`crate::exec::vector_index`].

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::ddl::already_exists;
use super::ddl_table::{taken_names, unique_name};
use super::{Session, StatementResult};
use crate::catalog::vector_index::VectorIndexDef;
use crate::catalog::{CatalogStore, IndexDef, Relation};
use crate::parser::{ident_name, object_name};

impl Session {
    /// `CREATE INDEX [name] ON t USING hnsw (col opclass) [WITH (...)]`.
    pub(super) fn create_vector_index(&mut self, ci: &ast::CreateIndex) -> Result<StatementResult> {
        if ci.predicate.is_some() {
            return Err(Error::unsupported("partial hnsw indexes"));
        }
        if ci.unique {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "access method \"hnsw\" does not support unique indexes",
            ));
        }
        if ci.columns.len() != 1 {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "access method \"hnsw\" does not support multicolumn indexes",
            ));
        }
        let search_path = self.settings.search_path();
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("DDL without a transaction"))?;
        if txn.is_read_only() {
            return Err(Error::new(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute this statement in a read-only transaction",
            ));
        }
        let catalog = self.engine.catalogs.get(txn)?;
        let tq = object_name(&ci.table_name)?;
        let table = match catalog.resolve(tq.schema.as_deref(), &tq.name, &search_path) {
            Some((_, Relation::Table(id))) => {
                catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))?
            }
            Some(_) => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a table", tq.name),
                ))
            }
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", tq.name),
                ))
            }
        };
        let col = &ci.columns[0];
        let n = match &col.column.expr {
            ast::Expr::Identifier(id) => ident_name(id),
            other => {
                return Err(Error::unsupported(format!("hnsw index on expression \"{other}\"")))
            }
        };
        let pos = table.column_index(&n).ok_or_else(|| {
            Error::new(SqlState::UNDEFINED_COLUMN, format!("column \"{n}\" does not exist"))
        })?;
        let dim = match &table.columns[pos].data_type {
            DataType::Vector(d) => *d,
            other => {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!(
                        "data type {other} has no default operator class for access method \"hnsw\""
                    ),
                ))
            }
        };
        let instance = fastrand::u64(1..);
        let def = VectorIndexDef::parse(col.operator_class.as_ref(), dim, &ci.with, instance)?;
        let name = match &ci.name {
            Some(n) => object_name(n)?.name,
            None => {
                let base = format!("{}_{}_idx", table.name, n);
                let mut taken = taken_names(&table);
                taken.extend(
                    catalog.tables.values().flat_map(|t| t.indexes.iter().map(|i| i.name.clone())),
                );
                unique_name(&base, &taken)
            }
        };
        if catalog.relation(&table.schema, &name).is_some() {
            if ci.if_not_exists {
                return Ok(StatementResult::command("CREATE INDEX"));
            }
            return Err(already_exists(&name));
        }
        let mut t = table.as_ref().clone();
        let index = IndexDef {
            comment: None,
            id: t.next_index_id,
            name,
            columns: vec![pos],
            unique: false,
            primary: false,
            constraint: false,
            vector: Some(def),
            expressions: Vec::new(),
            predicate: None,
            hash: false,
            bound_cache: Default::default(),
        };
        t.next_index_id += 1;
        crate::exec::vector_index::create(&self.engine.vectors, txn, &t, &index)?;
        t.indexes.push(index);
        CatalogStore::put_table(txn, &t)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE INDEX"))
    }
}
