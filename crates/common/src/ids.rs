//! Id and timestamp newtypes that cross crate boundaries.

use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

id_newtype!(
    /// A branch of the database; `main` is [`BranchId::MAIN`].
    BranchId(u32)
);
id_newtype!(
    /// A table (or any other keyed relation such as a sequence or a catalog table).
    TableId(u32)
);
id_newtype!(
    /// An index of a table; the table's primary storage is [`IndexId::PRIMARY`].
    IndexId(u32)
);
id_newtype!(
    /// A transaction id, assigned at commit and recorded in the commit log.
    TxnId(u64)
);
id_newtype!(
    /// A hybrid-logical-clock timestamp: microseconds since the Unix epoch, strictly
    /// increasing across commits, so it is also a point in real time.
    Timestamp(u64)
);

impl BranchId {
    /// The branch every database starts with.
    pub const MAIN: BranchId = BranchId(1);
}

impl IndexId {
    /// The primary (clustered) storage of a table's rows.
    pub const PRIMARY: IndexId = IndexId(0);
}

impl Timestamp {
    /// Earlier than every commit.
    pub const ZERO: Timestamp = Timestamp(0);
    /// Later than every commit: reads at `MAX` see the latest committed state.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// Microseconds since the Unix epoch.
    pub fn as_micros(self) -> u64 {
        self.0
    }
}
