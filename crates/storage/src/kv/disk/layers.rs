//! What the disk engine's snapshots read on top of redb: the changes of every commit
//! since redb last took them, in layers.
//!
//! Small commits go into one ordered map, the *top* layer. A large commit (a bulk load)
//! is not copied into the map: its journal record's payload is kept as it was written,
//! with the offsets of its ops in key order (a [`Run`]), so that publishing a million
//! changes costs one sort check instead of a million map inserts. The top map as it was
//! then is frozen below the run, and small commits after it start a new top map. A
//! background flush writes frozen layers into redb and drops them; a checkpoint writes
//! every layer.
//!
//! ```text
//!   get:   top ──▶ frozen layers, newest first ──▶ redb
//!   scan:  every layer's changes in the range merged, the newest layer's winning a key,
//!          then merged with redb's pairs (deletes hide them)
//! ```

use std::cmp::Ordering;
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

use imbl::OrdMap;

use super::journal::{op_at, push_op_parts, Op, OP_HEAD};
use crate::kv::KvRange;

/// Small commits' changes since redb last took them, by key: `Some` value put, `None`
/// deleted.
pub(crate) type Overlay = OrdMap<Arc<[u8]>, Option<Arc<[u8]>>>;

/// One change: a key and its value, `None` when deleted.
pub(crate) type Change<'a> = Op<'a>;

/// Changes in scan order.
pub(crate) type ChangeIter<'a> = Box<dyn Iterator<Item = Change<'a>> + 'a>;

/// A frozen layer: a map of small commits, or a large commit's run.
#[derive(Clone)]
pub(crate) enum Layer {
    Map(Overlay),
    Run(Arc<Run>),
}

impl Layer {
    fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        match self {
            Layer::Map(m) => m.get(key).map(|v| v.as_deref()),
            Layer::Run(r) => r.get(key),
        }
    }

    /// The layer's changes in `range`, in scan order.
    pub(crate) fn range<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> ChangeIter<'a> {
        match self {
            Layer::Map(m) => map_range(m, range, reverse),
            Layer::Run(r) => r.range(range, reverse),
        }
    }
}

fn map_range<'a>(map: &'a Overlay, range: KvRange<'_>, reverse: bool) -> ChangeIter<'a> {
    let iter = map.range::<_, [u8]>(range).map(|(k, v)| (&**k, v.as_deref()));
    if reverse {
        Box::new(iter.rev())
    } else {
        Box::new(iter)
    }
}

/// Every change redb does not hold yet: frozen layers (oldest first) under the top map.
/// Cloning is cheap: maps share their nodes and runs are reference-counted.
#[derive(Clone, Default)]
pub(crate) struct Changes {
    pub(crate) frozen: Vec<Layer>,
    pub(crate) top: Overlay,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.frozen.is_empty() && self.top.is_empty()
    }

    /// The newest change of `key`: `Some(None)` when it was deleted, `None` when no
    /// layer holds it (redb's value stands).
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        if let Some(v) = self.top.get(key) {
            return Some(v.as_deref());
        }
        self.frozen.iter().rev().find_map(|layer| layer.get(key))
    }

    /// The newest change of every key in `range`, in scan order; deletes included.
    pub(crate) fn range<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> ChangeIter<'a> {
        if self.frozen.is_empty() {
            return map_range(&self.top, range, reverse);
        }
        let layers = std::iter::once(map_range(&self.top, range, reverse))
            .chain(self.frozen.iter().rev().map(|layer| layer.range(range, reverse)))
            .map(Iterator::peekable)
            .collect();
        Box::new(Newest { layers, reverse })
    }

    /// Every layer, oldest first, the top map last: what a checkpoint writes, in order.
    pub(crate) fn layers(&self) -> impl Iterator<Item = Layer> + '_ {
        self.frozen.iter().cloned().chain(std::iter::once(Layer::Map(self.top.clone())))
    }
}

/// Several layers' changes merged in scan order; of the changes of one key, the newest
/// layer's (the first in `layers`).
struct Newest<'a> {
    layers: Vec<Peekable<ChangeIter<'a>>>,
    reverse: bool,
}

