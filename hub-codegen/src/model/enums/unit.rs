//! Unit-only enums: one of some strings.

use serde_json::{Map, Value};

use crate::model::schema::description;
use crate::model::types::EnumValue;

/// `{"type": "string", "enum": [..]}` or `{"type": "string", "const": ".."}`.
pub(in crate::model) fn string_enum(object: &Map<String, Value>) -> Option<Vec<EnumValue>> {
    if object.contains_key("properties") || object.contains_key("oneOf") {
        return None;
    }
    let single_description = description(&Value::Object(object.clone()));
    if let Some(Value::String(value)) = object.get("const") {
        return Some(vec![EnumValue {
            value: value.clone(),
            description: single_description,
        }]);
    }
    let values = object.get("enum")?.as_array()?;
    let values: Option<Vec<EnumValue>> = values
        .iter()
        .map(|value| {
            value.as_str().map(|value| EnumValue {
                value: value.to_owned(),
                description: None,
            })
        })
        .collect();
    values.filter(|values| !values.is_empty())
}

/// A unit-only enum whose variants have documentation: one `const` per variant.
pub(super) fn documented_string_enum(alternatives: &[Value]) -> Option<Vec<EnumValue>> {
    let mut values = Vec::new();
    for alternative in alternatives {
        values.extend(alternative.as_object().and_then(string_enum)?);
    }
    Some(values)
}
