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
