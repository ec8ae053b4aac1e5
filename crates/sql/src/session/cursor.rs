//! Cursors: `DECLARE ... CURSOR`, `FETCH`, `MOVE`, `CLOSE`.
//!
//! A cursor's query runs when it is declared and its rows are kept in the session. That
//! is what PostgreSQL's cursors show anyway (the snapshot of the DECLARE), so results
//! match. The rows stay in memory up to `work_mem` and move to a temporary file past
//! it ([`KeptRows`], PostgreSQL's tuplestore): a client reading a large result a few
//! rows at a time holds one block of it in memory. The cost against a suspended
//! executor is the time to run the whole query at DECLARE.
//!
//! Positions follow PostgreSQL: 0 is before the first row, `1..=n` are the rows and
//! `n + 1` is after the last one. A cursor lives until `CLOSE` or the end of the
//! transaction that declared it; `WITH HOLD` cursors survive that transaction's commit
//! (and die with its rollback). Backward moves are refused only for `NO SCROLL` cursors,
//! since the kept rows make every cursor scrollable, and for cursors with a locking
//! clause, which PostgreSQL cannot scroll back either.
//!
//! # WHERE CURRENT OF
//!
//! A cursor over a simply updatable scan (one table, no join, grouping, DISTINCT or
//! window; see `Binder::carry_row_keys`) keeps each row's primary key bytes after the
//! columns FETCH returns; with `FOR UPDATE / FOR SHARE` it keeps the keys of the tables
//! the clause locks (PostgreSQL's row marks), joins included. `UPDATE / DELETE ...
//! WHERE CURRENT OF` changes the row of its table whose key the current row holds, with
//! PostgreSQL's errors when there is none. The kept rows are insensitive: an UPDATE
//! through the cursor changes the table, not what the cursor returns; the key stays, so
//! the row can be updated again (unless its primary key changed) and a deleted row is
//! simply not found again.

use std::collections::HashMap;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::statement::Bound;
use super::{Column, QueryResult, Session, StatementResult};
use crate::binder::partition::UpdatePartition;
use crate::binder::{Binder, BoundDelete, BoundUpdate, CursorKeys};
use crate::catalog::TableDef;
use crate::exec::kept_rows::KeptRows;
use crate::expr::CursorInfo;
use crate::parser::cursor::{Count, CursorMove, Direction};
use crate::parser::{ident_name, Statement};
use crate::planner::PlannedQuery;

/// One open cursor.
#[derive(Debug)]
pub(super) struct Cursor {
    columns: Vec<Column>,
    /// The rows: `columns`, then one key column per table of `keys`; in memory up to
    /// `work_mem`, then in a temporary file.
    rows: KeptRows,
    /// The tables whose row keys `rows` carry (`None`: none, no `WHERE CURRENT OF`).
    keys: Option<CursorKeys>,
    /// 0 = before the first row, `rows.len() + 1` = after the last.
    pos: usize,
    /// Declared `NO SCROLL`.
    no_scroll: bool,
    /// Declared `WITH HOLD`.
    hold: bool,
    /// The transaction (session-local sequence number) that declared it; `None` once a
    /// holdable cursor's transaction committed.
    block: Option<u64>,
    /// The DECLARE statement's text.
    statement: String,
    /// When it was declared (microseconds since 2000-01-01 UTC).
    created: i64,
    /// The order it was opened in (see [`CursorAccess::mark`]).
    serial: u64,
}

/// The session's cursors by name.
///
/// Behind a lock so that routines (which see the session only through shared
/// references while a statement runs) can open, fetch from and close cursors too: a
/// PL/pgSQL `OPEN` makes a cursor that a later `FETCH` in SQL reads.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    inner: parking_lot::Mutex<Store>,
}

#[derive(Debug, Default)]
struct Store {
    open: HashMap<String, Cursor>,
    /// The number of the last generated `<unnamed portal N>` name.
    unnamed: u64,
    /// The number of cursors opened so far (numbers them in [`Cursor::serial`]).
    opened: u64,
}

impl Cursors {
    /// The declaring transaction `block` committed: its holdable cursors stay open.
    pub(super) fn committed(&self, block: u64) {
        for c in self.inner.lock().open.values_mut() {
            if c.hold && c.block == Some(block) {
                c.block = None;
            }
        }
    }

    /// Drops cursors whose transaction is over (`live` is the running transaction).
    pub(super) fn expire(&self, live: Option<u64>) {
        self.inner.lock().open.retain(|_, c| c.block.is_none() || c.block == live);
    }

