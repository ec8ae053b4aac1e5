//! The shared state of one open database: storage, catalog cache, id allocators.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use helios_common::{BranchId, Error, Result, SqlState};
use helios_storage::{Storage, TxnOptions};

use crate::catalog::{CatalogCache, CatalogStore, SchemaDef, SequenceDef, DEFAULT_SCHEMA};
use crate::encoding::keys;
use crate::session::Session;

/// One open database, shared by all its sessions.
#[derive(Debug)]
pub struct Engine {
    /// The storage.
    pub storage: Storage,
    /// Catalogs by version token.
    pub catalogs: CatalogCache,
    /// How many sessions use each branch (`DROP BRANCH` refuses branches in use).
    pub branch_users: crate::session::BranchUsers,
    /// How many sessions logged in as each role (`CONNECTION LIMIT`).
    pub role_logins: crate::session::RoleLogins,
    /// In-memory HNSW graphs by (index, branch).
    pub vectors: Arc<crate::exec::vector_index::VectorIndexes>,
    /// The advisory lock table (`pg_advisory_lock`).
    pub advisory: crate::session::advisory::AdvisoryLocks,
    /// LISTEN / NOTIFY.
    pub notify: crate::session::notify::NotifyHub,
    rowid: AtomicI64,
    version: AtomicU64,
    /// The number of the next session temporary schema (`pg_temp_N`).
    temp_ids: AtomicU32,
}

impl Engine {
    /// Wraps a storage and creates the `public` schema when the database is new.
    pub fn new(storage: Storage) -> Result<Arc<Engine>> {
        let engine = Arc::new(Engine {
            storage,
            catalogs: CatalogCache::default(),
            branch_users: Default::default(),
            role_logins: Default::default(),
            vectors: Arc::default(),
            advisory: Default::default(),
            notify: Default::default(),
            rowid: AtomicI64::new(0),
            version: AtomicU64::new(0),
            temp_ids: AtomicU32::new(1),
        });
        let mut txn = engine.storage.begin(TxnOptions::default())?;
        let catalog = CatalogStore::load(&txn)?;
        if !catalog.schemas.contains_key(DEFAULT_SCHEMA) {
            let id = CatalogStore::next_id(&mut txn)?;
            CatalogStore::put_schema(
                &mut txn,
                &SchemaDef {
                    id,
                    name: DEFAULT_SCHEMA.to_string(),
                    access: Default::default(),
                    comment: None,
                },
            )?;
            CatalogStore::set_version(&mut txn, engine.next_catalog_version())?;
            txn.commit()?;
        } else {
            txn.rollback();
        }
        crate::session::drop_stale_temp_schemas(&engine)?;
        Ok(engine)
    }

    /// A number for a new session temporary schema, unique in this process.
    pub fn next_temp_id(&self) -> u32 {
        self.temp_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// An in-memory database.
    pub fn open_memory() -> Result<Arc<Engine>> {
        Engine::new(Storage::open_memory()?)
    }

    /// A new session.
    pub fn session(self: &Arc<Self>) -> Session {
        Session::new(self.clone())
    }

    /// A fresh hidden rowid: unique in this database, increasing, also across restarts
    /// (it follows the hybrid logical clock).
    pub fn next_rowid(&self) -> i64 {
        let now = i64::try_from(self.storage.now().as_micros()).unwrap_or(i64::MAX - 1);
        let mut cur = self.rowid.load(Ordering::Relaxed);
        loop {
            let next = cur.max(now) + 1;
            match self.rowid.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A fresh catalog version token, never handed out before.
    pub fn next_catalog_version(&self) -> u64 {
        let now = self.storage.now().as_micros();
        let mut cur = self.version.load(Ordering::Relaxed);
        loop {
            let next = cur.max(now) + 1;
            match self.version.compare_exchange_weak(
                cur,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The next value of a sequence. As in PostgreSQL, sequence increments are not
    /// transactional: they are committed at once in their own small transaction, so
    /// concurrent inserters do not conflict and a rollback does not return values.
    pub fn nextval(&self, branch: BranchId, seq: &SequenceDef) -> Result<i64> {
        for _ in 0..64 {
            let mut txn = self.storage.begin(TxnOptions { branch, ..TxnOptions::default() })?;
            let key = keys::sequence_value(seq.id);
            let state = txn.get(&key)?;
            let next = match crate::exec::sequence_relation::decode_state(state.as_deref())? {
                None => seq.start,
                Some((last, false)) => last,
                Some((last, true)) => match last.checked_add(seq.increment) {
                    Some(n) if n <= seq.max && n >= seq.min => n,
                    _ if seq.cycle => {
                        if seq.increment > 0 {
                            seq.min
                        } else {
                            seq.max
                        }
                    }
                    _ => {
                        let which = if seq.increment > 0 { "maximum" } else { "minimum" };
                        let limit = if seq.increment > 0 { seq.max } else { seq.min };
                        return Err(Error::new(
                            SqlState::from_code("2200H"),
                            format!(
                                "nextval: reached {which} value of sequence \"{}\" ({limit})",
                                seq.name
                            ),
                        ));
                    }
                },
            };
            // A concurrent nextval holds the key's lock: the put waits for it, then fails
            // with 40001 because the value moved on, and the loop reads it again once the
            // winner is visible (it releases its lock before its sync).
            match txn.put(&key, &next.to_be_bytes()).and_then(|()| txn.commit()) {
                Ok(_) => return Ok(next),
                Err(e) if e.is_retryable() => self.storage.await_applied()?,
                Err(e) => return Err(e),
            }
        }
        Err(Error::new(
            SqlState::SERIALIZATION_FAILURE,
            format!("could not advance sequence \"{}\"", seq.name),
        ))
    }

    /// Sets a sequence's value (`setval`), committed at once like `nextval`. With
    /// `is_called = false` the next `nextval` returns `value` itself.
    pub fn setval(
        &self,
        branch: BranchId,
        seq: &SequenceDef,
        value: i64,
        is_called: bool,
    ) -> Result<i64> {
        if value < seq.min || value > seq.max {
            return Err(Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!(
                    "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                    seq.name, seq.min, seq.max
                ),
            ));
        }
        // `setval(v, false)`: a ninth byte 0 makes the next nextval return `v` itself.
        let mut stored = value.to_be_bytes().to_vec();
        if !is_called {
            stored.push(0);
        }
        for _ in 0..64 {
            let mut txn = self.storage.begin(TxnOptions { branch, ..TxnOptions::default() })?;
            match txn.put(&keys::sequence_value(seq.id), &stored).and_then(|()| txn.commit()) {
                Ok(_) => return Ok(value),
                Err(e) if e.is_retryable() => self.storage.await_applied()?,
                Err(e) => return Err(e),
            }
        }
        Err(Error::new(
            SqlState::SERIALIZATION_FAILURE,
            format!("could not set sequence \"{}\"", seq.name),
        ))
    }
}
