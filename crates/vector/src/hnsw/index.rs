//! [`HnswIndex`]: construction, search with filter and re-ranking, statistics.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::graph::{Graph, NodeState};
use super::params::{HnswParams, Quantization};
use super::row_map::RowMap;
use super::search::knn;
use super::stats::MemoryStats;
use super::vectors::{Quantizer, VectorData};
use crate::distance::normalize;
use crate::error::{check_vector, Result, VectorError};
use crate::pq::{PqCodebook, Sq8Quantizer};
use crate::rng::SplitMix64;
use crate::store::RowId;

/// One search result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// The row.
    pub row: RowId,
    /// Its distance to the query as the SQL operator defines it (`<->`, `<=>`, `<#>`).
    /// Exact, except for a quantized index searched without access to full vectors.
    pub distance: f32,
}

/// Writes a row's full vector into the buffer; false when it is not available (see
/// [`SearchOptions::fetch`]).
pub type FetchFn<'a> = dyn Fn(RowId, &mut Vec<f32>) -> bool + 'a;

/// Options of one search beyond the query.
#[derive(Clone, Copy)]
pub struct SearchOptions<'a> {
    /// Number of results wanted (`LIMIT k`).
    pub k: usize,
    /// Initial candidate list size; `None` uses the index's `ef_search`.
    pub ef_search: Option<usize>,
    /// Rows for which this returns false are never returned (invisible to the snapshot or
    /// branch, or failing the query's other predicates); the search widens to find `k`
    /// accepted rows.
    pub filter: Option<&'a dyn Fn(RowId) -> bool>,
    /// For a quantized index without stored vectors: writes a row's full vector into the
    /// buffer (cleared first, reused across calls) for exact re-ranking; returning false
    /// keeps the approximate distance. Asked only about rows the filter accepted.
    pub fetch: Option<&'a FetchFn<'a>>,
    /// For a quantized index: how many of the best approximate candidates are re-ranked
    /// exactly; `None` means `max(k, ef_search)`.
    pub rerank: Option<usize>,
}

impl<'a> SearchOptions<'a> {
    /// `k` results, the index's `ef_search`, no filter.
    pub fn new(k: usize) -> SearchOptions<'a> {
        SearchOptions { k, ef_search: None, filter: None, fetch: None, rerank: None }
    }
}

impl fmt::Debug for SearchOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchOptions")
            .field("k", &self.k)
            .field("ef_search", &self.ef_search)
            .field("filter", &self.filter.is_some())
            .field("fetch", &self.fetch.is_some())
            .field("rerank", &self.rerank)
            .finish()
    }
}

/// A Hierarchical Navigable Small World index over `(RowId, vector)` pairs.
///
/// Not internally synchronised: searches take `&self` and may run in parallel; inserts,
/// deletes and vacuum take `&mut self` (the SQL layer wraps the index in a lock).
/// Changes are kept in memory and written to a [`crate::NodeStore`] by
/// [`HnswIndex::flush`].
#[derive(Clone)]
pub struct HnswIndex {
    pub(crate) params: HnswParams,
    pub(crate) graph: Graph,
    pub(crate) data: VectorData,
    pub(crate) row_map: RowMap,
    pub(crate) rng: SplitMix64,
    pub(crate) deleted: usize,
    /// Slots whose record must be rewritten by the next flush.
    pub(crate) dirty: BTreeSet<u32>,
    pub(crate) meta_dirty: bool,
}

impl fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HnswIndex")
            .field("params", &self.params)
            .field("live", &self.row_map.len())
            .field("deleted", &self.deleted)
            .finish()
    }
}

impl HnswIndex {
    /// An empty unquantized index. A quantized index needs training data: use
    /// [`HnswIndex::train`].
    pub fn new(params: HnswParams) -> Result<HnswIndex> {
        params.validate()?;
        if params.quantization != Quantization::None {
            return Err(VectorError::InvalidArgument(
                "a quantized index must be trained on sample vectors first".into(),
            ));
        }
        Ok(HnswIndex::with_quantizer(params, Quantizer::None))
    }

    /// An empty index whose quantizer (per `params.quantization`) is trained on `sample`,
    /// `sample.len() / dim` vectors laid end to end (PQ needs at least 256). Without
    /// quantization the sample is ignored.
    pub fn train(params: HnswParams, sample: &[f32]) -> Result<HnswIndex> {
        params.validate()?;
        if params.quantization == Quantization::None {
            return Ok(HnswIndex::with_quantizer(params, Quantizer::None));
        }
        let dim = params.dim;
        if !sample.len().is_multiple_of(dim) {
            return Err(VectorError::InvalidArgument(format!(
                "training sample of {} floats is not a whole number of {dim}-dimensional vectors",
                sample.len()
            )));
        }
        let mut prepared = sample.to_vec();
        for v in prepared.chunks_exact_mut(dim) {
            check_vector(v, dim)?;
            if params.metric.normalizes() {
                normalize(v);
            }
        }
        let quantizer = match params.quantization {
            Quantization::None => Quantizer::None,
            Quantization::Pq(config) => Quantizer::Pq(PqCodebook::train(&prepared, dim, &config)?),
            Quantization::Sq8 => Quantizer::Sq8(Sq8Quantizer::train(&prepared, dim)?),
        };
        Ok(HnswIndex::with_quantizer(params, quantizer))
    }

