//! The function library: scalar functions by family, aggregates, window functions and
//! set-returning (table) functions.
//!
//! Scalar functions are registered in [`registry`] with PostgreSQL signatures and
//! resolved by the binder. Aggregates ([`aggregate`]) and window functions ([`window`])
//! are only described here; the executor drives them.

pub mod accumulator;
mod advisory;
pub mod aggregate;
pub mod array;
mod bytea_fns;
mod catalog;
mod catalog_defs;
pub mod datetime;
pub mod datetime_part;
pub mod enums;
pub mod float_stats;
pub mod format;
mod from_char;
pub mod helios;
pub(crate) mod inet;
pub mod json;
pub mod json_record;
mod jsonb_fns;
mod jsonb_subscript;
pub mod jsonpath;
pub mod math;
pub mod math_numeric;
mod notify_fns;
mod operator_fns;
pub mod ordered_set;
mod overlaps;
mod pgcrypto;
mod privilege_fns;
pub mod range;
mod range_agg;
mod range_subdiff;
pub mod regex_fns;
pub mod registry;
pub mod string;
pub mod system;
pub mod table;
pub mod to_char;
mod to_number;
mod trigger_fns;
pub mod tsearch;
mod unistr;
pub mod vector;
pub mod window;

/// Registers every scalar function family.
pub(crate) fn register_all(r: &mut registry::Registry) {
    string::register(r);
    format::register(r);
    regex_fns::register(r);
    bytea_fns::register(r);
    unistr::register(r);
    jsonb_subscript::register(r);
    jsonb_fns::register(r);
    math::register(r);
    range_subdiff::register(r);
    datetime::register(r);
    overlaps::register(r);
    json::register(r);
    jsonpath::register(r);
    array::register(r);
    system::register(r);
    pgcrypto::register(r);
    advisory::register(r);
    notify_fns::register(r);
    trigger_fns::register(r);
    helios::register(r);
    vector::register(r);
    catalog::register(r);
    catalog_defs::register(r);
    tsearch::register(r);
    privilege_fns::register(r);
    operator_fns::register(r);
    inet::register(r);
}
