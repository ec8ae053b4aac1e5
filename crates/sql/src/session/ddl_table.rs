//! Building a [`TableDef`] from CREATE TABLE: columns, serial/identity sequences,
//! PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY and DEFAULT, with PostgreSQL's constraint
//! names and errors.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use crate::catalog::typename::{resolve_user_column_type, TypeScope};
use crate::catalog::{
    Catalog, CheckDef, ColumnDef, FkAction, ForeignKeyDef, Identity, IndexDef, ObjectAccess,
    Relation, SequenceDef, TableDef,
};
use crate::parser::{ident_name, object_name};

/// A table being defined, with the sequences its serial/identity columns need.
#[derive(Debug)]
pub struct NewTable {
    /// The table.
    pub table: TableDef,
    /// Sequences to create (ids already assigned).
    pub sequences: Vec<SequenceDef>,
}

/// Hands out object ids while a definition is built.
pub type IdSource<'a> = dyn FnMut() -> Result<u32> + 'a;

fn fk_action(a: Option<&ast::ReferentialAction>) -> FkAction {
    match a {
        Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
        Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
        _ => FkAction::NoAction,
    }
}

/// Whether a referencing column of type `fk` can reference a column of type `pk`.
fn fk_types_compatible(fk: &helios_types::DataType, pk: &helios_types::DataType) -> bool {
    use crate::expr::types::{can_implicit_cast, same_base};
    use helios_types::DataType as T;
    let family = |t: &T| match t {
        T::Int2 | T::Int4 | T::Int8 => 1,
        T::Float4 | T::Float8 => 2,
        T::Text | T::Varchar(_) | T::Char(_) => 3,
        T::Date | T::Timestamp | T::TimestampTz => 4,
        _ => 0,
    };
    if matches!(fk, T::Enum(_)) || matches!(pk, T::Enum(_)) {
        return same_base(fk, pk);
    }
    same_base(fk, pk) || (family(fk) != 0 && family(fk) == family(pk)) || can_implicit_cast(fk, pk)
}

/// `(deferrable, initially deferred)` of a constraint's `[NOT] DEFERRABLE [INITIALLY
/// DEFERRED | IMMEDIATE]` clauses.
pub fn deferrability(c: Option<&ast::ConstraintCharacteristics>) -> Result<(bool, bool)> {
    let Some(c) = c else { return Ok((false, false)) };
    let deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
    let deferrable = c.deferrable.unwrap_or(deferred);
    if deferred && !deferrable {
        return Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
        ));
    }
    Ok((deferrable, deferred))
}

/// The sequence feeding a serial or identity column of type `ty` (owned by `owned_by`,
/// table id and column name): PostgreSQL's defaults within the type's bounds, then
/// `opts`; 22023 for a type other than smallint, integer and bigint.
pub(super) fn column_sequence(
    id: u32,
    schema: &str,
    name: String,
    owned_by: (u32, String),
    owner: u32,
    ty: &helios_types::DataType,
    opts: &[ast::SequenceOptions],
) -> Result<SequenceDef> {
    let (min, max) = identity_bounds(ty)?;
    let mut seq = SequenceDef {
        comment: None,
        id,
        schema: schema.to_string(),
        name,
        start: 1,
        increment: 1,
        min: 1,
        max,
        cycle: false,
        owned_by: Some(owned_by),
        access: ObjectAccess::owned_by(owner),
    };
    super::ddl::apply_sequence_options(&mut seq, opts, min, max)?;
    Ok(seq)
}

/// The bounds of an identity column's type, which its sequence stays in; 22023 for a
/// type other than smallint, integer and bigint.
fn identity_bounds(t: &helios_types::DataType) -> Result<(i64, i64)> {
    match t {
        helios_types::DataType::Int2 => Ok((i64::from(i16::MIN), i64::from(i16::MAX))),
        helios_types::DataType::Int4 => Ok((i64::from(i32::MIN), i64::from(i32::MAX))),
        helios_types::DataType::Int8 => Ok((i64::MIN, i64::MAX)),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "identity column type must be smallint, integer, or bigint",
        )),
    }
}

