//! Operators and functions of `inet` and `cidr` with PostgreSQL's results and errors:
//! containment (`<<`, `<<=`, `>>`, `>>=`, `&&`), bitwise `~ & |`, `+`/`-` with a
//! `bigint`, the difference of two addresses, and `network`, `broadcast`, `netmask`,
//! `hostmask`, `set_masklen`, `inet_merge`.

use helios_common::SqlState;

use super::Inet;
use crate::error::{TypeError, TypeResult};

fn out_of_range() -> TypeError {
    TypeError::other(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "result is out of range")
}

impl Inet {
    /// Whether `other` lies inside this network: `self >> other` (`strict`) or
    /// `self >>= other`. Different families never contain each other.
    pub fn contains(&self, other: &Inet, strict: bool) -> bool {
        if self.family != other.family {
            return false;
        }
        let wider = if strict { self.bits < other.bits } else { self.bits <= other.bits };
        let m = self.mask_u128(self.bits);
        wider && self.to_u128() & m == other.to_u128() & m
    }

    /// `self && other`: either network contains the other.
    pub fn overlaps(&self, other: &Inet) -> bool {
        if self.family != other.family {
            return false;
        }
        let m = self.mask_u128(self.bits.min(other.bits));
        self.to_u128() & m == other.to_u128() & m
    }

    /// `network()`: the address with its host bits cleared.
    pub fn network(&self) -> Inet {
        self.with_u128(self.to_u128() & self.mask_u128(self.bits))
    }

    /// `broadcast()`: the address with its host bits set.
    pub fn broadcast(&self) -> Inet {
        let host = !self.mask_u128(self.bits) & self.max_u128();
        self.with_u128(self.to_u128() | host)
    }

    /// `netmask()`: the mask as a host address.
    pub fn netmask(&self) -> Inet {
        self.with_u128(self.mask_u128(self.bits)).with_bits(self.family.max_bits())
    }

    /// `hostmask()`: the inverted mask as a host address.
    pub fn hostmask(&self) -> Inet {
        let host = !self.mask_u128(self.bits) & self.max_u128();
        self.with_u128(host).with_bits(self.family.max_bits())
    }

    /// `set_masklen()`: the same address with mask length `bits` (-1 means the
    /// family's full length); a `cidr` (`cidr` true) also loses its host bits.
    /// `22023 invalid mask length: n` when it does not fit the family.
    pub fn set_masklen(&self, bits: i64, cidr: bool) -> TypeResult<Inet> {
        let bits = if bits == -1 { i64::from(self.family.max_bits()) } else { bits };
        let b =
            u8::try_from(bits).ok().filter(|b| *b <= self.family.max_bits()).ok_or_else(|| {
                TypeError::other(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid mask length: {bits}"),
                )
            })?;
        let out = self.with_bits(b);
        Ok(if cidr { out.network() } else { out })
    }

    /// `~`: every address bit inverted.
    pub fn not(&self) -> Inet {
        self.with_u128(!self.to_u128() & self.max_u128())
    }

    /// `&` (`and` true) or `|`: bitwise on two addresses of one family; the result
    /// keeps the longer mask. `22023 cannot AND inet values of different sizes`.
    pub fn bitwise(&self, other: &Inet, and: bool) -> TypeResult<Inet> {
        if self.family != other.family {
            let what = if and { "AND" } else { "OR" };
            return Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("cannot {what} inet values of different sizes"),
            ));
        }
        let (a, b) = (self.to_u128(), other.to_u128());
        let v = if and { a & b } else { a | b };
        Ok(self.with_u128(v).with_bits(self.bits.max(other.bits)))
    }

    /// `inet + bigint` (and `inet - bigint` with the negated addend): `22003 result is
    /// out of range` past either end of the family's address space.
    pub fn add(&self, addend: i128) -> TypeResult<Inet> {
        let v = if addend >= 0 {
            self.to_u128().checked_add(addend.unsigned_abs())
        } else {
            self.to_u128().checked_sub(addend.unsigned_abs())
        };
        match v {
            Some(v) if v <= self.max_u128() => Ok(self.with_u128(v)),
            _ => Err(out_of_range()),
        }
    }

    /// `inet - inet`: the difference of two addresses of one family as a `bigint`.
    /// `22023 cannot subtract inet values of different sizes`; `22003 result is out
    /// of range` when it does not fit.
    pub fn difference(&self, other: &Inet) -> TypeResult<i64> {
        if self.family != other.family {
            return Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                "cannot subtract inet values of different sizes",
            ));
        }
        let (a, b) = (self.to_u128(), other.to_u128());
        let d = if a >= b {
            i64::try_from(a - b).ok()
        } else {
            // `b - a` may be exactly 2^63, which is i64::MIN negated.
            let m = b - a;
            (m <= 1u128 << 63).then(|| (m as i64).wrapping_neg())
        };
        d.ok_or_else(out_of_range)
    }

    /// `inet_merge()`: the smallest network containing both addresses.
    /// `22023 cannot merge addresses from different families`.
    pub fn merge(&self, other: &Inet) -> TypeResult<Inet> {
        if self.family != other.family {
            return Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                "cannot merge addresses from different families",
            ));
        }
        let (a, b) = (self.to_u128(), other.to_u128());
        let width = self.family.max_bits();
        // Leading bits the two addresses share, within the family's width.
        let shared = ((a ^ b).leading_zeros() - (128 - u32::from(width))) as u8;
        let bits = shared.min(self.bits).min(other.bits);
        Ok(self.with_bits(bits).network())
    }
}

