//! `CREATE`, `DROP` and `ALTER AGGREGATE`: user-defined aggregates, stored as function
//! records with an [`AggregateDef`] (so they share overloading, schemas, owners and
//! `pg_proc` with functions).
//!
//! CREATE checks what PostgreSQL checks when the types are concrete: the transition
//! function exists for `(stype, args...)` and returns `stype`, the final function
//! exists, `INITCOND` converts to the state type. A polymorphic aggregate is checked at
//! each call, for the call's types. Options for parallel and moving-window execution
//! (`COMBINEFUNC`, `SERIALFUNC`, `DESERIALFUNC`, `MSFUNC`, `MINVFUNC`, `MSTYPE`,
//! `MFINALFUNC`, `MINITCOND`, `SORTOP`, ...) are recorded but not used: aggregates run
//! serially and a window frame is recomputed from its rows.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::routine_defs::{AggregateDef, Language, ParamDef, Returns, Volatility};
use crate::catalog::{Catalog, CatalogStore, FunctionDef};
use crate::encoding::keys::CatalogKind;
use crate::parser::aggregate::{
    AggregateArgs, AggregateRef, AggregateStatement, AlterAggregateAction, CreateAggregate,
};
use crate::parser::object_name;
use crate::routine::{Notice, NoticeLevel};

/// Options recorded without effect (see the module note).
const RECORDED: &[&str] = &[
    "combinefunc",
    "serialfunc",
    "deserialfunc",
    "msfunc",
    "minvfunc",
    "mstype",
    "msspace",
    "mfinalfunc",
    "mfinalfunc_extra",
    "mfinalfunc_modify",
    "minitcond",
    "sortop",
    "sspace",
    "finalfunc_modify",
    "parallel",
    "hypothetical",
];

fn invalid_definition(msg: impl Into<String>) -> Error {
    Error::new(SqlState::from_code("42P13"), msg)
}

impl Session {
    /// Runs an aggregate statement.
    pub(super) fn aggregate_statement(
        &mut self,
        s: &AggregateStatement,
    ) -> Result<StatementResult> {
        match s {
            AggregateStatement::Create(c) => self.create_aggregate(c),
            AggregateStatement::Drop { aggs, if_exists } => self.drop_aggregates(aggs, *if_exists),
            AggregateStatement::Alter { agg, action } => self.alter_aggregate(agg, action),
            AggregateStatement::Comment { agg, text } => self.comment_on_aggregate(agg, text),
        }
    }

    /// A type named in an aggregate definition (`_int8` is `int8[]`, as in PostgreSQL).
    fn aggregate_type(&self, catalog: &Catalog, t: &ast::DataType) -> Result<DataType> {
        if let ast::DataType::Custom(name, mods) = t {
            let text = name.to_string();
            if let Some(elem) = text.strip_prefix('_').filter(|e| !e.is_empty() && mods.is_empty())
            {
                let inner = crate::parser::parse_data_type(elem)?;
                return Ok(DataType::Array(Box::new(self.routine_type(catalog, &inner)?)));
            }
        }
        self.routine_type(catalog, t)
    }

    fn aggregate_type_text(&self, catalog: &Catalog, text: &str) -> Result<DataType> {
        let t = crate::parser::parse_data_type(text)?;
        self.aggregate_type(catalog, &t)
    }

    fn aggregate_arg_types(
        &self,
        catalog: &Catalog,
        args: &AggregateArgs,
    ) -> Result<Vec<DataType>> {
        if args.ordered {
            return Err(Error::unsupported(
                "ordered-set aggregates (CREATE AGGREGATE ... ORDER BY)",
            ));
        }
        if args.variadic {
            return Err(Error::unsupported("VARIADIC aggregate arguments"));
        }
        args.types.iter().map(|t| self.aggregate_type(catalog, t)).collect()
    }

