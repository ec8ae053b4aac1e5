//! The seam between expressions and the rest of the engine.
//!
//! - [`ExprScope`] is what the binder of statements (sql-core) offers while an
//!   expression is bound: column names, subqueries, parameter types, session facts.
//! - [`EvalContext`] is what the executor offers while an expression is evaluated:
//!   parameter values, subquery results, the statement's clock and session settings.

use std::collections::BTreeMap;

use helios_common::{Error, Result};
use helios_types::{DataType, TimeZone, Value};
use sqlparser::ast;

use crate::expr::node::{Expr, SubqueryId, SubqueryKind};

/// Facts about the session that expressions may read (system functions, time zone).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInfo {
    /// The role the session runs as (`current_user`).
    pub current_user: String,
    /// The role that logged in (`session_user`).
    pub session_user: String,
    /// The database name (`current_database()`).
    pub database: String,
    /// Schemas searched for unqualified names, in order (`current_schemas`).
    pub search_path: Vec<String>,
    /// The session's `TimeZone` setting (IANA name or offset); the first version
    /// evaluates time zones as UTC unless this is a fixed offset.
    pub timezone: String,
    /// Current values of run-time settings, keyed by lowercase name
    /// (`current_setting`, `SHOW`).
    pub settings: BTreeMap<String, String>,
    /// The server version string reported by `version()` after "PostgreSQL 15.0 ".
    pub server_version_detail: String,
    /// The database and branch, for branch and time-travel functions and clauses
    /// (`None` outside a session, e.g. when folding constants).
    pub helios: Option<crate::session::HeliosCtx>,
    /// The database's HNSW graph caches (for vector index scans and DML).
    pub vectors: crate::exec::vector_index::VectorIndexHandle,
    /// The session's open cursors (the `pg_cursors` view).
    pub cursors: Vec<CursorInfo>,
    /// Where `set_config` leaves its changes for the session to apply after the statement.
    pub setting_changes: SettingChanges,
}

/// The session's time zone carrying its `DateStyle` and `IntervalStyle` (UTC and the
/// defaults where a setting does not parse).
pub fn session_zone(info: &SessionInfo) -> TimeZone {
    let tz = TimeZone::parse(&info.timezone).unwrap_or(TimeZone::UTC);
    let setting = |k: &str| info.settings.get(k).map(String::as_str);
    tz.with_style(helios_types::DateStyle::from_settings(
        setting("datestyle"),
        setting("intervalstyle"),
    ))
}

/// One `set_config(name, value, is_local)` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingChange {
    /// The setting's lowercase name.
    pub name: String,
    /// The new value.
    pub value: String,
    /// Until the end of the transaction only (`SET LOCAL`).
    pub local: bool,
}

/// The settings changes a statement made with `set_config`, shared by the session and the
/// statement's evaluation contexts (the session applies them once the statement is done;
/// until then `current_setting` reads them first).
#[derive(Clone, Debug, Default)]
pub struct SettingChanges(pub std::sync::Arc<parking_lot::Mutex<Vec<SettingChange>>>);

impl PartialEq for SettingChanges {
    fn eq(&self, other: &SettingChanges) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl SettingChanges {
    /// The value the statement last gave `name`, if it changed it.
    fn get(&self, name: &str) -> Option<String> {
        let changes = self.0.lock();
        changes.iter().rev().find(|c| c.name == name).map(|c| c.value.clone())
    }
}

/// One open cursor as `pg_cursors` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorInfo {
    /// The cursor's name.
    pub name: String,
    /// The DECLARE statement's text.
    pub statement: String,
    /// Declared `WITH HOLD`.
    pub holdable: bool,
    /// Allows backward moves (not declared `NO SCROLL`).
    pub scrollable: bool,
    /// When it was declared (microseconds since 2000-01-01 UTC).
    pub created: i64,
}

impl Default for SessionInfo {
    fn default() -> Self {
        SessionInfo {
            current_user: "postgres".into(),
            session_user: "postgres".into(),
            database: "postgres".into(),
            search_path: vec!["public".into()],
            timezone: "UTC".into(),
            settings: BTreeMap::new(),
            server_version_detail: format!("(HeliosDB Nano {})", env!("CARGO_PKG_VERSION")),
            helios: None,
            vectors: Default::default(),
            cursors: Vec::new(),
            setting_changes: SettingChanges::default(),
        }
    }
}

/// What the statement binder offers to [`crate::expr::bind_expr`].
pub trait ExprScope {
    /// Resolves `[qualifier.]name` to the index of a column of the input row and its
    /// type. `qualifier` is the table name or alias (dotted when schema-qualified).
    /// Errors: 42703 undefined column, 42702 ambiguous column, 42P01 missing FROM entry.
    fn resolve_column(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, DataType)>;

