//! Scalars: `null`, booleans, strings, numbers and integers.

use serde_json::{Map, Value};

use super::error::{Error, error};
use super::types::{Int, Ty};

/// The largest integer a JavaScript `number` holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The keyword that says how MessagePack carries a value whose JSON form is a string: `"bin"`
/// for bytes, `"timestamp"` for a date and time (`hub_runtime::Binary`, `Timestamp`).
const MESSAGEPACK_FORM: &str = "x-messagepack";

/// The type of a schema whose `type` is `kind`, if that is a scalar type (`None` otherwise);
/// `format` tells date-times, `f32` and the integer widths apart, `contentEncoding` bytes. A
/// MessagePack form (`x-messagepack`) other than the two known ones, or on another type, is an
/// error at `at`: the generators would not know what arrives.
pub(super) fn scalar(
    at: &str,
    kind: &str,
    object: &Map<String, Value>,
) -> Result<Option<Ty>, Error> {
    let format = object.get("format").and_then(Value::as_str);
    let messagepack = object.get(MESSAGEPACK_FORM);
    let base64 = format == Some("byte")
        || object.get("contentEncoding").and_then(Value::as_str) == Some("base64");
    let ty = match kind {
        "null" => Ty::Unit,
        "boolean" => Ty::Bool,
        "string" if format == Some("date-time") => Ty::DateTime {
            timestamp: messagepack.is_some_and(|form| form == "timestamp"),
        },
        "string" if base64 => Ty::Bytes {
            bin: messagepack.is_some_and(|form| form == "bin"),
        },
        "string" => Ty::String,
        "number" => Ty::Float {
            single: format == Some("float"),
        },
        "integer" => Ty::Int(integer(object, format)),
        _ => return Ok(None),
    };
    if let Some(form) = messagepack {
        let known = matches!(
            ty,
            Ty::DateTime { timestamp: true } | Ty::Bytes { bin: true }
        );
        if !known {
            return Err(error(
                at,
                format!(
                    "cannot map `{MESSAGEPACK_FORM}: {form}` on this schema: MessagePack forms are `bin` for base64 strings (`contentEncoding: base64`) and `timestamp` for date-times"
                ),
            ));
        }
    }
    Ok(Some(ty))
}

/// An integer's width and signedness from its `format` (or its `minimum`), and whether its
/// declared range fits a JavaScript `number`.
fn integer(object: &Map<String, Value>, format: Option<&str>) -> Int {
    let (bits, unsigned) = match format {
        Some("int8") => (8, false),
        Some("uint8") => (8, true),
        Some("int16") => (16, false),
        Some("uint16") => (16, true),
        Some("int32") => (32, false),
        Some("uint32") => (32, true),
        Some("uint64" | "uint" | "uint128") => (64, true),
        _ => (
            64,
            object
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|min| min >= 0.0),
        ),
    };
    let bound = |key: &str| object.get(key).and_then(Value::as_f64);
    let declared_safe = bound("minimum").is_some_and(|min| min >= -MAX_SAFE_INTEGER)
        && bound("maximum").is_some_and(|max| max <= MAX_SAFE_INTEGER);
    Int {
        bits,
        unsigned,
        js_safe: bits <= 32 || declared_safe,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::{assert_refused, param_type};
    use crate::model::types::{Int, Ty};

    #[test]
    fn scalars() {
        let int = |bits, unsigned, js_safe| {
            Ty::Int(Int {
                bits,
                unsigned,
                js_safe,
            })
        };
        let cases = [
            (json!({"type": "null"}), Ty::Unit),
            (json!({"type": "boolean"}), Ty::Bool),
            (json!({"type": "string"}), Ty::String),
            (
                json!({"type": "string", "format": "date-time"}),
                Ty::DateTime { timestamp: false },
            ),
            (
                json!({"type": "string", "format": "date-time", "x-messagepack": "timestamp"}),
                Ty::DateTime { timestamp: true },
            ),
            (
                json!({"type": "string", "contentEncoding": "base64"}),
                Ty::Bytes { bin: false },
            ),
            (
                json!({"type": "string", "format": "byte"}),
                Ty::Bytes { bin: false },
            ),
            (
                json!({"type": "string", "format": "byte", "contentEncoding": "base64", "x-messagepack": "bin"}),
                Ty::Bytes { bin: true },
            ),
            (json!({"type": "string", "format": "uuid"}), Ty::String),
            (
                json!({"type": "number", "format": "float"}),
                Ty::Float { single: true },
            ),
            (json!({"type": "number"}), Ty::Float { single: false }),
            (
                json!({"type": "integer", "format": "uint8"}),
                int(8, true, true),
            ),
            (
                json!({"type": "integer", "format": "int32"}),
                int(32, false, true),
            ),
            (
                json!({"type": "integer", "format": "int64"}),
                int(64, false, false),
            ),
            (
                json!({"type": "integer", "format": "uint", "minimum": 0}),
                int(64, true, false),
            ),
            (
                json!({"type": "integer", "format": "int64", "minimum": -9_007_199_254_740_991_i64, "maximum": 9_007_199_254_740_991_i64}),
                int(64, false, true),
            ),
            (
                json!({"type": "integer", "format": "uint64", "minimum": 0, "maximum": 9_007_199_254_740_992_i64}),
                int(64, true, false),
            ),
        ];
        for (schema, expected) in cases {
            assert_eq!(param_type(schema.clone(), json!({})), expected, "{schema}");
        }
    }

    #[test]
    fn unknown_messagepack_forms_are_refused() {
        for schema in [
            json!({"type": "string", "x-messagepack": "bin"}),
            json!({"type": "string", "format": "date-time", "x-messagepack": "bin"}),
            json!({"type": "string", "contentEncoding": "base64", "x-messagepack": "timestamp"}),
            json!({"type": "string", "format": "date-time", "x-messagepack": "ext"}),
            json!({"type": "integer", "format": "int64", "x-messagepack": "timestamp"}),
        ] {
            assert_refused(
                json!({"$ref": "#/$defs/Wire"}),
                json!({"Wire": {"type": "object", "properties": {"at": schema}, "required": ["at"]}}),
                "Wire.at",
                "x-messagepack",
            );
        }
    }
}
