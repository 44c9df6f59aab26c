//! serde's default representation: `"Unit"` strings and `{"Variant": data}` objects.

use serde_json::Value;

use super::unit::string_enum;
use crate::model::error::Error;
use crate::model::reader::Reader;
use crate::model::schema::description;
use crate::model::types::{TypeKind, Variant, VariantData};

impl Reader<'_> {
    /// An externally tagged enum, if every alternative is a unit variant's string or an object
    /// whose only property is the variant.
    pub(super) fn external(
        &mut self,
        at: &str,
        name: &str,
        alternatives: &[Value],
    ) -> Result<Option<TypeKind>, Error> {
        let mut variants = Vec::new();
        for alternative in alternatives {
            let Some(object) = alternative.as_object() else {
                return Ok(None);
            };
            if let Some(values) = string_enum(object) {
                variants.extend(values.into_iter().map(|value| Variant {
                    name: value.value,
                    description: value.description,
                    data: VariantData::Unit,
                }));
                continue;
            }
            let properties = object.get("properties").and_then(Value::as_object);
            let single = properties.filter(|properties| properties.len() == 1);
            let closed = object.get("additionalProperties") == Some(&Value::Bool(false));
            let (Some(properties), true) = (single, closed) else {
                return Ok(None);
            };
            let (variant, data) = properties.iter().next().expect("one property");
            let data = self.variant_data(&format!("{at}::{variant}"), name, variant, data)?;
            variants.push(Variant {
                name: variant.clone(),
                description: description(alternative),
                data,
            });
        }
        Ok(Some(TypeKind::External(variants)))
    }
}
