//! The catalog: schemas, tables, columns, indexes, constraints, sequences, views and
//! roles.
//!
//! Records are ordinary versioned rows in the storage keyspace (layout in
//! [`crate::encoding::keys`]), written inside the user's transaction, so DDL commits and
//! rolls back with it, and branches and time travel read the schema as it was. Every DDL
//! writes a fresh *version token*; a [`Catalog`] read at a snapshot is cached by that token
//! ([`CatalogCache`]), so a statement usually only reads the token.

pub mod access;
mod cache;
mod defs;
pub mod index_exprs;
pub mod partition;
pub mod routine_defs;
pub mod script;
mod store;
mod time_travel;
pub mod typename;
pub mod user_types;
pub mod vector_index;

pub use access::{DatabaseDef, ObjectAccess, PolicyDef, Privileges, RoleDef, RowSecurity};
pub use cache::CatalogCache;
pub use defs::{
    CheckDef, ColumnDef, ExtensionDef, FkAction, ForeignKeyDef, Identity, IndexDef, MatViewDef,
    OnCommit, SchemaDef, SequenceDef, TableDef, ViewDef,
};
pub use partition::{BoundDatum, PartitionBound, PartitionDef, PartitionKey, PartitionStrategy};
pub use routine_defs::{FunctionDef, Returns, TriggerDef};
pub use store::{CatalogStore, TableMemo};
pub use time_travel::TimeTravel;
pub use user_types::{AttributeDef, DomainDef, EnumLabelDef, RangeDef, TypeDef, TypeKind};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The schema user objects go to when none is named.
pub const DEFAULT_SCHEMA: &str = "public";

/// What a name in a schema stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A table.
    Table(u32),
    /// A view.
    View(u32),
    /// A sequence.
    Sequence(u32),
    /// An index: (table id, index id).
    Index(u32, u32),
}

impl Relation {
    /// PostgreSQL's word for the kind, used in messages (`"t" is not a table`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Relation::Table(_) => "table",
            Relation::View(_) => "view",
            Relation::Sequence(_) => "sequence",
            Relation::Index(..) => "index",
        }
    }
}

/// The catalog as of one snapshot. Immutable; shared between statements through the
/// cache.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The version token this catalog was read at.
    pub version: u64,
    /// Schemas by name.
    pub schemas: BTreeMap<String, SchemaDef>,
    /// Tables by id.
    pub tables: HashMap<u32, Arc<TableDef>>,
    /// Sequences by id.
    pub sequences: HashMap<u32, Arc<SequenceDef>>,
    /// Views by id.
    pub views: HashMap<u32, Arc<ViewDef>>,
    /// Installed extensions by name.
    pub extensions: BTreeMap<String, ExtensionDef>,
    /// Roles by id (the bootstrap superuser has no record: see [`access`]).
    pub roles: BTreeMap<u32, RoleDef>,
    /// The database's owner and grants.
    pub database: DatabaseDef,
    /// User-defined types (enums and domains) by id.
    pub types: BTreeMap<u32, Arc<TypeDef>>,
    /// The enum types by id, as values carry them.
    pub enums: HashMap<u32, Arc<helios_types::EnumType>>,
    /// The user-defined range types by id, as values carry them.
    pub ranges: HashMap<u32, Arc<helios_types::RangeType>>,
    /// The composite types (and the table row types that other types use) by OID, as
    /// values carry them.
    pub records: HashMap<u32, Arc<helios_types::RecordType>>,
    /// User-defined functions and procedures by id.
    pub functions: HashMap<u32, Arc<FunctionDef>>,
    /// Triggers by id.
    pub triggers: HashMap<u32, Arc<TriggerDef>>,
    /// Partitioning records by table id (partitioned tables and partitions).
    pub partitions: HashMap<u32, Arc<PartitionDef>>,
    /// The partitions of each partitioned table, by parent id (in id order).
    pub partition_children: HashMap<u32, Vec<u32>>,
    names: HashMap<(String, String), Relation>,
    type_names: HashMap<(String, String), u32>,
}

