//! The generator of types and declarations, and how it spells the named types in a file.

use std::collections::BTreeMap;

use super::Protocol;
use crate::Model;

/// Renders types and declarations.
pub(super) struct Generator<'a> {
    pub(super) model: &'a Model,
    /// The hub protocol of the clients: how dates and bytes arrive.
    pub(super) protocol: Protocol,
    /// Maps are `Record<string, T>`; `{ [key: string]: T }` when a type is named `Record`.
    pub(super) record_maps: bool,
}

impl<'a> Generator<'a> {
    /// The generator of `model`'s files for clients of `protocol`.
    pub(super) fn new(model: &'a Model, protocol: Protocol) -> Self {
        Generator {
            model,
            protocol,
            record_maps: model.type_def("Record").is_none(),
        }
    }
}

/// How the named types are spelt in one file: their own names, except where a hub module
/// imports them under an alias (`Promise as Promise_`) so as not to shadow what it uses.
#[derive(Default)]
pub(super) struct Scope {
    pub(super) aliases: BTreeMap<String, String>,
}

impl Scope {
    /// How `name` is written.
    pub(super) fn name<'n>(&'n self, name: &'n str) -> &'n str {
        self.aliases.get(name).map_or(name, String::as_str)
    }
}
