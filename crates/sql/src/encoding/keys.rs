//! The key layout of the SQL layer inside one branch's flat keyspace.
//!
//! | key                                               | value                          |
//! |---------------------------------------------------|--------------------------------|
//! | `01 00`                                           | catalog version token (8 bytes)|
//! | `01 01`                                           | next object id (u32 BE)        |
//! | `01 02` schema id (u32 BE)                        | schema record (JSON)           |
//! | `01 03` table id (u32 BE)                         | table record (JSON)            |
//! | `01 04` sequence id (u32 BE)                      | sequence record (JSON)         |
//! | `01 05` view id (u32 BE)                          | view record (JSON)             |
//! | `01 06` extension id (u32 BE)                     | extension record (JSON)        |
//! | `01 07` role id (u32 BE)                          | role record (JSON)             |
//! | `01 08 00000000`                                  | database record (JSON)         |
//! | `01 09` .. `01 0b` id (u32 BE)                    | type, routine, trigger (JSON)  |
//! | `01 0c` table id (u32 BE)                         | partitioning record (JSON)     |
//! | `02` table id (u32 BE) `00000000` primary key     | row (types' row format)        |
//! | `02` table id (u32 BE) index id (u32 BE) entry    | primary key bytes              |
//! | `03` sequence id (u32 BE)                         | last value (i64 BE), is_called |
//!
//! A primary key is the key encoding of the key columns, or of the hidden `rowid`
//! (bigint) for tables without one. A secondary index entry is the key encoding of the
//! indexed columns followed by the row's primary key bytes, so entries are unique even in
//! non-unique indexes; its value repeats the primary key bytes for the lookup.

/// Prefix of every catalog key.
pub const CATALOG: u8 = 0x01;
/// Prefix of every table and index key.
pub const DATA: u8 = 0x02;
/// Prefix of every sequence value key.
pub const SEQUENCE: u8 = 0x03;

/// Kinds of catalog records (second key byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CatalogKind {
    /// The catalog version token.
    Version = 0,
    /// The next object id counter.
    NextId = 1,
    /// A schema.
    Schema = 2,
    /// A table.
    Table = 3,
    /// A sequence.
    Sequence = 4,
    /// A view.
    View = 5,
    /// An installed extension.
    Extension = 6,
    /// A role.
    Role = 7,
    /// The database's own record (id 0).
    Database = 8,
    /// A user-defined type (enum or domain).
    Type = 9,
    /// A user-defined function or procedure.
    Function = 10,
    /// A trigger.
    Trigger = 11,
    /// A partitioned table's key or a partition's parent and bound.
    Partition = 12,
}

/// The key of the catalog version token.
pub fn catalog_version() -> Vec<u8> {
    vec![CATALOG, CatalogKind::Version as u8]
}

/// The key of the object id counter.
pub fn next_object_id() -> Vec<u8> {
    vec![CATALOG, CatalogKind::NextId as u8]
}

/// The key of one catalog record.
pub fn catalog_record(kind: CatalogKind, id: u32) -> Vec<u8> {
    let mut k = vec![CATALOG, kind as u8];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of all catalog records of a kind.
pub fn catalog_kind_prefix(kind: CatalogKind) -> Vec<u8> {
    vec![CATALOG, kind as u8]
}

/// The prefix of all entries of one index of a table (`0` = the rows themselves).
pub fn index_prefix(table: u32, index: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(DATA);
    k.extend_from_slice(&table.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The prefix of every key of a table, its indexes included.
pub fn table_prefix(table: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(DATA);
    k.extend_from_slice(&table.to_be_bytes());
    k
}

/// The key of a row: the primary-storage prefix followed by the primary key bytes.
pub fn row_key(table: u32, pk: &[u8]) -> Vec<u8> {
    let mut k = index_prefix(table, 0);
    k.extend_from_slice(pk);
    k
}

/// The key of a sequence's value.
pub fn sequence_value(id: u32) -> Vec<u8> {
    let mut k = vec![SEQUENCE];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sort_inside_their_table_and_index() {
        let a = row_key(7, &[1]);
        let b = row_key(7, &[2]);
        let idx = index_prefix(7, 1);
        let next_table = table_prefix(8);
        assert!(a < b && b < idx && idx < next_table);
        assert!(a.starts_with(&table_prefix(7)));
        assert!(catalog_record(CatalogKind::Table, 1) < index_prefix(0, 0));
    }
}
