//! PostgreSQL's function-style casts: a call of one argument whose name is a type's
//! name, such as `int4('12')`, `text(42)` or `"timestamp"('2024-01-02')`, is the cast
//! `arg::type` when no function takes the argument (`func_get_detail` in PostgreSQL).
//!
//! The rule, as PostgreSQL applies it:
//!
//! * an untyped string constant (or NULL) is always converted by the type's input
//!   function: no function takes `unknown` exactly, so the cast wins over every function
//!   of that name, built-in or user-defined;
//! * any other argument is cast only when no function of that name matches it, and only
//!   when a cast exists: the same type, a conversion through text to or from a string
//!   type, or one of the explicit casts PostgreSQL implements by a function named after
//!   the target type (`int4(numeric)`, `bool(int4)`, `numeric(jsonb)`, ...). Otherwise
//!   the call keeps its `42883 function ... does not exist` error.
//!
//! The cast carries no type modifier: `varchar(42)` is `42::varchar`, not `varchar(42)`.
//! A `reg*` type (`regclass('t')`) converts a name or an OID as `'t'::regclass` does;
//! `inet`, `cidr` and `macaddr` from strings go through `bind_inet.rs` first.

use std::sync::Arc;

use helios_common::Result;
use helios_types::DataType;
use sqlparser::ast;

use crate::catalog::TypeDef;
use crate::expr::bind::{ident_name, Binder, CoercionKind};
use crate::expr::node::Expr;
use crate::expr::types::{
    can_assignment_cast, category, numeric_rank, same_base, RegType, TypeCategory,
};

/// The built-in types a function-style cast may name, by their `pg_type.typname`
/// (PostgreSQL's `LookupTypeName` sees only these spellings, not aliases such as
/// `integer`).
fn builtin_type(name: &str) -> Option<DataType> {
    Some(match name {
        "bool" => DataType::Bool,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" => DataType::Int8,
        "float4" => DataType::Float4,
        "float8" => DataType::Float8,
        "numeric" => DataType::Numeric(None),
        "text" | "name" => DataType::Text,
        "varchar" => DataType::Varchar(None),
        "bpchar" => DataType::Char(None),
        // The one-byte `"char"`, stored as `character(1)` (see docs/sql-engine.md).
        "char" => DataType::Char(Some(1)),
        "bytea" => DataType::Bytea,
        "date" => DataType::Date,
        "time" => DataType::Time,
        "timetz" => DataType::TimeTz,
        "timestamp" => DataType::Timestamp,
        "timestamptz" => DataType::TimestampTz,
        "interval" => DataType::Interval,
        "uuid" => DataType::Uuid,
        "json" => DataType::Json,
        "jsonb" => DataType::Jsonb,
        "jsonpath" => DataType::JsonPath,
        "tsvector" => DataType::TsVector,
        "tsquery" => DataType::TsQuery,
        "inet" => DataType::Inet,
        "cidr" => DataType::Cidr,
        "macaddr" => DataType::MacAddr,
        _ => return None,
    })
}

/// Whether PostgreSQL's function-style cast may convert `from` to `to` when no function
/// matched: binary-coercible types, I/O conversion to or from a string type, or an
/// explicit cast whose function bears the target type's name.
fn cast_exists(from: &DataType, to: &DataType) -> bool {
    let string = |t: &DataType| category(t) == TypeCategory::String;
    if same_base(from, to) || can_assignment_cast(from, to) {
        // A composite value is not converted to a string this way.
        return !matches!(from, DataType::Record(_)) || !string(to);
    }
    if string(from) {
        return true;
    }
    match (from, to) {
        (DataType::Int4, DataType::Bool) | (DataType::Bool, DataType::Int4) => true,
        (DataType::Jsonb, t) => matches!(t, DataType::Bool) || numeric_rank(t).is_some(),
        _ => false,
    }
}

