//! The C# backend: see `docs/codegen.md`.
//!
//! Output (C# 7.3 syntax unless [`Options::nullable`], for .NET, .NET Framework and Unity):
//!
//! - `Dtos.cs`: the manifest's types: `sealed class` per struct, `enum` per unit-only enum,
//!   an abstract class with nested sealed variant classes per enum with data, a class per tuple
//!   type (`TupleInt32String`). Newtype structs are their wrapped type (the wire is the bare
//!   value).
//! - `JsonConverters.cs`: the System.Text.Json converters that give enums and tuples serde's
//!   exact wire form, and a small internal helper they share. Kept apart so `Dtos.cs` reads as
//!   plain data.
//! - `<Hub>.cs` per hub: `I<Hub>` and `<Hub>Proxy` (invocations, streams), `<Hub>Sender`
//!   (fire and forget), and the receiver side: `I<Client>` and the `Register<Client>`
//!   extension on `HubConnection`.
//!
//! Framework types are written with their short names and `using` directives placed inside the
//! namespace, except where a generated name would shadow one (a DTO called `Task`, a variant
//! called `Type`): there the name is written in full from `global::`.

mod classes;
mod code;
mod context;
mod converters;
mod dtos;
mod framework;
mod hub_names;
mod hubs;
mod names;
mod options;
mod scope;
mod tuples;
mod types;

use crate::{Error, File, Model};
use context::Ctx;
use names::{CONVERTERS_FILE, DTOS_FILE};

pub use options::Options;

/// The C# files for `model`: `Dtos.cs` and `JsonConverters.cs` when the hubs use types with a
/// name or tuples, and one file per hub (`ChatHub.cs`).
pub fn generate(model: &Model, options: &Options) -> Result<Vec<File>, Error> {
    let ctx = Ctx::new(model, options)?;
    let mut files = Vec::new();
    if ctx.has_dtos() {
        files.push(File {
            path: String::from(DTOS_FILE),
            contents: dtos::generate(&ctx),
        });
    }
    if ctx.has_converters() {
        files.push(File {
            path: String::from(CONVERTERS_FILE),
            contents: converters::generate(&ctx),
        });
    }
    for hub in &ctx.hubs {
        files.push(File {
            path: format!("{}.cs", hub.name),
            contents: hubs::generate(&ctx, hub),
        });
    }
    Ok(files)
}
