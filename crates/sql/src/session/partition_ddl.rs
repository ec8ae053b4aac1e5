//! DDL of declarative partitioning: `CREATE TABLE ... PARTITION BY`, `CREATE TABLE ...
//! PARTITION OF parent FOR VALUES ...`, `ALTER TABLE ... ATTACH / DETACH PARTITION`,
//! with PostgreSQL's checks (overlapping bounds 42P17, rows outside a bound 23514,
//! unique keys without the partition columns 0A000).
//!
//! A partition created with `PARTITION OF` gets the parent's columns (with their NOT
//! NULL and DEFAULT), CHECK constraints, primary key, unique constraints and indexes;
//! an index created on the parent later is created on every partition
//! (`cascade_index`).

use std::borrow::Cow;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::Value;
use sqlparser::ast;

use super::Session;
use crate::binder::partition::{self as part, BoundKey, TypedBound};
use crate::catalog::{
    BoundDatum, Catalog, CatalogStore, PartitionBound, PartitionDef, PartitionKey,
    PartitionStrategy, Relation, TableDef,
};
use crate::exec::table_io;
use crate::expr::SessionInfo;
use crate::parser::{ident_name, object_name};

fn invalid_definition(msg: impl Into<String>) -> Error {
    Error::new(SqlState::from_code("42P17"), msg.into())
}

/// Resolves a table by name (42P01 when missing, 42809 when not a table).
pub(super) fn table_by_name(
    catalog: &Catalog,
    search_path: &[String],
    name: &ast::ObjectName,
) -> Result<Arc<TableDef>> {
    let qn = object_name(name)?;
    match catalog.resolve(qn.schema.as_deref(), &qn.name, search_path) {
        Some((_, Relation::Table(id))) => {
            catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))
        }
        Some(_) => {
            Err(Error::new(SqlState::WRONG_OBJECT_TYPE, format!("\"{}\" is not a table", qn.name)))
        }
        None => Err(crate::binder::undefined_table(&qn.schema, &qn.name)),
    }
}

/// `CREATE TABLE p PARTITION OF parent ...` rewritten to a CREATE TABLE with the
/// parent's columns and constraints (the statement's own column options and
/// constraints added).
pub(super) fn expand_partition_of<'c>(
    catalog: &Catalog,
    search_path: &[String],
    ct: &'c ast::CreateTable,
) -> Result<Cow<'c, ast::CreateTable>> {
    let Some(parent_name) = &ct.partition_of else { return Ok(Cow::Borrowed(ct)) };
    let parent = table_by_name(catalog, search_path, parent_name)?;
    if !catalog.is_partitioned(parent.id) {
        return Err(invalid_definition(format!("\"{}\" is not partitioned", parent.name)));
    }
    if ct.for_values.is_none() {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error: FOR VALUES expected"));
    }
    let quote = crate::functions::format::quote_ident;
    let mut cols = Vec::new();
    for c in &parent.columns {
        let mut text = format!("{} {}", quote(&c.name), c.data_type);
        if c.not_null {
            text.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            text.push_str(&format!(" DEFAULT {d}"));
        } else if let (Some(seq), None) = (c.sequence, c.identity) {
            if let Some(s) = catalog.sequences.get(&seq) {
                let lit = format!("{}.{}", quote(&s.schema), quote(&s.name)).replace('\'', "''");
                text.push_str(&format!(" DEFAULT nextval('{lit}'::regclass)"));
            }
        }
        // The statement's own options for this column.
        for own in ct.columns.iter().filter(|o| ident_name(&o.name) == c.name) {
            for o in &own.options {
                text.push_str(&format!(" {o}"));
            }
        }
        cols.push(text);
    }
    for own in &ct.columns {
        let n = ident_name(&own.name);
        if parent.column_index(&n).is_none() {
            return Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{n}\" does not exist"),
            ));
        }
    }
    let col_list = |cs: &[usize]| {
        cs.iter().map(|i| quote(&parent.columns[*i].name)).collect::<Vec<_>>().join(", ")
    };
    for chk in &parent.checks {
        cols.push(format!("CONSTRAINT {} CHECK ({})", quote(&chk.name), chk.expr));
    }
    for idx in &parent.indexes {
        if idx.primary {
            cols.push(format!("PRIMARY KEY ({})", col_list(&idx.columns)));
        } else if idx.unique && idx.constraint {
            cols.push(format!("UNIQUE ({})", col_list(&idx.columns)));
        }
    }
    for fk in &parent.foreign_keys {
        if let Some(text) = foreign_key_text(catalog, &parent, fk) {
            cols.push(text);
        }
    }
    for c in &ct.constraints {
        cols.push(c.to_string());
    }
    let sql = format!("CREATE TABLE t ({})", cols.join(", "));
    let mut parsed = match crate::parser::parse(&sql)?.pop() {
        Some(crate::parser::Statement::Sql(s)) => match *s {
            ast::Statement::CreateTable(t) => t,
            _ => return Err(Error::internal("partition columns did not parse as CREATE TABLE")),
        },
        _ => return Err(Error::internal("partition columns did not parse as CREATE TABLE")),
    };
    let mut out = ct.clone();
    out.columns = std::mem::take(&mut parsed.columns);
    out.constraints = std::mem::take(&mut parsed.constraints);
    Ok(Cow::Owned(out))
}

