//! The PL/pgSQL interpreter: runs a parsed body against a [`StatementHost`].
//!
//! Variables live in one stack (blocks push their declarations and pop them); SQL
//! inside the body sees them as statement parameters (see [`crate::routine::substitute`]).
//! A block with EXCEPTION handlers marks the transaction's writes first and undoes
//! them when a handler catches an error, as PostgreSQL's subtransaction does.

use std::collections::HashMap;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::value::Array;
use helios_types::{DataType, Value};

use super::ast::*;
use crate::catalog::routine_defs::Returns;
use crate::catalog::FunctionDef;
use crate::exec::Row;
use crate::routine::host::{Notice, NoticeLevel, Outcome, StatementHost};
use crate::routine::runtime::{cast_to, shape_result};
use crate::routine::substitute::substitute;

mod cursor;

/// A record variable's value.
#[derive(Debug, Clone)]
struct Rec {
    fields: Vec<(String, DataType)>,
    values: Vec<Value>,
}

#[derive(Debug, Clone)]
enum Slot {
    Scalar(DataType, Value),
    /// A record; `None` until assigned. Declared fields (for `%ROWTYPE`) stay.
    Record(Option<Rec>, Option<Vec<(String, DataType)>>),
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    slot: Slot,
    constant: bool,
    not_null: bool,
    /// `ALIAS FOR`: the position of the variable this name stands for.
    alias_of: Option<usize>,
    /// A bound cursor variable's query.
    cursor: Option<Arc<CursorDecl>>,
}

enum Flow {
    Normal,
    Exit(Option<String>),
    Continue(Option<String>),
    Return,
}

/// The facts a trigger function sees.
#[derive(Debug, Clone)]
pub struct TriggerCall {
    /// TG_NAME.
    pub name: String,
    /// The trigger function's name (for error CONTEXT).
    pub function: String,
    /// TG_WHEN: BEFORE or AFTER.
    pub when: &'static str,
    /// TG_LEVEL: ROW or STATEMENT.
    pub level: &'static str,
    /// TG_OP.
    pub op: &'static str,
    /// TG_TABLE_NAME.
    pub table: String,
    /// TG_TABLE_SCHEMA.
    pub schema: String,
    /// The table's columns.
    pub columns: Vec<(String, DataType)>,
    /// NEW.
    pub new: Option<Row>,
    /// OLD.
    pub old: Option<Row>,
    /// TG_ARGV.
    pub args: Vec<String>,
    /// Transition tables (`REFERENCING ... TABLE AS name`) with their rows.
    pub transition: Vec<(String, Vec<Row>)>,
}

struct Interp<'h> {
    host: &'h mut dyn StatementHost,
    vars: Vec<Var>,
    row_count: u64,
    set_rows: Vec<Row>,
    ret: Option<Value>,
    ret_record: Option<Option<Row>>,
    caught: Vec<Error>,
    returns: Option<Returns>,
    trigger: bool,
    /// The function has OUT parameters (a bare RETURN returns them).
    has_outs: bool,
    /// A trigger's row type: the fields of NEW / OLD when they are NULL (OLD in an
    /// INSERT trigger reads as NULLs, as in PostgreSQL 11 and later).
    trigger_fields: Vec<(String, DataType)>,
    /// A trigger's transition tables: name and rows (of `trigger_fields`).
    transition: Vec<(String, Vec<Row>)>,
    /// How CONTEXT lines name this routine (`PL/pgSQL function f(integer)`).
    label: String,
    /// The error on its way out already has this routine's CONTEXT line (added by the
    /// innermost statement that failed).
    err_placed: bool,
}

/// How error CONTEXT names a PL/pgSQL function: `PL/pgSQL function name(argtypes)`.
pub fn routine_label(func: &FunctionDef) -> String {
    let types: Vec<String> =
        func.params.iter().map(|p| crate::expr::types::pg_type_name(&p.data_type)).collect();
    format!("PL/pgSQL function {}({})", func.name, types.join(","))
}

/// The name of a statement kind in error CONTEXT (`line 3 at RAISE`).
fn stmt_kind(s: &Stmt) -> &'static str {
    match s {
        Stmt::Assign(..) => "assignment",
        Stmt::If(..) => "IF",
        Stmt::Case { .. } => "CASE",
        Stmt::Loop(..) => "LOOP",
        Stmt::While(..) => "WHILE",
        Stmt::ForRange { .. } => "FOR with integer loop variable",
        Stmt::ForQuery { source: QuerySource::Static(_), .. } => "FOR over SELECT rows",
        Stmt::ForQuery { source: QuerySource::Dynamic { .. }, .. } => "FOR over EXECUTE statement",
        Stmt::ForEach { .. } => "FOREACH over array",
        Stmt::Exit { cont: true, .. } => "CONTINUE",
        Stmt::Exit { cont: false, .. } => "EXIT",
        Stmt::Return(_) => "RETURN",
        Stmt::ReturnNext(_) => "RETURN NEXT",
        Stmt::ReturnQuery(_) => "RETURN QUERY",
        Stmt::Raise(_) | Stmt::Reraise => "RAISE",
        Stmt::Perform(_) => "PERFORM",
        Stmt::Sql(..) => "SQL statement",
        Stmt::Execute { .. } => "EXECUTE",
        Stmt::GetDiagnostics(true, _) => "GET STACKED DIAGNOSTICS",
        Stmt::GetDiagnostics(false, _) => "GET DIAGNOSTICS",
        Stmt::Assert(..) => "ASSERT",
        Stmt::Open { .. } => "OPEN",
        Stmt::Fetch { into: Some(_), .. } => "FETCH",
        Stmt::Fetch { into: None, .. } => "MOVE",
        Stmt::Close(_) => "CLOSE",
        Stmt::ForCursor { .. } => "FOR over cursor",
        Stmt::Block(_) => "statement block",
        Stmt::Null => "NULL",
    }
}