    pub(crate) fn with_quantizer(params: HnswParams, quantizer: Quantizer) -> HnswIndex {
        HnswIndex {
            graph: Graph::new(params.m, params.max_links(0)),
            data: VectorData::new(params.dim, params.metric, quantizer, params.stores_vectors()),
            row_map: RowMap::default(),
            rng: SplitMix64::new(params.seed),
            deleted: 0,
            dirty: BTreeSet::new(),
            meta_dirty: true,
            params,
        }
    }

    /// The index's parameters.
    pub fn params(&self) -> &HnswParams {
        &self.params
    }

    /// Sets the default `ef_search` (`SET hnsw.ef_search`), 1..=1000.
    pub fn set_ef_search(&mut self, ef_search: usize) -> Result<()> {
        HnswParams { ef_search, ..self.params }.validate()?;
        self.params.ef_search = ef_search;
        self.meta_dirty = true;
        Ok(())
    }

    /// Forgets the full vectors of a quantized index that kept them, leaving only the
    /// codes: build with exact distances (the better graph), then serve from the codes
    /// (re-ranking through [`SearchOptions::fetch`]). Every node record must be rewritten
    /// by the next flush, without its vector. No effect on an unquantized index.
    pub fn drop_full_vectors(&mut self) {
        if self.params.quantization == Quantization::None || self.data.full.is_none() {
            return;
        }
        self.data.full = None;
        self.params.keep_vectors = false;
        self.shrink_to_fit();
        self.meta_dirty = true;
        for id in 0..self.graph.slots() as u32 {
            if self.graph.states[id as usize] != NodeState::Vacant {
                self.dirty.insert(id);
            }
        }
    }

    /// Releases the spare capacity growth left in the index's arrays (call after a bulk
    /// build or load; [`HnswIndex::stats`] counts allocated bytes).
    pub fn shrink_to_fit(&mut self) {
        self.graph.shrink_to_fit();
        self.data.shrink_to_fit();
        self.row_map.shrink_to_fit();
    }

    /// Number of live (not deleted) rows.
    pub fn len(&self) -> usize {
        self.row_map.len()
    }

    /// Whether no live row is indexed.
    pub fn is_empty(&self) -> bool {
        self.row_map.is_empty()
    }

    /// Number of layers of the graph (0 when empty).
    pub fn layers(&self) -> usize {
        if self.graph.entry.is_some() {
            self.graph.max_level + 1
        } else {
            0
        }
    }

    /// Whether `row` is live in the index.
    pub fn contains(&self, row: RowId) -> bool {
        self.row_map.contains(row)
    }

    /// The vector as stored for comparison: normalised for cosine.
    pub(crate) fn prepare(&self, v: &[f32]) -> Vec<f32> {
        let mut out = v.to_vec();
        if self.params.metric.normalizes() {
            normalize(&mut out);
        }
        out
    }

