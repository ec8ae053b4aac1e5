//! `CREATE TYPE ... AS ENUM`, `CREATE DOMAIN`, `ALTER TYPE`, `ALTER DOMAIN` and
//! `DROP TYPE | DOMAIN`: the user-defined type records of [`crate::catalog::user_types`].

use helios_common::{Error, Result, SqlState};
use helios_types::enum_type::{initial_keys, key_after, key_between};
use sqlparser::ast;

use super::privileges::Owned;
use super::{Session, StatementResult};
use crate::catalog::user_types::{uses_enum, uses_record};
use crate::catalog::{
    AttributeDef, Catalog, CatalogStore, CheckDef, DomainDef, EnumLabelDef, ObjectAccess, Relation,
    TypeDef, TypeKind,
};
use crate::encoding::keys::CatalogKind;
use crate::parser::alter_domain::{AlterDomain, CreateDomain, DomainChange};
use crate::parser::{ident_name, object_name, QualifiedName};

/// PostgreSQL's limit on an enum label (NAMEDATALEN - 1 bytes).
const MAX_LABEL_BYTES: usize = 63;

fn type_exists(name: &str) -> Error {
    Error::new(SqlState::DUPLICATE_OBJECT, format!("type \"{name}\" already exists"))
}

fn no_such_type(name: &str) -> Error {
    Error::new(SqlState::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist"))
}

fn not_a_label(label: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("\"{label}\" is not an existing enum label"),
    )
}

fn label_exists(label: &str) -> Error {
    Error::new(SqlState::DUPLICATE_OBJECT, format!("enum label \"{label}\" already exists"))
}

fn check_label(label: &str) -> Result<()> {
    if label.is_empty() || label.len() > MAX_LABEL_BYTES {
        return Err(Error::new(SqlState::INVALID_NAME, format!("invalid enum label \"{label}\""))
            .with_detail("Labels must be 63 bytes or less."));
    }
    Ok(())
}

/// What depends on a type: the columns (schema, table, column) and domains using it.
struct Dependents {
    columns: Vec<(String, String, String)>,
    domains: Vec<u32>,
}

fn dependents(catalog: &Catalog, def: &TypeDef) -> Dependents {
    let mut columns = Vec::new();
    let mut tables: Vec<_> = catalog.tables.values().collect();
    tables.sort_by_key(|t| t.id);
    for t in tables {
        for c in &t.columns {
            let uses = match def.kind {
                TypeKind::Enum(_) | TypeKind::Range(_) => {
                    c.domain.is_none() && uses_enum(&c.data_type, def.id)
                }
                TypeKind::Domain(_) => c.domain == Some(def.id),
                TypeKind::Composite(_) => uses_record(&c.data_type, def.id),
            };
            if uses {
                columns.push((t.schema.clone(), t.name.clone(), c.name.clone()));
            }
        }
    }
    let domains = catalog
        .types
        .values()
        .filter(|t| {
            let range_dep = match &t.kind {
                TypeKind::Range(r) => r.domain == Some(def.id) || uses_enum(&r.subtype, def.id),
                _ => false,
            };
            let composite_dep = match &t.kind {
                TypeKind::Composite(attrs) => {
                    t.id != def.id
                        && attrs.iter().any(|a| {
                            uses_enum(&a.data_type, def.id) || uses_record(&a.data_type, def.id)
                        })
                }
                _ => false,
            };
            range_dep
                || composite_dep
                || t.domain()
                    .is_some_and(|d| uses_enum(&d.base, def.id) || d.parent == Some(def.id))
        })
        .map(|t| t.id)
        .collect();
    Dependents { columns, domains }
}