impl<'a> Iterator for Newest<'a> {
    type Item = Change<'a>;

    fn next(&mut self) -> Option<Change<'a>> {
        let mut best: Option<(usize, &[u8])> = None;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let Some(&(key, _)) = layer.peek() else { continue };
            let first = match best {
                None => true,
                Some((_, b)) => {
                    let ord = key.cmp(b);
                    if self.reverse {
                        ord == Ordering::Greater
                    } else {
                        ord == Ordering::Less
                    }
                }
            };
            if first {
                best = Some((i, key));
            }
        }
        let (i, key) = best?;
        let change = self.layers[i].next();
        // Older layers' changes of the same key are superseded.
        for layer in &mut self.layers[i + 1..] {
            layer.next_if(|&(k, _)| k == key);
        }
        change
    }
}

/// A large commit's changes: its journal payload (in the chunks it was built and written
/// in) and where its ops are in key order, one per key (the last op of a key the commit
/// wrote twice).
pub(crate) struct Run {
    chunks: Vec<Arc<Vec<u8>>>,
    order: Vec<OpAt>,
}

/// Payloads above this go to redb directly instead of becoming a run.
pub(crate) const MAX_RUN_PAYLOAD: usize = 1 << 30;

/// Payload bytes per chunk: a full chunk goes to the journal while the next is built.
const CHUNK: usize = 4 << 20;

/// Where an op is: its chunk (high 32 bits) and its offset in the chunk (low 32 bits).
type OpAt = u64;

/// Builds a [`Run`] op by op, in chunks.
#[derive(Default)]
pub(crate) struct RunBuilder {
    /// The full chunks.
    chunks: Vec<Arc<Vec<u8>>>,
    /// The chunk being filled.
    current: Vec<u8>,
    /// Op offsets by keyspace (the first key byte), in the order the ops came.
    spaces: Vec<Space>,
}

/// The ops of one keyspace in a [`RunBuilder`].
struct Space {
    first_byte: u8,
    offsets: Vec<OpAt>,
    /// Whether the keys came in strictly ascending order (the usual case: no sort).
    ascending: bool,
    /// The last key.
    last: Vec<u8>,
}

impl RunBuilder {
    /// Appends one op (`value` as parts to concatenate; `None` deletes). Returns the
    /// chunk this op's arrival filled up, to be written.
    pub(crate) fn push(&mut self, key: &[u8], value: Option<&[&[u8]]>) -> Option<Arc<Vec<u8>>> {
        let value_len: usize = value.map_or(0, |parts| parts.iter().map(|p| p.len()).sum());
        let op_len = OP_HEAD + key.len() + value_len;
        let full = (!self.current.is_empty() && self.current.len() + op_len > CHUNK)
            .then(|| self.seal(Vec::with_capacity(CHUNK)));
        let at = ((self.chunks.len() as u64) << 32) | self.current.len() as u64;
        push_op_parts(&mut self.current, key, value);
        let first_byte = key.first().copied().unwrap_or(0);
        let i = match self.spaces.iter().position(|s| s.first_byte == first_byte) {
            Some(i) => i,
            None => {
                self.spaces.push(Space {
                    first_byte,
                    offsets: Vec::new(),
                    ascending: true,
                    last: Vec::new(),
                });
                self.spaces.len() - 1
            }
        };
        let space = &mut self.spaces[i];
        if space.ascending && !space.offsets.is_empty() {
            space.ascending = space.last.as_slice() < key;
        }
        space.last.clear();
        space.last.extend_from_slice(key);
        space.offsets.push(at);
        full
    }

    /// Closes the chunk being filled, replacing it with `next`.
    fn seal(&mut self, next: Vec<u8>) -> Arc<Vec<u8>> {
        let chunk = Arc::new(std::mem::replace(&mut self.current, next));
        self.chunks.push(chunk.clone());
        chunk
    }

    /// Closes the last chunk, if it holds anything, and returns it to be written.
    pub(crate) fn last_chunk(&mut self) -> Option<Arc<Vec<u8>>> {
        (!self.current.is_empty()).then(|| self.seal(Vec::new()))
    }

