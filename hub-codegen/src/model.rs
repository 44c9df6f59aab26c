//! The model the backends generate from: the manifest's JSON Schemas read into the serde
//! constructs they describe (structs, unit enums, the four enum taggings, lists, maps, tuples...).
//!
//! Everything the backends may not guess is decided here, and what cannot be mapped faithfully
//! is an [`Error`] naming the type and field, never a best effort.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use hub_schema::{Manifest, MethodKind};
use serde_json::{Map, Value};

/// The manifest, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The hubs, in manifest order.
    pub hubs: Vec<Hub>,
    /// Every named type, in manifest order, followed by types lifted out of inline schemas.
    pub types: Vec<TypeDef>,
}

/// A hub.
#[derive(Debug, Clone, PartialEq)]
pub struct Hub {
    /// The hub's name (`ChatHub`).
    pub name: String,
    /// The URL path, when the manifest knew it.
    pub path: Option<String>,
    /// Documentation.
    pub description: Option<String>,
    /// The name of the hub's client trait (`ChatClient`); receivers are named after it.
    /// Defaults to the hub's name + `Client`.
    pub client_name: String,
    /// Methods clients call.
    pub methods: Vec<Method>,
    /// Methods the hub calls on clients.
    pub client_methods: Vec<ClientMethod>,
}

/// A hub method.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    /// The wire name (`SendMessage`).
    pub name: String,
    /// Documentation.
    pub description: Option<String>,
    /// Invocation or server stream.
    pub kind: MethodKind,
    /// Parameters in wire order: plain ones, then client streams.
    pub params: Vec<Param>,
    /// The result (`Invoke`) or stream item (`Stream`); `None`: no result.
    pub result: Option<Ty>,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The Rust name, snake_case (backends convert it).
    pub name: String,
    /// The argument's type, or the item type of a client stream.
    pub ty: Ty,
    /// A client-to-server stream.
    pub stream: bool,
}

/// A method the hub calls on clients.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMethod {
    /// The wire name (`ReceiveMessage`).
    pub name: String,
    /// Documentation.
    pub description: Option<String>,
    /// Parameters in wire order.
    pub params: Vec<Param>,
    /// A client result's type; `None` for fire-and-forget.
    pub result: Option<Ty>,
}

/// A type as it appears in a field, a parameter or a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Any JSON value (`serde_json::Value`).
    Any,
    /// `()`: always `null`.
    Unit,
    /// `bool`.
    Bool,
    /// An integer.
    Int(Int),
    /// `f32` (`single`) or `f64`.
    Float {
        /// `f32`.
        single: bool,
    },
    /// A string.
    String,
    /// An RFC 3339 date and time, as a string (`format: date-time`).
    DateTime,
    /// A list.
    Array(Box<Ty>),
    /// A tuple: a fixed-length array of these types.
    Tuple(Vec<Ty>),
    /// A map with string keys (integer keys are strings in JSON as well).
    Map(Box<Ty>),
    /// The type or `null`.
    Nullable(Box<Ty>),
    /// A named type of [`Model::types`].
    Named(String),
}

/// An integer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int {
    /// Width in bits: 8, 16, 32 or 64.
    pub bits: u8,
    /// Unsigned.
    pub unsigned: bool,
    /// Every value fits a JavaScript `number` exactly (|v| <= 2^53 - 1): true up to 32 bits, and
    /// for 64-bit types whose schema declares a range within it.
    pub js_safe: bool,
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The name (from `$defs`; made an identifier: `Page<User>` gives `PageUser`).
    pub name: String,
    /// Documentation.
    pub description: Option<String>,
    /// What it is.
    pub kind: TypeKind,
}

