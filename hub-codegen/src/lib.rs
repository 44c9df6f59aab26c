//! Typed clients for hub servers, generated from their manifest (see `docs/manifest.md` and
//! `docs/codegen.md`): TypeScript on `@microsoft/signalr`, C# on
//! `Microsoft.AspNetCore.SignalR.Client`.
//!
//! The pipeline: [`hub_schema::Manifest`] → [`model::Model`] (the serde constructs behind each
//! JSON Schema; everything that cannot be mapped faithfully is an error here) → a backend
//! ([`typescript`], [`csharp`]) → [`File`]s.

pub mod asyncapi;
pub mod csharp;
pub mod model;
pub mod typescript;

pub use model::{Error, Model};

/// A generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path relative to the output directory (`chat-hub.ts`).
    pub path: String,
    /// The contents.
    pub contents: String,
}
