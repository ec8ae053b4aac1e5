//! Item methods: `.type()`, `.size()`, `.abs()`, `.floor()`, `.ceiling()`,
//! `.double()` and `.keyvalue()` (`.datetime()` is in `datetime.rs`).

use std::str::FromStr;

use bigdecimal::BigDecimal;
use helios_types::jsonpath::{Accessor, Method};
use helios_types::{numeric_ops, Numeric};
use serde_json::{Map, Value as Json};

use super::exec::{Exec, Found, Res, Status};
use super::item::{
    number_json, soft, Fail, Item, ARRAY_NOT_FOUND, NON_NUMERIC_ITEM, OBJECT_NOT_FOUND,
};
use super::layout::{container_offset, equal_container_offset};

impl<'a> Exec<'a> {
    /// Applies item method `m` to `jb`.
    pub(super) fn method(
        &mut self,
        m: Method,
        rest: &[Accessor],
        jb: Item<'a>,
        found: Found<'_, 'a>,
        unwrap: bool,
    ) -> Res {
        let acc = Accessor::Method(m);
        match m {
            Method::Type => {
                let name = jb.type_name();
                self.next(rest, Item::owned(Json::String(name.into())), found)
            }
            Method::Size => {
                let size = if jb.is_array() {
                    jb.elements().len()
                } else {
                    if !self.lax {
                        if !self.ignore_structural {
                            return Err(soft(
                                ARRAY_NOT_FOUND,
                                "jsonpath item method .size() can only be applied to an array",
                            ));
                        }
                        return Ok(Status::NotFound);
                    }
                    1
                };
                self.next(rest, Item::number(&BigDecimal::from(size as u64)), found)
            }
            Method::Abs | Method::Floor | Method::Ceiling => {
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((&acc, rest)), &jb, found, false);
                }
                let Some(n) = jb.as_number() else {
                    return Err(soft(
                        NON_NUMERIC_ITEM,
                        format!(
                            "jsonpath item method .{}() can only be applied to a numeric value",
                            m.name()
                        ),
                    ));
                };
                let n = Numeric::finite(n);
                let out = match m {
                    Method::Abs => Ok(numeric_ops::abs(&n)),
                    Method::Floor => numeric_ops::floor(&n),
                    _ => numeric_ops::ceil(&n),
                }
                .map_err(|e| Fail::Soft(e.into()))?;
                let Numeric::Finite(d) = out else { return Ok(Status::NotFound) };
                self.next(rest, Item::number(&d), found)
            }
            Method::Double => {
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((&acc, rest)), &jb, found, false);
                }
                let v = match jb.json() {
                    Some(Json::Number(n)) => {
                        let ok = n.to_string().parse::<f64>().is_ok_and(f64::is_finite);
                        if !ok {
                            return Err(soft(
                                NON_NUMERIC_ITEM,
                                "numeric argument of jsonpath item method .double() is out of range for type double precision",
                            ));
                        }
                        jb.clone()
                    }
                    Some(Json::String(s)) => {
                        let Some(d) = parse_double(s) else {
                            return Err(soft(
                                NON_NUMERIC_ITEM,
                                "string argument of jsonpath item method .double() is not a valid representation of a double precision number",
                            ));
                        };
                        Item::owned(number_json(&d))
                    }
                    _ => {
                        return Err(soft(
                            NON_NUMERIC_ITEM,
                            "jsonpath item method .double() can only be applied to a string or numeric value",
                        ))
                    }
                };
                self.next(rest, v, found)
            }
            Method::KeyValue => {
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((&acc, rest)), &jb, found, false);
                }
                if !jb.is_object() {
                    return Err(soft(
                        OBJECT_NOT_FOUND,
                        "jsonpath item method .keyvalue() can only be applied to an object",
                    ));
                }
                self.keyvalue(rest, jb, found)
            }
        }
    }

    fn keyvalue(&mut self, rest: &[Accessor], jb: Item<'a>, mut found: Found<'_, 'a>) -> Res {
        let members = jb.members();
        if members.is_empty() {
            return Ok(Status::NotFound);
        }
        let id = self.object_id(&jb);
        let mut res = Status::NotFound;
        for (key, value) in members {
            let mut obj = Map::new();
            obj.insert("key".into(), Json::String(key));
            obj.insert("value".into(), value.json().cloned().unwrap_or(Json::Null));
            obj.insert("id".into(), Json::Number(id.into()));
            let obj = Json::Object(obj);
            // Each generated object is the base document of what is read from it.
            let base = (self.generated_id, obj.clone());
            self.generated_id += 1;
            let saved = self.generated_base.replace(base);
            let r = self.next(rest, Item::owned(obj), found.as_deref_mut());
            self.generated_base = saved;
            res = r?;
            if res == Status::Ok && found.is_none() {
                break;
            }
        }
        Ok(res)
    }

    /// PostgreSQL's object id for `.keyvalue()`: the byte offset of the object inside
    /// the binary `jsonb` it belongs to, plus 10^10 times that document's number (0 for
    /// the context item, 1 for the `vars` object, 2, 3, ... for the objects earlier
    /// `.keyvalue()` calls made, in order).
    fn object_id(&self, jb: &Item<'a>) -> i64 {
        match jb {
            Item::Json(std::borrow::Cow::Borrowed(target)) => {
                if let Some(off) = container_offset(self.root, target) {
                    return off;
                }
                if let Some(off) = container_offset(self.vars, target) {
                    return 10_000_000_000 + off;
                }
                0
            }
            Item::Json(std::borrow::Cow::Owned(target)) => match &self.generated_base {
                Some((id, base)) => {
                    equal_container_offset(base, target).map_or(0, |off| id * 10_000_000_000 + off)
                }
                None => 0,
            },
            Item::DateTime(_) => 0,
        }
    }
}

/// Reads a string as PostgreSQL's `float8in` would and converts it to `numeric` the
/// way `float8_numeric` does (15 significant digits); `None` for invalid, infinite or
/// NaN input.
fn parse_double(s: &str) -> Option<BigDecimal> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let text = format!("{v:.14e}");
    let d = BigDecimal::from_str(&text).ok()?;
    Some(d.normalized().with_scale(d.normalized().fractional_digit_count().max(0)))
}