/// Runs a PL/pgSQL function with its argument values.
pub fn call_function(
    body: &Function,
    host: &mut dyn StatementHost,
    func: &FunctionDef,
    args: Vec<Value>,
) -> Result<Vec<Row>> {
    let mut it = Interp::new(host, Some(func.returns.clone()), false, routine_label(func));
    it.has_outs = !func.outs.is_empty();
    for (i, (p, v)) in func.params.iter().zip(args).enumerate() {
        let slot = Slot::Scalar(p.data_type.clone(), v);
        if let Some(n) = &p.name {
            it.push(n, slot.clone());
        }
        it.push(&format!("${}", i + 1), slot);
    }
    for o in &func.outs {
        let name = o.name.clone().unwrap_or_default();
        if name.is_empty() || !func.params.iter().any(|p| p.name.as_deref() == Some(&name)) {
            it.push(&name, Slot::Scalar(o.data_type.clone(), Value::Null));
        }
    }
    it.run_block(&body.block)?;
    let label = it.label.clone();
    let casting = move |e: Error| {
        e.with_context_line(format!("{label} while casting return value to function's return type"))
    };
    match &func.returns {
        Returns::Table(_) if !func.outs.is_empty() && !func.out_set => {
            let row = it.out_params_row();
            shape_result(func, vec![row])
        }
        Returns::SetOf(_) | Returns::Table(_) => {
            shape_result(func, std::mem::take(&mut it.set_rows))
        }
        Returns::Void | Returns::Trigger => Ok(vec![vec![Value::Null]]),
        Returns::Scalar(_) if !func.outs.is_empty() => {
            let name = func.outs[0].name.clone().unwrap_or_default();
            let v = match it.find(&name).map(|i| &it.vars[i].slot) {
                Some(Slot::Scalar(_, v)) => v.clone(),
                _ => Value::Null,
            };
            shape_result(func, vec![vec![v]]).map_err(casting)
        }
        Returns::Scalar(_) => match it.ret.take() {
            Some(v) => shape_result(func, vec![vec![v]]).map_err(casting),
            None => Err(Error::new(
                SqlState::from_code("2F005"),
                "control reached end of function without RETURN",
            )
            .with_context_line(it.label.clone())),
        },
    }
}

/// Runs a trigger function; returns the row it returned (`None` for NULL).
pub fn call_trigger(
    body: &Function,
    host: &mut dyn StatementHost,
    call: TriggerCall,
) -> Result<Option<Row>> {
    let label = format!("PL/pgSQL function {}()", call.function);
    let mut it = Interp::new(host, Some(Returns::Trigger), true, label);
    it.trigger_fields = call.columns.clone();
    it.transition = call.transition.clone();
    let text = |s: &str| Slot::Scalar(DataType::Text, Value::Text(s.to_string()));
    let rec = |r: Option<Row>| match r {
        Some(values) => Slot::Record(Some(Rec { fields: call.columns.clone(), values }), None),
        None => Slot::Record(None, None),
    };
    it.push("new", rec(call.new.clone()));
    it.push("old", rec(call.old.clone()));
    it.push("tg_name", text(&call.name));
    it.push("tg_when", text(call.when));
    it.push("tg_level", text(call.level));
    it.push("tg_op", text(call.op));
    it.push("tg_table_name", text(&call.table));
    it.push("tg_relname", text(&call.table));
    it.push("tg_table_schema", text(&call.schema));
    it.push("tg_nargs", Slot::Scalar(DataType::Int4, Value::Int4(call.args.len() as i32)));
    let argv = Value::Array(std::sync::Arc::new(Array::new(
        DataType::Text,
        call.args.iter().map(|a| Value::Text(a.clone())).collect(),
    )));
    it.push("tg_argv", Slot::Scalar(DataType::Array(Box::new(DataType::Text)), argv));
    it.run_block(&body.block)?;
    match it.ret_record.take() {
        Some(r) => Ok(r),
        None => Err(Error::new(
            SqlState::from_code("2F005"),
            "control reached end of trigger procedure without RETURN",
        )
        .with_context_line(it.label.clone())),
    }
}

/// Runs a DO block.
pub fn run_do(body: &Function, host: &mut dyn StatementHost) -> Result<()> {
    let mut it = Interp::new(host, None, false, "PL/pgSQL function inline_code_block".into());
    it.run_block(&body.block)
}

fn record_not_assigned(name: &str) -> Error {
    Error::new(
        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("record \"{name}\" is not assigned yet"),
    )
    .with_detail("The tuple structure of a not-yet-assigned record is indeterminate.")
}