    fn create_aggregate(&mut self, c: &CreateAggregate) -> Result<StatementResult> {
        let qn = object_name(&c.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.creation_schema(&catalog, &qn, false)?;
        let mut sfunc = None;
        let mut stype = None;
        let mut finalfunc = None;
        let mut finalfunc_extra = false;
        let mut initcond = None;
        let mut basetype = None;
        let mut options = Vec::new();
        for (key, value) in &c.options {
            let text = || {
                value.clone().ok_or_else(|| {
                    Error::new(SqlState::SYNTAX_ERROR, format!("{key} requires a parameter"))
                })
            };
            match key.as_str() {
                "sfunc" | "sfunc1" => sfunc = Some(text()?),
                "stype" | "stype1" => stype = Some(text()?),
                "finalfunc" | "finalfunc1" => finalfunc = Some(text()?),
                "finalfunc_extra" => finalfunc_extra = value.as_deref() != Some("false"),
                "initcond" | "initcond1" => initcond = Some(text()?),
                "basetype" => basetype = Some(text()?),
                k if RECORDED.contains(&k) => {
                    options.push((k.to_string(), value.clone().unwrap_or_default()))
                }
                k => {
                    self.aggregate_notice(
                        NoticeLevel::Warning,
                        format!("aggregate attribute \"{k}\" not recognized"),
                    );
                }
            }
        }
        let (star, params) = match (&c.args, &basetype) {
            (Some(_), Some(_)) => {
                return Err(invalid_definition(
                    "basetype is redundant with aggregate input type specification",
                ))
            }
            (Some(a), None) => (a.star, self.aggregate_arg_types(&catalog, a)?),
            (None, Some(b)) if b.eq_ignore_ascii_case("any") => (true, Vec::new()),
            (None, Some(b)) => (false, vec![self.aggregate_type_text(&catalog, b)?]),
            (None, None) => {
                return Err(invalid_definition("aggregate input type must be specified"))
            }
        };
        let sfunc = sfunc.ok_or_else(|| invalid_definition("aggregate sfunc must be specified"))?;
        let stype = stype.ok_or_else(|| invalid_definition("aggregate stype must be specified"))?;
        let stype = self.aggregate_type_text(&catalog, &stype)?;
        let def = AggregateDef {
            sfunc: sfunc.trim_matches('"').to_string(),
            stype: stype.clone(),
            finalfunc: finalfunc.map(|f| f.trim_matches('"').to_string()),
            finalfunc_extra,
            initcond,
            star,
            options,
        };
        // Check the support functions now when the types are known.
        let pseudo = |t: &DataType| matches!(t, DataType::Pseudo(_));
        let polymorphic = pseudo(&stype) || params.iter().any(pseudo);
        let mut result = stype.clone();
        if !polymorphic {
            let info = self.info_shared();
            let mut binder = crate::binder::Binder::new(&catalog, &info, Vec::new());
            let bound = binder.bind_aggregate_support(&qn.name, &def, &params, &stype)?;
            if let Some(f) = &bound.final_ {
                result = f.data_type();
            }
        } else {
            crate::expr::polymorphic::check_result(&stype, &params).map_err(|e| {
                let detail = e.detail().map(str::to_string);
                let err = Error::new(e.sqlstate(), "cannot determine transition data type");
                match detail {
                    Some(d) => err.with_detail(d),
                    None => err,
                }
            })?;
            let search_path = self.settings.search_path();
            let mut actual = vec![stype.clone()];
            actual.extend(params.iter().cloned());
            let ret = declared_support(&catalog, &search_path, &def.sfunc, &actual)?;
            if let Some(ret) = ret {
                if ret != stype {
                    return Err(Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        format!(
                            "return type of transition function {} is not {}",
                            def.sfunc,
                            crate::expr::types::pg_type_name(&stype)
                        ),
                    ));
                }
            }
            if let Some(f) = &def.finalfunc {
                let mut actual = vec![stype.clone()];
                if def.finalfunc_extra {
                    actual.extend(params.iter().cloned());
                }
                if let Some(ret) = declared_support(&catalog, &search_path, f, &actual)? {
                    result = ret;
                }
            }
        }
        let existing = catalog
            .functions
            .values()
            .find(|f| f.schema == schema && f.name == qn.name && f.arg_types() == params)
            .cloned();
        let owner = self.auth(&catalog).id;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = match &existing {
            Some(f) if c.or_replace && f.aggregate.is_some() => {
                if f.returns != Returns::Scalar(result.clone()) {
                    return Err(Error::new(
                        SqlState::from_code("42P13"),
                        "cannot change return type of existing function",
                    )
                    .with_hint(format!("Use DROP AGGREGATE {} first.", f.signature())));
                }
                f.id
            }
            Some(f) if c.or_replace => {
                return Err(Error::new(SqlState::WRONG_OBJECT_TYPE, "cannot change routine kind")
                    .with_detail(format!("\"{}\" is a function.", f.name)))
            }
            Some(f) => {
                return Err(Error::new(
                    SqlState::DUPLICATE_FUNCTION,
                    format!("function \"{}\" already exists with same argument types", f.name),
                ))
            }
            None => CatalogStore::next_id(txn)?,
        };
        let record = FunctionDef {
            id,
            schema,
            name: qn.name,
            params: params
                .into_iter()
                .map(|t| ParamDef { name: None, data_type: t, default: None })
                .collect(),
            outs: Vec::new(),
            out_set: false,
            returns: Returns::Scalar(result),
            language: Language::Sql,
            body: "aggregate_dummy".into(),
            volatility: Volatility::Immutable,
            strict: false,
            procedure: false,
            owner,
            parallel: match def.option("parallel") {
                Some(p) if p.eq_ignore_ascii_case("safe") => "s",
                Some(p) if p.eq_ignore_ascii_case("restricted") => "r",
                _ => "u",
            }
            .into(),
            comment: existing.as_ref().and_then(|f| f.comment.clone()),
            variadic: false,
            aggregate: Some(Box::new(def)),
        };
        CatalogStore::put_function(txn, &record)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE AGGREGATE"))
    }

