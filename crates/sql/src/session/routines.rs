//! Routine statements in the session: CREATE / DROP FUNCTION and PROCEDURE, CALL,
//! DO, CREATE / DROP TRIGGER, ALTER TABLE ... ENABLE | DISABLE TRIGGER, and the
//! runtime every statement gets when the catalog holds routines.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_storage::Savepoint;
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::statement::{bind_statement, Bound};
use super::{Session, StatementResult};
use crate::catalog::routine_defs::{
    Language, ParamDef, ReturnColumn, Returns, TriggerTiming, Volatility,
};
use crate::catalog::{Catalog, CatalogStore, FunctionDef, Relation, TableDef, TriggerDef};
use crate::encoding::keys::CatalogKind;
use crate::parser::routine::{RoutineStatement, TriggerSpec};
use crate::parser::{ident_name, object_name};
use crate::routine::{Notice, Outcome, StatementHost};

impl Session {
    /// Runs a statement of [`crate::parser::routine`].
    pub(super) fn routine_statement(&mut self, r: &RoutineStatement) -> Result<StatementResult> {
        match r {
            RoutineStatement::CreateFunction { def, procedure } => {
                self.create_function(def, *procedure)
            }
            RoutineStatement::Do { language, body } => self.run_do(language.as_deref(), body),
            RoutineStatement::CreateTrigger(spec) => self.create_trigger(spec),
            RoutineStatement::Aggregate(a) => self.aggregate_statement(a),
            RoutineStatement::Comment { desc, procedure, text } => {
                self.comment_on_routine(desc, *procedure, text.as_deref())
            }
        }
    }