    /// The `k` nearest rows accepted by `filter`, nearest first.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: &dyn Fn(RowId) -> bool,
    ) -> Result<Vec<Hit>> {
        self.search_with(query, &SearchOptions { filter: Some(filter), ..SearchOptions::new(k) })
    }

    /// Search with every option (see [`SearchOptions`]).
    pub fn search_with(&self, query: &[f32], options: &SearchOptions<'_>) -> Result<Vec<Hit>> {
        check_vector(query, self.params.dim)?;
        let ef = options.ef_search.unwrap_or(self.params.ef_search);
        if ef == 0 {
            return Err(VectorError::OptionOutOfBounds {
                option: "ef_search",
                value: 0,
                min: 1,
                max: 1000,
            });
        }
        // `LIMIT ALL` or a huge `ef_search` must not size buffers beyond the index.
        let live = self.row_map.len();
        let reachable = self.graph.slots() - self.graph.free.len();
        let k = options.k.min(live);
        if k == 0 {
            return Ok(Vec::new());
        }
        let ef = ef.min(reachable);
        let q = self.prepare(query);
        let scorer = self.data.search_scorer(&q);
        let exact = scorer.is_exact();
        let want = if exact { k } else { options.rerank.unwrap_or(ef.max(k)).max(k).min(live) };
        let mut memo: HashMap<u32, bool> = HashMap::new();
        let mut accept = |id: u32| {
            if self.graph.states[id as usize] != NodeState::Live {
                return false;
            }
            match options.filter {
                None => true,
                Some(f) => *memo.entry(id).or_insert_with(|| f(self.graph.rows[id as usize])),
            }
        };
        let found = knn(&self.graph, &scorer, k, ef, want, reachable, &mut accept);

        let metric = self.params.metric;
        let mut hits: Vec<(f32, RowId)> = Vec::with_capacity(found.len());
        let mut buf: Vec<f32> = Vec::with_capacity(self.params.dim);
        for c in found {
            let row = self.graph.rows[c.id as usize];
            let dist = if exact {
                c.dist
            } else if let Some(v) = self.data.full(c.id) {
                metric.index_distance(&q, v)
            } else if options.fetch.is_some_and(|fetch| {
                buf.clear();
                fetch(row, &mut buf)
            }) {
                check_vector(&buf, self.params.dim)?;
                if metric.normalizes() {
                    normalize(&mut buf);
                }
                metric.index_distance(&q, &buf)
            } else {
                c.dist
            };
            hits.push((dist, row));
        }
        if !exact {
            hits.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        hits.truncate(k);
        Ok(hits
            .into_iter()
            .map(|(d, row)| Hit { row, distance: metric.to_user_distance(d) })
            .collect())
    }

    /// Bytes of memory used, by part.
    pub fn stats(&self) -> MemoryStats {
        let (vector_bytes, code_bytes) = self.data.memory_bytes();
        MemoryStats {
            live: self.row_map.len(),
            deleted: self.deleted,
            slots: self.graph.slots(),
            graph_bytes: self.graph.memory_bytes() + self.row_map.memory_bytes(),
            vector_bytes,
            code_bytes,
            codebook_bytes: self.data.quantizer.memory_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;

    #[test]
    fn index_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HnswIndex>();
    }

    #[test]
    fn huge_k_and_ef_are_capped() {
        let mut index = HnswIndex::new(HnswParams::new(2, Metric::L2)).expect("valid");
        for i in 0..20u64 {
            index.insert(RowId(i), &[i as f32, 1.0]).expect("insert");
        }
        let opts = SearchOptions { ef_search: Some(usize::MAX), ..SearchOptions::new(usize::MAX) };
        let hits = index.search_with(&[0.0, 0.0], &opts).expect("search");
        assert_eq!(hits.len(), 20, "LIMIT ALL returns every row");
        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
    }

    #[test]
    fn insert_after_deleting_everything_is_still_found() {
        let mut index = HnswIndex::new(HnswParams::new(2, Metric::L2)).expect("valid");
        for i in 0..30u64 {
            index.insert(RowId(i), &[i as f32, 0.0]).expect("insert");
        }
        for i in 0..30u64 {
            index.delete(RowId(i));
        }
        index.insert(RowId(100), &[5.0, 5.0]).expect("insert");
        let hits = index.search(&[0.0, 0.0], 3, &|_| true).expect("search");
        assert_eq!(hits.iter().map(|h| h.row).collect::<Vec<_>>(), vec![RowId(100)]);
        assert_eq!(index.vacuum(), 30);
        let hits = index.search(&[0.0, 0.0], 3, &|_| true).expect("search");
        assert_eq!(hits.iter().map(|h| h.row).collect::<Vec<_>>(), vec![RowId(100)]);
    }

    #[test]
    fn widening_stops_when_the_graph_is_exhausted() {
        let mut index = HnswIndex::new(HnswParams::new(2, Metric::L2)).expect("valid");
        for i in 0..50u64 {
            index.insert(RowId(i), &[i as f32, 0.0]).expect("insert");
        }
        let asked = std::cell::Cell::new(0);
        let none = |_: RowId| {
            asked.set(asked.get() + 1);
            false
        };
        let opts =
            SearchOptions { ef_search: Some(1), filter: Some(&none), ..SearchOptions::new(3) };
        assert!(index.search_with(&[0.0, 0.0], &opts).expect("search").is_empty());
        // Every node was considered once (the answer is memoised across widening rounds).
        assert_eq!(asked.get(), 50);
        let even = |r: RowId| r.0.is_multiple_of(2);
        let opts =
            SearchOptions { ef_search: Some(1), filter: Some(&even), ..SearchOptions::new(3) };
        let rows: Vec<u64> = index
            .search_with(&[0.0, 0.0], &opts)
            .expect("search")
            .iter()
            .map(|h| h.row.0)
            .collect();
        assert_eq!(rows, vec![0, 2, 4]);
    }
}