/// A parent's foreign key as a constraint clause for one of its partitions.
fn foreign_key_text(
    catalog: &Catalog,
    parent: &TableDef,
    fk: &crate::catalog::ForeignKeyDef,
) -> Option<String> {
    use crate::catalog::FkAction;
    let quote = crate::functions::format::quote_ident;
    let target = if fk.ref_table == parent.id { parent } else { catalog.table(fk.ref_table)? };
    let names = |t: &TableDef, cs: &[usize]| {
        cs.iter().map(|c| quote(&t.columns[*c].name)).collect::<Vec<_>>().join(", ")
    };
    let action = |a: FkAction| match a {
        FkAction::NoAction => "NO ACTION",
        FkAction::Restrict => "RESTRICT",
        FkAction::Cascade => "CASCADE",
        FkAction::SetNull => "SET NULL",
        FkAction::SetDefault => "SET DEFAULT",
    };
    Some(format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}.{} ({}){} ON DELETE {}{} ON UPDATE {}{}",
        quote(&fk.name),
        names(parent, &fk.columns),
        quote(&target.schema),
        quote(&target.name),
        names(target, &fk.ref_columns),
        if fk.match_full { " MATCH FULL" } else { "" },
        action(fk.on_delete),
        match fk.delete_set_columns.is_empty() {
            true => String::new(),
            false => format!(" ({})", names(parent, &fk.delete_set_columns)),
        },
        action(fk.on_update),
        match (fk.deferrable, fk.initially_deferred) {
            (true, true) => " DEFERRABLE INITIALLY DEFERRED",
            (true, false) => " DEFERRABLE",
            _ => "",
        }
    ))
}

/// Reads `PARTITION BY RANGE (a, (b + 1))` (sqlparser hands it over as a call).
pub(super) fn partition_key(expr: &ast::Expr, table: &TableDef) -> Result<PartitionKey> {
    let ast::Expr::Function(f) = expr else {
        return Err(Error::new(
            SqlState::SYNTAX_ERROR,
            format!("syntax error at or near \"{expr}\""),
        ));
    };
    let strategy = match f.name.to_string().to_lowercase().as_str() {
        "range" => PartitionStrategy::Range,
        "list" => PartitionStrategy::List,
        "hash" => PartitionStrategy::Hash,
        other => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("unrecognized partitioning strategy \"{other}\""),
            ))
        }
    };
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error: partition key expected"));
    };
    let mut items = Vec::new();
    for a in &list.args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
            return Err(Error::unsupported(format!("partition key item \"{a}\"")));
        };
        match e {
            ast::Expr::Identifier(id) => {
                let n = ident_name(id);
                if ["xmin", "xmax", "cmin", "cmax", "ctid", "tableoid"].contains(&n.as_str())
                    && table.column_index(&n).is_none()
                {
                    return Err(invalid_definition(format!(
                        "cannot use system column \"{n}\" in partition key"
                    )));
                }
                let i = table.column_index(&n).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{n}\" named in partition key does not exist"),
                    )
                })?;
                if table.columns[i].generated.is_some() {
                    return Err(invalid_definition("cannot use generated column in partition key")
                        .with_detail(format!("Column \"{n}\" is a generated column.")));
                }
                items.push(crate::catalog::partition::column_item(&n));
            }
            other => {
                // Stored as PostgreSQL deparses it: `(a % 2)`, `abs(b)`.
                let mut e = other;
                while let ast::Expr::Nested(inner) = e {
                    e = inner;
                }
                match e {
                    ast::Expr::Function(_) => items.push(e.to_string()),
                    _ => items.push(format!("({e})")),
                }
            }
        }
    }
    if items.is_empty() {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error: partition key expected"));
    }
    if strategy == PartitionStrategy::List && items.len() > 1 {
        return Err(invalid_definition(
            "cannot use \"list\" partition strategy with more than one column",
        ));
    }
    Ok(PartitionKey { strategy, items })
}

