//! The type of a field, parameter or result: a reference to a named type, a type lifted out of
//! an inline schema, or what the `type` keyword says.

use serde_json::{Map, Value};

use super::error::{Error, error};
use super::names::identifier;
use super::reader::Reader;
use super::scalars::scalar;
use super::schema::{ANNOTATIONS, defs_key, is_null_schema, is_nullable_pair, is_struct};
use super::types::Ty;

/// Keywords that combine or condition schemas, which no serde construct produces.
const UNSUPPORTED: [&str; 7] = [
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "$dynamicRef",
];

impl Reader<'_> {
    /// The type of a field, parameter or result. Inline structs and enums become named types
    /// called `lift_name`.
    pub(super) fn ty(&mut self, at: &str, lift_name: &str, schema: &Value) -> Result<Ty, Error> {
        let object = match schema {
            Value::Bool(true) => return Ok(Ty::Any),
            Value::Object(object) => object,
            other => return Err(error(at, format!("cannot map the schema {other}"))),
        };
        if let Some(reference) = object.get("$ref") {
            return self.reference(at, object, reference);
        }
        if let Some(Value::Array(alternatives)) = object.get("anyOf") {
            if is_nullable_pair(object) {
                let inner = alternatives
                    .iter()
                    .find(|alternative| !is_null_schema(alternative))
                    .expect("a pair with one null");
                return Ok(nullable(self.ty(at, lift_name, inner)?));
            }
        }
        if is_inline_type(object) {
            return self.lift(lift_name, schema);
        }
        for key in UNSUPPORTED {
            if object.contains_key(key) {
                return Err(error(at, format!("cannot map a schema with `{key}`")));
            }
        }
        let Some((kind, nullable_type)) = type_keyword(at, schema, object)? else {
            return Ok(Ty::Any);
        };
        let ty = match kind {
            "array" => self.array(at, lift_name, object)?,
            "object" => self.map(at, lift_name, schema, object)?,
            other => scalar(at, other, object)?
                .ok_or_else(|| error(at, format!("unknown JSON Schema type `{other}`")))?,
        };
        Ok(if nullable_type { nullable(ty) } else { ty })
    }

    /// A `$ref` to a type of `$defs`, with nothing beside it but annotations.
    fn reference(
        &self,
        at: &str,
        object: &Map<String, Value>,
        reference: &Value,
    ) -> Result<Ty, Error> {
        let key = defs_key(reference);
        let name = key.as_ref().and_then(|key| self.names.get(key));
        let Some(name) = name else {
            return Err(error(
                at,
                format!("`$ref` {reference} does not name a type of `$defs`"),
            ));
        };
        let extra = object
            .keys()
            .find(|key| *key != "$ref" && !ANNOTATIONS.contains(&key.as_str()));
        if let Some(extra) = extra {
            return Err(error(
                at,
                format!("cannot map a `$ref` combined with `{extra}`"),
            ));
        }
        Ok(Ty::Named(name.clone()))
    }

    /// An inline enum or struct: a named type of its own, called `lift_name` (made unique).
    fn lift(&mut self, lift_name: &str, schema: &Value) -> Result<Ty, Error> {
        let name = self.unique_name(&identifier(lift_name));
        let def = self.type_def(&name, schema)?;
        self.types.push(def);
        Ok(Ty::Named(name))
    }
}

/// An enum or a struct, which the model only knows as named types.
fn is_inline_type(object: &Map<String, Value>) -> bool {
    object.contains_key("oneOf")
        || object.contains_key("anyOf")
        || object.contains_key("enum")
        || object.contains_key("const")
        || is_struct(object)
}

/// The `type` keyword: the JSON Schema type, and whether `null` is allowed too. `None` when there
/// is no `type` and nothing but annotations: any value.
fn type_keyword<'s>(
    at: &str,
    schema: &Value,
    object: &'s Map<String, Value>,
) -> Result<Option<(&'s str, bool)>, Error> {
    match object.get("type") {
        None if object.keys().all(|key| ANNOTATIONS.contains(&key.as_str())) => Ok(None),
        None => Err(error(
            at,
            format!("cannot map the schema {schema}: no `type`"),
        )),
        Some(Value::String(kind)) => Ok(Some((kind.as_str(), false))),
        Some(Value::Array(kinds)) => {
            let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            match kinds.as_slice() {
                [kind, "null"] | ["null", kind] => Ok(Some((*kind, true))),
                _ => Err(error(
                    at,
                    format!("cannot map a value of several types {kinds:?}"),
                )),
            }
        }
        Some(other) => Err(error(at, format!("invalid `type` {other}"))),
    }
}

/// The type or `null` (types that hold `null` already stay as they are).
fn nullable(ty: Ty) -> Ty {
    match ty {
        Ty::Nullable(_) | Ty::Any | Ty::Unit => ty,
        other => Ty::Nullable(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::{assert_refused, model, param_type};
    use crate::model::types::{Ty, TypeKind};

    #[test]
    fn any_value_and_nullable() {
        let cases = [
            (json!(true), Ty::Any),
            (json!({}), Ty::Any),
            (
                json!({"type": ["string", "null"]}),
                Ty::Nullable(Box::new(Ty::String)),
            ),
            (
                json!({"anyOf": [{"type": "boolean"}, {"type": "null"}]}),
                Ty::Nullable(Box::new(Ty::Bool)),
            ),
        ];
        for (schema, expected) in cases {
            assert_eq!(param_type(schema.clone(), json!({})), expected, "{schema}");
        }
    }

    #[test]
    fn inline_structs_and_enums_are_lifted_to_named_types() {
        let model = model(
            json!({"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y"]}}, "required": ["a"]}),
            json!({}),
        )
        .unwrap();
        assert_eq!(
            model.hubs[0].methods[0].params[0].ty,
            Ty::Named("EchoValue".into())
        );
        let def = model.type_def("EchoValue").unwrap();
        let TypeKind::Struct(fields) = &def.kind else {
            panic!("{def:?}")
        };
        assert_eq!(fields[0].ty, Ty::Named("EchoValueA".into()));
        assert!(matches!(
            &model.type_def("EchoValueA").unwrap().kind,
            TypeKind::StringEnum(values) if values.len() == 2
        ));
        // The result's inline struct gets a name of its own, not a clash.
        assert_eq!(
            model.hubs[0].methods[0].result,
            Some(Ty::Named("EchoResult".into()))
        );
    }

    #[test]
    fn unmappable_schemas_are_errors_naming_the_type_and_field() {
        assert_refused(
            json!({"$ref": "#/$defs/Mixed"}),
            json!({"Mixed": {"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}}}),
            "Mixed.a",
            "allOf",
        );
        assert_refused(
            json!({"$ref": "#/$defs/Missing"}),
            json!({}),
            "TestHub.Echo(value)",
            "Missing",
        );
        assert_refused(
            json!({"$ref": "#/$defs/Wide"}),
            json!({"Wide": {"type": "object", "properties": {"v": {"type": ["string", "integer"]}}}}),
            "Wide.v",
            "several types",
        );
    }
}
