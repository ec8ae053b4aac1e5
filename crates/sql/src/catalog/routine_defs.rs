//! Catalog records of user-defined routines and triggers: what `CREATE FUNCTION`,
//! `CREATE PROCEDURE` and `CREATE TRIGGER` store. Each is one JSON record under its
//! catalog key (`01 09 id` for routines, `01 0a id` for triggers), written in the
//! user's transaction like every other catalog row.

use helios_types::DataType;
use serde::{Deserialize, Serialize};

/// The language of a routine body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    /// `LANGUAGE sql`: a list of SQL statements, the last one gives the result.
    Sql,
    /// `LANGUAGE plpgsql`: a block interpreted by [`crate::routine::plpgsql`].
    Plpgsql,
}

impl Language {
    /// The language's name as `pg_language` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Language::Sql => "sql",
            Language::Plpgsql => "plpgsql",
        }
    }
}

/// What a routine returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Returns {
    /// One value of a type.
    Scalar(#[serde(with = "super::defs::type_text")] DataType),
    /// `SETOF type`: any number of values.
    SetOf(#[serde(with = "super::defs::type_text")] DataType),
    /// `TABLE (name type, ...)` (or OUT parameters with SETOF record): rows.
    Table(Vec<ReturnColumn>),
    /// `void` (and procedures).
    Void,
    /// `trigger`: only callable as a trigger.
    Trigger,
}

/// One output column of a `RETURNS TABLE` routine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnColumn {
    /// Column name.
    pub name: String,
    /// Column type.
    #[serde(with = "super::defs::type_text")]
    pub data_type: DataType,
}

/// One parameter of a routine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    /// The name (`None` for an unnamed parameter, reachable as `$n`).
    pub name: Option<String>,
    /// The type.
    #[serde(with = "super::defs::type_text")]
    pub data_type: DataType,
    /// The `DEFAULT` expression as SQL text.
    pub default: Option<String>,
}

/// How a routine's result depends on its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Volatility {
    /// Same inputs, same result, reads nothing.
    Immutable,
    /// Same result within a statement.
    Stable,
    /// Anything may change (the default).
    Volatile,
}

impl Volatility {
    /// `pg_proc.provolatile`.
    pub fn code(self) -> &'static str {
        match self {
            Volatility::Immutable => "i",
            Volatility::Stable => "s",
            Volatility::Volatile => "v",
        }
    }
}

/// A user-defined function or procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    /// Object id.
    pub id: u32,
    /// The schema it lives in.
    pub schema: String,
    /// Its name (lowercase unless quoted).
    pub name: String,
    /// Input parameters (IN and INOUT), in order.
    pub params: Vec<ParamDef>,
    /// Output parameters (OUT and INOUT), in order: they make the result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outs: Vec<ParamDef>,
    /// With output parameters: `RETURNS SETOF` (else one row).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_set: bool,
    /// The result.
    pub returns: Returns,
    /// The body's language.
    pub language: Language,
    /// The body's source text (`prosrc`).
    pub body: String,
    /// IMMUTABLE / STABLE / VOLATILE.
    pub volatility: Volatility,
    /// STRICT / RETURNS NULL ON NULL INPUT: a NULL argument gives NULL without a call.
    pub strict: bool,
    /// A procedure (`CALL`) rather than a function.
    pub procedure: bool,
    /// The role owning it.
    #[serde(default)]
    pub owner: u32,
    /// `PARALLEL SAFE | RESTRICTED | UNSAFE` as `pg_proc.proparallel` spells it (`s`,
    /// `r`, `u`); recorded for catalogs and dumps, without effect here.
    #[serde(default = "parallel_unsafe")]
    pub parallel: String,
    /// `COMMENT ON AGGREGATE` text (`pg_description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The last input parameter is `VARIADIC`: an array collecting the trailing
    /// arguments of a call.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub variadic: bool,
    /// Set for an aggregate made by `CREATE AGGREGATE` (`pg_proc.prokind = 'a'`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Box<AggregateDef>>,
}

/// What `CREATE AGGREGATE` adds to its function record (`pg_aggregate`). The support
/// functions are kept by name and resolved again at every call with the call's
/// argument types, so a polymorphic aggregate works for each type it is called with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateDef {
    /// The state transition function (`SFUNC`), as written (maybe schema-qualified).
    pub sfunc: String,
    /// The state type (`STYPE`), maybe polymorphic.
    #[serde(with = "super::defs::type_text")]
    pub stype: DataType,
    /// `FINALFUNC`: the state to the result (the result is the state without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalfunc: Option<String>,
    /// `FINALFUNC_EXTRA`: the final function also takes one NULL per aggregate argument.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finalfunc_extra: bool,
    /// `INITCOND`: the first state as text (NULL when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initcond: Option<String>,
    /// `agg(*)`: called without arguments.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub star: bool,
    /// Options recorded for the catalog and dumps but not used by the executor
    /// (`COMBINEFUNC`, `SERIALFUNC`, `DESERIALFUNC`, the moving-aggregate `MSFUNC`
    /// family, `SORTOP`, `SSPACE`, `FINALFUNC_MODIFY`, `PARALLEL`), as `(name, value)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<(String, String)>,
}

