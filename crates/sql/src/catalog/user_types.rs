//! User-defined types: enums (`CREATE TYPE ... AS ENUM`), composite types (`CREATE TYPE
//! ... AS (f1 type, ...)`), range types (`CREATE TYPE ... AS RANGE`) and domains
//! (`CREATE DOMAIN`).
//!
//! A [`TypeDef`] is one catalog record (kind `Type`), stored like every other record, so
//! types are transactional, branched and visible to time travel. Its id is the type's
//! OID; the id after it is reserved for the type's array type (`_mood`).
//!
//! Enum labels carry immutable order keys (see [`helios_types::enum_type`]): rows and
//! indexes store the key, so adding a label anywhere or renaming one never rewrites data.
//!
//! A domain is its base type plus constraints. Columns of a domain hold values of the
//! base type and record the domain's id ([`super::ColumnDef::domain`]); writes and casts
//! to the domain check its NOT NULL and CHECK constraints.
//!
//! A range type takes four ids: the range type's, its array type's, its multirange
//! type's and the multirange's array type's ([`RangeDef`]).
//!
//! A composite type is its list of attributes. Every table also has a row type of the
//! same name whose OID is the table's id ([`build_records`]). Composite values are stored
//! with their fields (see `docs/storage-format.md`); an attribute added later reads as
//! NULL from older values.
//!
//! Column types that are enums are stored as `enum#<oid>` (ranges as `range#<oid>` and
//! `multirange#<oid>`, composite types as `record#<oid>`; see
//! [`super::typename::stored_spelling`]) and read back as placeholders, which
//! [`super::Catalog::set_types`] replaces with the definitions of the same snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use helios_types::{DataType, EnumLabel, EnumType, RangeType, RecordField, RecordType};
use serde::{Deserialize, Serialize};

use super::CheckDef;

/// One label of an enum as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumLabelDef {
    /// The label text.
    pub label: String,
    /// Its immutable order key.
    pub key: Vec<u8>,
}

/// A domain: a base type with constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDef {
    /// The underlying (non-domain) type.
    #[serde(with = "super::defs::type_text")]
    pub base: DataType,
    /// The domain this one is declared over, if any: its constraints apply too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// `DEFAULT` as SQL text.
    pub default: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The name of the NOT NULL constraint when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_null_name: Option<String>,
    /// `CHECK` constraints; their conditions use `VALUE`.
    pub checks: Vec<CheckDef>,
}

/// A range type: its subtype and its multirange type's name. Its OIDs are the record's
/// id (range), id + 1 (range array), id + 2 (multirange), id + 3 (multirange array).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeDef {
    /// The bounds' type (a domain's base type for a domain).
    #[serde(with = "super::defs::type_text")]
    pub subtype: DataType,
    /// The multirange type's name (same schema).
    pub multirange_name: String,
    /// The domain named as the subtype, if it was one (a dependency for DROP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<u32>,
}

/// One attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDef {
    /// The attribute name.
    pub name: String,
    /// Its type.
    #[serde(with = "super::defs::type_text")]
    pub data_type: DataType,
}

/// What a user-defined type is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TypeKind {
    /// An enum with its labels in sort order.
    Enum(Vec<EnumLabelDef>),
    /// A domain.
    Domain(DomainDef),
    /// A range type (and its multirange type).
    Range(RangeDef),
    /// A composite type with its attributes in order.
    Composite(Vec<AttributeDef>),
}

/// A user-defined type record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Object id, which is also the type's OID; `id + 1` is its array type's OID.
    pub id: u32,
    /// Schema name.
    pub schema: String,
    /// Type name.
    pub name: String,
    /// Enum or domain.
    pub kind: TypeKind,
    /// Owner.
    #[serde(default, skip_serializing_if = "super::ObjectAccess::is_default")]
    pub access: super::ObjectAccess,
}

impl TypeDef {
    /// The enum type this record defines, if it is an enum.
    pub fn enum_type(&self) -> Option<EnumType> {
        match &self.kind {
            TypeKind::Enum(labels) => Some(EnumType {
                oid: self.id,
                schema: self.schema.clone(),
                name: self.name.clone(),
                labels: labels
                    .iter()
                    .map(|l| EnumLabel { label: l.label.clone(), key: l.key.clone() })
                    .collect(),
            }),
            TypeKind::Domain(_) | TypeKind::Range(_) | TypeKind::Composite(_) => None,
        }
    }

