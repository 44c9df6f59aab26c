//! Containers: lists, tuples and maps.

use serde_json::{Map, Value};

use super::error::{Error, error};
use super::reader::Reader;
use super::types::Ty;

impl Reader<'_> {
    /// An array schema: a tuple with `prefixItems`, else a list (of anything without `items`).
    pub(super) fn array(
        &mut self,
        at: &str,
        lift_name: &str,
        object: &Map<String, Value>,
    ) -> Result<Ty, Error> {
        if let Some(items) = object.get("prefixItems").and_then(Value::as_array) {
            let items = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    self.ty(
                        &format!("{at}.{index}"),
                        &format!("{lift_name}{index}"),
                        item,
                    )
                })
                .collect::<Result<_, _>>()?;
            Ok(Ty::Tuple(items))
        } else {
            let items = object.get("items").unwrap_or(&Value::Bool(true));
            Ok(Ty::Array(Box::new(self.ty(
                &format!("{at}[]"),
                &format!("{lift_name}Item"),
                items,
            )?)))
        }
    }

    /// An object schema without properties: a map whose values are `additionalProperties` (or
    /// the one pattern of `patternProperties`, for integer keys).
    pub(super) fn map(
        &mut self,
        at: &str,
        lift_name: &str,
        schema: &Value,
        object: &Map<String, Value>,
    ) -> Result<Ty, Error> {
        let values = match (
            object.get("additionalProperties"),
            object.get("patternProperties"),
        ) {
            (Some(Value::Bool(false)) | None, Some(Value::Object(patterns)))
                if patterns.len() == 1 =>
            {
                patterns.values().next().expect("one").clone()
            }
            (Some(values), None) if values != &Value::Bool(false) => values.clone(),
            (None, None) => Value::Bool(true),
            _ => {
                return Err(error(at, format!("cannot map the object schema {schema}")));
            }
        };
        let values = self.ty(&format!("{at}[key]"), &format!("{lift_name}Value"), &values)?;
        Ok(Ty::Map(Box::new(values)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::param_type;
    use crate::model::types::Ty;

    #[test]
    fn lists_tuples_and_maps() {
        let cases = [
            (
                json!({"type": "array", "items": {"type": "string"}}),
                Ty::Array(Box::new(Ty::String)),
            ),
            (
                json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "minItems": 2, "maxItems": 2}),
                Ty::Tuple(vec![Ty::String, Ty::Bool]),
            ),
            (
                json!({"type": "object", "additionalProperties": {"type": "boolean"}}),
                Ty::Map(Box::new(Ty::Bool)),
            ),
            (
                json!({"type": "object", "additionalProperties": false, "patternProperties": {"^\\d+$": {"type": "string"}}}),
                Ty::Map(Box::new(Ty::String)),
            ),
        ];
        for (schema, expected) in cases {
            assert_eq!(param_type(schema.clone(), json!({})), expected, "{schema}");
        }
    }
}