    /// Closes every cursor (`CLOSE ALL`, `DISCARD ALL`).
    pub(super) fn clear(&self) {
        self.inner.lock().open.clear();
    }

    /// The primary key bytes of the row of `table` the cursor `name` is on, for `WHERE
    /// CURRENT OF` (`None`: the current row has none, e.g. the NULL side of an outer
    /// join). Errors as PostgreSQL's: 34000 for no such cursor, 24000 for a cursor held
    /// from an earlier transaction, not over `table` or not on a row.
    fn current_key(&self, name: &str, table: &TableDef) -> Result<Option<Vec<u8>>> {
        let mut store = self.inner.lock();
        let cursor = store.open.get_mut(name).ok_or_else(|| no_cursor(name))?;
        let state = |msg: String| Error::new(SqlState::INVALID_CURSOR_STATE, msg);
        if cursor.block.is_none() {
            return Err(state(format!("cursor \"{name}\" is held from a previous transaction")));
        }
        let t = &table.name;
        let matching: Vec<usize> = match &cursor.keys {
            Some(k) => (k.tables.iter().enumerate())
                .filter(|(_, target)| target.table == table.id)
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        let column = match (cursor.keys.as_ref().is_some_and(|k| k.locked), matching.as_slice()) {
            (true, []) => {
                return Err(state(format!(
                    "cursor \"{name}\" does not have a FOR UPDATE/SHARE reference to table \"{t}\""
                )))
            }
            (true, [_, _, ..]) => {
                return Err(state(format!(
                    "cursor \"{name}\" has multiple FOR UPDATE/SHARE references to table \"{t}\""
                )))
            }
            (_, [i]) => *i,
            (false, _) => {
                return Err(state(format!(
                    "cursor \"{name}\" is not a simply updatable scan of table \"{t}\""
                )))
            }
        };
        if cursor.pos == 0 || cursor.pos > cursor.rows.len() {
            return Err(state(format!("cursor \"{name}\" is not positioned on a row")));
        }
        let full_key = cursor.keys.as_ref().is_some_and(|k| k.tables[column].full_key);
        if full_key {
            return Err(Error::unsupported("WHERE CURRENT OF on a partitioned table"));
        }
        let mut row = cursor.rows.get(cursor.pos - 1)?;
        match row.get_mut(cursor.columns.len() + column) {
            Some(Value::Bytea(key)) => Ok(Some(std::mem::take(key))),
            Some(Value::Null) => Ok(None),
            _ => Err(Error::internal("cursor row without its key")),
        }
    }

    /// The result columns a `FETCH` on `name` returns (for Describe).
    pub(super) fn columns(&self, name: &str) -> Option<Vec<Column>> {
        self.inner.lock().open.get(name).map(|c| c.columns.clone())
    }

    /// The cursors still open while transaction `live` runs, for `pg_cursors`.
    pub(super) fn infos(&self, live: Option<u64>) -> Vec<CursorInfo> {
        let store = self.inner.lock();
        if store.open.is_empty() {
            // The usual case, once per statement: no iteration, no sort.
            return Vec::new();
        }
        let mut out: Vec<CursorInfo> = store
            .open
            .iter()
            .filter(|(_, c)| c.block.is_none() || c.block == live)
            .map(|(name, c)| CursorInfo {
                name: name.clone(),
                statement: c.statement.clone(),
                holdable: c.hold,
                scrollable: !c.no_scroll,
                created: c.created,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Adds `cursor` under `name`; 42P03 when one of that name is open (`what` words
    /// the error: `exists` for DECLARE, `in use` for a PL/pgSQL OPEN).
    fn insert(&self, name: String, mut cursor: Cursor, what: &str) -> Result<()> {
        let mut store = self.inner.lock();
        if store.open.contains_key(&name) {
            return Err(Error::new(
                SqlState::from_code("42P03"),
                format!("cursor \"{name}\" already {what}"),
            ));
        }
        store.opened += 1;
        cursor.serial = store.opened;
        store.open.insert(name, cursor);
        Ok(())
    }

    /// Closes `name`; 34000 when no such cursor is open.
    fn close(&self, name: &str) -> Result<()> {
        match self.inner.lock().open.remove(name) {
            Some(_) => Ok(()),
            None => Err(no_cursor(name)),
        }
    }

    /// Runs a FETCH or MOVE on cursor `m.name`: the cursor's columns and the rows
    /// passed over (rows are returned only for FETCH; the count holds for both).
    fn step(&self, m: &CursorMove) -> Result<(Vec<Column>, Vec<Vec<Value>>, usize)> {
        let mut store = self.inner.lock();
        let cursor = store.open.get_mut(&m.name).ok_or_else(|| no_cursor(&m.name))?;
        let backward = cursor.reads_backward(m.direction, m.is_move);
        if backward && cursor.no_scroll {
            return Err(Error::new(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "cursor can only scan forward",
            )
            .with_hint("Declare it with SCROLL option to enable backward scan."));
        }
        let picked = cursor.step(m.direction);
        let count = picked.len();
        let width = cursor.columns.len();
        let rows = if m.is_move {
            Vec::new()
        } else {
            let row = |i| {
                let mut row = cursor.rows.get(i)?;
                row.truncate(width);
                Ok(row)
            };
            picked.into_iter().map(row).collect::<Result<_>>()?
        };
        Ok((cursor.columns.clone(), rows, count))
    }
}

/// What a routine running in the session may do with its cursors: PL/pgSQL's `OPEN`,
/// `FETCH`, `MOVE` and `CLOSE` work on the same cursors as the SQL commands.
#[derive(Debug, Clone, Copy)]
pub struct CursorAccess<'a> {
    store: &'a Cursors,
    /// The running transaction (cursors opened now close with it).
    block: Option<u64>,
    /// The transaction's start time (`pg_cursors.creation_time`).
    now: i64,
}

impl<'a> CursorAccess<'a> {
    /// Access to `store` for routines running in transaction `block` (started `now`).
    pub(super) fn new(store: &'a Cursors, block: Option<u64>, now: i64) -> CursorAccess<'a> {
        CursorAccess { store, block, now }
    }

    /// Opens a cursor over `rows` (already computed). `name` is the portal name to use;
    /// `None` generates `<unnamed portal N>`. Returns the name; 42P03 when a cursor of
    /// that name is open.
    pub fn open(
        &self,
        name: Option<&str>,
        columns: Vec<Column>,
        rows: Vec<Vec<Value>>,
        no_scroll: bool,
        statement: String,
    ) -> Result<String> {
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let mut store = self.store.inner.lock();
                loop {
                    store.unnamed += 1;
                    let n = format!("<unnamed portal {}>", store.unnamed);
                    if !store.open.contains_key(&n) {
                        break n;
                    }
                }
            }
        };
        let cursor = Cursor {
            columns,
            rows: KeptRows::from_rows(rows),
            keys: None,
            pos: 0,
            no_scroll,
            hold: false,
            block: self.block,
            statement,
            created: self.now,
            serial: 0,
        };
        self.store.insert(name.clone(), cursor, "in use")?;
        Ok(name)
    }

    /// Uses up the number of the next `<unnamed portal N>`: PostgreSQL runs a PL/pgSQL
    /// `FOR ... IN query` loop on an unnamed portal, which takes a number, and clients
    /// may see the numbers of the names generated after it.
    pub fn skip_unnamed(&self) {
        self.store.inner.lock().unnamed += 1;
    }

    /// A mark of the cursors open now, for [`CursorAccess::close_since`].
    pub fn mark(&self) -> u64 {
        self.store.inner.lock().opened
    }

    /// Closes the cursors opened after `mark` (a PL/pgSQL block whose error was caught
    /// undoes its subtransaction, and with it the cursors it opened).
    pub fn close_since(&self, mark: u64) {
        self.store.inner.lock().open.retain(|_, c| c.serial <= mark);
    }

    /// Whether a cursor named `name` is open.
    pub fn is_open(&self, name: &str) -> bool {
        self.store.inner.lock().open.contains_key(name)
    }

    /// FETCH / MOVE: the columns, the rows fetched and how many rows were passed over;
    /// 34000 when the cursor is not open, 55000 when a NO SCROLL cursor moves back.
    pub fn step(&self, m: &CursorMove) -> Result<(Vec<Column>, Vec<Vec<Value>>, usize)> {
        self.store.step(m)
    }

    /// CLOSE: 34000 when the cursor is not open.
    pub fn close(&self, name: &str) -> Result<()> {
        self.store.close(name)
    }
}

impl Session {
    /// The number of the running storage transaction, if any.
    pub(super) fn live_block(&self) -> Option<u64> {
        self.txn.as_ref().map(|_| self.block_seq)
    }

    /// `DECLARE name [NO] SCROLL CURSOR [WITH[OUT] HOLD] FOR query` (before a transaction
    /// exists: checks that one may be started for it).
    pub(super) fn check_declare(&self, stmt: &ast::Statement) -> Result<()> {
        let ast::Statement::Declare { stmts, .. } = stmt else { return Ok(()) };
        let hold = stmts.first().and_then(|d| d.hold).unwrap_or(false);
        if !hold && !matches!(self.mode, super::Mode::Explicit | super::Mode::Failed) {
            return Err(Error::new(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "DECLARE CURSOR can only be used in transaction blocks",
            ));
        }
        Ok(())
    }

    /// Runs DECLARE / CLOSE / FETCH / MOVE inside the current transaction; `None` for
    /// other statements.
    pub(super) fn cursor_statement(
        &mut self,
        stmt: &Statement,
        params: &[Value],
    ) -> Result<Option<StatementResult>> {
        self.cursors.expire(self.live_block());
        match stmt {
            Statement::Cursor(m) => self.fetch(m).map(Some),
            // Catalog changes restart on a fresh snapshot after meeting a concurrent one
            // (a DO block's statements take their own snapshots instead).
            Statement::AlterSequence(a) => self.restarting(|s| s.alter_sequence(a)).map(Some),
            Statement::Domain(d) => match d.as_ref() {
                crate::parser::alter_domain::DomainStatement::Create(c) => {
                    self.restarting(|s| s.create_domain(c)).map(Some)
                }
                crate::parser::alter_domain::DomainStatement::Alter(a) => {
                    self.restarting(|s| s.alter_domain(a)).map(Some)
                }
            },
            Statement::Routine(r) => match r.as_ref() {
                crate::parser::routine::RoutineStatement::Do { .. } => {
                    self.routine_statement(r).map(Some)
                }
                _ => self.restarting(|s| s.routine_statement(r)).map(Some),
            },
            Statement::Reindex(r) => self.restarting(|s| s.reindex(r)).map(Some),
            Statement::Constraints(c) => self.constraint_statement(c).map(Some),
            Statement::Sql(s) => match s.as_ref() {
                ast::Statement::Declare { stmts, .. } => {
                    let text = s.to_string();
                    self.declare(stmts, text, params).map(Some)
                }
                ast::Statement::Close { cursor } => {
                    match cursor {
                        ast::CloseCursor::All => self.cursors.clear(),
                        ast::CloseCursor::Specific { name } => {
                            self.cursors.close(&ident_name(name))?;
                        }
                    }
                    Ok(Some(StatementResult::command("CLOSE CURSOR")))
                }
                _ => Ok(None),
            },
            Statement::Helios(_) => Ok(None),
        }
    }

    fn declare(
        &mut self,
        stmts: &[ast::Declare],
        statement: String,
        params: &[Value],
    ) -> Result<StatementResult> {
        let [d] = stmts else {
            return Err(Error::unsupported("DECLARE of several names"));
        };
        let (Some(ast::DeclareType::Cursor), Some(query), [name]) =
            (&d.declare_type, &d.for_query, d.names.as_slice())
        else {
            return Err(Error::unsupported("DECLARE other than DECLARE ... CURSOR FOR query"));
        };
        if d.binary == Some(true) {
            return Err(Error::unsupported("BINARY cursors"));
        }
        let name = ident_name(name);
        if self.cursors.columns(&name).is_some() {
            return Err(Error::new(
                SqlState::from_code("42P03"),
                format!("cursor \"{name}\" already exists"),
            ));
        }
        let locked = !query.locks.is_empty();
        if locked && d.scroll == Some(true) {
            let clause = query.locks.first().map_or("FOR UPDATE", |l| match l.lock_type {
                ast::LockType::Update => "FOR UPDATE",
                ast::LockType::Share => "FOR SHARE",
            });
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("DECLARE SCROLL CURSOR ... {clause} is not supported"),
            )
            .with_detail("Scrollable cursors must be READ ONLY."));
        }
        let (columns, rows, keys) = self.run_cursor_query(query, params)?;
        let cursor = Cursor {
            columns,
            rows,
            keys,
            pos: 0,
            no_scroll: d.scroll == Some(false) || locked,
            hold: d.hold == Some(true),
            block: self.live_block(),
            statement,
            created: self.txn_now,
            serial: 0,
        };
        self.cursors.insert(name, cursor, "exists")?;
        Ok(StatementResult::command("DECLARE CURSOR"))
    }

    /// Runs a cursor's query: its result and, when it is a simply updatable scan or
    /// has a locking clause, the tables whose row keys its rows carry after the columns.
    fn run_cursor_query(
        &mut self,
        query: &ast::Query,
        params: &[Value],
    ) -> Result<(Vec<Column>, KeptRows, Option<CursorKeys>)> {
        if super::writable_cte::has_dml_cte(query) {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "DECLARE CURSOR must not contain data-modifying statements in WITH",
            ));
        }
        let catalog = self.txn_catalog()?;
        let info = self.info_shared();
        let mut binder = Binder::new(&catalog, &info, Vec::new());
        let planned = binder.want_tableoid_for(query).carry_row_keys().bind_top_query(query)?;
        let keys = binder.cursor_keys();
        let locks = binder.locks_rows();
        let types: Vec<DataType> = binder
            .params
            .iter()
            .map(|t| if *t == DataType::Unknown { DataType::Text } else { t.clone() })
            .collect();
        if params.len() < types.len() {
            return Err(Error::new(SqlState::UNDEFINED_PARAMETER, "there is no parameter $1"));
        }
        let params = super::statement::coerce_params(params, &types)?;
        let query = crate::optimizer::optimize(planned, &catalog);
        let fields = query.plan.schema();
        let columns: Vec<Column> = fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| Column { name: f.name.clone(), data_type: f.data_type.clone() })
            .collect();
        let width = columns.len();
        let key_count = keys.as_ref().map_or(0, |k| k.tables.len());
        // The keys are the trailing hidden columns; anything else hidden is dropped.
        let keep = width + key_count;
        let mut with_keys = true;
        let mut kept = self.kept_rows(&info);
        let mut push = |row: &[Value]| {
            with_keys &= row.len() >= keep;
            let mut row = row.to_vec();
            if row.len() > keep {
                let tail = row.split_off(row.len() - key_count);
                row.truncate(width);
                row.extend(tail);
            }
            kept.push(row)
        };
        let bound = Bound::Query { query: Box::new(query), columns: columns.clone(), locks };
        self.executing = true;
        match &bound {
            Bound::Query { query, locks: false, .. }
                if !self.writes_through_calls(query, &catalog) =>
            {
                self.stream_query(query, &columns, &params, &catalog, &info, &mut |_, row| {
                    push(row).map(|()| true)
                })?;
            }
            _ => {
                let StatementResult::Rows(result) =
                    self.execute_bound(&bound, &params, &catalog, &info)?
                else {
                    return Err(Error::internal("cursor query returned no rows"));
                };
                result.rows.iter().try_for_each(|r| push(r))?;
            }
        }
        // Rows without their keys (none of them can be updated through the cursor) keep
        // them only when every row has them.
        Ok((columns, kept, keys.filter(|_| with_keys)))
    }

    /// Narrows an `UPDATE ... WHERE CURRENT OF` to the row the cursor is on.
    pub(super) fn narrow_update(&self, upd: &BoundUpdate, cursor: &str) -> Result<BoundUpdate> {
        let partitioned = matches!(upd.partition.as_deref(), Some(UpdatePartition::Parent { .. }));
        let source = self.cursor_row(&upd.table, &upd.source, cursor, partitioned)?;
        Ok(BoundUpdate { source, current_of: None, ..upd.clone() })
    }

    /// Narrows a `DELETE ... WHERE CURRENT OF` to the row the cursor is on.
    pub(super) fn narrow_delete(&self, del: &BoundDelete, cursor: &str) -> Result<BoundDelete> {
        let source = self.cursor_row(&del.table, &del.source, cursor, del.partition.is_some())?;
        Ok(BoundDelete { source, current_of: None, ..del.clone() })
    }

    /// The `source` of a DML statement on `table` narrowed to the row `cursor` is on.
    fn cursor_row(
        &self,
        table: &TableDef,
        source: &PlannedQuery,
        cursor: &str,
        partitioned: bool,
    ) -> Result<PlannedQuery> {
        if partitioned {
            return Err(Error::unsupported("WHERE CURRENT OF on a partitioned table"));
        }
        self.cursors.expire(self.live_block());
        let key = self.cursors.current_key(cursor, table)?;
        Ok(crate::binder::current_of::at_row(source, table, key))
    }

    fn fetch(&mut self, m: &CursorMove) -> Result<StatementResult> {
        let (columns, rows, count) = self.cursors.step(m)?;
        if m.is_move {
            return Ok(StatementResult::Command {
                tag: format!("MOVE {count}").into(),
                rows_affected: count as u64,
            });
        }
        Ok(StatementResult::Rows(QueryResult { columns, tag: format!("FETCH {count}"), rows }))
    }

    /// The way routines of the running statement reach the session's cursors.
    pub(crate) fn cursor_access(&self) -> CursorAccess<'_> {
        CursorAccess::new(&self.cursors, self.live_block(), self.txn_now)
    }

    /// The columns a `FETCH` on cursor `name` returns, if it is open (Describe Portal
    /// on a cursor's name).
    pub fn cursor_columns(&mut self, name: &str) -> Option<Vec<Column>> {
        self.cursors.expire(self.live_block());
        self.cursors.columns(name)
    }

    /// The columns a prepared `FETCH` returns (none for MOVE or an unknown cursor).
    pub(super) fn fetch_columns(&self, m: &CursorMove) -> Vec<Column> {
        if m.is_move {
            return Vec::new();
        }
        self.cursors.columns(&m.name).unwrap_or_default()
    }
}