#[cfg(test)]
mod tests {
    use crate::net::format::{format_cidr, format_inet};
    use crate::net::parse::parse_inet;
    use crate::net::Inet;

    fn i(s: &str) -> Inet {
        parse_inet(s, false).unwrap()
    }

    #[test]
    fn containment() {
        assert!(i("10.0.0.0/8").contains(&i("10.1.2.3"), true));
        assert!(!i("10.0.0.0/8").contains(&i("10.0.0.0/8"), true));
        assert!(i("10.0.0.0/8").contains(&i("10.0.0.0/8"), false));
        assert!(!i("10.0.0.0/8").contains(&i("11.0.0.0/16"), false));
        assert!(!i("::/0").contains(&i("1.2.3.4"), false));
        assert!(i("10.0.0.0/8").overlaps(&i("10.1.0.0/16")));
        assert!(!i("10.0.0.0/16").overlaps(&i("10.1.0.0/16")));
    }

    #[test]
    fn derived_addresses() {
        let a = i("192.168.1.5/24");
        assert_eq!(format_cidr(&a.network()), "192.168.1.0/24");
        assert_eq!(format_inet(&a.broadcast()), "192.168.1.255/24");
        assert_eq!(format_inet(&a.netmask()), "255.255.255.0");
        assert_eq!(format_inet(&a.hostmask()), "0.0.0.255");
        assert_eq!(format_inet(&i("::1/64").netmask()), "ffff:ffff:ffff:ffff::");
        assert_eq!(format_inet(&a.set_masklen(16, false).unwrap()), "192.168.1.5/16");
        assert_eq!(format_cidr(&a.set_masklen(16, true).unwrap()), "192.168.0.0/16");
        assert_eq!(format_inet(&a.set_masklen(-1, false).unwrap()), "192.168.1.5");
        assert_eq!(a.set_masklen(33, false).unwrap_err().to_string(), "invalid mask length: 33");
    }

    #[test]
    fn bitwise_and_arithmetic() {
        assert_eq!(format_inet(&i("192.168.1.6").not()), "63.87.254.249");
        let and = i("192.168.1.6").bitwise(&i("0.0.0.255/8"), true).unwrap();
        assert_eq!(format_inet(&and), "0.0.0.6");
        assert!(i("1.2.3.4").bitwise(&i("::1"), false).is_err());
        assert_eq!(format_inet(&i("192.168.1.6").add(25).unwrap()), "192.168.1.31");
        assert_eq!(format_inet(&i("0.0.0.0").add(-0).unwrap()), "0.0.0.0");
        assert!(i("255.255.255.255").add(1).is_err());
        assert!(i("0.0.0.0").add(-1).is_err());
        let top = i("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
        assert_eq!(format_inet(&top.add(1).unwrap()), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert!(top.add(2).is_err());
        assert_eq!(format_inet(&top.add(-1).unwrap()), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd");
        assert_eq!(i("192.168.1.43").difference(&i("192.168.1.19")).unwrap(), 24);
        assert_eq!(i("0.0.0.0").difference(&i("255.255.255.255")).unwrap(), -4294967295);
        assert!(i("::").difference(&i("ffff::")).is_err());
    }

    #[test]
    fn merging() {
        let m = i("192.168.1.5/24").merge(&i("192.168.2.5/24")).unwrap();
        assert_eq!(format_cidr(&m), "192.168.0.0/22");
        let same = i("10.0.0.1").merge(&i("10.0.0.1")).unwrap();
        assert_eq!(format_cidr(&same), "10.0.0.1/32");
        assert!(i("1.2.3.4").merge(&i("::1")).is_err());
    }
}
