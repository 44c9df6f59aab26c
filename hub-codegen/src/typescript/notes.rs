//! Documentation notes about how values are represented: dates and bytes as strings or as
//! `Date`s, 64-bit integers that may lose precision.

use super::Protocol;
use crate::model::Ty;

/// Documentation notes about how a type is represented, found without entering named types.
#[derive(Default, Clone, Copy)]
pub(super) struct Notes {
    /// Holds an RFC 3339 date and time as a string.
    date_string: bool,
    /// Holds a date and time as a `Date` (a MessagePack timestamp).
    date_object: bool,
    /// Holds bytes as a base64 string.
    base64: bool,
    /// Holds a 64-bit integer that may exceed the safe integers (with [`Int64::Number`](super::Int64::Number)).
    unsafe_int: bool,
}

impl Notes {
    /// The notes of `ty` in clients of `protocol`.
    pub(super) fn of(ty: &Ty, protocol: Protocol) -> Self {
        let mut notes = Self::default();
        notes.add(ty, protocol);
        notes
    }

    /// The notes of all `types` in clients of `protocol`.
    pub(super) fn of_all<'t>(types: impl IntoIterator<Item = &'t Ty>, protocol: Protocol) -> Self {
        let mut notes = Self::default();
        for ty in types {
            notes.add(ty, protocol);
        }
        notes
    }

    /// Adds the notes of `ty`.
    fn add(&mut self, ty: &Ty, protocol: Protocol) {
        let messagepack = protocol == Protocol::MessagePack;
        match ty {
            Ty::DateTime { timestamp: true } if messagepack => self.date_object = true,
            Ty::DateTime { .. } => self.date_string = true,
            Ty::Bytes { bin: true } if messagepack => {}
            Ty::Bytes { .. } => self.base64 = true,
            Ty::Int(int) if !int.js_safe => self.unsafe_int = true,
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => self.add(inner, protocol),
            Ty::Tuple(items) => items.iter().for_each(|item| self.add(item, protocol)),
            _ => {}
        }
    }

    /// The sentences to add to the documentation.
    pub(super) fn text(self) -> Option<String> {
        let mut text = Vec::new();
        if self.date_string {
            text.push("Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`.");
        }
        if self.date_object {
            text.push("Dates and times are `Date`s (MessagePack timestamps): JavaScript keeps milliseconds.");
        }
        if self.base64 {
            text.push("Bytes are base64 strings.");
        }
        if self.unsafe_int {
            text.push("Warning: 64-bit integers beyond ±(2^53 - 1) (`Number.MAX_SAFE_INTEGER`) lose precision as a `number` (generated with `--int64 number`).");
        }
        (!text.is_empty()).then(|| text.join(" "))
    }
}
