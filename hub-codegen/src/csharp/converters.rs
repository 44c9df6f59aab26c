//! `JsonConverters.cs`: System.Text.Json converters that read and write serde's exact wire
//! forms, for unit-only enums, enums with data (one converter for the base class and one per
//! variant class, since System.Text.Json looks converters up on the exact runtime type and
//! SignalR serializes arguments by theirs) and tuples.

use super::classes::{Case, CaseData, Class, Prop};
use super::code::{Code, Doc, literal};
use super::context::Ctx;
use super::dtos::variant_converter_name;
use super::names::{HELPER, converter_name};
use super::scope::Scope;
use super::tuples::Tuple;
use crate::model::{Ty, TypeDef, TypeKind};

pub(super) fn generate(ctx: &Ctx<'_>) -> String {
    let mut code = Code::default();
    ctx.header(
        &mut code,
        "System.Text.Json converters that give the types of Dtos.cs serde's exact wire form.",
        true,
    );
    code.line(format!("namespace {}", ctx.namespace()));
    code.open();
    ctx.usings(&mut code);
    code.blank();
    helper(ctx, &mut code);
    for (def, class) in &ctx.classes {
        match class {
            Class::Enum(members) => {
                code.blank();
                enum_converter(ctx, &mut code, def, members);
            }
            Class::Union(cases) => {
                code.blank();
                union_converter(ctx, &mut code, def, cases);
            }
            Class::Struct(_) | Class::Alias => {}
        }
    }
    for tuple in &ctx.tuples {
        code.blank();
        tuple_converter(ctx, &mut code, tuple);
    }
    code.close();
    code.finish()
}

/// The helpers every converter uses.
fn helper(ctx: &Ctx<'_>, code: &mut Code) {
    let scope = ctx.plain_scope([
        "Read", "Write", "Expect", "Items", "Required", "Tag", "NoData",
    ]);
    let element = ctx.fw("JsonElement", &scope);
    let options = ctx.fw("JsonSerializerOptions", &scope);
    let kind = ctx.fw("JsonValueKind", &scope);
    let exception = ctx.fw("JsonException", &scope);
    let list = ctx.fw("List", &scope);
    for line in [
        "/// <summary>What the generated converters share.</summary>".to_owned(),
        format!("internal static class {HELPER}"),
        "{".to_owned(),
        "    /// <summary>A value of type <typeparamref name=\"T\"/>, read with its own converter.</summary>".to_owned(),
        format!("    internal static T Read<T>({element} json, {options} options)"),
        "    {".to_owned(),
        format!("        return {}.Deserialize<T>(json.GetRawText(), options);", ctx.fw("JsonSerializer", &scope)),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Writes a value of type <typeparamref name=\"T\"/> with its own converter.</summary>".to_owned(),
        format!("    internal static void Write<T>({} writer, T value, {options} options)", ctx.fw("Utf8JsonWriter", &scope)),
        "    {".to_owned(),
        format!("        {}.Serialize<T>(writer, value, options);", ctx.fw("JsonSerializer", &scope)),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Throws unless <paramref name=\"json\"/> is of kind <paramref name=\"kind\"/>.</summary>".to_owned(),
        format!("    internal static void Expect({element} json, {kind} kind, string what)"),
        "    {".to_owned(),
        "        if (json.ValueKind != kind)".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": expected JSON of kind \" + kind + \", got \" + json.ValueKind + \".\");"),
        "        }".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>The items of an array that must have exactly <paramref name=\"count\"/> of them.</summary>".to_owned(),
        format!("    internal static {list}<{element}> Items({element} json, int count, string what)"),
        "    {".to_owned(),
        format!("        Expect(json, {kind}.Array, what);"),
        format!("        {list}<{element}> items = new {list}<{element}>(json.EnumerateArray());"),
        "        if (items.Count != count)".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": expected an array of \" + count + \" items, got \" + items.Count + \".\");"),
        "        }".to_owned(),
        "        return items;".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>A property that must be present.</summary>".to_owned(),
        format!("    internal static {element} Required({element} json, string name, string what)"),
        "    {".to_owned(),
        format!("        {element} value;"),
        "        if (!json.TryGetProperty(name, out value))".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": missing property \\\"\" + name + \"\\\".\");"),
        "        }".to_owned(),
        "        return value;".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>The string in the tag property of an object.</summary>".to_owned(),
        format!("    internal static string Tag({element} json, string tag, string what)"),
        "    {".to_owned(),
        format!("        Expect(json, {kind}.Object, what);"),
        format!("        {element} value = Required(json, tag, what);"),
        format!("        if (value.ValueKind != {kind}.String)"),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": the tag \\\"\" + tag + \"\\\" must be a string, got \" + value.ValueKind + \".\");"),
        "        }".to_owned(),
        "        return value.GetString();".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Throws if a variant without data has some (absent or null is fine).</summary>".to_owned(),
        format!("    internal static void NoData({element} json, string content, string what)"),
        "    {".to_owned(),
        format!("        {element} value;"),
        format!("        if (json.TryGetProperty(content, out value) && value.ValueKind != {kind}.Null)"),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": a variant without data, got \" + value.ValueKind + \" in \\\"\" + content + \"\\\".\");"),
        "        }".to_owned(),
        "    }".to_owned(),
        "}".to_owned(),
    ] {
        code.line(line);
    }
}

