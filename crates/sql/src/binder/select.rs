//! Binding one SELECT: FROM, WHERE, GROUP BY/HAVING, windows, the select list,
//! DISTINCT [ON] and ORDER BY (which may refer to input columns).

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::aggregate::{
    add_aggregate, collect_aggregates, collect_windows, expand_grouping, rewrite_after_aggregate,
    rewrite_after_window, same, OuterAggregates,
};
use super::colname::figure_colname;
use super::order::{output_ordinal, sort_key};
use super::Binder;
use crate::expr::{AggregateCall, Expr, WindowCall};
use crate::parser::{ident_name, object_name};
use crate::planner::rewrite::shift_columns;
use crate::planner::{Field, Plan, Schema, SortKey};

impl Binder<'_> {
    pub(super) fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: Option<&[ast::OrderByExpr]>,
    ) -> Result<Plan> {
        self.outer_aggs.push(OuterAggregates {
            level: self.outer.len(),
            clause: Some("FROM clause of their own query level"),
            base: 0,
            calls: Vec::new(),
        });
        let mark = self.unreachable.len();
        let plan = self.bind_select_clauses(select, order_by);
        self.unreachable.truncate(mark);
        self.outer_aggs.pop();
        plan
    }

    /// Notes where the SELECT being bound is: aggregates of its subqueries that belong
    /// to it are refused in `clause` (`None`: allowed).
    fn outer_aggregates_clause(&mut self, clause: Option<&'static str>) {
        if let Some(a) = self.outer_aggs.last_mut() {
            a.clause = clause;
        }
    }

    fn bind_select_clauses(
        &mut self,
        select: &ast::Select,
        order_by: Option<&[ast::OrderByExpr]>,
    ) -> Result<Plan> {
        if select.into.is_some() {
            return Err(Error::unsupported("SELECT INTO"));
        }
        // A locking clause of this level covers the tables of this FROM list only.
        let mut request = self.lock_pending.take();
        let carry_only = request.as_ref().is_some_and(|r| r.carry_only);
        let simple = select.having.is_none()
            && !matches!(select.distinct, Some(ast::Distinct::Distinct | ast::Distinct::On(_)))
            && matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty());
        if carry_only && !simple {
            // Not a simply updatable scan: a cursor over it has no row keys.
            request = None;
        }
        let saved = std::mem::replace(&mut self.row_lock, request);
        // With GROUP BY, note the tables of this FROM list (functional dependencies).
        let grouped =
            !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty());
        let outer_tables = std::mem::replace(&mut self.from_tables, grouped.then(Vec::new));
        let from = self.bind_from(&select.from);
        let from_tables =
            std::mem::replace(&mut self.from_tables, outer_tables).unwrap_or_default();
        let request = std::mem::replace(&mut self.row_lock, saved);
        let mut plan = from?;
        let mut lock_targets = match request {
            Some(r) => {
                if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty())
                {
                    return Err(r.refuse("GROUP BY clause"));
                }
                if select.having.is_some() {
                    return Err(r.refuse("HAVING clause"));
                }
                if matches!(select.distinct, Some(ast::Distinct::Distinct | ast::Distinct::On(_))) {
                    return Err(r.refuse("DISTINCT clause"));
                }
                Some(r.finish(&plan.schema())?)
            }
            None => None,
        };
        self.outer_aggregates_clause(Some("WHERE"));
        if let Some(w) = &select.selection {
            let fields = plan.schema();
            let predicate = self.bind_condition(w, &fields, "WHERE", false)?;
            if predicate.contains_window() {
                return Err(Error::new(
                    SqlState::WINDOWING_ERROR,
                    "window functions are not allowed in WHERE",
                ));
            }
            plan = Plan::Filter { input: Box::new(plan), predicate };
        }
        let (srf_plan, projection) = self.plan_select_srfs(plan, &select.projection)?;
        plan = srf_plan;
        let fields = plan.schema();

        // GROUPING(...) calls become marker columns after the FROM row; they are replaced
        // by each grouping set's bitmask once the aggregate is planned.
        let mut grouping_args: Vec<Vec<ast::Expr>> = Vec::new();
        let projection: Vec<ast::SelectItem> =
            projection.iter().map(|i| rewrite_grouping_item(i, &mut grouping_args)).collect();
        let having_ast = select.having.as_ref().map(|h| rewrite_grouping(h, &mut grouping_args));
        let order_asts: Vec<ast::OrderByExpr> = order_by
            .unwrap_or(&[])
            .iter()
            .map(|o| ast::OrderByExpr {
                expr: rewrite_grouping(&o.expr, &mut grouping_args),
                ..o.clone()
            })
            .collect();
        let mut bind_fields = fields.clone();
        for m in 0..grouping_args.len() {
            bind_fields.push(Field::new(format!("?grouping?{m}"), helios_types::DataType::Int4));
        }

        // The select list, bound over the FROM row.
        self.outer_aggregates_clause(None);
        if let Some(a) = self.outer_aggs.last_mut() {
            a.base = bind_fields.len();
        }
        let mut items: Vec<Expr> = Vec::new();
        let mut out: Schema = Vec::new();
        for item in &projection {
            self.bind_select_item(item, &bind_fields, &mut items, &mut out)?;
        }
        for f in &mut out {
            f.hidden |= super::table_function::is_companion(&f.name);
        }

        // GROUP BY: ordinals and output names refer to the select list.
        self.outer_aggregates_clause(Some("GROUP BY"));
        let (group_exprs, sets) = self.bind_group_by(&select.group_by, &fields, &items, &out)?;
        self.outer_aggregates_clause(None);
        if group_exprs.iter().any(Expr::contains_window) {
            return Err(Error::new(
                SqlState::WINDOWING_ERROR,
                "window functions are not allowed in GROUP BY",
            ));
        }

        let having = match &having_ast {
            Some(h) => Some(self.bind_condition(h, &bind_fields, "HAVING", true)?),
            None => None,
        };

        // ORDER BY keys: an output column, or an expression over the FROM row.
        enum Key {
            Item(usize),
            Extra(Expr),
        }
        let mut order_keys: Vec<(Key, &ast::OrderByOptions)> = Vec::new();
        for o in &order_asts {
            let key = match output_ordinal(&o.expr, &out)? {
                Some(i) => Key::Item(i),
                None => {
                    let e = self.bind_scalar(&o.expr, &bind_fields, None)?;
                    match items.iter().position(|it| *it == e) {
                        Some(i) => Key::Item(i),
                        None => Key::Extra(e),
                    }
                }
            };
            order_keys.push((key, &o.options));
        }

        // DISTINCT ON keys, same resolution.
        let mut distinct_on: Option<Vec<Key>> = None;
        let mut distinct = false;
        match &select.distinct {
            None | Some(ast::Distinct::All) => {}
            Some(ast::Distinct::Distinct) => distinct = true,
            Some(ast::Distinct::On(exprs)) => {
                let mut keys = Vec::new();
                for e in exprs {
                    let key = match output_ordinal(e, &out)? {
                        Some(i) => Key::Item(i),
                        None => {
                            let b = self.bind_scalar(e, &bind_fields, None)?;
                            match items.iter().position(|it| *it == b) {
                                Some(i) => Key::Item(i),
                                None => Key::Extra(b),
                            }
                        }
                    };
                    keys.push(key);
                }
                distinct_on = Some(keys);
            }
        }

        // Everything evaluated above the FROM row, in one list to rewrite together.
        let mut exprs: Vec<Expr> = items.clone();
        let n_items = exprs.len();
        let mut extra_slots: Vec<usize> = Vec::new();
        for (k, _) in &mut order_keys {
            if let Key::Extra(e) = k {
                extra_slots.push(exprs.len());
                exprs.push(e.clone());
            }
        }
        if let Some(keys) = &distinct_on {
            for k in keys {
                if let Key::Extra(e) = k {
                    exprs.push(e.clone());
                }
            }
        }
        let having_slot = having.map(|h| {
            exprs.push(h);
            exprs.len() - 1
        });

        if !select.named_window.is_empty() {
            self.resolve_named_windows(&mut exprs, &select.named_window, &fields)?;
        }
        let mut aggs: Vec<AggregateCall> = Vec::new();
        for e in &exprs {
            collect_aggregates(e, &mut aggs);
        }
        // Aggregates written in subqueries that belong to this level.
        let hoisted = self.outer_aggs.last_mut().map(|a| std::mem::take(&mut a.calls));
        let hoisted = hoisted.unwrap_or_default();
        for h in &hoisted {
            add_aggregate(&mut aggs, h);
        }
        if aggs.iter().any(|a| a.args.iter().any(Expr::contains_window)) {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                "aggregate function calls cannot contain window function calls",
            ));
        }
        let is_agg = !group_exprs.is_empty() || !aggs.is_empty() || sets.len() > 1;
        if carry_only && is_agg {
            lock_targets = None;
        }
        if let (Some((strength, _)), true) = (&lock_targets, is_agg) {
            return Err(super::row_locks::refuse(strength, "aggregate functions"));
        }
        if !is_agg && !grouping_args.is_empty() {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                "arguments to GROUPING must be grouping expressions of the associated query level",
            ));
        }
        if is_agg {
            let mut schema: Schema = fields
                .iter()
                .map(|f| Field { hidden: true, qualifier: None, ..f.clone() })
                .collect();
            schema.extend(group_exprs.iter().map(|g| Field::new("?group?", g.data_type())));
            schema.extend(aggs.iter().map(|a| Field::new("?agg?", a.ty.clone())));
            schema
                .push(Field { hidden: true, ..Field::new("?set?", helios_types::DataType::Int4) });
            let out_width = schema.len();
            let markers =
                self.grouping_markers(&grouping_args, &fields, &group_exprs, &sets, out_width - 1)?;
            let dependent = match sets.len() {
                0 | 1 => self.functionally_dependent(&fields, &group_exprs, &from_tables),
                _ => vec![false; fields.len()],
            };
            for e in &mut exprs {
                rewrite_after_aggregate(
                    e,
                    &group_exprs,
                    &aggs,
                    &fields,
                    &dependent,
                    &markers,
                    out_width,
                )?;
            }
            self.check_subquery_grouping(&exprs, &fields, &group_exprs, &dependent)?;
            let n_keys = group_exprs.len();
            let agg_slots: Vec<Expr> = hoisted
                .iter()
                .map(|h| {
                    let j = aggs.iter().position(|a| same(a, h)).unwrap_or(0);
                    Expr::Column(fields.len() + n_keys + j, h.ty.clone())
                })
                .collect();
            plan = Plan::Aggregate {
                input: Box::new(plan),
                group_by: group_exprs,
                sets,
                aggs,
                schema,
            };
            if !agg_slots.is_empty() {
                plan = outer_aggregate_row(plan, fields.len(), &markers, agg_slots);
                for e in &mut exprs {
                    shift_columns(e, fields.len(), (markers.len() + hoisted.len()) as isize);
                }
            }
            if let Some(slot) = having_slot {
                let predicate = exprs[slot].clone();
                plan = Plan::Filter { input: Box::new(plan), predicate };
            }
        }

        let mut calls: Vec<WindowCall> = Vec::new();
        for e in &exprs {
            collect_windows(e, &mut calls);
        }
        if carry_only && !calls.is_empty() {
            lock_targets = None;
        }
        if let (Some((strength, _)), false) = (&lock_targets, calls.is_empty()) {
            return Err(super::row_locks::refuse(strength, "window functions"));
        }
        if !calls.is_empty() {
            if calls.iter().any(|c| c.window_name.is_some()) {
                return Err(Error::unsupported("named windows (OVER name)"));
            }
            let in_width = plan.width();
            let mut schema = plan.schema();
            schema.extend(calls.iter().map(|c| Field::new("?window?", c.ty.clone())));
            for e in &mut exprs {
                rewrite_after_window(e, &calls, in_width);
            }
            plan = Plan::Window { input: Box::new(plan), calls, schema };
        }

        // Project: select items, then hidden sort / DISTINCT ON keys.
        let proj_len = if having_slot.is_some() { exprs.len() - 1 } else { exprs.len() };
        let mut schema = out.clone();
        for e in &exprs[n_items..proj_len] {
            schema.push(Field { hidden: true, ..Field::new("?key?", e.data_type()) });
        }
        let mut proj_exprs: Vec<Expr> = exprs[..proj_len].to_vec();
        // Row keys of locked tables travel after everything else.
        let key_cols = match &lock_targets {
            Some(_) => super::row_locks::key_columns(&plan.schema()),
            None => Vec::new(),
        };
        let input_schema = plan.schema();
        for &k in &key_cols {
            proj_exprs.push(Expr::Column(k, helios_types::DataType::Bytea));
            schema.push(input_schema[k].clone());
        }
        plan = Plan::Project { input: Box::new(plan), exprs: proj_exprs, schema: schema.clone() };

        // Sort keys and DISTINCT ON keys now read projected columns.
        let mut extra_iter = n_items..proj_len;
        let mut sort: Vec<SortKey> = Vec::new();
        for (k, opts) in &order_keys {
            let col = match k {
                Key::Item(i) => *i,
                Key::Extra(_) => extra_iter.next().unwrap_or(0),
            };
            sort.push(sort_key(Expr::Column(col, schema[col].data_type.clone()), opts)?);
        }
        let on_cols: Option<Vec<Expr>> = distinct_on.as_ref().map(|keys| {
            keys.iter()
                .map(|k| {
                    let col = match k {
                        Key::Item(i) => *i,
                        Key::Extra(_) => extra_iter.next().unwrap_or(0),
                    };
                    Expr::Column(col, schema[col].data_type.clone())
                })
                .collect()
        });
        let _ = extra_slots;

        if distinct && proj_len > n_items {
            return Err(Error::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
            ));
        }
        if let Some(on) = on_cols {
            // DISTINCT ON keeps the first row of each key group in ORDER BY order; the
            // ORDER BY must start with the DISTINCT ON keys.
            let leading_ok = sort.iter().zip(&on).all(|(s, k)| s.expr == *k);
            if !sort.is_empty() && !leading_ok && sort.len() < on.len() {
                return Err(Error::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                ));
            }
            if !sort.is_empty() {
                plan = Plan::Sort { input: Box::new(plan), keys: sort, limit: None };
            }
            plan = Plan::Distinct { input: Box::new(plan), on: Some(on) };
        } else {
            if distinct {
                plan = Plan::Distinct { input: Box::new(plan), on: None };
            }
            if !sort.is_empty() {
                plan = Plan::Sort { input: Box::new(plan), keys: sort, limit: None };
            }
        }
        if proj_len > n_items {
            let keys = proj_len..proj_len + key_cols.len();
            let exprs = (0..n_items)
                .map(|i| Expr::Column(i, out[i].data_type.clone()))
                .chain(keys.clone().map(|k| Expr::Column(k, helios_types::DataType::Bytea)))
                .collect();
            let mut out = out;
            out.extend(keys.map(|k| schema[k].clone()));
            plan = Plan::Project { input: Box::new(plan), exprs, schema: out };
        }
        if let Some((_, targets)) = lock_targets {
            if !targets.is_empty() {
                self.lock_bound = Some(targets);
            }
        }
        Ok(plan)
    }

    /// The value of each GROUPING(...) call per grouping set: a CASE over the
    /// aggregate's set-index column (`set_col`).
    fn grouping_markers(
        &mut self,
        calls: &[Vec<ast::Expr>],
        fields: &[Field],
        group_exprs: &[Expr],
        sets: &[Vec<usize>],
        set_col: usize,
    ) -> Result<Vec<Expr>> {
        use helios_types::{DataType, Value};
        let mut out = Vec::with_capacity(calls.len());
        for args in calls {
            let mut positions = Vec::with_capacity(args.len());
            for a in args {
                let b = self.bind_scalar(a, fields, Some("GROUPING"))?;
                let p = group_exprs.iter().position(|g| *g == b).ok_or_else(|| {
                    Error::new(
                        SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                        "arguments to GROUPING must be grouping expressions of the associated query level",
                    )
                })?;
                positions.push(p);
            }
            let mask = |set: &Vec<usize>| -> i32 {
                positions.iter().fold(0i32, |acc, p| (acc << 1) | i32::from(!set.contains(p)))
            };
            let all: Vec<usize> = (0..group_exprs.len()).collect();
            let e = if sets.len() <= 1 {
                Expr::Literal(Value::Int4(mask(sets.first().unwrap_or(&all))), DataType::Int4)
            } else {
                let whens = sets
                    .iter()
                    .enumerate()
                    .map(|(i, set)| {
                        let cond = Expr::Binary {
                            op: crate::expr::BinaryOp::Eq,
                            left: Box::new(Expr::Column(set_col, DataType::Int4)),
                            right: Box::new(Expr::Literal(Value::Int4(i as i32), DataType::Int4)),
                            ty: DataType::Bool,
                        };
                        (cond, Expr::Literal(Value::Int4(mask(set)), DataType::Int4))
                    })
                    .collect();
                Expr::Case { operand: None, whens, else_result: None, ty: DataType::Int4 }
            };
            out.push(e);
        }
        Ok(out)
    }

    /// Fills in `OVER name` calls from the WINDOW clause.
    fn resolve_named_windows(
        &mut self,
        exprs: &mut [Expr],
        defs: &[ast::NamedWindowDefinition],
        fields: &[Field],
    ) -> Result<()> {
        let mut specs: Vec<WindowSpecBound> = Vec::new();
        for (i, ast::NamedWindowDefinition(name, def)) in defs.iter().enumerate() {
            if defs[..i].iter().any(|d| ident_name(&d.0) == ident_name(name)) {
                return Err(Error::new(
                    SqlState::WINDOWING_ERROR,
                    format!("window \"{}\" is already defined", ident_name(name)),
                ));
            }
            let spec = match def {
                ast::NamedWindowExpr::WindowSpec(spec) => spec.clone(),
                ast::NamedWindowExpr::NamedWindow(other) => {
                    let o = ident_name(other);
                    match defs.iter().find(|d| ident_name(&d.0) == o) {
                        Some(ast::NamedWindowDefinition(
                            _,
                            ast::NamedWindowExpr::WindowSpec(s),
                        )) => s.clone(),
                        _ => {
                            return Err(Error::new(
                                SqlState::UNDEFINED_OBJECT,
                                format!("window \"{o}\" does not exist"),
                            ))
                        }
                    }
                }
            };
            let mut partition = Vec::new();
            for p in &spec.partition_by {
                partition.push(self.bind_scalar(p, fields, None)?);
            }
            let (order_by, frame) = crate::expr::window_frame::split_window_spec(
                &spec.order_by,
                spec.window_frame.as_ref(),
                &mut |e| self.bind_scalar(e, fields, None),
            )?;
            let mut order = Vec::new();
            for o in &order_by {
                let e = self.bind_scalar(&o.expr, fields, None)?;
                let k = sort_key(e, &o.options)?;
                order.push(crate::expr::SortExpr {
                    expr: k.expr,
                    asc: k.asc,
                    nulls_first: k.nulls_first,
                });
            }
            specs.push((ident_name(name), partition, order, frame));
        }
        let mut missing: Option<String> = None;
        for e in exprs.iter_mut() {
            crate::planner::rewrite::transform(e, &mut |node| match node {
                Expr::Window(call) if call.window_name.is_some() => {
                    let name = call.window_name.clone().unwrap_or_default();
                    match specs.iter().find(|s| s.0 == name) {
                        Some((_, p, o, f)) => {
                            let mut c = (**call).clone();
                            c.window_name = None;
                            c.partition_by = p.clone();
                            c.order_by = o.clone();
                            if c.frame.is_none() {
                                c.frame = f.clone();
                            }
                            Some(Expr::Window(Box::new(c)))
                        }
                        None => {
                            missing = Some(name);
                            None
                        }
                    }
                }
                _ => None,
            });
        }
        match missing {
            Some(n) => Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("window \"{n}\" does not exist"),
            )),
            None => Ok(()),
        }
    }

    fn bind_select_item(
        &mut self,
        item: &ast::SelectItem,
        fields: &[Field],
        items: &mut Vec<Expr>,
        out: &mut Schema,
    ) -> Result<()> {
        match item {
            ast::SelectItem::Wildcard(_) => {
                let before = items.len();
                for (i, f) in fields.iter().enumerate() {
                    if !f.hidden {
                        items.push(Expr::Column(i, f.data_type.clone()));
                        out.push(Field::new(f.name.clone(), f.data_type.clone()));
                    }
                }
                if items.len() == before && fields.is_empty() {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "SELECT * with no tables specified is not valid",
                    ));
                }
            }
            ast::SelectItem::QualifiedWildcard(kind, _) => {
                let q = match kind {
                    ast::SelectItemQualifiedWildcardKind::ObjectName(n) => object_name(n)?.name,
                    ast::SelectItemQualifiedWildcardKind::Expr(e) => {
                        return Err(Error::unsupported(format!("{e}.*")));
                    }
                };
                let mut any = false;
                for (i, f) in fields.iter().enumerate() {
                    if f.qualifier.as_deref() == Some(q.as_str()) {
                        any = true;
                        if super::scope::is_system_field(f) {
                            continue;
                        }
                        items.push(Expr::Column(i, f.data_type.clone()));
                        out.push(Field::new(f.name.clone(), f.data_type.clone()));
                    }
                }
                // An enclosing query's item (a LATERAL subquery's `t.*`).
                if !any {
                    if let Some(cols) = self.row_columns(fields, &q) {
                        any = true;
                        for (i, name, ty) in cols {
                            items.push(Expr::Column(i, ty.clone()));
                            out.push(Field::new(name, ty));
                        }
                    }
                }
                if !any {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{q}\""),
                    ));
                }
            }
            ast::SelectItem::UnnamedExpr(e) => {
                let b = self.bind_scalar(e, fields, None)?;
                out.push(Field::new(figure_colname(e), output_type(&b)));
                items.push(b);
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                let b = self.bind_scalar(expr, fields, None)?;
                out.push(Field::new(ident_name(alias), output_type(&b)));
                items.push(b);
            }
            ast::SelectItem::ExprWithAliases { .. } => {
                return Err(Error::unsupported("multiple aliases"))
            }
        }
        Ok(())
    }

    /// Binds GROUP BY into the distinct key expressions and the grouping sets (as
    /// positions in the key list).
    fn bind_group_by(
        &mut self,
        group_by: &ast::GroupByExpr,
        fields: &[Field],
        items: &[Expr],
        out: &[Field],
    ) -> Result<(Vec<Expr>, Vec<Vec<usize>>)> {
        let exprs = match group_by {
            ast::GroupByExpr::All(_) => return Err(Error::unsupported("GROUP BY ALL")),
            ast::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(Error::unsupported("GROUP BY modifiers"));
                }
                exprs
            }
        };
        let mut keys: Vec<Expr> = Vec::new();
        // Each element contributes a list of alternative sets; the grouping sets are
        // their cross product.
        let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
        for e in exprs {
            let alternatives: Vec<Vec<ast::Expr>> = match expand_grouping(e) {
                Some(a) => a,
                None => vec![vec![e.clone()]],
            };
            let mut alt_positions: Vec<Vec<usize>> = Vec::new();
            for alt in alternatives {
                let mut positions = Vec::new();
                for g in alt {
                    let bound = self.bind_group_key(&g, fields, items, out)?;
                    let pos = match keys.iter().position(|k| *k == bound) {
                        Some(p) => p,
                        None => {
                            keys.push(bound);
                            keys.len() - 1
                        }
                    };
                    if !positions.contains(&pos) {
                        positions.push(pos);
                    }
                }
                alt_positions.push(positions);
            }
            let mut next = Vec::new();
            for s in &sets {
                for a in &alt_positions {
                    let mut merged = s.clone();
                    for p in a {
                        if !merged.contains(p) {
                            merged.push(*p);
                        }
                    }
                    next.push(merged);
                }
            }
            sets = next;
        }
        Ok((keys, sets))
    }

    /// With GROUP BY or aggregates, a subquery above the aggregation may read only
    /// grouped (or functionally dependent) columns of this level's FROM row (42803).
    fn check_subquery_grouping(
        &self,
        exprs: &[Expr],
        fields: &[Field],
        group_by: &[Expr],
        dependent: &[bool],
    ) -> Result<()> {
        let mut err = None;
        for e in exprs {
            e.walk(&mut |n| {
                let Expr::Subquery { id, .. } = n else { return };
                let Some(Some(refs)) = self.subqueries.get(id.0 as usize).map(|s| &s.outer_refs)
                else {
                    return;
                };
                for &p in refs.iter().filter(|&&p| p < fields.len()) {
                    let grouped = dependent.get(p) == Some(&true)
                        || group_by.iter().any(|g| matches!(g, Expr::Column(c, _) if *c == p));
                    if !grouped && err.is_none() {
                        let f = &fields[p];
                        let name = match &f.qualifier {
                            Some(q) => format!("{q}.{}", f.name),
                            None => f.name.clone(),
                        };
                        err = Some(Error::new(
                            SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                            format!("subquery uses ungrouped column \"{name}\" from outer query"),
                        ));
                    }
                }
            });
        }
        err.map_or(Ok(()), Err)
    }

    /// Whether `e` holds a subquery that reads an aggregate of this level (a slot from
    /// `base` on of its row).
    fn reads_outer_aggregate(&self, e: &Expr, base: usize) -> bool {
        let mut found = false;
        e.walk(&mut |n| {
            if let Expr::Subquery { id, .. } = n {
                if let Some(Some(refs)) = self.subqueries.get(id.0 as usize).map(|s| &s.outer_refs)
                {
                    found |= refs.iter().any(|&p| p >= base);
                }
            }
        });
        found
    }

    fn bind_group_key(
        &mut self,
        e: &ast::Expr,
        fields: &[Field],
        items: &[Expr],
        out: &[Field],
    ) -> Result<Expr> {
        if let Some(n) = super::order::ordinal(e) {
            return match items.get(n.wrapping_sub(1)) {
                Some(it) if n >= 1 => {
                    if it.contains_aggregate() || self.reads_outer_aggregate(it, fields.len()) {
                        return Err(Error::new(
                            SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                            "aggregate functions are not allowed in GROUP BY",
                        ));
                    }
                    Ok(it.clone())
                }
                _ => Err(Error::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    format!("GROUP BY position {n} is not in select list"),
                )),
            };
        }
        if let ast::Expr::Identifier(id) = e {
            // An input column wins over an output name, as in PostgreSQL.
            let name = ident_name(id);
            if super::scope::find_field(fields, None, &name)?.is_none() {
                if let Some(i) = out.iter().position(|f| f.name == name) {
                    if self.reads_outer_aggregate(&items[i], fields.len()) {
                        return Err(Error::new(
                            SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                            "aggregate functions are not allowed in GROUP BY",
                        ));
                    }
                    return Ok(items[i].clone());
                }
            }
        }
        self.bind_scalar(e, fields, Some("GROUP BY"))
    }
}

