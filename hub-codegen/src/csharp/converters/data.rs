//! Reading and writing a value's data: struct fields, and the items of a JSON array.

use crate::csharp::classes::{Class, Prop};
use crate::csharp::code::{Code, literal};
use crate::csharp::context::Ctx;
use crate::csharp::names::HELPER;
use crate::csharp::scope::Scope;
use crate::model::Ty;

/// Reads struct fields of `json` into `value`: serde's rules (a missing field is an error
/// unless it is optional or nullable; unknown fields are ignored).
pub(super) fn read_fields(
    ctx: &Ctx<'_>,
    code: &mut Code,
    props: &[Prop<'_>],
    what: &str,
    scope: &Scope,
) {
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
pub(super) fn required_fields(ctx: &Ctx<'_>, code: &mut Code, ty: &Ty, what: &str, scope: &Scope) {
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
pub(super) fn write_fields(ctx: &Ctx<'_>, code: &mut Code, props: &[Prop<'_>], scope: &Scope) {
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
pub(super) fn read_items(
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

/// Writes the items of `value` as a JSON array.
pub(super) fn write_items(ctx: &Ctx<'_>, code: &mut Code, items: &[(String, &Ty)], scope: &Scope) {
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
