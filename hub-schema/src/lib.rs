//! The hub manifest: a versioned JSON document describing hubs (their methods, the client methods
//! they call) and the JSON Schema of every type on the wire.
//!
//! `hub-runtime`'s macros produce it (`ChatHub::manifest()`), `hub-codegen` reads it. The format
//! is documented in `docs/manifest.md`; [`MANIFEST_JSON_SCHEMA`] is its JSON Schema.
//!
//! Schemas come from [`schemars`] with the serialization contract, so serde's renames, tagging,
//! skips, defaults and flattening are described as serde applies them. Named types are `$ref`s to
//! `#/$defs/Name`, which resolve inside the manifest document itself.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use schemars;

/// The manifest format version this crate writes, and the newest it reads.
pub const MANIFEST_VERSION: u32 = 1;

/// The JSON Schema of the manifest format (`docs/manifest.schema.json`).
pub const MANIFEST_JSON_SCHEMA: &str = include_str!("manifest.schema.json");

/// A manifest: one or more hubs and the definitions of the types they use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The format version, [`MANIFEST_VERSION`] when written by this crate.
    pub manifest_version: u32,
    /// The hubs.
    pub hubs: Vec<HubManifest>,
    /// JSON Schemas of the named types, the targets of `{"$ref": "#/$defs/Name"}`.
    #[serde(rename = "$defs", default)]
    pub definitions: Map<String, Value>,
}

/// One hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubManifest {
    /// The hub's name: the Rust type name (`ChatHub`). Generated clients are named after it.
    pub name: String,
    /// The URL path the hub is served at, when known (a running server fills it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The hub type's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The name of the Rust trait of client methods (`ChatClient`), when the hub has one.
    /// Generated receiver interfaces are named after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The methods clients call.
    pub methods: Vec<HubMethod>,
    /// The methods the hub calls on clients (its `#[client]` trait).
    pub client_methods: Vec<ClientMethod>,
    /// What `#[authorize]` on the hub asks of every connection and call: all must be met.
    /// Empty: anyone may connect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorize: Vec<Requirement>,
}

/// One `#[authorize]`: an authenticated user, in one of `roles` when any are named, whom every
/// policy in `policies` allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// The user must have one of these roles; empty: any authenticated user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Named policies of the server, each of which must allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// How a hub method answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MethodKind {
    /// One Completion (`invoke`/`send` on the client); `result` is its value, if any.
    Invoke,
    /// A server-to-client stream (`stream` on the client); `result` is the item.
    Stream,
}

/// A method clients call on the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubMethod {
    /// The wire name (`SendMessage`). Matched ignoring case by the server.
    pub name: String,
    /// The Rust method name (`send_message`).
    pub rust_name: String,
    /// The method's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Invocation or server stream.
    pub kind: MethodKind,
    /// The parameters in wire order (the context parameter is not one).
    pub params: Vec<Param>,
    /// The Completion's value (`Invoke`) or the stream item (`Stream`); `None` when an
    /// invocation completes without a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// What `#[authorize]` on the method asks, besides the hub's own: all must be met.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorize: Vec<Requirement>,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    /// The Rust parameter name (`group_name`). Not on the wire: arguments are positional.
    pub name: String,
    /// The JSON Schema of the argument, or of each item for a client stream.
    pub schema: Value,
    /// A client-to-server stream (`ClientStream<T>`): the client passes a stream (a `Subject` in
    /// JavaScript, an `IAsyncEnumerable<T>`/`ChannelReader<T>` in .NET) whose items match
    /// `schema`. Client streams follow the other arguments on the wire.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stream: bool,
}

/// A method the hub calls on clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientMethod {
    /// The wire name (`ReceiveMessage`). Matched ignoring case by the official clients.
    pub name: String,
    /// The Rust method name (`receive_message`).
    pub rust_name: String,
    /// The method's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The parameters in wire order.
    pub params: Vec<Param>,
    /// For a client result: the value the client returns. `None`: fire and forget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

/// Why a manifest could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Not JSON, or not a manifest.
    Invalid(serde_json::Error),
    /// A format version this crate does not know.
    UnsupportedVersion(u32),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(err) => write!(f, "not a hub manifest: {err}"),
            Self::UnsupportedVersion(version) => write!(
                f,
                "manifest version {version} is newer than this tool reads ({MANIFEST_VERSION}): upgrade hub-codegen"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl Manifest {
    /// Reads a manifest from JSON, refusing versions newer than [`MANIFEST_VERSION`].
    pub fn from_json(json: &str) -> Result<Self, ReadError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Version {
            manifest_version: u32,
        }
        let version: Version = serde_json::from_str(json).map_err(ReadError::Invalid)?;
        if version.manifest_version > MANIFEST_VERSION || version.manifest_version == 0 {
            return Err(ReadError::UnsupportedVersion(version.manifest_version));
        }
        serde_json::from_str(json).map_err(ReadError::Invalid)
    }

    /// A fingerprint of the contract: 16 hex digits that change whenever a hub, a method, a
    /// parameter, a type or a doc comment does, and not with the hubs' `path` (where a hub is
    /// served) or the order of object keys. Generated clients carry the hash of the manifest
    /// they were made from, and `HubRouter::serve_manifest` serves a server's as the `ETag` of
    /// `GET <hub path>/manifest`, so a client can tell that it reached a server with another
    /// contract. (FNV-1a, 64 bits, over the manifest's JSON with sorted keys: a fingerprint,
    /// not a security measure.)
    pub fn contract_hash(&self) -> String {
        let mut value = serde_json::to_value(self).expect("a manifest is plain JSON");
        if let Some(hubs) = value.get_mut("hubs").and_then(Value::as_array_mut) {
            for hub in hubs.iter_mut().filter_map(Value::as_object_mut) {
                hub.remove("path");
            }
        }
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in canonical.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")
    }

    /// The manifest as indented JSON, with a final newline.
    pub fn to_json_pretty(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a manifest is plain JSON");
        json.push('\n');
        json
    }
}