    /// The closed chunks, in order: the payload once [`RunBuilder::last_chunk`] closed
    /// the last one.
    pub(crate) fn chunks(&self) -> &[Arc<Vec<u8>>] {
        &self.chunks
    }

    /// The run (after [`RunBuilder::last_chunk`]): keyspaces in order, each one's offsets
    /// sorted by key (stable, so that of the ops of one key the last comes last) and then
    /// only the last op of each key.
    pub(crate) fn finish(self) -> Run {
        let RunBuilder { chunks, mut spaces, .. } = self;
        spaces.sort_by_key(|s| s.first_byte);
        let mut order = Vec::with_capacity(spaces.iter().map(|s| s.offsets.len()).sum());
        let key = |at: OpAt| op(&chunks, at).0;
        for Space { mut offsets, ascending, .. } in spaces {
            if !ascending {
                offsets.sort_by(|&a, &b| key(a).cmp(key(b)));
                // Keep the last of equal keys: walk backwards, dropping repeats.
                offsets.reverse();
                offsets.dedup_by(|a, b| key(*a) == key(*b));
                offsets.reverse();
            }
            order.extend_from_slice(&offsets);
        }
        Run { chunks, order }
    }
}

/// The op at `at` of chunks the engine built itself (so it decodes).
fn op(chunks: &[Arc<Vec<u8>>], at: OpAt) -> Change<'_> {
    let decoded = chunks
        .get((at >> 32) as usize)
        .and_then(|chunk| op_at(chunk, (at & u64::from(u32::MAX)) as usize).ok());
    match decoded {
        Some((op, _)) => op,
        None => (&[], None),
    }
}

impl Run {
    fn key(&self, at: OpAt) -> &[u8] {
        op(&self.chunks, at).0
    }

    fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        let i = self.order.binary_search_by(|&at| self.key(at).cmp(key)).ok()?;
        Some(op(&self.chunks, self.order[i]).1)
    }

    /// The run's changes in `range`, in scan order.
    fn range<'a>(&'a self, (lo, hi): KvRange<'_>, reverse: bool) -> ChangeIter<'a> {
        let start = match lo {
            Bound::Included(k) => self.order.partition_point(|&at| self.key(at) < k),
            Bound::Excluded(k) => self.order.partition_point(|&at| self.key(at) <= k),
            Bound::Unbounded => 0,
        };
        let end = match hi {
            Bound::Included(k) => self.order.partition_point(|&at| self.key(at) <= k),
            Bound::Excluded(k) => self.order.partition_point(|&at| self.key(at) < k),
            Bound::Unbounded => self.order.len(),
        };
        let slice = self.order.get(start..end.max(start)).unwrap_or_default();
        let chunks = &self.chunks;
        let iter = slice.iter().map(move |&at| op(chunks, at));
        if reverse {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ops: &[(&[u8], Option<&[u8]>)]) -> Run {
        let mut b = RunBuilder::default();
        for &(k, v) in ops {
            match v {
                Some(v) => b.push(k, Some(&[v])),
                None => b.push(k, None),
            };
        }
        b.last_chunk();
        b.finish()
    }

    fn all(layer: &Layer, reverse: bool) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        layer
            .range((Bound::Unbounded, Bound::Unbounded), reverse)
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect()
    }

    #[test]
    fn a_run_reads_its_ops_in_key_order_keeping_the_last_of_a_key() {
        // Two keyspaces interleaved; the second one out of order with a key written twice.
        let r = Layer::Run(Arc::new(run(&[
            (b"\x01a", Some(b"1")),
            (b"\x04z", None),
            (b"\x01b", Some(b"2")),
            (b"\x04m", Some(b"old")),
            (b"\x01c", Some(b"3")),
            (b"\x04m", Some(b"new")),
            (b"\x04a", Some(b"x")),
        ])));
        let want: Vec<(Vec<u8>, Option<Vec<u8>>)> = vec![
            (b"\x01a".to_vec(), Some(b"1".to_vec())),
            (b"\x01b".to_vec(), Some(b"2".to_vec())),
            (b"\x01c".to_vec(), Some(b"3".to_vec())),
            (b"\x04a".to_vec(), Some(b"x".to_vec())),
            (b"\x04m".to_vec(), Some(b"new".to_vec())),
            (b"\x04z".to_vec(), None),
        ];
        assert_eq!(all(&r, false), want);
        assert_eq!(all(&r, true), want.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(r.get(b"\x04m"), Some(Some(&b"new"[..])));
        assert_eq!(r.get(b"\x04z"), Some(None));
        assert_eq!(r.get(b"\x01bb"), None);
        let mid: Vec<_> = r
            .range((Bound::Excluded(b"\x01a"), Bound::Included(b"\x04a")), false)
            .map(|(k, _)| k.to_vec())
            .collect();
        assert_eq!(mid, [b"\x01b".to_vec(), b"\x01c".to_vec(), b"\x04a".to_vec()]);
        let none: Vec<_> =
            r.range((Bound::Included(b"\x04n"), Bound::Excluded(b"\x04b")), true).collect();
        assert!(none.is_empty());
    }

    #[test]
    fn a_run_is_built_and_read_in_chunks() {
        let big = vec![7u8; 3 << 20]; // one such value per 4 MiB chunk
        let mut b = RunBuilder::default();
        let mut closed = 0;
        for i in 0..5u8 {
            closed += usize::from(b.push(&[1, i], Some(&[&big, &[i]])).is_some());
        }
        closed += usize::from(b.push(&[1, 9], None).is_some());
        assert!(b.last_chunk().is_some());
        assert_eq!((closed, b.chunks().len()), (4, 5));
        // The chunks, in order, are the payload: every op once.
        let ops: Vec<Vec<u8>> = b
            .chunks()
            .iter()
            .flat_map(|c| super::super::journal::ops(c).map(|op| op.expect("op").0.to_vec()))
            .collect();
        assert_eq!(ops, [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [1, 9]]);
        let r = Layer::Run(Arc::new(b.finish()));
        let tail = |v: Option<Option<&[u8]>>| v.map(|v| v.map(|v| (v.len(), v[v.len() - 1])));
        assert_eq!(tail(r.get(&[1, 3])), Some(Some(((3 << 20) + 1, 3))));
        assert_eq!(tail(r.get(&[1, 9])), Some(None));
        let keys: Vec<Vec<u8>> = r
            .range((Bound::Excluded(&[1, 1]), Bound::Unbounded), true)
            .map(|(k, _)| k.to_vec())
            .collect();
        assert_eq!(keys, [[1, 9], [1, 4], [1, 3], [1, 2]]);
    }

    #[test]
    fn the_newest_layer_wins_a_key_and_its_deletes_show() {
        let mut top = Overlay::new();
        top.insert(Arc::from(&b"b"[..]), None);
        top.insert(Arc::from(&b"d"[..]), Some(Arc::from(&b"top"[..])));
        let mut old = Overlay::new();
        old.insert(Arc::from(&b"a"[..]), Some(Arc::from(&b"old"[..])));
        old.insert(Arc::from(&b"c"[..]), Some(Arc::from(&b"old"[..])));
        let changes = Changes {
            frozen: vec![
                Layer::Map(old),
                Layer::Run(Arc::new(run(&[
                    (b"a", Some(b"run")),
                    (b"b", Some(b"run")),
                    (b"e", Some(b"run")),
                ]))),
            ],
            top,
        };
        let got = |reverse| -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
            changes
                .range((Bound::Unbounded, Bound::Unbounded), reverse)
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect()
        };
        let want: Vec<(Vec<u8>, Option<Vec<u8>>)> = vec![
            (b"a".to_vec(), Some(b"run".to_vec())),
            (b"b".to_vec(), None),
            (b"c".to_vec(), Some(b"old".to_vec())),
            (b"d".to_vec(), Some(b"top".to_vec())),
            (b"e".to_vec(), Some(b"run".to_vec())),
        ];
        assert_eq!(got(false), want);
        assert_eq!(got(true), want.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(changes.get(b"a"), Some(Some(&b"run"[..])));
        assert_eq!(changes.get(b"b"), Some(None));
        assert_eq!(changes.get(b"c"), Some(Some(&b"old"[..])));
        assert_eq!(changes.get(b"z"), None);
    }
}