impl Catalog {
    /// Builds the name index from the records.
    pub fn new(
        version: u64,
        schemas: Vec<SchemaDef>,
        tables: Vec<Arc<TableDef>>,
        sequences: Vec<SequenceDef>,
        views: Vec<ViewDef>,
    ) -> Catalog {
        let mut names = HashMap::new();
        for t in &tables {
            names.insert((t.schema.clone(), t.name.clone()), Relation::Table(t.id));
            for i in &t.indexes {
                names.insert((t.schema.clone(), i.name.clone()), Relation::Index(t.id, i.id));
            }
        }
        for s in &sequences {
            names.insert((s.schema.clone(), s.name.clone()), Relation::Sequence(s.id));
        }
        for v in &views {
            names.insert((v.schema.clone(), v.name.clone()), Relation::View(v.id));
        }
        Catalog {
            version,
            schemas: schemas.into_iter().map(|s| (s.name.clone(), s)).collect(),
            tables: tables.into_iter().map(|t| (t.id, t)).collect(),
            sequences: sequences.into_iter().map(|s| (s.id, Arc::new(s))).collect(),
            views: views.into_iter().map(|v| (v.id, Arc::new(v))).collect(),
            extensions: BTreeMap::new(),
            roles: BTreeMap::new(),
            database: DatabaseDef::default(),
            types: BTreeMap::new(),
            enums: HashMap::new(),
            ranges: HashMap::new(),
            records: HashMap::new(),
            functions: HashMap::new(),
            triggers: HashMap::new(),
            partitions: HashMap::new(),
            partition_children: HashMap::new(),
            names,
            type_names: HashMap::new(),
        }
    }

    /// Installs the user-defined types and completes the enum placeholders of column
    /// and view types and domain bases with their definitions.
    pub fn set_types(&mut self, types: Vec<TypeDef>) {
        self.enums =
            types.iter().filter_map(|t| t.enum_type().map(|e| (t.id, Arc::new(e)))).collect();
        self.type_names =
            types.iter().map(|t| ((t.schema.clone(), t.name.clone()), t.id)).collect();
        self.ranges = HashMap::new();
        for t in &types {
            if let Some(mut r) = t.range_type() {
                // A range over an enum or another user-defined range: complete it too.
                user_types::patch_type(&mut r.subtype, &self.enums);
                self.type_names.insert((t.schema.clone(), r.multirange_name.clone()), t.id + 2);
                self.ranges.insert(t.id, Arc::new(r));
            }
        }
        // Row types of tables that columns, views or domains hold.
        let mut needed = Vec::new();
        for t in self.tables.values() {
            t.columns.iter().for_each(|c| user_types::placeholder_oids(&c.data_type, &mut needed));
        }
        for v in self.views.values() {
            v.column_types.iter().for_each(|c| user_types::placeholder_oids(c, &mut needed));
        }
        for t in &types {
            if let TypeKind::Domain(d) = &t.kind {
                user_types::placeholder_oids(&d.base, &mut needed);
            }
        }
        self.records = user_types::build_records(&types, &self.tables, &self.enums, &needed);
        let enums = &self.enums;
        let ranges = &self.ranges;
        let records = &self.records;
        if enums.is_empty() && ranges.is_empty() && records.is_empty() {
            self.types = types.into_iter().map(|t| (t.id, Arc::new(t))).collect();
            return;
        }
        let patch = |ty: &mut helios_types::DataType| {
            user_types::patch_type(ty, enums);
            user_types::patch_range_type(ty, ranges);
            user_types::patch_record_type(ty, records);
        };
        self.types = types
            .into_iter()
            .map(|mut t| {
                match &mut t.kind {
                    TypeKind::Domain(d) => patch(&mut d.base),
                    TypeKind::Composite(attrs) => {
                        attrs.iter_mut().for_each(|a| patch(&mut a.data_type))
                    }
                    TypeKind::Enum(_) | TypeKind::Range(_) => {}
                }
                (t.id, Arc::new(t))
            })
            .collect();
        for t in self.tables.values_mut() {
            if t.columns.iter().any(|c| user_types::needs_patch(&c.data_type)) {
                let t = Arc::make_mut(t);
                t.columns.iter_mut().for_each(|c| patch(&mut c.data_type));
            }
        }
        for v in self.views.values_mut() {
            if v.column_types.iter().any(user_types::needs_patch) {
                let v = Arc::make_mut(v);
                v.column_types.iter_mut().for_each(&patch);
            }
        }
    }

