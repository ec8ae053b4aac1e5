//! `CREATE TABLE name [(columns)] AS query [WITH [NO] DATA]` and `SELECT ... INTO name`:
//! a new table with the query's output columns (names, or the ones listed; types as the
//! query yields them, `text` for untyped literals), filled with the query's rows in the
//! same transaction. Like PostgreSQL, the new table has no constraints or defaults.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::ddl::already_exists;
use super::{Session, StatementResult};
use crate::binder::Binder;
use crate::parser::{self, ident_name, object_name, Statement};

impl Session {
    /// Runs `CREATE TABLE ... AS query`.
    pub(super) fn create_table_as(
        &mut self,
        ct: &ast::CreateTable,
        query: &ast::Query,
    ) -> Result<StatementResult> {
        let catalog = {
            let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
            self.engine.catalogs.get(txn)?
        };
        let qn = object_name(&ct.name)?;
        let schema = self.creation_schema(&catalog, &qn, ct.temporary)?;
        if catalog.relation(&schema, &qn.name).is_some() {
            if ct.if_not_exists {
                return Ok(StatementResult::command("CREATE TABLE AS"));
            }
            return Err(already_exists(&qn.name));
        }
        let info = self.info();
        let planned = Binder::new(&catalog, &info, Vec::new()).bind_top_query(query)?;
        let fields: Vec<_> = planned.plan.schema().into_iter().filter(|f| !f.hidden).collect();
        if ct.columns.len() > fields.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "CREATE TABLE AS specifies too many column names",
            ));
        }
        // The column list holds bare names (the parser gave them a placeholder type).
        let placeholder = |t: &ast::DataType| {
            matches!(t, ast::DataType::Custom(n, m) if m.is_empty()
                && n.to_string() == parser::ctas_columns::CTAS_COLUMN)
        };
        if let Some(c) =
            ct.columns.iter().find(|c| !placeholder(&c.data_type) || !c.options.is_empty())
        {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("syntax error at or near \"{}\"", c.data_type),
            ));
        }
        let mut columns = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let name = match ct.columns.get(i) {
                Some(c) => c.name.clone(),
                None => ast::Ident::with_quote('"', f.name.clone()),
            };
            let ty = match &f.data_type {
                DataType::Unknown => DataType::Text,
                t => t.clone(),
            };
            let data_type = parser::parse_data_type(&ty.to_string())?;
            columns.push(ast::ColumnDef { name, data_type, options: Vec::new() });
        }
        let mut table = ct.clone();
        table.query = None;
        table.with_data = None;
        table.columns = columns;
        table.if_not_exists = false;
        self.create_table(&table)?;
        if ct.with_data.is_some_and(|w| !w.data) {
            return Ok(StatementResult::command("CREATE TABLE AS"));
        }
        let mut insert = parser::parse_insert_stub()?;
        insert.table = ast::TableObject::TableName(ct.name.clone());
        insert.source = Some(Box::new(query.clone()));
        // The catalog now has the table; the statement cache of this transaction's
        // catalog must not hide it.
        self.catalog_memo = None;
        let stmt = Statement::Sql(Box::new(ast::Statement::Insert(insert)));
        let inserted = self.run_in_txn(&stmt, &[], None, None)?.rows_affected();
        Ok(StatementResult::Command {
            tag: format!("SELECT {inserted}").into(),
            rows_affected: inserted,
        })
    }

    /// Runs `SELECT ... INTO [TEMP] name FROM ...` as `CREATE TABLE name AS SELECT ...`.
    pub(super) fn select_into(&mut self, query: &ast::Query) -> Result<StatementResult> {
        let (target, stripped) = split_select_into(query)?;
        let mut ct = parser::parse_create_table_stub("t")?;
        ct.name = target.0;
        ct.temporary = target.1;
        self.create_table_as(&ct, &stripped)
    }
}

/// Whether `query` is a `SELECT ... INTO name` (PostgreSQL's CREATE TABLE AS spelling).
pub(super) fn is_select_into(query: &ast::Query) -> bool {
    matches!(query.body.as_ref(), ast::SetExpr::Select(s) if s.into.is_some())
}

/// The INTO target (name, temporary) and the query without its INTO clause.
fn split_select_into(query: &ast::Query) -> Result<((ast::ObjectName, bool), ast::Query)> {
    let mut stripped = query.clone();
    let ast::SetExpr::Select(select) = stripped.body.as_mut() else {
        return Err(Error::internal("SELECT INTO without a SELECT"));
    };
    let into = select.into.take().ok_or_else(|| Error::internal("SELECT without INTO"))?;
    let name = match into.targets.as_slice() {
        [ast::Expr::Identifier(id)] => ast::ObjectName::from(vec![id.clone()]),
        [ast::Expr::CompoundIdentifier(ids)] => ast::ObjectName::from(ids.clone()),
        _ => {
            return Err(Error::new(SqlState::SYNTAX_ERROR, "SELECT ... INTO needs one table name"))
        }
    };
    if name.0.len() > 2 {
        let shown: Vec<String> =
            name.0.iter().filter_map(|p| p.as_ident()).map(ident_name).collect();
        return Err(Error::new(
            SqlState::SYNTAX_ERROR,
            format!("improper qualified name (too many dotted names): {}", shown.join(".")),
        ));
    }
    Ok(((name, into.temporary), stripped))
}
