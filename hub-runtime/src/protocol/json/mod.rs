//! The JSON hub protocol: each message is one JSON object followed by `0x1E`.
//!
//! Reading: `framing` splits input at the record separators, `parse` reads each message (with
//! `plain` for the common Invocation, `arguments` for the arguments array). Writing: `encode`
//! writes the messages, `scalar` the values in them, `string` their strings.

mod arguments;
mod encode;
mod framing;
mod parse;
mod plain;
mod scalar;
mod string;

pub(crate) use encode::JsonEncoder;
pub(crate) use framing::{JsonMessages, RECORD_SEPARATOR};
pub(crate) use parse::{parse_json_message, parse_json_text};
// The two readers on their own, for the fuzz targets to compare.
#[cfg(feature = "fuzzing")]
pub(crate) use {parse::parse_any_message, plain::parse_plain_invocation};