impl AggregateDef {
    /// A recorded option's value (`combinefunc`, `sortop`, ...).
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn parallel_unsafe() -> String {
    "u".into()
}

impl FunctionDef {
    /// The input types (the signature overloading distinguishes).
    pub fn arg_types(&self) -> Vec<DataType> {
        self.params.iter().map(|p| p.data_type.clone()).collect()
    }

    /// `name(type, ...)`, as PostgreSQL names a routine in messages.
    pub fn signature(&self) -> String {
        let types: Vec<String> =
            self.params.iter().map(|p| crate::expr::types::pg_type_name(&p.data_type)).collect();
        format!("{}({})", self.name, types.join(", "))
    }

    /// The number of parameters without a default (what a call must give at least).
    pub fn required_args(&self) -> usize {
        self.params.iter().rposition(|p| p.default.is_none()).map_or(0, |i| i + 1)
    }

    /// Whether it returns rows (SETOF or TABLE).
    pub fn returns_set(&self) -> bool {
        matches!(self.returns, Returns::SetOf(_) | Returns::Table(_))
    }

    /// The type of a call's value (the first column's type for TABLE).
    pub fn result_type(&self) -> DataType {
        match &self.returns {
            Returns::Scalar(t) | Returns::SetOf(t) => t.clone(),
            Returns::Table(cols) if cols.len() == 1 => cols[0].data_type.clone(),
            Returns::Table(_) => DataType::Unknown,
            Returns::Void | Returns::Trigger => DataType::Text,
        }
    }

    /// The columns of its rows when called in FROM.
    pub fn result_columns(&self) -> Vec<(String, DataType)> {
        match &self.returns {
            Returns::Table(cols) => {
                cols.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect()
            }
            // One OUT parameter names the column.
            Returns::Scalar(t) | Returns::SetOf(t) => {
                let name = match self.outs.as_slice() {
                    [out] => out.name.clone().unwrap_or_else(|| self.name.clone()),
                    _ => self.name.clone(),
                };
                vec![(name, t.clone())]
            }
            Returns::Void | Returns::Trigger => vec![(self.name.clone(), DataType::Text)],
        }
    }
}

/// When a trigger fires relative to the row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerTiming {
    /// BEFORE: may change or skip the row.
    Before,
    /// AFTER: sees the change, at the end of the statement.
    After,
    /// INSTEAD OF (views only, row level): the trigger does the change.
    InsteadOf,
}

impl TriggerTiming {
    /// `TG_WHEN` and the word in `pg_get_triggerdef`.
    pub fn name(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

/// A trigger on a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerDef {
    /// Object id.
    pub id: u32,
    /// The name (unique per table).
    pub name: String,
    /// The table it is on.
    pub table: u32,
    /// The trigger function.
    pub function: u32,
    /// BEFORE or AFTER.
    pub timing: TriggerTiming,
    /// Fires on INSERT.
    pub on_insert: bool,
    /// Fires on UPDATE.
    pub on_update: bool,
    /// Fires on DELETE.
    pub on_delete: bool,
    /// `UPDATE OF cols`: fires only when one of these columns is a target (empty: any).
    pub update_columns: Vec<String>,
    /// FOR EACH ROW (else FOR EACH STATEMENT).
    pub for_each_row: bool,
    /// The WHEN condition as SQL text.
    pub when: Option<String>,
    /// The arguments (`TG_ARGV`).
    pub args: Vec<String>,
    /// Not disabled by `ALTER TABLE ... DISABLE TRIGGER`.
    pub enabled: bool,
    /// `REFERENCING OLD TABLE AS name`: the statement's old rows under that name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_table: Option<String>,
    /// `REFERENCING NEW TABLE AS name`: the statement's new rows under that name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_table: Option<String>,
}

impl TriggerDef {
    /// `pg_trigger.tgtype`: PostgreSQL's bit mask (row 1, before 2, insert 4, delete 8,
    /// update 16, instead 64).
    pub fn tgtype(&self) -> i16 {
        let mut t = 0;
        if self.for_each_row {
            t |= 1;
        }
        match self.timing {
            TriggerTiming::Before => t |= 2,
            TriggerTiming::InsteadOf => t |= 64,
            TriggerTiming::After => {}
        }
        if self.on_insert {
            t |= 4;
        }
        if self.on_delete {
            t |= 8;
        }
        if self.on_update {
            t |= 16;
        }
        t
    }
}
