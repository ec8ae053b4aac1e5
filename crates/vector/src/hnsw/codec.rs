//! Byte records of a persisted index, and [`HnswIndex::flush`] / [`HnswIndex::load`].
//!
//! All integers and floats are little-endian.
//!
//! **Metadata record** (one per index):
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 4 | magic `HNSW` |
//! | 4 | 1 | format version (1) |
//! | 5 | 1 | metric: 1 L2, 2 cosine, 3 inner product |
//! | 6 | 1 | quantization: 0 none, 1 PQ, 2 SQ8 |
//! | 7 | 1 | flags: bit 0 = full vectors kept |
//! | 8 | 4 | dimensions |
//! | 12 | 2 | `m` |
//! | 14 | 2 | `ef_construction` |
//! | 16 | 2 | `ef_search` |
//! | 18 | 8 | level seed |
//! | 26 | 8 | RNG state (so level draws continue after reload) |
//! | 34 | 4 | entry node id, `u32::MAX` when empty |
//! | 38 | 1 | top layer |
//! | 39 | 4 | slot count (node ids are below it) |
//! | 43 | 20 | PQ training config: `pq_m` u32, iterations u32, max training u32, seed u64 (zeros otherwise) |
//! | 63 | rest | quantizer bytes ([`PqCodebook::to_bytes`] / [`Sq8Quantizer::to_bytes`]), empty without quantization |
//!
//! **Node record** (one per non-vacant slot; a vacant slot has no record). The same tables,
//! with the quantizer layouts, are in `docs/storage-format.md`.
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 1 | format version (1) |
//! | 1 | 1 | state: 1 live, 2 deleted |
//! | 2 | 1 | level `L` |
//! | 3 | 8 | row id |
//! | 11 | `4·dim` | full vector (f32), if the index keeps vectors |
//! | … | `code_len` | quantized code, if quantized |
//! | … | per layer 0..=L | neighbour count (u8) then that many node ids (u32) |

use super::graph::NodeState;
use super::index::HnswIndex;
use super::params::{HnswParams, Quantization};
use super::vectors::Quantizer;
use crate::error::{Result, VectorError};
use crate::metric::Metric;
use crate::pq::{PqCodebook, PqConfig, Sq8Quantizer};
use crate::rng::SplitMix64;
use crate::store::{NodeId, NodeStore};

const MAGIC: &[u8; 4] = b"HNSW";
const VERSION: u8 = 1;
const META_FIXED: usize = 63;

fn corrupt(what: impl Into<String>) -> VectorError {
    VectorError::Corrupted(what.into())
}

/// A bounds-checked little-endian reader.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| corrupt("record too short"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        out
    }
}

impl HnswIndex {
    fn encode_meta(&self) -> Vec<u8> {
        let p = &self.params;
        let mut out = Vec::with_capacity(META_FIXED);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(p.metric.tag());
        out.push(match p.quantization {
            Quantization::None => 0,
            Quantization::Pq(_) => 1,
            Quantization::Sq8 => 2,
        });
        out.push(u8::from(p.keep_vectors));
        out.extend_from_slice(&(p.dim as u32).to_le_bytes());
        out.extend_from_slice(&(p.m as u16).to_le_bytes());
        out.extend_from_slice(&(p.ef_construction as u16).to_le_bytes());
        out.extend_from_slice(&(p.ef_search as u16).to_le_bytes());
        out.extend_from_slice(&p.seed.to_le_bytes());
        out.extend_from_slice(&self.rng.state().to_le_bytes());
        out.extend_from_slice(&self.graph.entry.unwrap_or(u32::MAX).to_le_bytes());
        out.push(self.graph.max_level as u8);
        out.extend_from_slice(&(self.graph.slots() as u32).to_le_bytes());
        let pq = match p.quantization {
            Quantization::Pq(c) => c,
            _ => PqConfig { pq_m: 0, iterations: 0, seed: 0, max_training_vectors: 0 },
        };
        out.extend_from_slice(&(pq.pq_m as u32).to_le_bytes());
        out.extend_from_slice(&(pq.iterations as u32).to_le_bytes());
        out.extend_from_slice(&(pq.max_training_vectors as u32).to_le_bytes());
        out.extend_from_slice(&pq.seed.to_le_bytes());
        match &self.data.quantizer {
            Quantizer::None => {}
            Quantizer::Pq(cb) => out.extend(cb.to_bytes()),
            Quantizer::Sq8(q) => out.extend(q.to_bytes()),
        }
        out
    }