    /// The visible columns of FROM item `qualifier` (index, name, type), for a
    /// whole-row reference; `None` when no FROM item has that name.
    fn whole_row(&self, qualifier: &str) -> Option<Vec<(usize, String, DataType)>> {
        let _ = qualifier;
        None
    }

    /// Whether FROM item `qualifier` stands on the nullable side of an outer join, so
    /// that a row may hold it as all NULLs (its whole-row reference is then NULL).
    fn null_extended(&self, qualifier: &str) -> bool {
        let _ = qualifier;
        false
    }

    /// Binds a subquery used inside an expression and returns its id and the types of
    /// its output columns. The returned id is later passed to
    /// [`EvalContext::subquery`]. Correlated references are the scope's business.
    fn bind_subquery(
        &mut self,
        query: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, Vec<DataType>)>;

    /// The type of parameter `$index+1`. `hint` is the type the context expects when it
    /// knows one (e.g. the other operand of `=`); a scope inferring parameter types
    /// records it. Return `DataType::Unknown` when there is neither a declared type nor
    /// a hint; the binder then treats the parameter like an untyped literal.
    fn param_type(&mut self, index: usize, hint: Option<&DataType>) -> Result<DataType>;

    /// Session facts (user, search path, time zone, settings).
    fn session(&self) -> &SessionInfo;

    /// The schemas unqualified type and function names are looked up in: the
    /// session's, or, inside a view's query, the view's (see
    /// [`crate::catalog::ViewDef::search_path`]).
    fn search_path(&self) -> &[String] {
        &self.session().search_path
    }

    /// The catalog snapshot, where user-defined type names (enums, domains) are found;
    /// `None` where only built-in types can be named.
    fn catalog(&self) -> Option<&crate::catalog::Catalog> {
        None
    }

    /// The user-defined functions named `name` (in `schema`, or along the search
    /// path), nearest schema first. The default knows none.
    fn user_functions(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> Vec<std::sync::Arc<crate::catalog::FunctionDef>> {
        let _ = (schema, name);
        Vec::new()
    }

    /// The width of the current query level's own row (column indexes at or above it
    /// are enclosing queries' columns); `None` when unknown.
    fn local_width(&self) -> Option<usize> {
        None
    }

    /// Notes that the arguments of an aggregate call are being bound (`+1`) or are done
    /// (`-1`); returns how many aggregate calls, at any query level, enclose this point.
    fn aggregate_nesting(&self, delta: i32) -> usize {
        let _ = delta;
        0
    }

    /// Whether aggregate calls are allowed here (false in WHERE, ON, VALUES, ...):
    /// the binder then reports 42803 "aggregate functions are not allowed in WHERE".
    /// `clause` names the clause for the message.
    fn aggregates_allowed(&self) -> std::result::Result<(), &'static str> {
        Ok(())
    }

    /// Where binding stands, taken before an aggregate call's arguments are bound: what
    /// [`ExprScope::outer_aggregate`] undoes when the call moves to another level.
    fn bind_mark(&self) -> BindMark {
        BindMark::default()
    }

    /// Places an aggregate call in the query level it belongs to. By the SQL standard
    /// an aggregate whose arguments (and FILTER) read only enclosing queries' columns is
    /// an aggregate of the innermost of those queries, not of the query it is written
    /// in. `call` is `f` bound here, `mark` the [`ExprScope::bind_mark`] before its
    /// arguments were bound. Returns `None` when the call belongs here, else
    /// what reads its value from the enclosing query's row. The default keeps every call
    /// where it is written.
    fn outer_aggregate(
        &mut self,
        f: &ast::Function,
        call: &crate::expr::AggregateCall,
        mark: BindMark,
    ) -> Result<Option<Expr>> {
        let _ = (f, call, mark);
        Ok(None)
    }
}

/// Where a binder stood at some point (see [`ExprScope::bind_mark`]): how many
/// subqueries were bound, and per enclosing level whether its row was read and how many
/// reads of it were noted.
#[derive(Clone, Debug, Default)]
pub struct BindMark {
    /// Subqueries bound so far.
    pub subqueries: usize,
    /// Per enclosing level: read at all, number of reads noted.
    pub outer_reads: Vec<(bool, usize)>,
}

/// The rows a subquery produced for one evaluation (shared with the executor's cache
/// of uncorrelated subqueries, not copied per evaluation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubqueryResult {
    /// The rows; for `SubqueryKind::Exists` the executor may return just one row.
    pub rows: std::rc::Rc<Vec<Vec<Value>>>,
}

