//! The converter of a tuple class: a JSON array of exactly its items.

use super::data::{read_items, write_items};
use super::members::{CONVERTER_MEMBERS, parse_document, signatures};
use crate::csharp::code::{Code, Doc, literal};
use crate::csharp::context::Ctx;
use crate::csharp::names::converter_name;
use crate::csharp::tuples::Tuple;

/// Writes the converter of `tuple`.
pub(super) fn tuple_converter(ctx: &Ctx<'_>, code: &mut Code, tuple: &Tuple) {
    let scope = ctx.plain_scope(CONVERTER_MEMBERS.iter().copied());
    let class = ctx.gen_name(&tuple.name, &scope);
    let sig = signatures(ctx, &class, &scope);
    let items = tuple.properties();
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
    parse_document(ctx, code, &scope);
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
