//! The hub manifest: what `hub-codegen` reads to generate typed clients.
//!
//! Every `#[hub]` describes itself ([`Hub::describe`](crate::Hub::describe),
//! [`Hub::manifest`](crate::Hub::manifest)); parameter and result types need
//! [`JsonSchema`](schemars::JsonSchema) (`#[derive(schemars::JsonSchema)]` beside `Serialize`
//! and `Deserialize`). The format is documented in `docs/manifest.md`.
//!
//! A server can also serve it, opt in: [`HubRouter::serve_manifest`](crate::HubRouter::serve_manifest).

pub use hub_schema::{
    ClientMethod, HubManifest, HubMethod, MANIFEST_JSON_SCHEMA, MANIFEST_VERSION, Manifest,
    ManifestBuilder, MethodKind, Param, ReadError, Requirement, schemars,
};
