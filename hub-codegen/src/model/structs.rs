//! Structs: an object schema's properties read into fields.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::error::{Error, error};
use super::names::identifier;
use super::reader::Reader;
use super::schema::{ANNOTATIONS, description};
use super::types::Field;

impl Reader<'_> {
    /// The fields of struct `name` (types lifted out of them are named after it).
    pub(super) fn fields(
        &mut self,
        at: &str,
        name: &str,
        object: &Map<String, Value>,
    ) -> Result<Vec<Field>, Error> {
        for key in object.keys() {
            let known = matches!(
                key.as_str(),
                "type" | "properties" | "required" | "additionalProperties"
            ) || ANNOTATIONS.contains(&key.as_str());
            if !known {
                return Err(error(
                    at,
                    format!(
                        "cannot map an object schema with `{key}` (a `#[serde(flatten)]` of an enum or a map?): flatten only structs"
                    ),
                ));
            }
        }
        if let Some(extra) = object.get("additionalProperties") {
            if extra != &Value::Bool(false) {
                return Err(error(
                    at,
                    "cannot map a struct that also takes arbitrary properties (`#[serde(flatten)]` of a map): use a map field instead",
                ));
            }
        }
        let required: BTreeSet<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (field, schema) in properties {
                let field_at = format!("{at}.{field}");
                let ty = self.ty(&field_at, &format!("{name}{}", identifier(field)), schema)?;
                fields.push(Field {
                    name: field.clone(),
                    description: description(schema),
                    ty,
                    optional: !required.contains(field.as_str()),
                });
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::assert_refused;

    #[test]
    fn a_struct_that_takes_arbitrary_properties_is_refused() {
        assert_refused(
            json!({"$ref": "#/$defs/Flat"}),
            json!({"Flat": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}}}),
            "Flat",
            "flatten",
        );
    }
}
