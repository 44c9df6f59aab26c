//! Method signatures: parameters with their types and documentation notes, and the arguments
//! of a call.

use crate::model::Param;
use crate::typescript::generator::{Generator, Scope};
use crate::typescript::names::string_literal;
use crate::typescript::notes::Notes;

impl Generator<'_> {
    /// A parameter's type: the item type in a `HubStreamSource` for a client stream.
    fn param_ty(&self, scope: &Scope, param: &Param) -> String {
        let ty = self.ty(scope, &param.ty);
        if param.stream {
            format!("HubStreamSource<{ty}>")
        } else {
            ty
        }
    }

    /// `@param` notes (dates, 64-bit integers) of parameters.
    pub(super) fn param_notes(&self, params: &[Param], names: &[String]) -> Vec<String> {
        params
            .iter()
            .zip(names)
            .filter_map(|(param, name)| {
                Notes::of(&param.ty, self.protocol)
                    .text()
                    .map(|text| format!("@param {name} {text}"))
            })
            .collect()
    }

    /// `a: A, b: B`.
    pub(super) fn signature(&self, scope: &Scope, params: &[Param], names: &[String]) -> String {
        params
            .iter()
            .zip(names)
            .map(|(param, name)| format!("{name}: {}", self.param_ty(scope, param)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `"Wire", a, toStreamResult(b)`.
pub(super) fn call_args(wire: &str, params: &[Param], names: &[String]) -> String {
    std::iter::once(string_literal(wire))
        .chain(params.iter().zip(names).map(|(param, name)| {
            if param.stream {
                format!("toStreamResult({name})")
            } else {
                name.clone()
            }
        }))
        .collect::<Vec<_>>()
        .join(", ")
}
