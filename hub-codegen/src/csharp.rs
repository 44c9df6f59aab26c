//! The C# backend: see `docs/codegen.md`.

use crate::{Error, File, Model};

/// C# options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated code.
    pub namespace: String,
    /// Emit nullable reference annotations (`string?`, `#nullable enable`; C# 8+).
    pub nullable: bool,
}

/// The C# files for `model`.
pub fn generate(model: &Model, options: &Options) -> Result<Vec<File>, Error> {
    let _ = (model, options);
    Err(Error {
        location: String::from("csharp"),
        message: String::from("the C# backend is being written"),
    })
}
