//! PostgreSQL's network address types: `inet` and `cidr` ([`Inet`]) and `macaddr`
//! ([`MacAddr`]).
//!
//! An `inet` is an IPv4 or IPv6 host address with an optional netmask length; a `cidr`
//! is a network, whose address has no bits set to the right of its mask. Both are held
//! as one [`Inet`]: the SQL type (`Value::Inet` or `Value::Cidr`) says which, exactly as
//! PostgreSQL keeps one C struct for both and lets `cidr` be binary-coercible to `inet`.
//!
//! ```text
//!   family   bits   addr (4 bytes for IPv4, 16 for IPv6, network byte order)
//!   V4       24     192.168.1.7          inet  '192.168.1.7/24'
//!   V4       24     192.168.1.0          cidr  '192.168.1.0/24'
//! ```
//!
//! - [`parse`]: text input, PostgreSQL's forms (`cidr` also takes abbreviated and
//!   classful IPv4 such as `10` or `128.1`).
//! - [`format`]: text output, `abbrev`, `host` and `text`, IPv6 compressed as
//!   PostgreSQL prints it.
//! - [`ops`]: ordering, containment, bitwise and arithmetic operators and the
//!   network functions (`network`, `broadcast`, `inet_merge`, ...).
//!
//! Values order as in PostgreSQL: IPv4 before IPv6, then the network part over the
//! shorter of the two masks, then the mask length, then the whole address.

pub mod format;
pub mod macaddr;
pub mod ops;
pub mod parse;

pub use macaddr::MacAddr;

/// The address family of an [`Inet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4: 4 address bytes, masks up to 32 bits.
    V4,
    /// IPv6: 16 address bytes, masks up to 128 bits.
    V6,
}

impl Family {
    /// Bytes of an address of this family.
    pub fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }

    /// The longest mask of this family (32 or 128).
    pub fn max_bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// PostgreSQL's family code in the binary wire format (`PGSQL_AF_INET` = 2,
    /// `PGSQL_AF_INET6` = 3); it is also what `family()` reports as 4 or 6.
    pub fn wire_code(self) -> u8 {
        match self {
            Family::V4 => 2,
            Family::V6 => 3,
        }
    }

    /// The family of a wire code.
    pub fn from_wire_code(code: u8) -> Option<Family> {
        match code {
            2 => Some(Family::V4),
            3 => Some(Family::V6),
            _ => None,
        }
    }
}

/// An IPv4 or IPv6 address with a netmask length: the value of an `inet` or a `cidr`.
///
/// Invariant: `bits <= family.max_bits()`, and the bytes of `addr` past
/// `family.addr_len()` are zero (so derived equality and hashing see only the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inet {
    family: Family,
    bits: u8,
    addr: [u8; 16],
}

impl Inet {
    /// An address of `family` from its bytes (exactly `family.addr_len()` of them) and mask
    /// length; `None` when either does not fit the family.
    pub fn new(family: Family, bits: u8, bytes: &[u8]) -> Option<Inet> {
        if bytes.len() != family.addr_len() || bits > family.max_bits() {
            return None;
        }
        let mut addr = [0u8; 16];
        addr[..bytes.len()].copy_from_slice(bytes);
        Some(Inet { family, bits, addr })
    }

    /// The address family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The netmask length (`masklen`).
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
    pub fn addr(&self) -> &[u8] {
        &self.addr[..self.family.addr_len()]
    }

    /// The address as an unsigned integer (IPv4 in the low 32 bits).
    pub(crate) fn to_u128(self) -> u128 {
        self.addr().iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
    }

    /// The address of this family whose integer value is `n` (which must fit the
    /// family), keeping `bits`.
    pub(crate) fn with_u128(self, n: u128) -> Inet {
        let len = self.family.addr_len();
        let mut addr = [0u8; 16];
        let bytes = n.to_be_bytes();
        addr[..len].copy_from_slice(&bytes[16 - len..]);
        Inet { addr, ..self }
    }

    /// The largest address integer of the family.
    pub(crate) fn max_u128(self) -> u128 {
        match self.family {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    /// The netmask of `bits` leading ones, as an address integer of the family.
    pub(crate) fn mask_u128(self, bits: u8) -> u128 {
        let max = self.family.max_bits();
        if bits == 0 {
            return 0;
        }
        let ones = u128::MAX << (128 - u32::from(bits));
        ones >> (128 - u32::from(max))
    }

    /// Whether no bit right of the mask is set: the address is a valid `cidr`.
    pub fn is_network(&self) -> bool {
        self.to_u128() & !self.mask_u128(self.bits) & self.max_u128() == 0
    }

    /// The same address with another mask length (which must fit the family).
    pub(crate) fn with_bits(self, bits: u8) -> Inet {
        Inet { bits, ..self }
    }
}

impl PartialOrd for Inet {
    fn partial_cmp(&self, other: &Inet) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Inet {
    /// PostgreSQL's `network_cmp`: family, then the network part over the shorter
    /// mask, then the mask length, then the whole address.
    fn cmp(&self, other: &Inet) -> std::cmp::Ordering {
        self.family
            .cmp(&other.family)
            .then_with(|| {
                let common = self.bits.min(other.bits);
                let m = self.mask_u128(common);
                (self.to_u128() & m).cmp(&(other.to_u128() & m))
            })
            .then_with(|| self.bits.cmp(&other.bits))
            .then_with(|| self.to_u128().cmp(&other.to_u128()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Inet {
        parse::parse_inet(s, false).unwrap()
    }

    #[test]
    fn masks_and_networks() {
        let a = v4("192.168.1.7/24");
        assert_eq!(a.mask_u128(24), 0xffff_ff00);
        assert_eq!(a.mask_u128(0), 0);
        assert_eq!(a.mask_u128(32), 0xffff_ffff);
        assert!(!a.is_network());
        assert!(v4("192.168.1.0/24").is_network());
        let six = parse::parse_inet("2001:db8::/32", false).unwrap();
        assert_eq!(six.mask_u128(128), u128::MAX);
        assert!(six.is_network());
    }

    #[test]
    fn orders_like_postgres() {
        let mut xs: Vec<Inet> = ["::1", "10.0.0.0/8", "10.0.0.1", "9.255.255.255", "10.0.0.0/16"]
            .iter()
            .map(|s| parse::parse_inet(s, false).unwrap())
            .collect();
        xs.sort();
        let texts: Vec<String> = xs.iter().map(format::format_inet).collect();
        assert_eq!(texts, ["9.255.255.255", "10.0.0.0/8", "10.0.0.0/16", "10.0.0.1", "::1"]);
    }
}
