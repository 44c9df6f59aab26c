//! `JsonConverters.cs`: System.Text.Json converters that read and write serde's exact wire
//! forms, for unit-only enums, enums with data (one converter for the base class and one per
//! variant class, since System.Text.Json looks converters up on the exact runtime type and
//! SignalR serializes arguments by theirs) and tuples.

mod data;
mod hub_codegen_json;
mod members;
mod tuple;
mod union;
mod unit_enum;

use super::classes::Class;
use super::code::Code;
use super::context::Ctx;
use hub_codegen_json::helper;
use tuple::tuple_converter;
use union::union_converter;
use unit_enum::enum_converter;

/// The contents of `JsonConverters.cs`.
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
