//! HNSW vector indexes inside the SQL engine: persistence through the transaction's
//! keyspace, an in-memory graph cache per (index, branch), maintenance by DML, and the
//! visibility-checked search behind `ORDER BY col <op> const LIMIT k`.
//!
//! # Design
//!
//! ```text
//!   INSERT/UPDATE ─ put_row ─▶ pending log ─(end of statement)─▶ cache.insert ─▶ flush
//!                                                                  │               │
//!   SELECT ... ORDER BY e <-> q LIMIT k ─▶ cache.search(filter) ◀──┘     TxnNodeStore:
//!                                  │                                     records under
//!                  filter(entry): row = get_row(txn, pk)                 the index's key
//!                                 row.e hashes to the entry's vector     prefix, in the
//!                                 and the WHERE clause holds             writing txn
//! ```
//!
//! - **Entries are row versions.** Every vector written by INSERT or UPDATE (in any
//!   transaction, committed or not) becomes one graph entry `(entry id → primary key,
//!   hash of the vector)`. Entries are never removed when a row is deleted or updated,
//!   because older snapshots (and other branches' readers of shared history) may still
//!   see that version. A search hit is accepted only when the query's own transaction
//!   sees a row under that primary key whose vector hashes to the entry's hash, and the
//!   query's other predicates hold; the library's filtered search widens until `k`
//!   entries are accepted (pgvector 0.8's iterative scan). So uncommitted, rolled-back,
//!   deleted and superseded versions are never returned, and a transaction finds its own
//!   inserts. A quantized index re-ranks with the vector of the row just read, so there
//!   the hash is not compared: any entry of a visible row leads to it at its true
//!   distance, and each row is accepted once.
//! - **Persistence.** The graph is written with [`helios_vector::HnswIndex::flush`] through
//!   [`TxnNodeStore`], a [`NodeStore`] over the writing SQL transaction, at the end of
//!   each DML statement and at `CREATE INDEX`. Records live under the index's key prefix
//!   (`02 ‖ table ‖ index`, see `docs/storage-format.md`): `00` metadata, `01 ‖ node id`
//!   node records, `02 ‖ entry id` entry records (vector hash u64 LE, then primary key).
//!   They are ordinary versioned keys, so they are encrypted at rest, branch-aware
//!   and crash-safe with the rows they describe.
//! - **The cache.** One graph per (index instance, branch) is kept in memory. It is
//!   loaded on first use from the records visible to the loading transaction, then
//!   reconciled with the table: rows whose (key, vector) has no entry are inserted, so
//!   records lost to a rolled-back flush or damaged records never lose rows (damaged or
//!   missing records rebuild the graph from the table). A snapshot older than the load
//!   (time travel before the cache existed) cannot trust the cache: the scan falls back
//!   to the exact path.
//!
//! # Limits
//!
//! - Entries of deleted or superseded versions stay in the graph until the index is
//!   rebuilt (reopening the database after records were dropped, or recreating the
//!   index); they cost search time, never correctness.
//! - A flush writes every node changed since the last flush, including nodes changed
//!   by another open transaction, so two transactions inserting into the same index at
//!   the same time can conflict on node records (SQLSTATE 40001, retry).
//! - A PQ index needs at least 256 rows when it is created (codebook training).
//! - `MERGE BRANCH` rebuilds the target's graphs from the merged rows (graph records
//!   are not merged key by key; see [`drop_all_records`]).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use helios_common::{BranchId, Error, Result, Timestamp};
use helios_storage::Transaction;
use helios_types::row::RowDecoder;
use helios_types::Value;
use helios_vector::{HnswIndex, NodeId, NodeStore, Quantization, RowId, SearchOptions};
use parking_lot::{Mutex, RwLock};

use super::table_io;
use super::vector_entries::EntryMap;
use crate::catalog::vector_index::VectorIndexDef;
use crate::catalog::{Catalog, IndexDef, TableDef};
use crate::encoding::{keys, prefix_range, ScanPages};

const META: u8 = 0;
const NODE: u8 = 1;
const ENTRY: u8 = 2;

