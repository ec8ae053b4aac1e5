//! User-defined types: enums (`CREATE TYPE ... AS ENUM`) and domains (`CREATE DOMAIN`).
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
//! Column types that are enums are stored as `enum#<oid>` (see
//! [`super::typename::stored_spelling`]) and read back as placeholders, which
//! [`super::Catalog::set_types`] replaces with the definitions of the same snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use helios_types::{DataType, EnumLabel, EnumType};
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

/// What a user-defined type is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TypeKind {
    /// An enum with its labels in sort order.
    Enum(Vec<EnumLabelDef>),
    /// A domain.
    Domain(DomainDef),
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
            TypeKind::Domain(_) => None,
        }
    }

    /// The domain definition, if it is a domain.
    pub fn domain(&self) -> Option<&DomainDef> {
        match &self.kind {
            TypeKind::Domain(d) => Some(d),
            TypeKind::Enum(_) => None,
        }
    }

    /// `"enum"` or `"domain"`, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            TypeKind::Enum(_) => "enum",
            TypeKind::Domain(_) => "domain",
        }
    }

    /// The type a column of this type holds: the enum itself, or the domain's base.
    pub fn value_type(&self, enums: &HashMap<u32, Arc<EnumType>>) -> DataType {
        match &self.kind {
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

/// Whether `ty` is (or is an array of) the enum `oid`.
pub fn uses_enum(ty: &DataType, oid: u32) -> bool {
    match ty {
        DataType::Enum(t) => t.oid == oid,
        DataType::Array(elem) => uses_enum(elem, oid),
        _ => false,
    }
}

/// Whether `ty` mentions any enum.
pub fn uses_any_enum(ty: &DataType) -> bool {
    match ty {
        DataType::Enum(_) => true,
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
