//! The model: hubs, their methods, and the named types they use, as serde constructs.

use hub_schema::MethodKind;

/// The manifest, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The hubs, in manifest order.
    pub hubs: Vec<Hub>,
    /// Every named type, in manifest order, followed by types lifted out of inline schemas.
    pub types: Vec<TypeDef>,
    /// The manifest's [contract hash](hub_schema::Manifest::contract_hash).
    pub manifest_hash: String,
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
    /// What `#[authorize]` on the hub asks of every connection, as a sentence (Markdown).
    pub authorization: Option<String>,
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
    /// What `#[authorize]` on the method asks of its callers, as a sentence (Markdown).
    pub authorization: Option<String>,
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
    /// An RFC 3339 date and time, a string in JSON (`format: date-time`).
    DateTime {
        /// MessagePack carries it as the timestamp extension (`"x-messagepack": "timestamp"`,
        /// `hub_runtime::Timestamp`); otherwise as the same string.
        timestamp: bool,
    },
    /// Bytes, a base64 string in JSON (`contentEncoding: base64` or `format: byte`).
    Bytes {
        /// MessagePack carries them as bin (`"x-messagepack": "bin"`, `hub_runtime::Binary`);
        /// otherwise as the same string.
        bin: bool,
    },
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

impl Model {
    /// The named type `name`.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|def| def.name == name)
    }
}