/// `Read`/`Write` overrides' signatures.
struct Signatures {
    read: String,
    write: String,
}

fn signatures(ctx: &Ctx<'_>, ty: &str, scope: &Scope) -> Signatures {
    Signatures {
        read: format!(
            "public override {ty} Read(ref {} reader, {} typeToConvert, {} options)",
            ctx.fw("Utf8JsonReader", scope),
            ctx.fw("Type", scope),
            ctx.fw("JsonSerializerOptions", scope)
        ),
        write: format!(
            "public override void Write({} writer, {ty} value, {} options)",
            ctx.fw("Utf8JsonWriter", scope),
            ctx.fw("JsonSerializerOptions", scope)
        ),
    }
}

/// Members of every converter, which hide types of the same names in expressions.
const CONVERTER_MEMBERS: &[&str] = &[
    "Read",
    "Write",
    "ReadValue",
    "WriteValue",
    "CanConvert",
    "HandleNull",
];

fn enum_converter(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, members: &[String]) {
    let TypeKind::StringEnum(values) = &def.kind else {
        unreachable!("an enum class is a string enum");
    };
    let scope = ctx.plain_scope(CONVERTER_MEMBERS.iter().copied());
    let name = ctx.gen_name(&def.name, &scope);
    let exception = ctx.fw("JsonException", &scope);
    let sig = signatures(ctx, &name, &scope);
    code.doc(&Doc::new(
        None,
        &format!("Reads and writes <c>{}</c> as its wire strings.", def.name),
    ));
    code.line(format!(
        "public sealed class {} : {}<{name}>",
        converter_name(&def.name),
        ctx.fw("JsonConverter", &scope)
    ));
    code.open();
    code.doc(&Doc::new(None, &format!("Reads <c>{}</c> JSON.", def.name)));
    code.line(&sig.read);
    code.open();
    code.line(format!(
        "if (reader.TokenType != {}.String)",
        ctx.fw("JsonTokenType", &scope)
    ));
    code.open();
    code.line(format!(
        "throw new {exception}({} + reader.TokenType + \".\");",
        literal(&format!("{}: expected a string, got ", def.name))
    ));
    code.close();
    code.line("string value = reader.GetString();");
    code.line("switch (value)");
    code.open();
    for (member, value) in members.iter().zip(values) {
        code.line(format!("case {}:", literal(&value.value)));
        code.line(format!("    return {name}.{member};"));
    }
    code.close();
    let expected: Vec<String> = values.iter().map(|value| literal(&value.value)).collect();
    code.line(format!(
        "throw new {exception}({} + value + {});",
        literal(&format!("{}: unknown value \"", def.name)),
        literal(&format!("\"; expected one of {}.", expected.join(", ")))
    ));
    code.close();
    code.blank();
    code.doc(&Doc::new(
        None,
        &format!("Writes <c>{}</c> JSON.", def.name),
    ));
    code.line(&sig.write);
    code.open();
    code.line("switch (value)");
    code.open();
    for (member, value) in members.iter().zip(values) {
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
        literal(&format!("{}: not one of its values: ", def.name))
    ));
    code.close();
    code.close();
}

/// Names of the helpers of one variant in its enum's converter.
fn read_fn(case: &Case<'_>) -> String {
    format!("Read{}", case.name)
}