impl<'h> Interp<'h> {
    fn new(
        host: &'h mut dyn StatementHost,
        returns: Option<Returns>,
        trigger: bool,
        label: String,
    ) -> Interp<'h> {
        let mut it = Interp {
            host,
            vars: Vec::new(),
            row_count: 0,
            set_rows: Vec::new(),
            ret: None,
            ret_record: None,
            caught: Vec::new(),
            returns,
            trigger,
            has_outs: false,
            trigger_fields: Vec::new(),
            transition: Vec::new(),
            label,
            err_placed: false,
        };
        it.push("found", Slot::Scalar(DataType::Bool, Value::Bool(false)));
        it
    }

    fn push(&mut self, name: &str, slot: Slot) {
        self.vars.push(Var {
            name: name.to_string(),
            slot,
            constant: false,
            not_null: false,
            alias_of: None,
            cursor: None,
        });
    }

    fn find(&self, name: &str) -> Option<usize> {
        let i = self.vars.iter().rposition(|v| v.name == name)?;
        Some(self.vars[i].alias_of.unwrap_or(i))
    }

    /// The variable a name in SQL stands for.
    fn lookup(vars: &[Var], name: &str) -> Option<usize> {
        let i = vars.iter().rposition(|v| v.name == name)?;
        Some(vars[i].alias_of.unwrap_or(i))
    }

    fn set_found(&mut self, found: bool) {
        if let Some(i) = self.find("found") {
            self.vars[i].slot = Slot::Scalar(DataType::Bool, Value::Bool(found));
        }
    }

    /// Runs an embedded statement with the variables it names as parameters.
    fn run_sql(&mut self, sql: &Sql) -> Result<Outcome> {
        let mut stmt = sql.stmt.clone();
        if self.trigger {
            zero_based_argv(&mut stmt);
        }
        let mut params: Vec<Value> = Vec::new();
        let mut types: Vec<DataType> = Vec::new();
        let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
        let vars = &self.vars;
        let trigger_fields = &self.trigger_fields;
        substitute(&mut stmt, &mut |parts| {
            if let Some(i) = seen.get(parts) {
                return Ok(Some(*i));
            }
            let found: Option<(Value, DataType)> = match parts {
                [one] => match Self::lookup(vars, one).map(|i| &vars[i]) {
                    Some(Var { slot: Slot::Scalar(t, v), .. }) => Some((v.clone(), t.clone())),
                    // A whole record variable reads as a composite value.
                    Some(Var { slot: Slot::Record(Some(r), _), .. }) => {
                        let ty = std::sync::Arc::new(helios_types::RecordType::anonymous_named(
                            r.fields
                                .iter()
                                .map(|(name, ty)| helios_types::RecordField {
                                    name: name.clone(),
                                    ty: ty.clone(),
                                })
                                .collect(),
                        ));
                        let value = helios_types::Record::new(ty.clone(), r.values.clone());
                        Some((Value::Record(std::sync::Arc::new(value)), DataType::Record(ty)))
                    }
                    _ => None,
                },
                [rec, field] => match Self::lookup(vars, rec).map(|i| &vars[i]) {
                    Some(Var { slot: Slot::Record(None, _), name, .. })
                        if (name == "new" || name == "old") && !trigger_fields.is_empty() =>
                    {
                        let pos = trigger_fields.iter().position(|(n, _)| n == field);
                        let pos = pos.ok_or_else(|| record_not_assigned(name))?;
                        Some((Value::Null, trigger_fields[pos].1.clone()))
                    }
                    Some(Var { slot: Slot::Record(r, _), name, .. }) => {
                        let r = r.as_ref().ok_or_else(|| record_not_assigned(name))?;
                        let pos =
                            r.fields.iter().position(|(n, _)| n == field).ok_or_else(|| {
                                Error::new(
                                    SqlState::UNDEFINED_COLUMN,
                                    format!("record \"{name}\" has no field \"{field}\""),
                                )
                            })?;
                        Some((r.values[pos].clone(), r.fields[pos].1.clone()))
                    }
                    // A variable of a composite type: `var.field`.
                    Some(Var { slot: Slot::Scalar(DataType::Record(t), v), name, .. }) => {
                        let pos = t.field_index(field).ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("record \"{name}\" has no field \"{field}\""),
                            )
                        })?;
                        let value = match v {
                            Value::Record(r) => r.fields.get(pos).cloned().unwrap_or(Value::Null),
                            _ => Value::Null,
                        };
                        Some((value, t.fields[pos].ty.clone()))
                    }
                    _ => None,
                },
                _ => None,
            };
            Ok(found.map(|(v, t)| {
                params.push(v);
                types.push(if t == DataType::Unknown { DataType::Text } else { t });
                seen.insert(parts.to_vec(), params.len() - 1);
                params.len() - 1
            }))
        })?;
        if !self.transition.is_empty() {
            add_transition_tables(
                &mut stmt,
                &mut params,
                &mut types,
                &self.transition,
                &self.trigger_fields,
            )?;
        }
        let uses_vars = !params.is_empty();
        self.host.run(&stmt, &params, &types).map_err(|e| sql_context(e, sql, uses_vars))
    }

    fn eval(&mut self, sql: &Sql) -> Result<Value> {
        let out = self.run_sql(sql)?;
        if out.rows.len() > 1 {
            return Err(Error::new(
                SqlState::CARDINALITY_VIOLATION,
                format!("query \"{}\" returned more than one row", sql.text.trim()),
            ));
        }
        if out.columns.len() > 1 {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("query \"{}\" returned {} columns", sql.text.trim(), out.columns.len()),
            ));
        }
        Ok(out.rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(Value::Null))
    }

    fn eval_bool(&mut self, sql: &Sql) -> Result<bool> {
        match self.eval(sql)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            other => Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "argument of IF must be type boolean, not type {}",
                    crate::expr::types::pg_type_name(&other.data_type())
                ),
            )),
        }
    }

    fn assign(&mut self, t: &Target, v: Value) -> Result<()> {
        if !t.subscripts.is_empty() {
            return self.assign_element(t, v);
        }
        let i = self.find(&t.name).ok_or_else(|| {
            Error::new(SqlState::SYNTAX_ERROR, format!("\"{}\" is not a known variable", t.name))
        })?;
        let var = &mut self.vars[i];
        if var.constant {
            return Err(Error::new(
                SqlState::from_code("22005"),
                format!("variable \"{}\" is declared CONSTANT", var.name),
            ));
        }
        match (&mut var.slot, &t.field) {
            (Slot::Scalar(ty, value), None) => {
                let v = cast_to(v, ty)?;
                if v.is_null() && var.not_null {
                    return Err(Error::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        format!(
                            "null value cannot be assigned to variable \"{}\" declared NOT NULL",
                            var.name
                        ),
                    ));
                }
                *value = v;
                Ok(())
            }
            (Slot::Record(r, _), Some(field)) => {
                let r = r.as_mut().ok_or_else(|| record_not_assigned(&t.name))?;
                let pos = r.fields.iter().position(|(n, _)| n == field).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("record \"{}\" has no field \"{field}\"", t.name),
                    )
                })?;
                r.values[pos] = cast_to(v, &r.fields[pos].1)?;
                Ok(())
            }
            (Slot::Record(r, declared), None) => match v {
                Value::Null => {
                    *r = None;
                    Ok(())
                }
                Value::Record(rec) => {
                    let fields: Vec<(String, DataType)> = match declared {
                        Some(d) => d.clone(),
                        None => {
                            rec.ty.fields.iter().map(|f| (f.name.clone(), f.ty.clone())).collect()
                        }
                    };
                    let mut values = Vec::with_capacity(fields.len());
                    for (k, (_, ty)) in fields.iter().enumerate() {
                        values
                            .push(cast_to(rec.fields.get(k).cloned().unwrap_or(Value::Null), ty)?);
                    }
                    *r = Some(Rec { fields, values });
                    Ok(())
                }
                _ => Err(Error::unsupported("assigning a scalar value to a record variable")),
            },
            (Slot::Scalar(DataType::Record(ty), value), Some(field)) => {
                let pos = ty.field_index(field).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("record \"{}\" has no field \"{field}\"", t.name),
                    )
                })?;
                let mut fields = match value {
                    Value::Record(r) => r.fields.clone(),
                    _ => vec![Value::Null; ty.fields.len()],
                };
                fields[pos] = cast_to(v, &ty.fields[pos].ty)?;
                *value = Value::Record(std::sync::Arc::new(helios_types::Record::new(
                    ty.clone(),
                    fields,
                )));
                Ok(())
            }
            (Slot::Scalar(..), Some(_)) => Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("\"{}\" is not a record variable", t.name),
            )),
        }
    }

    /// Assigns a result row to INTO / FOR targets.
    fn assign_row(
        &mut self,
        targets: &[Target],
        columns: &[(String, DataType)],
        row: Option<Row>,
    ) -> Result<()> {
        if let [t] = targets {
            if t.field.is_none() {
                if let Some(i) = self.find(&t.name) {
                    if let Slot::Record(r, declared) = &mut self.vars[i].slot {
                        *r = match (row, declared) {
                            (None, Some(d)) => {
                                Some(Rec { fields: d.clone(), values: vec![Value::Null; d.len()] })
                            }
                            (None, None) => Some(Rec {
                                fields: columns.to_vec(),
                                values: vec![Value::Null; columns.len()],
                            }),
                            (Some(values), Some(d)) => {
                                let mut vals = Vec::with_capacity(d.len());
                                for (k, (_, ty)) in d.iter().enumerate() {
                                    vals.push(cast_to(
                                        values.get(k).cloned().unwrap_or(Value::Null),
                                        ty,
                                    )?);
                                }
                                Some(Rec { fields: d.clone(), values: vals })
                            }
                            (Some(values), None) => Some(Rec { fields: columns.to_vec(), values }),
                        };
                        return Ok(());
                    }
                }
            }
        }
        let values = row.unwrap_or_default();
        for (k, t) in targets.iter().enumerate() {
            self.assign(t, values.get(k).cloned().unwrap_or(Value::Null))?;
        }
        Ok(())
    }

    fn declare(&mut self, d: &Decl) -> Result<()> {
        let slot = match &d.ty {
            DeclType::Type(t) => Slot::Scalar(t.clone(), Value::Null),
            DeclType::Record => Slot::Record(None, None),
            DeclType::RowType(table) => {
                let cols = self.host.columns_of_table(table).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{table}\" does not exist"),
                    )
                })?;
                Slot::Record(None, Some(cols))
            }
            DeclType::Alias(n) => {
                let i = self.find(n).ok_or_else(|| match n.strip_prefix('$') {
                    Some(_) => Error::new(
                        SqlState::UNDEFINED_PARAMETER,
                        format!("there is no parameter {n}"),
                    ),
                    None => Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("variable \"{n}\" does not exist"),
                    ),
                })?;
                self.vars.push(Var {
                    name: d.name.clone(),
                    slot: Slot::Scalar(DataType::Unknown, Value::Null),
                    constant: false,
                    not_null: false,
                    alias_of: Some(i),
                    cursor: None,
                });
                return Ok(());
            }
            DeclType::TypeOf(of) => {
                let ty = match self.find(of).map(|i| &self.vars[i].slot) {
                    Some(Slot::Scalar(t, _)) => Some(t.clone()),
                    _ => of.rsplit_once('.').and_then(|(table, col)| {
                        self.host
                            .columns_of_table(table)
                            .and_then(|cols| cols.into_iter().find(|(n, _)| n == col))
                            .map(|(_, t)| t)
                    }),
                };
                let ty = ty.ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("variable \"{of}\" does not exist"),
                    )
                })?;
                Slot::Scalar(ty, Value::Null)
            }
            // A bound cursor's portal name is the variable's name until assigned.
            DeclType::Cursor(_) => Slot::Scalar(DataType::Text, Value::Text(d.name.clone())),
        };
        // A variable is not visible in its own default expression.
        let init = d.default.as_ref().map(|e| self.eval(e)).transpose()?;
        self.vars.push(Var {
            name: d.name.clone(),
            slot,
            constant: false,
            not_null: d.not_null,
            alias_of: None,
            cursor: match &d.ty {
                DeclType::Cursor(c) => Some(c.clone()),
                _ => None,
            },
        });
        if let Some(v) = init {
            self.assign(&Target { name: d.name.clone(), field: None, subscripts: Vec::new() }, v)?;
        } else if d.not_null {
            return Err(Error::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                format!(
                    "variable \"{}\" must have a default value, since it's declared NOT NULL",
                    d.name
                ),
            ));
        }
        if let Some(v) = self.vars.last_mut() {
            v.constant = d.constant;
        }
        Ok(())
    }

    fn run_block(&mut self, b: &Block) -> Result<()> {
        match self.block(b)? {
            Flow::Normal | Flow::Return => Ok(()),
            Flow::Exit(_) | Flow::Continue(_) => Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "EXIT cannot be used outside a loop, unless it has a label",
            )),
        }
    }

    fn block(&mut self, b: &Block) -> Result<Flow> {
        let mark = self.vars.len();
        let r = self.block_inner(b);
        self.vars.truncate(mark);
        match r? {
            Flow::Exit(Some(l)) if b.label.as_deref() == Some(l.as_str()) => Ok(Flow::Normal),
            other => Ok(other),
        }
    }

    fn block_inner(&mut self, b: &Block) -> Result<Flow> {
        for d in &b.decls {
            if let Err(e) = self.declare(d) {
                return Err(self.placed(
                    e,
                    b.line,
                    "during statement block local variable initialization",
                ));
            }
        }
        if b.handlers.is_empty() {
            return self.stmts(&b.body);
        }
        let sp = self.host.savepoint().ok();
        let cursor_mark = self.host.cursors().map(|c| c.mark()).ok();
        let mark = self.vars.len();
        match self.stmts(&b.body) {
            Ok(flow) => {
                if let Some(sp) = sp {
                    self.host.release(sp)?;
                }
                Ok(flow)
            }
            Err(e) => {
                let code = e.sqlstate();
                let handler = b.handlers.iter().find(|h| {
                    h.conditions.iter().any(|c| match c {
                        Condition::Others => {
                            code != SqlState::QUERY_CANCELED && code.code() != "P0004"
                        }
                        Condition::Code(c) => {
                            c == code.code() || (c.ends_with("000") && c[..2] == code.code()[..2])
                        }
                    })
                });
                let Some(h) = handler else { return Err(e) };
                if let Some(sp) = sp {
                    self.host.rollback_to(sp)?;
                    self.host.release(sp)?;
                }
                if let (Some(m), Ok(c)) = (cursor_mark, self.host.cursors()) {
                    c.close_since(m);
                }
                self.vars.truncate(mark);
                self.err_placed = false;
                let text = |s: &str| Slot::Scalar(DataType::Text, Value::Text(s.to_string()));
                self.push("sqlstate", text(code.code()));
                self.push("sqlerrm", text(e.message()));
                self.caught.push(e);
                let r = self.stmts(&h.body);
                self.caught.pop();
                r
            }
        }
    }

    fn stmts(&mut self, list: &[Statement]) -> Result<Flow> {
        for s in list {
            match self.stmt(&s.stmt) {
                Ok(Flow::Normal) => {}
                Ok(other) => return Ok(other),
                Err(e) => {
                    let at = format!("at {}", stmt_kind(&s.stmt));
                    return Err(self.placed(e, s.line, &at));
                }
            }
        }
        Ok(Flow::Normal)
    }

    /// `e` with this routine's CONTEXT line (`... line N at KIND`), unless a statement
    /// nested in this one already added it.
    fn placed(&mut self, e: Error, line: u32, doing: &str) -> Error {
        if self.err_placed {
            return e;
        }
        self.err_placed = true;
        e.with_context_line(format!("{} line {line} {doing}", self.label))
    }

    /// Runs a loop body once; `Some(flow)` ends the loop with that flow.
    fn loop_body(&mut self, label: &Option<String>, body: &[Statement]) -> Result<Option<Flow>> {
        self.host.check_cancel()?;
        Ok(match self.stmts(body)? {
            Flow::Normal | Flow::Continue(None) => None,
            Flow::Continue(Some(l)) if label.as_deref() == Some(l.as_str()) => None,
            Flow::Exit(None) => Some(Flow::Normal),
            Flow::Exit(Some(l)) if label.as_deref() == Some(l.as_str()) => Some(Flow::Normal),
            other => Some(other),
        })
    }

    fn stmt(&mut self, s: &Stmt) -> Result<Flow> {
        match s {
            Stmt::Null => {}
            Stmt::Assign(t, e) => {
                let v = self.eval(e)?;
                self.assign(t, v)?;
            }
            Stmt::If(branches, otherwise) => {
                for (c, body) in branches {
                    if self.eval_bool(c)? {
                        return self.stmts(body);
                    }
                }
                return self.stmts(otherwise);
            }
            Stmt::Case { operand, whens, otherwise } => {
                let op = operand.as_ref().map(|o| self.eval(o)).transpose()?;
                for (values, body) in whens {
                    for v in values {
                        let hit = match &op {
                            None => self.eval_bool(v)?,
                            Some(o) => {
                                let w = self.eval(v)?;
                                !o.is_null()
                                    && !w.is_null()
                                    && o.pg_eq(&cast_to(w, &o.data_type())?)
                            }
                        };
                        if hit {
                            return self.stmts(body);
                        }
                    }
                }
                return match otherwise {
                    Some(body) => self.stmts(body),
                    None => Err(Error::new(SqlState::from_code("20000"), "case not found")
                        .with_hint("CASE statement is missing ELSE part.")),
                };
            }
            Stmt::Loop(label, body) => loop {
                if let Some(f) = self.loop_body(label, body)? {
                    return Ok(f);
                }
            },
            Stmt::While(label, cond, body) => {
                while self.eval_bool(cond)? {
                    if let Some(f) = self.loop_body(label, body)? {
                        return Ok(f);
                    }
                }
            }
            Stmt::ForRange { label, var, reverse, low, high, step, body } => {
                let int = |v: Value, what: &str| -> Result<i64> {
                    match cast_to(v, &DataType::Int8)? {
                        Value::Int8(n) => Ok(n),
                        _ => Err(Error::new(
                            SqlState::NULL_VALUE_NOT_ALLOWED,
                            format!("{what} bound of FOR loop cannot be null"),
                        )),
                    }
                };
                let lo = self.eval(low)?;
                let lo = int(lo, "lower")?;
                let hi = self.eval(high)?;
                let hi = int(hi, "upper")?;
                let by = match step {
                    Some(s) => {
                        let v = self.eval(s)?;
                        int(v, "BY value of FOR loop")?
                    }
                    None => 1,
                };
                if by <= 0 {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "BY value of FOR loop must be greater than zero",
                    ));
                }
                let mark = self.vars.len();
                self.push(var, Slot::Scalar(DataType::Int4, Value::Null));
                let mut i = lo;
                let mut flow = Flow::Normal;
                let mut ran = false;
                loop {
                    if (*reverse && i < hi) || (!*reverse && i > hi) {
                        break;
                    }
                    ran = true;
                    let idx = self.vars.len() - 1;
                    self.vars[idx].slot =
                        Slot::Scalar(DataType::Int4, cast_to(Value::Int8(i), &DataType::Int4)?);
                    if let Some(f) = self.loop_body(label, body)? {
                        flow = f;
                        break;
                    }
                    i = if *reverse { i - by } else { i + by };
                }
                self.vars.truncate(mark);
                self.set_found(ran);
                return Ok(flow);
            }
            Stmt::ForQuery { label, targets, source, body } => {
                if let Ok(c) = self.host.cursors() {
                    c.skip_unnamed();
                }
                let out = self.query_rows(source)?;
                let mark = self.vars.len();
                if let [t] = targets.as_slice() {
                    if t.field.is_none() && self.find(&t.name).is_none() {
                        self.push(&t.name, Slot::Record(None, None));
                    }
                }
                let ran = !out.rows.is_empty();
                let mut flow = Flow::Normal;
                for row in out.rows {
                    self.assign_row(targets, &out.columns, Some(row))?;
                    if let Some(f) = self.loop_body(label, body)? {
                        flow = f;
                        break;
                    }
                }
                self.vars.truncate(mark);
                self.set_found(ran);
                return Ok(flow);
            }
            Stmt::ForEach { label, targets, slice, array, body } => {
                let items = self.foreach_items(targets, *slice, array)?;
                for item in items {
                    match targets.as_slice() {
                        [t] => self.assign(t, item)?,
                        _ => self.assign_fields(targets, item)?,
                    }
                    if let Some(f) = self.loop_body(label, body)? {
                        return Ok(f);
                    }
                }
            }
            Stmt::Exit { cont, label, when } => {
                if let Some(w) = when {
                    if !self.eval_bool(w)? {
                        return Ok(Flow::Normal);
                    }
                }
                return Ok(if *cont {
                    Flow::Continue(label.clone())
                } else {
                    Flow::Exit(label.clone())
                });
            }
            Stmt::Return(e) => {
                if self.trigger {
                    self.ret_record = Some(match e {
                        None => None,
                        Some(e) => self.record_value(e)?,
                    });
                    return Ok(Flow::Return);
                }
                match (&self.returns, e) {
                    (Some(Returns::SetOf(_) | Returns::Table(_)), Some(_)) => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "RETURN cannot have a parameter in function returning set",
                        )
                        .with_hint("Use RETURN NEXT or RETURN QUERY."));
                    }
                    (Some(Returns::Void), Some(_)) => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "RETURN cannot have a parameter in function returning void",
                        ));
                    }
                    (_, Some(e)) => {
                        let v = self.eval(e)?;
                        self.ret = Some(v);
                    }
                    (_, None) => {
                        if matches!(self.returns, Some(Returns::Scalar(_))) && !self.has_outs {
                            return Err(Error::new(
                                SqlState::SYNTAX_ERROR,
                                "missing expression at or near \";\"",
                            ));
                        }
                    }
                }
                return Ok(Flow::Return);
            }
            Stmt::ReturnNext(e) => {
                let row = match e {
                    Some(e) => match self.record_value(e)? {
                        Some(r) if matches!(self.returns, Some(Returns::Table(ref c)) if c.len() == r.len()) => {
                            r
                        }
                        _ => vec![self.eval(e)?],
                    },
                    None => self.out_params_row(),
                };
                self.set_rows.push(row);
            }
            Stmt::ReturnQuery(src) => {
                let out = self.query_rows(src)?;
                self.row_count = out.count;
                self.set_found(out.count > 0);
                self.set_rows.extend(out.rows);
            }
            Stmt::Raise(r) => self.raise(r)?,
            Stmt::Reraise => {
                // The error keeps the CONTEXT of where it was first raised.
                self.err_placed = self.caught.last().is_some();
                return Err(self.caught.last().cloned().ok_or_else(|| {
                    Error::new(
                        SqlState::from_code("0Z002"),
                        "RAISE without parameters cannot be used outside an exception handler",
                    )
                })?);
            }
            Stmt::Perform(sql) => {
                let out = self.run_sql(sql)?;
                self.row_count = out.count;
                self.set_found(out.count > 0);
            }
            Stmt::Sql(sql, into) => {
                let is_query = matches!(*sql.stmt, sqlparser::ast::Statement::Query(_));
                if is_query && into.is_none() {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "query has no destination for result data",
                    )
                    .with_hint(
                        "If you want to discard the results of a SELECT, use PERFORM instead.",
                    ));
                }
                let out = self.run_sql(sql)?;
                self.row_count = out.count;
                self.set_found(out.count > 0);
                if let Some(into) = into {
                    self.into(into, out)?;
                }
            }
            Stmt::Execute { expr, into, using } => {
                let text = self.query_text(expr)?;
                let out = self.dynamic(&text, using)?;
                self.row_count = out.count;
                if let Some(into) = into {
                    self.into(into, out)?;
                }
            }
            Stmt::GetDiagnostics(stacked, items) => {
                for (t, item) in items {
                    let v = if *stacked {
                        let e = self.caught.last().ok_or_else(|| {
                            Error::new(
                                SqlState::from_code("0Z002"),
                                "GET STACKED DIAGNOSTICS cannot be used outside an exception handler",
                            )
                        })?;
                        let text = |s: Option<&str>| Value::Text(s.unwrap_or("").to_string());
                        match item.as_str() {
                            "returned_sqlstate" => text(Some(e.sqlstate().code())),
                            "message_text" => text(Some(e.message())),
                            "pg_exception_detail" => text(e.detail()),
                            "pg_exception_hint" => text(e.hint()),
                            "pg_exception_context" => text(e.context()),
                            "column_name" | "constraint_name" | "pg_datatype_name"
                            | "table_name" | "schema_name" => text(None),
                            other => {
                                return Err(Error::unsupported(format!(
                                    "GET STACKED DIAGNOSTICS {other}"
                                )))
                            }
                        }
                    } else {
                        match item.as_str() {
                            "row_count" => Value::Int8(self.row_count as i64),
                            other => {
                                return Err(Error::unsupported(format!("GET DIAGNOSTICS {other}")))
                            }
                        }
                    };
                    self.assign(t, v)?;
                }
            }
            Stmt::Assert(cond, message) => {
                if !matches!(self.eval(cond)?, Value::Bool(true)) {
                    let msg = match message {
                        Some(m) => match self.eval(m)? {
                            Value::Null => "assertion failed".to_string(),
                            v => v.to_pg_text(),
                        },
                        None => "assertion failed".to_string(),
                    };
                    return Err(Error::new(SqlState::from_code("P0004"), msg));
                }
            }
            Stmt::Open { cursor, source } => {
                let source = match source {
                    OpenSource::Bound(args) => cursor::Open::Bound(args.as_ref()),
                    OpenSource::Query { scroll, source } => cursor::Open::Query(*scroll, source),
                };
                self.open_cursor(cursor, source)?;
            }
            Stmt::Fetch { cursor, direction, into } => self.fetch(cursor, direction, into)?,
            Stmt::Close(cursor) => {
                let name = self.portal_name(cursor)?;
                self.host.cursors()?.close(&name)?;
            }
            Stmt::ForCursor { label, target, cursor, args, body } => {
                return self.for_cursor(label, target, cursor, args.as_ref(), body);
            }
            Stmt::Block(b) => return self.block(b),
        }
        Ok(Flow::Normal)
    }

    /// The values a FOREACH loop assigns in turn: the elements of the array, or with
    /// `SLICE n` its sub-arrays of the last `n` dimensions.
    fn foreach_items(
        &mut self,
        targets: &[Target],
        slice: usize,
        array: &Sql,
    ) -> Result<Vec<Value>> {
        let arr = match self.eval(array)? {
            Value::Array(a) => a,
            Value::Null => {
                return Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "FOREACH expression must not be null",
                ))
            }
            v => {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "FOREACH expression must yield an array, not type {}",
                        crate::expr::types::pg_type_name(&v.data_type())
                    ),
                ))
            }
        };
        if slice == 0 {
            return Ok(arr.elements.clone());
        }
        let array_target = match targets {
            [t] => matches!(self.target_value(t)?.1, DataType::Array(_)),
            _ => false,
        };
        if !array_target {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                "FOREACH ... SLICE loop variable must be of an array type",
            ));
        }
        let dims = arr.dims();
        if slice > dims.len() {
            return Err(Error::new(
                SqlState::ARRAY_SUBSCRIPT_ERROR,
                format!("slice dimension ({slice}) is out of the valid range 0..{}", dims.len()),
            ));
        }
        let inner = &dims[dims.len() - slice..];
        let per: usize = inner.iter().map(|d| d.len.max(0) as usize).product();
        if per == 0 {
            return Ok(Vec::new());
        }
        arr.elements
            .chunks(per)
            .map(|part| {
                let a = Array::with_dims(arr.element_type.clone(), part.to_vec(), inner)?;
                Ok(Value::Array(std::sync::Arc::new(a)))
            })
            .collect()
    }

    /// Assigns the fields of a composite value to several targets in turn.
    fn assign_fields(&mut self, targets: &[Target], v: Value) -> Result<()> {
        let fields = match v {
            Value::Record(r) => r.fields.clone(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        for (k, t) in targets.iter().enumerate() {
            self.assign(t, fields.get(k).cloned().unwrap_or(Value::Null))?;
        }
        Ok(())
    }

    /// The current value of a target (without its subscripts) and its type.
    fn target_value(&self, t: &Target) -> Result<(Value, DataType)> {
        let i = self.find(&t.name).ok_or_else(|| {
            Error::new(SqlState::SYNTAX_ERROR, format!("\"{}\" is not a known variable", t.name))
        })?;
        let no_field = |field: &str| {
            Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("record \"{}\" has no field \"{field}\"", t.name),
            )
        };
        match (&self.vars[i].slot, &t.field) {
            (Slot::Scalar(ty, v), None) => Ok((v.clone(), ty.clone())),
            // A whole record variable: only its being a record matters to callers.
            (Slot::Record(..), None) => Ok((Value::Null, DataType::Unknown)),
            (Slot::Record(r, _), Some(field)) => {
                let r = r.as_ref().ok_or_else(|| record_not_assigned(&t.name))?;
                let pos =
                    r.fields.iter().position(|(n, _)| n == field).ok_or_else(|| no_field(field))?;
                Ok((r.values[pos].clone(), r.fields[pos].1.clone()))
            }
            (Slot::Scalar(DataType::Record(ty), v), Some(field)) => {
                let pos = ty.field_index(field).ok_or_else(|| no_field(field))?;
                let value = match v {
                    Value::Record(r) => r.fields.get(pos).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                Ok((value, ty.fields[pos].ty.clone()))
            }
            (Slot::Scalar(..), Some(_)) => Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("\"{}\" is not a record variable", t.name),
            )),
        }
    }

    /// `target[i]... := v`: replaces one element of the target's array value.
    fn assign_element(&mut self, t: &Target, v: Value) -> Result<()> {
        let mut subscripts = Vec::with_capacity(t.subscripts.len());
        for s in &t.subscripts {
            let i = self.eval(s)?;
            match cast_to(i, &DataType::Int4)? {
                Value::Int4(i) => subscripts.push(i),
                _ => {
                    return Err(Error::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "array subscript in assignment must not be null",
                    ))
                }
            }
        }
        let whole = Target { name: t.name.clone(), field: t.field.clone(), subscripts: Vec::new() };
        let (current, ty) = self.target_value(&whole)?;
        let DataType::Array(element) = ty else {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "cannot subscript type {} because it does not support subscripting",
                    crate::expr::types::pg_type_name(&ty)
                ),
            ));
        };
        let base = match &current {
            Value::Array(a) => Some(a.as_ref()),
            _ => None,
        };
        let v = cast_to(v, &element)?;
        let updated = Array::assign(base, (*element).clone(), &subscripts, v)?;
        self.assign(&whole, Value::Array(std::sync::Arc::new(updated)))
    }

    fn into(&mut self, into: &Into, out: Outcome) -> Result<()> {
        if into.strict {
            if out.rows.is_empty() {
                return Err(Error::new(SqlState::from_code("P0002"), "query returned no rows"));
            }
            if out.rows.len() > 1 {
                return Err(Error::new(
                    SqlState::from_code("P0003"),
                    "query returned more than one row",
                )
                .with_hint("Make sure the query returns a single row, or use LIMIT 1."));
            }
        }
        let row = out.rows.into_iter().next();
        self.assign_row(&into.targets, &out.columns, row)
    }

    /// The row of the OUT/TABLE columns (RETURN NEXT without an expression).
    fn out_params_row(&self) -> Row {
        match &self.returns {
            Some(Returns::Table(cols)) => cols
                .iter()
                .map(|c| match self.find(&c.name).map(|i| &self.vars[i].slot) {
                    Some(Slot::Scalar(_, v)) => v.clone(),
                    _ => Value::Null,
                })
                .collect(),
            _ => vec![Value::Null],
        }
    }

    /// The values of a record variable named by `e` (`RETURN NEW`); `Ok(None)` when
    /// it is NULL. Any other expression must evaluate to NULL here.
    fn record_value(&mut self, e: &Sql) -> Result<Option<Row>> {
        let name = e.text.trim().to_lowercase();
        if let Some(i) = self.find(&name) {
            if let Slot::Record(r, _) = &self.vars[i].slot {
                return Ok(r.as_ref().map(|r| r.values.clone()));
            }
        }
        match self.eval(e)? {
            Value::Null => Ok(None),
            _ if self.trigger => Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                "returned row structure does not match the structure of the triggering table",
            )),
            v => Ok(Some(vec![v])),
        }
    }

    fn query_rows(&mut self, src: &QuerySource) -> Result<Outcome> {
        match src {
            QuerySource::Static(sql) => self.run_sql(sql),
            QuerySource::Dynamic { expr, using } => {
                let text = self.eval(expr)?.to_pg_text();
                self.dynamic(&text, using)
            }
        }
    }

    /// The query string of `EXECUTE` / `OPEN ... FOR EXECUTE`: `expr` as text, never NULL.
    fn query_text(&mut self, expr: &Sql) -> Result<String> {
        match self.eval(expr)? {
            Value::Null => Err(Error::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "query string argument of EXECUTE is null",
            )),
            v => Ok(v.to_pg_text()),
        }
    }

    fn dynamic(&mut self, text: &str, using: &[Sql]) -> Result<Outcome> {
        let mut params = Vec::with_capacity(using.len());
        let mut types = Vec::with_capacity(using.len());
        for u in using {
            let out = self.run_sql(u)?;
            let t = out.columns.first().map(|c| c.1.clone()).unwrap_or(DataType::Text);
            params.push(
                out.rows
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Value::Null),
            );
            types.push(t);
        }
        let sql = super::parse::stmt_sql(text)?;
        self.host.run(&sql.stmt, &params, &types).map_err(|e| sql_context(e, &sql, true))
    }

    fn raise(&mut self, r: &Raise) -> Result<()> {
        let mut message = match &r.format {
            Some(f) if r.condition.is_none() => {
                let mut vals = Vec::with_capacity(r.args.len());
                for a in &r.args {
                    let v = self.eval(a)?;
                    vals.push(if v.is_null() { "<NULL>".to_string() } else { v.to_pg_text() });
                }
                format_message(f, &vals)?
            }
            Some(name) => name.clone(),
            None => String::new(),
        };
        let mut code = r.condition.clone();
        let mut detail = None;
        let mut hint = None;
        for (opt, e) in &r.options {
            let v = self.eval(e)?;
            let text = if v.is_null() { String::new() } else { v.to_pg_text() };
            match opt.as_str() {
                "message" => message = text,
                "detail" => detail = Some(text),
                "hint" => hint = Some(text),
                "errcode" => {
                    code = Some(match super::parse::condition_code(&text) {
                        Some(c) => c.to_string(),
                        None if text.len() == 5 => text,
                        None => {
                            return Err(Error::new(
                                SqlState::UNDEFINED_OBJECT,
                                format!("unrecognized exception condition \"{text}\""),
                            ))
                        }
                    });
                }
                other => {
                    return Err(Error::unsupported(format!("RAISE option {other}")));
                }
            }
        }
        if r.format.is_none() && message.is_empty() {
            message = code.clone().unwrap_or_else(|| "P0001".into());
        }
        let level = match r.level {
            RaiseLevel::Exception => {
                let mut e =
                    Error::new(SqlState::from_code(code.as_deref().unwrap_or("P0001")), message);
                if let Some(d) = detail {
                    e = e.with_detail(d);
                }
                if let Some(h) = hint {
                    e = e.with_hint(h);
                }
                return Err(e);
            }
            RaiseLevel::Debug => NoticeLevel::Debug,
            RaiseLevel::Log => NoticeLevel::Log,
            RaiseLevel::Info => NoticeLevel::Info,
            RaiseLevel::Notice => NoticeLevel::Notice,
            RaiseLevel::Warning => NoticeLevel::Warning,
        };
        let default_code = if level == NoticeLevel::Warning { "01000" } else { "00000" };
        self.host.notice(Notice {
            level,
            code: code.unwrap_or_else(|| default_code.into()),
            message,
            detail,
            hint,
        });
        Ok(())
    }
}

