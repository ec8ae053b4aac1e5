//! Set-returning functions: in FROM (`generate_series(1, 3) AS g(n)`, `unnest(a)`,
//! implicitly LATERAL) and in the select list (`SELECT unnest(a) FROM t`, planned as a
//! LATERAL join whose column replaces the call).

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::query::rename_columns;
use super::{BindScope, Binder};
use crate::functions::table::bind_table_function;
use crate::parser::{ident_name, object_name};
use crate::planner::{Field, JoinKind, Plan, Schema};

/// The plain argument expressions of a call (named arguments are not supported).
pub fn plain_args(args: &[ast::FunctionArg]) -> Result<Vec<ast::Expr>> {
    if args
        .iter()
        .any(|a| matches!(a, ast::FunctionArg::Named { .. } | ast::FunctionArg::ExprNamed { .. }))
    {
        if let Some(placed) = path_named_args(args) {
            return Ok(placed);
        }
    }
    args.iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
            // A named argument travels as `Expr::Named` to the user function call
            // ([`call_args`]).
            ast::FunctionArg::Named { name, arg: ast::FunctionArgExpr::Expr(e), .. }
            | ast::FunctionArg::ExprNamed {
                name: ast::Expr::Identifier(name),
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            } => Ok(ast::Expr::Named { expr: Box::new(e.clone()), name: name.clone() }),
            other => Err(Error::unsupported(format!("function argument {other}"))),
        })
        .collect()
}

/// Call arguments from [`plain_args`]' expressions (named ones restored).
fn call_args(args: &[ast::Expr]) -> Vec<ast::FunctionArg> {
    args.iter()
        .map(|e| match e {
            ast::Expr::Named { expr, name } => ast::FunctionArg::Named {
                name: name.clone(),
                arg: ast::FunctionArgExpr::Expr((**expr).clone()),
                operator: ast::FunctionArgOperator::RightArrow,
            },
            e => ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e.clone())),
        })
        .collect()
}

/// Named arguments of `jsonb_path_query(target, path, vars => ..., silent => ...)`
/// placed by position, with the defaults `'{}'` and `false` filled in.
fn path_named_args(args: &[ast::FunctionArg]) -> Option<Vec<ast::Expr>> {
    let names = crate::functions::jsonpath::PARAM_NAMES;
    let mut slots: Vec<Option<ast::Expr>> = vec![None; names.len()];
    let mut positional = 0;
    for a in args {
        match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                *slots.get_mut(positional)? = Some(e.clone());
                positional += 1;
            }
            ast::FunctionArg::Named { name, arg: ast::FunctionArgExpr::Expr(e), .. }
            | ast::FunctionArg::ExprNamed {
                name: ast::Expr::Identifier(name),
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            } => {
                let pos = names.iter().position(|n| *n == ident_name(name))?;
                slots[pos] = Some(e.clone());
            }
            _ => return None,
        }
    }
    let last = slots.iter().rposition(Option::is_some)? + 1;
    slots
        .into_iter()
        .take(last)
        .enumerate()
        .map(|(i, e)| {
            e.or_else(|| match i {
                2 => Some(ast::Expr::value(ast::Value::SingleQuotedString("{}".into()))),
                3 => Some(ast::Expr::value(ast::Value::Boolean(false))),
                _ => None,
            })
        })
        .collect()
}

