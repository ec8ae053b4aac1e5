//! Network address functions: `abbrev`, `broadcast`, `family`, `host`, `hostmask`,
//! `masklen`, `netmask`, `network`, `set_masklen`, `text`, `inet_same_family`,
//! `inet_merge`, `cidr`, and the functions behind the `inet` operators
//! (`network_sub` for `<<`, `inetpl` for `+`, ...; see `expr/bind_inet.rs`), plus
//! `macaddr`'s `trunc` and bitwise operators. The address arithmetic itself lives in
//! `helios_types::net`.

use std::sync::LazyLock;

use helios_common::Result;
use helios_types::{DataType, Inet, MacAddr, Value};

use crate::functions::registry::{p, Registry, ReturnType, ScalarFunction};
use crate::functions::string::i;

use DataType::{Bool, Cidr, Int4, Int8, Text};

const INET: DataType = DataType::Inet;
const MAC: DataType = DataType::MacAddr;

/// The address of an `inet` or `cidr` argument (strict functions never see NULL).
fn net(v: &Value) -> Inet {
    match v {
        Value::Inet(a) | Value::Cidr(a) => *a,
        _ => Inet::new(helios_types::net::Family::V4, 0, &[0; 4]).expect("a valid address"),
    }
}

fn mac(v: &Value) -> MacAddr {
    match v {
        Value::MacAddr(m) => *m,
        _ => MacAddr([0; 6]),
    }
}

/// Registers the network address functions.
pub(crate) fn register(r: &mut Registry) {
    use helios_types::net::format::{abbrev_cidr, format_cidr, format_host, format_inet};
    let ret = ReturnType::Exact;
    r.add("abbrev", vec![p(INET)], ret(Text), |a, _| Ok(Value::Text(format_inet(&net(&a[0])))));
    r.add("abbrev", vec![p(Cidr)], ret(Text), |a, _| Ok(Value::Text(abbrev_cidr(&net(&a[0])))));
    r.add("text", vec![p(INET)], ret(Text), |a, _| Ok(Value::Text(format_cidr(&net(&a[0])))));
    r.add("host", vec![p(INET)], ret(Text), |a, _| Ok(Value::Text(format_host(&net(&a[0])))));
    r.add("family", vec![p(INET)], ret(Int4), |a, _| {
        Ok(Value::Int4(match net(&a[0]).family() {
            helios_types::net::Family::V4 => 4,
            helios_types::net::Family::V6 => 6,
        }))
    });
    r.add("masklen", vec![p(INET)], ret(Int4), |a, _| {
        Ok(Value::Int4(i32::from(net(&a[0]).bits())))
    });
    r.add("broadcast", vec![p(INET)], ret(INET), |a, _| Ok(Value::Inet(net(&a[0]).broadcast())));
    r.add("hostmask", vec![p(INET)], ret(INET), |a, _| Ok(Value::Inet(net(&a[0]).hostmask())));
    r.add("netmask", vec![p(INET)], ret(INET), |a, _| Ok(Value::Inet(net(&a[0]).netmask())));
    r.add("network", vec![p(INET)], ret(Cidr), |a, _| Ok(Value::Cidr(net(&a[0]).network())));
    r.add("cidr", vec![p(INET)], ret(Cidr), |a, _| Ok(Value::Cidr(net(&a[0]).network())));
    r.add("set_masklen", vec![p(INET), p(Int4)], ret(INET), |a, _| {
        Ok(Value::Inet(net(&a[0]).set_masklen(i(&a[1]), false)?))
    });
    r.add("set_masklen", vec![p(Cidr), p(Int4)], ret(Cidr), |a, _| {
        Ok(Value::Cidr(net(&a[0]).set_masklen(i(&a[1]), true)?))
    });
    r.add("inet_same_family", vec![p(INET), p(INET)], ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[0]).family() == net(&a[1]).family()))
    });
    r.add("inet_merge", vec![p(INET), p(INET)], ret(Cidr), |a, _| {
        Ok(Value::Cidr(net(&a[0]).merge(&net(&a[1]))?))
    });
    register_operators(r);
    r.add("trunc", vec![p(MAC)], ret(MAC), |a, _| Ok(Value::MacAddr(mac(&a[0]).trunc())));
    r.add("macaddr_not", vec![p(MAC)], ret(MAC), |a, _| {
        Ok(Value::MacAddr(mac(&a[0]).bitwise(mac(&a[0]), '~')))
    });
    r.add("macaddr_and", vec![p(MAC), p(MAC)], ret(MAC), |a, _| {
        Ok(Value::MacAddr(mac(&a[0]).bitwise(mac(&a[1]), '&')))
    });
    r.add("macaddr_or", vec![p(MAC), p(MAC)], ret(MAC), |a, _| {
        Ok(Value::MacAddr(mac(&a[0]).bitwise(mac(&a[1]), '|')))
    });
}