    /// The aggregate `r` names; `None` when there is none.
    fn find_aggregate(
        &mut self,
        catalog: &Catalog,
        r: &AggregateRef,
    ) -> Result<Option<std::sync::Arc<FunctionDef>>> {
        let qn = object_name(&r.name)?;
        let search_path = self.settings.search_path();
        let types = self.aggregate_arg_types(catalog, &r.args)?;
        let found = catalog.functions_named(qn.schema.as_deref(), &qn.name, &search_path);
        Ok(found.into_iter().find(|f| {
            f.aggregate.as_ref().is_some_and(|a| a.star == r.args.star) && f.arg_types() == types
        }))
    }

    fn aggregate_missing(&self, catalog: &Catalog, r: &AggregateRef) -> Result<Error> {
        let qn = object_name(&r.name)?;
        let shown = if r.args.star {
            "*".to_string()
        } else {
            self.aggregate_arg_types(catalog, &r.args)?
                .iter()
                .map(crate::expr::types::pg_type_name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("aggregate {}({shown}) does not exist", qn.name),
        ))
    }

    fn drop_aggregates(
        &mut self,
        aggs: &[AggregateRef],
        if_exists: bool,
    ) -> Result<StatementResult> {
        for r in aggs {
            let (catalog, _) = self.ddl_parts()?;
            let Some(f) = self.find_aggregate(&catalog, r)? else {
                if if_exists {
                    let qn = object_name(&r.name)?;
                    let shown: Vec<String> =
                        r.args.types.iter().map(|t| t.to_string().to_lowercase()).collect();
                    self.aggregate_notice(
                        NoticeLevel::Notice,
                        format!(
                            "aggregate {}({}) does not exist, skipping",
                            qn.name,
                            shown.join(",")
                        ),
                    );
                    continue;
                }
                return Err(self.aggregate_missing(&catalog, r)?);
            };
            self.check_routine_owner(&catalog, &f)?;
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            CatalogStore::delete(txn, CatalogKind::Function, f.id)?;
            self.bump_version()?;
        }
        Ok(StatementResult::command("DROP AGGREGATE"))
    }

