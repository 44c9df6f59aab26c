//! The reader of a manifest's schemas, and the named types: what each `$defs` schema defines.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::enums::unit::string_enum;
use super::error::{Error, error};
use super::schema::{defs_key, description, is_nullable_pair, is_struct};
use super::types::{TypeDef, TypeKind};

/// Reads schemas into the model, lifting inline structs and enums out as named types.
pub(super) struct Reader<'a> {
    defs: &'a Map<String, Value>,
    /// `$defs` key -> type name.
    pub(super) names: HashMap<String, String>,
    used_names: BTreeSet<String>,
    /// Types lifted out of inline schemas (named types are pushed by `from_manifest`).
    pub(super) types: Vec<TypeDef>,
}

impl<'a> Reader<'a> {
    /// A reader of schemas that refer to `defs`.
    pub(super) fn new(defs: &'a Map<String, Value>) -> Self {
        Reader {
            defs,
            names: HashMap::new(),
            used_names: BTreeSet::new(),
            types: Vec::new(),
        }
    }
}

impl Reader<'_> {
    /// `base`, or `base` with a number appended when a type already has that name.
    pub(super) fn unique_name(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while self.used_names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.used_names.insert(name.clone());
        name
    }

    /// A named type's definition.
    pub(super) fn type_def(&mut self, name: &str, schema: &Value) -> Result<TypeDef, Error> {
        let description = description(schema);
        let kind = self.kind(name, name, schema)?;
        Ok(TypeDef {
            name: name.to_owned(),
            description,
            kind,
        })
    }

    /// What a schema defines, for a named type `name` (errors located at `at`).
    fn kind(&mut self, at: &str, name: &str, schema: &Value) -> Result<TypeKind, Error> {
        let Some(object) = schema.as_object() else {
            return Ok(TypeKind::Alias(self.ty(at, name, schema)?));
        };
        if let Some(alternatives) = object.get("oneOf").or_else(|| object.get("anyOf")) {
            if object.contains_key("properties") {
                return Err(error(
                    at,
                    "cannot map a struct with a `#[serde(flatten)]` enum: make the enum a field",
                ));
            }
            if !is_nullable_pair(object) {
                let untagged = object.contains_key("anyOf");
                return self.enum_kind(at, name, alternatives, untagged);
            }
        }
        if let Some(values) = string_enum(object) {
            return Ok(TypeKind::StringEnum(values));
        }
        if is_struct(object) {
            return Ok(TypeKind::Struct(self.fields(at, name, object)?));
        }
        Ok(TypeKind::Alias(self.ty(at, name, schema)?))
    }

    /// The schema a `$ref` points to.
    pub(super) fn resolve(&self, at: &str, reference: &Value) -> Result<Value, Error> {
        let key = defs_key(reference).ok_or_else(|| {
            error(
                at,
                format!(
                    "cannot follow `$ref` {reference}: only `#/$defs/Name` references are supported"
                ),
            )
        })?;
        self.defs.get(&key).cloned().ok_or_else(|| {
            error(
                at,
                format!("`$ref` to `{key}`, which `$defs` does not define"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::assert_refused;

    #[test]
    fn a_struct_with_a_flattened_enum_is_refused() {
        assert_refused(
            // What schemars writes for `struct Outer { id: String, #[serde(flatten)] kind: Kind }`.
            json!({"$ref": "#/$defs/Outer"}),
            json!({"Outer": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"],
                "oneOf": [{"type": "object", "properties": {"A": {"type": "string"}}, "required": ["A"]}]
            }}),
            "Outer",
            "flatten",
        );
    }
}