/// PostgreSQL's rules for key expressions: no window functions, subqueries or
/// constants, only immutable user functions, and types B-tree can order.
fn check_key_exprs(key: &BoundKey) -> Result<()> {
    use crate::expr::Expr;
    for (e, ty) in key.exprs.iter().zip(&key.types) {
        if e.contains_window() {
            return Err(Error::new(
                SqlState::from_code("42P20"),
                "window functions are not allowed in partition key expressions",
            ));
        }
        let (mut subquery, mut reads, mut volatile) = (false, false, false);
        e.walk(&mut |n| match n {
            Expr::Subquery { .. } => subquery = true,
            Expr::Column(..) => reads = true,
            Expr::UserCall(c) => {
                volatile |= c.func.volatility != crate::catalog::routine_defs::Volatility::Immutable
            }
            _ => {}
        });
        if subquery {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot use subquery in partition key expression",
            ));
        }
        if !reads {
            return Err(invalid_definition("cannot use constant expression as partition key"));
        }
        if volatile {
            return Err(invalid_definition(
                "functions in partition key expression must be marked IMMUTABLE",
            ));
        }
        let method = if key.strategy == PartitionStrategy::Hash { "hash" } else { "btree" };
        if !ty.is_indexable() {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("data type {ty} has no default operator class for access method \"{method}\""),
            )
            .with_hint(format!(
                "You must specify a {method} operator class or define a default {method} operator class for the data type."
            )));
        }
    }
    Ok(())
}

/// A primary key or unique constraint of a partitioned table must hold every partition
/// column (0A000 as in PostgreSQL).
pub(super) fn check_unique_keys(table: &TableDef, key: &BoundKey) -> Result<()> {
    for idx in table.indexes.iter().filter(|i| i.unique) {
        let kind = if idx.primary { "PRIMARY KEY" } else { "UNIQUE" };
        if key.columns.iter().any(Option::is_none) {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("unsupported {kind} constraint with partition key definition"),
            )
            .with_detail(format!(
                "{kind} constraints cannot be used when partition keys include expressions."
            )));
        }
        for c in key.columns.iter().flatten() {
            // An expression key does not count, even one reading the column.
            if !idx.columns.iter().enumerate().any(|(k, x)| x == c && idx.expression(k).is_none()) {
                return Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "unique constraint on partitioned table must include all partitioning columns",
                )
                .with_detail(format!(
                    "{kind} constraint on table \"{}\" lacks column \"{}\" which is part of the partition key.",
                    table.name, table.columns[*c].name
                )));
            }
        }
    }
    Ok(())
}

/// Converts a `FOR VALUES` clause to a stored bound, checking it against the key.
pub(super) fn stored_bound(
    for_values: &ast::ForValues,
    key: &BoundKey,
    parent: &str,
) -> Result<PartitionBound> {
    let value_text = |e: &ast::Expr, ty: &helios_types::DataType| -> Result<Option<String>> {
        let (v, _) = crate::expr::eval_constant(&e.to_string()).map_err(|err| {
            if err.sqlstate() == SqlState::UNDEFINED_COLUMN {
                Error::new(
                    SqlState::from_code("42P10"),
                    "cannot use column reference in partition bound expression",
                )
            } else {
                err
            }
        })?;
        if v.is_null() {
            return Ok(None);
        }
        Ok(Some(v.cast(ty)?.to_pg_text()))
    };
    let strategy_error = |want: &str| {
        Error::new(
            SqlState::from_code("42P16"),
            format!("invalid bound specification for a {want} partition"),
        )
    };
    Ok(match for_values {
        ast::ForValues::Default => PartitionBound::Default,
        ast::ForValues::From { from, to } => {
            if key.strategy != PartitionStrategy::Range {
                return Err(strategy_error(strategy_name(key.strategy)));
            }
            let n = key.types.len();
            if from.len() != n || to.len() != n {
                let which = if from.len() != n { "FROM" } else { "TO" };
                return Err(Error::new(
                    SqlState::INVALID_TABLE_DEFINITION,
                    format!("{which} must specify exactly one value per partitioning column"),
                ));
            }
            let conv = |vals: &[ast::PartitionBoundValue]| -> Result<Vec<BoundDatum>> {
                vals.iter()
                    .zip(&key.types)
                    .map(|(v, ty)| match v {
                        ast::PartitionBoundValue::MinValue => Ok(BoundDatum::MinValue),
                        ast::PartitionBoundValue::MaxValue => Ok(BoundDatum::MaxValue),
                        ast::PartitionBoundValue::Expr(e) => match value_text(e, ty)? {
                            Some(t) => Ok(BoundDatum::Value(t)),
                            None => Err(invalid_definition("cannot specify NULL in range bound")),
                        },
                    })
                    .collect()
            };
            let (lo, hi) = (conv(from)?, conv(to)?);
            for side in [&lo, &hi] {
                let mut seen: Option<&BoundDatum> = None;
                for d in side {
                    if let Some(prev @ (BoundDatum::MinValue | BoundDatum::MaxValue)) = seen {
                        if d != prev {
                            let word = if matches!(prev, BoundDatum::MaxValue) {
                                "MAXVALUE"
                            } else {
                                "MINVALUE"
                            };
                            return Err(invalid_definition(format!(
                                "every bound following {word} must also be {word}"
                            )));
                        }
                    }
                    seen = Some(d);
                }
            }
            PartitionBound::Range { from: lo, to: hi }
        }
        ast::ForValues::In(values) => {
            if key.strategy != PartitionStrategy::List {
                return Err(strategy_error(strategy_name(key.strategy)));
            }
            let mut out: Vec<Option<String>> = Vec::new();
            for v in values {
                let t = value_text(v, &key.types[0])?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            PartitionBound::List { values: out }
        }
        ast::ForValues::With { modulus, remainder } => {
            if key.strategy != PartitionStrategy::Hash {
                return Err(strategy_error(strategy_name(key.strategy)));
            }
            if *modulus == 0 {
                return Err(Error::new(
                    SqlState::INVALID_TABLE_DEFINITION,
                    "modulus for hash partition must be an integer value greater than zero",
                ));
            }
            if remainder >= modulus {
                return Err(Error::new(
                    SqlState::INVALID_TABLE_DEFINITION,
                    "remainder for hash partition must be less than modulus",
                ));
            }
            let _ = parent;
            PartitionBound::Hash { modulus: *modulus, remainder: *remainder }
        }
    })
}

fn strategy_name(s: PartitionStrategy) -> &'static str {
    match s {
        PartitionStrategy::Range => "range",
        PartitionStrategy::List => "list",
        PartitionStrategy::Hash => "hash",
    }
}

