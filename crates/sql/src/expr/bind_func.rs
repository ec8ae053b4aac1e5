//! Binding of function calls: the special forms that look like functions (COALESCE,
//! NULLIF, GREATEST, LEAST, niladic keywords such as `current_date`), aggregates,
//! window functions and the scalar function library.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::expr::bind::{ident_name, Binder, CoercionKind};
use crate::expr::node::{
    AggregateCall, BinaryOp, Expr, SortExpr, SubqueryKind, SubqueryTest, WindowCall,
};
use crate::functions::aggregate::AggregateFunc;
use crate::functions::registry::{resolve_scalar, ResolvedCall};
use crate::functions::window::WindowFunc;

impl Binder<'_> {
    /// Binds `name(args) [FILTER (...)] [OVER (...)]`.
    pub(crate) fn bind_function(&mut self, f: &ast::Function) -> Result<Expr> {
        let (schema, name) = function_name_parts(&f.name)?;
        if name == "helios_array_assign" {
            if let Some(e) = self.bind_array_assignment(f)? {
                return Ok(e);
            }
        }
        let mark = self.scope.bind_mark();
        let list = match &f.args {
            ast::FunctionArguments::None => {
                if let Some(e) = self.bind_niladic(&name)? {
                    return Ok(e);
                }
                None
            }
            ast::FunctionArguments::List(list) => Some(list),
            ast::FunctionArguments::Subquery(q) => {
                if name == "array" {
                    let (id, cols) = self.scope.bind_subquery(q, SubqueryKind::Array)?;
                    let [col] = cols.as_slice() else {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "subquery must return only one column",
                        ));
                    };
                    let ty = match col {
                        DataType::Array(_) => col.clone(),
                        other => DataType::Array(Box::new(other.clone())),
                    };
                    return Ok(Expr::Subquery { id, kind: SubqueryTest::Array, ty });
                }
                return Err(Error::unsupported(format!("{name}(subquery)")));
            }
        };
        let mut star = false;
        let mut args = Vec::new();
        let mut distinct = false;
        let mut order_by: Vec<SortExpr> = Vec::new();
        let mut named: Vec<(String, Expr)> = Vec::new();
        // Aggregate calls enclosing a subquery: an aggregate in it over only their
        // query's columns would belong to their level, nested in them.
        let user_aggs: Vec<_> = self
            .scope
            .user_functions(schema.as_deref(), &name)
            .into_iter()
            .filter(|u| u.aggregate.is_some())
            .collect();
        let aggregate_call =
            f.over.is_none() && (AggregateFunc::lookup(&name).is_some() || !user_aggs.is_empty());
        if aggregate_call {
            self.scope.aggregate_nesting(1);
        }
        let mut bind_all = || -> Result<()> {
            let Some(list) = list else { return Ok(()) };
            distinct = matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
            for a in &list.args {
                match a {
                    ast::FunctionArg::Unnamed(_) if !named.is_empty() => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "positional argument cannot follow named argument",
                        ));
                    }
                    ast::FunctionArg::Named { name: n, .. }
                    | ast::FunctionArg::ExprNamed { name: ast::Expr::Identifier(n), .. }
                        if named.iter().any(|(m, _)| *m == ident_name(n)) =>
                    {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            format!("argument name \"{}\" used more than once", ident_name(n)),
                        ));
                    }
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        args.push(self.bind(e)?)
                    }
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => star = true,
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(q)) => {
                        let qualifier = crate::parser::object_name(q)?.name;
                        let missing = || {
                            let e = Error::new(
                                SqlState::UNDEFINED_TABLE,
                                format!("missing FROM-clause entry for table \"{qualifier}\""),
                            );
                            crate::parser::place::at_name(e, q)
                        };
                        if name == "row" {
                            // ROW(t.*) has t's columns as its fields.
                            let cols = self.scope.whole_row(&qualifier).ok_or_else(missing)?;
                            args.extend(cols.into_iter().map(|(i, _, ty)| Expr::Column(i, ty)));
                        } else {
                            // Elsewhere t.* is t's whole row, as t alone is.
                            args.push(self.whole_row(&qualifier).ok_or_else(missing)?);
                        }
                    }
                    ast::FunctionArg::Named {
                        name: n, arg: ast::FunctionArgExpr::Expr(e), ..
                    } => {
                        named.push((ident_name(n), self.bind(e)?));
                    }
                    ast::FunctionArg::ExprNamed {
                        name: ast::Expr::Identifier(n),
                        arg: ast::FunctionArgExpr::Expr(e),
                        ..
                    } => named.push((ident_name(n), self.bind(e)?)),
                    other => return Err(Error::unsupported(format!("function argument {other}"))),
                }
            }
            for clause in &list.clauses {
                match clause {
                    ast::FunctionArgumentClause::OrderBy(items) => {
                        order_by = self.bind_sort_list(items)?;
                    }
                    other => return Err(Error::unsupported(format!("{other} in a function call"))),
                }
            }
            Ok(())
        };
        let bound_args = bind_all();
        if aggregate_call {
            self.scope.aggregate_nesting(-1);
        }
        bound_args?;
        if star && ((name != "count" && user_aggs.is_empty()) || !args.is_empty()) {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("{name}(*) must be used to call a parameterless aggregate function"),
            ));
        }
        let qualified_user = user_aggs.is_empty()
            && match schema.as_deref() {
                None => false,
                Some("public") => !self.scope.user_functions(schema.as_deref(), &name).is_empty(),
                Some(_) => true,
            };
        let builtin_named =
            name == "make_interval" || crate::functions::jsonpath::is_path_function(&name);
        if qualified_user || (!named.is_empty() && !builtin_named) {
            if f.over.is_some() || f.filter.is_some() || distinct || !order_by.is_empty() {
                return Err(Error::unsupported(format!(
                    "{name} with OVER, FILTER, DISTINCT or ORDER BY"
                )));
            }
            let positional = named.is_empty();
            if positional {
                args = match self.unknown_function_cast(f, args)? {
                    Ok(cast) => return Ok(cast),
                    Err(args) => args,
                };
            }
            let missing = || {
                Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!("function {} does not exist", f.name),
                )
            };
            return match self.bind_user_call(schema.as_deref(), &name, args.clone(), named)? {
                Some(e) => Ok(e),
                None if positional => self.function_style_cast(f, args)?.map_err(|_| missing()),
                None => Err(missing()),
            };
        }
        if !named.is_empty() {
            args = place_named_args(&name, args, named)?;
        }
        // An aggregate in FILTER is nested in this call, like one in its arguments.
        if aggregate_call {
            self.scope.aggregate_nesting(1);
        }
        let filter = f.filter.as_deref().map(|e| {
            let x = self.bind(e)?;
            self.coerce_bool(x, "FILTER")
        });
        if aggregate_call {
            self.scope.aggregate_nesting(-1);
        }
        let filter = filter.transpose()?;

        if !f.within_group.is_empty() {
            let call = self.bind_ordered_set(&name, args, filter, &f.within_group)?;
            return self.place_aggregate(f, call, mark);
        }
        // A built-in aggregate that takes the arguments wins over a user aggregate of the
        // same name (pg_catalog comes first on the search path), unless the call names
        // the user aggregate's schema.
        let builtin_fits = schema.is_none()
            && AggregateFunc::lookup(&name).is_some()
            && AggregateFunc::resolve(
                &name,
                &args.iter().map(Expr::data_type).collect::<Vec<_>>(),
                star,
            )
            .is_ok();
        if !user_aggs.is_empty() && !builtin_fits {
            if let Some((user, args, ty)) =
                self.bind_user_aggregate(&user_aggs, args.clone(), star)?
            {
                if let Some(over) = &f.over {
                    let call = WindowCall {
                        func: WindowFunc::Aggregate(AggregateFunc::User),
                        args,
                        filter,
                        partition_by: Vec::new(),
                        order_by: Vec::new(),
                        frame: None,
                        window_name: None,
                        ty,
                        user: Some(user),
                    };
                    return self.bind_over(call, over);
                }
                let call = AggregateCall {
                    func: AggregateFunc::User,
                    args,
                    distinct,
                    filter,
                    order_by,
                    ty,
                    user: Some(user),
                };
                return self.place_aggregate(f, call, mark);
            }
            if AggregateFunc::lookup(&name).is_none() {
                let types: Vec<String> =
                    args.iter().map(|a| crate::expr::types::pg_type_name(&a.data_type())).collect();
                let shown = if star { "*".to_string() } else { types.join(", ") };
                return Err(Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!("function {name}({shown}) does not exist"),
                )
                .with_hint("No function matches the given name and argument types. You might need to add explicit type casts."));
            }
        }
        if let Some(over) = &f.over {
            if let Err(clause) = self.scope.aggregates_allowed() {
                let clause = if clause == "JOIN/ON" { "JOIN conditions" } else { clause };
                let e = Error::new(
                    SqlState::WINDOWING_ERROR,
                    format!("window functions are not allowed in {clause}"),
                );
                return Err(crate::parser::place::at_name(e, &f.name));
            }
            return self.bind_window(&name, args, star, filter, over);
        }
        if AggregateFunc::lookup(&name).is_some() {
            let (func, args, ty) = self.resolve_aggregate(&name, args, star)?;
            let call = AggregateCall { func, args, distinct, filter, order_by, ty, user: None };
            return self.place_aggregate(f, call, mark);
        }
        if WindowFunc::lookup(&name).is_some() {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                format!("window function {name} requires an OVER clause"),
            ));
        }
        if distinct || filter.is_some() || !order_by.is_empty() {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("DISTINCT, ORDER BY or FILTER specified, but {name} is not an aggregate function"),
            ));
        }
        let variadic_user = args.iter().any(crate::functions::range::is_variadic_marker)
            && !self.scope.user_functions(schema.as_deref(), &name).is_empty();
        if variadic_user {
            if let Some(call) =
                self.bind_user_call(schema.as_deref(), &name, args.clone(), Vec::new())?
            {
                return Ok(call);
            }
        }
        let args = match self.unknown_function_cast(f, args)? {
            Ok(cast) => return Ok(cast),
            Err(args) => args,
        };
        match self.call_function(&name, args.clone()) {
            Err(e) if e.sqlstate() == SqlState::UNDEFINED_FUNCTION => {
                match self.bind_user_call(schema.as_deref(), &name, args.clone(), Vec::new())? {
                    Some(call) => Ok(call),
                    None => self.function_style_cast(f, args)?.map_err(|_| e),
                }
            }
            other => other,
        }
    }

    /// Places a bound aggregate call: in an enclosing query when it belongs there (see
    /// [`ExprScope::outer_aggregate`]), else here, where aggregates must be allowed and
    /// not nested in another aggregate's arguments.
    fn place_aggregate(
        &mut self,
        f: &ast::Function,
        call: AggregateCall,
        mark: crate::expr::context::BindMark,
    ) -> Result<Expr> {
        if let Some(outer) = self.scope.outer_aggregate(f, &call, mark)? {
            return Ok(outer);
        }
        if let Err(clause) = self.scope.aggregates_allowed() {
            let clause = if clause == "JOIN/ON" { "JOIN conditions" } else { clause };
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                format!("aggregate functions are not allowed in {clause}"),
            ));
        }
        if call.args.iter().any(Expr::contains_aggregate) {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                "aggregate function calls cannot be nested",
            ));
        }
        if call.distinct && !call.order_by.iter().all(|s| distinct_arg(&call.args, &s.expr)) {
            return Err(Error::new(
                SqlState::from_code("42P10"),
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            ));
        }
        if call.filter.as_ref().is_some_and(Expr::contains_aggregate) {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                "aggregate functions are not allowed in FILTER",
            ));
        }
        Ok(Expr::Aggregate(Box::new(call)))
    }

    /// `percentile_cont(f) WITHIN GROUP (ORDER BY x)` and the other ordered-set
    /// aggregates: an aggregate over `(x, f)` whose rows are sorted by the WITHIN GROUP
    /// key before they are fed.
    fn bind_ordered_set(
        &mut self,
        name: &str,
        direct: Vec<Expr>,
        filter: Option<Expr>,
        within: &[ast::OrderByExpr],
    ) -> Result<AggregateCall> {
        let ordered = matches!(name, "percentile_cont" | "percentile_disc" | "mode");
        if !ordered {
            return Err(Error::unsupported(format!("{name}(...) WITHIN GROUP")));
        }
        self.scope.aggregate_nesting(1);
        let sort = self.bind_sort_list(within);
        self.scope.aggregate_nesting(-1);
        let sort = sort?;
        let [key] = sort.as_slice() else {
            return Err(Error::unsupported(format!("{name} with several WITHIN GROUP keys")));
        };
        if direct.iter().any(|a| matches!(a.data_type(), DataType::Array(_))) {
            return Err(Error::unsupported(format!("{name} of an array of fractions")));
        }
        let mut args = vec![key.expr.clone()];
        args.extend(direct);
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let (func, params, ty) = AggregateFunc::resolve(name, &types, false)?;
        if params.len() != args.len() {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name} does not exist"),
            ));
        }
        let args = args
            .into_iter()
            .zip(&params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok(AggregateCall { func, args, distinct: false, filter, order_by: sort, ty, user: None })
    }

    fn bind_sort_list(&mut self, items: &[ast::OrderByExpr]) -> Result<Vec<SortExpr>> {
        items
            .iter()
            .map(|o| {
                let expr = self.bind(&o.expr)?;
                let asc = crate::binder::order_ascending(&o.options)?;
                let nulls_first = o.options.nulls_first.unwrap_or(!asc);
                Ok(SortExpr { expr, asc, nulls_first })
            })
            .collect()
    }

    fn resolve_aggregate(
        &mut self,
        name: &str,
        args: Vec<Expr>,
        star: bool,
    ) -> Result<(AggregateFunc, Vec<Expr>, DataType)> {
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let (func, params, ty) = AggregateFunc::resolve(name, &types, star)?;
        let args = args
            .into_iter()
            .zip(&params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok((func, args, ty))
    }

    fn bind_window(
        &mut self,
        name: &str,
        args: Vec<Expr>,
        star: bool,
        filter: Option<Expr>,
        over: &ast::WindowType,
    ) -> Result<Expr> {
        let (func, args, ty) = if let Some(w) = WindowFunc::lookup(name) {
            let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
            let (params, ty) = w.resolve(&types)?;
            let args = args
                .into_iter()
                .zip(&params)
                .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
                .collect::<Result<Vec<_>>>()?;
            (w, args, ty)
        } else if AggregateFunc::lookup(name).is_some() {
            let (agg, args, ty) = self.resolve_aggregate(name, args, star)?;
            (WindowFunc::Aggregate(agg), args, ty)
        } else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!(
                    "OVER specified, but {name} is not a window function nor an aggregate function"
                ),
            ));
        };
        let call = WindowCall {
            func,
            args,
            filter,
            partition_by: Vec::new(),
            order_by: Vec::new(),
            frame: None,
            window_name: None,
            ty,
            user: None,
        };
        self.bind_over(call, over)
    }

    /// Completes a window call with its `OVER` clause.
    fn bind_over(&mut self, mut call: WindowCall, over: &ast::WindowType) -> Result<Expr> {
        match over {
            ast::WindowType::NamedWindow(n) => call.window_name = Some(ident_name(n)),
            ast::WindowType::WindowSpec(spec) => {
                call.window_name = spec.window_name.as_ref().map(ident_name);
                call.partition_by =
                    spec.partition_by.iter().map(|e| self.bind(e)).collect::<Result<Vec<_>>>()?;
                let (order_by, frame) = crate::expr::window_frame::split_window_spec(
                    &spec.order_by,
                    spec.window_frame.as_ref(),
                    &mut |e| self.bind(e),
                )?;
                call.order_by = self.bind_sort_list(&order_by)?;
                call.frame = frame;
                let nested = call.partition_by.iter().any(Expr::contains_window)
                    || call.order_by.iter().any(|o| o.expr.contains_window());
                if nested {
                    return Err(Error::new(
                        SqlState::from_code("42P20"),
                        "window functions are not allowed in window definitions",
                    ));
                }
            }
        }
        Ok(Expr::Window(Box::new(call)))
    }

    /// SQL keywords that are functions without parentheses. `None` when `name` is not one.
    pub(crate) fn bind_niladic(&mut self, name: &str) -> Result<Option<Expr>> {
        let func = match name {
            "current_date" | "current_time" | "current_timestamp" | "localtime"
            | "localtimestamp" | "current_user" | "session_user" | "user" | "current_role"
            | "current_catalog" | "current_schema" => name,
            _ => return Ok(None),
        };
        let func = match func {
            "user" | "current_role" => "current_user",
            "current_catalog" => "current_database",
            other => other,
        };
        self.call_function(func, Vec::new()).map(Some)
    }

    /// Resolves and binds a call of a scalar function (or a function-like special form)
    /// with already bound arguments.
    pub(crate) fn call_function(&mut self, name: &str, args: Vec<Expr>) -> Result<Expr> {
        match name {
            "coalesce" | "greatest" | "least" if args.is_empty() => {
                return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error at or near \")\""));
            }
            "coalesce" => {
                let (args, ty) = self.coerce_common(args, "COALESCE")?;
                return Ok(Expr::Coalesce(args, ty));
            }
            "greatest" | "least" => {
                let ctx = if name == "greatest" { "GREATEST" } else { "LEAST" };
                let (args, ty) = self.coerce_common(args, ctx)?;
                return Ok(Expr::MinMax { args, greatest: name == "greatest", ty });
            }
            "nullif" => {
                let [a, b]: [Expr; 2] = args.try_into().map_err(|_| {
                    Error::new(
                        SqlState::UNDEFINED_FUNCTION,
                        "function nullif requires two arguments",
                    )
                })?;
                let eq = self.binary(BinaryOp::Eq, a, b)?;
                let Expr::Binary { left, .. } = &eq else {
                    return Err(Error::internal("nullif comparison did not bind"));
                };
                let left = (**left).clone();
                let ty = left.data_type();
                return Ok(Expr::NullIf { left: Box::new(left), eq: Box::new(eq), ty });
            }
            "row" => return Ok(Expr::Row(args)),
            n if crate::functions::json_record::is_populate_record(n) => {
                return crate::functions::json_record::bind_populate_record(n, args);
            }
            "enum_first" | "enum_last" | "enum_range" => {
                if let Some(e) = crate::functions::enums::bind_enum_function(name, &args)? {
                    return Ok(e);
                }
            }
            "pg_typeof" if args.len() == 1 => {
                let ty = match &args[0] {
                    // A value cast to a domain is of the domain's type.
                    Expr::DomainCheck { domain, .. } => domain.name.clone(),
                    other => crate::expr::types::pg_type_name(&other.data_type()),
                };
                let mut args = args;
                let arg = resolve_unknown_arg(self, args.remove(0))?;
                return Ok(Expr::Function {
                    func: crate::functions::system::pg_typeof_function(),
                    args: vec![arg, Expr::Literal(Value::Text(ty), DataType::Text)],
                    ty: DataType::Text,
                });
            }
            _ => {}
        }
        if name == crate::parser::VARIADIC_MARKER {
            if let [a] = args.as_slice() {
                let ty = a.data_type();
                let func = crate::functions::range::range_function(name)
                    .ok_or_else(|| Error::internal("VARIADIC marker missing"))?;
                return Ok(Expr::Function { func, args, ty });
            }
        }
        if let Some(e) = self.range_call(name, &args)? {
            return Ok(e);
        }
        if args.iter().any(crate::functions::range::is_variadic_marker) {
            return self.bind_spread_call(name, args);
        }
        let args = match self.net_function_cast(name, args)? {
            Ok(e) => return Ok(e),
            Err(args) => args,
        };
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        if name.contains(' ') {
            // The internal twins of variadic functions are not callable by name.
            return Err(crate::functions::registry::no_function(name, &types));
        }
        let ResolvedCall { func, params, ret } = resolve_scalar(name, &types)?;
        let mut bound = Vec::with_capacity(args.len());
        for (a, p) in args.into_iter().zip(params) {
            // "any" parameters keep their argument's type; unknown becomes text.
            bound.push(self.coerce(a, &p, CoercionKind::Implicit)?);
        }
        Ok(Expr::Function { func, args: bound, ty: ret })
    }
}

