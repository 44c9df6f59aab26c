//! JSON Schema's keywords, as the reader needs them.

use serde_json::{Map, Value};

/// Keys that only annotate or validate, and change nothing on the wire.
pub(super) const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// `{"type": "null"}`.
pub(super) fn is_null_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".into()))
}

/// `{"anyOf": [X, {"type": "null"}]}`: `Option<X>`.
pub(super) fn is_nullable_pair(object: &Map<String, Value>) -> bool {
    let Some(Value::Array(alternatives)) = object.get("anyOf") else {
        return false;
    };
    alternatives.len() == 2 && alternatives.iter().any(is_null_schema)
}

/// An object schema with properties: a struct.
pub(super) fn is_struct(object: &Map<String, Value>) -> bool {
    object.contains_key("properties")
        && object
            .get("type")
            .is_none_or(|kind| kind == &Value::String("object".into()))
}

/// The `description`, if any.
pub(super) fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The `$defs` key a `$ref` points to (`#/$defs/Name`), decoded; `None` for other references.
pub(super) fn defs_key(reference: &Value) -> Option<String> {
    reference
        .as_str()
        .and_then(|text| text.strip_prefix("#/$defs/"))
        .map(decode_pointer)
}

/// `~1` and `~0` of a JSON pointer segment, and percent-encoded bytes.
fn decode_pointer(segment: &str) -> String {
    let segment = segment.replace("~1", "/").replace("~0", "~");
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&segment[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or(segment)
}