impl Binder<'_> {
    /// The type named by a function's name, for a function-style cast: a built-in type
    /// (unqualified or in `pg_catalog`) or a user-defined enum or domain on the search
    /// path or in the named schema. `reg*` types are never returned.
    fn function_cast_target(
        &mut self,
        name: &ast::ObjectName,
    ) -> Option<(DataType, Option<Arc<TypeDef>>)> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(id) => Some(ident_name(id)),
                ast::ObjectNamePart::Function(_) => None,
            })
            .collect::<Option<_>>()?;
        let (schema, last) = match parts.as_slice() {
            [one] => (None, one.as_str()),
            [schema, one] => (Some(schema.as_str()), one.as_str()),
            _ => return None,
        };
        if matches!(schema, None | Some("pg_catalog")) {
            if let Some(t) = builtin_type(last) {
                return Some((t, None));
            }
        }
        if schema == Some("pg_catalog") {
            return None;
        }
        let catalog = self.scope.catalog()?;
        let def = catalog.resolve_type(schema, last, self.scope.search_path())?.clone();
        let value = catalog.value_type(&def);
        let domain = def.domain().is_some().then(|| def.clone());
        Some((value, domain))
    }

    /// `name(arg)` as the cast `arg::name`, when `name` is a type and `arg` an untyped
    /// constant; gives the arguments back otherwise. Called before any function of the
    /// name is looked up.
    pub(crate) fn unknown_function_cast(
        &mut self,
        f: &ast::Function,
        args: Vec<Expr>,
    ) -> Result<std::result::Result<Expr, Vec<Expr>>> {
        let untyped = matches!(args.as_slice(), [Expr::Literal(_, DataType::Unknown)]);
        if !untyped {
            return Ok(Err(args));
        }
        self.function_style_cast(f, args)
    }

    /// `name(arg)` as the cast `arg::name` after no function of the name matched: when
    /// `name` is a type, there is one argument and PostgreSQL has a cast for it (see
    /// [`cast_exists`]); gives the arguments back otherwise.
    pub(crate) fn function_style_cast(
        &mut self,
        f: &ast::Function,
        args: Vec<Expr>,
    ) -> Result<std::result::Result<Expr, Vec<Expr>>> {
        let [arg] = match <[Expr; 1]>::try_from(args) {
            Ok(one) => one,
            Err(args) => return Ok(Err(args)),
        };
        if let Some(reg) = reg_target(&f.name) {
            let convertible = matches!(
                arg.data_type(),
                DataType::Unknown
                    | DataType::Text
                    | DataType::Varchar(_)
                    | DataType::Char(_)
                    | DataType::Int2
                    | DataType::Int4
                    | DataType::Int8
            );
            return if convertible {
                self.bind_reg_cast(reg, arg).map(Ok)
            } else {
                Ok(Err(vec![arg]))
            };
        }
        let Some((to, domain)) = self.function_cast_target(&f.name) else {
            return Ok(Err(vec![arg]));
        };
        let from = arg.data_type();
        if from != DataType::Unknown && !cast_exists(&from, &to) {
            return Ok(Err(vec![arg]));
        }
        let e =
            self.coerce(arg, &to, CoercionKind::Explicit).map_err(|e| {
                match first_arg_string(f) {
                    Some(v) => crate::parser::place::at_string(e, v),
                    None => e,
                }
            })?;
        self.with_domain(e, domain).map(Ok)
    }
}

/// The `reg*` type a function's name stands for (unqualified or in `pg_catalog`).
fn reg_target(name: &ast::ObjectName) -> Option<RegType> {
    let ident = |p: &ast::ObjectNamePart| match p {
        ast::ObjectNamePart::Identifier(id) => Some(ident_name(id)),
        ast::ObjectNamePart::Function(_) => None,
    };
    let last = match name.0.as_slice() {
        [one] => ident(one)?,
        [schema, one] if ident(schema)? == "pg_catalog" => ident(one)?,
        _ => return None,
    };
    super::types::reg_type_named(&last)
}

/// The call's only argument when it is a written constant, for error positions.
fn first_arg_string(f: &ast::Function) -> Option<&ast::ValueWithSpan> {
    let ast::FunctionArguments::List(list) = &f.args else { return None };
    match list.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Value(v)))] => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_that_exist() {
        assert!(cast_exists(&DataType::Int4, &DataType::Text));
        assert!(cast_exists(&DataType::Text, &DataType::Date));
        assert!(cast_exists(&DataType::Numeric(None), &DataType::Int4));
        assert!(cast_exists(&DataType::Bool, &DataType::Int4));
        assert!(cast_exists(&DataType::Jsonb, &DataType::Float8));
        assert!(!cast_exists(&DataType::Int4, &DataType::Date));
        assert!(!cast_exists(&DataType::Int4, &DataType::Jsonb));
        assert!(!cast_exists(&DataType::Int8, &DataType::Bool));
    }

    #[test]
    fn only_pg_type_names() {
        assert_eq!(builtin_type("int4"), Some(DataType::Int4));
        assert_eq!(builtin_type("char"), Some(DataType::Char(Some(1))));
        assert_eq!(builtin_type("integer"), None);
        assert_eq!(builtin_type("regclass"), None);
    }
}
