//! `Dtos.cs`: classes for structs, enums for unit-only enums, abstract classes with nested
//! variant classes for enums with data, classes for tuples.

use super::classes::{Case, CaseData, Class, Prop};
use super::code::{Code, Doc, escape, literal};
use super::context::Ctx;
use super::names::converter_name;
use super::scope::Scope;
use super::tuples::Tuple;
use crate::model::{Ty, TypeDef, TypeKind, VariantData};

pub(super) fn generate(ctx: &Ctx<'_>) -> String {
    let mut code = Code::default();
    ctx.header(
        &mut code,
        "The hubs' data types. Their System.Text.Json converters are in JsonConverters.cs.",
        false,
    );
    code.line(format!("namespace {}", ctx.namespace()));
    code.open();
    ctx.usings(&mut code);
    for (def, class) in &ctx.classes {
        match class {
            Class::Struct(props) => {
                code.blank();
                struct_class(ctx, &mut code, def, props);
            }
            Class::Enum(members) => {
                code.blank();
                enum_type(ctx, &mut code, def, members);
            }
            Class::Union(cases) => {
                code.blank();
                union(ctx, &mut code, def, cases);
            }
            Class::Alias => {}
        }
    }
    for tuple in &ctx.tuples {
        code.blank();
        tuple_class(ctx, &mut code, tuple);
    }
    code.close();
    code.finish()
}