    fn alter_aggregate(
        &mut self,
        r: &AggregateRef,
        action: &AlterAggregateAction,
    ) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let Some(f) = self.find_aggregate(&catalog, r)? else {
            return Err(self.aggregate_missing(&catalog, r)?);
        };
        self.check_routine_owner(&catalog, &f)?;
        let mut g = (*f).clone();
        match action {
            AlterAggregateAction::Rename(new) => {
                let clash = catalog.functions.values().any(|o| {
                    o.schema == g.schema && o.name == *new && o.arg_types() == g.arg_types()
                });
                if clash {
                    let types: Vec<String> =
                        g.arg_types().iter().map(crate::expr::types::pg_type_name).collect();
                    return Err(Error::new(
                        SqlState::DUPLICATE_FUNCTION,
                        format!(
                            "function {new}({}) already exists in schema \"{}\"",
                            types.join(", "),
                            g.schema
                        ),
                    ));
                }
                g.name = new.clone();
            }
            AlterAggregateAction::Owner(role) => {
                g.owner = catalog.role_id(role, &self.session_user())?;
            }
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_function(txn, &g)?;
        self.bump_version()?;
        Ok(StatementResult::command("ALTER AGGREGATE"))
    }

    fn comment_on_aggregate(
        &mut self,
        r: &AggregateRef,
        text: &Option<String>,
    ) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let Some(f) = self.find_aggregate(&catalog, r)? else {
            return Err(self.aggregate_missing(&catalog, r)?);
        };
        self.check_routine_owner(&catalog, &f)?;
        let mut g = (*f).clone();
        g.comment = text.clone().filter(|t| !t.is_empty());
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_function(txn, &g)?;
        self.bump_version()?;
        Ok(StatementResult::command("COMMENT"))
    }

    fn aggregate_notice(&self, level: NoticeLevel, message: String) {
        let code = if level == NoticeLevel::Warning { "01000" } else { "00000" };
        self.notices.lock().push(Notice {
            level,
            code: code.into(),
            message,
            detail: None,
            hint: None,
        });
    }

    /// Only the owner (or a superuser) may drop or alter a routine (42501).
    pub(super) fn check_routine_owner(&self, catalog: &Catalog, f: &FunctionDef) -> Result<()> {
        let me = self.auth(catalog);
        if me.superuser || me.roles.contains(&f.owner) {
            return Ok(());
        }
        Err(Error::new(
            SqlState::INSUFFICIENT_PRIVILEGE,
            format!("must be owner of function {}", f.name),
        ))
    }
}

/// Finds the support function `qualified` for declared (maybe polymorphic) argument
/// types, as PostgreSQL does when it creates a polymorphic aggregate: a polymorphic
/// argument matches only the same pseudo-type, and a parameter of a family bound to a
/// concrete type cannot also take a polymorphic argument. Returns the function's
/// declared result type (`None` for a built-in, whose resolution waits for the call);
/// 42883 when nothing matches.
fn declared_support(
    catalog: &Catalog,
    search_path: &[String],
    qualified: &str,
    actual: &[DataType],
) -> Result<Option<DataType>> {
    let (schema, name) = match qualified.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, qualified),
    };
    let pseudo = |t: &DataType| matches!(t, DataType::Pseudo(_));
    for f in catalog.functions_named(schema, name, search_path) {
        if f.aggregate.is_some() || f.params.len() != actual.len() {
            continue;
        }
        let mut concrete_into_poly = false;
        let mut poly_into_poly = false;
        let fits = f.params.iter().zip(actual).all(|(p, a)| {
            let p = &p.data_type;
            match (pseudo(p), pseudo(a)) {
                (_, true) => {
                    poly_into_poly |= p == a;
                    p == a
                }
                (true, false) => {
                    concrete_into_poly = true;
                    true
                }
                (false, false) => p == a,
            }
        });
        if fits && !(concrete_into_poly && poly_into_poly) {
            return Ok(Some(f.result_type()));
        }
    }
    if schema.is_none_or(|s| s == "pg_catalog") && crate::functions::registry::function_exists(name)
    {
        return Ok(None);
    }
    let types: Vec<String> = actual.iter().map(crate::expr::types::pg_type_name).collect();
    Err(Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {qualified}({}) does not exist", types.join(", ")),
    ))
}
