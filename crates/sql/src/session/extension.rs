//! `CREATE EXTENSION` / `DROP EXTENSION` for the extensions HeliosDB Nano has built in,
//! so that a schema script written for PostgreSQL (`CREATE EXTENSION IF NOT EXISTS
//! vector;`) runs unchanged. Installing one records it in the catalog (transactional,
//! shown by `pg_extension`); the objects it provides exist whether it is installed or
//! not. Any other extension is refused with 0A000.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::{CatalogStore, ExtensionDef};
use crate::encoding::keys::CatalogKind;
use crate::parser::ident_name;

/// The built-in extensions and the versions `pg_extension` reports: pgvector's `vector`
/// (the `vector` type, its operators and HNSW indexes), `uuid-ossp` (of which only
/// `uuid_generate_v4()` exists) and `pgcrypto` (`digest`, `hmac`, `gen_random_bytes`,
/// `crypt` / `gen_salt` with Blowfish: `functions/pgcrypto.rs`).
const BUILT_IN: [(&str, &str); 3] =
    [("vector", "0.8.0"), ("uuid-ossp", "1.1"), ("pgcrypto", "1.3")];

impl Session {
    pub(super) fn create_extension(
        &mut self,
        ce: &ast::CreateExtension,
    ) -> Result<StatementResult> {
        let name = ident_name(&ce.name);
        let Some(&(_, version)) = BUILT_IN.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("extension \"{name}\" is not available"),
            )
            .with_hint(format!("The extensions built in are: {}.", names.join(", "))));
        };
        let search_path = self.settings.search_path();
        let (catalog, txn) = self.ddl_parts()?;
        if catalog.extensions.contains_key(&name) {
            if ce.if_not_exists {
                return Ok(StatementResult::command("CREATE EXTENSION"));
            }
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("extension \"{name}\" already exists"),
            ));
        }
        let schema = match &ce.schema {
            Some(s) => {
                let s = ident_name(s);
                if !catalog.schemas.contains_key(&s) {
                    return Err(Error::new(
                        SqlState::INVALID_SCHEMA_NAME,
                        format!("schema \"{s}\" does not exist"),
                    ));
                }
                s
            }
            None => search_path
                .iter()
                .find(|s| catalog.schemas.contains_key(*s))
                .cloned()
                .unwrap_or_else(|| "public".into()),
        };
        if let Some(v) = &ce.version {
            let v = ident_name(v);
            if v != version {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("extension \"{name}\" has no installation script nor update path for version \"{v}\""),
                ));
            }
        }
        let id = CatalogStore::next_id(txn)?;
        let def = ExtensionDef { id, name, schema, version: version.to_string() };
        CatalogStore::put_extension(txn, &def)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE EXTENSION"))
    }

    pub(super) fn drop_extension(&mut self, de: &ast::DropExtension) -> Result<StatementResult> {
        let (catalog, txn) = self.ddl_parts()?;
        let mut dropped = Vec::new();
        for n in &de.names {
            let name = ident_name(n);
            match catalog.extensions.get(&name) {
                Some(e) => dropped.push(e.clone()),
                None if de.if_exists => {}
                None => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("extension \"{name}\" does not exist"),
                    ))
                }
            }
        }
        // `vector` columns depend on the extension in PostgreSQL: dropping it would drop
        // them (CASCADE) or fail (RESTRICT). Columns are never dropped here.
        if dropped.iter().any(|e| e.name == "vector") {
            let user = catalog.tables.values().find_map(|t| {
                t.columns
                    .iter()
                    .find(|c| c.data_type.to_string().starts_with("vector"))
                    .map(|c| format!("column {} of table {}", c.name, t.name))
            });
            if let Some(user) = user {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    "cannot drop extension vector because other objects depend on it",
                )
                .with_detail(format!("{user} depends on type vector"))
                .with_hint("Drop the dependent columns first."));
            }
        }
        for e in &dropped {
            CatalogStore::delete(txn, CatalogKind::Extension, e.id)?;
        }
        if !dropped.is_empty() {
            self.bump_version()?;
        }
        Ok(StatementResult::command("DROP EXTENSION"))
    }
}