/// Checks a new partition's bound against its future siblings: empty ranges, overlaps,
/// a second default, hash moduli that do not divide each other.
pub(super) fn check_new_bound(
    catalog: &Catalog,
    parent: u32,
    name: &str,
    bound: &TypedBound,
    key: &BoundKey,
) -> Result<()> {
    if let TypedBound::Range { lo, hi } = bound {
        if part::cmp_bounds(lo, hi).is_ge() {
            return Err(invalid_definition(format!(
                "empty range bound specified for partition \"{name}\""
            ))
            .with_detail(format!(
                "Specified lower bound ({}) is greater than or equal to upper bound ({}).",
                datum_text(lo),
                datum_text(hi)
            )));
        }
    }
    for &sib in catalog.partitions_of(parent) {
        let Some((_, b)) = catalog.partition_parent(sib) else { continue };
        let other = part::typed_bound(b, &key.types)?;
        let sib_name = catalog.table(sib).map(|t| t.name.clone()).unwrap_or_default();
        if *bound == TypedBound::Default && other == TypedBound::Default {
            return Err(invalid_definition(format!(
                "partition \"{name}\" conflicts with existing default partition \"{sib_name}\""
            )));
        }
        if let (TypedBound::Hash { modulus: m1, .. }, TypedBound::Hash { modulus: m2, .. }) =
            (bound, &other)
        {
            let (small, big) = if m1 <= m2 { (m1, m2) } else { (m2, m1) };
            if big % small != 0 {
                let msg =
                    "every hash partition modulus must be a factor of the next larger modulus";
                let relation = if m1 < m2 { "a factor of" } else { "divisible by" };
                return Err(invalid_definition(msg).with_detail(format!(
                    "The new modulus {m1} is not {relation} {m2}, the modulus of existing partition \"{sib_name}\"."
                )));
            }
        }
        if bound.overlaps(&other) {
            return Err(invalid_definition(format!(
                "partition \"{name}\" would overlap partition \"{sib_name}\""
            )));
        }
    }
    Ok(())
}