/// What a named type is.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object with these fields.
    Struct(Vec<Field>),
    /// Another type under this name (a newtype struct: `struct Meters(f64)`).
    Alias(Ty),
    /// A unit-only enum: one of these strings.
    StringEnum(Vec<EnumValue>),
    /// serde's default enum representation: `"Unit"` or `{"Variant": data}`.
    External(Vec<Variant>),
    /// `#[serde(tag = "..")]`: `{"tag": "Variant", ..fields}`. Variants are `Unit` or `Struct`.
    Internal {
        /// The tag property.
        tag: String,
        /// The variants.
        variants: Vec<Variant>,
    },
    /// `#[serde(tag = "..", content = "..")]`: `{"tag": "Variant", "content": data}`.
    Adjacent {
        /// The tag property.
        tag: String,
        /// The content property.
        content: String,
        /// The variants.
        variants: Vec<Variant>,
    },
    /// `#[serde(untagged)]`: the first variant whose shape matches. Variants have no wire name;
    /// theirs is `Variant1`, `Variant2`... in order.
    Untagged(Vec<Variant>),
}

/// A value of a unit-only enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// The wire string.
    pub value: String,
    /// Documentation.
    pub description: Option<String>,
}

/// An enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The wire name (the tag value).
    pub name: String,
    /// Documentation.
    pub description: Option<String>,
    /// Its data.
    pub data: VariantData,
}

/// An enum variant's data.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantData {
    /// None.
    Unit,
    /// Named fields (a struct variant, or the fields of a newtype variant's struct).
    Struct(Vec<Field>),
    /// One value.
    Newtype(Ty),
    /// Several values: a JSON array.
    Tuple(Vec<Ty>),
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The wire name.
    pub name: String,
    /// Documentation.
    pub description: Option<String>,
    /// The type.
    pub ty: Ty,
    /// May be missing from the JSON (not in `required`); `Ty::Nullable` says whether it may be
    /// `null`.
    pub optional: bool,
}

/// A schema that cannot be mapped faithfully, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where: `Everything.shape`, `ChatHub.SendMessage(user)`.
    pub location: String,
    /// What is wrong, and what to do.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for Error {}

/// The largest integer a JavaScript `number` holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Model {
    /// Reads a manifest. Every type named in `$defs` is read, used or not.
    pub fn from_manifest(manifest: &Manifest) -> Result<Self, Error> {
        let mut reader = Reader {
            defs: &manifest.definitions,
            names: HashMap::new(),
            used_names: BTreeSet::new(),
            types: Vec::new(),
        };
        for key in manifest.definitions.keys() {
            let name = reader.unique_name(&identifier(key));
            reader.names.insert(key.clone(), name);
        }
        for (key, schema) in &manifest.definitions {
            let name = reader.names[key].clone();
            let def = reader.type_def(&name, schema)?;
            reader.types.push(def);
        }
        let mut hubs = Vec::new();
        for hub in &manifest.hubs {
            let mut methods = Vec::new();
            for method in &hub.methods {
                let at = format!("{}.{}", hub.name, method.name);
                let params = reader.params(&at, &method.name, &method.params)?;
                let result = match &method.result {
                    Some(schema) => Some(reader.ty(
                        &format!("{at} result"),
                        &format!("{}Result", method.name),
                        schema,
                    )?),
                    None => None,
                };
                methods.push(Method {
                    name: method.name.clone(),
                    description: method.description.clone(),
                    kind: method.kind,
                    params,
                    result,
                });
            }
            let mut client_methods = Vec::new();
            for method in &hub.client_methods {
                let at = format!("{} client method {}", hub.name, method.name);
                let params = reader.params(&at, &method.name, &method.params)?;
                if params.iter().any(|param| param.stream) {
                    return Err(error(&at, "client methods cannot take streams"));
                }
                let result = match &method.result {
                    Some(schema) => Some(reader.ty(
                        &format!("{at} result"),
                        &format!("{}Result", method.name),
                        schema,
                    )?),
                    None => None,
                };
                client_methods.push(ClientMethod {
                    name: method.name.clone(),
                    description: method.description.clone(),
                    params,
                    result,
                });
            }
            hubs.push(Hub {
                name: hub.name.clone(),
                path: hub.path.clone(),
                description: hub.description.clone(),
                client_name: hub
                    .client_name
                    .clone()
                    .unwrap_or_else(|| format!("{}Client", hub.name)),
                methods,
                client_methods,
            });
        }
        Ok(Model {
            hubs,
            types: reader.types,
        })
    }

    /// The named type `name`.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|def| def.name == name)
    }
}