    /// `COMMENT ON FUNCTION | PROCEDURE`: the text is kept in the routine's catalog
    /// record (`obj_description(oid, 'pg_proc')`, `pg_description`); empty or NULL
    /// removes it.
    fn comment_on_routine(
        &mut self,
        desc: &ast::FunctionDesc,
        procedure: bool,
        text: Option<&str>,
    ) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let Some(f) = self.find_routine(&catalog, desc, procedure)? else {
            return Err(Error::internal("routine lookup found nothing"));
        };
        self.check_routine_owner(&catalog, &f)?;
        let mut g = (*f).clone();
        g.comment = text.filter(|t| !t.is_empty()).map(str::to_string);
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_function(txn, &g)?;
        self.bump_version()?;
        Ok(StatementResult::command("COMMENT"))
    }

    /// The routine `d` names (by argument types when it lists them): 42883 when there
    /// is none, 42725 when the name alone fits several. `Ok(None)` never happens
    /// unless `if_exists` (see [`Session::drop_functions`]).
    fn find_routine(
        &self,
        catalog: &Catalog,
        d: &ast::FunctionDesc,
        procedure: bool,
    ) -> Result<Option<Arc<FunctionDef>>> {
        self.find_routine_if(catalog, d, procedure, false)
    }

    fn find_routine_if(
        &self,
        catalog: &Catalog,
        d: &ast::FunctionDesc,
        procedure: bool,
        if_exists: bool,
    ) -> Result<Option<Arc<FunctionDef>>> {
        let search_path = self.settings.search_path();
        let kind = if procedure { "procedure" } else { "function" };
        let qn = object_name(&d.name)?;
        let mut found = catalog.functions_named(qn.schema.as_deref(), &qn.name, &search_path);
        if let Some(args) = &d.args {
            let types = args
                .iter()
                .filter(|a| !matches!(a.mode, Some(ast::ArgMode::Out)))
                .map(|a| self.routine_type(catalog, &a.data_type))
                .collect::<Result<Vec<_>>>()?;
            found.retain(|f| f.arg_types() == types);
        }
        if let [other] = found.as_slice() {
            if other.procedure != procedure && other.aggregate.is_none() {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("{} is not a {kind}", other.signature()),
                ));
            }
        }
        found.retain(|f| f.procedure == procedure);
        if let Some(agg) = found.iter().find(|f| f.aggregate.is_some()) {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is an aggregate function", agg.name),
            )
            .with_hint("Use DROP AGGREGATE to drop aggregate functions."));
        }
        match found.len() {
            0 if if_exists => Ok(None),
            0 => {
                let sig = match &d.args {
                    Some(args) => format!(
                        "{}({})",
                        qn.name,
                        args.iter()
                            .filter(|a| !matches!(a.mode, Some(ast::ArgMode::Out)))
                            .map(|a| match self.routine_type(catalog, &a.data_type) {
                                Ok(t) => crate::expr::types::pg_type_name(&t),
                                Err(_) => a.data_type.to_string().to_lowercase(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => qn.name.clone(),
                };
                Err(Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!("{kind} {sig} does not exist"),
                ))
            }
            1 => Ok(found.pop()),
            _ => Err(Error::new(
                SqlState::AMBIGUOUS_FUNCTION,
                format!("{kind} name \"{}\" is not unique", qn.name),
            )
            .with_hint(format!("Specify the argument list to select the {kind} unambiguously."))),
        }
    }

    /// Notices raised by routines since the last call (`RAISE NOTICE`).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut *self.notices.lock())
    }

    /// A parameter or result type of a routine: built-in, user-defined (a domain stands
    /// for its base type) or a table's row type.
    pub(super) fn routine_type(&self, catalog: &Catalog, t: &ast::DataType) -> Result<DataType> {
        let search_path = self.settings.search_path();
        let scope = crate::catalog::typename::TypeScope { catalog, search_path: &search_path };
        let ty = crate::catalog::typename::resolve_user_column_type(t, Some(scope))?;
        if ty.column.serial {
            return crate::catalog::typename::resolve_type(t);
        }
        Ok(ty.column.data_type)
    }

    pub(super) fn create_function(
        &mut self,
        cf: &ast::CreateFunction,
        procedure: bool,
    ) -> Result<StatementResult> {
        let qn = object_name(&cf.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.creation_schema(&catalog, &qn, false)?;
        let language = match cf.language.as_ref().map(ident_name).as_deref() {
            Some("sql") | None => Language::Sql,
            Some("plpgsql") => Language::Plpgsql,
            Some(other) => {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("language \"{other}\" does not exist"),
                ))
            }
        };
        let mut params = Vec::new();
        let mut outs = Vec::new();
        let mut variadic = false;
        for a in cf.args.iter().flatten() {
            let def = ParamDef {
                name: a.name.as_ref().map(ident_name),
                data_type: self.routine_type(&catalog, &a.data_type)?,
                default: a.default_expr.as_ref().map(ToString::to_string),
            };
            match a.mode {
                None | Some(ast::ArgMode::In) => params.push(def),
                Some(ast::ArgMode::Out) => outs.push(def),
                Some(ast::ArgMode::InOut) => {
                    outs.push(ParamDef { default: None, ..def.clone() });
                    params.push(def);
                }
                Some(ast::ArgMode::Variadic) => {
                    let array = matches!(
                        def.data_type,
                        DataType::Array(_)
                            | DataType::Pseudo(
                                helios_types::Pseudo::AnyArray
                                    | helios_types::Pseudo::AnyCompatibleArray
                            )
                    );
                    if !array {
                        return Err(Error::new(
                            SqlState::from_code("42P13"),
                            "VARIADIC parameter must be an array",
                        ));
                    }
                    variadic = true;
                    params.push(def);
                    continue;
                }
            }
            if variadic && !matches!(a.mode, Some(ast::ArgMode::Out)) {
                return Err(Error::new(
                    SqlState::from_code("42P13"),
                    "VARIADIC parameter must be the last input parameter",
                ));
            }
        }
        // Input names and output names must each be unique (an IN and an OUT parameter
        // may share one).
        for list in [&params, &outs] {
            for (i, p) in list.iter().enumerate() {
                let Some(n) = &p.name else { continue };
                if list[..i].iter().any(|q| q.name.as_ref() == Some(n)) {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        format!("parameter name \"{n}\" used more than once"),
                    ));
                }
            }
        }
        let is_record = |t: &ast::DataType| matches!(t, ast::DataType::Custom(n, _) if n.to_string().eq_ignore_ascii_case("record"));
        let out_set =
            matches!(&cf.return_type, Some(ast::FunctionReturnType::SetOf(t)) if is_record(t));
        let record_result = out_set
            || matches!(&cf.return_type, Some(ast::FunctionReturnType::DataType(t)) if is_record(t));
        if record_result && outs.is_empty() {
            return Err(Error::unsupported("RETURNS record without OUT parameters"));
        }
        if let Some(i) = params.iter().position(|p| p.default.is_some()) {
            if params[i..].iter().any(|p| p.default.is_none()) {
                return Err(Error::new(
                    SqlState::from_code("42P13"),
                    "input parameters after one with a default value must also have defaults",
                ));
            }
        }
        let returns = if procedure {
            Returns::Void
        } else if !outs.is_empty() && (record_result || cf.return_type.is_none() || outs.len() == 1)
        {
            if outs.len() == 1 && !out_set {
                Returns::Scalar(outs[0].data_type.clone())
            } else {
                Returns::Table(
                    outs.iter()
                        .enumerate()
                        .map(|(i, o)| ReturnColumn {
                            name: o.name.clone().unwrap_or_else(|| format!("column{}", i + 1)),
                            data_type: o.data_type.clone(),
                        })
                        .collect(),
                )
            }
        } else {
            match &cf.return_type {
                None => {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        "function result type must be specified",
                    ))
                }
                Some(ast::FunctionReturnType::SetOf(t)) => {
                    Returns::SetOf(self.routine_type(&catalog, t)?)
                }
                Some(ast::FunctionReturnType::DataType(t)) => match t {
                    ast::DataType::Table(Some(cols)) => Returns::Table(
                        cols.iter()
                            .map(|c| {
                                Ok(ReturnColumn {
                                    name: ident_name(&c.name),
                                    data_type: self.routine_type(&catalog, &c.data_type)?,
                                })
                            })
                            .collect::<Result<_>>()?,
                    ),
                    ast::DataType::Trigger => Returns::Trigger,
                    ast::DataType::Custom(n, _) if n.to_string().eq_ignore_ascii_case("void") => {
                        Returns::Void
                    }
                    other => Returns::Scalar(self.routine_type(&catalog, other)?),
                },
            }
        };
        let inputs: Vec<_> = params.iter().map(|p| p.data_type.clone()).collect();
        match &returns {
            Returns::Scalar(t) | Returns::SetOf(t) => {
                crate::expr::polymorphic::check_result(t, &inputs)?
            }
            Returns::Table(cols) => {
                for c in cols {
                    crate::expr::polymorphic::check_result(&c.data_type, &inputs)?;
                }
            }
            Returns::Void | Returns::Trigger => {}
        }
        if returns == Returns::Trigger && language == Language::Sql {
            return Err(Error::new(
                SqlState::from_code("42P13"),
                "SQL functions cannot return type trigger",
            ));
        }
        if returns == Returns::Trigger && !params.is_empty() {
            return Err(Error::new(
                SqlState::from_code("42P13"),
                "trigger functions cannot have declared arguments",
            )
            .with_hint("The arguments of the trigger can be accessed through TG_NARGS and TG_ARGV instead."));
        }
        // Where the body's text starts in the statement, for the positions of errors in it.
        let start = match &cf.function_body {
            Some(ast::CreateFunctionBody::AsBeforeOptions { body, .. })
            | Some(ast::CreateFunctionBody::AsAfterOptions(body)) => match body {
                ast::Expr::Value(v) => {
                    let quote = match &v.value {
                        ast::Value::DollarQuotedString(d) => {
                            2 + d.tag.as_ref().map_or(0, |t| t.chars().count())
                        }
                        _ => 1,
                    };
                    let at = v.span.start;
                    (at.line > 0).then_some((at.line, at.column as i64 + quote as i64))
                }
                _ => None,
            },
            _ => None,
        };
        let body = match &cf.function_body {
            Some(ast::CreateFunctionBody::AsBeforeOptions { body, .. })
            | Some(ast::CreateFunctionBody::AsAfterOptions(body)) => match body {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    ast::Value::DollarQuotedString(d) => d.value.clone(),
                    _ => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "function body must be a string",
                        ))
                    }
                },
                _ => {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "function body must be a string",
                    ))
                }
            },
            Some(ast::CreateFunctionBody::Return(e)) => format!("SELECT {e}"),
            Some(ast::CreateFunctionBody::BeginAtomic(b)) => {
                b.statements.iter().map(ToString::to_string).collect::<Vec<_>>().join(";\n")
            }
            _ => {
                return Err(Error::new(SqlState::from_code("42P13"), "no function body specified"))
            }
        };
        // Syntax errors surface now, as in PostgreSQL.
        match language {
            Language::Sql => {
                let stmts = crate::routine::sql_body_parse(&body)?;
                if stmts.is_empty() && returns != Returns::Void {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        format!(
                            "return type mismatch in function declared to return {}",
                            crate::expr::types::pg_type_name(&match &returns {
                                Returns::Scalar(t) | Returns::SetOf(t) => t.clone(),
                                _ => DataType::Text,
                            })
                        ),
                    )
                    .with_detail("Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING."));
                }
            }
            Language::Plpgsql => {
                crate::routine::plpgsql::parse::parse_function(&body).map_err(|e| match start {
                    Some((line, column)) => e.shift_anchor(line, column),
                    None => e,
                })?;
            }
        }
        let volatility = match cf.behavior {
            Some(ast::FunctionBehavior::Immutable) => Volatility::Immutable,
            Some(ast::FunctionBehavior::Stable) => Volatility::Stable,
            _ => Volatility::Volatile,
        };
        let strict = matches!(
            cf.called_on_null,
            Some(
                ast::FunctionCalledOnNull::Strict
                    | ast::FunctionCalledOnNull::ReturnsNullOnNullInput
            )
        );
        let arg_types: Vec<DataType> = params.iter().map(|p| p.data_type.clone()).collect();
        let existing = catalog
            .functions
            .values()
            .find(|f| f.schema == schema && f.name == qn.name && f.arg_types() == arg_types)
            .cloned();
        let owner = self.auth(&catalog).id;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = match &existing {
            Some(f) if cf.or_replace => {
                if f.aggregate.is_some() {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        "cannot change routine kind",
                    )
                    .with_detail(format!("\"{}\" is an aggregate function.", f.name)));
                }
                if f.procedure != procedure {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        "cannot change routine kind",
                    )
                    .with_detail(format!(
                        "\"{}\" is a {}.",
                        f.name,
                        if f.procedure { "procedure" } else { "function" }
                    )));
                }
                let drop_hint = || {
                    let types: Vec<String> = f
                        .params
                        .iter()
                        .map(|p| crate::expr::types::pg_type_name(&p.data_type))
                        .collect();
                    format!("Use DROP FUNCTION {}({}) first.", f.name, types.join(","))
                };
                for (old, new) in f.params.iter().zip(&params) {
                    if let Some(name) = &old.name {
                        if new.name.as_ref() != Some(name) {
                            return Err(Error::new(
                                SqlState::from_code("42P13"),
                                format!("cannot change name of input parameter \"{name}\""),
                            )
                            .with_hint(drop_hint()));
                        }
                    }
                }
                let defaults = |ps: &[ParamDef]| ps.iter().filter(|p| p.default.is_some()).count();
                if defaults(&params) < defaults(&f.params) {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        "cannot remove parameter defaults from existing function",
                    )
                    .with_hint(drop_hint()));
                }
                if f.returns != returns {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        "cannot change return type of existing function",
                    )
                    .with_hint(drop_hint()));
                }
                f.id
            }
            Some(f) => {
                return Err(Error::new(
                    SqlState::DUPLICATE_FUNCTION,
                    format!(
                        "{} \"{}\" already exists with same argument types",
                        if procedure { "procedure" } else { "function" },
                        f.name
                    ),
                ))
            }
            None => CatalogStore::next_id(txn)?,
        };
        let def = FunctionDef {
            id,
            schema,
            name: qn.name,
            params,
            outs,
            out_set,
            returns,
            language,
            body,
            volatility,
            strict,
            procedure,
            owner,
            parallel: match cf.parallel {
                Some(ast::FunctionParallel::Safe) => "s",
                Some(ast::FunctionParallel::Restricted) => "r",
                _ => "u",
            }
            .into(),
            comment: None,
            variadic,
            aggregate: None,
        };
        CatalogStore::put_function(txn, &def)?;
        self.bump_version()?;
        Ok(StatementResult::command(if procedure { "CREATE PROCEDURE" } else { "CREATE FUNCTION" }))
    }

    pub(super) fn drop_functions(
        &mut self,
        descs: &[ast::FunctionDesc],
        if_exists: bool,
        cascade: bool,
        procedure: bool,
    ) -> Result<StatementResult> {
        let kind = if procedure { "procedure" } else { "function" };
        for d in descs {
            let (catalog, _) = self.ddl_parts()?;
            let Some(f) = self.find_routine_if(&catalog, d, procedure, if_exists)? else {
                continue;
            };
            let users: Vec<Arc<TriggerDef>> =
                catalog.triggers.values().filter(|t| t.function == f.id).cloned().collect();
            if !users.is_empty() && !cascade {
                let t = &users[0];
                let table = catalog.table(t.table).map(|t| t.name.clone()).unwrap_or_default();
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!(
                        "cannot drop {kind} {} because other objects depend on it",
                        f.signature()
                    ),
                )
                .with_detail(format!(
                    "trigger {} on table {table} depends on {kind} {}",
                    t.name,
                    f.signature()
                ))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            for t in users {
                CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
            }
            CatalogStore::delete(txn, CatalogKind::Function, f.id)?;
            self.bump_version()?;
        }
        Ok(StatementResult::command(if procedure { "DROP PROCEDURE" } else { "DROP FUNCTION" }))
    }

    /// The table (or view, as [`crate::catalog::ViewDef::as_table`]) a trigger is on.
    fn trigger_table(&mut self, name: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        let qn = object_name(name)?;
        match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
            Some((_, Relation::Table(id))) => {
                catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))
            }
            Some((_, Relation::View(id))) => catalog
                .views
                .get(&id)
                .map(|v| Arc::new(v.as_table()))
                .ok_or_else(|| Error::internal("view vanished")),
            Some(_) => Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not a table", qn.name),
            )),
            None => Err(Error::new(
                SqlState::UNDEFINED_TABLE,
                format!("relation \"{}\" does not exist", qn.name),
            )),
        }
    }

    fn create_trigger(&mut self, spec: &TriggerSpec) -> Result<StatementResult> {
        let table = self.trigger_table(&spec.table)?;
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        self.require_owner(&catalog, table.access.owner, "table", &table.name)?;
        check_trigger_kind(&catalog, &table, spec)?;
        let fq = object_name(&spec.function)?;
        let func = catalog
            .functions_named(fq.schema.as_deref(), &fq.name, &search_path)
            .into_iter()
            .find(|f| f.params.is_empty() && !f.procedure)
            .ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!("function {}() does not exist", fq.name),
                )
            })?;
        if func.returns != Returns::Trigger {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                format!("function {} must return type trigger", func.name),
            ));
        }
        for c in &spec.update_columns {
            if table.column_index(c).is_none() {
                return Err(Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{c}\" of relation \"{}\" does not exist", table.name),
                ));
            }
        }
        if let Some(w) = &spec.when {
            let lower = w.to_ascii_lowercase();
            if !spec.for_each_row && (lower.contains("new.") || lower.contains("old.")) {
                return Err(Error::new(
                    SqlState::from_code("42P17"),
                    "statement trigger's WHEN condition cannot reference column values",
                ));
            }
            if spec.on_insert && !spec.on_update && !spec.on_delete && lower.contains("old.") {
                return Err(Error::new(
                    SqlState::from_code("42P17"),
                    "INSERT trigger's WHEN condition cannot reference OLD values",
                ));
            }
            if spec.on_delete && !spec.on_update && !spec.on_insert && lower.contains("new.") {
                return Err(Error::new(
                    SqlState::from_code("42P17"),
                    "DELETE trigger's WHEN condition cannot reference NEW values",
                ));
            }
        }
        let existing =
            catalog.triggers.values().find(|t| t.table == table.id && t.name == spec.name).cloned();
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = match existing {
            Some(t) if spec.or_replace => t.id,
            Some(_) => {
                return Err(Error::new(
                    SqlState::DUPLICATE_OBJECT,
                    format!(
                        "trigger \"{}\" for relation \"{}\" already exists",
                        spec.name, table.name
                    ),
                ))
            }
            None => CatalogStore::next_id(txn)?,
        };
        let def = TriggerDef {
            id,
            name: spec.name.clone(),
            table: table.id,
            function: func.id,
            timing: spec.timing,
            on_insert: spec.on_insert,
            on_update: spec.on_update,
            on_delete: spec.on_delete,
            update_columns: spec.update_columns.clone(),
            for_each_row: spec.for_each_row,
            when: spec.when.clone(),
            args: spec.args.clone(),
            enabled: true,
            old_table: spec.old_table.clone(),
            new_table: spec.new_table.clone(),
        };
        CatalogStore::put_trigger(txn, &def)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE TRIGGER"))
    }

    pub(super) fn drop_trigger(&mut self, d: &ast::DropTrigger) -> Result<StatementResult> {
        let name = object_name(&d.trigger_name)?.name;
        let Some(tname) = &d.table_name else {
            return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input"));
        };
        let table = match self.trigger_table(tname) {
            Ok(t) => t,
            Err(e) if d.if_exists && e.sqlstate() == SqlState::UNDEFINED_TABLE => {
                return Ok(StatementResult::command("DROP TRIGGER"))
            }
            Err(e) => return Err(e),
        };
        let (catalog, _) = self.ddl_parts()?;
        let found =
            catalog.triggers.values().find(|t| t.table == table.id && t.name == name).cloned();
        match found {
            Some(t) => {
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
                self.bump_version()?;
            }
            None => {
                // A row trigger of a partitioned table is its partitions' too.
                let owner = catalog.with_ancestors(table.id).into_iter().skip(1).find(|up| {
                    catalog.triggers_of(*up).iter().any(|t| t.name == name && t.for_each_row)
                });
                if let Some(up) = owner.and_then(|up| catalog.table(up)) {
                    return Err(Error::new(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        format!(
                            "cannot drop trigger {name} on table {} because trigger {name} on table {} requires it",
                            table.name, up.name
                        ),
                    )
                    .with_hint(format!("You can drop trigger {name} on table {} instead.", up.name)));
                }
                if !d.if_exists {
                    return Err(Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("trigger \"{name}\" for table \"{}\" does not exist", table.name),
                    ));
                }
            }
        }
        Ok(StatementResult::command("DROP TRIGGER"))
    }

    /// `ALTER TRIGGER name ON table RENAME TO new`.
    pub(super) fn alter_trigger(&mut self, a: &ast::AlterTrigger) -> Result<StatementResult> {
        let ast::AlterTriggerOperation::Rename { new_name } = &a.operation else {
            return Err(Error::unsupported(format!("ALTER TRIGGER {}", a.operation)));
        };
        let (name, new_name) = (ident_name(&a.name), ident_name(new_name));
        let table = self.trigger_table(&a.table_name)?;
        let (catalog, _) = self.ddl_parts()?;
        self.require_owner(&catalog, table.access.owner, "table", &table.name)?;
        let Some(t) = catalog.triggers_of(table.id).into_iter().find(|t| t.name == name) else {
            let owner = catalog.with_ancestors(table.id).into_iter().skip(1).find(|up| {
                catalog.triggers_of(*up).iter().any(|t| t.name == name && t.for_each_row)
            });
            if let Some(up) = owner.and_then(|up| catalog.table(up)) {
                // PostgreSQL raises this one without a specific SQLSTATE.
                return Err(Error::new(
                    SqlState::from_code("XX000"),
                    format!("cannot rename trigger \"{name}\" on table \"{}\"", table.name),
                )
                .with_hint(format!(
                    "Rename the trigger on the partitioned table \"{}\" instead.",
                    up.name
                )));
            }
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("trigger \"{name}\" for table \"{}\" does not exist", table.name),
            ));
        };
        // The new name must be free on the table and, for a row trigger of a partitioned
        // table, on every partition it reaches.
        let mut reach = vec![table.id];
        if t.for_each_row {
            reach = catalog.partition_tree(table.id);
        }
        for rel in reach {
            if catalog.triggers_of(rel).iter().any(|o| o.name == new_name && o.id != t.id) {
                let rel_name = catalog.table(rel).map(|r| r.name.clone()).unwrap_or_default();
                return Err(Error::new(
                    SqlState::DUPLICATE_OBJECT,
                    format!("trigger \"{new_name}\" for relation \"{rel_name}\" already exists"),
                ));
            }
        }
        let mut t = t.as_ref().clone();
        t.name = new_name;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_trigger(txn, &t)?;
        self.bump_version()?;
        Ok(StatementResult::command("ALTER TRIGGER"))
    }

    /// `ALTER TABLE t ENABLE | DISABLE TRIGGER name | ALL | USER`.
    pub(super) fn set_trigger_enabled(
        &mut self,
        table: &TableDef,
        name: &str,
        enabled: bool,
    ) -> Result<()> {
        let (catalog, _) = self.ddl_parts()?;
        let all = name == "all" || name == "user";
        let targets: Vec<Arc<TriggerDef>> =
            catalog.triggers_of(table.id).into_iter().filter(|t| all || t.name == name).collect();
        if targets.is_empty() && !all {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("trigger \"{name}\" for table \"{}\" does not exist", table.name),
            ));
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for t in targets {
            let mut t = t.as_ref().clone();
            t.enabled = enabled;
            CatalogStore::put_trigger(txn, &t)?;
        }
        self.bump_version()
    }

    /// The triggers of `table` that name column `column` (`UPDATE OF`, `WHEN`): refused
    /// (2BP01) unless `cascade`, which drops them.
    pub(super) fn drop_triggers_reading_column(
        &mut self,
        catalog: &crate::catalog::Catalog,
        table: &TableDef,
        column: &str,
        cascade: bool,
    ) -> Result<()> {
        let mut deps: Vec<Arc<TriggerDef>> = catalog
            .triggers_of(table.id)
            .into_iter()
            .filter(|t| {
                t.update_columns.iter().any(|c| c == column)
                    || t.when.as_deref().is_some_and(|w| when_reads(w, column))
            })
            .collect();
        if deps.is_empty() {
            return Ok(());
        }
        deps.sort_by_key(|t| t.id);
        if !cascade {
            let lines: Vec<String> = deps
                .iter()
                .map(|t| {
                    format!(
                        "trigger {} on table {} depends on column {column} of table {}",
                        t.name, table.name, table.name
                    )
                })
                .collect();
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!(
                    "cannot drop column {column} of table {} because other objects depend on it",
                    table.name
                ),
            )
            .with_detail(lines.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for t in deps {
            CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
        }
        Ok(())
    }

    /// Deletes the triggers of a dropped table.
    pub(super) fn drop_table_triggers(
        &mut self,
        catalog: &crate::catalog::Catalog,
        table: u32,
    ) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for t in catalog.triggers.values().filter(|t| t.table == table) {
            CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
        }
        Ok(())
    }

    fn run_do(&mut self, language: Option<&str>, body: &str) -> Result<StatementResult> {
        if language == Some("sql") {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "language \"sql\" does not support inline code execution",
            ));
        }
        if let Some(l) = language.filter(|l| *l != "plpgsql") {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("language \"{l}\" does not exist"),
            ));
        }
        let f = crate::routine::plpgsql::parse::parse_function(body)?;
        let mut host = SessionHost { session: self };
        crate::routine::plpgsql::exec::run_do(&f, &mut host)?;
        Ok(StatementResult::command("DO"))
    }

    /// `CALL proc(args)`.
    pub(super) fn call_procedure(&mut self, f: &ast::Function) -> Result<StatementResult> {
        // Bind the call as an expression to resolve the overload and arguments.
        let mut call = f.clone();
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        let catalog = self.engine.catalogs.get(txn)?;
        let info = self.info();
        let qn = object_name(&f.name)?;
        let search_path = self.settings.search_path();
        let procs: Vec<Arc<FunctionDef>> = catalog
            .functions_named(qn.schema.as_deref(), &qn.name, &search_path)
            .into_iter()
            .filter(|p| p.procedure)
            .collect();
        if procs.is_empty() {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("procedure {} does not exist", f.name),
            )
            .with_hint("No procedure matches the given name and argument types. You might need to add explicit type casts."));
        }
        call.name = f.name.clone();
        let p = procs[0].clone();
        // Arguments: bind each against its parameter type, fill defaults.
        let args: Vec<ast::Expr> = match &f.args {
            ast::FunctionArguments::List(l) => l
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                    other => Err(Error::unsupported(format!("procedure argument {other}"))),
                })
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        if args.len() > p.params.len() || args.len() < p.required_args() {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("procedure {}({} arguments) does not exist", p.name, args.len()),
            ));
        }
        let mut values = Vec::with_capacity(p.params.len());
        for (i, param) in p.params.iter().enumerate() {
            let e = match args.get(i) {
                Some(e) => e.clone(),
                None => crate::parser::parse_expr(param.default.as_deref().unwrap_or("NULL"))?,
            };
            let q = ast::Statement::Query(Box::new(crate::parser::parse_query(&format!(
                "SELECT CAST(({e}) AS {})",
                crate::expr::types::pg_type_name(&param.data_type)
            ))?));
            let out = self.run_nested(&q, &[], &[])?;
            values.push(
                out.rows
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Value::Null),
            );
        }
        drop(catalog);
        let _ = info;
        if p.strict && values.iter().any(Value::is_null) {
            return Ok(StatementResult::command("CALL"));
        }
        match p.language {
            Language::Plpgsql => {
                let body = crate::routine::plpgsql::parse::parse_function(&p.body)?;
                let mut host = SessionHost { session: self };
                crate::routine::plpgsql::exec::call_function(&body, &mut host, &p, values)?;
            }
            Language::Sql => {
                let stmts = crate::routine::sql_body_parse(&p.body)?;
                let names: Vec<Option<String>> = p.params.iter().map(|x| x.name.clone()).collect();
                let types = p.arg_types();
                for mut s in stmts {
                    crate::routine::substitute::substitute(&mut s, &mut |parts| {
                        Ok(match parts {
                            [one] => match one.strip_prefix('$') {
                                Some(n) => n
                                    .parse::<usize>()
                                    .ok()
                                    .filter(|n| *n >= 1 && *n <= names.len())
                                    .map(|n| n - 1),
                                None => {
                                    names.iter().position(|n| n.as_deref() == Some(one.as_str()))
                                }
                            },
                            _ => None,
                        })
                    })?;
                    self.run_nested(&s, &values, &types)?;
                }
            }
        }
        Ok(StatementResult::command("CALL"))
    }

    /// Runs one statement of a DO block or procedure in the current transaction.
    pub(super) fn run_nested(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<Outcome> {
        if let ast::Statement::Query(q) = stmt {
            if super::writable_cte::has_dml_cte(q) {
                return Err(Error::unsupported("data-modifying WITH inside PL/pgSQL"));
            }
        }
        // Under READ COMMITTED every statement of a routine sees the commits made before
        // it starts, as in PostgreSQL.
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        txn.try_new_statement()?;
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        self.catalog_memo = None;
        let catalog = self.engine.catalogs.get(txn)?;
        let info = self.info_shared();
        let (bound, _) = bind_statement(&catalog, &info, stmt, types)?;
        let columns: Vec<(String, DataType)> =
            bound.columns().into_iter().map(|c| (c.name, c.data_type)).collect();
        let r = if let Bound::Utility(u) = &bound {
            self.catalog_memo = None;
            let r = match u.as_ref() {
                ast::Statement::Call(f) => self.call_procedure(f),
                other => self.run_ddl_restarting(other).and_then(|r| {
                    r.ok_or_else(|| {
                        Error::unsupported(format!(
                            "statement \"{}\" in PL/pgSQL",
                            other
                                .to_string()
                                .split_whitespace()
                                .take(2)
                                .collect::<Vec<_>>()
                                .join(" ")
                        ))
                    })
                }),
            }?;
            self.catalog_memo = None;
            r
        } else {
            self.execute_bound(&bound, params, &catalog, &info)?
        };
        Ok(match r {
            StatementResult::Rows(q) => {
                Outcome { columns, count: q.rows.len() as u64, rows: q.rows }
            }
            StatementResult::Command { rows_affected, .. } => {
                Outcome { columns, rows: Vec::new(), count: rows_affected }
            }
        })
    }
}

