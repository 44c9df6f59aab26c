//! `#[serde(tag = "..")]` and `#[serde(tag = "..", content = "..")]`: objects that share a
//! property whose value is a different `const` string in each.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::model::error::{Error, error};
use crate::model::names::identifier;
use crate::model::reader::Reader;
use crate::model::schema::{description, is_struct};
use crate::model::types::{TypeKind, Variant, VariantData};

impl Reader<'_> {
    /// Objects that share a property whose value is a different `const` string in each:
    /// internally or adjacently tagged.
    pub(super) fn tagged(
        &mut self,
        at: &str,
        name: &str,
        alternatives: &[Value],
    ) -> Result<Option<TypeKind>, Error> {
        let objects: Option<Vec<&Map<String, Value>>> =
            alternatives.iter().map(Value::as_object).collect();
        let Some(objects) = objects else {
            return Ok(None);
        };
        let Some(tag) = tag_property(&objects) else {
            return Ok(None);
        };
        let others: BTreeSet<String> = objects
            .iter()
            .flat_map(|object| properties(object).keys().cloned().collect::<Vec<_>>())
            .filter(|key| *key != tag)
            .collect();
        let adjacent = is_adjacent(&objects, &others);
        let mut variants = Vec::new();
        for object in &objects {
            let variant = properties(object)[&tag]["const"]
                .as_str()
                .expect("checked")
                .to_owned();
            let variant_at = format!("{at}::{variant}");
            let data = if adjacent {
                let content = others.iter().next().expect("one");
                self.adjacent_data(&variant_at, name, &variant, object, content)?
            } else {
                self.internal_data(&variant_at, name, &variant, object, &tag)?
            };
            variants.push(Variant {
                name: variant,
                description: description(&Value::Object((*object).clone())),
                data,
            });
        }
        Ok(Some(if adjacent {
            TypeKind::Adjacent {
                tag,
                content: others.into_iter().next().expect("one"),
                variants,
            }
        } else {
            TypeKind::Internal { tag, variants }
        }))
    }

    /// An adjacently tagged variant's data: the content property's, if it has one.
    fn adjacent_data(
        &mut self,
        at: &str,
        name: &str,
        variant: &str,
        object: &Map<String, Value>,
        content: &str,
    ) -> Result<VariantData, Error> {
        Ok(match properties(object).get(content) {
            Some(schema) => self.variant_data(at, name, variant, schema)?,
            None => VariantData::Unit,
        })
    }

    /// An internally tagged variant's data: the fields beside the tag (a newtype variant's
    /// struct's, then its own).
    fn internal_data(
        &mut self,
        at: &str,
        name: &str,
        variant: &str,
        object: &Map<String, Value>,
        tag: &str,
    ) -> Result<VariantData, Error> {
        let mut rest = object.clone();
        let mut fields = Vec::new();
        if let Some(reference) = rest.remove("$ref") {
            // A newtype variant around a struct: its fields sit beside the tag.
            let target = self.resolve(at, &reference)?;
            let Some(target) = target.as_object().filter(|t| is_struct(t)) else {
                return Err(error(
                    at,
                    "an internally tagged newtype variant must hold a struct",
                ));
            };
            fields.extend(self.fields(at, name, target)?);
        }
        if let Some(Value::Object(props)) = rest.get_mut("properties") {
            props.shift_remove(tag);
        }
        if let Some(Value::Array(required)) = rest.get_mut("required") {
            required.retain(|field| field.as_str() != Some(tag));
        }
        let own = self.fields(at, &format!("{name}{}", identifier(variant)), &rest)?;
        fields.extend(own);
        Ok(if fields.is_empty() {
            VariantData::Unit
        } else {
            VariantData::Struct(fields)
        })
    }
}

/// An object schema's properties (none: empty).
fn properties(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The tag: the first property that is a `const` string in every alternative.
fn tag_property(objects: &[&Map<String, Value>]) -> Option<String> {
    let first = properties(objects[0]);
    first
        .keys()
        .find(|key| {
            objects.iter().all(|object| {
                properties(object)
                    .get(*key)
                    .and_then(|schema| schema.get("const"))
                    .is_some_and(Value::is_string)
            })
        })
        .cloned()
}

/// Adjacent: no alternative has more than the tag and one other property (`others`, the
/// properties besides the tag), always the same one, and none refers to a struct whose fields
/// would sit beside the tag.
fn is_adjacent(objects: &[&Map<String, Value>], others: &BTreeSet<String>) -> bool {
    // An internally tagged enum whose variants all have the same single field looks alike,
    // but that field may be missing in one of them; serde's adjacent content never is.
    let content_required = |object: &Map<String, Value>, content: &str| {
        !properties(object).contains_key(content)
            || object
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|required| required.iter().any(|name| name.as_str() == Some(content)))
    };
    others.len() == 1
        && objects.iter().all(|object| {
            !object.contains_key("$ref")
                && others
                    .iter()
                    .all(|content| content_required(object, content))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::model::test_manifest::{assert_refused, model};
    use crate::model::types::{TypeKind, VariantData};

    #[test]
    fn internal_and_adjacent_tagging_are_told_apart() {
        let variant = |tag: &str, required: Value| json!({"type": "object", "properties": {"t": {"type": "string", "const": tag}, "c": {"type": "string"}}, "required": required});
        // Every variant requires `c`: adjacently tagged (or wire-identical to it).
        let both = json!({"E": {"oneOf": [variant("A", json!(["t", "c"])), variant("B", json!(["t", "c"]))]}});
        let adjacent = model(json!({"$ref": "#/$defs/E"}), both).unwrap();
        assert!(matches!(
            &adjacent.type_def("E").unwrap().kind,
            TypeKind::Adjacent { tag, content, .. } if tag == "t" && content == "c"
        ));
        // `c` may be missing in one: internally tagged, and the field stays optional.
        let one =
            json!({"E": {"oneOf": [variant("A", json!(["t", "c"])), variant("B", json!(["t"]))]}});
        let internal = model(json!({"$ref": "#/$defs/E"}), one).unwrap();
        let TypeKind::Internal { tag, variants } = &internal.type_def("E").unwrap().kind else {
            panic!("{:?}", internal.type_def("E"))
        };
        assert_eq!(tag, "t");
        let VariantData::Struct(fields) = &variants[1].data else {
            panic!()
        };
        assert!(fields[0].optional);
    }

    #[test]
    fn an_internally_tagged_newtype_variant_must_hold_a_struct() {
        assert_refused(
            json!({"$ref": "#/$defs/E"}),
            json!({
                "E": {"oneOf": [
                    {"$ref": "#/$defs/S", "type": "object", "properties": {"t": {"const": "A", "type": "string"}}, "required": ["t"]},
                    {"type": "object", "properties": {"t": {"const": "B", "type": "string"}, "x": {"type": "string"}}, "required": ["t"]}
                ]},
                "S": {"type": "string"}
            }),
            "E::A",
            "must hold a struct",
        );
    }
}
