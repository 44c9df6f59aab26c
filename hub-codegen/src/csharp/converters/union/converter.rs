//! An enum with data's converter being written: the enum, its variant classes, and the names
//! the converter's code uses.

use crate::csharp::classes::{Case, CaseData};
use crate::csharp::code::{Code, literal};
use crate::csharp::context::Ctx;
use crate::csharp::converters::members::CONVERTER_MEMBERS;
use crate::csharp::dtos::variant_converter_name;
use crate::csharp::names::{HELPER, converter_name};
use crate::csharp::scope::Scope;
use crate::model::TypeDef;

/// The converter of an enum with data, and the names its code uses, as written in its scope.
pub(super) struct UnionConverter<'c> {
    pub(super) ctx: &'c Ctx<'c>,
    pub(super) def: &'c TypeDef,
    /// The variant classes.
    pub(super) cases: &'c [Case<'c>],
    /// The converter's body, where its members and the variants' functions hide types.
    pub(super) scope: Scope,
    /// The converter class (`EJsonConverter`).
    pub(super) converter: String,
    /// The enum's base class.
    pub(super) base: String,
    /// `JsonElement`.
    pub(super) element: String,
    /// `JsonSerializerOptions`.
    pub(super) options: String,
    /// `JsonValueKind`.
    pub(super) kind: String,
    /// `JsonException`.
    pub(super) exception: String,
    /// `Utf8JsonWriter`.
    pub(super) writer: String,
    /// The converters' helper class.
    pub(super) helper: String,
}

impl<'c> UnionConverter<'c> {
    /// The names for the converter of `def`, whose variant classes are `cases`.
    pub(super) fn new(ctx: &'c Ctx<'c>, def: &'c TypeDef, cases: &'c [Case<'c>]) -> Self {
        let scope = ctx.plain_scope(
            CONVERTER_MEMBERS
                .iter()
                .map(|name| (*name).to_owned())
                .chain(cases.iter().flat_map(|case| {
                    [read_fn(case), write_fn(case), variant_converter_name(case)]
                })),
        );
        UnionConverter {
            ctx,
            def,
            cases,
            converter: converter_name(&def.name),
            base: ctx.gen_name(&def.name, &scope),
            element: ctx.fw("JsonElement", &scope),
            options: ctx.fw("JsonSerializerOptions", &scope),
            kind: ctx.fw("JsonValueKind", &scope),
            exception: ctx.fw("JsonException", &scope),
            writer: ctx.fw("Utf8JsonWriter", &scope),
            helper: ctx.gen_name(HELPER, &scope),
            scope,
        }
    }

    /// A variant's class (`E.Circle`).
    pub(super) fn variant_class(&self, case: &Case<'_>) -> String {
        format!("{}.{}", self.base, case.name)
    }

    /// What error messages call a variant: the literal `"E.Circle"`.
    pub(super) fn what(&self, case: &Case<'_>) -> String {
        literal(&format!("{}.{}", self.def.name, case.name))
    }

    /// Throws for the unknown variant name in `variable`.
    pub(super) fn unknown(&self, code: &mut Code, variable: &str) {
        code.line(format!(
            "throw new {}({} + {variable} + \"\\\".\");",
            self.exception,
            literal(&format!("{}: unknown variant \"", self.def.name))
        ));
    }
}

/// Whether a variant has no data.
pub(super) fn is_unit(case: &Case<'_>) -> bool {
    matches!(case.data, CaseData::Unit)
}

/// The function that reads a variant's data, in its enum's converter.
pub(super) fn read_fn(case: &Case<'_>) -> String {
    format!("Read{}", case.name)
}

/// The function that writes a variant's data, in its enum's converter.
pub(super) fn write_fn(case: &Case<'_>) -> String {
    format!("Write{}", case.name)
}