fn error(location: &str, message: impl Into<String>) -> Error {
    Error {
        location: location.to_owned(),
        message: message.into(),
    }
}

struct Reader<'a> {
    defs: &'a Map<String, Value>,
    /// `$defs` key -> type name.
    names: HashMap<String, String>,
    used_names: BTreeSet<String>,
    /// Types lifted out of inline schemas (named types are pushed by `from_manifest`).
    types: Vec<TypeDef>,
}

/// Keys that only annotate or validate, and change nothing on the wire.
const ANNOTATIONS: &[&str] = &[
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

impl Reader<'_> {
    fn unique_name(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while self.used_names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.used_names.insert(name.clone());
        name
    }

    fn params(
        &mut self,
        at: &str,
        method: &str,
        params: &[hub_schema::Param],
    ) -> Result<Vec<Param>, Error> {
        params
            .iter()
            .map(|param| {
                let ty = self.ty(
                    &format!("{at}({})", param.name),
                    &format!("{method}{}", identifier(&param.name)),
                    &param.schema,
                )?;
                Ok(Param {
                    name: param.name.clone(),
                    ty,
                    stream: param.stream,
                })
            })
            .collect()
    }

    /// A named type's definition.
    fn type_def(&mut self, name: &str, schema: &Value) -> Result<TypeDef, Error> {
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
            if !self.is_nullable_pair(object) {
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

    /// `{"anyOf": [X, {"type": "null"}]}`: `Option<X>`.
    fn is_nullable_pair(&self, object: &Map<String, Value>) -> bool {
        let Some(Value::Array(alternatives)) = object.get("anyOf") else {
            return false;
        };
        alternatives.len() == 2 && alternatives.iter().any(is_null_schema)
    }

    fn fields(
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

    /// An enum with data, from the alternatives of `oneOf` (`anyOf` when `untagged`).
    fn enum_kind(
        &mut self,
        at: &str,
        name: &str,
        alternatives: &Value,
        untagged: bool,
    ) -> Result<TypeKind, Error> {
        let Some(alternatives) = alternatives.as_array().filter(|a| !a.is_empty()) else {
            return Err(error(at, "`oneOf`/`anyOf` must list alternatives"));
        };
        if untagged {
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
            return Ok(TypeKind::Untagged(variants));
        }
        // A unit-only enum whose variants have documentation: one `const` per variant.
        let mut values = Vec::new();
        let all_strings = alternatives.iter().all(|alternative| {
            alternative
                .as_object()
                .and_then(string_enum)
                .map(|found| values.extend(found))
                .is_some()
        });
        if all_strings {
            return Ok(TypeKind::StringEnum(values));
        }
        if let Some(kind) = self.external(at, name, alternatives)? {
            return Ok(kind);
        }
        if let Some(kind) = self.tagged(at, name, alternatives)? {
            return Ok(kind);
        }
        Err(error(
            at,
            "cannot map this `oneOf`: it is not one of serde's enum representations (external, internal, adjacent or untagged)",
        ))
    }

    /// `"Unit"` strings and `{"Variant": data}` objects.
    fn external(
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

    /// Objects that share a property whose value is a different `const` string in each:
    /// internally or adjacently tagged.
    fn tagged(
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
        let properties = |object: &Map<String, Value>| {
            object
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        // The tag: the first property that is a `const` string in every alternative.
        let first = properties(objects[0]);
        let tag = first.keys().find(|key| {
            objects.iter().all(|object| {
                properties(object)
                    .get(*key)
                    .and_then(|schema| schema.get("const"))
                    .is_some_and(Value::is_string)
            })
        });
        let Some(tag) = tag.cloned() else {
            return Ok(None);
        };
        // Adjacent: no alternative has more than the tag and one other property, always the
        // same one, and none refers to a struct whose fields would sit beside the tag.
        let others: BTreeSet<String> = objects
            .iter()
            .flat_map(|object| properties(object).keys().cloned().collect::<Vec<_>>())
            .filter(|key| *key != tag)
            .collect();
        // An internally tagged enum whose variants all have the same single field looks alike,
        // but that field may be missing in one of them; serde's adjacent content never is.
        let content_required = |object: &Map<String, Value>, content: &str| {
            !properties(object).contains_key(content)
                || object
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|required| {
                        required.iter().any(|name| name.as_str() == Some(content))
                    })
        };
        let adjacent = others.len() == 1
            && objects.iter().all(|object| {
                !object.contains_key("$ref")
                    && others
                        .iter()
                        .all(|content| content_required(object, content))
            });
        let mut variants = Vec::new();
        for object in &objects {
            let props = properties(object);
            let variant = props[&tag]["const"].as_str().expect("checked").to_owned();
            let variant_at = format!("{at}::{variant}");
            let data = if adjacent {
                let content = others.iter().next().expect("one");
                match props.get(content) {
                    Some(schema) => self.variant_data(&variant_at, name, &variant, schema)?,
                    None => VariantData::Unit,
                }
            } else {
                let mut rest = (*object).clone();
                let mut fields = Vec::new();
                if let Some(reference) = rest.remove("$ref") {
                    // A newtype variant around a struct: its fields sit beside the tag.
                    let target = self.resolve(&variant_at, &reference)?;
                    let Some(target) = target.as_object().filter(|t| is_struct(t)) else {
                        return Err(error(
                            &variant_at,
                            "an internally tagged newtype variant must hold a struct",
                        ));
                    };
                    fields.extend(self.fields(&variant_at, name, target)?);
                }
                if let Some(Value::Object(props)) = rest.get_mut("properties") {
                    props.shift_remove(&tag);
                }
                if let Some(Value::Array(required)) = rest.get_mut("required") {
                    required.retain(|field| field.as_str() != Some(tag.as_str()));
                }
                let own = self.fields(
                    &variant_at,
                    &format!("{name}{}", identifier(&variant)),
                    &rest,
                )?;
                fields.extend(own);
                if fields.is_empty() {
                    VariantData::Unit
                } else {
                    VariantData::Struct(fields)
                }
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

    /// A variant's data: named fields for an inline object, a tuple for a fixed-length array,
    /// one value otherwise.
    fn variant_data(
        &mut self,
        at: &str,
        enum_name: &str,
        variant: &str,
        schema: &Value,
    ) -> Result<VariantData, Error> {
        let lifted = format!("{enum_name}{}", identifier(variant));
        if let Some(object) = schema.as_object() {
            if is_struct(object) {
                return Ok(VariantData::Struct(self.fields(at, &lifted, object)?));
            }
            if let Some(items) = object.get("prefixItems").and_then(Value::as_array) {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| self.ty(&format!("{at}.{index}"), &lifted, item))
                    .collect::<Result<_, _>>()?;
                return Ok(VariantData::Tuple(items));
            }
        }
        Ok(VariantData::Newtype(self.ty(at, &lifted, schema)?))
    }

    fn resolve(&self, at: &str, reference: &Value) -> Result<Value, Error> {
        let key = reference
            .as_str()
            .and_then(|text| text.strip_prefix("#/$defs/"))
            .map(decode_pointer)
            .ok_or_else(|| {
                error(
                    at,
                    format!("cannot follow `$ref` {reference}: only `#/$defs/Name` references are supported"),
                )
            })?;
        self.defs.get(&key).cloned().ok_or_else(|| {
            error(
                at,
                format!("`$ref` to `{key}`, which `$defs` does not define"),
            )
        })
    }

    /// The type of a field, parameter or result. Inline structs and enums become named types
    /// called `lift_name`.
    fn ty(&mut self, at: &str, lift_name: &str, schema: &Value) -> Result<Ty, Error> {
        let object = match schema {
            Value::Bool(true) => return Ok(Ty::Any),
            Value::Object(object) => object,
            other => return Err(error(at, format!("cannot map the schema {other}"))),
        };
        if let Some(reference) = object.get("$ref") {
            let key = reference
                .as_str()
                .and_then(|text| text.strip_prefix("#/$defs/"))
                .map(decode_pointer);
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
            return Ok(Ty::Named(name.clone()));
        }
        if let Some(Value::Array(alternatives)) = object.get("anyOf") {
            if self.is_nullable_pair(object) {
                let inner = alternatives
                    .iter()
                    .find(|alternative| !is_null_schema(alternative))
                    .expect("a pair with one null");
                return Ok(nullable(self.ty(at, lift_name, inner)?));
            }
        }
        if object.contains_key("oneOf")
            || object.contains_key("anyOf")
            || object.contains_key("enum")
            || object.contains_key("const")
            || is_struct(object)
        {
            // An inline enum or struct: give it a name of its own.
            let name = self.unique_name(&identifier(lift_name));
            let def = self.type_def(&name, schema)?;
            self.types.push(def);
            return Ok(Ty::Named(name));
        }
        for key in [
            "allOf",
            "not",
            "if",
            "then",
            "else",
            "dependentSchemas",
            "$dynamicRef",
        ] {
            if object.contains_key(key) {
                return Err(error(at, format!("cannot map a schema with `{key}`")));
            }
        }
        let (kind, nullable_type) = match object.get("type") {
            None if object.keys().all(|key| ANNOTATIONS.contains(&key.as_str())) => {
                return Ok(Ty::Any);
            }
            None => {
                return Err(error(
                    at,
                    format!("cannot map the schema {schema}: no `type`"),
                ));
            }
            Some(Value::String(kind)) => (kind.as_str(), false),
            Some(Value::Array(kinds)) => {
                let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
                match kinds.as_slice() {
                    [kind, "null"] | ["null", kind] => (*kind, true),
                    _ => {
                        return Err(error(
                            at,
                            format!("cannot map a value of several types {kinds:?}"),
                        ));
                    }
                }
            }
            Some(other) => return Err(error(at, format!("invalid `type` {other}"))),
        };
        let format = object.get("format").and_then(Value::as_str);
        let ty = match kind {
            "null" => Ty::Unit,
            "boolean" => Ty::Bool,
            "string" => match format {
                Some("date-time") => Ty::DateTime,
                _ => Ty::String,
            },
            "number" => Ty::Float {
                single: format == Some("float"),
            },
            "integer" => Ty::Int(integer(object, format)),
            "array" => {
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
                    Ty::Tuple(items)
                } else {
                    let items = object.get("items").unwrap_or(&Value::Bool(true));
                    Ty::Array(Box::new(self.ty(
                        &format!("{at}[]"),
                        &format!("{lift_name}Item"),
                        items,
                    )?))
                }
            }
            "object" => {
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
                let values =
                    self.ty(&format!("{at}[key]"), &format!("{lift_name}Value"), &values)?;
                Ty::Map(Box::new(values))
            }
            other => return Err(error(at, format!("unknown JSON Schema type `{other}`"))),
        };
        Ok(if nullable_type { nullable(ty) } else { ty })
    }
}

fn nullable(ty: Ty) -> Ty {
    match ty {
        Ty::Nullable(_) | Ty::Any | Ty::Unit => ty,
        other => Ty::Nullable(Box::new(other)),
    }
}

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

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".into()))
}

/// An object schema with properties: a struct.
fn is_struct(object: &Map<String, Value>) -> bool {
    object.contains_key("properties")
        && object
            .get("type")
            .is_none_or(|kind| kind == &Value::String("object".into()))
}

/// `{"type": "string", "enum": [..]}` or `{"type": "string", "const": ".."}`.
fn string_enum(object: &Map<String, Value>) -> Option<Vec<EnumValue>> {
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

fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
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

/// A type name as an identifier: `Page<User>` gives `PageUser`, `my_type` gives `MyType`.
pub fn identifier(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if upper {
                out.push(ch.to_ascii_uppercase());
            } else {
                out.push(ch);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|ch: char| ch.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A manifest with one hub whose method `Echo` takes and returns `schema`.
    fn model(schema: Value, defs: Value) -> Result<Model, Error> {
        let manifest = json!({
            "manifestVersion": 1,
            "hubs": [{
                "name": "TestHub",
                "methods": [{
                    "name": "Echo", "rustName": "echo", "kind": "invoke",
                    "params": [{"name": "value", "schema": schema.clone()}],
                    "result": schema
                }],
                "clientMethods": []
            }],
            "$defs": defs
        });
        Model::from_manifest(&serde_json::from_value(manifest).unwrap())
    }

    fn param_type(schema: Value, defs: Value) -> Ty {
        model(schema, defs).unwrap().hubs[0].methods[0].params[0]
            .ty
            .clone()
    }

    #[test]
    fn primitives_and_containers() {
        let int = |bits, unsigned, js_safe| {
            Ty::Int(Int {
                bits,
                unsigned,
                js_safe,
            })
        };
        let cases = [
            (json!(true), Ty::Any),
            (json!({}), Ty::Any),
            (json!({"type": "null"}), Ty::Unit),
            (json!({"type": "boolean"}), Ty::Bool),
            (json!({"type": "string"}), Ty::String),
            (
                json!({"type": "string", "format": "date-time"}),
                Ty::DateTime,
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
            (
                json!({"type": ["string", "null"]}),
                Ty::Nullable(Box::new(Ty::String)),
            ),
            (
                json!({"anyOf": [{"type": "boolean"}, {"type": "null"}]}),
                Ty::Nullable(Box::new(Ty::Bool)),
            ),
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
    fn definition_names_become_identifiers_without_clashes() {
        let model = model(
            json!({"$ref": "#/$defs/Page%3CUser%3E"}),
            json!({
                "Page<User>": {"type": "object", "properties": {}},
                "PageUser": {"type": "string"},
                "my_type": {"type": "string"}
            }),
        )
        .unwrap();
        let names: Vec<&str> = model.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["PageUser", "PageUser2", "MyType"]);
        assert_eq!(
            model.hubs[0].methods[0].params[0].ty,
            Ty::Named("PageUser".into())
        );
    }

    #[test]
    fn unmappable_schemas_are_errors_naming_the_type_and_field() {
        let cases = [
            (
                json!({"$ref": "#/$defs/Flat"}),
                json!({"Flat": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}}}),
                "Flat",
                "flatten",
            ),
            (
                json!({"$ref": "#/$defs/Mixed"}),
                json!({"Mixed": {"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}}}),
                "Mixed.a",
                "allOf",
            ),
            (
                json!({"$ref": "#/$defs/Missing"}),
                json!({}),
                "TestHub.Echo(value)",
                "Missing",
            ),
            (
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
            ),
            (
                json!({"$ref": "#/$defs/Wide"}),
                json!({"Wide": {"type": "object", "properties": {"v": {"type": ["string", "integer"]}}}}),
                "Wide.v",
                "several types",
            ),
            (
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
            ),
        ];
        for (schema, defs, location, message) in cases {
            let err = model(schema, defs).unwrap_err();
            assert_eq!(err.location, location, "{err}");
            assert!(err.message.contains(message), "{err}");
        }
    }

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