/// A constraint name not used yet in `taken` (PostgreSQL appends 1, 2, ...).
pub fn unique_name(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken.iter().any(|t| t == n))
        .unwrap_or_else(|| base.to_string())
}

/// Names of every constraint and index of a table.
pub fn taken_names(t: &TableDef) -> Vec<String> {
    let mut v: Vec<String> = t.indexes.iter().map(|i| i.name.clone()).collect();
    v.extend(t.checks.iter().map(|c| c.name.clone()));
    v.extend(t.foreign_keys.iter().map(|f| f.name.clone()));
    v
}

fn column_positions(t: &TableDef, names: &[String]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|n| {
            t.column_index(n).ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{n}\" named in key does not exist"),
                )
            })
        })
        .collect()
}

fn index_column_names(cols: &[ast::IndexColumn]) -> Result<Vec<String>> {
    cols.iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(id) => Ok(ident_name(id)),
            other => Err(Error::unsupported(format!("expression \"{other}\" in a key"))),
        })
        .collect()
}

/// The sequence named by `nextval('name')` / `nextval('name'::regclass)`.
fn nextval_target(e: &ast::Expr) -> Result<Option<crate::parser::QualifiedName>> {
    let ast::Expr::Function(f) = e else { return Ok(None) };
    let is_nextval = matches!(f.name.0.last(), Some(ast::ObjectNamePart::Identifier(id)) if ident_name(id) == "nextval");
    if !is_nextval {
        return Ok(None);
    }
    let ast::FunctionArguments::List(list) = &f.args else { return Ok(None) };
    let arg = match list.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a))] => a,
        _ => return Ok(None),
    };
    let arg = match arg {
        ast::Expr::Cast { expr, .. } => expr.as_ref(),
        other => other,
    };
    let ast::Expr::Value(v) = arg else { return Ok(None) };
    let ast::Value::SingleQuotedString(text) = &v.value else { return Ok(None) };
    let parsed = crate::parser::parse_expr(text)?;
    let name = match parsed {
        ast::Expr::Identifier(id) => ast::ObjectName::from(vec![id]),
        ast::Expr::CompoundIdentifier(ids) => ast::ObjectName::from(ids),
        _ => return Ok(None),
    };
    object_name(&name).map(Some)
}

/// Adds a PRIMARY KEY or UNIQUE index over `names`.
pub fn add_key(
    t: &mut TableDef,
    names: &[String],
    primary: bool,
    name: Option<String>,
) -> Result<()> {
    let cols = column_positions(t, names)?;
    if primary {
        if t.primary_key().is_some() {
            return Err(Error::new(
                SqlState::INVALID_TABLE_DEFINITION,
                format!("multiple primary keys for table \"{}\" are not allowed", t.name),
            ));
        }
        for c in &cols {
            t.columns[*c].not_null = true;
        }
    }
    let base = if primary {
        format!("{}_pkey", t.name)
    } else {
        format!("{}_{}_key", t.name, names.join("_"))
    };
    let name = match name {
        Some(n) => n,
        None => unique_name(&base, &taken_names(t)),
    };
    let id = t.next_index_id;
    t.next_index_id += 1;
    t.indexes.push(IndexDef {
        comment: None,
        id,
        name,
        columns: cols,
        unique: true,
        primary,
        constraint: true,
        vector: None,
        expressions: Vec::new(),
        predicate: None,
        hash: false,
        bound_cache: Default::default(),
    });
    Ok(())
}