fn write_fn(case: &Case<'_>) -> String {
    format!("Write{}", case.name)
}

fn union_converter(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, cases: &[Case<'_>]) {
    let converter = converter_name(&def.name);
    let scope =
        ctx.plain_scope(
            CONVERTER_MEMBERS
                .iter()
                .map(|name| (*name).to_owned())
                .chain(cases.iter().flat_map(|case| {
                    [read_fn(case), write_fn(case), variant_converter_name(case)]
                })),
        );
    let base = ctx.gen_name(&def.name, &scope);
    let element = ctx.fw("JsonElement", &scope);
    let options = ctx.fw("JsonSerializerOptions", &scope);
    let kind = ctx.fw("JsonValueKind", &scope);
    let exception = ctx.fw("JsonException", &scope);
    let helper = ctx.gen_name(HELPER, &scope);
    let sig = signatures(ctx, &base, &scope);
    let accepts_null = match &def.kind {
        TypeKind::Untagged(_) => cases
            .iter()
            .any(|case| json_kinds(ctx, case).is_none_or(|kinds| kinds.contains(&"Null"))),
        _ => false,
    };

    code.doc(&Doc::new(
        None,
        &format!(
            "Reads and writes <c>{}</c> and its variant classes in serde's wire form.",
            def.name
        ),
    ));
    code.line(format!(
        "public sealed class {converter} : {}<{base}>",
        ctx.fw("JsonConverter", &scope)
    ));
    code.open();
    if accepts_null {
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
    code.doc(&Doc::new(None, &format!("Reads <c>{}</c> JSON.", def.name)));
    code.line(&sig.read);
    code.open();
    code.line(format!(
        "using ({} document = {}.ParseValue(ref reader))",
        ctx.fw("JsonDocument", &scope),
        ctx.fw("JsonDocument", &scope)
    ));
    code.open();
    code.line("return ReadValue(document.RootElement, options);");
    code.close();
    code.close();
    code.blank();
    code.doc(&Doc::new(
        None,
        &format!("Writes <c>{}</c> JSON.", def.name),
    ));
    code.line(&sig.write);
    code.open();
    code.line("WriteValue(writer, value, options);");
    code.close();

    // ReadValue: dispatch on the representation.
    code.blank();
    code.line(format!(
        "internal static {base} ReadValue({element} json, {options} options)"
    ));
    code.open();
    let what = |case: &Case<'_>| literal(&format!("{}.{}", def.name, case.name));
    let unknown = |code: &mut Code, variable: &str| {
        code.line(format!(
            "throw new {exception}({} + {variable} + \"\\\".\");",
            literal(&format!("{}: unknown variant \"", def.name))
        ));
    };
    match &def.kind {
        TypeKind::External(_) => {
            let units: Vec<&Case<'_>> = cases
                .iter()
                .filter(|case| matches!(case.data, CaseData::Unit))
                .collect();
            if !units.is_empty() {
                code.line(format!("if (json.ValueKind == {kind}.String)"));
                code.open();
                code.line("string name = json.GetString();");
                code.line("switch (name)");
                code.open();
                for case in &units {
                    code.line(format!("case {}:", literal(&case.variant.name)));
                    code.line(format!("    return new {base}.{}();", case.name));
                }
                code.close();
                unknown(code, "name");
                code.close();
            }
            code.line(format!("if (json.ValueKind != {kind}.Object)"));
            code.open();
            code.line(format!(
                "throw new {exception}({} + json.ValueKind + \".\");",
                literal(&format!(
                    "{}: expected {}an object with one property (the variant), got ",
                    def.name,
                    if units.is_empty() { "" } else { "a string or " }
                ))
            ));
            code.close();
            code.line("string variant = null;");
            code.line(format!("{element} data = default({element});"));
            code.line("int count = 0;");
            code.line(format!(
                "foreach ({} property in json.EnumerateObject())",
                ctx.fw("JsonProperty", &scope)
            ));
            code.open();
            code.line("variant = property.Name;");
            code.line("data = property.Value;");
            code.line("count++;");
            code.close();
            code.line("if (count != 1)");
            code.open();
            code.line(format!(
                "throw new {exception}({} + count + \".\");",
                literal(&format!(
                    "{}: expected an object with one property (the variant), got properties: ",
                    def.name
                ))
            ));
            code.close();
            code.line("switch (variant)");
            code.open();
            for case in cases {
                code.line(format!("case {}:", literal(&case.variant.name)));
                if let CaseData::Unit = case.data {
                    code.line(format!(
                        "    {helper}.Expect(data, {kind}.Null, {});",
                        what(case)
                    ));
                    code.line(format!("    return new {base}.{}();", case.name));
                } else {
                    code.line(format!("    return {}(data, options);", read_fn(case)));
                }
            }
            code.close();
            unknown(code, "variant");
        }
        TypeKind::Internal { tag, .. } | TypeKind::Adjacent { tag, .. } => {
            let content = match &def.kind {
                TypeKind::Adjacent { content, .. } => Some(content),
                _ => None,
            };
            code.line(format!(
                "string tag = {helper}.Tag(json, {}, {});",
                literal(tag),
                literal(&def.name)
            ));
            code.line("switch (tag)");
            code.open();
            for case in cases {
                code.line(format!("case {}:", literal(&case.variant.name)));
                match (&case.data, content) {
                    (CaseData::Unit, Some(content)) => {
                        code.line(format!(
                            "    {helper}.NoData(json, {}, {});",
                            literal(content),
                            what(case)
                        ));
                        code.line(format!("    return new {base}.{}();", case.name));
                    }
                    (CaseData::Unit, None) => {
                        code.line(format!("    return new {base}.{}();", case.name));
                    }
                    (_, Some(content)) => code.line(format!(
                        "    return {}({helper}.Required(json, {}, {}), options);",
                        read_fn(case),
                        literal(content),
                        what(case)
                    )),
                    (_, None) => code.line(format!("    return {}(json, options);", read_fn(case))),
                }
            }
            code.close();
            unknown(code, "tag");
        }
        TypeKind::Untagged(_) => {
            code.line(
                "// serde's rule: the first variant, in order, that the JSON deserializes to.",
            );
            for case in cases {
                let kinds = json_kinds(ctx, case);
                let condition = kinds.as_ref().map(|kinds| {
                    kinds
                        .iter()
                        .map(|k| format!("json.ValueKind == {kind}.{k}"))
                        .collect::<Vec<_>>()
                        .join(" || ")
                });
                if let CaseData::Unit = case.data {
                    code.line(format!("if ({})", condition.expect("unit is null")));
                    code.open();
                    code.line(format!("return new {base}.{}();", case.name));
                    code.close();
                    continue;
                }
                if let Some(condition) = &condition {
                    code.line(format!("if ({condition})"));
                    code.open();
                }
                code.line("try");
                code.open();
                code.line(format!("return {}(json, options);", read_fn(case)));
                code.close();
                code.line(format!("catch ({exception})"));
                code.open();
                code.line("// Not this variant: try the next one.");
                code.close();
                if condition.is_some() {
                    code.close();
                }
            }
            code.line(format!(
                "throw new {exception}({} + json.ValueKind + \").\");",
                literal(&format!(
                    "{}: the JSON matches none of the variants (JSON kind ",
                    def.name
                ))
            ));
        }
        _ => unreachable!("a union is an enum with data"),
    }
    code.close();

    // WriteValue: dispatch on the variant class.
    code.blank();
    code.line(format!(
        "internal static void WriteValue({} writer, {base} value, {options} options)",
        ctx.fw("Utf8JsonWriter", &scope)
    ));
    code.open();
    code.line("if (value == null)");
    code.open();
    code.line("writer.WriteNullValue();");
    code.line("return;");
    code.close();
    for case in cases {
        let class = format!("{base}.{}", case.name);
        let local = format!("as{}", case.name);
        let unit = matches!(case.data, CaseData::Unit);
        if unit {
            code.line(format!("if (value is {class})"));
        } else {
            code.line(format!("{class} {local} = value as {class};"));
            code.line(format!("if ({local} != null)"));
        }
        code.open();
        let wire = literal(&case.variant.name);
        match &def.kind {
            TypeKind::External(_) => {
                if unit {
                    code.line(format!("writer.WriteStringValue({wire});"));
                } else {
                    code.line("writer.WriteStartObject();");
                    code.line(format!("writer.WritePropertyName({wire});"));
                    code.line(format!("{}(writer, {local}, options);", write_fn(case)));
                    code.line("writer.WriteEndObject();");
                }
            }
            TypeKind::Internal { tag, .. } => {
                code.line("writer.WriteStartObject();");
                code.line(format!("writer.WritePropertyName({});", literal(tag)));
                code.line(format!("writer.WriteStringValue({wire});"));
                if !unit {
                    code.line(format!(
                        "{}Fields(writer, {local}, options);",
                        write_fn(case)
                    ));
                }
                code.line("writer.WriteEndObject();");
            }
            TypeKind::Adjacent { tag, content, .. } => {
                code.line("writer.WriteStartObject();");
                code.line(format!("writer.WritePropertyName({});", literal(tag)));
                code.line(format!("writer.WriteStringValue({wire});"));
                if !unit {
                    code.line(format!("writer.WritePropertyName({});", literal(content)));
                    code.line(format!("{}(writer, {local}, options);", write_fn(case)));
                }
                code.line("writer.WriteEndObject();");
            }
            TypeKind::Untagged(_) => {
                if unit {
                    code.line("writer.WriteNullValue();");
                } else {
                    code.line(format!("{}(writer, {local}, options);", write_fn(case)));
                }
            }
            _ => unreachable!("a union is an enum with data"),
        }
        code.line("return;");
        code.close();
    }
    code.line(format!(
        "throw new {exception}({} + value.GetType().FullName + \".\");",
        literal(&format!("{}: not one of its variant classes: ", def.name))
    ));
    code.close();

    // Each variant's data.
    let internal = matches!(def.kind, TypeKind::Internal { .. });
    for case in cases {
        let class = format!("{base}.{}", case.name);
        let what = what(case);
        match &case.data {
            CaseData::Unit => continue,
            CaseData::Struct(props) => {
                code.blank();
                code.line(format!(
                    "private static {class} {}({element} json, {options} options)",
                    read_fn(case)
                ));
                code.open();
                code.line(format!("{helper}.Expect(json, {kind}.Object, {what});"));
                code.line(format!("{class} value = new {class}();"));
                read_fields(ctx, code, props, &what, &scope);
                code.line("return value;");
                code.close();
                code.blank();
                let fields_fn = if internal {
                    format!("{}Fields", write_fn(case))
                } else {
                    write_fn(case)
                };
                code.line(format!(
                    "private static void {fields_fn}({} writer, {class} value, {options} options)",
                    ctx.fw("Utf8JsonWriter", &scope)
                ));
                code.open();
                if !internal {
                    code.line("writer.WriteStartObject();");
                }
                write_fields(ctx, code, props, &scope);
                if !internal {
                    code.line("writer.WriteEndObject();");
                }
                code.close();
            }
            CaseData::Newtype(prop, newtype) => {
                let ty = ctx.ty(newtype, &scope);
                code.blank();
                code.line(format!(
                    "private static {class} {}({element} json, {options} options)",
                    read_fn(case)
                ));
                code.open();
                if matches!(def.kind, TypeKind::Untagged(_)) {
                    required_fields(ctx, code, newtype, &what, &scope);
                }
                code.line(format!(
                    "return new {class}({helper}.Read<{ty}>(json, options));"
                ));
                code.close();
                code.blank();
                code.line(format!(
                    "private static void {}({} writer, {class} value, {options} options)",
                    write_fn(case),
                    ctx.fw("Utf8JsonWriter", &scope)
                ));
                code.open();
                code.line(format!(
                    "{helper}.Write<{ty}>(writer, value.{prop}, options);"
                ));
                code.close();
            }
            CaseData::Tuple(items) => {
                code.blank();
                code.line(format!(
                    "private static {class} {}({element} json, {options} options)",
                    read_fn(case)
                ));
                code.open();
                read_items(ctx, code, &class, items, &what, &scope);
                code.close();
                code.blank();
                code.line(format!(
                    "private static void {}({} writer, {class} value, {options} options)",
                    write_fn(case),
                    ctx.fw("Utf8JsonWriter", &scope)
                ));
                code.open();
                write_items(ctx, code, items, &scope);
                code.close();
            }
        }
    }

    // A converter per variant class, delegating to the ones above.
    for case in cases {
        let class = format!("{base}.{}", case.name);
        let sig = signatures(ctx, &class, &scope);
        code.blank();
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
            ctx.fw("JsonConverter", &scope)
        ));
        code.open();
        code.doc(&Doc::new(
            None,
            &format!("Reads <c>{}.{}</c> JSON.", def.name, case.name),
        ));
        code.line(&sig.read);
        code.open();
        code.line(format!(
            "using ({} document = {}.ParseValue(ref reader))",
            ctx.fw("JsonDocument", &scope),
            ctx.fw("JsonDocument", &scope)
        ));
        code.open();
        code.line(format!(
            "{class} value = {}.ReadValue(document.RootElement, options) as {class};",
            ctx.gen_name(&converter, &scope)
        ));
        code.line("if (value == null)");
        code.open();
        code.line(format!(
            "throw new {exception}({});",
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
        code.line(format!(
            "{}.WriteValue(writer, value, options);",
            ctx.gen_name(&converter, &scope)
        ));
        code.close();
        code.close();
    }
    code.close();
}

/// Reads struct fields of `json` into `value`: serde's rules (a missing field is an error
/// unless it is optional or nullable; unknown fields are ignored).
fn read_fields(ctx: &Ctx<'_>, code: &mut Code, props: &[Prop<'_>], what: &str, scope: &Scope) {
    let helper = ctx.gen_name(HELPER, scope);
    let lenient: Vec<&Prop<'_>> = props
        .iter()
        .filter(|prop| prop.field.optional || ctx.holds_null(&prop.field.ty))
        .collect();
    if !lenient.is_empty() {
        code.line(format!("{} field;", ctx.fw("JsonElement", scope)));
    }
    for prop in props {
        let ty = ctx.field_ty(prop.field, scope);
        let wire = literal(&prop.field.name);
        if prop.field.optional || ctx.holds_null(&prop.field.ty) {
            code.line(format!("if (json.TryGetProperty({wire}, out field))"));
            code.open();
            code.line(format!(
                "value.{} = {helper}.Read<{ty}>(field, options);",
                prop.name
            ));
            code.close();
        } else {
            code.line(format!(
                "value.{} = {helper}.Read<{ty}>({helper}.Required(json, {wire}, {what}), options);",
                prop.name
            ));
        }
    }
}

/// For an untagged newtype variant around a struct: throws unless `json` is an object with
/// every field serde requires. System.Text.Json fills missing properties with defaults, so
/// without this the first such variant would match any object, where serde moves on to the
/// next variant.
fn required_fields(ctx: &Ctx<'_>, code: &mut Code, ty: &Ty, what: &str, scope: &Scope) {
    let Ty::Named(name) = ctx.resolve(ty) else {
        return;
    };
    let Class::Struct(props) = ctx.class_of(name) else {
        return;
    };
    let helper = ctx.gen_name(HELPER, scope);
    code.line(format!(
        "{helper}.Expect(json, {}.Object, {what});",
        ctx.fw("JsonValueKind", scope)
    ));
    for prop in props {
        if !prop.field.optional && !ctx.holds_null(&prop.field.ty) {
            code.line(format!(
                "{helper}.Required(json, {}, {what});",
                literal(&prop.field.name)
            ));
        }
    }
}

/// Writes struct fields of `value` (not the braces); optional ones only when not null.
fn write_fields(ctx: &Ctx<'_>, code: &mut Code, props: &[Prop<'_>], scope: &Scope) {
    let helper = ctx.gen_name(HELPER, scope);
    for prop in props {
        let ty = ctx.field_ty(prop.field, scope);
        let wire = literal(&prop.field.name);
        if prop.field.optional {
            code.line(format!("if (value.{} != null)", prop.name));
            code.open();
        }
        code.line(format!("writer.WritePropertyName({wire});"));
        code.line(format!(
            "{helper}.Write<{ty}>(writer, value.{}, options);",
            prop.name
        ));
        if prop.field.optional {
            code.close();
        }
    }
}

