//! ALTER TABLE: columns (add, drop, rename, type, default, NOT NULL), constraints (add,
//! drop, rename) and table rename. Changes that affect stored rows rewrite them in the
//! same transaction.

use helios_common::{Error, Result, SqlState};
use helios_types::Value;
use sqlparser::ast;

use super::ddl::{already_exists, build_index};
use super::ddl_table::{add_table_constraint, build_table};
use super::statement::bind_checks;
use super::{Session, StatementResult};
use crate::binder::{generated, Binder};
use crate::catalog::{CatalogStore, Relation, TableDef};
use crate::exec::table_io;
use crate::exec::ExecCtx;
use crate::parser::{ident_name, object_name};
use crate::planner::{Plan, PlannedQuery};

type Rows = Vec<(Vec<u8>, Vec<Value>)>;

impl Session {
    pub(super) fn read_all(&self, table: &TableDef) -> Result<Rows> {
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        let mut rows = Vec::new();
        table_io::scan_rows(
            txn,
            table,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            |pk, r| {
                rows.push((pk, r));
                Ok(true)
            },
        )?;
        Ok(rows)
    }

    /// Rewrites every row of `old` as `new` (new column layout), rebuilding indexes.
    fn rewrite_table(
        &mut self,
        old: &TableDef,
        new: &TableDef,
        rows: Vec<(Vec<u8>, Vec<Value>)>,
    ) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        table_io::clear_table(txn, old.id)?;
        for (pk, row) in rows {
            let key = match new.primary_key() {
                Some(_) => table_io::primary_key(new, &row, None)?,
                None if old.primary_key().is_none() => pk,
                None => table_io::primary_key(new, &row, Some(self.engine.next_rowid()))?,
            };
            if let Some(pkdef) = new.primary_key() {
                if table_io::unique_conflict(txn, new, pkdef, &row, None)?.is_some() {
                    return Err(Error::new(
                        SqlState::UNIQUE_VIOLATION,
                        format!("could not create unique index \"{}\"", pkdef.name),
                    ));
                }
            }
            let mut plain = new.clone();
            plain.indexes.retain(|i| i.primary);
            table_io::put_row(txn, &plain, &key, &row)?;
        }
        for index in new.indexes.iter().filter(|i| !i.primary) {
            build_index(txn, new, index)?;
        }
        Ok(())
    }

    pub(super) fn alter_table(&mut self, at: &ast::AlterTable) -> Result<StatementResult> {
        self.alter_table_from(at, false)
    }

    /// ALTER TABLE; `from_parent` when a partitioned table passes its change on to this
    /// partition.
    pub(super) fn alter_table_from(
        &mut self,
        at: &ast::AlterTable,
        from_parent: bool,
    ) -> Result<StatementResult> {
        let search_path = self.settings.search_path();
        let qn = object_name(&at.name)?;
        for op in &at.operations {
            match op {
                ast::AlterTableOperation::AttachPartitionOf { partition, for_values } => {
                    self.attach_partition(&at.name, partition, for_values)?;
                    continue;
                }
                ast::AlterTableOperation::DetachPartitionOf { partition, mode } => {
                    if mode.is_some() {
                        return Err(Error::unsupported(format!("DETACH PARTITION {op}")));
                    }
                    self.detach_partition(&at.name, partition)?;
                    continue;
                }
                _ => {}
            }
            let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
            let catalog = self.engine.catalogs.get(txn)?;
            let found = catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path);
            // ALTER TABLE ... OWNER TO also takes views and sequences, as in PostgreSQL.
            if let (Some((_, rel)), ast::AlterTableOperation::OwnerTo { new_owner }) =
                (found.clone(), op)
            {
                let owned = match rel {
                    Relation::View(id) => catalog
                        .views
                        .get(&id)
                        .map(|v| super::privileges::Owned::View(v.as_ref().clone())),
                    Relation::Sequence(id) => catalog
                        .sequences
                        .get(&id)
                        .map(|s| super::privileges::Owned::Sequence(s.as_ref().clone())),
                    _ => None,
                };
                if let Some(owned) = owned {
                    self.alter_owner(&catalog, owned, new_owner)?;
                    self.bump_version()?;
                    continue;
                }
            }
            let table = match found {
                Some((_, Relation::Table(id))) => {
                    catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))?
                }
                Some(_) => {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("\"{}\" is not a table", qn.name),
                    ))
                }
                None if at.if_exists => return Ok(StatementResult::command("ALTER TABLE")),
                None => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{}\" does not exist", qn.name),
                    ))
                }
            };
            if let ast::AlterTableOperation::EnableTrigger { name }
            | ast::AlterTableOperation::DisableTrigger { name } = op
            {
                let enable = matches!(op, ast::AlterTableOperation::EnableTrigger { .. });
                self.set_trigger_enabled(&table, &ident_name(name), enable)?;
                continue;
            }
            let mut t = table.as_ref().clone();
            let col_index = |t: &TableDef, id: &ast::Ident| -> Result<usize> {
                let n = ident_name(id);
                t.column_index(&n).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{n}\" of relation \"{}\" does not exist", t.name),
                    )
                })
            };
            let rls = match op {
                ast::AlterTableOperation::EnableRowLevelSecurity => Some((Some(true), None)),
                ast::AlterTableOperation::DisableRowLevelSecurity => Some((Some(false), None)),
                ast::AlterTableOperation::ForceRowLevelSecurity => Some((None, Some(true))),
                ast::AlterTableOperation::NoForceRowLevelSecurity => Some((None, Some(false))),
                _ => None,
            };
            if let Some((enabled, forced)) = rls {
                self.set_row_security(&catalog, &table, enabled, forced)?;
                self.bump_version()?;
                continue;
            }
            if let ast::AlterTableOperation::SetLogged | ast::AlterTableOperation::SetUnlogged = op
            {
                self.require_table_owner(&catalog, &table)?;
                let unlogged = matches!(op, ast::AlterTableOperation::SetUnlogged);
                if catalog.is_partitioned(table.id) {
                    // PostgreSQL 15 accepts it and changes nothing (no storage of its own).
                    continue;
                }
                if crate::session::is_temp_schema(&table.schema) {
                    return Err(Error::new(
                        SqlState::INVALID_TABLE_DEFINITION,
                        format!(
                            "cannot change logged status of table \"{}\" because it is temporary",
                            table.name
                        ),
                    ));
                }
                // Only the recorded flag changes: every table's rows are logged alike.
                let mut t = table.as_ref().clone();
                t.unlogged = unlogged;
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_table(txn, &t)?;
                self.bump_version()?;
                continue;
            }
            if let ast::AlterTableOperation::OwnerTo { new_owner } = op {
                let owned = super::privileges::Owned::Table(table.as_ref().clone());
                self.alter_owner(&catalog, owned, new_owner)?;
                self.bump_version()?;
                continue;
            }
            self.require_table_owner(&catalog, &table)?;
            if !catalog.partitions.is_empty() {
                // Partitions keep their parent's columns: changes go down the tree.
                super::partition_ddl::check_alter(&catalog, &table, op, from_parent)?;
                let down = match at.only && !catalog.partitions_of(table.id).is_empty() {
                    true => super::partition_ddl::only_op(op)?,
                    false => super::partition_ddl::cascaded_op(op),
                };
                if let Some(down) = down {
                    for &child in catalog.partitions_of(table.id) {
                        let Some(ct) = catalog.table(child) else { continue };
                        let child_at = ast::AlterTable {
                            name: super::partition_ddl::qualified_name(ct),
                            if_exists: false,
                            operations: vec![down.clone()],
                            ..at.clone()
                        };
                        self.alter_table_from(&child_at, true)?;
                    }
                }
            }
            match op {
                ast::AlterTableOperation::AddColumn { if_not_exists, column_def, .. } => {
                    let name = ident_name(&column_def.name);
                    if t.column_index(&name).is_some() {
                        if *if_not_exists {
                            continue;
                        }
                        return Err(Error::new(
                            SqlState::DUPLICATE_COLUMN,
                            format!("column \"{name}\" of relation \"{}\" already exists", t.name),
                        ));
                    }
                    // Build the column through the CREATE TABLE path for its options.
                    let ct = ast::CreateTable {
                        columns: vec![column_def.clone()],
                        ..crate::parser::parse_create_table_stub(&t.name)?
                    };
                    let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                    let mut next = || CatalogStore::next_id(txn);
                    let mut one = build_table(
                        &catalog,
                        &search_path,
                        &t.schema,
                        &ct,
                        &mut next,
                        t.access.owner,
                    )?;
                    let col = one.table.columns.remove(0);
                    let pos = t.columns.len();
                    t.columns.push(col);
                    for mut idx in one.table.indexes {
                        idx.columns = vec![pos];
                        idx.id = t.next_index_id;
                        t.next_index_id += 1;
                        t.indexes.push(idx);
                    }
                    t.checks.extend(one.table.checks);
                    for mut fk in one.table.foreign_keys {
                        fk.columns = vec![pos];
                        fk.delete_set_columns.clear();
                        t.foreign_keys.push(fk);
                    }
                    for s in &mut one.sequences {
                        s.owned_by = Some((t.id, t.columns[pos].name.clone()));
                        let txn =
                            self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                        CatalogStore::put_sequence(txn, s)?;
                    }
                    // Fill existing rows with the default (or the sequence).
                    let rows = self.read_all(&table)?;
                    let info = self.info();
                    let mut binder = Binder::new(&catalog, &info, Vec::new());
                    let default = binder.column_default(&t, pos)?;
                    let generated = generated::bind_generated_column(&mut binder, &t, pos)?;
                    let mut new_rows = Vec::with_capacity(rows.len());
                    // Defaults and generation expressions see the row, never a query.
                    let no_query = PlannedQuery {
                        plan: Plan::Empty { rows: 0 },
                        subqueries: Vec::new(),
                        ctes: Vec::new(),
                    };
                    let eval = |expr: &crate::expr::Expr, row: &[Value]| -> Result<Value> {
                        let txn =
                            self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
                        ExecCtx::new(txn, &[], &info, self.txn_now, &no_query, &self.cancel).eval(
                            expr,
                            row,
                            &[],
                        )
                    };
                    for (pk, mut row) in rows {
                        let v = match (t.columns[pos].sequence, &generated) {
                            (_, Some(expr)) => {
                                row.push(Value::Null);
                                let v = eval(expr, &row)?;
                                row.pop();
                                v
                            }
                            (Some(seq), None) => {
                                let def = one
                                    .sequences
                                    .iter()
                                    .find(|s| s.id == seq)
                                    .ok_or_else(|| Error::internal("sequence vanished"))?;
                                Value::Int8(self.engine.nextval(self.branch, def)?)
                                    .cast(&t.columns[pos].data_type)?
                            }
                            (None, None) => eval(&default, &[])?,
                        };
                        if v.is_null() && t.columns[pos].not_null {
                            return Err(Error::new(
                                SqlState::NOT_NULL_VIOLATION,
                                format!(
                                    "column \"{}\" of relation \"{}\" contains null values",
                                    t.columns[pos].name, t.name
                                ),
                            ));
                        }
                        row.push(v);
                        new_rows.push((pk, row));
                    }
                    self.rewrite_table(&table, &t, new_rows)?;
                }
                ast::AlterTableOperation::DropColumn {
                    column_names,
                    if_exists,
                    drop_behavior,
                    ..
                } => {
                    let cascade = matches!(drop_behavior, Some(ast::DropBehavior::Cascade));
                    let mut names: Vec<String> = column_names.iter().map(ident_name).collect();
                    // Generated columns reading a dropped column go with it (CASCADE) or
                    // keep it from being dropped.
                    let mut i = 0;
                    while i < names.len() {
                        let n = names[i].clone();
                        for c in &t.columns {
                            let reads = c.name != n
                                && c.generated
                                    .as_deref()
                                    .is_some_and(|g| generated::expression_reads(g, &n));
                            if !reads || names.contains(&c.name) {
                                continue;
                            }
                            if !cascade {
                                return Err(Error::new(
                                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                                    format!("cannot drop column {n} of table {} because other objects depend on it", t.name),
                                )
                                .with_detail(format!(
                                    "column {} of table {} depends on column {n} of table {}",
                                    c.name, t.name, t.name
                                ))
                                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                            }
                            names.push(c.name.clone());
                        }
                        i += 1;
                    }
                    for n in names {
                        let Some(pos) = t.column_index(&n) else {
                            if *if_exists {
                                continue;
                            }
                            return Err(Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("column \"{n}\" of relation \"{}\" does not exist", t.name),
                            ));
                        };
                        self.drop_views_reading_column(&catalog, t.id, &t.name, &n, cascade)?;
                        self.drop_triggers_reading_column(&catalog, &t, &n, cascade)?;
                        if t.primary_key().is_some_and(|p| p.columns.contains(&pos))
                            && !cascade
                            && t.primary_key().is_some_and(|p| p.columns.len() > 1)
                        {
                            return Err(Error::new(
                                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                                format!("cannot drop column {n} of table {} because other objects depend on it", t.name),
                            ));
                        }
                        let before = t.clone();
                        let rows = self.read_all(&before)?;
                        t.columns.remove(pos);
                        t.column_comments.remove(&n);
                        t.indexes.retain(|i| !i.reads_column(&before, pos));
                        t.foreign_keys.retain(|f| !f.columns.contains(&pos));
                        for i in &mut t.indexes {
                            for c in &mut i.columns {
                                if *c > pos {
                                    *c -= 1;
                                }
                            }
                        }
                        for f in &mut t.foreign_keys {
                            for c in f.columns.iter_mut().chain(&mut f.delete_set_columns) {
                                if *c > pos {
                                    *c -= 1;
                                }
                            }
                        }
                        t.checks.retain(|c| !c.expr.contains(&n));
                        let rows: Rows = rows
                            .into_iter()
                            .map(|(pk, mut r)| {
                                r.remove(pos);
                                (pk, r)
                            })
                            .collect();
                        self.rewrite_table(&before, &t, rows)?;
                    }
                }
                ast::AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                    let pos = col_index(&t, old_column_name)?;
                    let new = ident_name(new_column_name);
                    if t.column_index(&new).is_some() {
                        return Err(Error::new(
                            SqlState::DUPLICATE_COLUMN,
                            format!("column \"{new}\" of relation \"{}\" already exists", t.name),
                        ));
                    }
                    self.rename_column_in_views(&catalog, t.id, &t.columns[pos].name, &new)?;
                    let before = t.clone();
                    let old = std::mem::replace(&mut t.columns[pos].name, new.clone());
                    crate::catalog::index_exprs::rename_columns(&before, &mut t)?;
                    for c in &mut t.columns {
                        if let Some(g) = &c.generated {
                            c.generated = Some(generated::rename_in_expression(g, &old, &new)?);
                        }
                    }
                    if let Some(c) = t.column_comments.remove(&old) {
                        t.column_comments.insert(new, c);
                    }
                }
                ast::AlterTableOperation::RenameTable { table_name } => {
                    let (ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n)) =
                        table_name;
                    let new = object_name(n)?.name;
                    if catalog.relation(&t.schema, &new).is_some() {
                        return Err(already_exists(&new));
                    }
                    self.rename_in_views(&catalog, t.id, &new)?;
                    t.name = new;
                }
                ast::AlterTableOperation::AlterColumn { column_name, op } => {
                    let pos = col_index(&t, column_name)?;
                    if let Some(if_exists) =
                        crate::parser::drop_expression::drop_expression_marker(op)
                    {
                        if t.columns[pos].generated.take().is_none() && !if_exists {
                            return Err(Error::new(
                                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                                format!(
                                    "column \"{}\" of relation \"{}\" is not a stored generated column",
                                    t.columns[pos].name, t.name
                                ),
                            ));
                        }
                        let txn =
                            self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                        CatalogStore::put_table(txn, &t)?;
                        self.bump_version()?;
                        continue;
                    }
                    if t.columns[pos].generated.is_some()
                        && matches!(op, ast::AlterColumnOperation::SetDefault { .. })
                    {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            format!(
                                "column \"{}\" of relation \"{}\" is a generated column",
                                t.columns[pos].name, t.name
                            ),
                        ));
                    }
                    match op {
                        ast::AlterColumnOperation::SetNotNull => {
                            let rows = self.read_all(&t)?;
                            if rows.iter().any(|(_, r)| r[pos].is_null()) {
                                return Err(Error::new(
                                    SqlState::NOT_NULL_VIOLATION,
                                    format!(
                                        "column \"{}\" of relation \"{}\" contains null values",
                                        t.columns[pos].name, t.name
                                    ),
                                ));
                            }
                            t.columns[pos].not_null = true;
                        }
                        ast::AlterColumnOperation::DropNotNull => {
                            if t.primary_key().is_some_and(|p| p.columns.contains(&pos)) {
                                return Err(Error::new(
                                    SqlState::INVALID_TABLE_DEFINITION,
                                    format!(
                                        "column \"{}\" is in a primary key",
                                        t.columns[pos].name
                                    ),
                                ));
                            }
                            t.columns[pos].not_null = false;
                        }
                        ast::AlterColumnOperation::SetDefault { value } => {
                            t.columns[pos].default = Some(value.to_string());
                            let info = self.info();
                            Binder::new(&catalog, &info, Vec::new()).column_default(&t, pos)?;
                        }
                        ast::AlterColumnOperation::DropDefault => t.columns[pos].default = None,
                        ast::AlterColumnOperation::AddGenerated {
                            generated_as,
                            sequence_options,
                        } => {
                            let opts = sequence_options.as_deref().unwrap_or(&[]);
                            self.add_identity(&catalog, &mut t, pos, generated_as.as_ref(), opts)?;
                        }
                        ast::AlterColumnOperation::SetDataType { data_type, using, .. } => {
                            if using.is_some() {
                                return Err(Error::unsupported("ALTER COLUMN TYPE ... USING"));
                            }
                            let scope = crate::catalog::typename::TypeScope {
                                catalog: &catalog,
                                search_path: &search_path,
                            };
                            let user = crate::catalog::typename::resolve_user_column_type(
                                data_type,
                                Some(scope),
                            )?;
                            if user.column.serial {
                                crate::catalog::typename::resolve_type(data_type)?;
                            }
                            let ty = user.column.data_type;
                            let domain = match &user.domain {
                                Some(d) => Some(crate::expr::domain::bind_domain(
                                    d,
                                    &catalog,
                                    &self.info(),
                                )?),
                                None => None,
                            };
                            let name = t.columns[pos].name.clone();
                            if let Some(g) = t.columns.iter().find(|c| {
                                c.generated
                                    .as_deref()
                                    .is_some_and(|g| generated::expression_reads(g, &name))
                            }) {
                                return Err(Error::new(
                                    SqlState::FEATURE_NOT_SUPPORTED,
                                    "cannot alter type of a column used by a generated column",
                                )
                                .with_detail(format!(
                                    "Column \"{name}\" is used by generated column \"{}\".",
                                    g.name
                                )));
                            }
                            if ty != t.columns[pos].data_type {
                                self.refuse_type_change_read_by_views(&catalog, t.id, &name)?;
                            }
                            let before = t.clone();
                            let rows = self.read_all(&before)?;
                            t.columns[pos].data_type = ty.clone();
                            t.columns[pos].domain = user.domain.as_ref().map(|d| d.id);
                            let ctx = crate::expr::context::SimpleContext {
                                session: self.info(),
                                ..Default::default()
                            };
                            let mut out = Vec::with_capacity(rows.len());
                            for (pk, mut r) in rows {
                                r[pos] = r[pos].cast_assignment(&ty)?;
                                if let Some(d) = &domain {
                                    d.check(&r[pos], &ctx)?;
                                }
                                out.push((pk, r));
                            }
                            // A generated column of a new type is computed again.
                            let info = self.info();
                            let gens = generated::bind_generated(&catalog, &info, &t)?;
                            if !gens.is_empty() {
                                let txn = self
                                    .txn
                                    .as_ref()
                                    .ok_or_else(|| Error::internal("no transaction"))?;
                                let q = PlannedQuery {
                                    plan: Plan::Empty { rows: 0 },
                                    subqueries: Vec::new(),
                                    ctes: Vec::new(),
                                };
                                let ctx =
                                    ExecCtx::new(txn, &[], &info, self.txn_now, &q, &self.cancel);
                                for (_, r) in &mut out {
                                    for (ci, e) in &gens {
                                        let v = ctx.eval(e, r, &[])?;
                                        r[*ci] = v;
                                    }
                                }
                            }
                            self.rewrite_table(&before, &t, out)?;
                        }
                        other => return Err(Error::unsupported(format!("ALTER COLUMN {other}"))),
                    }
                }
                ast::AlterTableOperation::AddConstraint { constraint, not_valid } => {
                    let before_idx = t.indexes.len();
                    let before_checks = t.checks.len();
                    let before_fks = t.foreign_keys.len();
                    add_table_constraint(&catalog, &search_path, &mut t, constraint)?;
                    if *not_valid {
                        // As in PostgreSQL: only CHECK and FOREIGN KEY constraints skip
                        // the stored rows; new and changed rows are checked.
                        if t.indexes.len() > before_idx {
                            let kind = if t.indexes[before_idx].primary {
                                "PRIMARY KEY"
                            } else {
                                "UNIQUE"
                            };
                            return Err(Error::new(
                                SqlState::FEATURE_NOT_SUPPORTED,
                                format!("{kind} constraints cannot be marked NOT VALID"),
                            ));
                        }
                        if t.foreign_keys.len() > before_fks && catalog.is_partitioned(t.id) {
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!(
                                    "cannot add NOT VALID foreign key on partitioned table \"{}\" referencing relation \"{}\"",
                                    t.name,
                                    catalog
                                        .table(t.foreign_keys[before_fks].ref_table)
                                        .map_or("?", |r| r.name.as_str())
                                ),
                            )
                            .with_detail("This feature is not yet supported on partitioned tables."));
                        }
                        t.checks[before_checks..].iter_mut().for_each(|c| c.not_valid = true);
                        t.foreign_keys[before_fks..].iter_mut().for_each(|f| f.not_valid = true);
                    }
                    let rows = if *not_valid { Vec::new() } else { self.read_all(&table)? };
                    self.check_stored_rows(&catalog, &t, before_checks..t.checks.len(), &rows)?;
                    self.check_stored_keys(&catalog, &t, &t.foreign_keys[before_fks..], &rows)?;
                    if t.indexes.len() > before_idx {
                        let new_primary = t.indexes[before_idx..].iter().any(|i| i.primary);
                        if new_primary {
                            self.rewrite_table(&table, &t, rows)?;
                        } else {
                            let txn = self
                                .txn
                                .as_mut()
                                .ok_or_else(|| Error::internal("no transaction"))?;
                            for index in &t.indexes[before_idx..] {
                                build_index(txn, &t, index)?;
                            }
                        }
                    }
                }
                ast::AlterTableOperation::ValidateConstraint { name } => {
                    let n = ident_name(name);
                    let check = t.checks.iter().position(|c| c.name == n);
                    let fk = t.foreign_keys.iter().position(|f| f.name == n);
                    if check.is_none() && fk.is_none() {
                        if t.indexes.iter().any(|i| i.constraint && i.name == n) {
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!(
                                    "constraint \"{n}\" of relation \"{}\" is not a foreign key or check constraint",
                                    t.name
                                ),
                            ));
                        }
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!("constraint \"{n}\" of relation \"{}\" does not exist", t.name),
                        ));
                    }
                    let pending = check.is_some_and(|i| t.checks[i].not_valid)
                        || fk.is_some_and(|i| t.foreign_keys[i].not_valid);
                    let rows = if pending { self.read_all(&table)? } else { Vec::new() };
                    if let Some(i) = check.filter(|&i| t.checks[i].not_valid) {
                        self.check_stored_rows(&catalog, &t, i..i + 1, &rows)?;
                        t.checks[i].not_valid = false;
                    }
                    if let Some(i) = fk.filter(|&i| t.foreign_keys[i].not_valid) {
                        self.check_stored_keys(&catalog, &t, &t.foreign_keys[i..=i], &rows)?;
                        t.foreign_keys[i].not_valid = false;
                    }
                }
                ast::AlterTableOperation::DropConstraint { if_exists, name, .. } => {
                    let n = ident_name(name);
                    let before = t.indexes.len() + t.checks.len() + t.foreign_keys.len();
                    let dropped_idx: Vec<u32> = t
                        .indexes
                        .iter()
                        .filter(|i| i.constraint && i.name == n)
                        .map(|i| i.id)
                        .collect();
                    if dropped_idx
                        .iter()
                        .any(|id| t.indexes.iter().any(|i| i.id == *id && i.primary))
                    {
                        let rows = self.read_all(&table)?;
                        let old = t.clone();
                        t.indexes.retain(|i| !dropped_idx.contains(&i.id));
                        self.rewrite_table(&old, &t, rows)?;
                    } else {
                        let txn =
                            self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                        for id in &dropped_idx {
                            table_io::clear_index(txn, t.id, *id)?;
                        }
                        t.indexes.retain(|i| !dropped_idx.contains(&i.id));
                    }
                    t.checks.retain(|c| c.name != n);
                    t.foreign_keys.retain(|f| f.name != n);
                    if t.indexes.len() + t.checks.len() + t.foreign_keys.len() == before {
                        if *if_exists {
                            continue;
                        }
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!("constraint \"{n}\" of relation \"{}\" does not exist", t.name),
                        ));
                    }
                }
                ast::AlterTableOperation::RenameConstraint { old_name, new_name } => {
                    let (o, n) = (ident_name(old_name), ident_name(new_name));
                    let mut hit = false;
                    for i in t.indexes.iter_mut().filter(|i| i.name == o) {
                        i.name = n.clone();
                        hit = true;
                    }
                    for c in t.checks.iter_mut().filter(|c| c.name == o) {
                        c.name = n.clone();
                        hit = true;
                    }
                    for f in t.foreign_keys.iter_mut().filter(|f| f.name == o) {
                        f.name = n.clone();
                        hit = true;
                    }
                    if !hit {
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!("constraint \"{o}\" for table \"{}\" does not exist", t.name),
                        ));
                    }
                }
                ast::AlterTableOperation::SetOptionsParens { options } => {
                    let set = super::storage_params::parse(options)?;
                    super::storage_params::merge(&mut t.storage_params, set);
                }
                ast::AlterTableOperation::ResetOptions { options } => {
                    let names = super::storage_params::reset_names(options)?;
                    t.storage_params.retain(|(k, _)| !names.contains(k));
                }
                other => return Err(Error::unsupported(format!("ALTER TABLE {other}"))),
            }
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            CatalogStore::put_table(txn, &t)?;
            self.bump_version()?;
        }
        Ok(StatementResult::command("ALTER TABLE"))
    }
}