    /// The range type this record defines, if it is a range type.
    pub fn range_type(&self) -> Option<RangeType> {
        match &self.kind {
            TypeKind::Range(r) => Some(RangeType {
                oid: self.id,
                array_oid: self.id + 1,
                multirange_oid: self.id + 2,
                multirange_array_oid: self.id + 3,
                schema: self.schema.clone(),
                name: self.name.clone(),
                multirange_name: r.multirange_name.clone(),
                subtype: r.subtype.clone(),
            }),
            _ => None,
        }
    }

    /// The domain definition, if it is a domain.
    pub fn domain(&self) -> Option<&DomainDef> {
        match &self.kind {
            TypeKind::Domain(d) => Some(d),
            TypeKind::Enum(_) | TypeKind::Range(_) | TypeKind::Composite(_) => None,
        }
    }

    /// `"enum"`, `"domain"` or `"range"`, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            TypeKind::Enum(_) => "enum",
            TypeKind::Domain(_) => "domain",
            TypeKind::Range(_) => "range",
            TypeKind::Composite(_) => "composite",
        }
    }

    /// The type a column of this type holds: the enum, range or composite type itself, or
    /// the domain's base.
    pub fn value_type(
        &self,
        enums: &HashMap<u32, Arc<EnumType>>,
        ranges: &HashMap<u32, Arc<RangeType>>,
        records: &HashMap<u32, Arc<RecordType>>,
    ) -> DataType {
        match &self.kind {
            TypeKind::Composite(_) => match records.get(&self.id) {
                Some(t) => DataType::Record(t.clone()),
                None => DataType::Record(Arc::new(RecordType::placeholder(self.id))),
            },
            TypeKind::Range(_) => match ranges.get(&self.id) {
                Some(t) => DataType::Range(t.clone()),
                None => DataType::Range(Arc::new(RangeType::placeholder(self.id))),
            },
            TypeKind::Enum(_) => match enums.get(&self.id) {
                Some(t) => DataType::Enum(t.clone()),
                None => DataType::Enum(Arc::new(EnumType::placeholder(self.id))),
            },
            TypeKind::Domain(d) => d.base.clone(),
        }
    }
}

/// Replaces enum placeholders in `ty` by the definitions in `enums`.
pub fn patch_type(ty: &mut DataType, enums: &HashMap<u32, Arc<EnumType>>) {
    match ty {
        DataType::Enum(t) => {
            if let Some(full) = enums.get(&t.oid) {
                *t = full.clone();
            }
        }
        DataType::Array(elem) => patch_type(elem, enums),
        _ => {}
    }
}

/// Replaces user-defined range placeholders in `ty` by the definitions in `ranges`.
pub fn patch_range_type(ty: &mut DataType, ranges: &HashMap<u32, Arc<RangeType>>) {
    match ty {
        DataType::Range(t) | DataType::Multirange(t) => {
            if let Some(full) = ranges.get(&t.oid) {
                *t = full.clone();
            }
        }
        DataType::Array(elem) => patch_range_type(elem, ranges),
        _ => {}
    }
}

/// The OIDs of the composite placeholders in `ty`.
pub fn placeholder_oids(ty: &DataType, out: &mut Vec<u32>) {
    match ty {
        DataType::Record(t) if t.is_placeholder() => out.push(t.oid),
        DataType::Array(elem) => placeholder_oids(elem, out),
        _ => {}
    }
}

/// Whether `ty` holds a type placeholder to patch.
pub fn needs_patch(ty: &DataType) -> bool {
    match ty {
        DataType::Enum(_) => true,
        DataType::Range(t) | DataType::Multirange(t) => !t.is_builtin(),
        DataType::Record(t) => t.is_placeholder(),
        DataType::Array(elem) => needs_patch(elem),
        _ => false,
    }
}

/// The composite types of `types`, with every field type completed (nested composites
/// and table row types included; a cycle, which DDL prevents, stops at a placeholder).
/// Table row types are built only where a composite type's field or an id of `needed`
/// asks for one; the others come from [`super::Catalog::table_row_type`] on demand.
pub fn build_records(
    types: &[TypeDef],
    tables: &HashMap<u32, Arc<super::TableDef>>,
    enums: &HashMap<u32, Arc<EnumType>>,
    needed: &[u32],
) -> HashMap<u32, Arc<RecordType>> {
    let mut raw: HashMap<u32, RecordType> = HashMap::new();
    for t in types {
        if let TypeKind::Composite(attrs) = &t.kind {
            let fields = attrs
                .iter()
                .map(|a| RecordField { name: a.name.clone(), ty: a.data_type.clone() })
                .collect();
            raw.insert(
                t.id,
                RecordType { oid: t.id, schema: t.schema.clone(), name: t.name.clone(), fields },
            );
        }
    }
    let mut ids: Vec<u32> = raw.keys().copied().collect();
    ids.extend_from_slice(needed);
    let mut done: HashMap<u32, Arc<RecordType>> = HashMap::new();
    let sources = Sources { raw: &raw, tables, enums };
    for id in ids {
        sources.complete_record(id, &mut done, 0);
    }
    done
}