/// A [`NodeStore`] over a SQL transaction: the index's records under its key prefix.
#[derive(Debug)]
pub struct TxnNodeStore<'a> {
    txn: &'a mut Transaction,
    prefix: Vec<u8>,
}

impl<'a> TxnNodeStore<'a> {
    /// The store of index `index` of table `table`.
    pub fn new(txn: &'a mut Transaction, table: u32, index: u32) -> TxnNodeStore<'a> {
        TxnNodeStore { txn, prefix: keys::index_prefix(table, index) }
    }

    fn key(&self, kind: u8, id: &[u8]) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.push(kind);
        k.extend_from_slice(id);
        k
    }
}

impl NodeStore for TxnNodeStore<'_> {
    fn get_node(&self, id: NodeId) -> Result<Option<Vec<u8>>> {
        self.txn.get(&self.key(NODE, &id.0.to_be_bytes()))
    }

    fn scan_nodes(&self) -> Result<Vec<(NodeId, Vec<u8>)>> {
        let p = self.key(NODE, &[]);
        let mut out = Vec::new();
        for (k, v) in ScanPages::new(prefix_range(&p), false, 1024).collect_all(self.txn)? {
            let id: [u8; 4] = k
                .get(p.len()..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::corrupted("vector index node key is not 4 bytes"))?;
            out.push((NodeId(u32::from_be_bytes(id)), v));
        }
        Ok(out)
    }

    fn put_node(&mut self, id: NodeId, record: Vec<u8>) -> Result<()> {
        let k = self.key(NODE, &id.0.to_be_bytes());
        self.txn.put(&k, &record)
    }

    fn delete_node(&mut self, id: NodeId) -> Result<()> {
        let k = self.key(NODE, &id.0.to_be_bytes());
        self.txn.delete(&k)
    }

    fn get_meta(&self) -> Result<Option<Vec<u8>>> {
        self.txn.get(&self.key(META, &[]))
    }

    fn put_meta(&mut self, record: Vec<u8>) -> Result<()> {
        let k = self.key(META, &[]);
        self.txn.put(&k, &record)
    }
}

/// FNV-1a over the bits of the components: identifies one vector value of a row.
pub fn vector_hash(v: &[f32]) -> u64 {
    let mut h: u64 = FNV_OFFSET;
    for x in v {
        for b in x.to_bits().to_le_bytes() {
            h = fnv_step(h, b);
        }
    }
    h
}

/// [`vector_hash`] of a vector from its stored bytes (little-endian `f32`s, as rows
/// and the hash lay them out), without decoding it.
pub fn vector_hash_bytes(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| fnv_step(h, b))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

/// One index's graph on one branch, with its entry map.
#[derive(Debug)]
pub struct CachedIndex {
    /// The graph.
    pub hnsw: HnswIndex,
    /// Entry number → (vector hash, primary key), and back.
    entries: EntryMap,
    unflushed: Vec<u64>,
    /// Snapshots older than this may see versions the cache never saw.
    loaded_at: Timestamp,
    /// The records on disk are stale: the next flush rewrites them all.
    rebuilt: bool,
    /// How the graph came to memory: `built` (CREATE INDEX), `records` (loaded from
    /// the persisted records) or `table` (rebuilt from the rows: records missing or
    /// damaged).
    origin: &'static str,
}

impl CachedIndex {
    fn insert(&mut self, pk: &[u8], v: &[f32]) -> Result<()> {
        let h = vector_hash(v);
        if self.entries.find(pk, h).is_some() {
            return Ok(());
        }
        let id = self.entries.next_id();
        self.hnsw.insert(RowId(id), v)?;
        self.entries.push(id, h, pk)?;
        self.unflushed.push(id);
        Ok(())
    }

    /// Bytes held in memory: the graph with its vectors or codes, and the entry map.
    pub fn memory_bytes(&self) -> usize {
        self.hnsw.stats().total_bytes()
            + self.entries.memory_bytes()
            + self.unflushed.capacity() * std::mem::size_of::<u64>()
    }

    fn shrink_to_fit(&mut self) {
        self.hnsw.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.unflushed.shrink_to_fit();
    }