impl Cursor {
    /// Whether PostgreSQL's executor would read backward (or rewind) to move as
    /// `direction` says, which a NO SCROLL cursor refuses: re-fetching the current row
    /// (a count of 0) backs up one row, and FETCH ABSOLUTE rewinds when its row is
    /// nearer the start than the current one, or lies behind it.
    fn reads_backward(&self, direction: Direction, is_move: bool) -> bool {
        let n = self.rows.len();
        let on_row = (1..=n).contains(&self.pos);
        // PostgreSQL's portal position: rows read so far, and whether it ran off the end.
        let (at_start, at_end) = (self.pos == 0, self.pos > n);
        let portal_pos = self.pos.min(n);
        match direction {
            Direction::Forward(Count::Rows(0))
            | Direction::Backward(Count::Rows(0))
            | Direction::Relative(0) => !is_move && on_row,
            Direction::Backward(_) => true,
            Direction::Relative(k) => k < 0,
            Direction::Forward(_) => false,
            Direction::Absolute(k) if k > 0 => {
                let k = usize::try_from(k).unwrap_or(usize::MAX);
                let rewinds = k - 1 <= portal_pos / 2;
                let back = k <= portal_pos + usize::from(at_end);
                !at_start && (rewinds || back)
            }
            Direction::Absolute(0) => !at_start,
            Direction::Absolute(_) => true,
        }
    }

