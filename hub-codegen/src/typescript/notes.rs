//! Documentation notes about how values are represented: dates as strings, 64-bit integers
//! that may lose precision.

use crate::model::Ty;

/// Documentation notes about how a type is represented, found without entering named types.
#[derive(Default, Clone, Copy)]
pub(super) struct Notes {
    /// Holds an RFC 3339 date and time.
    date_time: bool,
    /// Holds a 64-bit integer that may exceed the safe integers (with [`Int64::Number`](super::Int64::Number)).
    unsafe_int: bool,
}

impl Notes {
    /// The notes of `ty`.
    pub(super) fn of(ty: &Ty) -> Self {
        let mut notes = Self::default();
        notes.add(ty);
        notes
    }

    /// The notes of all `types`.
    pub(super) fn of_all<'t>(types: impl IntoIterator<Item = &'t Ty>) -> Self {
        let mut notes = Self::default();
        for ty in types {
            notes.add(ty);
        }
        notes
    }

    /// Adds the notes of `ty`.
    fn add(&mut self, ty: &Ty) {
        match ty {
            Ty::DateTime => self.date_time = true,
            Ty::Int(int) if !int.js_safe => self.unsafe_int = true,
            Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => self.add(inner),
            Ty::Tuple(items) => items.iter().for_each(|item| self.add(item)),
            _ => {}
        }
    }

    /// The sentences to add to the documentation.
    pub(super) fn text(self) -> Option<String> {
        let mut text = Vec::new();
        if self.date_time {
            text.push("Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`.");
        }
        if self.unsafe_int {
            text.push("Warning: 64-bit integers beyond ±(2^53 - 1) (`Number.MAX_SAFE_INTEGER`) lose precision as a `number` (generated with `--int64 number`).");
        }
        (!text.is_empty()).then(|| text.join(" "))
    }
}
