//! `WriteValue`: the JSON of whichever variant class a value is, in the enum's representation.

use super::converter::{UnionConverter, is_unit, write_fn};
use crate::csharp::classes::Case;
use crate::csharp::code::{Code, literal};
use crate::model::TypeKind;

impl UnionConverter<'_> {
    /// `WriteValue`, which the overrides and the variant converters call.
    pub(super) fn write_value(&self, code: &mut Code) {
        code.line(format!(
            "internal static void WriteValue({} writer, {} value, {} options)",
            self.writer, self.base, self.options
        ));
        code.open();
        code.line("if (value == null)");
        code.open();
        code.line("writer.WriteNullValue();");
        code.line("return;");
        code.close();
        for case in self.cases {
            self.write_case(code, case);
        }
        code.line(format!(
            "throw new {}({} + value.GetType().FullName + \".\");",
            self.exception,
            literal(&format!(
                "{}: not one of its variant classes: ",
                self.def.name
            ))
        ));
        code.close();
    }

    /// Writes the value if it is of `case`'s class; a variant with data is cast to a local
    /// (`asCircle`).
    fn write_case(&self, code: &mut Code, case: &Case<'_>) {
        let class = self.variant_class(case);
        let local = format!("as{}", case.name);
        if is_unit(case) {
            code.line(format!("if (value is {class})"));
        } else {
            code.line(format!("{class} {local} = value as {class};"));
            code.line(format!("if ({local} != null)"));
        }
        code.open();
        match &self.def.kind {
            TypeKind::External(_) => write_external(code, case, &local),
            TypeKind::Internal { tag, .. } => write_internal(code, case, tag, &local),
            TypeKind::Adjacent { tag, content, .. } => {
                write_adjacent(code, case, tag, content, &local);
            }
            TypeKind::Untagged(_) => write_untagged(code, case, &local),
            _ => unreachable!("a union is an enum with data"),
        }
        code.line("return;");
        code.close();
    }
}

/// Externally tagged: a unit variant's name, or an object whose only property is the variant.
fn write_external(code: &mut Code, case: &Case<'_>, local: &str) {
    let wire = literal(&case.variant.name);
    if is_unit(case) {
        code.line(format!("writer.WriteStringValue({wire});"));
    } else {
        code.line("writer.WriteStartObject();");
        code.line(format!("writer.WritePropertyName({wire});"));
        code.line(format!("{}(writer, {local}, options);", write_fn(case)));
        code.line("writer.WriteEndObject();");
    }
}

/// Internally tagged: an object with the tag, and the variant's fields beside it.
fn write_internal(code: &mut Code, case: &Case<'_>, tag: &str, local: &str) {
    write_tag(code, case, tag);
    if !is_unit(case) {
        code.line(format!(
            "{}Fields(writer, {local}, options);",
            write_fn(case)
        ));
    }
    code.line("writer.WriteEndObject();");
}

/// Adjacently tagged: an object with the tag, and the variant's data in `content`.
fn write_adjacent(code: &mut Code, case: &Case<'_>, tag: &str, content: &str, local: &str) {
    write_tag(code, case, tag);
    if !is_unit(case) {
        code.line(format!("writer.WritePropertyName({});", literal(content)));
        code.line(format!("{}(writer, {local}, options);", write_fn(case)));
    }
    code.line("writer.WriteEndObject();");
}

/// Opens an object and writes the tag property, the variant's name.
fn write_tag(code: &mut Code, case: &Case<'_>, tag: &str) {
    code.line("writer.WriteStartObject();");
    code.line(format!("writer.WritePropertyName({});", literal(tag)));
    code.line(format!(
        "writer.WriteStringValue({});",
        literal(&case.variant.name)
    ));
}

/// Untagged: the variant's data alone, `null` for a unit variant.
fn write_untagged(code: &mut Code, case: &Case<'_>, local: &str) {
    if is_unit(case) {
        code.line("writer.WriteNullValue();");
    } else {
        code.line(format!("{}(writer, {local}, options);", write_fn(case)));
    }
}