    fn flush(&mut self, txn: &mut Transaction, table: u32, index: u32) -> Result<()> {
        if self.rebuilt {
            table_io::clear_index(txn, table, index)?;
            self.rebuilt = false;
        }
        self.hnsw.flush(&mut TxnNodeStore::new(txn, table, index))?;
        let prefix = keys::index_prefix(table, index);
        for id in std::mem::take(&mut self.unflushed) {
            if let Some((h, pk)) = self.entries.get(id) {
                let mut k = prefix.clone();
                k.push(ENTRY);
                k.extend_from_slice(&id.to_be_bytes());
                let mut v = h.to_le_bytes().to_vec();
                v.extend_from_slice(pk);
                txn.put(&k, &v)?;
            }
        }
        Ok(())
    }
}

/// A cached graph shared by every session of the database.
pub type SharedIndex = Arc<RwLock<CachedIndex>>;

/// Rows as (primary key bytes, vector).
type KeyedVectors = Vec<(Vec<u8>, Arc<[f32]>)>;

/// The graph caches of one open database, by (index instance, branch).
#[derive(Debug, Default)]
pub struct VectorIndexes {
    map: Mutex<HashMap<(u64, BranchId), SharedIndex>>,
    /// `CREATE INDEX ... USING hnsw` builds running now (`pg_stat_progress_create_index`).
    builds: Mutex<Vec<Arc<BuildProgress>>>,
}

/// How far one running HNSW index build is.
#[derive(Debug)]
pub struct BuildProgress {
    /// The table's id.
    pub table: u32,
    /// The index's id in the table.
    pub index: u32,
    /// 0 = scanning the table, 1 = training the quantizer, 2 = inserting into the graph,
    /// 3 = writing the graph's records.
    phase: std::sync::atomic::AtomicU8,
    /// Rows to insert (known once the table was scanned).
    total: std::sync::atomic::AtomicU64,
    /// Rows inserted so far.
    done: std::sync::atomic::AtomicU64,
}

/// A snapshot of a [`BuildProgress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStatus {
    /// The table's id.
    pub table: u32,
    /// The index's id in the table.
    pub index: u32,
    /// PostgreSQL-style phase text.
    pub phase: &'static str,
    /// Rows to insert.
    pub total: u64,
    /// Rows inserted.
    pub done: u64,
}

impl BuildProgress {
    fn set_phase(&self, phase: u8) {
        self.phase.store(phase, std::sync::atomic::Ordering::Relaxed);
    }

    fn status(&self) -> BuildStatus {
        use std::sync::atomic::Ordering::Relaxed;
        let phase = match self.phase.load(Relaxed) {
            0 => "scanning table",
            1 => "training quantizer",
            2 => "building index",
            _ => "writing index",
        };
        BuildStatus {
            table: self.table,
            index: self.index,
            phase,
            total: self.total.load(Relaxed),
            done: self.done.load(Relaxed),
        }
    }
}

/// Removes a build from [`VectorIndexes::builds`] when it ends (or fails).
struct BuildGuard<'a> {
    indexes: &'a VectorIndexes,
    progress: Arc<BuildProgress>,
}

impl Drop for BuildGuard<'_> {
    fn drop(&mut self) {
        self.indexes.builds.lock().retain(|b| !Arc::ptr_eq(b, &self.progress));
    }
}

impl VectorIndexes {
    /// The HNSW index builds running now.
    pub fn builds(&self) -> Vec<BuildStatus> {
        self.builds.lock().iter().map(|b| b.status()).collect()
    }
}

/// A handle to the database's [`VectorIndexes`] carried in the session facts, so scans
/// and DML reach the caches. Compares equal to every other handle (it is not a fact
/// about the session).
#[derive(Clone, Default)]
pub struct VectorIndexHandle(pub Option<Arc<VectorIndexes>>);

impl std::fmt::Debug for VectorIndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VectorIndexHandle")
    }
}