impl Binder<'_> {
    /// A built-in call whose last argument is `VARIADIC array`: bound to the function's
    /// twin that takes the array whole ([`crate::functions::registry::spread_twin`]).
    fn bind_spread_call(&mut self, name: &str, mut args: Vec<Expr>) -> Result<Expr> {
        use crate::functions::range::is_variadic_marker;
        use crate::functions::registry::{no_function, spread_twin};
        let last_only = args.last().is_some_and(is_variadic_marker)
            && args.iter().filter(|a| is_variadic_marker(a)).count() == 1;
        let Some(Expr::Function { args: mut inner, .. }) = args.pop().filter(|_| last_only) else {
            return Err(Error::unsupported(format!("VARIADIC arguments of function {name}")));
        };
        let array = inner.pop().ok_or_else(|| Error::internal("empty VARIADIC marker"))?;
        if !matches!(array.data_type(), DataType::Array(_) | DataType::Unknown) {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                "VARIADIC argument must be an array",
            ));
        }
        args.push(array);
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let twin = spread_twin(name).ok_or_else(|| no_function(name, &types))?;
        let ResolvedCall { func, params, ret } =
            resolve_scalar(twin, &types).map_err(|_| no_function(name, &types))?;
        let mut bound = Vec::with_capacity(args.len());
        for (a, p) in args.into_iter().zip(params) {
            bound.push(self.coerce(a, &p, CoercionKind::Implicit)?);
        }
        Ok(Expr::Function { func, args: bound, ty: ret })
    }
}