fn datum_text(ds: &[part::Datum]) -> String {
    ds.iter()
        .map(|d| match d {
            part::Datum::Min => "MINVALUE".to_string(),
            part::Datum::Max => "MAXVALUE".to_string(),
            part::Datum::Val(v) => v.to_pg_text(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of `table` (a leaf or a partitioned table) must meet `check`; 23514 with
/// `message` otherwise.
fn validate_rows(
    txn: &Transaction,
    catalog: &Catalog,
    table: u32,
    admits: &dyn Fn(&[Value]) -> Result<bool>,
    message: &dyn Fn() -> Error,
) -> Result<()> {
    for id in catalog.partition_tree(table) {
        if catalog.is_partitioned(id) {
            continue;
        }
        let Some(t) = catalog.table(id) else { continue };
        let mut rows = Vec::new();
        table_io::scan_rows(
            txn,
            t,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            |_, row| {
                rows.push(row);
                Ok(true)
            },
        )?;
        for r in rows {
            if !admits(&r)? {
                return Err(message());
            }
        }
    }
    Ok(())
}

fn eval_key(key: &BoundKey, row: &[Value], info: &SessionInfo) -> Result<Vec<Value>> {
    let ctx = crate::expr::SimpleContext { params: Vec::new(), session: info.clone(), now: None };
    key.exprs.iter().map(|e| e.eval(row, &ctx)).collect()
}

impl Session {
    /// Writes the partitioning record of a table `CREATE TABLE` just made (after its
    /// table record), checking the key and the bound.
    pub(super) fn create_partitioning(
        &mut self,
        catalog: &Catalog,
        ct: &ast::CreateTable,
        table: &TableDef,
    ) -> Result<()> {
        if ct.partition_by.is_none() && ct.partition_of.is_none() {
            return Ok(());
        }
        let info = self.info();
        let search_path = self.settings.search_path();
        let mut def = PartitionDef { id: table.id, key: None, parent: None, bound: None };
        if let Some(by) = &ct.partition_by {
            let key = partition_key(by, table)?;
            let bound = part::bind_key(catalog, &info, table, &key)?;
            check_key_exprs(&bound)?;
            check_unique_keys(table, &bound)?;
            def.key = Some(key);
        }
        if let (Some(parent_name), Some(fv)) = (&ct.partition_of, &ct.for_values) {
            let parent = table_by_name(catalog, &search_path, parent_name)?;
            self.bind_partition(catalog, &info, &parent, table, fv, &mut def)?;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_partition(txn, &def)?;
        // Indexes created on the parent (not through constraints) come along.
        if let Some(parent) = def.parent.and_then(|p| catalog.table(p)) {
            let mut t = table.clone();
            for idx in parent.indexes.iter().filter(|i| !i.primary && !i.constraint) {
                if idx.vector.is_some() {
                    continue;
                }
                add_index_copy(txn, catalog, &mut t, idx, &parent.name)?;
            }
            if t.indexes.len() != table.indexes.len() {
                CatalogStore::put_table(txn, &t)?;
            }
        }
        Ok(())
    }

    /// Checks `table` as a new partition of `parent` with bound `fv` and fills `def`.
    fn bind_partition(
        &mut self,
        catalog: &Catalog,
        info: &SessionInfo,
        parent: &TableDef,
        table: &TableDef,
        fv: &ast::ForValues,
        def: &mut PartitionDef,
    ) -> Result<()> {
        let key_def = catalog.partition_key(parent.id).ok_or_else(|| {
            Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("table \"{}\" is not partitioned", parent.name),
            )
        })?;
        let key = part::bind_key(catalog, info, parent, key_def)?;
        let bound = stored_bound(fv, &key, &parent.name)?;
        let typed = part::typed_bound(&bound, &key.types)?;
        check_new_bound(catalog, parent.id, &table.name, &typed, &key)?;
        // A new partition takes keys the default partition held: none may be there.
        if typed != TypedBound::Default {
            if let Some(&dflt) = catalog.partitions_of(parent.id).iter().find(|&&s| {
                matches!(catalog.partition_parent(s), Some((_, PartitionBound::Default)))
            }) {
                let dname = catalog.table(dflt).map(|t| t.name.clone()).unwrap_or_default();
                let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
                let dkey = match catalog.table(dflt) {
                    Some(dt) => part::bind_key(catalog, info, dt, key_def)?,
                    None => key.clone(),
                };
                validate_rows(
                    txn,
                    catalog,
                    dflt,
                    &|row| Ok(!typed.contains(&eval_key(&dkey, row, info)?)),
                    &|| {
                        Error::new(
                            SqlState::CHECK_VIOLATION,
                            format!(
                                "updated partition constraint for default partition \"{dname}\" would be violated by some row"
                            ),
                        )
                    },
                )?;
            }
        }
        def.parent = Some(parent.id);
        def.bound = Some(bound);
        Ok(())
    }

    /// Checks a new index on partitioned table `t` (a unique one must hold the
    /// partition columns) and returns the partitions it is to be made on.
    pub(super) fn check_partitioned_index(
        &self,
        catalog: &Catalog,
        t: &TableDef,
        index: &crate::catalog::IndexDef,
    ) -> Result<Vec<Arc<TableDef>>> {
        let info = self.info();
        if let Some(key_def) = catalog.partition_key(t.id) {
            let key = part::bind_key(catalog, &info, t, key_def)?;
            let mut probe = t.clone();
            probe.indexes = vec![index.clone()];
            check_unique_keys(&probe, &key)?;
        }
        Ok(catalog
            .partition_tree(t.id)
            .into_iter()
            .skip(1)
            .filter_map(|id| catalog.table(id).cloned())
            .collect())
    }

    /// `ALTER TABLE parent ATTACH PARTITION t FOR VALUES ...`.
    pub(super) fn attach_partition(
        &mut self,
        parent_name: &ast::ObjectName,
        partition: &ast::ObjectName,
        fv: &ast::ForValues,
    ) -> Result<super::StatementResult> {
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        let parent = table_by_name(&catalog, &search_path, parent_name)?;
        let table = table_by_name(&catalog, &search_path, partition)?;
        self.require_table_owner(&catalog, &parent)?;
        self.require_table_owner(&catalog, &table)?;
        if !catalog.is_partitioned(parent.id) {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("table \"{}\" is not partitioned", parent.name),
            ));
        }
        if let Some((p, _)) = catalog.partition_parent(table.id) {
            let pname = catalog.table(p).map(|t| t.name.clone()).unwrap_or_default();
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is already a partition", table.name),
            )
            .with_detail(format!("It is a partition of \"{pname}\".")));
        }
        if table.id == parent.id || catalog.partition_tree(table.id).contains(&parent.id) {
            return Err(Error::new(
                SqlState::DUPLICATE_TABLE,
                format!(
                    "circular inheritance not allowed: \"{}\" is already a child of \"{}\".",
                    parent.name, table.name
                ),
            ));
        }
        // The same columns in the same order (PostgreSQL maps columns by name; we keep
        // rows in the parent's layout).
        for c in &table.columns {
            if parent.column_index(&c.name).is_none() {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "table \"{}\" contains column \"{}\" not found in parent \"{}\"",
                        table.name, c.name, parent.name
                    ),
                )
                .with_detail("The new partition may contain only the columns present in parent."));
            }
        }
        for (i, c) in parent.columns.iter().enumerate() {
            match table.columns.get(i) {
                Some(tc) if tc.name == c.name && tc.data_type == c.data_type => {}
                _ => match table.column_index(&c.name) {
                    None => {
                        return Err(Error::new(
                            SqlState::DATATYPE_MISMATCH,
                            format!("child table is missing column \"{}\"", c.name),
                        ))
                    }
                    Some(j) if table.columns[j].data_type != c.data_type => {
                        return Err(Error::new(
                            SqlState::DATATYPE_MISMATCH,
                            format!(
                                "child table \"{}\" has different type for column \"{}\"",
                                table.name, c.name
                            ),
                        ))
                    }
                    Some(_) => {
                        return Err(Error::unsupported(
                            "attaching a partition whose columns are in another order than the parent's",
                        ))
                    }
                },
            }
        }
        for (i, c) in parent.columns.iter().enumerate() {
            if c.not_null && !table.columns[i].not_null {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!("column \"{}\" in child table must be marked NOT NULL", c.name),
                ));
            }
        }
        // The parent's foreign keys the table lacks are added to it first (checking its
        // rows), as PostgreSQL clones them when attaching.
        let missing: Vec<String> = parent
            .foreign_keys
            .iter()
            .filter(|fk| {
                !table.foreign_keys.iter().any(|f| {
                    f.columns == fk.columns
                        && f.ref_table == fk.ref_table
                        && f.ref_columns == fk.ref_columns
                })
            })
            .filter_map(|fk| foreign_key_text(&catalog, &parent, fk))
            .collect();
        let (catalog, table) = if missing.is_empty() {
            (catalog, table)
        } else {
            for text in missing {
                let sql = format!("ALTER TABLE {} ADD {text}", qualified_name(&table));
                match crate::parser::parse(&sql)?.pop() {
                    Some(crate::parser::Statement::Sql(stmt)) => match *stmt {
                        ast::Statement::AlterTable(at) => self.alter_table_from(&at, true)?,
                        _ => return Err(Error::internal("foreign key copy is not ALTER TABLE")),
                    },
                    _ => return Err(Error::internal("foreign key copy did not parse")),
                };
            }
            let (catalog, _) = self.ddl_parts()?;
            let table = table_by_name(&catalog, &search_path, partition)?;
            (catalog, table)
        };
        let info = self.info();
        let mut def = catalog
            .partitions
            .get(&table.id)
            .map(|p| p.as_ref().clone())
            .unwrap_or(PartitionDef { id: table.id, key: None, parent: None, bound: None });
        self.bind_partition(&catalog, &info, &parent, &table, fv, &mut def)?;
        // Existing rows must meet the new bound.
        {
            let key_def =
                catalog.partition_key(parent.id).ok_or_else(|| Error::internal("no key"))?;
            let key = part::bind_key(&catalog, &info, &table, key_def)?;
            let bound = def.bound.clone().ok_or_else(|| Error::internal("no bound"))?;
            let typed = part::typed_bound(&bound, &key.types)?;
            let siblings: Vec<TypedBound> = if typed == TypedBound::Default {
                let mut s = Vec::new();
                for &sib in catalog.partitions_of(parent.id) {
                    if let Some((_, b)) = catalog.partition_parent(sib) {
                        s.push(part::typed_bound(b, &key.types)?);
                    }
                }
                s
            } else {
                Vec::new()
            };
            let level = part::BoundLevel { key: key.clone(), bound: typed, siblings };
            let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
            let name = table.name.clone();
            validate_rows(
                txn,
                &catalog,
                table.id,
                &|row| Ok(level.admits(&eval_key(&key, row, &info)?)),
                &|| {
                    Error::new(
                        SqlState::CHECK_VIOLATION,
                        format!(
                            "partition constraint of relation \"{name}\" is violated by some row"
                        ),
                    )
                },
            )?;
        }
        // Unique constraints and indexes of the parent must exist on the partition.
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let mut t = table.as_ref().clone();
        for idx in parent.indexes.iter().filter(|i| i.vector.is_none()) {
            if !t.indexes.iter().any(|i| i.same_keys(idx)) {
                add_index_copy(txn, &catalog, &mut t, idx, &parent.name)?;
            }
        }
        CatalogStore::put_table(txn, &t)?;
        CatalogStore::put_partition(txn, &def)?;
        self.bump_version()?;
        Ok(super::StatementResult::command("ALTER TABLE"))
    }

    /// `ALTER TABLE parent DETACH PARTITION t`.
    pub(super) fn detach_partition(
        &mut self,
        parent_name: &ast::ObjectName,
        partition: &ast::ObjectName,
    ) -> Result<super::StatementResult> {
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        let parent = table_by_name(&catalog, &search_path, parent_name)?;
        let table = table_by_name(&catalog, &search_path, partition)?;
        self.require_table_owner(&catalog, &parent)?;
        match catalog.partition_parent(table.id) {
            Some((p, _)) if p == parent.id => {}
            _ => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!(
                        "relation \"{}\" is not a partition of relation \"{}\"",
                        table.name, parent.name
                    ),
                ))
            }
        }
        let mut def = catalog
            .partitions
            .get(&table.id)
            .map(|p| p.as_ref().clone())
            .ok_or_else(|| Error::internal("partition record vanished"))?;
        def.parent = None;
        def.bound = None;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_partition(txn, &def)?;
        self.bump_version()?;
        Ok(super::StatementResult::command("ALTER TABLE"))
    }
}