/// Collects hub descriptions and the schemas of their types into one [`Manifest`].
pub struct ManifestBuilder {
    generator: SchemaGenerator,
    hubs: Vec<HubManifest>,
}

impl std::fmt::Debug for ManifestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestBuilder")
            .field("hubs", &self.hubs)
            .finish_non_exhaustive()
    }
}

impl Default for ManifestBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ManifestBuilder {
    /// An empty manifest.
    pub fn new() -> Self {
        Self {
            generator: SchemaGenerator::new(SchemaSettings::draft2020_12().for_serialize()),
            hubs: Vec::new(),
        }
    }

    /// The schema of `T`: a `$ref` for named types (whose definition is collected), inline
    /// otherwise.
    pub fn schema<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    /// Adds a hub.
    pub fn add_hub(&mut self, hub: HubManifest) {
        self.hubs.push(hub);
    }

    /// The manifest.
    pub fn finish(mut self) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            hubs: self.hubs,
            definitions: self.generator.take_definitions(true),
        }
    }
}

/// Joins `///` lines as rustdoc shows them: one leading space removed, common indentation kept.
pub fn doc_text(lines: &[&str]) -> Option<String> {
    let lines: Vec<&str> = lines
        .iter()
        .flat_map(|line| line.split('\n'))
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect();
    let start = lines.iter().position(|line| !line.is_empty())?;
    let end = lines.iter().rposition(|line| !line.is_empty())? + 1;
    Some(lines[start..end].join("\n"))
}

/// `value` as compact JSON with every object's keys sorted.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&object[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_newer_versions() {
        let mut builder = ManifestBuilder::new();
        let schema = builder.schema::<Vec<String>>();
        builder.add_hub(HubManifest {
            name: "EchoHub".into(),
            path: None,
            description: doc_text(&[" Echoes.", ""]),
            client_name: None,
            methods: vec![HubMethod {
                name: "Echo".into(),
                rust_name: "echo".into(),
                description: None,
                kind: MethodKind::Invoke,
                params: vec![Param {
                    name: "lines".into(),
                    schema: schema.clone(),
                    stream: false,
                }],
                result: Some(schema),
                authorize: vec![Requirement {
                    roles: vec!["Admin".into()],
                    policies: Vec::new(),
                }],
            }],
            client_methods: Vec::new(),
            authorize: vec![Requirement::default()],
        });
        let manifest = builder.finish();
        let json = manifest.to_json_pretty();
        assert_eq!(Manifest::from_json(&json).unwrap(), manifest);
        assert_eq!(manifest.hubs[0].description.as_deref(), Some("Echoes."));
        // Requirements are written without their empty lists.
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["hubs"][0]["authorize"], serde_json::json!([{}]));
        assert_eq!(
            value["hubs"][0]["methods"][0]["authorize"],
            serde_json::json!([{ "roles": ["Admin"] }])
        );

        let newer = json.replace("\"manifestVersion\": 1", "\"manifestVersion\": 2");
        let err = Manifest::from_json(&newer).unwrap_err();
        assert!(matches!(err, ReadError::UnsupportedVersion(2)), "{err}");
        assert!(matches!(
            Manifest::from_json("{\"manifestVersion\": 1}"),
            Err(ReadError::Invalid(_))
        ));
    }

    #[test]
    fn doc_text_strips_the_rustdoc_space() {
        assert_eq!(
            doc_text(&[" First line.", "", "  indented"]).as_deref(),
            Some("First line.\n\n indented")
        );
        assert_eq!(doc_text(&["", " "]), None);
    }

    #[test]
    fn the_contract_hash_ignores_paths_and_key_order_and_sees_changes() {
        let manifest = |json: &str| Manifest::from_json(json).unwrap();
        let a = manifest(
            r#"{"manifestVersion":1,"hubs":[{"name":"H","path":"/a","methods":[{"name":"M","rustName":"m","kind":"invoke","params":[]}],"clientMethods":[]}],"$defs":{"T":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"integer"}}}}}"#,
        );
        let moved = manifest(
            r#"{"manifestVersion":1,"hubs":[{"name":"H","path":"/b","methods":[{"name":"M","rustName":"m","kind":"invoke","params":[]}],"clientMethods":[]}],"$defs":{"T":{"properties":{"y":{"type":"integer"},"x":{"type":"string"}},"type":"object"}}}"#,
        );
        let changed = manifest(
            r#"{"manifestVersion":1,"hubs":[{"name":"H","path":"/a","methods":[{"name":"N","rustName":"n","kind":"invoke","params":[]}],"clientMethods":[]}],"$defs":{"T":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"integer"}}}}}"#,
        );
        assert_eq!(a.contract_hash().len(), 16);
        assert_eq!(a.contract_hash(), moved.contract_hash());
        assert_ne!(a.contract_hash(), changed.contract_hash());
    }
}