/// The error of an embedded statement or expression with the place PostgreSQL reports:
/// an error found while binding points into the statement (QUERY and its position);
/// one while running it names the statement (`SQL statement "..."`), or the expression
/// when PostgreSQL would have met it while planning (a constant expression, folded
/// then), not while evaluating it outside SQL.
fn sql_context(e: Error, sql: &Sql, uses_vars: bool) -> Error {
    let (shown, offset) = match &sql.kind {
        SqlKind::Statement => (sql.text.clone(), 0),
        SqlKind::Expression => (sql.text.clone(), 7),
        SqlKind::Assignment { prefix } => {
            (format!("{prefix}{}", sql.text), 7 - prefix.chars().count() as i64)
        }
    };
    let full = match sql.kind {
        SqlKind::Statement => sql.text.clone(),
        _ => format!("SELECT {}", sql.text),
    };
    let e = e.locate_internal(&full, &shown, offset);
    let nested = e.context().is_some();
    if !nested && (e.internal_query().is_some() || e.sqlstate().class() == "42") {
        return e;
    }
    match &sql.kind {
        SqlKind::Statement => e.with_context_line(format!("SQL statement \"{shown}\"")),
        _ if nested || uses_vars => e,
        SqlKind::Expression => e.with_context_line(format!("SQL expression \"{shown}\"")),
        SqlKind::Assignment { .. } => {
            e.with_context_line(format!("PL/pgSQL assignment \"{shown}\""))
        }
    }
}

