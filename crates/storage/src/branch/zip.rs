//! Walks several sorted (key, value) streams side by side.

use helios_common::Result;

/// A sorted stream of visible (key, value) pairs.
pub(crate) type State<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;

/// For every key present in any stream, in ascending order: the key and each stream's
/// value (`None` where absent).
pub(crate) struct Zip<'a> {
    streams: Vec<std::iter::Peekable<State<'a>>>,
}

impl<'a> Zip<'a> {
    /// Zips `streams`.
    pub(crate) fn new(streams: Vec<State<'a>>) -> Zip<'a> {
        Zip { streams: streams.into_iter().map(Iterator::peekable).collect() }
    }
}

impl Iterator for Zip<'_> {
    type Item = Result<(Vec<u8>, Vec<Option<Vec<u8>>>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut min: Option<Vec<u8>> = None;
        for s in &mut self.streams {
            match s.peek() {
                Some(Err(_)) => return s.next().map(|r| r.map(|_| (Vec::new(), Vec::new()))),
                Some(Ok((k, _))) if min.as_ref().is_none_or(|m| k < m) => min = Some(k.clone()),
                _ => {}
            }
        }
        let key = min?;
        let values = self
            .streams
            .iter_mut()
            .map(|s| match s.peek() {
                Some(Ok((k, _))) if *k == key => s.next().and_then(|r| r.ok()).map(|(_, v)| v),
                _ => None,
            })
            .collect();
        Some(Ok((key, values)))
    }
}