/// What a hash of a subquery's rows says about `left = ANY (subquery)`.
#[derive(Clone, Debug)]
pub struct SubqueryProbe {
    /// The subquery returned no rows.
    pub empty: bool,
    /// A row equal to `left` exists.
    pub found: bool,
    /// The rows holding a NULL (not in the hash): when nothing was found they decide
    /// between FALSE and NULL.
    pub rows_with_nulls: std::rc::Rc<Vec<Vec<Value>>>,
}

/// What the executor offers to [`crate::expr::Expr::eval`].
pub trait EvalContext {
    /// Runs subquery `id` for the current outer row `row` (for correlated subqueries)
    /// and returns its rows.
    fn subquery(&self, id: SubqueryId, row: &[Value]) -> Result<SubqueryResult>;

    /// Looks `left` (no NULLs) up in a hash of subquery `id`'s rows, for `= ANY` and
    /// `<> ALL`; `None` when the context keeps no such hash (correlated subqueries,
    /// values whose types the hash cannot compare), and the caller compares row by row.
    fn subquery_probe(
        &self,
        id: SubqueryId,
        row: &[Value],
        left: &[Value],
    ) -> Result<Option<SubqueryProbe>> {
        let _ = (id, row, left);
        Ok(None)
    }

    /// The value of parameter `$i+1`.
    fn param(&self, i: usize) -> &Value;

    /// The transaction's start time (`now()`, `current_timestamp`): microseconds since
    /// 2000-01-01 00:00:00 UTC.
    fn now(&self) -> i64;

    /// The wall clock for `clock_timestamp()` (same unit as [`EvalContext::now`]).
    fn clock(&self) -> i64 {
        wall_clock_micros()
    }

    /// Session facts.
    fn session(&self) -> &SessionInfo;

    /// The session time zone, for `timestamptz` conversions and date/time functions.
    /// The default parses [`SessionInfo::timezone`] (UTC when it does not parse).
    fn time_zone(&self) -> TimeZone {
        session_zone(self.session())
    }

    /// The current value of a setting (`current_setting`). The default reads
    /// [`SessionInfo::settings`].
    fn setting(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        let session = self.session();
        session.setting_changes.get(&name).or_else(|| session.settings.get(&name).cloned())
    }

    /// The statement's storage transaction, for functions that read the database
    /// (`helios_vector_index_stats`). The default has none.
    fn transaction(&self) -> Option<&helios_storage::Transaction> {
        None
    }

    /// The running statement's cancel flag (set by a cancel request or
    /// `statement_timeout`), for functions that wait. The default has none.
    fn cancel_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
        None
    }

    /// Calls a user-defined function with argument values of its parameter types and
    /// returns its rows (one row of one value for a scalar function). The default
    /// refuses.
    fn call_routine(
        &self,
        func: &std::sync::Arc<crate::catalog::FunctionDef>,
        args: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>> {
        let _ = args;
        Err(Error::unsupported(format!("calling function {} in this context", func.name)))
    }

    /// Changes a setting (`set_config(name, value, is_local)`): the change is recorded for
    /// the session, which applies it when the statement is done. Unknown names without a
    /// dot are 42704, as in PostgreSQL.
    fn set_setting(&self, name: &str, value: &str, is_local: bool) -> Result<()> {
        let name = name.to_ascii_lowercase();
        let session = self.session();
        if !name.contains('.') && !session.settings.contains_key(&name) {
            return Err(Error::new(
                helios_common::SqlState::UNDEFINED_OBJECT,
                format!("unrecognized configuration parameter \"{name}\""),
            ));
        }
        session.setting_changes.0.lock().push(SettingChange {
            name,
            value: value.to_string(),
            local: is_local,
        });
        Ok(())
    }
}

/// Microseconds since 2000-01-01 00:00:00 UTC, read from the system clock.
pub fn wall_clock_micros() -> i64 {
    const PG_EPOCH_OFFSET_SECS: i64 = 946_684_800;
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    since_unix - PG_EPOCH_OFFSET_SECS * 1_000_000
}

/// An [`EvalContext`] for expressions that need no row source: constant folding and
/// tests. Subqueries are an error; parameters are the given values.
#[derive(Debug, Default)]
pub struct SimpleContext {
    /// Parameter values.
    pub params: Vec<Value>,
    /// The session.
    pub session: SessionInfo,
    /// The statement clock; the wall clock when `None`.
    pub now: Option<i64>,
}

impl EvalContext for SimpleContext {
    fn subquery(&self, _id: SubqueryId, _row: &[Value]) -> Result<SubqueryResult> {
        Err(Error::internal("subquery evaluated without an executor"))
    }

    fn param(&self, i: usize) -> &Value {
        self.params.get(i).unwrap_or(&Value::Null)
    }

    fn now(&self) -> i64 {
        self.now.unwrap_or_else(wall_clock_micros)
    }

    fn session(&self) -> &SessionInfo {
        &self.session
    }
}