/// The row type of a table from its columns (as stored: placeholders stay).
pub fn table_record(t: &super::TableDef) -> RecordType {
    let fields = t
        .columns
        .iter()
        .map(|c| RecordField { name: c.name.clone(), ty: c.data_type.clone() })
        .collect();
    RecordType { oid: t.id, schema: t.schema.clone(), name: t.name.clone(), fields }
}

struct Sources<'a> {
    raw: &'a HashMap<u32, RecordType>,
    tables: &'a HashMap<u32, Arc<super::TableDef>>,
    enums: &'a HashMap<u32, Arc<EnumType>>,
}

impl Sources<'_> {
    fn complete_record(
        &self,
        id: u32,
        done: &mut HashMap<u32, Arc<RecordType>>,
        depth: usize,
    ) -> Option<Arc<RecordType>> {
        if let Some(t) = done.get(&id) {
            return Some(t.clone());
        }
        if depth > 32 {
            return None;
        }
        let mut t = match self.raw.get(&id) {
            Some(t) => t.clone(),
            None => table_record(self.tables.get(&id)?),
        };
        for f in &mut t.fields {
            self.complete_field(&mut f.ty, done, depth);
        }
        let t = Arc::new(t);
        done.insert(id, t.clone());
        Some(t)
    }

    fn complete_field(
        &self,
        ty: &mut DataType,
        done: &mut HashMap<u32, Arc<RecordType>>,
        depth: usize,
    ) {
        match ty {
            DataType::Enum(t) => {
                if let Some(full) = self.enums.get(&t.oid) {
                    *t = full.clone();
                }
            }
            DataType::Record(t) if t.is_placeholder() => {
                if let Some(full) = self.complete_record(t.oid, done, depth + 1) {
                    *t = full;
                }
            }
            DataType::Array(elem) => self.complete_field(elem, done, depth),
            _ => {}
        }
    }
}

/// Whether `ty` is (or is an array of) the composite type `oid`, or holds it in a field.
pub fn uses_record(ty: &DataType, oid: u32) -> bool {
    match ty {
        DataType::Record(t) => t.oid == oid || t.fields.iter().any(|f| uses_record(&f.ty, oid)),
        DataType::Array(elem) => uses_record(elem, oid),
        _ => false,
    }
}

/// Replaces composite placeholders in `ty` by the definitions in `records`.
pub fn patch_record_type(ty: &mut DataType, records: &HashMap<u32, Arc<RecordType>>) {
    match ty {
        DataType::Record(t) if t.is_placeholder() => {
            if let Some(full) = records.get(&t.oid) {
                *t = full.clone();
            }
        }
        DataType::Array(elem) => patch_record_type(elem, records),
        _ => {}
    }
}

/// Whether `ty` is (or is an array of) the enum or user-defined range type `oid` (or
/// that range type's multirange type).
pub fn uses_enum(ty: &DataType, oid: u32) -> bool {
    match ty {
        DataType::Enum(t) => t.oid == oid,
        DataType::Range(t) | DataType::Multirange(t) => t.oid == oid,
        DataType::Array(elem) => uses_enum(elem, oid),
        _ => false,
    }
}

/// Whether `ty` mentions any enum or user-defined range type.
pub fn uses_any_enum(ty: &DataType) -> bool {
    match ty {
        DataType::Enum(_) => true,
        DataType::Range(t) | DataType::Multirange(t) => !t.is_builtin(),
        DataType::Array(elem) => uses_any_enum(elem),
        _ => false,
    }
}

/// The default a column of domain `id` takes: the domain's, else its parent's.
pub fn domain_default(catalog: &super::Catalog, id: u32) -> Option<String> {
    let mut at = Some(id);
    // Bounded walk: a parent chain cannot be longer than the number of types.
    for _ in 0..=catalog.types.len() {
        let d = catalog.types.get(&at?)?.domain()?;
        if d.default.is_some() {
            return d.default.clone();
        }
        at = d.parent;
    }
    None
}