/// `TG_ARGV[i]` counts from 0 in PostgreSQL; our arrays count from 1.
fn zero_based_argv(stmt: &mut sqlparser::ast::Statement) {
    use sqlparser::ast;
    let _ = ast::visit_expressions_mut(stmt, |e| {
        if let ast::Expr::CompoundFieldAccess { root, access_chain } = e {
            let is_argv = matches!(root.as_ref(), ast::Expr::Identifier(id) if id.value.eq_ignore_ascii_case("tg_argv"));
            if let (true, [ast::AccessExpr::Subscript(ast::Subscript::Index { index })]) =
                (is_argv, access_chain.as_mut_slice())
            {
                let i = std::mem::replace(index, ast::Expr::value(ast::Value::Null));
                *index = ast::Expr::BinaryOp {
                    left: Box::new(ast::Expr::Nested(Box::new(i))),
                    op: ast::BinaryOperator::Plus,
                    right: Box::new(ast::Expr::value(ast::Value::Number("1".into(), false))),
                };
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
}

/// Replaces each `%` of a RAISE format with the next value (`%%` is a `%`).
fn format_message(f: &str, vals: &[String]) -> Result<String> {
    let mut out = String::with_capacity(f.len());
    let mut next = vals.iter();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if chars.peek() == Some(&'%') {
                chars.next();
                out.push('%');
                continue;
            }
            match next.next() {
                Some(v) => out.push_str(v),
                None => {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "too few parameters specified for RAISE",
                    ))
                }
            }
        } else {
            out.push(c);
        }
    }
    if next.next().is_some() {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "too many parameters specified for RAISE"));
    }
    Ok(out)
}

