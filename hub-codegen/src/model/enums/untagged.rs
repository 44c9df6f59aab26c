//! `#[serde(untagged)]`: the alternatives of `anyOf`, tried in order.

use serde_json::Value;

use crate::model::error::Error;
use crate::model::reader::Reader;
use crate::model::schema::{description, is_null_schema};
use crate::model::types::{TypeKind, Variant, VariantData};

impl Reader<'_> {
    /// The alternatives in order, named `Variant1`, `Variant2`...; `null` is a unit variant.
    pub(super) fn untagged(
        &mut self,
        at: &str,
        name: &str,
        alternatives: &[Value],
    ) -> Result<TypeKind, Error> {
        let mut variants = Vec::new();
        for (index, alternative) in alternatives.iter().enumerate() {
            let variant = format!("Variant{}", index + 1);
            let data = if is_null_schema(alternative) {
                VariantData::Unit
            } else {
                self.variant_data(
                    &format!("{at} (alternative {})", index + 1),
                    name,
                    &variant,
                    alternative,
                )?
            };
            variants.push(Variant {
                name: variant,
                description: description(alternative),
                data,
            });
        }
        Ok(TypeKind::Untagged(variants))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::model;
    use crate::model::types::{Ty, TypeKind, VariantData};

    #[test]
    fn untagged_alternatives_keep_their_order_and_unit_variants() {
        let model = model(
            json!({"$ref": "#/$defs/U"}),
            json!({"U": {"anyOf": [{"type": "null"}, {"type": "string"}, {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}]}}),
        )
        .unwrap();
        let TypeKind::Untagged(variants) = &model.type_def("U").unwrap().kind else {
            panic!()
        };
        let data: Vec<&VariantData> = variants.iter().map(|v| &v.data).collect();
        assert_eq!(data[0], &VariantData::Unit);
        assert_eq!(data[1], &VariantData::Newtype(Ty::String));
        assert!(matches!(data[2], VariantData::Struct(fields) if fields[0].name == "a"));
    }
}