fn struct_class(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, props: &[Prop<'_>]) {
    code.doc(&Doc::new(
        def.description.as_deref(),
        &format!("The <c>{}</c> object.", def.name),
    ));
    code.line(format!("public sealed class {}", def.name));
    code.open();
    let scope = ctx
        .top_scope()
        .members(props.iter().map(|prop| prop.name.clone()));
    for (index, prop) in props.iter().enumerate() {
        if index > 0 {
            code.blank();
        }
        code.doc(&field_doc(ctx, prop));
        code.line(format!(
            "[{}({})]",
            ctx.fw("JsonPropertyName", &scope),
            literal(&prop.field.name)
        ));
        if prop.field.optional {
            code.line(format!(
                "[{}(Condition = {}.WhenWritingNull)]",
                ctx.fw("JsonIgnore", &scope),
                ctx.fw_expr("JsonIgnoreCondition", &scope)
            ));
        }
        let init = if ctx.needs_null_forgiving(prop.field) {
            " = null!;"
        } else {
            ""
        };
        code.line(format!(
            "public {} {} {{ get; set; }}{init}",
            ctx.field_ty(prop.field, &scope),
            prop.name
        ));
    }
    code.close();
}

/// A field's documentation: its description, whether it may be missing, its newtype.
fn field_doc(ctx: &Ctx<'_>, prop: &Prop<'_>) -> Doc {
    let field = prop.field;
    let mut doc = Doc::new(
        field.description.as_deref(),
        &format!("The <c>{}</c> field.", escape(&field.name)),
    );
    if field.optional {
        doc = doc.remark(
            "Optional: <c>null</c> when the field is missing, and left out when sending <c>null</c>.",
        );
    }
    if let Some(alias) = ctx.alias_of(&field.ty) {
        let about = alias
            .description
            .as_deref()
            .map(|text| format!(": {}", Doc::new(Some(text), "").summary_text()))
            .unwrap_or_default();
        doc = doc.remark(format!("Type <c>{}</c>{about}", alias.name));
    }
    doc
}

fn enum_type(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, members: &[String]) {
    let TypeKind::StringEnum(values) = &def.kind else {
        unreachable!("an enum class is a string enum");
    };
    let scope = ctx.top_scope();
    code.doc(
        &Doc::new(
            def.description.as_deref(),
            &format!("The <c>{}</c> values.", def.name),
        )
        .remark(format!(
            "A string on the wire ({}), mapped by <c>{}</c>.",
            values
                .iter()
                .map(|value| format!("<c>{}</c>", escape(&literal(&value.value))))
                .collect::<Vec<_>>()
                .join(", "),
            converter_name(&def.name)
        )),
    );
    code.line(format!(
        "[{}(typeof({}))]",
        ctx.fw("JsonConverter", &scope),
        ctx.gen_name(&converter_name(&def.name), &scope)
    ));
    code.line(format!("public enum {}", def.name));
    code.open();
    for (index, (member, value)) in members.iter().zip(values).enumerate() {
        if index > 0 {
            code.blank();
        }
        let wire = format!("<c>{}</c>", escape(&literal(&value.value)));
        let doc = match &value.description {
            Some(description) => {
                Doc::new(Some(description), "").remark(format!("On the wire: {wire}."))
            }
            None => Doc::new(None, &format!("{wire} on the wire.")),
        };
        code.doc(&doc);
        code.line(format!("{member},"));
    }
    code.close();
}

/// An enum with data: an abstract class with a nested sealed class per variant.
fn union(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, cases: &[Case<'_>]) {
    let top = ctx.top_scope();
    let scope = top.and(cases.iter().map(|case| case.name.clone()));
    code.doc(&union_doc(def, cases));
    code.line(format!(
        "[{}(typeof({}))]",
        ctx.fw("JsonConverter", &top),
        ctx.gen_name(&converter_name(&def.name), &top)
    ));
    code.line(format!("public abstract class {}", def.name));
    code.open();
    code.line(format!("private {}()", def.name));
    code.open();
    code.close();
    for case in cases {
        code.blank();
        variant_class(ctx, code, def, case, &scope);
    }
    code.close();
}

/// An enum with data's documentation: its description, its variant classes and its wire form.
fn union_doc(def: &TypeDef, cases: &[Case<'_>]) -> Doc {
    let form = match &def.kind {
        TypeKind::External(_) => String::from(
            "On the wire (serde's externally tagged form): a variant without data is its name as a string, any other an object whose only property is the variant's name.",
        ),
        TypeKind::Internal { tag, .. } => format!(
            "On the wire (serde's internally tagged form): an object whose <c>{}</c> property names the variant, beside the variant's fields.",
            escape(&literal(tag))
        ),
        TypeKind::Adjacent { tag, content, .. } => format!(
            "On the wire (serde's adjacently tagged form): an object whose <c>{}</c> property names the variant and whose <c>{}</c> property holds its data.",
            escape(&literal(tag)),
            escape(&literal(content))
        ),
        TypeKind::Untagged(_) => String::from(
            "On the wire (serde's untagged form): the variant's data alone. Reading takes the first variant, in order, that the JSON matches.",
        ),
        _ => unreachable!("a union is an enum with data"),
    };
    Doc::new(
        def.description.as_deref(),
        &format!("The <c>{}</c> variants.", def.name),
    )
    .remark(format!(
        "One of the nested classes ({}). {form}",
        cases
            .iter()
            .map(|case| format!("<c>{}.{}</c>", def.name, case.name))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The nested class of a variant of `def`, with its converter.
fn variant_class(ctx: &Ctx<'_>, code: &mut Code, def: &TypeDef, case: &Case<'_>, scope: &Scope) {
    let wire = match (&def.kind, &case.variant.data) {
        (TypeKind::Untagged(_), VariantData::Newtype(_)) => {
            String::from("On the wire: the value alone.")
        }
        (kind, _) => format!("On the wire: <c>{}</c>.", escape(&wire_example(kind, case))),
    };
    code.doc(
        &Doc::new(
            case.variant.description.as_deref(),
            &format!("The <c>{}</c> variant.", escape(&case.variant.name)),
        )
        .remark(wire),
    );
    // System.Text.Json looks up [JsonConverter] on the exact runtime type (not inherited), and
    // SignalR serializes each argument and client result by its runtime type.
    code.line(format!(
        "[{}(typeof({}.{}))]",
        ctx.fw("JsonConverter", scope),
        ctx.gen_name(&converter_name(&def.name), scope),
        variant_converter_name(case)
    ));
    code.line(format!("public sealed class {} : {}", case.name, def.name));
    code.open();
    variant_properties(ctx, code, case, scope);
    code.close();
}

/// A variant class's properties, and constructors for a newtype or tuple variant.
fn variant_properties(ctx: &Ctx<'_>, code: &mut Code, case: &Case<'_>, scope: &Scope) {
    match &case.data {
        CaseData::Unit => {}
        CaseData::Struct(props) => {
            let inner = scope.members(props.iter().map(|prop| prop.name.clone()));
            for (index, prop) in props.iter().enumerate() {
                if index > 0 {
                    code.blank();
                }
                code.doc(&field_doc(ctx, prop));
                let init = if ctx.needs_null_forgiving(prop.field) {
                    " = null!;"
                } else {
                    ""
                };
                code.line(format!(
                    "public {} {} {{ get; set; }}{init}",
                    ctx.field_ty(prop.field, &inner),
                    prop.name
                ));
            }
        }
        CaseData::Newtype(prop, ty) => {
            let items = [(prop.clone(), *ty)];
            let inner = scope.members([prop.clone()]);
            constructors(ctx, code, &case.name, &items, &inner);
            code.blank();
            code.doc(&Doc::new(None, "The variant's data."));
            property(ctx, code, prop, ty, &inner);
        }
        CaseData::Tuple(items) => {
            let inner = scope.members(items.iter().map(|(name, _)| name.clone()));
            constructors(ctx, code, &case.name, items, &inner);
            for (index, (name, ty)) in items.iter().enumerate() {
                code.blank();
                code.doc(&Doc::new(
                    None,
                    &format!("Item {} of the variant's data (a JSON array).", index + 1),
                ));
                property(ctx, code, name, ty, &inner);
            }
        }
    }
}

/// The nested converter of a variant (inside the enum's converter).
pub(super) fn variant_converter_name(case: &Case<'_>) -> String {
    format!("{}Converter", case.name)
}

/// A parameterless constructor and one that sets every item.
fn constructors(
    ctx: &Ctx<'_>,
    code: &mut Code,
    class: &str,
    items: &[(String, &Ty)],
    scope: &Scope,
) {
    code.doc(&Doc::new(
        None,
        &format!("A <c>{class}</c> whose properties are to be set."),
    ));
    code.line(format!("public {class}()"));
    code.open();
    code.close();
    code.blank();
    let params = super::names::parameters(items.iter().map(|(name, _)| name.as_str()), &[]);
    code.doc(&Doc::new(
        None,
        &format!("A <c>{class}</c> holding these values."),
    ));
    code.line(format!(
        "public {class}({})",
        items
            .iter()
            .zip(&params)
            .map(|((_, ty), param)| format!("{} {param}", ctx.ty(ty, scope)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    code.open();
    for ((name, _), param) in items.iter().zip(&params) {
        code.line(format!("this.{name} = {param};"));
    }
    code.close();
}

fn property(ctx: &Ctx<'_>, code: &mut Code, name: &str, ty: &Ty, scope: &Scope) {
    let init = if ctx.options.nullable && !ctx.holds_null(ty) && !ctx.is_value_type(ty) {
        " = null!;"
    } else {
        ""
    };
    code.line(format!(
        "public {} {name} {{ get; set; }}{init}",
        ctx.ty(ty, scope)
    ));
}

fn tuple_class(ctx: &Ctx<'_>, code: &mut Code, tuple: &Tuple) {
    let items = tuple.properties();
    let scope = ctx
        .top_scope()
        .members(items.iter().map(|(name, _)| name.clone()));
    code.doc(&Doc::new(
        None,
        &format!(
            "A tuple ({}): a JSON array of {} items.",
            items
                .iter()
                .map(|(_, ty)| format!("<c>{}</c>", escape(&ctx.ty(ty, &scope))))
                .collect::<Vec<_>>()
                .join(", "),
            items.len()
        ),
    ));
    code.line(format!(
        "[{}(typeof({}))]",
        ctx.fw("JsonConverter", &scope),
        ctx.gen_name(&converter_name(&tuple.name), &scope)
    ));
    code.line(format!("public sealed class {}", tuple.name));
    code.open();
    constructors(ctx, code, &tuple.name, &items, &scope);
    for (index, (name, ty)) in items.iter().enumerate() {
        code.blank();
        code.doc(&Doc::new(
            None,
            &format!("Item {} of the array.", index + 1),
        ));
        property(ctx, code, name, ty, &scope);
    }
    code.close();
}

/// What a variant looks like on the wire, `..` for values: `{"Circle": {"radius": ..}}`.
fn wire_example(kind: &TypeKind, case: &Case<'_>) -> String {
    let name = serde_json::Value::String(case.variant.name.clone()).to_string();
    let data = match &case.variant.data {
        VariantData::Unit => None,
        VariantData::Struct(fields) => Some(format!(
            "{{{}}}",
            fields
                .iter()
                .map(|field| format!("{}: ..", serde_json::Value::String(field.name.clone())))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        VariantData::Newtype(_) => Some(String::from("..")),
        VariantData::Tuple(items) => Some(format!("[{}]", vec![".."; items.len()].join(", "))),
    };
    match kind {
        TypeKind::External(_) => match data {
            None => name,
            Some(data) => format!("{{{name}: {data}}}"),
        },
        TypeKind::Internal { tag, .. } => {
            let tag = serde_json::Value::String(tag.clone()).to_string();
            match data {
                Some(fields) if fields.len() > 2 => {
                    format!("{{{tag}: {name}, {}", &fields[1..])
                }
                _ => format!("{{{tag}: {name}}}"),
            }
        }
        TypeKind::Adjacent { tag, content, .. } => {
            let tag = serde_json::Value::String(tag.clone()).to_string();
            let content = serde_json::Value::String(content.clone()).to_string();
            match data {
                None => format!("{{{tag}: {name}}}"),
                Some(data) => format!("{{{tag}: {name}, {content}: {data}}}"),
            }
        }
        TypeKind::Untagged(_) => data.unwrap_or_else(|| String::from("null")),
        _ => unreachable!("a union is an enum with data"),
    }
}
