//! The converter of a unit-only enum: one of its wire strings.

use super::members::{CONVERTER_MEMBERS, Signatures, signatures};
use crate::csharp::code::{Code, Doc, literal};
use crate::csharp::context::Ctx;
use crate::csharp::names::converter_name;
use crate::csharp::scope::Scope;
use crate::model::{EnumValue, TypeDef, TypeKind};

/// Writes the converter of `def`, a unit-only enum whose C# members are `members`.
pub(super) fn enum_converter(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, members: &[String]) {
    let TypeKind::StringEnum(values) = &def.kind else {
        unreachable!("an enum class is a string enum");
    };
    let scope = ctx.plain_scope(CONVERTER_MEMBERS.iter().copied());
    let converter = EnumConverter {
        ctx,
        def,
        members,
        values,
        name: ctx.gen_name(&def.name, &scope),
        exception: ctx.fw("JsonException", &scope),
        scope,
    };
    converter.class(code);
}

/// A unit-only enum's converter being written, and the names its code uses.
struct EnumConverter<'c> {
    ctx: &'c Ctx<'c>,
    def: &'c TypeDef,
    /// The C# members, in order.
    members: &'c [String],
    /// The wire strings, in the same order.
    values: &'c [EnumValue],
    scope: Scope,
    /// The enum, as written in the converter.
    name: String,
    exception: String,
}

impl EnumConverter<'_> {
    fn class(&self, code: &mut Code) {
        let (ctx, def) = (self.ctx, self.def);
        let sig = signatures(ctx, &self.name, &self.scope);
        code.doc(&Doc::new(
            None,
            &format!("Reads and writes <c>{}</c> as its wire strings.", def.name),
        ));
        code.line(format!(
            "public sealed class {} : {}<{}>",
            converter_name(&def.name),
            ctx.fw("JsonConverter", &self.scope),
            self.name
        ));
        code.open();
        self.read(code, &sig);
        code.blank();
        self.write(code, &sig);
        code.close();
    }

    /// The `Read` override: the member of a wire string.
    fn read(&self, code: &mut Code, sig: &Signatures) {
        let (name, exception) = (&self.name, &self.exception);
        let def_name = &self.def.name;
        code.doc(&Doc::new(None, &format!("Reads <c>{def_name}</c> JSON.")));
        code.line(&sig.read);
        code.open();
        code.line(format!(
            "if (reader.TokenType != {}.String)",
            self.ctx.fw("JsonTokenType", &self.scope)
        ));
        code.open();
        code.line(format!(
            "throw new {exception}({} + reader.TokenType + \".\");",
            literal(&format!("{def_name}: expected a string, got "))
        ));
        code.close();
        code.line("string value = reader.GetString();");
        code.line("switch (value)");
        code.open();
        for (member, value) in self.members.iter().zip(self.values) {
            code.line(format!("case {}:", literal(&value.value)));
            code.line(format!("    return {name}.{member};"));
        }
        code.close();
        let expected: Vec<String> = self
            .values
            .iter()
            .map(|value| literal(&value.value))
            .collect();
        code.line(format!(
            "throw new {exception}({} + value + {});",
            literal(&format!("{def_name}: unknown value \"")),
            literal(&format!("\"; expected one of {}.", expected.join(", ")))
        ));
        code.close();
    }

    /// The `Write` override: a member's wire string.
    fn write(&self, code: &mut Code, sig: &Signatures) {
        let (name, exception) = (&self.name, &self.exception);
        let def_name = &self.def.name;
        code.doc(&Doc::new(None, &format!("Writes <c>{def_name}</c> JSON.")));
        code.line(&sig.write);
        code.open();
        code.line("switch (value)");
        code.open();
        for (member, value) in self.members.iter().zip(self.values) {
            code.line(format!("case {name}.{member}:"));
            code.line(format!(
                "    writer.WriteStringValue({});",
                literal(&value.value)
            ));
            code.line("    return;");
        }
        code.close();
        code.line(format!(
            "throw new {exception}({} + (int)value + \".\");",
            literal(&format!("{def_name}: not one of its values: "))
        ));
        code.close();
    }
}