    /// Moves as `direction` says; returns the indexes (into `rows`) of the rows passed
    /// over, in the order a FETCH returns them.
    fn step(&mut self, direction: Direction) -> Vec<usize> {
        let n = self.rows.len();
        let mut out = Vec::new();
        match direction {
            Direction::Forward(count) => {
                if count == Count::Rows(0) {
                    return self.step(Direction::Relative(0));
                }
                let mut left = limit(count);
                while left > 0 && self.pos <= n {
                    self.pos += 1;
                    if self.pos <= n {
                        out.push(self.pos - 1);
                        left -= 1;
                    }
                }
            }
            Direction::Backward(count) => {
                if count == Count::Rows(0) {
                    return self.step(Direction::Relative(0));
                }
                let mut left = limit(count);
                while left > 0 && self.pos > 0 {
                    self.pos -= 1;
                    if self.pos >= 1 {
                        out.push(self.pos - 1);
                        left -= 1;
                    }
                }
            }
            Direction::Absolute(k) => {
                let target = if k >= 0 {
                    usize::try_from(k).unwrap_or(usize::MAX).min(n + 1)
                } else {
                    // -1 is the last row; before the first one clamps to 0.
                    n.saturating_add(1).saturating_sub(usize::try_from(-k).unwrap_or(usize::MAX))
                };
                self.pos = target;
                if (1..=n).contains(&self.pos) {
                    out.push(self.pos - 1);
                }
            }
            Direction::Relative(k) => {
                let target = if k >= 0 {
                    self.pos.saturating_add(usize::try_from(k).unwrap_or(usize::MAX)).min(n + 1)
                } else {
                    self.pos.saturating_sub(usize::try_from(-k).unwrap_or(usize::MAX))
                };
                self.pos = target;
                if (1..=n).contains(&self.pos) {
                    out.push(self.pos - 1);
                }
            }
        }
        out
    }
}

fn limit(count: Count) -> usize {
    match count {
        Count::All => usize::MAX,
        Count::Rows(k) => usize::try_from(k).unwrap_or(0),
    }
}

fn no_cursor(name: &str) -> Error {
    Error::new(SqlState::INVALID_CURSOR_NAME, format!("cursor \"{name}\" does not exist"))
}