/// Runs the statements of a DO block or procedure through the session (which may run
/// DDL too).
struct SessionHost<'s> {
    session: &'s mut Session,
}

impl StatementHost for SessionHost<'_> {
    fn run(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<Outcome> {
        self.session.run_nested(stmt, params, types)
    }

    fn savepoint(&mut self) -> Result<Savepoint> {
        let txn = self.session.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        Ok(txn.savepoint())
    }

    fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        self.session.catalog_memo = None;
        let txn = self.session.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        txn.rollback_to(sp)
    }

    fn release(&mut self, sp: Savepoint) -> Result<()> {
        let txn = self.session.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        txn.release_savepoint(sp);
        Ok(())
    }

    fn notice(&mut self, n: Notice) {
        self.session.notices.lock().push(n);
    }

    fn check_cancel(&self) -> Result<()> {
        crate::exec::check_cancel(&self.session.cancel)
    }

    fn columns_of_table(&self, name: &str) -> Option<Vec<(String, DataType)>> {
        let txn = self.session.txn.as_ref()?;
        let catalog = self.session.engine.catalogs.get(txn).ok()?;
        crate::routine::host::table_columns(&catalog, &self.session.settings.search_path(), name)
    }

    fn cursors(&self) -> Result<super::CursorAccess<'_>> {
        Ok(self.session.cursor_access())
    }
}