/// The row above an aggregation whose subqueries read aggregates of its level: the
/// FROM row, the GROUPING markers, the values of those aggregates (`slots`), then the
/// aggregation's own columns (see `OuterAggregates`).
fn outer_aggregate_row(plan: Plan, in_width: usize, markers: &[Expr], slots: Vec<Expr>) -> Plan {
    let input = plan.schema();
    let mut exprs: Vec<Expr> = input[..in_width]
        .iter()
        .enumerate()
        .map(|(i, f)| Expr::Column(i, f.data_type.clone()))
        .collect();
    let mut schema: Schema = input[..in_width].to_vec();
    for (m, e) in markers.iter().enumerate() {
        schema.push(Field { hidden: true, ..Field::new(format!("?grouping?{m}"), e.data_type()) });
        exprs.push(e.clone());
    }
    for e in slots {
        schema.push(Field { hidden: true, ..Field::new("?outer agg?", e.data_type()) });
        exprs.push(e);
    }
    for (i, f) in input.iter().enumerate().skip(in_width) {
        exprs.push(Expr::Column(i, f.data_type.clone()));
        schema.push(f.clone());
    }
    Plan::Project { input: Box::new(plan), exprs, schema }
}

/// Replaces `grouping(...)` calls with marker column references, collecting their
/// arguments.
fn rewrite_grouping(e: &ast::Expr, calls: &mut Vec<Vec<ast::Expr>>) -> ast::Expr {
    let mut out = e.clone();
    if !e.to_string().to_ascii_lowercase().contains("grouping(") {
        return out;
    }
    let _ = ast::visit_expressions_mut(&mut out, |node: &mut ast::Expr| {
        if let ast::Expr::Function(f) = node {
            let is_grouping = f.over.is_none()
                && matches!(f.name.0.last(), Some(ast::ObjectNamePart::Identifier(id)) if ident_name(id) == "grouping");
            if is_grouping {
                if let ast::FunctionArguments::List(l) = &f.args {
                    if let Ok(args) = super::table_function::plain_args(&l.args) {
                        let n = calls.len();
                        calls.push(args);
                        *node = ast::Expr::Identifier(ast::Ident::with_quote(
                            '"',
                            format!("?grouping?{n}"),
                        ));
                    }
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

fn rewrite_grouping_item(
    item: &ast::SelectItem,
    calls: &mut Vec<Vec<ast::Expr>>,
) -> ast::SelectItem {
    match item {
        // Keep the original expression for the column name.
        ast::SelectItem::UnnamedExpr(e) => {
            let r = rewrite_grouping(e, calls);
            if r == *e {
                item.clone()
            } else {
                ast::SelectItem::ExprWithAlias {
                    expr: r,
                    alias: ast::Ident::with_quote('"', figure_colname(e)),
                }
            }
        }
        ast::SelectItem::ExprWithAlias { expr, alias } => ast::SelectItem::ExprWithAlias {
            expr: rewrite_grouping(expr, calls),
            alias: alias.clone(),
        },
        other => other.clone(),
    }
}

/// A named window: name, PARTITION BY, ORDER BY, frame.
type WindowSpecBound =
    (String, Vec<Expr>, Vec<crate::expr::SortExpr>, Option<crate::expr::window_frame::WindowFrame>);

/// The type a select-list column reports: an `unknown` literal is `text`.
fn output_type(e: &Expr) -> helios_types::DataType {
    super::query::resolve_unknown(e.data_type())
}

impl Binder<'_> {
    /// Which FROM columns are functionally dependent on the GROUP BY list: every column
    /// of a table whose primary key columns are all grouped (PostgreSQL's rule; such a
    /// column has one value per group, so the select list may name it ungrouped).
    /// `tables` are the tables of this FROM list with their qualifiers.
    fn functionally_dependent(
        &self,
        fields: &[Field],
        group_by: &[Expr],
        tables: &[(String, u32)],
    ) -> Vec<bool> {
        let mut dependent = vec![false; fields.len()];
        for (qualifier, id) in tables {
            let Some(table) = self.catalog.table(*id) else { continue };
            let Some(pk) = table.primary_key() else { continue };
            let n = table.columns.len();
            // The table's columns, in order, under its qualifier (renamed by an alias
            // column list they are not recognised: no dependency then).
            let start = (0..=fields.len().saturating_sub(n)).find(|&k| {
                fields[k..k + n].iter().zip(&table.columns).all(|(f, c)| {
                    f.qualifier.as_deref() == Some(qualifier.as_str()) && f.name == c.name
                })
            });
            let Some(start) = start.filter(|_| n > 0) else { continue };
            let grouped = pk.columns.iter().all(|&c| {
                group_by.iter().any(|g| matches!(g, Expr::Column(i, _) if *i == start + c))
            });
            if grouped {
                dependent[start..start + n].fill(true);
            }
        }
        dependent
    }
}
