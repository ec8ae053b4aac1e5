//! Materialized views (DESIGN §9): a table that holds the rows of its defining query,
//! and the query. `CREATE MATERIALIZED VIEW` is CREATE TABLE AS that records the query;
//! `REFRESH MATERIALIZED VIEW` empties the table and runs the query again inside the
//! refreshing transaction, so other sessions see the old rows until it commits. `WITH NO
//! DATA` leaves the view unreadable (55000) until a refresh. The rows cannot be written
//! by INSERT, UPDATE, DELETE or TRUNCATE (42809). Incremental maintenance from the change
//! feed is not built: a refresh recomputes everything.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::{CatalogStore, MatViewDef, Relation, TableDef};
use crate::exec::table_io;
use crate::parser::object_name;
use crate::parser::{self, ctas_columns::CTAS_COLUMN, matview_data::NO_DATA_OPTION, Statement};

impl Session {
    /// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(columns)] AS query [WITH [NO] DATA]`.
    pub(super) fn create_matview(&mut self, cv: &ast::CreateView) -> Result<StatementResult> {
        if cv.or_replace || cv.temporary {
            let what = if cv.or_replace { "OR REPLACE" } else { "TEMPORARY" };
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("syntax error at or near \"{what}\""),
            ));
        }
        let mut no_data = false;
        if let ast::CreateTableOptions::With(options) = &cv.options {
            for o in options {
                match o {
                    ast::SqlOption::KeyValue { key, .. } if key.to_string() == NO_DATA_OPTION => {
                        no_data = true;
                    }
                    _ => return Err(Error::unsupported("storage parameters")),
                }
            }
        } else if !matches!(cv.options, ast::CreateTableOptions::None) {
            return Err(Error::unsupported("storage parameters"));
        }
        let qn = object_name(&cv.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.creation_schema(&catalog, &qn, false)?;
        if catalog.relation(&schema, &qn.name).is_some() && cv.if_not_exists {
            return Ok(StatementResult::command("CREATE MATERIALIZED VIEW"));
        }
        let mut ct = parser::parse_create_table_stub("mv")?;
        ct.name = cv.name.clone();
        ct.columns = cv
            .columns
            .iter()
            .map(|c| ast::ColumnDef {
                name: c.name.clone(),
                data_type: ast::DataType::Custom(
                    ast::ObjectName::from(vec![ast::Ident::new(CTAS_COLUMN)]),
                    Vec::new(),
                ),
                options: Vec::new(),
            })
            .collect();
        ct.with_data = Some(ast::WithData { data: !no_data, statistics: None });
        let created = self.create_table_as(&ct, &cv.query)?;
        let table = self.table_named(&schema, &qn.name)?;
        let search_path = self.settings.search_path();
        let search_path = search_path.into_iter().filter(|s| !super::is_temp_schema(s)).collect();
        let def = MatViewDef { query: cv.query.to_string(), populated: !no_data, search_path };
        self.put_matview(&table, Some(def))?;
        Ok(match created {
            StatementResult::Command { rows_affected, .. } if !no_data => {
                StatementResult::Command {
                    tag: format!("SELECT {rows_affected}").into(),
                    rows_affected,
                }
            }
            _ => StatementResult::command("CREATE MATERIALIZED VIEW"),
        })
    }

    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`.
    pub(super) fn refresh_matview(
        &mut self,
        r: &ast::RefreshMaterializedView,
    ) -> Result<StatementResult> {
        let search_path = self.settings.search_path();
        let qn = object_name(&r.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let table = match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
            Some((_, Relation::Table(id))) => catalog.table(id).cloned(),
            Some(_) => None,
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", qn.name),
                ))
            }
        };
        let (table, def) = match table {
            Some(t) => match t.matview.clone() {
                Some(def) => (t, def),
                None => return Err(not_a_matview(&qn.name)),
            },
            None => return Err(not_a_matview(&qn.name)),
        };
        self.require_table_owner(&catalog, &table)?;
        let populate = r.with_data != Some(false);
        if r.concurrently {
            if !populate {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together",
                ));
            }
            if !def.populated {
                return Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "CONCURRENTLY cannot be used when the materialized view is not populated",
                ));
            }
            if !table.indexes.iter().any(|i| i.unique) {
                return Err(Error::new(
                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!(
                        "cannot refresh materialized view \"{}.{}\" concurrently",
                        table.schema, table.name
                    ),
                )
                .with_hint(
                    "Create a unique index with no WHERE clause on one or more columns of the \
                     materialized view.",
                ));
            }
        }
        // The rows are written by an INSERT, which refuses materialized views: the
        // table is a plain one for the length of this statement, inside this
        // transaction only.
        self.put_matview(&table, None)?;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        table_io::clear_table(txn, table.id)?;
        if populate {
            let query = parser::parse_query(&def.query)?;
            let mut insert = parser::parse_insert_stub()?;
            let target = vec![
                ast::Ident::with_quote('"', table.schema.clone()),
                ast::Ident::with_quote('"', table.name.clone()),
            ];
            insert.table = ast::TableObject::TableName(ast::ObjectName::from(target));
            insert.source = Some(Box::new(query));
            self.catalog_memo = None;
            let insert = Statement::Sql(Box::new(ast::Statement::Insert(insert)));
            self.with_search_path(&def.search_path, |s| s.run_in_txn(&insert, &[], None, None))?;
        }
        let table = self.table_named(&table.schema, &table.name)?;
        self.put_matview(&table, Some(MatViewDef { populated: populate, ..def }))?;
        Ok(StatementResult::command("REFRESH MATERIALIZED VIEW"))
    }

    /// Runs `f` with `search_path` (then the session's temporary schema) as the search
    /// path, and puts the session's back; an empty `search_path` keeps the session's.
    fn with_search_path<T>(
        &mut self,
        search_path: &[String],
        f: impl FnOnce(&mut Session) -> Result<T>,
    ) -> Result<T> {
        if search_path.is_empty() {
            return f(self);
        }
        let saved = self.settings.get("search_path");
        let mut path: Vec<String> =
            search_path.iter().map(|s| format!("\"{}\"", s.replace('"', "\"\""))).collect();
        path.push("pg_temp".into());
        self.settings.set("search_path", &path.join(", "))?;
        let result = f(self);
        self.settings.restore("search_path", saved);
        result
    }

    /// The current definition of table `schema.name` in this transaction.
    fn table_named(&mut self, schema: &str, name: &str) -> Result<Arc<TableDef>> {
        let (catalog, _) = self.ddl_parts()?;
        match catalog.relation(schema, name) {
            Some(Relation::Table(id)) => catalog.table(id).cloned(),
            _ => None,
        }
        .ok_or_else(|| Error::internal("materialized view table vanished"))
    }

    fn put_matview(&mut self, table: &TableDef, def: Option<MatViewDef>) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_table(txn, &TableDef { matview: def, ..table.clone() })?;
        self.catalog_memo = None;
        self.bump_version()
    }
}

/// REFRESH of something else (0A000, as PostgreSQL reports it).
fn not_a_matview(name: &str) -> Error {
    Error::new(SqlState::FEATURE_NOT_SUPPORTED, format!("\"{name}\" is not a materialized view"))
}

/// The hint PostgreSQL gives when DROP names the wrong kind of relation.
pub(super) fn drop_kind_hint(is_matview: bool) -> &'static str {
    if is_matview {
        "Use DROP MATERIALIZED VIEW to remove a materialized view."
    } else {
        "Use DROP TABLE to remove a table."
    }
}
