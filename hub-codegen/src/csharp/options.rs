//! What users choose about the C# output.

/// C# options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated code (`Hub.Client`): dot-separated C# identifiers.
    pub namespace: String,
    /// Emit nullable reference annotations (`string?`, `#nullable enable`; C# 8+).
    pub nullable: bool,
}