impl PartialEq for VectorIndexHandle {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

/// A vector written by DML, waiting for the end of the statement.
struct Pending {
    branch: BranchId,
    table: u32,
    instance: u64,
    pk: Vec<u8>,
    vector: Arc<[f32]>,
}

thread_local! {
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

/// Called by `put_row` for each HNSW index of the table: remembers the row's vector
/// until [`apply_pending`] adds it to the graph at the end of the statement.
pub fn note_put(txn: &Transaction, table: &TableDef, index: &IndexDef, pk: &[u8], row: &[Value]) {
    let Some(def) = &index.vector else { return };
    let Some(Value::Vector(v)) = index.columns.first().and_then(|c| row.get(*c)) else { return };
    PENDING.with(|p| {
        p.borrow_mut().push(Pending {
            branch: txn.branch(),
            table: table.id,
            instance: def.instance,
            pk: pk.to_vec(),
            vector: v.clone(),
        })
    });
}

/// Adds the vectors written by the statement that just ran to their graphs and flushes
/// the graphs into `txn`.
pub fn apply_pending(
    vectors: &VectorIndexes,
    txn: &mut Transaction,
    catalog: &Catalog,
) -> Result<()> {
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if pending.is_empty() {
        return Ok(());
    }
    let mut touched: Vec<(Arc<RwLock<CachedIndex>>, u32, u32)> = Vec::new();
    for p in pending {
        if p.branch != txn.branch() {
            continue;
        }
        let Some(table) = catalog.table(p.table) else { continue };
        let Some(index) = table
            .indexes
            .iter()
            .find(|i| i.vector.as_ref().is_some_and(|d| d.instance == p.instance))
        else {
            continue;
        };
        let cache = get_or_load(vectors, txn, table, index)?;
        cache.write().insert(&p.pk, &p.vector)?;
        if !touched.iter().any(|(c, _, _)| Arc::ptr_eq(c, &cache)) {
            touched.push((cache, table.id, index.id));
        }
    }
    for (cache, table, index) in touched {
        cache.write().flush(txn, table, index)?;
    }
    Ok(())
}

/// Forgets whatever DML noted but did not apply (a failed statement).
pub fn discard_pending() {
    PENDING.with(|p| p.borrow_mut().clear());
}

fn def(index: &IndexDef) -> Result<&VectorIndexDef> {
    index.vector.as_ref().ok_or_else(|| Error::internal("not a vector index"))
}

/// The rows (primary key, vector) of the table visible to `txn` with a vector in the
/// indexed column.
fn table_vectors(txn: &Transaction, table: &TableDef, index: &IndexDef) -> Result<KeyedVectors> {
    let col = index.columns.first().copied().unwrap_or(0);
    let mut out = Vec::new();
    table_io::scan_rows(
        txn,
        table,
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
        |pk, row| {
            if let Some(Value::Vector(v)) = row.get(col) {
                out.push((pk, v.clone()));
            }
            Ok(true)
        },
    )?;
    Ok(out)
}

/// A fresh graph over the rows visible to `txn` (trained first when quantized).
fn build_from_table(
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
    progress: Option<&BuildProgress>,
) -> Result<CachedIndex> {
    let d = def(index)?;
    let mut params = d.params();
    let rows = table_vectors(txn, table, index)?;
    let quantized = params.quantization != Quantization::None;
    if let Some(p) = progress {
        p.total.store(rows.len() as u64, std::sync::atomic::Ordering::Relaxed);
        p.set_phase(if quantized { 1 } else { 2 });
    }
    let hnsw = if quantized {
        // Build with the full vectors (exact distances give a much better graph), then
        // keep only the codes: searches re-rank with the table's vectors.
        params.keep_vectors = true;
        let sample: Vec<f32> = rows.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        HnswIndex::train(params, &sample)?
    } else {
        HnswIndex::new(params)?
    };
    let mut c = CachedIndex {
        hnsw,
        entries: EntryMap::default(),
        unflushed: Vec::new(),
        loaded_at: txn.read_ts(),
        rebuilt: true,
        origin: "table",
    };
    if let Some(p) = progress {
        p.set_phase(2);
    }
    for (pk, v) in rows {
        c.insert(&pk, &v)?;
        if let Some(p) = progress {
            p.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    if quantized {
        c.hnsw.drop_full_vectors();
    }
    c.shrink_to_fit();
    Ok(c)
}

/// The cached graph of `index` on the transaction's branch, loading (or rebuilding) it
/// on first use.
pub fn get_or_load(
    vectors: &VectorIndexes,
    txn: &mut Transaction,
    table: &TableDef,
    index: &IndexDef,
) -> Result<Arc<RwLock<CachedIndex>>> {
    let key = (def(index)?.instance, txn.branch());
    let mut map = vectors.map.lock();
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let c = match load_shared(txn, table, index) {
        Ok(c) => c,
        Err(_) => build_from_table(txn, table, index, None)?,
    };
    let c = Arc::new(RwLock::new(c));
    map.insert(key, c.clone());
    Ok(c)
}

/// Read-only variant for queries: the cache if loaded, else loads it without writing.
fn get_or_load_read(
    vectors: &VectorIndexes,
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
) -> Result<Arc<RwLock<CachedIndex>>> {
    let key = (def(index)?.instance, txn.branch());
    let mut map = vectors.map.lock();
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let c = match load_shared(txn, table, index) {
        Ok(c) => c,
        Err(_) => build_from_table(txn, table, index, None)?,
    };
    let c = Arc::new(RwLock::new(c));
    map.insert(key, c.clone());
    Ok(c)
}

/// A read-only [`NodeStore`] over a shared transaction reference.
#[derive(Debug)]
struct ReadStore<'a> {
    txn: &'a Transaction,
    prefix: Vec<u8>,
}

impl NodeStore for ReadStore<'_> {
    fn get_node(&self, id: NodeId) -> Result<Option<Vec<u8>>> {
        let mut k = self.prefix.clone();
        k.push(NODE);
        k.extend_from_slice(&id.0.to_be_bytes());
        self.txn.get(&k)
    }
    fn scan_nodes(&self) -> Result<Vec<(NodeId, Vec<u8>)>> {
        let mut p = self.prefix.clone();
        p.push(NODE);
        let mut out = Vec::new();
        for (k, v) in ScanPages::new(prefix_range(&p), false, 1024).collect_all(self.txn)? {
            let id: [u8; 4] = k
                .get(p.len()..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::corrupted("vector index node key is not 4 bytes"))?;
            out.push((NodeId(u32::from_be_bytes(id)), v));
        }
        Ok(out)
    }
    fn put_node(&mut self, _id: NodeId, _record: Vec<u8>) -> Result<()> {
        Err(Error::internal("read-only vector index store"))
    }
    fn delete_node(&mut self, _id: NodeId) -> Result<()> {
        Err(Error::internal("read-only vector index store"))
    }
    fn get_meta(&self) -> Result<Option<Vec<u8>>> {
        let mut k = self.prefix.clone();
        k.push(META);
        self.txn.get(&k)
    }
    fn put_meta(&mut self, _record: Vec<u8>) -> Result<()> {
        Err(Error::internal("read-only vector index store"))
    }
}

/// Loads the graph from its records and reconciles it with the table.
fn load_shared(txn: &Transaction, table: &TableDef, index: &IndexDef) -> Result<CachedIndex> {
    let store = ReadStore { txn, prefix: keys::index_prefix(table.id, index.id) };
    let hnsw = HnswIndex::load(&store)?;
    let mut p = keys::index_prefix(table.id, index.id);
    p.push(ENTRY);
    let mut c = CachedIndex {
        hnsw,
        entries: EntryMap::default(),
        unflushed: Vec::new(),
        loaded_at: txn.read_ts(),
        rebuilt: false,
        origin: "records",
    };
    read_entries(txn, &p, &mut c)?;
    for (pk, v) in table_vectors(txn, table, index)? {
        c.insert(&pk, &v)?;
    }
    c.shrink_to_fit();
    Ok(c)
}

fn read_entries(txn: &Transaction, p: &[u8], c: &mut CachedIndex) -> Result<()> {
    let records = ScanPages::new(prefix_range(p), false, 1024).collect_all(txn)?;
    let id_of = |k: &[u8]| {
        k.get(p.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| Error::corrupted("vector index entry key is not 8 bytes"))
    };
    // Numbers missing from the records (lost with a rolled-back statement) leave gaps in
    // the dense entry map; past a point a rebuild from the table is cheaper.
    if let Some((k, _)) = records.last() {
        if id_of(k)? > 2 * records.len() as u64 + 1024 {
            return Err(Error::corrupted("vector index entry numbers are too sparse"));
        }
    }
    for (k, v) in &records {
        let id = id_of(k)?;
        let h = v
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| Error::corrupted("vector index entry record is too short"))?;
        if id < c.entries.next_id() {
            return Err(Error::corrupted("vector index entry records out of order"));
        }
        c.entries.push(id, h, &v[8..])?;
    }
    for id in 1..c.entries.next_id() {
        if !c.entries.contains(id) && c.hnsw.contains(RowId(id)) {
            c.hnsw.delete(RowId(id));
        }
    }
    if c.hnsw.len() > c.entries.len() {
        return Err(Error::corrupted("vector index has nodes without entries"));
    }
    Ok(())
}

/// Builds a new index over the rows visible to `txn` and persists it (`CREATE INDEX`).
pub fn create(
    vectors: &VectorIndexes,
    txn: &mut Transaction,
    table: &TableDef,
    index: &IndexDef,
) -> Result<()> {
    let progress = Arc::new(BuildProgress {
        table: table.id,
        index: index.id,
        phase: Default::default(),
        total: Default::default(),
        done: Default::default(),
    });
    vectors.builds.lock().push(progress.clone());
    let guard = BuildGuard { indexes: vectors, progress };
    let mut c = build_from_table(txn, table, index, Some(&guard.progress))?;
    c.origin = "built";
    guard.progress.set_phase(3);
    c.flush(txn, table.id, index.id)?;
    let key = (def(index)?.instance, txn.branch());
    vectors.map.lock().insert(key, Arc::new(RwLock::new(c)));
    Ok(())
}

/// Before a branch merge: deletes the records of every HNSW index of `catalog` in `txn`
/// and forgets their cached graphs; returns whether there was any.
///
/// Graph records are internals, not rows: the graphs of both branches number their nodes
/// and entries on from the fork point, so a key-by-key three-way merge of the records
/// would report conflicts that are no conflict between rows, or splice two different
/// graphs together. With the records deleted on both sides the merge sees no change to
/// them; the target's graphs are then rebuilt from its merged rows
/// ([`rebuild_all`]), and any graph without records is rebuilt from its table when next
/// used.
pub fn drop_all_records(
    vectors: &VectorIndexes,
    txn: &mut Transaction,
    catalog: &Catalog,
) -> Result<bool> {
    let mut any = false;
    for table in catalog.tables.values() {
        for index in table.indexes.iter().filter(|i| i.vector.is_some()) {
            table_io::clear_index(txn, table.id, index.id)?;
            forget(vectors, index);
            any = true;
        }
    }
    Ok(any)
}

/// After a branch merge: builds every HNSW index of `catalog` afresh over the rows
/// visible to `txn` and persists it (see [`drop_all_records`]).
pub fn rebuild_all(
    vectors: &VectorIndexes,
    txn: &mut Transaction,
    catalog: &Catalog,
) -> Result<bool> {
    let mut any = false;
    for table in catalog.tables.values() {
        for index in table.indexes.iter().filter(|i| i.vector.is_some()) {
            forget(vectors, index);
            // The merge is done; an index that cannot be built now (a PQ index whose
            // table fell under the 256 training rows) reports that when next used.
            if create(vectors, txn, table, index).is_err() {
                forget(vectors, index);
            }
            any = true;
        }
    }
    Ok(any)
}

/// Forgets the cached graphs of a dropped index (its records are deleted by the caller).
pub fn forget(vectors: &VectorIndexes, index: &IndexDef) {
    if let Some(d) = &index.vector {
        vectors.map.lock().retain(|(instance, _), _| *instance != d.instance);
    }
}

/// What a k-nearest-neighbour search asks for.
#[derive(Debug, Clone, Copy)]
pub struct Knn<'a> {
    /// The query vector.
    pub query: &'a [f32],
    /// How many rows.
    pub k: usize,
    /// `hnsw.ef_search`, when set.
    pub ef_search: Option<usize>,
    /// `helios.hnsw_rerank`, when set: how many of the best approximate candidates of a
    /// quantized index are checked and re-ranked exactly (default: `ef_search`).
    pub rerank: Option<usize>,
}