/// Parameter names of the functions that accept named notation (`name => value`), with
/// their defaults filled in as zero.
fn place_named_args(
    func: &str,
    positional: Vec<Expr>,
    named: Vec<(String, Expr)>,
) -> Result<Vec<Expr>> {
    let names: &[&str] = match func {
        "make_interval" => &["years", "months", "weeks", "days", "hours", "mins", "secs"],
        f if crate::functions::jsonpath::is_path_function(f) => {
            &crate::functions::jsonpath::PARAM_NAMES
        }
        _ => return Err(Error::unsupported(format!("named arguments for function {func}"))),
    };
    let mut slots: Vec<Option<Expr>> = positional.into_iter().map(Some).collect();
    slots.resize(names.len(), None);
    for (n, e) in named {
        let pos = names.iter().position(|x| *x == n).ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {func} has no parameter named \"{n}\""),
            )
        })?;
        slots[pos] = Some(e);
    }
    let last = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    Ok(slots
        .into_iter()
        .take(last)
        .enumerate()
        .map(|(i, e)| {
            e.unwrap_or_else(|| {
                if let Some(v) = crate::functions::jsonpath::default_arg(i)
                    .filter(|_| crate::functions::jsonpath::is_path_function(func))
                {
                    Expr::literal(v)
                } else if i == 6 {
                    Expr::literal(Value::Float8(0.0))
                } else {
                    Expr::literal(Value::Int4(0))
                }
            })
        })
        .collect())
}

