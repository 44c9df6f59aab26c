//! Enums: serde's representations told apart by the shape of their `oneOf`/`anyOf`.

mod external;
mod tagged;
pub(super) mod unit;
mod untagged;

use serde_json::Value;

use super::error::{Error, error};
use super::names::identifier;
use super::reader::Reader;
use super::schema::is_struct;
use super::types::{TypeKind, VariantData};
use unit::documented_string_enum;

impl Reader<'_> {
    /// An enum with data, from the alternatives of `oneOf` (`anyOf` when `untagged`).
    pub(super) fn enum_kind(
        &mut self,
        at: &str,
        name: &str,
        alternatives: &Value,
        untagged: bool,
    ) -> Result<TypeKind, Error> {
        let Some(alternatives) = alternatives.as_array().filter(|a| !a.is_empty()) else {
            return Err(error(at, "`oneOf`/`anyOf` must list alternatives"));
        };
        if untagged {
            return self.untagged(at, name, alternatives);
        }
        if let Some(values) = documented_string_enum(alternatives) {
            return Ok(TypeKind::StringEnum(values));
        }
        if let Some(kind) = self.external(at, name, alternatives)? {
            return Ok(kind);
        }
        if let Some(kind) = self.tagged(at, name, alternatives)? {
            return Ok(kind);
        }
        Err(error(
            at,
            "cannot map this `oneOf`: it is not one of serde's enum representations (external, internal, adjacent or untagged)",
        ))
    }

    /// A variant's data: named fields for an inline object, a tuple for a fixed-length array,
    /// one value otherwise.
    fn variant_data(
        &mut self,
        at: &str,
        enum_name: &str,
        variant: &str,
        schema: &Value,
    ) -> Result<VariantData, Error> {
        let lifted = format!("{enum_name}{}", identifier(variant));
        if let Some(object) = schema.as_object() {
            if is_struct(object) {
                return Ok(VariantData::Struct(self.fields(at, &lifted, object)?));
            }
            if let Some(items) = object.get("prefixItems").and_then(Value::as_array) {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| self.ty(&format!("{at}.{index}"), &lifted, item))
                    .collect::<Result<_, _>>()?;
                return Ok(VariantData::Tuple(items));
            }
        }
        Ok(VariantData::Newtype(self.ty(at, &lifted, schema)?))
    }
}