/// The query's other predicates, evaluated on a candidate row's values.
pub type RowFilter<'a> = dyn Fn(&[Value]) -> Result<bool> + 'a;

/// One accepted search hit: the row's primary key bytes and its values.
pub type VisibleHit = (Vec<u8>, Vec<Value>);

/// A candidate row read during a search: its key, stored bytes and, when the query's
/// filter needed them, its decoded values.
struct ReadRow {
    pk: Vec<u8>,
    bytes: Vec<u8>,
    values: Option<Vec<Value>>,
}

/// Searches the index for the `k` nearest rows visible to `txn` for which `accept`
/// holds (every row when `None`), nearest first. `None` when the cache cannot serve this
/// snapshot (a time-travel read older than the cache): the caller runs the exact path.
///
/// Each candidate the graph offers costs one point read of its row. The row is not
/// decoded for the visibility check: the vector column's stored bytes are hashed (or,
/// for re-ranking, read as floats) in place, and only the filter's evaluation and the
/// rows finally returned decode values.
pub fn search(
    vectors: &VectorIndexes,
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
    knn: &Knn<'_>,
    accept: Option<&RowFilter<'_>>,
) -> Result<Option<Vec<VisibleHit>>> {
    let (query, k, ef_search) = (knn.query, knn.k, knn.ef_search);
    let d = def(index)?;
    if query.len() != d.dim as usize {
        return Err(crate::functions::vector::dimension_mismatch(d.dim as usize, query.len()));
    }
    let cache = get_or_load_read(vectors, txn, table, index)?;
    let c = cache.read();
    if txn.read_ts() < c.loaded_at {
        return Ok(None);
    }
    let col = index.columns.first().copied().unwrap_or(0);
    let decoder = RowDecoder::new(&table_io::column_types(table));
    let quantized = c.hnsw.params().quantization != Quantization::None;
    let error: RefCell<Option<Error>> = RefCell::new(None);
    let rows: RefCell<HashMap<u64, ReadRow>> = RefCell::new(HashMap::new());
    let taken: RefCell<HashSet<&[u8]>> = RefCell::new(HashSet::new());
    let check = |id: RowId| -> Result<bool> {
        let Some((h, pk)) = c.entries.get(id.0) else { return Ok(false) };
        let Some(bytes) = txn.get(&keys::row_key(table.id, pk))? else { return Ok(false) };
        match decoder.column_bytes(&bytes, col)? {
            None => return Ok(false),
            // A quantized index re-ranks with the vector read here, so an entry of an
            // older version of the row still leads to the right row at its true distance;
            // only a second entry of the same row must not return it twice. Hashing
            // 1.5 kB per candidate was a quarter of such a search.
            Some(_) if quantized => {
                if taken.borrow().contains(pk) {
                    return Ok(false);
                }
            }
            Some(v) if vector_hash_bytes(v) != h => return Ok(false),
            Some(_) => {}
        }
        let values = match accept {
            Some(accept) => {
                let values = decoder.decode(&bytes)?;
                if !accept(&values)? {
                    return Ok(false);
                }
                Some(values)
            }
            None => None,
        };
        if quantized {
            taken.borrow_mut().insert(pk);
        }
        rows.borrow_mut().insert(id.0, ReadRow { pk: pk.to_vec(), bytes, values });
        Ok(true)
    };
    let filter = |id: RowId| -> bool {
        if error.borrow().is_some() {
            return false;
        }
        match check(id) {
            Ok(b) => b,
            Err(e) => {
                *error.borrow_mut() = Some(e);
                false
            }
        }
    };
    // Re-ranking a quantized index: every candidate was accepted by `check`, which kept
    // its row, so the exact vector is at hand without reading the row again.
    let fetch = |id: RowId, out: &mut Vec<f32>| -> bool {
        let rows = rows.borrow();
        let Some(row) = rows.get(&id.0) else { return false };
        match decoder.column_bytes(&row.bytes, col) {
            Ok(Some(v)) => {
                out.extend(v.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
                true
            }
            _ => false,
        }
    };
    let options = SearchOptions {
        k,
        ef_search: ef_search.map(|e| e.max(k).min(1000)),
        filter: Some(&filter),
        fetch: Some(&fetch),
        rerank: knn.rerank.map(|r| r.max(k)),
    };
    let hits = c.hnsw.search_with(query, &options)?;
    if let Some(e) = error.into_inner() {
        return Err(e);
    }
    let mut rows = rows.into_inner();
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        if let Some(row) = rows.remove(&h.row.0) {
            let values = match row.values {
                Some(v) => v,
                None => decoder.decode(&row.bytes)?,
            };
            out.push((row.pk, values));
        }
    }
    Ok(Some(out))
}

