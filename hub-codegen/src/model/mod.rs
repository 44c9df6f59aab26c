//! The model the backends generate from: the manifest's JSON Schemas read into the serde
//! constructs they describe (structs, unit enums, the four enum taggings, lists, maps, tuples...).
//!
//! Everything the backends may not guess is decided here, and what cannot be mapped faithfully
//! is an [`Error`] naming the type and field, never a best effort.

// `types` is the model and `error` its error; `manifest` reads the hubs and their methods,
// `reader` the named types, `ty` the types of values (with `scalars` and `containers`);
// `structs` and `enums` recognise serde's structs and enum representations; `schema` knows JSON
// Schema's keywords and `names` makes identifiers.
mod containers;
mod enums;
mod error;
mod manifest;
mod names;
mod reader;
mod scalars;
mod schema;
mod structs;
#[cfg(test)]
mod test_manifest;
mod ty;
mod types;

pub use error::Error;
pub use names::identifier;
pub use types::{
    ClientMethod, EnumValue, Field, Hub, Int, Method, Model, Param, Ty, TypeDef, TypeKind, Variant,
    VariantData,
};
