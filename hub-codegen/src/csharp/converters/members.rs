//! What every converter class has: members that hide types, and the `Read` and `Write`
//! overrides.

use crate::csharp::code::Code;
use crate::csharp::context::Ctx;
use crate::csharp::scope::Scope;

/// `Read`/`Write` overrides' signatures.
pub(super) struct Signatures {
    pub(super) read: String,
    pub(super) write: String,
}

/// The overrides' signatures in a converter of `ty`.
pub(super) fn signatures(ctx: &Ctx<'_>, ty: &str, scope: &Scope) -> Signatures {
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
pub(super) const CONVERTER_MEMBERS: &[&str] = &[
    "Read",
    "Write",
    "ReadValue",
    "WriteValue",
    "CanConvert",
    "HandleNull",
];

/// The statement that opens a `Read` override's body: the value, parsed into `document`.
pub(super) fn parse_document(ctx: &Ctx<'_>, code: &mut Code, scope: &Scope) {
    code.line(format!(
        "using ({} document = {}.ParseValue(ref reader))",
        ctx.fw("JsonDocument", scope),
        ctx.fw("JsonDocument", scope)
    ));
}
