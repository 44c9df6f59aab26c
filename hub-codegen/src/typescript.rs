//! The TypeScript backend: see `docs/codegen.md`.

use crate::{Error, File, Model};

/// What to do with 64-bit integers whose range exceeds JavaScript's safe integers (2^53 - 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Int64 {
    /// Refuse to generate, naming the type and field (the default).
    #[default]
    Error,
    /// Map them to `number`, accepting that values beyond 2^53 lose precision.
    Number,
}

/// TypeScript options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The 64-bit integer policy.
    pub int64: Int64,
}

/// The TypeScript files for `model`.
pub fn generate(model: &Model, options: &Options) -> Result<Vec<File>, Error> {
    let _ = (model, options);
    Err(Error {
        location: String::from("typescript"),
        message: String::from("the TypeScript backend is being written"),
    })
}