/// Puts the transition tables a statement reads in front of it as CTEs of their rows
/// (passed as parameters after `params`), so they read like tables.
fn add_transition_tables(
    stmt: &mut sqlparser::ast::Statement,
    params: &mut Vec<Value>,
    types: &mut Vec<DataType>,
    tables: &[(String, Vec<Row>)],
    fields: &[(String, DataType)],
) -> Result<()> {
    let mut named: Vec<String> = Vec::new();
    let _ = sqlparser::ast::visit_relations(&*stmt, |r| {
        if let Some(n) = r.0.last().and_then(|p| p.as_ident()) {
            named.push(crate::parser::ident_name(n));
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let quote = crate::functions::format::quote_ident;
    let cols: Vec<String> = fields.iter().map(|(n, _)| quote(n)).collect();
    let mut ctes: Vec<String> = Vec::new();
    for (name, rows) in tables {
        if !named.contains(name) {
            continue;
        }
        let body = if rows.is_empty() {
            let nulls: Vec<String> = fields
                .iter()
                .map(|(_, t)| format!("NULL::{}", crate::expr::types::pg_type_name(t)))
                .collect();
            format!("SELECT {} WHERE false", nulls.join(", "))
        } else {
            let mut tuples = Vec::with_capacity(rows.len());
            for r in rows {
                let mut vals = Vec::with_capacity(r.len());
                for (v, (_, t)) in r.iter().zip(fields) {
                    params.push(v.clone());
                    types.push(t.clone());
                    vals.push(format!(
                        "${}::{}",
                        params.len(),
                        crate::expr::types::pg_type_name(t)
                    ));
                }
                tuples.push(format!("({})", vals.join(", ")));
            }
            format!("VALUES {}", tuples.join(", "))
        };
        ctes.push(format!("{}({}) AS ({body})", quote(name), cols.join(", ")));
    }
    if ctes.is_empty() {
        return Ok(());
    }
    let sql = format!("WITH {} SELECT 1", ctes.join(", "));
    let Some(crate::parser::Statement::Sql(parsed)) = crate::parser::parse(&sql)?.pop() else {
        return Err(Error::internal("transition tables did not parse"));
    };
    let sqlparser::ast::Statement::Query(q) = *parsed else {
        return Err(Error::internal("transition tables did not parse as a query"));
    };
    let Some(with) = q.with else { return Err(Error::internal("transition tables lost")) };
    let query = match stmt {
        sqlparser::ast::Statement::Query(q) => Some(q.as_mut()),
        sqlparser::ast::Statement::Insert(i) => i.source.as_deref_mut(),
        _ => None,
    };
    let Some(query) = query else {
        return Err(Error::unsupported(
            "transition tables in a statement other than SELECT or INSERT ... SELECT",
        ));
    };
    match &mut query.with {
        Some(w) => {
            let mut all = with.cte_tables;
            all.append(&mut w.cte_tables);
            w.cte_tables = all;
        }
        None => query.with = Some(with),
    }
    Ok(())
}