/// Adds a FOREIGN KEY; `self_def` is the table itself (for self references).
pub fn add_foreign_key(
    catalog: &Catalog,
    search_path: &[String],
    t: &mut TableDef,
    fk: &ast::ForeignKeyConstraint,
) -> Result<()> {
    let cols: Vec<String> = fk.columns.iter().map(ident_name).collect();
    let positions = column_positions(t, &cols)?;
    let target = object_name(&fk.foreign_table)?;
    let parent: TableDef =
        if target.name == t.name && target.schema.as_deref().is_none_or(|s| s == t.schema) {
            t.clone()
        } else {
            match catalog.resolve(target.schema.as_deref(), &target.name, search_path) {
                Some((_, Relation::Table(id))) => catalog
                    .table(id)
                    .map(|a| a.as_ref().clone())
                    .ok_or_else(|| Error::internal("table vanished"))?,
                _ => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{}\" does not exist", target.name),
                    ))
                }
            }
        };
    let ref_cols: Vec<usize> = if fk.referred_columns.is_empty() {
        parent.primary_key().map(|pk| pk.columns.clone()).ok_or_else(|| {
            Error::new(
                SqlState::INVALID_FOREIGN_KEY,
                format!("there is no primary key for referenced table \"{}\"", parent.name),
            )
        })?
    } else {
        let names: Vec<String> = fk.referred_columns.iter().map(ident_name).collect();
        names
            .iter()
            .map(|n| {
                parent.column_index(n).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!(
                            "column \"{n}\" referenced in foreign key constraint does not exist"
                        ),
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    if ref_cols.len() != positions.len() {
        return Err(Error::new(
            SqlState::INVALID_FOREIGN_KEY,
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    if !parent.indexes.iter().any(|i| i.unique && i.is_plain() && i.columns == ref_cols) {
        return Err(Error::new(
            SqlState::INVALID_FOREIGN_KEY,
            format!(
                "there is no unique constraint matching given keys for referenced table \"{}\"",
                parent.name
            ),
        ));
    }
    let name = match &fk.name {
        Some(n) => ident_name(n),
        None => unique_name(&format!("{}_{}_fkey", t.name, cols.join("_")), &taken_names(t)),
    };
    // The key types must compare with the referenced index's equality: the same type,
    // one btree family (int2/int4/int8, float4/float8, text/varchar/char, date and
    // timestamps), or an implicit cast to the referenced type.
    for (&c, &r) in positions.iter().zip(&ref_cols) {
        let (ct, rt) = (&t.columns[c].data_type, &parent.columns[r].data_type);
        if !fk_types_compatible(ct, rt) {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("foreign key constraint \"{name}\" cannot be implemented"),
            )
            .with_detail(format!(
                "Key columns \"{}\" and \"{}\" are of incompatible types: {ct} and {rt}.",
                t.columns[c].name, parent.columns[r].name
            )));
        }
    }
    let match_full = match fk.match_kind {
        Some(ast::ConstraintReferenceMatchKind::Full) => true,
        Some(ast::ConstraintReferenceMatchKind::Partial) => {
            return Err(Error::unsupported("MATCH PARTIAL"))
        }
        _ => false,
    };
    let (deferrable, initially_deferred) = deferrability(fk.characteristics.as_ref())?;
    let delete_set_columns = delete_set_columns(t, fk, &positions)?;
    t.foreign_keys.push(ForeignKeyDef {
        name,
        columns: positions,
        ref_table: parent.id,
        ref_columns: ref_cols,
        on_delete: fk_action(fk.on_delete.as_ref()),
        on_update: fk_action(fk.on_update.as_ref()),
        delete_set_columns,
        match_full,
        deferrable,
        initially_deferred,
        not_valid: false,
    });
    Ok(())
}

/// The columns of an `ON DELETE SET NULL / SET DEFAULT (col, ...)` list (see
/// `crate::parser::fk_set_columns`), as positions in `t`, each once, in the order
/// written: 42703 for a column `t` lacks, 42P10 for one not among the key's `positions`.
fn delete_set_columns(
    t: &TableDef,
    fk: &ast::ForeignKeyConstraint,
    positions: &[usize],
) -> Result<Vec<usize>> {
    let Some(names) = crate::parser::fk_set_columns::set_columns(fk)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(names.len());
    for n in &names {
        let c = t.column_index(n).ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{n}\" referenced in foreign key constraint does not exist"),
            )
        })?;
        if !positions.contains(&c) {
            return Err(Error::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                format!(
                    "column \"{n}\" referenced in ON DELETE SET action must be part of foreign key"
                ),
            ));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Builds the definition of a new table.
pub fn build_table(
    catalog: &Catalog,
    search_path: &[String],
    schema: &str,
    ct: &ast::CreateTable,
    next_id: &mut IdSource<'_>,
    owner: u32,
) -> Result<NewTable> {
    let name = object_name(&ct.name)?.name;
    let mut t = TableDef::bare(
        next_id()?,
        schema.to_string(),
        name.clone(),
        Vec::new(),
        ObjectAccess::owned_by(owner),
    );
    let mut sequences = Vec::new();
    // Column-level constraints are applied after all columns exist.
    let mut pending: Vec<(String, Option<String>, ast::ColumnOption)> = Vec::new();
    for col in &ct.columns {
        let cname = ident_name(&col.name);
        if t.column_index(&cname).is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{cname}\" specified more than once"),
            ));
        }
        let user =
            resolve_user_column_type(&col.data_type, Some(TypeScope { catalog, search_path }))?;
        let ty = user.column;
        if let helios_types::DataType::Pseudo(p) = &ty.data_type {
            return Err(Error::new(
                SqlState::from_code("42P16"),
                format!("column \"{cname}\" has pseudo-type {p}"),
            ));
        }
        let domain = user.domain.as_ref().filter(|d| d.domain().is_some()).map(|d| d.id);
        let mut def = ColumnDef {
            name: cname.clone(),
            data_type: ty.data_type.clone(),
            not_null: false,
            default: None,
            identity: None,
            sequence: None,
            domain,
            generated: None,
            precision: datetime_precision(&col.data_type),
        };
        let mut wants_sequence = ty.serial;
        let mut identity_options: &[ast::SequenceOptions] = &[];
        for opt in &col.options {
            match &opt.option {
                ast::ColumnOption::Null => {}
                ast::ColumnOption::NotNull => def.not_null = true,
                ast::ColumnOption::Default(e) => match nextval_target(e)? {
                    // `DEFAULT nextval('seq')` (pg_dump's spelling of serial) draws from
                    // the named sequence like a serial column.
                    Some(seq_name) => {
                        let seq = match catalog.resolve(
                            seq_name.schema.as_deref(),
                            &seq_name.name,
                            search_path,
                        ) {
                            Some((_, Relation::Sequence(id))) => id,
                            _ => {
                                return Err(Error::new(
                                    SqlState::UNDEFINED_TABLE,
                                    format!("relation \"{}\" does not exist", seq_name.name),
                                ))
                            }
                        };
                        def.sequence = Some(seq);
                    }
                    None => def.default = Some(e.to_string()),
                },
                ast::ColumnOption::Generated {
                    generation_expr: Some(e),
                    generation_expr_mode,
                    ..
                } => {
                    if !matches!(generation_expr_mode, Some(ast::GeneratedExpressionMode::Stored)) {
                        // PostgreSQL 15 has only STORED generated columns, and requires
                        // the word.
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            format!(
                                "generated column \"{cname}\" must be STORED (virtual generated columns are not supported)"
                            ),
                        ));
                    }
                    if def.generated.is_some() {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            format!(
                                "multiple generation clauses specified for column \"{cname}\" of table \"{name}\""
                            ),
                        ));
                    }
                    def.generated = Some(e.to_string());
                }
                ast::ColumnOption::Generated { generated_as, sequence_options, .. } => {
                    identity_options = sequence_options.as_deref().unwrap_or(&[]);
                    def.identity = Some(match generated_as {
                        ast::GeneratedAs::Always => Identity::Always,
                        _ => Identity::ByDefault,
                    });
                    def.not_null = true;
                    wants_sequence = true;
                }
                other => {
                    pending.push((cname.clone(), opt.name.as_ref().map(ident_name), other.clone()))
                }
            }
        }
        if def.generated.is_some() {
            let both = if def.identity.is_some() {
                Some("identity")
            } else if def.default.is_some() || def.sequence.is_some() || ty.serial {
                Some("default")
            } else {
                None
            };
            if let Some(what) = both {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!(
                        "both {what} and generation expression specified for column \"{cname}\" of table \"{name}\""
                    ),
                ));
            }
        }
        if wants_sequence {
            let seq = column_sequence(
                next_id()?,
                schema,
                format!("{name}_{cname}_seq"),
                (t.id, cname.clone()),
                owner,
                &def.data_type,
                identity_options,
            )?;
            def.sequence = Some(seq.id);
            def.not_null = true;
            sequences.push(seq);
        }
        t.columns.push(def);
    }
    for (cname, cons_name, opt) in pending {
        match opt {
            ast::ColumnOption::PrimaryKey(_) => {
                add_key(&mut t, std::slice::from_ref(&cname), true, cons_name)?
            }
            ast::ColumnOption::Unique(_) => {
                add_key(&mut t, std::slice::from_ref(&cname), false, cons_name)?
            }
            ast::ColumnOption::Check(c) => {
                let n = cons_name.unwrap_or_else(|| {
                    unique_name(&format!("{name}_{cname}_check"), &taken_names(&t))
                });
                t.checks.push(CheckDef { name: n, expr: c.expr.to_string(), not_valid: false });
            }
            ast::ColumnOption::ForeignKey(fk) => {
                let mut fk = fk.clone();
                fk.columns = vec![ast::Ident::with_quote('"', cname.clone())];
                if fk.name.is_none() {
                    fk.name = cons_name.map(|n| ast::Ident::with_quote('"', n));
                }
                add_foreign_key(catalog, search_path, &mut t, &fk)?;
            }
            other => return Err(Error::unsupported(format!("column option {other}"))),
        }
    }
    for c in &ct.constraints {
        add_table_constraint(catalog, search_path, &mut t, c)?;
    }
    Ok(NewTable { table: t, sequences })
}