/// PostgreSQL's rules on which triggers a table or a view may have.
fn check_trigger_kind(
    catalog: &crate::catalog::Catalog,
    table: &TableDef,
    spec: &TriggerSpec,
) -> Result<()> {
    let is_view = catalog.views.contains_key(&table.id);
    let wrong = |what: &str, detail: &str| {
        Error::new(SqlState::WRONG_OBJECT_TYPE, format!("\"{}\" is a {what}", table.name))
            .with_detail(detail.to_string())
    };
    if spec.timing == TriggerTiming::InsteadOf {
        if !is_view {
            return Err(wrong("table", "Tables cannot have INSTEAD OF triggers."));
        }
        if !spec.for_each_row {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "INSTEAD OF triggers must be FOR EACH ROW",
            ));
        }
        if spec.when.is_some() {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "INSTEAD OF triggers cannot have WHEN conditions",
            ));
        }
        if !spec.update_columns.is_empty() {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "INSTEAD OF triggers cannot have column lists",
            ));
        }
    } else if is_view && spec.for_each_row {
        return Err(wrong("view", "Views cannot have row-level BEFORE or AFTER triggers."));
    }
    if spec.old_table.is_some() || spec.new_table.is_some() {
        let syntax = |m: &str| Error::new(SqlState::FEATURE_NOT_SUPPORTED, m.to_string());
        if is_view {
            return Err(wrong("view", "Triggers on views cannot have transition tables."));
        }
        if spec.timing != TriggerTiming::After {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                "transition table name can only be specified for an AFTER trigger",
            ));
        }
        let events = [spec.on_insert, spec.on_update, spec.on_delete];
        if events.iter().filter(|e| **e).count() > 1 {
            return Err(syntax(
                "transition tables cannot be specified for triggers with more than one event",
            ));
        }
        if !spec.update_columns.is_empty() {
            return Err(syntax(
                "transition tables cannot be specified for triggers with column lists",
            ));
        }
        if spec.old_table.is_some() && spec.on_insert {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                "OLD TABLE can only be specified for a DELETE or UPDATE trigger",
            ));
        }
        if spec.new_table.is_some() && spec.on_delete {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                "NEW TABLE can only be specified for an INSERT or UPDATE trigger",
            ));
        }
        if spec.old_table.is_some() && spec.old_table == spec.new_table {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                "OLD TABLE name and NEW TABLE name cannot be the same",
            ));
        }
        if catalog.is_partitioned(table.id) || catalog.partition_parent(table.id).is_some() {
            return Err(Error::unsupported(
                "transition tables on partitioned tables and partitions",
            ));
        }
    }
    Ok(())
}

/// Whether a WHEN condition reads `NEW.column` or `OLD.column`.
fn when_reads(when: &str, column: &str) -> bool {
    let Ok(e) = crate::parser::parse_expr(when) else { return false };
    let mut hit = false;
    let _ = ast::visit_expressions(&e, |x| {
        if let ast::Expr::CompoundIdentifier(ids) = x {
            if ids.len() == 2 {
                let rec = ident_name(&ids[0]);
                if (rec == "new" || rec == "old") && ident_name(&ids[1]) == column {
                    hit = true;
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    hit
}