impl Binder<'_> {
    /// Binds `name(args)` as a FROM item whose arguments may read `left` (the FROM items
    /// before it). Returns the plan and whether it reads `left` (LATERAL).
    pub(super) fn bind_function_item(
        &mut self,
        name: &ast::ObjectName,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        left: Option<&[Field]>,
    ) -> Result<(Plan, bool)> {
        self.bind_function_item_with(name, args, alias, left, false)
    }

    /// [`Binder::bind_function_item`], with `WITH ORDINALITY` (a last `bigint` column
    /// numbering the rows from 1) when `ordinality` is set.
    pub(super) fn bind_function_item_with(
        &mut self,
        name: &ast::ObjectName,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        left: Option<&[Field]>,
        ordinality: bool,
    ) -> Result<(Plan, bool)> {
        let fname = object_name(name)?.name;
        self.outer.push(left.map(|l| l.to_vec()).unwrap_or_default());
        self.correlated.push(super::Correlation::default());
        let bound = if matches!(
            fname.as_str(),
            "json_to_record" | "jsonb_to_record" | "json_to_recordset" | "jsonb_to_recordset"
        ) {
            self.bind_json_to_record(&fname, args, alias)
        } else {
            self.bind_function_plan(&fname, args, ordinality)
        };
        self.outer.pop();
        let lateral = self.correlated.pop().is_some_and(|c| c.get());
        let mut plan = bound?;
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| fname.clone());
        if let Some(a) = alias {
            // A function returning one column names it after the alias.
            if a.columns.is_empty() && plan.width() == 1 {
                let mut schema = plan.schema();
                schema[0].name = ident_name(&a.name);
                plan = with_schema(plan, schema);
            } else {
                plan = rename_columns(plan, &a.columns, &qualifier)?;
            }
        }
        let mut schema = plan.schema();
        for f in &mut schema {
            f.qualifier = Some(qualifier.clone());
        }
        Ok((with_schema(plan, schema), lateral))
    }

    /// `json[b]_to_record[set](doc) AS x(a int, ...)`: the column definition list gives
    /// the row type (42601 without one).
    fn bind_json_to_record(
        &mut self,
        fname: &str,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<Plan> {
        let typed = alias
            .filter(|a| !a.columns.is_empty() && a.columns.iter().all(|c| c.data_type.is_some()));
        let Some(alias) = typed else {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "a column definition list is required for functions returning \"record\"",
            ));
        };
        let scope = crate::catalog::typename::TypeScope {
            catalog: self.catalog,
            search_path: self.search_path(),
        };
        let mut fields = Vec::with_capacity(alias.columns.len());
        for c in &alias.columns {
            let Some(t) = &c.data_type else { continue };
            let ty = crate::catalog::typename::resolve_user_column_type(t, Some(scope))?;
            fields.push(helios_types::RecordField {
                name: ident_name(&c.name),
                ty: ty.column.data_type,
            });
        }
        let ty = std::sync::Arc::new(helios_types::RecordType::anonymous_named(fields));
        let [doc] = args else {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {fname} takes one argument"),
            ));
        };
        let doc = self.bind_scalar(doc, &[], Some("functions in FROM"))?;
        let func: std::sync::Arc<dyn crate::functions::table::TableFunction> =
            std::sync::Arc::new(crate::functions::json_record::JsonRecordRows::new(fname, ty));
        let schema = func.columns().iter().map(|(n, t)| Field::new(n.clone(), t.clone())).collect();
        Ok(Plan::TableFunction {
            func: crate::functions::table::BoundTableFunction { func, args: vec![doc] },
            schema,
        })
    }

    fn bind_function_plan(
        &mut self,
        fname: &str,
        args: &[ast::Expr],
        ordinality: bool,
    ) -> Result<Plan> {
        if let Some(plan) = self.bind_user_table_function(fname, args, ordinality)? {
            return Ok(plan);
        }
        // Named arguments only reach user routines (the scalar call below).
        let named = args.iter().any(|a| matches!(a, ast::Expr::Named { .. }));
        let mut bound = Vec::with_capacity(args.len());
        if !named {
            for a in args {
                bound.push(self.bind_scalar(a, &[], Some("functions in FROM"))?);
            }
        }
        let mut scope =
            BindScope { binder: self, fields: &[], no_aggregates: Some("functions in FROM") };
        let table_function =
            if named { None } else { bind_table_function(fname, bound, &mut scope)? };
        match table_function {
            Some(mut func) => {
                if ordinality {
                    func.func = crate::functions::table::with_ordinality(func.func);
                }
                let schema = func
                    .func
                    .columns()
                    .iter()
                    .map(|(n, t)| Field::new(n.clone(), t.clone()))
                    .collect();
                Ok(Plan::TableFunction { func, schema })
            }
            None if ordinality => {
                Err(Error::unsupported(format!("WITH ORDINALITY on the scalar function {fname}")))
            }
            None => {
                // A scalar function in FROM yields one row.
                let call = ast::Expr::Function(ast::Function {
                    name: ast::ObjectName::from(vec![ast::Ident::new(fname)]),
                    uses_odbc_syntax: false,
                    parameters: ast::FunctionArguments::None,
                    args: ast::FunctionArguments::List(ast::FunctionArgumentList {
                        duplicate_treatment: None,
                        args: call_args(args),
                        clauses: Vec::new(),
                    }),
                    filter: None,
                    null_treatment: None,
                    over: None,
                    within_group: Vec::new(),
                });
                let e = self.bind_scalar(&call, &[], Some("functions in FROM"))?;
                // A composite result is one column per field (the call runs once per
                // field; routines with side effects in FROM are rare).
                if let helios_types::DataType::Record(t) = e.data_type() {
                    if !t.is_anonymous() {
                        let schema = t
                            .fields
                            .iter()
                            .map(|f| Field::new(f.name.clone(), f.ty.clone()))
                            .collect();
                        let row = t
                            .fields
                            .iter()
                            .enumerate()
                            .map(|(index, f)| crate::expr::Expr::Field {
                                expr: Box::new(e.clone()),
                                index,
                                name: f.name.clone(),
                                ty: f.ty.clone(),
                            })
                            .collect();
                        return Ok(Plan::Values { rows: vec![row], schema });
                    }
                }
                // One OUT parameter names the column.
                let name = match &e {
                    crate::expr::Expr::UserCall(c) => {
                        c.func.result_columns().into_iter().next().map(|(n, _)| n)
                    }
                    _ => None,
                };
                let schema =
                    vec![Field::new(name.unwrap_or_else(|| fname.to_string()), e.data_type())];
                Ok(Plan::Values { rows: vec![vec![e]], schema })
            }
        }
    }

    /// A user function returning rows (SETOF, TABLE) called in FROM; `None` when no
    /// such function has the name.
    fn bind_user_table_function(
        &mut self,
        fname: &str,
        args: &[ast::Expr],
        ordinality: bool,
    ) -> Result<Option<Plan>> {
        if self.catalog.functions.is_empty()
            || !self
                .catalog
                .functions_named(None, fname, self.search_path())
                .iter()
                .any(|f| f.returns_set())
        {
            return Ok(None);
        }
        let call = ast::Expr::Function(ast::Function {
            name: ast::ObjectName::from(vec![ast::Ident::new(fname)]),
            uses_odbc_syntax: false,
            parameters: ast::FunctionArguments::None,
            args: ast::FunctionArguments::List(ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: call_args(args),
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        });
        let crate::expr::Expr::UserCall(call) =
            self.bind_scalar(&call, &[], Some("functions in FROM"))?
        else {
            return Ok(None);
        };
        let call = *call;
        let columns = call.func.result_columns();
        let mut func: std::sync::Arc<dyn crate::functions::table::TableFunction> =
            std::sync::Arc::new(crate::functions::table::UserTableFunction {
                func: call.func.clone(),
                columns,
            });
        if ordinality {
            func = crate::functions::table::with_ordinality(func);
        }
        let schema = func.columns().iter().map(|(n, t)| Field::new(n.clone(), t.clone())).collect();
        Ok(Some(Plan::TableFunction {
            func: crate::functions::table::BoundTableFunction { func, args: call.args },
            schema,
        }))
    }

    /// Replaces set-returning calls at the top of select items with references to
    /// LATERAL function items joined to `plan`; returns the new plan and items.
    ///
    /// Calls written the same way share one function item, so `f(x), (f(x)).n` run in
    /// lockstep as in PostgreSQL. A call returning several columns is a record:
    /// `(f(x)).n` selects one of its columns, and a bare `f(x) AS k` gives a record
    /// column `k` (shown as `(1,2)`) plus hidden companion columns, one per field,
    /// which `(t.k).n` reads from outside a derived table (see [`companion_name`]).
    pub(super) fn plan_select_srfs(
        &mut self,
        mut plan: Plan,
        projection: &[ast::SelectItem],
    ) -> Result<(Plan, Vec<ast::SelectItem>)> {
        let mut items = projection.to_vec();
        let mut companions = Vec::new();
        // Function items joined so far: the call's text, then its columns' names and
        // the hidden names they were given.
        let mut joined: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut n = 0;
        for item in &mut items {
            let (e, alias) = match &*item {
                ast::SelectItem::UnnamedExpr(e) => (e, None),
                ast::SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias)),
                _ => continue,
            };
            let Some((f, field)) = srf_call(e) else { continue };
            let fname = match f.name.0.last() {
                Some(ast::ObjectNamePart::Identifier(id)) => ident_name(id),
                _ => continue,
            };
            let user_srf = !self.catalog.functions.is_empty()
                && self
                    .catalog
                    .functions_named(None, &fname, self.search_path())
                    .iter()
                    .any(|u| u.returns_set());
            if !(crate::functions::table::is_table_function(&fname) || user_srf) || f.over.is_some()
            {
                continue;
            }
            let key = f.to_string();
            let columns = match joined.iter().find(|(k, _)| *k == key) {
                Some((_, columns)) => columns.clone(),
                None => {
                    let args = match &f.args {
                        ast::FunctionArguments::List(l) => plain_args(&l.args)?,
                        ast::FunctionArguments::None => Vec::new(),
                        ast::FunctionArguments::Subquery(_) => continue,
                    };
                    let left = plan.schema();
                    let (right, lateral) =
                        self.bind_function_item(&f.name, &args, None, Some(&left))?;
                    let mut rschema = right.schema();
                    let mut columns = Vec::with_capacity(rschema.len());
                    for col in &mut rschema {
                        let hidden = format!("?srf{n}?");
                        n += 1;
                        columns.push((col.name.clone(), hidden.clone()));
                        col.name = hidden;
                        col.qualifier = Some("?srf?".into());
                        col.hidden = true;
                    }
                    let right = with_schema(right, rschema.clone());
                    let mut schema = left;
                    schema.extend(rschema);
                    plan = Plan::Join {
                        left: Box::new(plan),
                        right: Box::new(right),
                        kind: JoinKind::Inner,
                        on: None,
                        equi: Vec::new(),
                        lateral,
                        schema,
                    };
                    joined.push((key, columns.clone()));
                    columns
                }
            };
            let reference = |hidden: &str| {
                ast::Expr::CompoundIdentifier(vec![
                    ast::Ident::with_quote('"', "?srf?"),
                    ast::Ident::with_quote('"', hidden),
                ])
            };
            let name = match alias {
                Some(alias) => ident_name(alias),
                None => super::figure_colname(e),
            };
            let expr = match (&field, columns.as_slice()) {
                (Some(field), _) => {
                    let (_, hidden) =
                        columns.iter().find(|(c, _)| c == field).ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!(
                                    "could not identify column \"{field}\" in record data type"
                                ),
                            )
                        })?;
                    reference(hidden)
                }
                (None, [(_, hidden)]) => reference(hidden),
                (None, many) => {
                    for (c, hidden) in many {
                        companions.push(ast::SelectItem::ExprWithAlias {
                            expr: reference(hidden),
                            alias: ast::Ident::with_quote('"', companion_name(&name, c)),
                        });
                    }
                    ast::Expr::Tuple(many.iter().map(|(_, h)| reference(h)).collect())
                }
            };
            *item =
                ast::SelectItem::ExprWithAlias { expr, alias: ast::Ident::with_quote('"', name) };
        }
        items.extend(companions);
        Ok((plan, items))
    }
}

