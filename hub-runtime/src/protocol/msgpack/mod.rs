//! The MessagePack hub protocol: each message is a MessagePack array, prefixed by its length as
//! a little-endian base-128 varint.
//!
//! Values are written with rmp-serde the way the official clients read them: structs as maps
//! with their field names, unit enum variants as strings, human-readable forms (a UUID as its
//! string). Arguments are not decoded while parsing: each is kept as the slice of bytes it spans,
//! found by skipping over it, and decoded into the parameter type when the call is bound.

mod encode;
mod framing;
mod parse;
mod reader;
#[cfg(test)]
mod tests;

pub(crate) use encode::MessagePackEncoder;
pub(crate) use framing::MessagePackMessages;
pub(crate) use parse::parse_messagepack_message;

/// The bytes of the value at the start of `bytes`, as the reader skips over an argument: for
/// the fuzz targets to compare with other readers.
#[cfg(feature = "fuzzing")]
pub(crate) fn skip_value(bytes: &[u8]) -> Result<&[u8], crate::protocol::error::ProtocolError> {
    reader::Reader::new(bytes).value()
}