impl Session {
    /// The schema of a new type and an error when the name is taken (types share their
    /// names with tables, views and sequences, whose row types PostgreSQL also lists).
    fn new_type_schema(&mut self, catalog: &Catalog, qn: &QualifiedName) -> Result<String> {
        let schema = self.creation_schema(catalog, qn, false)?;
        self.require_create_in(catalog, &schema)?;
        let relation = matches!(
            catalog.relation(&schema, &qn.name),
            Some(Relation::Table(_) | Relation::View(_) | Relation::Sequence(_))
        );
        if relation || catalog.user_type(&schema, &qn.name).is_some() {
            return Err(type_exists(&qn.name));
        }
        Ok(schema)
    }

    /// Stores a new type under fresh consecutive ids: the type's and its array type's,
    /// and for a range type its multirange type's and that one's array type's.
    fn put_new_type(&mut self, mut def: TypeDef) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let count = if matches!(def.kind, TypeKind::Range(_)) { 4 } else { 2 };
        // None of the ids may be the fixed OID of a built-in type (pgvector's sit among
        // the first object ids).
        let builtin = |id: u32| helios_types::DataType::from_oid(id).is_some();
        let mut run: Vec<u32> = Vec::with_capacity(count);
        while run.len() < count {
            let next = CatalogStore::next_id(txn)?;
            if builtin(next) || run.last().is_some_and(|last| next != last + 1) {
                run.clear();
            }
            if !builtin(next) {
                run.push(next);
            }
        }
        def.id = run[0];
        CatalogStore::put_type(txn, &def)?;
        self.bump_version()
    }

    /// `CREATE TYPE name AS ENUM (...)`; composite, range and base types are refused.
    pub(super) fn create_type(
        &mut self,
        name: &ast::ObjectName,
        representation: Option<&ast::UserDefinedTypeRepresentation>,
    ) -> Result<StatementResult> {
        let labels = match representation {
            Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => labels,
            Some(ast::UserDefinedTypeRepresentation::Composite { attributes }) => {
                return self.create_composite_type(name, attributes)
            }
            Some(ast::UserDefinedTypeRepresentation::Range { options }) => {
                return self.create_range_type(name, options)
            }
            Some(ast::UserDefinedTypeRepresentation::SqlDefinition { .. }) | None => {
                return Err(Error::unsupported(
                    "CREATE TYPE without AS ENUM (base and shell types)",
                ))
            }
        };
        let qn = object_name(name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.new_type_schema(&catalog, &qn)?;
        let mut seen = std::collections::HashSet::new();
        for l in labels {
            check_label(&l.value)?;
            if !seen.insert(l.value.as_str()) {
                return Err(label_exists(&l.value));
            }
        }
        let keys = initial_keys(labels.len());
        let labels = labels
            .iter()
            .zip(keys)
            .map(|(l, key)| EnumLabelDef { label: l.value.clone(), key })
            .collect();
        let owner = self.auth(&catalog).id;
        self.put_new_type(TypeDef {
            id: 0,
            schema,
            name: qn.name,
            kind: TypeKind::Enum(labels),
            access: ObjectAccess::owned_by(owner),
        })?;
        Ok(StatementResult::command("CREATE TYPE"))
    }

    /// `CREATE TYPE name AS RANGE (SUBTYPE = t [, SUBTYPE_DIFF = f] [, COLLATION = c]
    /// [, MULTIRANGE_TYPE_NAME = m])`. Text compares bytewise here whatever the
    /// collation; a canonical function or subtype operator class is refused (0A000).
    fn create_range_type(
        &mut self,
        name: &ast::ObjectName,
        options: &[ast::UserDefinedTypeRangeOption],
    ) -> Result<StatementResult> {
        use ast::UserDefinedTypeRangeOption as O;
        let qn = object_name(name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.new_type_schema(&catalog, &qn)?;
        let search_path = self.settings.search_path();
        let scope =
            crate::catalog::typename::TypeScope { catalog: &catalog, search_path: &search_path };
        let mut subtype = None;
        let mut multirange_name = None;
        let mut diff = None;
        for o in options {
            match o {
                O::Subtype(t) => {
                    subtype =
                        Some(crate::catalog::typename::resolve_user_column_type(t, Some(scope))?)
                }
                O::MultirangeTypeName(n) => multirange_name = Some(object_name(n)?.name),
                O::SubtypeDiff(f) => diff = Some(object_name(f)?.name),
                O::Collation(_) => {}
                O::Canonical(_) => {
                    return Err(Error::unsupported("CREATE TYPE ... AS RANGE with CANONICAL"))
                }
                O::SubtypeOpClass(_) => {
                    return Err(Error::unsupported("CREATE TYPE ... AS RANGE with SUBTYPE_OPCLASS"))
                }
            }
        }
        let Some(sub) = subtype else {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "type attribute \"subtype\" is required",
            ));
        };
        if sub.column.serial {
            return Err(no_such_type(&qn.name));
        }
        let subtype = sub.column.data_type;
        if matches!(subtype, helios_types::DataType::Json | helios_types::DataType::Vector(_)) {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!(
                    "data type {subtype} has no default operator class for access method \"btree\""
                ),
            ));
        }
        if let Some(f) = &diff {
            // The difference function must exist for (subtype, subtype); it is only used
            // by GiST index costs, which this engine has no use for. PostgreSQL's error
            // here has no hint.
            crate::functions::registry::resolve_scalar(f, &[subtype.clone(), subtype.clone()])
                .map_err(|e| Error::new(e.sqlstate(), e.message().to_string()))?;
        }
        let named = multirange_name.is_some();
        let multirange_name = multirange_name.unwrap_or_else(|| match qn.name.find("range") {
            Some(at) => format!("{}multirange{}", &qn.name[..at], &qn.name[at + 5..]),
            None => format!("{}_multirange", qn.name),
        });
        // The multirange name is read as a type name (`int` is `int4`), as PostgreSQL's
        // grammar does; a built-in type of that name is taken too.
        let builtin = crate::parser::parse_data_type(&multirange_name)
            .ok()
            .filter(|t| crate::catalog::typename::resolve_type(t).is_ok());
        if let Some(t) = builtin {
            return Err(type_exists(&crate::binder::type_colname(&t)));
        }
        if catalog.type_name_taken(&schema, &multirange_name)
            || catalog.relation(&schema, &multirange_name).is_some()
        {
            let err = type_exists(&multirange_name);
            return Err(if named {
                err
            } else {
                err.with_detail(format!(
                    "Failed while creating a multirange type for type \"{}\".",
                    qn.name
                ))
                .with_hint(
                    "You can manually specify a multirange type name using the \"multirange_type_name\" attribute.",
                )
            });
        }
        let owner = self.auth(&catalog).id;
        self.put_new_type(TypeDef {
            id: 0,
            schema,
            name: qn.name,
            kind: TypeKind::Range(crate::catalog::RangeDef {
                subtype,
                multirange_name,
                domain: sub.domain.map(|d| d.id),
            }),
            access: ObjectAccess::owned_by(owner),
        })?;
        Ok(StatementResult::command("CREATE TYPE"))
    }

    /// `CREATE TYPE name AS (attr type, ...)`: a composite type.
    fn create_composite_type(
        &mut self,
        name: &ast::ObjectName,
        attributes: &[ast::UserDefinedTypeCompositeAttributeDef],
    ) -> Result<StatementResult> {
        let qn = object_name(name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.new_type_schema(&catalog, &qn)?;
        let search_path = self.settings.search_path();
        let scope =
            crate::catalog::typename::TypeScope { catalog: &catalog, search_path: &search_path };
        let mut attrs: Vec<AttributeDef> = Vec::with_capacity(attributes.len());
        for a in attributes {
            let name = ident_name(&a.name);
            if attrs.iter().any(|x| x.name == name) {
                return Err(Error::new(
                    SqlState::DUPLICATE_COLUMN,
                    format!("column \"{name}\" specified more than once"),
                ));
            }
            let ty = crate::catalog::typename::resolve_user_column_type(&a.data_type, Some(scope))?;
            if ty.column.serial {
                return Err(no_such_type(&a.data_type.to_string()));
            }
            attrs.push(AttributeDef { name, data_type: ty.column.data_type });
        }
        let owner = self.auth(&catalog).id;
        self.put_new_type(TypeDef {
            id: 0,
            schema,
            name: qn.name,
            kind: TypeKind::Composite(attrs),
            access: ObjectAccess::owned_by(owner),
        })?;
        Ok(StatementResult::command("CREATE TYPE"))
    }

    /// `CREATE DOMAIN name [AS] type [DEFAULT e] [[CONSTRAINT c] NOT NULL | NULL |
    /// CHECK (e)] ...`.
    pub(super) fn create_domain(&mut self, d: &CreateDomain) -> Result<StatementResult> {
        let qn = d.name.clone();
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.new_type_schema(&catalog, &qn)?;
        let search_path = self.settings.search_path();
        let scope =
            crate::catalog::typename::TypeScope { catalog: &catalog, search_path: &search_path };
        let base = crate::catalog::typename::resolve_user_column_type(&d.data_type, Some(scope))?;
        if base.column.serial {
            return Err(no_such_type(&d.data_type.to_string()));
        }
        let mut def = DomainDef {
            base: base.column.data_type,
            parent: base.domain.as_ref().map(|d| d.id),
            default: d.default.clone(),
            not_null: d.not_null.is_some(),
            not_null_name: d.not_null.clone().flatten(),
            checks: Vec::new(),
        };
        for (cname, expr) in &d.checks {
            let name = match cname {
                Some(n) => n.clone(),
                None => next_check_name(&qn.name, &def.checks),
            };
            def.checks.push(CheckDef { name, expr: expr.clone(), not_valid: false });
        }
        let owner = self.auth(&catalog).id;
        let new = TypeDef {
            id: 0,
            schema,
            name: qn.name,
            kind: TypeKind::Domain(def),
            access: ObjectAccess::owned_by(owner),
        };
        // The constraints must bind (VALUE, known functions, boolean result).
        crate::expr::domain::bind_domain(&new, &catalog, &self.info())?;
        self.put_new_type(new)?;
        Ok(StatementResult::command("CREATE DOMAIN"))
    }

    /// `DROP TYPE` / `DROP DOMAIN [IF EXISTS] name, ... [CASCADE | RESTRICT]`.
    pub(super) fn drop_types(
        &mut self,
        names: &[ast::ObjectName],
        if_exists: bool,
        cascade: bool,
        domain: bool,
    ) -> Result<StatementResult> {
        let tag = if domain { "DROP DOMAIN" } else { "DROP TYPE" };
        let search_path = self.settings.search_path();
        for name in names {
            let qn = object_name(name)?;
            let (catalog, _) = self.ddl_parts()?;
            let Some(def) = catalog.resolve_type(qn.schema.as_deref(), &qn.name, &search_path)
            else {
                if if_exists {
                    continue;
                }
                return Err(no_such_type(&qn.name));
            };
            if domain && def.domain().is_none() {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a domain", def.name),
                ));
            }
            let def = def.clone();
            self.require_owner(&catalog, def.access.owner, "type", &def.name)?;
            self.drop_type(&catalog, &def, cascade)?;
        }
        Ok(StatementResult::command(tag))
    }

    fn drop_type(&mut self, catalog: &Catalog, def: &TypeDef, cascade: bool) -> Result<()> {
        let deps = dependents(catalog, def);
        if cascade {
            // PostgreSQL's NOTICE naming what CASCADE drops besides the type.
            let mut what: Vec<String> = deps
                .domains
                .iter()
                .filter_map(|id| catalog.types.get(id))
                .map(|d| format!("type {}", d.name))
                .collect();
            what.extend(deps.columns.iter().map(|(_, t, c)| format!("column {c} of table {t}")));
            let (message, detail) = match what.as_slice() {
                [] => (None, None),
                [one] => (Some(format!("drop cascades to {one}")), None),
                many => (
                    Some(format!("drop cascades to {} other objects", many.len())),
                    Some(
                        many.iter()
                            .map(|w| format!("drop cascades to {w}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                ),
            };
            if let Some(message) = message {
                self.notices.lock().push(crate::routine::Notice {
                    level: crate::routine::NoticeLevel::Notice,
                    code: "00000".into(),
                    message,
                    detail,
                    hint: None,
                });
            }
        }
        self.drop_type_quietly(catalog, def, cascade, &deps)
    }

    fn drop_type_quietly(
        &mut self,
        catalog: &Catalog,
        def: &TypeDef,
        cascade: bool,
        deps: &Dependents,
    ) -> Result<()> {
        if !cascade {
            let first = deps
                .columns
                .first()
                .map(|(_, t, c)| format!("column {c} of table {t} depends on type {}", def.name))
                .or_else(|| {
                    deps.domains
                        .first()
                        .and_then(|id| catalog.types.get(id))
                        .map(|d| format!("type {} depends on type {}", d.name, def.name))
                });
            if let Some(detail) = first {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!("cannot drop type {} because other objects depend on it", def.name),
                )
                .with_detail(detail)
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
        }
        for id in &deps.domains {
            let (now, _) = self.ddl_parts()?;
            if let Some(d) = now.types.get(id).cloned() {
                let nested = dependents(&now, &d);
                self.drop_type_quietly(&now, &d, true, &nested)?;
            }
        }
        for (schema, table, column) in &deps.columns {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let sql = format!("ALTER TABLE {}.{} DROP COLUMN {}", q(schema), q(table), q(column));
            match crate::parser::parse(&sql)?.pop() {
                Some(crate::parser::Statement::Sql(s)) => match s.as_ref() {
                    ast::Statement::AlterTable(at) => {
                        self.alter_table(at)?;
                    }
                    _ => return Err(Error::internal("drop column is not ALTER TABLE")),
                },
                _ => return Err(Error::internal("drop column did not parse")),
            }
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::delete(txn, CatalogKind::Type, def.id)?;
        self.bump_version()
    }

    /// The type an `ALTER TYPE | DOMAIN` names.
    fn altered_type(&mut self, qn: &QualifiedName) -> Result<(std::sync::Arc<Catalog>, TypeDef)> {
        let (catalog, _) = self.ddl_parts()?;
        let search_path = self.settings.search_path();
        let def = catalog
            .resolve_type(qn.schema.as_deref(), &qn.name, &search_path)
            .map(|d| d.as_ref().clone())
            .ok_or_else(|| no_such_type(&qn.name))?;
        self.require_owner(&catalog, def.access.owner, "type", &def.name)?;
        Ok((catalog, def))
    }

    fn put_altered(&mut self, def: &TypeDef) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_type(txn, def)?;
        self.bump_version()
    }

    /// `ALTER TYPE name ADD VALUE | RENAME VALUE | RENAME TO`.
    pub(super) fn alter_type(&mut self, a: &ast::AlterType) -> Result<StatementResult> {
        let qn = object_name(&a.name)?;
        let (catalog, mut def) = self.altered_type(&qn)?;
        match &a.operation {
            ast::AlterTypeOperation::Rename(r) => {
                let new_name = ident_name(&r.new_name);
                let taken = catalog.user_type(&def.schema, &new_name).is_some()
                    || catalog.relation(&def.schema, &new_name).is_some();
                if taken {
                    return Err(type_exists(&new_name));
                }
                def.name = new_name;
            }
            ast::AlterTypeOperation::AddValue(add) => {
                let TypeKind::Enum(labels) = &mut def.kind else {
                    return Err(not_an_enum(&def.name));
                };
                let label = add.value.value.clone();
                check_label(&label)?;
                if labels.iter().any(|l| l.label == label) {
                    if add.if_not_exists {
                        return Ok(StatementResult::command("ALTER TYPE"));
                    }
                    return Err(label_exists(&label));
                }
                let find = |n: &ast::Ident| {
                    labels
                        .iter()
                        .position(|l| l.label == n.value)
                        .ok_or_else(|| not_a_label(&n.value))
                };
                let (at, key) = match &add.position {
                    None => match labels.last() {
                        Some(last) => (labels.len(), key_after(&last.key)),
                        None => (0, vec![1]),
                    },
                    Some(ast::AlterTypeAddValuePosition::Before(n)) => {
                        let i = find(n)?;
                        let low = i.checked_sub(1).map(|p| labels[p].key.as_slice());
                        (i, key_between(low, Some(&labels[i].key)))
                    }
                    Some(ast::AlterTypeAddValuePosition::After(n)) => {
                        let i = find(n)?;
                        match labels.get(i + 1) {
                            Some(next) => {
                                (i + 1, key_between(Some(&labels[i].key), Some(&next.key)))
                            }
                            None => (i + 1, key_after(&labels[i].key)),
                        }
                    }
                };
                labels.insert(at, EnumLabelDef { label, key });
            }
            ast::AlterTypeOperation::RenameValue(r) => {
                let TypeKind::Enum(labels) = &mut def.kind else {
                    return Err(not_an_enum(&def.name));
                };
                let at = labels
                    .iter()
                    .position(|l| l.label == r.from.value)
                    .ok_or_else(|| not_a_label(&r.from.value))?;
                if labels.iter().any(|l| l.label == r.to.value) {
                    return Err(label_exists(&r.to.value));
                }
                check_label(&r.to.value)?;
                labels[at].label = r.to.value.clone();
            }
        }
        self.put_altered(&def)?;
        Ok(StatementResult::command("ALTER TYPE"))
    }

    /// `ALTER DOMAIN ...` and `ALTER TYPE ... OWNER TO`.
    /// `ALTER TYPE ... ADD | DROP | RENAME | ALTER ATTRIBUTE` of a composite type.
    /// Stored values keep their fields by position: an added attribute reads as NULL
    /// from them, and dropping or retyping one is refused (0A000) while a column holds
    /// the type.
    fn alter_attribute(
        &mut self,
        catalog: &Catalog,
        mut def: TypeDef,
        change: &DomainChange,
    ) -> Result<()> {
        let type_name = def.name.clone();
        let used = catalog
            .tables
            .values()
            .any(|t| t.columns.iter().any(|c| uses_record(&c.data_type, def.id)));
        let search_path = self.settings.search_path();
        let TypeKind::Composite(attrs) = &mut def.kind else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{type_name}\" is not a composite type"),
            ));
        };
        let missing = |a: &str| {
            Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{a}\" of relation \"{type_name}\" does not exist"),
            )
        };
        let exists = |a: &str| {
            Error::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{a}\" of relation \"{type_name}\" already exists"),
            )
        };
        let resolve = |t: &ast::DataType| -> Result<helios_types::DataType> {
            let scope = crate::catalog::typename::TypeScope { catalog, search_path: &search_path };
            let ty = crate::catalog::typename::resolve_user_column_type(t, Some(scope))?;
            if ty.column.serial {
                return Err(no_such_type(&t.to_string()));
            }
            if uses_record(&ty.column.data_type, def.id) {
                return Err(Error::new(
                    SqlState::INVALID_TABLE_DEFINITION,
                    format!("composite type {type_name} cannot be made a member of itself"),
                ));
            }
            Ok(ty.column.data_type)
        };
        let in_use = |what: &str| {
            Error::unsupported(format!(
                "{what} of composite type \"{type_name}\" while a table column uses it"
            ))
        };
        match change {
            DomainChange::AddAttribute(a, t) => {
                if attrs.iter().any(|x| &x.name == a) {
                    return Err(exists(a));
                }
                let data_type = resolve(t)?;
                attrs.push(AttributeDef { name: a.clone(), data_type });
            }
            DomainChange::DropAttribute { name: a, if_exists } => {
                let Some(i) = attrs.iter().position(|x| &x.name == a) else {
                    if *if_exists {
                        return Ok(());
                    }
                    return Err(missing(a));
                };
                if used {
                    return Err(in_use("DROP ATTRIBUTE"));
                }
                attrs.remove(i);
            }
            DomainChange::RenameAttribute(a, b) => {
                if attrs.iter().any(|x| &x.name == b) {
                    return Err(exists(b));
                }
                let x = attrs.iter_mut().find(|x| &x.name == a).ok_or_else(|| {
                    Error::new(SqlState::UNDEFINED_COLUMN, format!("column \"{a}\" does not exist"))
                })?;
                x.name = b.clone();
            }
            DomainChange::AttributeType(a, t) => {
                let data_type = resolve(t)?;
                if used {
                    return Err(in_use("ALTER ATTRIBUTE ... TYPE"));
                }
                let x = attrs.iter_mut().find(|x| &x.name == a).ok_or_else(|| missing(a))?;
                x.data_type = data_type;
            }
            _ => return Err(Error::internal("not an attribute change")),
        }
        self.put_altered(&def)
    }

    pub(super) fn alter_domain(&mut self, a: &AlterDomain) -> Result<StatementResult> {
        let tag = if a.domain { "ALTER DOMAIN" } else { "ALTER TYPE" };
        let (catalog, mut def) = self.altered_type(&a.name)?;
        if let DomainChange::OwnerTo(owner) = &a.change {
            self.alter_owner(&catalog, Owned::Type(def), owner)?;
            self.bump_version()?;
            return Ok(StatementResult::command(tag));
        }
        if let DomainChange::RenameTo(new_name) = &a.change {
            let taken = catalog.user_type(&def.schema, new_name).is_some()
                || catalog.relation(&def.schema, new_name).is_some();
            if taken {
                return Err(type_exists(new_name));
            }
            def.name = new_name.clone();
            self.put_altered(&def)?;
            return Ok(StatementResult::command(tag));
        }
        if matches!(
            a.change,
            DomainChange::AddAttribute(..)
                | DomainChange::DropAttribute { .. }
                | DomainChange::RenameAttribute(..)
                | DomainChange::AttributeType(..)
        ) {
            self.require_owner(&catalog, def.access.owner, "type", &def.name)?;
            self.alter_attribute(&catalog, def, &a.change)?;
            return Ok(StatementResult::command(tag));
        }
        let name = def.name.clone();
        let TypeKind::Domain(d) = &mut def.kind else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not a domain"),
            ));
        };
        let mut validate = false;
        match &a.change {
            DomainChange::Default(e) => d.default = e.clone(),
            DomainChange::NotNull(on) => {
                validate = *on && !d.not_null;
                d.not_null = *on;
            }
            DomainChange::AddCheck { name: cname, expr, not_valid } => {
                let cname = match cname {
                    Some(n) => n.clone(),
                    None => next_check_name(&name, &d.checks),
                };
                if d.checks.iter().any(|c| c.name == cname) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!("constraint \"{cname}\" for domain \"{name}\" already exists"),
                    ));
                }
                d.checks.push(CheckDef { name: cname, expr: expr.clone(), not_valid: false });
                validate = !not_valid;
            }
            DomainChange::DropConstraint { name: cname, if_exists } => {
                let before = d.checks.len();
                d.checks.retain(|c| &c.name != cname);
                let was_not_null = d.not_null_name.as_deref() == Some(cname.as_str());
                if was_not_null {
                    d.not_null = false;
                    d.not_null_name = None;
                }
                if d.checks.len() == before && !was_not_null {
                    if *if_exists {
                        return Ok(StatementResult::command(tag));
                    }
                    return Err(Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("constraint \"{cname}\" of domain \"{name}\" does not exist"),
                    ));
                }
            }
            DomainChange::RenameConstraint(from, to) => {
                if d.checks.iter().any(|c| &c.name == to) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!("constraint \"{to}\" for domain \"{name}\" already exists"),
                    ));
                }
                let c = d.checks.iter_mut().find(|c| &c.name == from).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("constraint \"{from}\" of domain \"{name}\" does not exist"),
                    )
                })?;
                c.name = to.clone();
            }
            DomainChange::Validate(cname) => {
                if !d.checks.iter().any(|c| &c.name == cname) {
                    return Err(Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("constraint \"{cname}\" of domain \"{name}\" does not exist"),
                    ));
                }
                // A constraint added NOT VALID is checked against the stored values now.
                validate = true;
            }
            DomainChange::OwnerTo(_)
            | DomainChange::RenameTo(_)
            | DomainChange::AddAttribute(..)
            | DomainChange::DropAttribute { .. }
            | DomainChange::RenameAttribute(..)
            | DomainChange::AttributeType(..) => {}
        }
        let bound = crate::expr::domain::bind_domain(&def, &catalog, &self.info())?;
        if validate {
            self.check_domain_columns(&catalog, def.id, &bound)?;
        }
        self.put_altered(&def)?;
        Ok(StatementResult::command(tag))
    }

    /// Checks the stored values of every column of domain `id` against `domain`:
    /// 23514 / 23502 naming the first column holding a value that fails.
    fn check_domain_columns(
        &mut self,
        catalog: &Catalog,
        id: u32,
        domain: &std::sync::Arc<crate::expr::DomainConstraints>,
    ) -> Result<()> {
        let mut tables: Vec<_> = catalog.tables.values().cloned().collect();
        tables.sort_by_key(|t| t.id);
        let info = self.info();
        for t in tables {
            let cols: Vec<usize> = (0..t.columns.len())
                .filter(|&i| t.columns[i].domain.is_some_and(|d| descends_from(catalog, d, id)))
                .collect();
            if cols.is_empty() {
                continue;
            }
            let rows = self.read_all(&t)?;
            let ctx =
                crate::expr::context::SimpleContext { session: info.clone(), ..Default::default() };
            for &i in &cols {
                for (_, r) in &rows {
                    if let Err(e) = domain.check(&r[i], &ctx) {
                        let state = e.sqlstate();
                        let what = if state == SqlState::NOT_NULL_VIOLATION {
                            "null values"
                        } else {
                            "values that violate the new constraint"
                        };
                        return Err(Error::new(
                            state,
                            format!(
                                "column \"{}\" of table \"{}\" contains {what}",
                                t.columns[i].name, t.name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn not_an_enum(name: &str) -> Error {
    Error::new(SqlState::WRONG_OBJECT_TYPE, format!("\"{name}\" is not an enum"))
}

/// PostgreSQL's generated CHECK name for a domain: `<domain>_check`, then
/// `<domain>_check1`, ... while taken.
fn next_check_name(domain: &str, taken: &[CheckDef]) -> String {
    let base = format!("{domain}_check");
    if !taken.iter().any(|c| c.name == base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken.iter().any(|c| &c.name == n))
        .unwrap_or(base)
}

/// Whether domain `d` is `ancestor` or declared (through parents) over it.
fn descends_from(catalog: &Catalog, d: u32, ancestor: u32) -> bool {
    let mut at = Some(d);
    for _ in 0..=catalog.types.len() {
        match at {
            Some(x) if x == ancestor => return true,
            Some(x) => at = catalog.types.get(&x).and_then(|t| t.domain()).and_then(|d| d.parent),
            None => return false,
        }
    }
    false
}
