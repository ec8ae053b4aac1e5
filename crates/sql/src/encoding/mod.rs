//! How SQL objects are laid out in the storage keyspace: key prefixes for the catalog,
//! table rows, secondary index entries and sequence values. Key bytes of SQL values come
//! from `helios_types`' order-preserving key encoding, row bytes from its row format.

pub mod keys;
pub mod scan;

pub use scan::{prefix_range, ScanPages};