/// Statistics of an index's graph on the transaction's branch, as
/// `helios_vector_index_stats` reports them.
pub fn stats(
    vectors: &VectorIndexes,
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
) -> Result<IndexStats> {
    let cache = get_or_load_read(vectors, txn, table, index)?;
    let c = cache.read();
    let m = c.hnsw.stats();
    let d = def(index)?;
    Ok(IndexStats {
        live: m.live,
        deleted: m.deleted,
        layers: c.hnsw.layers(),
        quantization: match d.quantization {
            crate::catalog::vector_index::VectorQuantization::None => "none".into(),
            crate::catalog::vector_index::VectorQuantization::Pq { pq_m } => {
                format!("pq (pq_m={pq_m}, pq_bits=8)")
            }
            crate::catalog::vector_index::VectorQuantization::Sq8 => "sq8".into(),
        },
        memory_bytes: c.memory_bytes(),
        vector_bytes: m.vector_bytes + m.code_bytes,
        origin: c.origin,
    })
}

/// What `helios_vector_index_stats` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexStats {
    /// Entries in the graph (row versions, visible or not).
    pub live: usize,
    /// Entries marked deleted.
    pub deleted: usize,
    /// Layers of the graph.
    pub layers: usize,
    /// Quantization description.
    pub quantization: String,
    /// Memory held by the index: graph, vectors or codes, codebook, and the entry map
    /// (entry → primary key and vector hash).
    pub memory_bytes: usize,
    /// Memory of the vectors or codes alone.
    pub vector_bytes: usize,
    /// `built`, `records` or `table` (see [`CachedIndex`]).
    pub origin: &'static str,
}