    /// Completes the composite placeholders of the routines' signatures (called once the
    /// routines are loaded, after [`Catalog::set_types`]).
    pub fn patch_function_types(&mut self) {
        let mut records = self.records.clone();
        // Row types of tables that signatures name.
        let mut needed = Vec::new();
        for f in self.functions.values() {
            for p in f.params.iter().chain(&f.outs) {
                user_types::placeholder_oids(&p.data_type, &mut needed);
            }
            if let Some(agg) = &f.aggregate {
                user_types::placeholder_oids(&agg.stype, &mut needed);
            }
            match &f.returns {
                Returns::Scalar(t) | Returns::SetOf(t) => {
                    user_types::placeholder_oids(t, &mut needed)
                }
                Returns::Table(cols) => cols
                    .iter()
                    .for_each(|c| user_types::placeholder_oids(&c.data_type, &mut needed)),
                Returns::Void | Returns::Trigger => {}
            }
        }
        if needed.is_empty() {
            return;
        }
        for id in needed {
            if let std::collections::hash_map::Entry::Vacant(slot) = records.entry(id) {
                if let Some(t) = self.table_row_type(id) {
                    slot.insert(t);
                }
            }
        }
        for f in self.functions.values_mut() {
            let mut ids = Vec::new();
            for p in f.params.iter().chain(&f.outs) {
                user_types::placeholder_oids(&p.data_type, &mut ids);
            }
            if let Returns::Scalar(t) | Returns::SetOf(t) = &f.returns {
                user_types::placeholder_oids(t, &mut ids);
            }
            if let Returns::Table(cols) = &f.returns {
                cols.iter().for_each(|c| user_types::placeholder_oids(&c.data_type, &mut ids));
            }
            if let Some(agg) = &f.aggregate {
                user_types::placeholder_oids(&agg.stype, &mut ids);
            }
            if ids.is_empty() {
                continue;
            }
            let f = Arc::make_mut(f);
            if let Some(agg) = &mut f.aggregate {
                user_types::patch_record_type(&mut agg.stype, &records);
            }
            for p in f.params.iter_mut().chain(f.outs.iter_mut()) {
                user_types::patch_record_type(&mut p.data_type, &records);
            }
            match &mut f.returns {
                Returns::Scalar(t) | Returns::SetOf(t) => {
                    user_types::patch_record_type(t, &records)
                }
                Returns::Table(cols) => cols
                    .iter_mut()
                    .for_each(|c| user_types::patch_record_type(&mut c.data_type, &records)),
                Returns::Void | Returns::Trigger => {}
            }
        }
    }

    /// The row type of table `id` (built on each call: few statements name one).
    pub fn table_row_type(&self, id: u32) -> Option<Arc<helios_types::RecordType>> {
        if let Some(t) = self.records.get(&id) {
            return Some(t.clone());
        }
        Some(Arc::new(user_types::table_record(self.tables.get(&id)?)))
    }

    /// The user-defined type `schema.name` (not a multirange type: see
    /// [`Catalog::resolve_multirange`]).
    pub fn user_type(&self, schema: &str, name: &str) -> Option<&Arc<TypeDef>> {
        let id = self.type_names.get(&(schema.to_string(), name.to_string()))?;
        self.types.get(id)
    }

    /// Whether a user-defined type (a multirange type included) is named `schema.name`.
    pub fn type_name_taken(&self, schema: &str, name: &str) -> bool {
        self.type_names.contains_key(&(schema.to_string(), name.to_string()))
    }

    /// The range type whose multirange type is named `name` (possibly qualified),
    /// through the search path.
    pub fn resolve_multirange(
        &self,
        schema: Option<&str>,
        name: &str,
        search_path: &[String],
    ) -> Option<Arc<helios_types::RangeType>> {
        let find = |s: &str| {
            let id = self.type_names.get(&(s.to_string(), name.to_string()))?;
            let range_id = id.checked_sub(2)?;
            self.ranges.get(&range_id).filter(|r| r.multirange_name == name).cloned()
        };
        match schema {
            Some(s) => find(s),
            None => search_path.iter().find_map(|s| find(s)),
        }
    }

    /// Resolves a possibly qualified type name through the search path.
    pub fn resolve_type(
        &self,
        schema: Option<&str>,
        name: &str,
        search_path: &[String],
    ) -> Option<&Arc<TypeDef>> {
        match schema {
            Some(s) => self.user_type(s, name),
            None => search_path.iter().find_map(|s| self.user_type(s, name)),
        }
    }

    /// The name `format_type` and `regtype` print for a user-defined type OID (or its
    /// array type's): qualified when its schema is not on the search path.
    pub fn user_type_name(&self, oid: u32, search_path: &[String]) -> Option<String> {
        let (def, array) = match self.types.get(&oid) {
            Some(d) => (d, false),
            None => (self.types.get(&oid.checked_sub(1)?)?, true),
        };
        let quote = crate::functions::format::quote_ident;
        let visible = search_path.iter().any(|s| s == &def.schema)
            && self.resolve_type(None, &def.name, search_path).is_some_and(|d| d.id == def.id);
        let name = if visible {
            quote(&def.name)
        } else {
            format!("{}.{}", quote(&def.schema), quote(&def.name))
        };
        Some(if array { format!("{name}[]") } else { name })
    }