/// `return new Class(item1, item2..)` from a JSON array of exactly that many items.
fn read_items(
    ctx: &Ctx<'_>,
    code: &mut Code,
    class: &str,
    items: &[(String, &Ty)],
    what: &str,
    scope: &Scope,
) {
    let helper = ctx.gen_name(HELPER, scope);
    code.line(format!(
        "{}<{}> items = {helper}.Items(json, {}, {what});",
        ctx.fw("List", scope),
        ctx.fw("JsonElement", scope),
        items.len()
    ));
    let args: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(index, (_, ty))| {
            format!(
                "{helper}.Read<{}>(items[{index}], options)",
                ctx.ty(ty, scope)
            )
        })
        .collect();
    code.line(format!("return new {class}({});", args.join(", ")));
}

fn write_items(ctx: &Ctx<'_>, code: &mut Code, items: &[(String, &Ty)], scope: &Scope) {
    let helper = ctx.gen_name(HELPER, scope);
    code.line("writer.WriteStartArray();");
    for (name, ty) in items {
        code.line(format!(
            "{helper}.Write<{}>(writer, value.{name}, options);",
            ctx.ty(ty, scope)
        ));
    }
    code.line("writer.WriteEndArray();");
}

fn tuple_converter(ctx: &Ctx<'_>, code: &mut Code, tuple: &Tuple) {
    let scope = ctx.plain_scope(CONVERTER_MEMBERS.iter().copied());
    let class = ctx.gen_name(&tuple.name, &scope);
    let sig = signatures(ctx, &class, &scope);
    let items: Vec<(String, &Ty)> = tuple
        .items
        .iter()
        .enumerate()
        .map(|(index, ty)| (format!("Item{}", index + 1), ty))
        .collect();
    code.doc(&Doc::new(
        None,
        &format!("Reads and writes <c>{}</c> as a JSON array.", tuple.name),
    ));
    code.line(format!(
        "public sealed class {} : {}<{class}>",
        converter_name(&tuple.name),
        ctx.fw("JsonConverter", &scope)
    ));
    code.open();
    code.doc(&Doc::new(
        None,
        &format!("Reads <c>{}</c> JSON.", tuple.name),
    ));
    code.line(&sig.read);
    code.open();
    code.line(format!(
        "using ({} document = {}.ParseValue(ref reader))",
        ctx.fw("JsonDocument", &scope),
        ctx.fw("JsonDocument", &scope)
    ));
    code.open();
    code.line(format!(
        "{} json = document.RootElement;",
        ctx.fw("JsonElement", &scope)
    ));
    read_items(ctx, code, &class, &items, &literal(&tuple.name), &scope);
    code.close();
    code.close();
    code.blank();
    code.doc(&Doc::new(
        None,
        &format!("Writes <c>{}</c> JSON.", tuple.name),
    ));
    code.line(&sig.write);
    code.open();
    write_items(ctx, code, &items, &scope);
    code.close();
    code.close();
}