/// Validates `SET helios.hnsw_rerank`: an integer in 0..=1000 (0: `ef_search`).
pub fn check_rerank(value: &str) -> Result<String> {
    let v = value.trim().trim_matches('\'');
    match v.parse::<i64>() {
        Ok(n) if (0..=1000).contains(&n) => Ok(n.to_string()),
        _ => Err(Error::new(
            helios_common::SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"helios.hnsw_rerank\": \"{value}\""),
        )
        .with_hint("Valid values are integers between 0 (use hnsw.ef_search) and 1000.")),
    }
}

/// Validates `SET hnsw.ef_search` like pgvector: an integer in 1..=1000.
pub fn check_ef_search(value: &str) -> Result<String> {
    let v = value.trim().trim_matches('\'');
    match v.parse::<i64>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n.to_string()),
        Ok(n) => Err(Error::new(
            helios_common::SqlState::INVALID_PARAMETER_VALUE,
            format!("{n} is outside the valid range for parameter \"hnsw.ef_search\" (1 .. 1000)"),
        )),
        Err(_) => Err(Error::new(
            helios_common::SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"hnsw.ef_search\": \"{value}\""),
        )
        .with_hint("Valid values are integers between 1 and 1000.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_stored_bytes_is_the_hash_of_the_vector() {
        let v = [0.0f32, -0.0, 1.5, -3.25e-7, f32::MAX, 42.0];
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(vector_hash_bytes(&bytes), vector_hash(&v));
        assert_ne!(vector_hash(&v[..5]), vector_hash(&v), "the length counts");
        assert_ne!(vector_hash(&[0.0]), vector_hash(&[-0.0]), "bits, not values");
    }
}