    /// The type a column declared with user type `t` holds.
    pub fn value_type(&self, t: &TypeDef) -> helios_types::DataType {
        t.value_type(&self.enums, &self.ranges, &self.records)
    }

    /// What `schema.name` stands for.
    pub fn relation(&self, schema: &str, name: &str) -> Option<Relation> {
        self.names.get(&(schema.to_string(), name.to_string())).copied()
    }

    /// Resolves a possibly qualified name through the search path; returns the schema
    /// it was found in.
    pub fn resolve(
        &self,
        schema: Option<&str>,
        name: &str,
        search_path: &[String],
    ) -> Option<(String, Relation)> {
        match schema {
            // `pg_temp` is the session's temporary schema, which its search path holds.
            Some("pg_temp") => search_path
                .iter()
                .filter(|s| crate::session::is_temp_schema(s))
                .find_map(|s| self.relation(s, name).map(|r| (s.clone(), r))),
            Some(s) => self.relation(s, name).map(|r| (s.to_string(), r)),
            None => search_path.iter().find_map(|s| self.relation(s, name).map(|r| (s.clone(), r))),
        }
    }

    /// A table by id.
    pub fn table(&self, id: u32) -> Option<&Arc<TableDef>> {
        self.tables.get(&id)
    }

    /// The routines named `name` in `schema` (any schema of the search path when
    /// `None`, nearest first), in id order.
    pub fn functions_named(
        &self,
        schema: Option<&str>,
        name: &str,
        search_path: &[String],
    ) -> Vec<Arc<FunctionDef>> {
        let mut out: Vec<Arc<FunctionDef>> = self
            .functions
            .values()
            .filter(|f| f.name == name)
            .filter(|f| match schema {
                Some(s) => f.schema == s,
                None => search_path.iter().any(|p| *p == f.schema),
            })
            .cloned()
            .collect();
        out.sort_by_key(|f| {
            (search_path.iter().position(|p| *p == f.schema).unwrap_or(usize::MAX), f.id)
        });
        out
    }

    /// Installs the partitioning records.
    pub fn set_partitions(&mut self, parts: Vec<PartitionDef>) {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for p in &parts {
            if let Some(parent) = p.parent {
                children.entry(parent).or_default().push(p.id);
            }
        }
        children.values_mut().for_each(|c| c.sort_unstable());
        self.partition_children = children;
        self.partitions = parts.into_iter().map(|p| (p.id, Arc::new(p))).collect();
    }

    /// The partition key of `table` when it is partitioned.
    pub fn partition_key(&self, table: u32) -> Option<&PartitionKey> {
        self.partitions.get(&table).and_then(|p| p.key.as_ref())
    }

    /// Whether `table` is a partitioned table (holds no rows of its own).
    pub fn is_partitioned(&self, table: u32) -> bool {
        !self.partitions.is_empty() && self.partition_key(table).is_some()
    }

    /// The parent and bound of `table` when it is a partition.
    pub fn partition_parent(&self, table: u32) -> Option<(u32, &PartitionBound)> {
        let p = self.partitions.get(&table)?;
        Some((p.parent?, p.bound.as_ref()?))
    }

    /// The direct partitions of `table`.
    pub fn partitions_of(&self, table: u32) -> &[u32] {
        self.partition_children.get(&table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `table` and every partition below it, parents before their partitions.
    pub fn partition_tree(&self, table: u32) -> Vec<u32> {
        let mut out = vec![table];
        let mut i = 0;
        while i < out.len() {
            out.extend_from_slice(self.partitions_of(out[i]));
            i += 1;
        }
        out
    }

    /// The triggers of `table`, in name order (PostgreSQL fires them that way).
    pub fn triggers_of(&self, table: u32) -> Vec<Arc<TriggerDef>> {
        let mut out: Vec<Arc<TriggerDef>> =
            self.triggers.values().filter(|t| t.table == table).cloned().collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// `table` followed by the partitioned tables it is a partition of, innermost first.
    pub fn with_ancestors(&self, table: u32) -> Vec<u32> {
        let mut out = vec![table];
        let mut at = table;
        while let Some((up, _)) = self.partition_parent(at) {
            if out.contains(&up) {
                break;
            }
            out.push(up);
            at = up;
        }
        out
    }

    /// Tables whose foreign keys reference `table`.
    pub fn referencing(&self, table: u32) -> Vec<Arc<TableDef>> {
        let mut out: Vec<Arc<TableDef>> = self
            .tables
            .values()
            .filter(|t| t.foreign_keys.iter().any(|f| f.ref_table == table))
            .cloned()
            .collect();
        out.sort_by_key(|t| t.id);
        out
    }
}