impl Session {
    /// Checks the stored `rows` of `t` against its CHECK constraints numbered `which`
    /// (23514 on the first row one rejects).
    fn check_stored_rows(
        &self,
        catalog: &crate::catalog::Catalog,
        t: &TableDef,
        which: std::ops::Range<usize>,
        rows: &[(Vec<u8>, Vec<Value>)],
    ) -> Result<()> {
        if which.is_empty() {
            return Ok(());
        }
        let info = self.info();
        let checks = bind_checks(catalog, &info, t)?;
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        let q = PlannedQuery {
            plan: Plan::Empty { rows: 0 },
            subqueries: Vec::new(),
            ctes: Vec::new(),
        };
        let ctx = ExecCtx::new(txn, &[], &info, self.txn_now, &q, &self.cancel);
        // `bind_checks` lists the table's checks first, in order, then domain checks.
        for (name, e) in &checks[which] {
            for (_, r) in rows {
                if matches!(ctx.eval(e, r, &[])?, Value::Bool(false)) {
                    return Err(Error::new(
                        SqlState::CHECK_VIOLATION,
                        format!(
                            "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                            t.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the stored `rows` of `t` against the foreign keys `keys` (23503 on the first
    /// row whose key is missing).
    fn check_stored_keys(
        &self,
        catalog: &crate::catalog::Catalog,
        t: &TableDef,
        keys: &[crate::catalog::ForeignKeyDef],
        rows: &[(Vec<u8>, Vec<Value>)],
    ) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        for fk in keys {
            let parent = catalog
                .table(fk.ref_table)
                .map(|p| p.as_ref().clone())
                .unwrap_or_else(|| t.clone());
            for (_, r) in rows {
                let vals: Vec<Value> = fk.columns.iter().map(|c| r[*c].clone()).collect();
                let nulls = vals.iter().filter(|v| v.is_null()).count();
                let (cols, shown) = crate::exec::fk_check::key_text(t, &fk.columns, &vals);
                if nulls > 0 {
                    if fk.match_full && nulls < vals.len() {
                        return Err(Error::new(
                            SqlState::FOREIGN_KEY_VIOLATION,
                            format!(
                                "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                                t.name, fk.name
                            ),
                        )
                        .with_detail(
                            "MATCH FULL does not allow mixing of null and nonnull key values.",
                        ));
                    }
                    continue;
                }
                let found = if parent.id == t.id {
                    rows.iter()
                        .any(|(_, p)| fk.ref_columns.iter().zip(&vals).all(|(c, v)| p[*c].pg_eq(v)))
                } else {
                    crate::exec::fk_check::referenced_exists_in(
                        txn,
                        catalog,
                        &parent,
                        &fk.ref_columns,
                        &vals,
                    )?
                };
                if !found {
                    return Err(crate::exec::fk_check::referencing_violation(
                        t, fk, &parent, &cols, &shown,
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Session {
    /// `ALTER COLUMN c ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [(options)]`: a
    /// new sequence owned by the column (`table_column_seq`, made unique) feeds it;
    /// PostgreSQL's errors for a column that may be NULL, has a default or is an identity
    /// already (55000), or is not an integer (22023).
    fn add_identity(
        &mut self,
        catalog: &crate::catalog::Catalog,
        t: &mut TableDef,
        pos: usize,
        generated_as: Option<&ast::GeneratedAs>,
        opts: &[ast::SequenceOptions],
    ) -> Result<()> {
        let (col, table) = (t.columns[pos].name.clone(), t.name.clone());
        let state = |what: &str| {
            Error::new(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("column \"{col}\" of relation \"{table}\" {what}"),
            )
        };
        let Some(kind) = generated_as else {
            return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error at or near \"AS\""));
        };
        let c = &t.columns[pos];
        if !c.not_null {
            return Err(state("must be declared NOT NULL before identity can be added"));
        }
        if c.identity.is_some() {
            return Err(state("is already an identity column"));
        }
        if c.default.is_some() || c.sequence.is_some() {
            return Err(state("already has a default value"));
        }
        let mut name = format!("{table}_{col}_seq");
        let mut n = 0;
        while catalog.relation(&t.schema, &name).is_some() {
            n += 1;
            name = format!("{table}_{col}_seq{n}");
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let seq = super::ddl_table::column_sequence(
            CatalogStore::next_id(txn)?,
            &t.schema,
            name,
            (t.id, col),
            t.access.owner,
            &c.data_type,
            opts,
        )?;
        CatalogStore::put_sequence(txn, &seq)?;
        let c = &mut t.columns[pos];
        c.identity = Some(match kind {
            ast::GeneratedAs::Always => crate::catalog::Identity::Always,
            _ => crate::catalog::Identity::ByDefault,
        });
        c.sequence = Some(seq.id);
        Ok(())
    }
}