/// An unknown-typed argument of a function that accepts anything becomes text.
fn resolve_unknown_arg(b: &mut Binder<'_>, e: Expr) -> Result<Expr> {
    if e.data_type() == DataType::Unknown {
        b.coerce(e, &DataType::Text, CoercionKind::Implicit)
    } else {
        Ok(e)
    }
}

/// The lower-cased function name and the schema naming a user function's (`None`
/// when unqualified or qualified by `pg_catalog`).
fn function_name_parts(name: &ast::ObjectName) -> Result<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(id) => Ok(ident_name(id)),
            ast::ObjectNamePart::Function(_) => {
                Err(Error::unsupported("function name with arguments"))
            }
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [one] => Ok((None, one.clone())),
        [schema, one] if schema == "pg_catalog" => Ok((None, one.clone())),
        [schema, one] => Ok((Some(schema.clone()), one.clone())),
        _ => function_name(name).map(|n| (None, n)),
    }
}

/// The lower-cased function name, without a `pg_catalog.` schema.
fn function_name(name: &ast::ObjectName) -> Result<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(id) => Ok(ident_name(id)),
            ast::ObjectNamePart::Function(_) => {
                Err(Error::unsupported("function name with arguments"))
            }
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [one] => Ok(one.clone()),
        [schema, one] if schema == "pg_catalog" || schema == "public" => Ok(one.clone()),
        _ => Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function {} does not exist", parts.join(".")),
        )),
    }
}

/// Whether ORDER BY key `key` of a DISTINCT aggregate is one of its arguments (implicit
/// conversions aside, which the arguments get from the aggregate's signature).
fn distinct_arg(args: &[Expr], key: &Expr) -> bool {
    fn bare(e: &Expr) -> &Expr {
        match e {
            Expr::Cast { expr, explicit: false, .. } => bare(expr),
            other => other,
        }
    }
    args.iter().any(|a| bare(a) == bare(key))
}
