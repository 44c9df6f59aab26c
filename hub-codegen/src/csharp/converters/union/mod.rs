//! The converter of an enum with data: `ReadValue` and `WriteValue` dispatch on the enum's
//! representation and on the variant class, a pair of functions reads and writes each variant's
//! data, and a converter per variant class delegates to them.

mod converter;
mod json_kinds;
mod read;
mod variants;
mod write;

use super::members::{parse_document, signatures};
use crate::csharp::classes::Case;
use crate::csharp::code::{Code, Doc};
use crate::csharp::context::Ctx;
use crate::model::{TypeDef, TypeKind};
use converter::UnionConverter;
use json_kinds::json_kinds;

/// Writes the converter of `def`, an enum with data whose variant classes are `cases`.
pub(super) fn union_converter(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, cases: &[Case<'_>]) {
    UnionConverter::new(ctx, def, cases).converter_class(code);
}

impl UnionConverter<'_> {
    /// The converter class.
    fn converter_class(&self, code: &mut Code) {
        code.doc(&Doc::new(
            None,
            &format!(
                "Reads and writes <c>{}</c> and its variant classes in serde's wire form.",
                self.def.name
            ),
        ));
        code.line(format!(
            "public sealed class {} : {}<{}>",
            self.converter,
            self.ctx.fw("JsonConverter", &self.scope),
            self.base
        ));
        code.open();
        self.overrides(code);
        code.blank();
        self.read_value(code);
        code.blank();
        self.write_value(code);
        for case in self.cases {
            self.variant_functions(code, case);
        }
        for case in self.cases {
            code.blank();
            self.variant_converter(code, case);
        }
        code.close();
    }

    /// `HandleNull` when JSON `null` is a variant, and the `Read` and `Write` overrides, which
    /// call `ReadValue` and `WriteValue`.
    fn overrides(&self, code: &mut Code) {
        let sig = signatures(self.ctx, &self.base, &self.scope);
        if self.accepts_null() {
            code.doc(&Doc::new(
                None,
                "<c>true</c>: JSON <c>null</c> is one of the variants (an untagged enum).",
            ));
            code.line("public override bool HandleNull");
            code.open();
            code.line("get { return true; }");
            code.close();
            code.blank();
        }
        code.doc(&Doc::new(
            None,
            &format!("Reads <c>{}</c> JSON.", self.def.name),
        ));
        code.line(&sig.read);
        code.open();
        parse_document(self.ctx, code, &self.scope);
        code.open();
        code.line("return ReadValue(document.RootElement, options);");
        code.close();
        code.close();
        code.blank();
        code.doc(&Doc::new(
            None,
            &format!("Writes <c>{}</c> JSON.", self.def.name),
        ));
        code.line(&sig.write);
        code.open();
        code.line("WriteValue(writer, value, options);");
        code.close();
    }

    /// Whether a variant is JSON `null` (an untagged unit variant, or data that may be `null`).
    fn accepts_null(&self) -> bool {
        match &self.def.kind {
            TypeKind::Untagged(_) => self
                .cases
                .iter()
                .any(|case| json_kinds(self.ctx, case).is_none_or(|kinds| kinds.contains(&"Null"))),
            _ => false,
        }
    }
}