/// Creates on partition `t` a copy of the parent's index `idx` (named like
/// PostgreSQL's: `<partition>_<cols>_idx`, `_key` for unique ones).
pub(super) fn add_index_copy(
    txn: &mut Transaction,
    catalog: &Catalog,
    t: &mut TableDef,
    idx: &crate::catalog::IndexDef,
    _parent: &str,
) -> Result<()> {
    let cols: Vec<String> = idx.columns.iter().map(|c| t.columns[*c].name.clone()).collect();
    let suffix = if idx.primary {
        "pkey".to_string()
    } else if idx.unique && idx.constraint {
        format!("{}_key", cols.join("_"))
    } else {
        format!("{}_idx", cols.join("_"))
    };
    let base = format!("{}_{}", t.name, suffix);
    let mut name = base.clone();
    let mut n = 0;
    while catalog.relation(&t.schema, &name).is_some() || t.indexes.iter().any(|i| i.name == name) {
        n += 1;
        name = format!("{base}{n}");
    }
    let index = crate::catalog::IndexDef {
        comment: None,
        id: t.next_index_id,
        name,
        columns: idx.columns.clone(),
        unique: idx.unique,
        primary: idx.primary && t.primary_key().is_none(),
        constraint: idx.constraint,
        vector: None,
        expressions: idx.expressions.clone(),
        predicate: idx.predicate.clone(),
        hash: idx.hash,
        bound_cache: Default::default(),
    };
    t.next_index_id += 1;
    super::ddl::build_index(txn, t, &index)?;
    t.indexes.push(index);
    Ok(())
}

