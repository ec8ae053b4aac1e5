//! The cursor statements of PL/pgSQL: `OPEN`, `FETCH`, `MOVE`, `CLOSE` and
//! `FOR record IN cursor LOOP`.
//!
//! A cursor variable holds a portal name (a `refcursor` value); the cursors themselves
//! are the session's (see [`crate::session::CursorAccess`]), so a cursor opened in a
//! function can be read by `FETCH` in SQL later in the transaction, and one declared
//! in SQL can be read by a function given its name. As there, `OPEN` runs the query
//! and keeps its rows.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use super::{Flow, Interp, Slot};
use crate::exec::Row;
use crate::parser::cursor::{Count, CursorMove, Direction};
use crate::routine::host::Outcome;
use crate::routine::plpgsql::ast::{
    CursorDecl, FetchDirection, Into, QuerySource, Sql, Statement, Target,
};
use crate::routine::runtime::cast_to;
use crate::session::Column;

/// What an `OPEN` (or a FOR loop over a cursor) runs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Open<'a> {
    /// The bound cursor's query, with its arguments.
    Bound(Option<&'a Sql>),
    /// `[[NO] SCROLL] FOR query`.
    Query(Option<bool>, &'a QuerySource),
}

fn not_a_cursor(name: &str) -> Error {
    Error::new(
        SqlState::DATATYPE_MISMATCH,
        format!("variable \"{name}\" must be of type cursor or refcursor"),
    )
}

/// 42P11 unless `stmt` returns rows.
fn check_cursor_query(stmt: &sqlparser::ast::Statement) -> Result<()> {
    if matches!(stmt, sqlparser::ast::Statement::Query(_)) {
        return Ok(());
    }
    let text = stmt.to_string();
    let kind = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    Err(Error::new(SqlState::from_code("42P11"), format!("cannot open {kind} query as cursor")))
}

impl Interp<'_> {
    fn cursor_var(&self, name: &str) -> Result<usize> {
        self.find(name).ok_or_else(|| {
            Error::new(SqlState::SYNTAX_ERROR, format!("\"{name}\" is not a known variable"))
        })
    }

    /// The portal name cursor variable `name` holds (`None` when it is NULL).
    fn portal_of(&self, name: &str) -> Result<Option<String>> {
        match &self.vars[self.cursor_var(name)?].slot {
            Slot::Scalar(_, Value::Null) => Ok(None),
            Slot::Scalar(_, v) => Ok(Some(v.to_pg_text())),
            Slot::Record(..) => Err(not_a_cursor(name)),
        }
    }

    /// The portal name cursor variable `name` holds; 22004 when it is NULL.
    pub(super) fn portal_name(&self, name: &str) -> Result<String> {
        self.portal_of(name)?.ok_or_else(|| {
            Error::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                format!("cursor variable \"{name}\" is null"),
            )
        })
    }

    /// `OPEN`: runs the query and opens a session cursor on its rows under the portal
    /// name the variable holds, or a generated `<unnamed portal N>` (then assigned to
    /// the variable) when it is NULL. Returns the name and whether it was generated.
    pub(super) fn open_cursor(&mut self, cursor: &str, source: Open<'_>) -> Result<(String, bool)> {
        let i = self.cursor_var(cursor)?;
        let current = self.portal_of(cursor)?;
        match &current {
            Some(name) if self.host.cursors()?.is_open(name) => {
                return Err(Error::new(
                    SqlState::from_code("42P03"),
                    format!("cursor \"{name}\" already in use"),
                ));
            }
            None if self.vars[i].constant => {
                return Err(Error::new(
                    SqlState::from_code("22005"),
                    format!("variable \"{cursor}\" is declared CONSTANT"),
                ));
            }
            _ => {}
        }
        let (out, scroll, text) = match source {
            Open::Bound(args) => {
                let decl = self.vars[i].cursor.clone().ok_or_else(|| {
                    Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("cursor \"{cursor}\" has no query bound to it"),
                    )
                })?;
                let out = self.bound_rows(&decl, args)?;
                (out, decl.scroll, decl.query.text.clone())
            }
            Open::Query(scroll, src) => {
                let (out, text) = self.cursor_query(src)?;
                (out, scroll, text)
            }
        };
        let columns =
            out.columns.into_iter().map(|(name, data_type)| Column { name, data_type }).collect();
        let name = self.host.cursors()?.open(
            current.as_deref(),
            columns,
            out.rows,
            scroll == Some(false),
            text.trim().to_string(),
        )?;
        if current.is_none() {
            if let Slot::Scalar(_, v) = &mut self.vars[i].slot {
                *v = Value::Text(name.clone());
            }
        }
        Ok((name, current.is_none()))
    }

    /// The rows of a bound cursor's query: its parameters (given `args`, one row of
    /// `expr AS param` values) read like variables while it runs.
    fn bound_rows(&mut self, decl: &CursorDecl, args: Option<&Sql>) -> Result<Outcome> {
        check_cursor_query(&decl.query.stmt)?;
        let values: Row = match args {
            Some(a) => self.run_sql(a)?.rows.into_iter().next().unwrap_or_default(),
            None => Vec::new(),
        };
        let mut slots = Vec::with_capacity(decl.params.len());
        for (k, (name, ty)) in decl.params.iter().enumerate() {
            let v = cast_to(values.get(k).cloned().unwrap_or(Value::Null), ty)?;
            slots.push((name, Slot::Scalar(ty.clone(), v)));
        }
        let mark = self.vars.len();
        for (name, slot) in slots {
            self.push(name, slot);
        }
        let out = self.run_sql(&decl.query);
        self.vars.truncate(mark);
        out
    }

    /// The rows and text of `OPEN ... FOR query` / `FOR EXECUTE text [USING ...]`.
    fn cursor_query(&mut self, src: &QuerySource) -> Result<(Outcome, String)> {
        match src {
            QuerySource::Static(sql) => {
                check_cursor_query(&sql.stmt)?;
                Ok((self.run_sql(sql)?, sql.text.clone()))
            }
            QuerySource::Dynamic { expr, using } => {
                let text = self.query_text(expr)?;
                check_cursor_query(&super::super::parse::stmt_sql(&text)?.stmt)?;
                Ok((self.dynamic(&text, using)?, text))
            }
        }
    }

    /// `FETCH ... INTO` / `MOVE`: sets FOUND and ROW_COUNT (rows fetched or passed
    /// over), and the targets (NULLs when there was no row).
    pub(super) fn fetch(
        &mut self,
        cursor: &str,
        direction: &FetchDirection,
        into: &Option<Into>,
    ) -> Result<()> {
        let name = self.portal_name(cursor)?;
        let direction = self.direction(direction)?;
        let m = CursorMove { name, direction, is_move: into.is_none() };
        let (columns, rows, count) = self.host.cursors()?.step(&m)?;
        self.row_count = count as u64;
        self.set_found(count > 0);
        if let Some(into) = into {
            let columns: Vec<(String, DataType)> =
                columns.into_iter().map(|c| (c.name, c.data_type)).collect();
            self.assign_row(&into.targets, &columns, rows.into_iter().next())?;
        }
        Ok(())
    }

    fn direction(&mut self, d: &FetchDirection) -> Result<Direction> {
        let count = |me: &mut Self, e: &Sql| -> Result<i64> {
            let v = me.eval(e)?;
            match cast_to(v, &DataType::Int8)? {
                Value::Int8(n) => Ok(n),
                _ => Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "relative or absolute cursor position is null",
                )),
            }
        };
        let rows = |n: i64, forward: bool| {
            if (n >= 0) == forward {
                Direction::Forward(Count::Rows(n.abs()))
            } else {
                Direction::Backward(Count::Rows(n.abs()))
            }
        };
        Ok(match d {
            FetchDirection::Fixed(d) => *d,
            FetchDirection::Absolute(e) => Direction::Absolute(count(self, e)?),
            FetchDirection::Relative(e) => Direction::Relative(count(self, e)?),
            FetchDirection::Forward(e) => rows(count(self, e)?, true),
            FetchDirection::Backward(e) => rows(count(self, e)?, false),
        })
    }

    /// `FOR target IN cursor [(args)] LOOP`: opens the bound cursor, runs the body for
    /// each row and closes it however the loop ends (a generated portal name is reset
    /// to NULL, as in PostgreSQL).
    pub(super) fn for_cursor(
        &mut self,
        label: &Option<String>,
        target: &Target,
        cursor: &str,
        args: Option<&Sql>,
        body: &[Statement],
    ) -> Result<Flow> {
        let (name, generated) = self.open_cursor(cursor, Open::Bound(args))?;
        let mark = self.vars.len();
        if target.field.is_none() && self.find(&target.name).is_none() {
            self.push(&target.name, Slot::Record(None, None));
        }
        let next = CursorMove {
            name: name.clone(),
            direction: Direction::Forward(Count::Rows(1)),
            is_move: false,
        };
        let mut ran = false;
        let r = loop {
            let (columns, mut rows, _) = match self.host.cursors().and_then(|c| c.step(&next)) {
                Ok(step) => step,
                Err(e) => break Err(e),
            };
            let Some(row) = rows.pop() else { break Ok(Flow::Normal) };
            ran = true;
            let columns: Vec<(String, DataType)> =
                columns.into_iter().map(|c| (c.name, c.data_type)).collect();
            if let Err(e) = self.assign_row(std::slice::from_ref(target), &columns, Some(row)) {
                break Err(e);
            }
            match self.loop_body(label, body) {
                Ok(Some(flow)) => break Ok(flow),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
        };
        self.vars.truncate(mark);
        // The body may have closed it already; that is not an error of the loop's end.
        let _ = self.host.cursors().and_then(|c| c.close(&name));
        if generated {
            if let Ok(i) = self.cursor_var(cursor) {
                if let Slot::Scalar(_, v) = &mut self.vars[i].slot {
                    *v = Value::Null;
                }
            }
        }
        let flow = r?;
        self.set_found(ran);
        Ok(flow)
    }
}