/// Adds a table constraint (CREATE TABLE or ALTER TABLE ADD CONSTRAINT).
pub fn add_table_constraint(
    catalog: &Catalog,
    search_path: &[String],
    t: &mut TableDef,
    c: &ast::TableConstraint,
) -> Result<()> {
    match c {
        ast::TableConstraint::PrimaryKey(pk) => {
            let names = index_column_names(&pk.columns)?;
            add_key(t, &names, true, pk.name.as_ref().map(ident_name))
        }
        ast::TableConstraint::Unique(u) => {
            let names = index_column_names(&u.columns)?;
            add_key(t, &names, false, u.name.as_ref().map(ident_name))
        }
        ast::TableConstraint::Check(ch) => {
            let n = match &ch.name {
                Some(n) => ident_name(n),
                None => {
                    let base = format!("{}_check", t.name);
                    unique_name(&base, &taken_names(t))
                }
            };
            t.checks.push(CheckDef { name: n, expr: ch.expr.to_string(), not_valid: false });
            Ok(())
        }
        ast::TableConstraint::ForeignKey(fk) => add_foreign_key(catalog, search_path, t, fk),
        other => Err(Error::unsupported(format!("constraint {other}"))),
    }
}

/// The fractional-second precision written in a column type (`timestamp(2)`, `time(0)
/// with time zone`, `interval(3)`), capped at 6 as PostgreSQL does.
pub(crate) fn datetime_precision(ty: &ast::DataType) -> Option<u8> {
    let p = match ty {
        ast::DataType::Timestamp(p, _) | ast::DataType::Time(p, _) => *p,
        ast::DataType::Interval { precision, .. } => *precision,
        _ => None,
    }?;
    Some(p.min(6) as u8)
}