    fn encode_node(&self, id: u32) -> Vec<u8> {
        let i = id as usize;
        let level = usize::from(self.graph.levels[i]);
        let mut out = Vec::with_capacity(11 + self.params.dim * 4 + self.data.code_len);
        out.push(VERSION);
        out.push(if self.graph.states[i] == NodeState::Deleted { 2 } else { 1 });
        out.push(level as u8);
        out.extend_from_slice(&self.graph.rows[i].0.to_le_bytes());
        if let Some(v) = self.data.full(id) {
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out.extend_from_slice(self.data.code(id));
        for l in 0..=level {
            let ns = self.graph.neighbors(id, l);
            out.push(ns.len() as u8);
            for n in ns {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out
    }

    /// Writes every node changed since the last flush, and the metadata, to `store`.
    /// Call it inside the transaction that made the changes.
    pub fn flush(&mut self, store: &mut dyn NodeStore) -> Result<()> {
        for &id in &self.dirty {
            if self.graph.states[id as usize] == NodeState::Vacant {
                store.delete_node(NodeId(id))?;
            } else {
                store.put_node(NodeId(id), self.encode_node(id))?;
            }
        }
        self.dirty.clear();
        if self.meta_dirty {
            store.put_meta(self.encode_meta())?;
            self.meta_dirty = false;
        }
        Ok(())
    }

    /// Rebuilds an index from the records in `store`; corrupt records give
    /// [`VectorError::Corrupted`], never a panic.
    pub fn load(store: &dyn NodeStore) -> Result<HnswIndex> {
        let meta = store.get_meta()?.ok_or_else(|| corrupt("metadata record missing"))?;
        let mut r = Reader { bytes: &meta, pos: 0 };
        if r.take(4)? != MAGIC || r.u8()? != VERSION {
            return Err(corrupt("bad magic or version"));
        }
        let metric = Metric::from_tag(r.u8()?).ok_or_else(|| corrupt("unknown metric"))?;
        let quant_tag = r.u8()?;
        let keep_vectors = r.u8()? & 1 == 1;
        let dim = r.u32()? as usize;
        let m = usize::from(r.u16()?);
        let ef_construction = usize::from(r.u16()?);
        let ef_search = usize::from(r.u16()?);
        let seed = r.u64()?;
        let rng_state = r.u64()?;
        let entry = r.u32()?;
        let max_level = usize::from(r.u8()?);
        let meta_slots = r.u32()? as usize;
        let pq_config = PqConfig {
            pq_m: r.u32()? as usize,
            iterations: r.u32()? as usize,
            max_training_vectors: r.u32()? as usize,
            seed: r.u64()?,
        };
        let quant_bytes = r.rest();
        let (quantization, quantizer) = match quant_tag {
            0 => (Quantization::None, Quantizer::None),
            1 => {
                let cb = PqCodebook::from_bytes(quant_bytes)?;
                if cb.dim() != dim || cb.code_len() != pq_config.pq_m {
                    return Err(corrupt("codebook does not match the index"));
                }
                (Quantization::Pq(pq_config), Quantizer::Pq(cb))
            }
            2 => {
                let q = Sq8Quantizer::from_bytes(quant_bytes)?;
                if q.dim() != dim {
                    return Err(corrupt("quantizer does not match the index"));
                }
                (Quantization::Sq8, Quantizer::Sq8(q))
            }
            _ => return Err(corrupt("unknown quantization")),
        };
        let params = HnswParams {
            dim,
            metric,
            m,
            ef_construction,
            ef_search,
            seed,
            quantization,
            keep_vectors,
        };
        params.validate().map_err(|e| corrupt(format!("bad parameters: {e}")))?;
        let mut index = HnswIndex::with_quantizer(params, quantizer);
        index.rng = SplitMix64::new(rng_state);

        let records = store.scan_nodes()?;
        // Slots after the last stored record are vacant and need not be recreated; the
        // count is taken from the records, so a corrupt header cannot make us allocate.
        let slots = records.last().map_or(0, |(id, _)| id.0 as usize + 1);
        if slots > meta_slots {
            return Err(corrupt("node id beyond the slot count"));
        }
        if slots * (params.max_links(0) + 1) > (u32::MAX / 2) as usize {
            return Err(corrupt("more nodes than an index can hold"));
        }
        let mut records = records.into_iter().peekable();
        let mut vacant = Vec::new();
        let mut links: Vec<Vec<Vec<u32>>> = Vec::with_capacity(slots);
        let mut row_map = super::row_map::RowMap::default();
        for id in 0..slots as u32 {
            let Some((_, bytes)) = records.next_if(|(n, _)| n.0 == id) else {
                if records.peek().is_some_and(|(n, _)| n.0 < id) {
                    return Err(corrupt("node records out of order"));
                }
                index.graph.push_slot(Default::default(), 0, NodeState::Vacant);
                vacant.push(id);
                links.push(Vec::new());
                continue;
            };
            let mut r = Reader { bytes: &bytes, pos: 0 };
            if r.u8()? != VERSION {
                return Err(corrupt(format!("node {id}: bad version")));
            }
            let state = match r.u8()? {
                1 => NodeState::Live,
                2 => NodeState::Deleted,
                _ => return Err(corrupt(format!("node {id}: bad state"))),
            };
            let level = usize::from(r.u8()?);
            if level > max_level {
                return Err(corrupt(format!("node {id}: level above the top layer")));
            }
            let row = crate::store::RowId(r.u64()?);
            index.graph.push_slot(row, level, state);
            if index.data.full.is_some() {
                let raw = r.take(dim * 4)?;
                let v: Vec<f32> = raw
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(corrupt(format!("node {id}: non-finite vector")));
                }
                index.data.set_raw(id, Some(&v), None);
            }
            let code = r.take(index.data.code_len)?;
            index.data.set_raw(id, None, Some(code));
            let mut node_links = Vec::with_capacity(level + 1);
            for l in 0..=level {
                let count = usize::from(r.u8()?);
                if count > params.max_links(l) {
                    return Err(corrupt(format!("node {id}: too many neighbours")));
                }
                let mut ns = Vec::with_capacity(count);
                for _ in 0..count {
                    let n = r.u32()?;
                    if n as usize >= slots {
                        return Err(corrupt(format!("node {id}: neighbour out of range")));
                    }
                    ns.push(n);
                }
                node_links.push(ns);
            }
            if r.pos != bytes.len() {
                return Err(corrupt(format!("node {id}: trailing bytes")));
            }
            links.push(node_links);
            match state {
                NodeState::Live => {
                    if row_map.insert(row, id).is_some() {
                        return Err(corrupt(format!("row {row} indexed twice")));
                    }
                }
                NodeState::Deleted => index.deleted += 1,
                NodeState::Vacant => {}
            }
        }
        for (id, node_links) in links.iter().enumerate() {
            for (l, ns) in node_links.iter().enumerate() {
                if ns.iter().any(|&n| usize::from(index.graph.levels[n as usize]) < l) {
                    return Err(corrupt(format!("node {id}: neighbour below layer {l}")));
                }
                index.graph.set_neighbors(id as u32, l, ns);
            }
        }
        if entry != u32::MAX {
            let e = entry as usize;
            if e >= slots
                || index.graph.states[e] == NodeState::Vacant
                || usize::from(index.graph.levels[e]) != max_level
            {
                return Err(corrupt("bad entry point"));
            }
            index.graph.entry = Some(entry);
            index.graph.max_level = max_level;
        } else if !row_map.is_empty() || index.deleted > 0 {
            return Err(corrupt("nodes without an entry point"));
        }
        index.graph.free = vacant;
        index.row_map = row_map;
        index.meta_dirty = false;
        index.shrink_to_fit();
        Ok(index)
    }
}
