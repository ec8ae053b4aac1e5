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
pub mod routine_defs;
pub mod script;
mod store;
mod time_travel;
pub mod typename;
pub mod vector_index;

pub use access::{DatabaseDef, ObjectAccess, PolicyDef, Privileges, RoleDef, RowSecurity};
pub use cache::CatalogCache;
pub use defs::{
    CheckDef, ColumnDef, ExtensionDef, FkAction, ForeignKeyDef, Identity, IndexDef, MatViewDef,
    OnCommit, SchemaDef, SequenceDef, TableDef, ViewDef,
};
pub use routine_defs::{FunctionDef, TriggerDef};
pub use store::CatalogStore;
pub use time_travel::TimeTravel;

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
    /// User-defined functions and procedures by id.
    pub functions: HashMap<u32, Arc<FunctionDef>>,
    /// Triggers by id.
    pub triggers: HashMap<u32, Arc<TriggerDef>>,
    names: HashMap<(String, String), Relation>,
}

impl Catalog {
    /// Builds the name index from the records.
    pub fn new(
        version: u64,
        schemas: Vec<SchemaDef>,
        tables: Vec<TableDef>,
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
            tables: tables.into_iter().map(|t| (t.id, Arc::new(t))).collect(),
            sequences: sequences.into_iter().map(|s| (s.id, Arc::new(s))).collect(),
            views: views.into_iter().map(|v| (v.id, Arc::new(v))).collect(),
            extensions: BTreeMap::new(),
            roles: BTreeMap::new(),
            database: DatabaseDef::default(),
            functions: HashMap::new(),
            triggers: HashMap::new(),
            names,
        }
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

    /// The triggers of `table`, in name order (PostgreSQL fires them that way).
    pub fn triggers_of(&self, table: u32) -> Vec<Arc<TriggerDef>> {
        let mut out: Vec<Arc<TriggerDef>> =
            self.triggers.values().filter(|t| t.table == table).cloned().collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
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
