//! Each variant's part of its enum's converter: the functions that read and write its data,
//! and the converter of its class, which delegates to `ReadValue` and `WriteValue`.

use super::converter::{UnionConverter, read_fn, write_fn};
use crate::csharp::classes::{Case, CaseData, Prop};
use crate::csharp::code::{Code, Doc, literal};
use crate::csharp::converters::data::{
    read_fields, read_items, required_fields, write_fields, write_items,
};
use crate::csharp::converters::members::{parse_document, signatures};
use crate::csharp::dtos::variant_converter_name;
use crate::model::{Ty, TypeKind};

impl UnionConverter<'_> {
    /// The functions that read and write a variant's data (none for a unit variant).
    pub(super) fn variant_functions(&self, code: &mut Code, case: &Case<'_>) {
        match &case.data {
            CaseData::Unit => {}
            CaseData::Struct(props) => self.struct_functions(code, case, props),
            CaseData::Newtype(prop, ty) => self.newtype_functions(code, case, prop, ty),
            CaseData::Tuple(items) => self.tuple_functions(code, case, items),
        }
    }

    /// A struct variant: its fields, in an object of their own (beside the tag when internally
    /// tagged, where the function that writes them is `Write<Variant>Fields`).
    fn struct_functions(&self, code: &mut Code, case: &Case<'_>, props: &[Prop<'_>]) {
        let class = self.variant_class(case);
        let what = self.what(case);
        let internal = matches!(self.def.kind, TypeKind::Internal { .. });
        self.open_read_fn(code, case);
        code.line(format!(
            "{}.Expect(json, {}.Object, {what});",
            self.helper, self.kind
        ));
        code.line(format!("{class} value = new {class}();"));
        read_fields(self.ctx, code, props, &what, &self.scope);
        code.line("return value;");
        code.close();
        let fields_fn = if internal {
            format!("{}Fields", write_fn(case))
        } else {
            write_fn(case)
        };
        self.open_write_fn(code, case, &fields_fn);
        if !internal {
            code.line("writer.WriteStartObject();");
        }
        write_fields(self.ctx, code, props, &self.scope);
        if !internal {
            code.line("writer.WriteEndObject();");
        }
        code.close();
    }

    /// A newtype variant: its one value, in property `prop`.
    fn newtype_functions(&self, code: &mut Code, case: &Case<'_>, prop: &str, newtype: &Ty) {
        let (class, helper) = (self.variant_class(case), &self.helper);
        let ty = self.ctx.ty(newtype, &self.scope);
        self.open_read_fn(code, case);
        if matches!(self.def.kind, TypeKind::Untagged(_)) {
            required_fields(self.ctx, code, newtype, &self.what(case), &self.scope);
        }
        code.line(format!(
            "return new {class}({helper}.Read<{ty}>(json, options));"
        ));
        code.close();
        self.open_write_fn(code, case, &write_fn(case));
        code.line(format!(
            "{helper}.Write<{ty}>(writer, value.{prop}, options);"
        ));
        code.close();
    }

    /// A tuple variant: its values, in a JSON array.
    fn tuple_functions(&self, code: &mut Code, case: &Case<'_>, items: &[(String, &Ty)]) {
        let class = self.variant_class(case);
        self.open_read_fn(code, case);
        read_items(self.ctx, code, &class, items, &self.what(case), &self.scope);
        code.close();
        self.open_write_fn(code, case, &write_fn(case));
        write_items(self.ctx, code, items, &self.scope);
        code.close();
    }

    /// Begins the function that reads a variant's data from `json`.
    fn open_read_fn(&self, code: &mut Code, case: &Case<'_>) {
        code.blank();
        code.line(format!(
            "private static {} {}({} json, {} options)",
            self.variant_class(case),
            read_fn(case),
            self.element,
            self.options
        ));
        code.open();
    }

    /// Begins the function `name` that writes a variant's data.
    fn open_write_fn(&self, code: &mut Code, case: &Case<'_>, name: &str) {
        code.blank();
        code.line(format!(
            "private static void {name}({} writer, {} value, {} options)",
            self.writer,
            self.variant_class(case),
            self.options
        ));
        code.open();
    }

    /// The converter of a variant class: System.Text.Json looks converters up on the exact
    /// runtime type, and SignalR serializes arguments by theirs.
    pub(super) fn variant_converter(&self, code: &mut Code, case: &Case<'_>) {
        let (ctx, scope, def) = (self.ctx, &self.scope, self.def);
        let class = self.variant_class(case);
        let converter = ctx.gen_name(&self.converter, scope);
        let sig = signatures(ctx, &class, scope);
        code.doc(&Doc::new(
            None,
            &format!(
                "Reads and writes the variant class <c>{}.{}</c> (SignalR serializes arguments by their runtime type).",
                def.name, case.name
            ),
        ));
        code.line(format!(
            "public sealed class {} : {}<{class}>",
            variant_converter_name(case),
            ctx.fw("JsonConverter", scope)
        ));
        code.open();
        code.doc(&Doc::new(
            None,
            &format!("Reads <c>{}.{}</c> JSON.", def.name, case.name),
        ));
        code.line(&sig.read);
        code.open();
        parse_document(ctx, code, scope);
        code.open();
        code.line(format!(
            "{class} value = {converter}.ReadValue(document.RootElement, options) as {class};"
        ));
        code.line("if (value == null)");
        code.open();
        code.line(format!(
            "throw new {}({});",
            self.exception,
            literal(&format!(
                "{}.{}: the JSON holds another variant.",
                def.name, case.name
            ))
        ));
        code.close();
        code.line("return value;");
        code.close();
        code.close();
        code.blank();
        code.doc(&Doc::new(
            None,
            &format!("Writes <c>{}.{}</c> JSON.", def.name, case.name),
        ));
        code.line(&sig.write);
        code.open();
        code.line(format!("{converter}.WriteValue(writer, value, options);"));
        code.close();
        code.close();
    }
}