/// The functions PostgreSQL's `inet` operators call, under their `pg_proc` names.
fn register_operators(r: &mut Registry) {
    let ret = ReturnType::Exact;
    let pair = || vec![p(INET), p(INET)];
    r.add("network_sub", pair(), ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[1]).contains(&net(&a[0]), true)))
    });
    r.add("network_subeq", pair(), ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[1]).contains(&net(&a[0]), false)))
    });
    r.add("network_sup", pair(), ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[0]).contains(&net(&a[1]), true)))
    });
    r.add("network_supeq", pair(), ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[0]).contains(&net(&a[1]), false)))
    });
    r.add("network_overlap", pair(), ret(Bool), |a, _| {
        Ok(Value::Bool(net(&a[0]).overlaps(&net(&a[1]))))
    });
    r.add("inetnot", vec![p(INET)], ret(INET), |a, _| Ok(Value::Inet(net(&a[0]).not())));
    r.add("inetand", pair(), ret(INET), |a, _| {
        Ok(Value::Inet(net(&a[0]).bitwise(&net(&a[1]), true)?))
    });
    r.add("inetor", pair(), ret(INET), |a, _| {
        Ok(Value::Inet(net(&a[0]).bitwise(&net(&a[1]), false)?))
    });
    r.add("inetpl", vec![p(INET), p(Int8)], ret(INET), |a, _| add(&a[0], i128::from(i(&a[1]))));
    r.add("int8pl_inet", vec![p(Int8), p(INET)], ret(INET), |a, _| {
        add(&a[1], i128::from(i(&a[0])))
    });
    r.add("inetmi_int8", vec![p(INET), p(Int8)], ret(INET), |a, _| {
        add(&a[0], -i128::from(i(&a[1])))
    });
    r.add("inetmi", pair(), ret(Int8), |a, _| Ok(Value::Int8(net(&a[0]).difference(&net(&a[1]))?)));
}

/// The operator a network function stands for, so EXPLAIN shows `(i << '...')` as
/// PostgreSQL does.
pub(crate) fn operator_symbol(func: &str) -> Option<&'static str> {
    Some(match func {
        "network_sub" => "<<",
        "network_subeq" => "<<=",
        "network_sup" => ">>",
        "network_supeq" => ">>=",
        "network_overlap" => "&&",
        "inetnot" | "macaddr_not" => "~",
        "inetand" | "macaddr_and" => "&",
        "inetor" | "macaddr_or" => "|",
        "inetpl" | "int8pl_inet" => "+",
        "inetmi" | "inetmi_int8" => "-",
        _ => return None,
    })
}

fn add(v: &Value, addend: i128) -> Result<Value> {
    Ok(Value::Inet(net(v).add(addend)?))
}

/// The bounds of the index range that holds every address inside a network: the
/// network itself (`first` true) or its last host address (`first` false), for
/// `col << net` and `col <<= net` (see `optimizer/index_selection.rs`). In PostgreSQL's
/// order every address a network contains sorts between these two.
pub(crate) fn subnet_bound_function(first: bool) -> &'static ScalarFunction {
    fn bound(a: &[Value], first: bool) -> Value {
        match a.first() {
            Some(Value::Inet(x) | Value::Cidr(x)) if first => Value::Inet(x.network()),
            Some(Value::Inet(x) | Value::Cidr(x)) => {
                Value::Inet(x.broadcast().set_masklen(-1, false).unwrap_or(*x))
            }
            _ => Value::Null,
        }
    }
    static FIRST: LazyLock<ScalarFunction> = LazyLock::new(|| ScalarFunction {
        name: "network",
        params: vec![p(INET)],
        variadic: false,
        ret: ReturnType::Exact(INET),
        eval: |a, _| Ok(bound(a, true)),
        strict: true,
        volatile: false,
    });
    static LAST: LazyLock<ScalarFunction> = LazyLock::new(|| ScalarFunction {
        name: "inet_subnet_last",
        params: vec![p(INET)],
        variadic: false,
        ret: ReturnType::Exact(INET),
        eval: |a, _| Ok(bound(a, false)),
        strict: true,
        volatile: false,
    });
    if first {
        &FIRST
    } else {
        &LAST
    }
}
