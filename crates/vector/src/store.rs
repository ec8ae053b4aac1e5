//! Row ids, node ids and the [`NodeStore`] trait the index is persisted through.

use std::fmt;

/// The id of a row version the index points at. Opaque to this crate: the SQL layer maps
/// it to a table row (and its version), and the search's filter callback receives it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RowId(pub u64);

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowId({})", self.0)
    }
}

/// The id of a node of an HNSW graph: a dense slot number, reused after vacuum.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct NodeId(pub u32);

/// Where an index's byte records live: one record per node, plus one metadata record
/// (parameters, entry point, codebook). The storage layer implements this over its
/// key-value engine (keys such as `index id ‖ node id`), inside the writing transaction,
/// so the index is persisted and encrypted like every other row; [`MemoryNodeStore`] is
/// the in-memory implementation.
///
/// The index reads records only in [`crate::HnswIndex::load`] (one scan) and writes only in
/// [`crate::HnswIndex::flush`]; it never holds a reference into the store.
pub trait NodeStore {
    /// The record of node `id`, if stored.
    fn get_node(&self, id: NodeId) -> helios_common::Result<Option<Vec<u8>>>;
    /// Every node record, in ascending id order (a prefix scan in a key-value store).
    fn scan_nodes(&self) -> helios_common::Result<Vec<(NodeId, Vec<u8>)>>;
    /// Stores (or replaces) the record of node `id`.
    fn put_node(&mut self, id: NodeId, record: Vec<u8>) -> helios_common::Result<()>;
    /// Removes the record of node `id` (no error when absent).
    fn delete_node(&mut self, id: NodeId) -> helios_common::Result<()>;
    /// The metadata record, if stored.
    fn get_meta(&self) -> helios_common::Result<Option<Vec<u8>>>;
    /// Stores (or replaces) the metadata record.
    fn put_meta(&mut self, record: Vec<u8>) -> helios_common::Result<()>;
}

/// A [`NodeStore`] in a `BTreeMap`, for tests and memory-only databases.
#[derive(Debug, Default, Clone)]
pub struct MemoryNodeStore {
    nodes: std::collections::BTreeMap<NodeId, Vec<u8>>,
    meta: Option<Vec<u8>>,
}

impl MemoryNodeStore {
    /// An empty store.
    pub fn new() -> MemoryNodeStore {
        MemoryNodeStore::default()
    }

    /// Number of node records.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Mutable access to a stored node record, for corruption tests.
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut Vec<u8>> {
        self.nodes.get_mut(&id)
    }
}

impl NodeStore for MemoryNodeStore {
    fn get_node(&self, id: NodeId) -> helios_common::Result<Option<Vec<u8>>> {
        Ok(self.nodes.get(&id).cloned())
    }

    fn scan_nodes(&self) -> helios_common::Result<Vec<(NodeId, Vec<u8>)>> {
        Ok(self.nodes.iter().map(|(id, r)| (*id, r.clone())).collect())
    }

    fn put_node(&mut self, id: NodeId, record: Vec<u8>) -> helios_common::Result<()> {
        self.nodes.insert(id, record);
        Ok(())
    }

    fn delete_node(&mut self, id: NodeId) -> helios_common::Result<()> {
        self.nodes.remove(&id);
        Ok(())
    }

    fn get_meta(&self) -> helios_common::Result<Option<Vec<u8>>> {
        Ok(self.meta.clone())
    }

    fn put_meta(&mut self, record: Vec<u8>) -> helios_common::Result<()> {
        self.meta = Some(record);
        Ok(())
    }
}
