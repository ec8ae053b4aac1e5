//! Binary format of the network address types, as PostgreSQL's `inet_send` /
//! `inet_recv` and `macaddr_send` / `macaddr_recv`:
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 1 | family: 2 = IPv4 (`PGSQL_AF_INET`), 3 = IPv6 (`PGSQL_AF_INET6`) |
//! | 1 | 1 | netmask length |
//! | 2 | 1 | 1 for `cidr`, 0 for `inet` (ignored on input) |
//! | 3 | 1 | address length: 4 or 16 |
//! | 4 | 4 or 16 | address, network byte order |
//!
//! `macaddr` is its six bytes.

use bytes::{BufMut, BytesMut};
use helios_common::{Error, Result, SqlState};
use helios_types::net::Family;
use helios_types::{DataType, Inet, MacAddr, Value};

use super::{fixed, mismatch};

/// Appends the binary form of an `inet`, `cidr` or `macaddr` value.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    match value {
        Value::Inet(a) | Value::Cidr(a) => {
            out.put_u8(a.family().wire_code());
            out.put_u8(a.bits());
            out.put_u8(u8::from(*ty == DataType::Cidr));
            out.put_u8(a.addr().len() as u8);
            out.put_slice(a.addr());
        }
        Value::MacAddr(m) => out.put_slice(&m.0),
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

/// `22P03` with PostgreSQL's wording for external network values.
fn invalid(what: &str, ty: &DataType) -> Error {
    Error::new(
        SqlState::INVALID_BINARY_REPRESENTATION,
        format!("invalid {what} in external \"{ty}\" value"),
    )
}

/// Decodes an `inet`, `cidr` or `macaddr` value.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    if *ty == DataType::MacAddr {
        return Ok(Value::MacAddr(MacAddr(fixed(bytes, "macaddr")?)));
    }
    let [family, bits, _is_cidr, len, addr @ ..] = bytes else {
        return Err(super::bad_binary(format!("{ty} value truncated")));
    };
    let family = Family::from_wire_code(*family).ok_or_else(|| invalid("address family", ty))?;
    if *bits > family.max_bits() {
        return Err(invalid("bits", ty));
    }
    if usize::from(*len) != family.addr_len() || addr.len() != family.addr_len() {
        return Err(invalid("length", ty));
    }
    let a = Inet::new(family, *bits, addr).ok_or_else(|| invalid("length", ty))?;
    if *ty == DataType::Cidr {
        if !a.is_network() {
            return Err(Error::new(
                SqlState::INVALID_BINARY_REPRESENTATION,
                "invalid external \"cidr\" value",
            )
            .with_detail("Value has bits set to right of mask."));
        }
        return Ok(Value::Cidr(a));
    }
    Ok(Value::Inet(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, ty: DataType) -> Vec<u8> {
        let v = Value::parse_pg_text(text, &ty).unwrap();
        let mut buf = BytesMut::new();
        encode(&v, &ty, &mut buf).unwrap();
        assert_eq!(decode(&buf, &ty).unwrap(), v);
        buf.to_vec()
    }

    #[test]
    fn postgres_layout() {
        assert_eq!(round_trip("192.168.1.5/24", DataType::Inet), [2, 24, 0, 4, 192, 168, 1, 5]);
        assert_eq!(round_trip("10.0.0.0/8", DataType::Cidr), [2, 8, 1, 4, 10, 0, 0, 0]);
        let six = round_trip("::1", DataType::Inet);
        assert_eq!(six[..4], [3, 128, 0, 16]);
        assert_eq!(six[4..], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(round_trip("08:00:2b:01:02:03", DataType::MacAddr), [8, 0, 0x2b, 1, 2, 3]);
    }

    #[test]
    fn malformed_input_is_22p03() {
        for (bytes, ty) in [
            (&[2u8, 24, 0][..], DataType::Inet),
            (&[4u8, 24, 0, 4, 1, 2, 3, 4][..], DataType::Inet),
            (&[2u8, 33, 0, 4, 1, 2, 3, 4][..], DataType::Inet),
            (&[2u8, 24, 0, 16, 1, 2, 3, 4][..], DataType::Inet),
            (&[2u8, 24, 0, 4, 1, 2, 3][..], DataType::Inet),
            (&[2u8, 8, 1, 4, 10, 1, 0, 0][..], DataType::Cidr),
            (&[1u8, 2, 3][..], DataType::MacAddr),
        ] {
            let e = decode(bytes, &ty).unwrap_err();
            assert_eq!(e.sqlstate().code(), "22P03", "{bytes:?}");
        }
    }
}