/// The JSON kinds (`JsonValueKind` members) a variant's data can have, `None` for any: the
/// untagged converter tries a variant only for these.
fn json_kinds(ctx: &Ctx<'_>, case: &Case<'_>) -> Option<Vec<&'static str>> {
    match &case.data {
        CaseData::Unit => Some(vec!["Null"]),
        CaseData::Struct(_) => Some(vec!["Object"]),
        CaseData::Tuple(_) => Some(vec!["Array"]),
        CaseData::Newtype(_, ty) => ty_kinds(ctx, ty),
    }
}

fn ty_kinds(ctx: &Ctx<'_>, ty: &Ty) -> Option<Vec<&'static str>> {
    Some(match ctx.resolve(ty) {
        Ty::Any => return None,
        Ty::Unit => vec!["Null"],
        Ty::Bool => vec!["True", "False"],
        Ty::Int(_) | Ty::Float { .. } => vec!["Number"],
        Ty::String | Ty::DateTime => vec!["String"],
        Ty::Array(_) | Ty::Tuple(_) => vec!["Array"],
        Ty::Map(_) => vec!["Object"],
        Ty::Nullable(inner) => {
            let mut kinds = ty_kinds(ctx, inner)?;
            kinds.push("Null");
            kinds
        }
        Ty::Named(name) => match ctx.class_of(name) {
            Class::Struct(_) => vec!["Object"],
            Class::Enum(_) => vec!["String"],
            Class::Union(cases) => match &ctx.def(name).kind {
                TypeKind::External(_) => {
                    let mut kinds = Vec::new();
                    if cases.iter().any(|case| matches!(case.data, CaseData::Unit)) {
                        kinds.push("String");
                    }
                    if cases
                        .iter()
                        .any(|case| !matches!(case.data, CaseData::Unit))
                    {
                        kinds.push("Object");
                    }
                    kinds
                }
                TypeKind::Internal { .. } | TypeKind::Adjacent { .. } => vec!["Object"],
                _ => return None,
            },
            Class::Alias => unreachable!("resolved"),
        },
    })
}