/// `schema.name` of a table as a name to put in a statement.
pub(super) fn qualified_name(t: &TableDef) -> ast::ObjectName {
    ast::ObjectName::from(vec![
        ast::Ident::with_quote('"', t.schema.clone()),
        ast::Ident::with_quote('"', t.name.clone()),
    ])
}

/// The form of an ALTER TABLE operation on a partitioned table that its partitions get
/// too (`None`: it stays on the table itself).
pub(super) fn cascaded_op(op: &ast::AlterTableOperation) -> Option<ast::AlterTableOperation> {
    use ast::AlterTableOperation as Op;
    match op {
        Op::AddColumn { .. }
        | Op::DropColumn { .. }
        | Op::RenameColumn { .. }
        | Op::AlterColumn { .. }
        | Op::ValidateConstraint { .. } => Some(op.clone()),
        Op::AddConstraint {
            constraint: ast::TableConstraint::Check(_) | ast::TableConstraint::ForeignKey(_),
            ..
        } => Some(op.clone()),
        // Each partition names its own copy of a key.
        Op::AddConstraint { constraint: ast::TableConstraint::PrimaryKey(pk), .. } => {
            let mut pk = pk.clone();
            pk.name = None;
            let mut op = op.clone();
            if let Op::AddConstraint { constraint, .. } = &mut op {
                *constraint = ast::TableConstraint::PrimaryKey(pk);
            }
            Some(op)
        }
        Op::AddConstraint { constraint: ast::TableConstraint::Unique(u), .. } => {
            let mut u = u.clone();
            u.name = None;
            let mut op = op.clone();
            if let Op::AddConstraint { constraint, .. } = &mut op {
                *constraint = ast::TableConstraint::Unique(u);
            }
            Some(op)
        }
        // Partitions name their copies of keys after themselves; CHECK constraints keep
        // the parent's names.
        Op::DropConstraint { name, drop_behavior, .. } => Some(Op::DropConstraint {
            if_exists: true,
            name: name.clone(),
            drop_behavior: *drop_behavior,
        }),
        _ => None,
    }
}

