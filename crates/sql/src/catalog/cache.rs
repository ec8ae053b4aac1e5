//! The catalog cache: catalogs read at a snapshot, keyed by their version token.
//!
//! Tokens are unique per DDL (a transaction's uncommitted DDL gets its own token), so a
//! cached catalog is exactly the catalog of every snapshot that reads that token,
//! whichever branch or time it is read at.

use std::collections::HashMap;
use std::sync::Arc;

use helios_common::Result;
use helios_storage::Transaction;
use parking_lot::Mutex;

use super::{Catalog, CatalogStore, TableMemo};

/// How many catalog versions the cache keeps.
const CAPACITY: usize = 32;

/// Catalogs by version token.
#[derive(Debug, Default)]
pub struct CatalogCache {
    entries: Mutex<HashMap<u64, (u64, Arc<Catalog>)>>,
    clock: Mutex<u64>,
    /// Decoded table records, reused by the next version's load.
    tables: TableMemo,
}

impl CatalogCache {
    /// The catalog visible to `txn`, from the cache when its version is known.
    pub fn get(&self, txn: &Transaction) -> Result<Arc<Catalog>> {
        let version = CatalogStore::version(txn)?;
        let tick = {
            let mut c = self.clock.lock();
            *c += 1;
            *c
        };
        if let Some(entry) = self.entries.lock().get_mut(&version) {
            entry.0 = tick;
            return Ok(entry.1.clone());
        }
        let catalog = Arc::new(CatalogStore::load_with(txn, &self.tables)?);
        let mut entries = self.entries.lock();
        if entries.len() >= CAPACITY {
            if let Some(oldest) = entries.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| *k) {
                entries.remove(&oldest);
            }
        }
        entries.insert(version, (tick, catalog.clone()));
        Ok(catalog)
    }
}