/// The set-returning call of a select item: `f(x)`, or `(f(x)).field` with the field.
fn srf_call(e: &ast::Expr) -> Option<(&ast::Function, Option<String>)> {
    match e {
        ast::Expr::Function(f) => Some((f, None)),
        ast::Expr::CompoundFieldAccess { root, access_chain } => {
            let mut root = root.as_ref();
            while let ast::Expr::Nested(inner) = root {
                root = inner;
            }
            match (root, access_chain.as_slice()) {
                (ast::Expr::Function(f), [ast::AccessExpr::Dot(ast::Expr::Identifier(id))]) => {
                    Some((f, Some(ident_name(id))))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The name of the hidden column that carries field `field` of record column `column`
/// (a name no identifier spells): what `(t.column).field` reads.
pub(crate) fn companion_name(column: &str, field: &str) -> String {
    format!("{column}\u{1}{field}")
}

/// Whether a select-list column is the hidden companion of a record column.
pub(crate) fn is_companion(name: &str) -> bool {
    name.contains('\u{1}')
}

/// The same plan with renamed / requalified output columns.
pub fn with_schema(plan: Plan, schema: Schema) -> Plan {
    match plan {
        Plan::TableFunction { func, .. } => Plan::TableFunction { func, schema },
        Plan::Values { rows, .. } => Plan::Values { rows, schema },
        Plan::Project { input, exprs, .. } => Plan::Project { input, exprs, schema },
        other => {
            let exprs = schema
                .iter()
                .enumerate()
                .map(|(i, f)| crate::expr::Expr::Column(i, f.data_type.clone()))
                .collect();
            Plan::Project { input: Box::new(other), exprs, schema }
        }
    }
}