/// `ALTER TABLE ONLY` on a partitioned table with partitions: a key stays on the table
/// (as pg_dump does, attaching the partitions' keys later); column and CHECK changes
/// cannot skip the partitions (42P16, as in PostgreSQL).
pub(super) fn only_op(op: &ast::AlterTableOperation) -> Result<Option<ast::AlterTableOperation>> {
    use ast::AlterTableOperation as Op;
    let refuse = |msg: &str| Err(Error::new(SqlState::INVALID_TABLE_DEFINITION, msg.to_string()));
    match op {
        Op::AddConstraint {
            constraint: ast::TableConstraint::PrimaryKey(_) | ast::TableConstraint::Unique(_),
            ..
        } => Ok(None),
        Op::AddColumn { .. } => refuse("column must be added to child tables too"),
        Op::DropColumn { .. } => {
            refuse("cannot drop column from only the partitioned table when partitions exist")
        }
        Op::AddConstraint { constraint: ast::TableConstraint::Check(_), .. } => {
            refuse("constraint must be added to child tables too")
        }
        other => Ok(cascaded_op(other)),
    }
}

/// Refuses ALTER TABLE operations PostgreSQL refuses on partitions (their columns come
/// from the parent) and on partition key columns.
pub(super) fn check_alter(
    catalog: &Catalog,
    table: &TableDef,
    op: &ast::AlterTableOperation,
    from_parent: bool,
) -> Result<()> {
    use ast::AlterTableOperation as Op;
    let inherited = |what: &str, col: &ast::Ident| {
        Error::new(
            SqlState::INVALID_TABLE_DEFINITION,
            format!("cannot {what} inherited column \"{}\"", ident_name(col)),
        )
    };
    if !from_parent && catalog.partition_parent(table.id).is_some() {
        match op {
            Op::AddColumn { .. } => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    "cannot add column to a partition",
                ))
            }
            Op::DropColumn { column_names, .. } => {
                if let Some(c) = column_names.first() {
                    return Err(inherited("drop", c));
                }
            }
            Op::RenameColumn { old_column_name, .. } => {
                return Err(inherited("rename", old_column_name))
            }
            Op::AlterColumn { column_name, op: ast::AlterColumnOperation::SetDataType { .. } } => {
                return Err(inherited("alter", column_name))
            }
            _ => {}
        }
    }
    // Columns the partition key reads (of this table or of its parent's key).
    let key_cols = |id: u32| -> Vec<String> {
        catalog
            .partition_key(id)
            .map(|k| {
                k.items
                    .iter()
                    .filter_map(|i| match crate::parser::parse_expr(i) {
                        Ok(ast::Expr::Identifier(id)) => Some(ident_name(&id)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let key_error = |what: &str, col: &str, owner: u32| {
        let rel = catalog.table(owner).map(|t| t.name.clone()).unwrap_or_default();
        Error::new(
            SqlState::INVALID_TABLE_DEFINITION,
            format!(
                "cannot {what} column \"{col}\" because it is part of the partition key of relation \"{rel}\""
            ),
        )
    };
    // A key added to a partitioned table must hold its partition columns.
    if let (Some(key_def), Op::AddConstraint { constraint, .. }) =
        (catalog.partition_key(table.id), op)
    {
        let key_cols = match constraint {
            ast::TableConstraint::PrimaryKey(pk) => Some(("PRIMARY KEY", &pk.columns)),
            ast::TableConstraint::Unique(u) => Some(("UNIQUE", &u.columns)),
            _ => None,
        };
        if let Some((kind, cols)) = key_cols {
            let names: Vec<String> = cols
                .iter()
                .filter_map(|c| match &c.column.expr {
                    ast::Expr::Identifier(id) => Some(ident_name(id)),
                    _ => None,
                })
                .collect();
            for item in &key_def.items {
                let col = match crate::parser::parse_expr(item) {
                    Ok(ast::Expr::Identifier(id)) => ident_name(&id),
                    _ => {
                        return Err(Error::new(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            format!("unsupported {kind} constraint with partition key definition"),
                        )
                        .with_detail(format!(
                            "{kind} constraints cannot be used when partition keys include expressions."
                        )))
                    }
                };
                if !names.contains(&col) {
                    return Err(Error::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "unique constraint on partitioned table must include all partitioning columns",
                    )
                    .with_detail(format!(
                        "{kind} constraint on table \"{}\" lacks column \"{col}\" which is part of the partition key.",
                        table.name
                    )));
                }
            }
        }
    }
    let mut owners = vec![table.id];
    if let Some((p, _)) = catalog.partition_parent(table.id) {
        owners.push(p);
    }
    for owner in owners {
        let cols = key_cols(owner);
        match op {
            Op::DropColumn { column_names, .. } => {
                for c in column_names {
                    let n = ident_name(c);
                    if cols.contains(&n) {
                        return Err(key_error("drop", &n, owner));
                    }
                }
            }
            Op::AlterColumn { column_name, op: ast::AlterColumnOperation::SetDataType { .. } } => {
                let n = ident_name(column_name);
                if cols.contains(&n) {
                    return Err(key_error("alter", &n, owner));
                }
            }
            Op::RenameColumn { old_column_name, .. } => {
                let n = ident_name(old_column_name);
                if cols.contains(&n) && owner == table.id {
                    return Err(Error::unsupported(format!(
                        "renaming partition key column \"{n}\""
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
