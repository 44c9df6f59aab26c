//! The MessagePack hub protocol: each message is a MessagePack array, prefixed by its length as
//! a little-endian base-128 varint.
//!
//! Values are written with rmp-serde the way the official clients read them: structs as maps
//! with their field names, unit enum variants as strings, human-readable forms (a UUID as its
//! string). Arguments are not decoded while parsing: each is kept as the slice of bytes it spans,
//! found by skipping over it, and decoded into the parameter type when the call is bound.

use std::borrow::Cow;

use serde::Serialize;

use super::error::ProtocolError;
use super::framing::SplitMessages;
use super::message::{
    Arguments, Close, Completion, CompletionBody, HubMessage, Invocation, StreamItem,
};
use super::value::EncodedValue;

/// Nesting deeper than this is refused (a stack-safe bound for hostile input).
const MAX_DEPTH: usize = 64;

/// Splits `input` into length-prefixed messages: the complete ones and the unfinished rest.
pub fn split_messagepack_messages(
    input: &[u8],
    max_message_size: Option<usize>,
) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
    MessagePackMessages::new(input, max_message_size).collect_all()
}

/// The messages of `input` one by one, as [`split_messagepack_messages`] splits them, without
/// collecting them.
#[derive(Debug)]
pub(crate) struct MessagePackMessages<'a> {
    rest: &'a [u8],
    max: Option<usize>,
    done: bool,
}

impl<'a> MessagePackMessages<'a> {
    pub(crate) fn new(input: &'a [u8], max: Option<usize>) -> Self {
        MessagePackMessages {
            rest: input,
            max,
            done: false,
        }
    }
}

impl<'a> SplitMessages<'a> for MessagePackMessages<'a> {
    fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for MessagePackMessages<'a> {
    type Item = Result<&'a [u8], ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (length, header) = match read_varint(self.rest) {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(err) => {
                self.done = true;
                return Some(Err(err));
            }
        };
        if let Some(max) = self.max.filter(|&max| length > max) {
            self.done = true;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        }
        let Some(end) = header
            .checked_add(length)
            .filter(|&end| end <= self.rest.len())
        else {
            self.done = true;
            return None;
        };
        let message = &self.rest[header..end];
        self.rest = &self.rest[end..];
        Some(Ok(message))
    }
}

/// The length prefix: `Ok(None)` while incomplete, else the length and the prefix's size.
fn read_varint(input: &[u8]) -> Result<Option<(usize, usize)>, ProtocolError> {
    let mut length: usize = 0;
    for (i, &byte) in input.iter().enumerate().take(5) {
        length |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            if i == 4 && byte > 0x07 {
                return Err(invalid("Messages over 2GB in size are not supported."));
            }
            return Ok(Some((length, i + 1)));
        }
    }
    if input.len() >= 5 {
        return Err(invalid("Messages over 2GB in size are not supported."));
    }
    Ok(None)
}

/// Writes `body` with its varint length prefix, into a `Vec` of exactly that size (frames become
/// `Bytes`, which need an extra allocation for a `Vec` with spare capacity).
fn framed(body: Vec<u8>) -> Vec<u8> {
    let prefix = (usize::BITS - body.len().leading_zeros())
        .div_ceil(7)
        .max(1) as usize;
    let mut out = Vec::with_capacity(prefix + body.len());
    let mut length = body.len();
    loop {
        let byte = (length & 0x7f) as u8;
        length >>= 7;
        if length == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&body);
    out
}

fn invalid(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMessagePack(detail.into())
}

/// A cursor over one message.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, ProtocolError> {
        let byte = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| invalid("Unexpected end of message."))?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| invalid("Unexpected end of message."))?;
        let slice = &self.buf[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, ProtocolError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn array_len(&mut self) -> Result<usize, ProtocolError> {
        match self.byte()? {
            b @ 0x90..=0x9f => Ok((b & 0x0f) as usize),
            0xdc => Ok(self.uint(2)? as usize),
            0xdd => Ok(self.uint(4)? as usize),
            _ => Err(invalid("Expected an array.")),
        }
    }

    fn map_len(&mut self) -> Result<usize, ProtocolError> {
        match self.byte()? {
            b @ 0x80..=0x8f => Ok((b & 0x0f) as usize),
            0xde => Ok(self.uint(2)? as usize),
            0xdf => Ok(self.uint(4)? as usize),
            _ => Err(invalid("Expected a map.")),
        }
    }

    fn int(&mut self) -> Result<i64, ProtocolError> {
        let value = match self.byte()? {
            b @ 0x00..=0x7f => i64::from(b),
            b @ 0xe0..=0xff => i64::from(b as i8),
            0xcc => self.uint(1)? as i64,
            0xcd => self.uint(2)? as i64,
            0xce => self.uint(4)? as i64,
            0xcf => i64::try_from(self.uint(8)?).map_err(|_| invalid("Integer out of range."))?,
            0xd0 => i64::from(self.uint(1)? as u8 as i8),
            0xd1 => i64::from(self.uint(2)? as u16 as i16),
            0xd2 => i64::from(self.uint(4)? as u32 as i32),
            0xd3 => self.uint(8)? as i64,
            _ => return Err(invalid("Expected an integer.")),
        };
        Ok(value)
    }

    fn str(&mut self) -> Result<&'a str, ProtocolError> {
        let len = match self.byte()? {
            b @ 0xa0..=0xbf => (b & 0x1f) as usize,
            0xd9 => self.uint(1)? as usize,
            0xda => self.uint(2)? as usize,
            0xdb => self.uint(4)? as usize,
            _ => return Err(invalid("Expected a string.")),
        };
        std::str::from_utf8(self.take(len)?).map_err(|_| invalid("Invalid UTF-8 in a string."))
    }

    fn nil_or_str(&mut self) -> Result<Option<&'a str>, ProtocolError> {
        if self.peek() == Some(0xc0) {
            self.pos += 1;
            return Ok(None);
        }
        self.str().map(Some)
    }

    fn bool(&mut self) -> Result<bool, ProtocolError> {
        match self.byte()? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            _ => Err(invalid("Expected a boolean.")),
        }
    }

    /// Headers: a map of strings, which the server does not use.
    fn headers(&mut self) -> Result<(), ProtocolError> {
        let len = self.map_len()?;
        for _ in 0..len {
            self.str()?;
            self.str()?;
        }
        Ok(())
    }

    /// The bytes of the next value, whatever it is.
    fn value(&mut self) -> Result<&'a [u8], ProtocolError> {
        let start = self.pos;
        self.skip(0)?;
        Ok(&self.buf[start..self.pos])
    }

    fn skip(&mut self, depth: usize) -> Result<(), ProtocolError> {
        if depth > MAX_DEPTH {
            return Err(invalid("Values are nested too deeply."));
        }
        let (items, bytes) = match self.byte()? {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            b @ 0x80..=0x8f => (2 * (b & 0x0f) as usize, 0),
            b @ 0x90..=0x9f => ((b & 0x0f) as usize, 0),
            b @ 0xa0..=0xbf => (0, (b & 0x1f) as usize),
            0xc4 | 0xd9 => (0, self.uint(1)? as usize),
            0xc5 | 0xda => (0, self.uint(2)? as usize),
            0xc6 | 0xdb => (0, self.uint(4)? as usize),
            0xc7 => (0, self.uint(1)? as usize + 1),
            0xc8 => (0, self.uint(2)? as usize + 1),
            0xc9 => (0, self.uint(4)? as usize + 1),
            0xca => (0, 4),
            0xcb => (0, 8),
            0xcc | 0xd0 => (0, 1),
            0xcd | 0xd1 => (0, 2),
            0xce | 0xd2 => (0, 4),
            0xcf | 0xd3 => (0, 8),
            0xd4 => (0, 2),
            0xd5 => (0, 3),
            0xd6 => (0, 5),
            0xd7 => (0, 9),
            0xd8 => (0, 17),
            0xdc => (self.uint(2)? as usize, 0),
            0xdd => (self.uint(4)? as usize, 0),
            0xde => (2 * self.uint(2)? as usize, 0),
            0xdf => (2 * self.uint(4)? as usize, 0),
            0xc1 => return Err(invalid("Invalid MessagePack marker 0xc1.")),
        };
        self.take(bytes)?;
        // Every value takes at least one byte: a count beyond what is left is a lie.
        if items > self.buf.len() - self.pos {
            return Err(invalid("Unexpected end of message."));
        }
        for _ in 0..items {
            self.skip(depth + 1)?;
        }
        Ok(())
    }

    fn id(&mut self) -> Result<Cow<'a, str>, ProtocolError> {
        self.str().map(Cow::Borrowed)
    }
}

/// Parses one MessagePack hub message (without its length prefix). `Ok(None)` for a message
/// type this server does not know.
pub fn parse_messagepack_message(bytes: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let len = r.array_len()?;
    if len == 0 {
        return Err(invalid("Unexpected empty message array."));
    }
    let kind = r.int()?;
    let need = |min: usize| {
        if len < min {
            Err(invalid(format!(
                "Invalid message: expected at least {min} elements, got {len}."
            )))
        } else {
            Ok(())
        }
    };
    let message = match kind {
        1 | 4 => {
            need(5)?;
            r.headers()?;
            let invocation_id = r.nil_or_str()?.map(Cow::Borrowed);
            let target = Cow::Borrowed(r.str()?);
            let count = r.array_len()?;
            if count > bytes.len() {
                return Err(invalid("Unexpected end of message."));
            }
            let mut arguments = super::message::ArgumentValues::with_capacity(count);
            for _ in 0..count {
                arguments.push(super::message::ArgumentValue::MessagePack(r.value()?));
            }
            let mut stream_ids = Vec::new();
            if len >= 6 && r.peek() != Some(0xc0) {
                {
                    let count = r.array_len()?;
                    for _ in 0..count.min(bytes.len()) {
                        stream_ids.push(r.id()?);
                    }
                }
            }
            let invocation = Invocation {
                invocation_id,
                target,
                arguments: Arguments::new(arguments),
                stream_ids,
            };
            invocation.into_message(kind == 4)?
        }
        2 => {
            need(4)?;
            r.headers()?;
            let invocation_id = r.id()?;
            let item = EncodedValue::MessagePack(r.value()?);
            HubMessage::StreamItem(StreamItem {
                invocation_id,
                item,
            })
        }
        3 => {
            need(4)?;
            r.headers()?;
            let invocation_id = r.id()?;
            let body = match r.int()? {
                1 => {
                    need(5)?;
                    CompletionBody::Error(Cow::Borrowed(r.str()?))
                }
                2 => CompletionBody::Void,
                3 => {
                    need(5)?;
                    CompletionBody::Result(EncodedValue::MessagePack(r.value()?))
                }
                other => return Err(invalid(format!("Invalid invocation result kind: {other}."))),
            };
            HubMessage::Completion(Completion {
                invocation_id,
                body,
            })
        }
        5 => {
            need(3)?;
            r.headers()?;
            HubMessage::CancelInvocation {
                invocation_id: r.id()?,
            }
        }
        6 => HubMessage::Ping,
        7 => {
            need(2)?;
            let error = r.nil_or_str()?.map(str::to_owned);
            let allow_reconnect = if len >= 3 { r.bool()? } else { false };
            HubMessage::Close(Close {
                error,
                allow_reconnect,
            })
        }
        8 | 9 => {
            need(2)?;
            let sequence_id =
                u64::try_from(r.int()?).map_err(|_| invalid("Invalid sequence id."))?;
            if kind == 8 {
                HubMessage::Ack { sequence_id }
            } else {
                HubMessage::Sequence { sequence_id }
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(message))
}

fn write_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), String> {
    let mut ser = rmp_serde::Serializer::new(out)
        .with_struct_map()
        .with_human_readable();
    value.serialize(&mut ser).map_err(|e| e.to_string())
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    rmp::encode::write_str(out, text).expect("writing to a Vec cannot fail");
}

fn write_head(out: &mut Vec<u8>, len: u32, kind: u8) {
    rmp::encode::write_array_len(out, len).expect("writing to a Vec cannot fail");
    rmp::encode::write_uint(out, u64::from(kind)).expect("writing to a Vec cannot fail");
}

fn write_empty_headers(out: &mut Vec<u8>) {
    rmp::encode::write_map_len(out, 0).expect("writing to a Vec cannot fail");
}

/// Writes MessagePack hub messages, each with its length prefix.
#[derive(Debug, Default)]
pub struct MessagePackEncoder;

impl MessagePackEncoder {
    /// An Invocation from the server; `invocation_id` only for a client result.
    pub fn invocation<A: Serialize + ?Sized>(
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(64);
        write_head(&mut out, 6, 1);
        write_empty_headers(&mut out);
        match invocation_id {
            Some(id) => write_str(&mut out, id),
            None => rmp::encode::write_nil(&mut out).expect("writing to a Vec cannot fail"),
        }
        write_str(&mut out, target);
        write_value(&mut out, arguments)?;
        rmp::encode::write_array_len(&mut out, 0).expect("writing to a Vec cannot fail");
        Ok(framed(out))
    }

    /// A StreamItem.
    pub fn stream_item<T: Serialize + ?Sized>(
        invocation_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(48);
        write_head(&mut out, 4, 2);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        write_value(&mut out, item)?;
        Ok(framed(out))
    }

    /// A Completion with a result.
    pub fn completion_result<T: Serialize + ?Sized>(
        invocation_id: &str,
        result: &T,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(48);
        write_head(&mut out, 5, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 3).expect("writing to a Vec cannot fail");
        write_value(&mut out, result)?;
        Ok(framed(out))
    }

    /// A Completion without result.
    pub fn completion_void(invocation_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        write_head(&mut out, 4, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 2).expect("writing to a Vec cannot fail");
        framed(out)
    }

    /// A Completion with an error.
    pub fn completion_error(invocation_id: &str, error: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        write_head(&mut out, 5, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 1).expect("writing to a Vec cannot fail");
        write_str(&mut out, error);
        framed(out)
    }

    /// A Ping.
    pub fn ping() -> Vec<u8> {
        let mut out = Vec::with_capacity(2);
        write_head(&mut out, 1, 6);
        framed(out)
    }

    /// A Close message.
    pub fn close(close: &Close) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        write_head(&mut out, 3, 7);
        match &close.error {
            Some(error) => write_str(&mut out, error),
            None => rmp::encode::write_nil(&mut out).expect("writing to a Vec cannot fail"),
        }
        rmp::encode::write_bool(&mut out, close.allow_reconnect)
            .expect("writing to a Vec cannot fail");
        framed(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn b64(text: &str) -> Vec<u8> {
        STANDARD.decode(text).unwrap()
    }

    /// Unframes what an encoder wrote: exactly one message.
    fn unframe(bytes: &[u8]) -> Vec<u8> {
        let (messages, rest, error) = split_messagepack_messages(bytes, None);
        assert!(error.is_none() && rest.is_empty() && messages.len() == 1);
        messages[0].to_vec()
    }

    fn parse(bytes: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
        parse_messagepack_message(bytes)
    }

    // Baselines of ASP.NET Core's MessagePackHubProtocolTestBase.cs (what the official
    // implementations write and read).

    #[test]
    fn writes_the_aspnet_baselines() {
        let none: [u8; 0] = [];
        assert_eq!(
            unframe(&MessagePackEncoder::invocation(Some("xyz"), "method", &none).unwrap()),
            b64("lgGAo3h5eqZtZXRob2SQkA==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::invocation(None, "method", &none).unwrap()),
            b64("lgGAwKZtZXRob2SQkA==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::invocation(None, "method", &(42,)).unwrap()),
            b64("lgGAwKZtZXRob2SRKpA=")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::invocation(None, "method", &(42, "string")).unwrap()),
            b64("lgGAwKZtZXRob2SSKqZzdHJpbmeQ")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::stream_item("xyz", &42).unwrap()),
            b64("lAKAo3h5eio=")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::stream_item("xyz", &42.0f32).unwrap()),
            b64("lAKAo3h5espCKAAA")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::stream_item("xyz", "string").unwrap()),
            b64("lAKAo3h5eqZzdHJpbmc=")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::stream_item("xyz", &true).unwrap()),
            b64("lAKAo3h5esM=")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_error(
                "xyz",
                "Error not found!"
            )),
            b64("lQOAo3h5egGwRXJyb3Igbm90IGZvdW5kIQ==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_void("xyz")),
            b64("lAOAo3h5egI=")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_result("xyz", &42).unwrap()),
            b64("lQOAo3h5egMq")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_result("xyz", &42.0f32).unwrap()),
            b64("lQOAo3h5egPKQigAAA==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_result("xyz", "string").unwrap()),
            b64("lQOAo3h5egOmc3RyaW5n")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::completion_result("xyz", &true).unwrap()),
            b64("lQOAo3h5egPD")
        );
        assert_eq!(unframe(&MessagePackEncoder::ping()), b64("kQY="));
        let close = |error: Option<&str>, allow_reconnect| Close {
            error: error.map(str::to_owned),
            allow_reconnect,
        };
        assert_eq!(
            unframe(&MessagePackEncoder::close(&close(None, false))),
            b64("kwfAwg==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::close(&close(Some("Error!"), false))),
            b64("kwemRXJyb3Ihwg==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::close(&close(None, true))),
            b64("kwfAww==")
        );
        assert_eq!(
            unframe(&MessagePackEncoder::close(&close(Some("Error!"), true))),
            b64("kwemRXJyb3Ihww==")
        );
    }

    #[test]
    fn reads_the_aspnet_baselines() {
        let bytes = b64("lgGAo3h5eqZtZXRob2SQkA==");
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(inv.invocation_id.as_deref(), Some("xyz"));
        assert_eq!(inv.target, "method");
        assert!(inv.arguments.is_empty() && inv.stream_ids.is_empty());

        let bytes = b64("lgGAwKZtZXRob2SSKqZzdHJpbmeQ");
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert!(inv.invocation_id.is_none());
        assert_eq!(inv.arguments.decode::<i32>(0).unwrap(), 42);
        assert_eq!(inv.arguments.decode::<String>(1).unwrap(), "string");
        assert!(inv.arguments.decode::<String>(0).is_err());

        let bytes = b64("lgGAwKZUYXJnZXSRKpGrX190ZXN0X2lkX18=");
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(inv.stream_ids, ["__test_id__"]);
        assert_eq!(inv.arguments.decode::<u8>(0).unwrap(), 42);

        let bytes = b64("lgGAwKZUYXJnZXSQkqtfX3Rlc3RfaWRfX6xfX3Rlc3RfaWQyX18=");
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(inv.stream_ids, ["__test_id__", "__test_id2__"]);

        let bytes = b64("lgSAo3h5eqZtZXRob2SRKpGrX190ZXN0X2lkX18=");
        let Some(HubMessage::StreamInvocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(inv.invocation_id.as_deref(), Some("xyz"));
        assert_eq!(inv.stream_ids, ["__test_id__"]);

        let bytes = b64("lAKAo3h5espCKAAA");
        let Some(HubMessage::StreamItem(item)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(item.invocation_id, "xyz");
        assert_eq!(item.item.decode::<f32>().unwrap(), 42.0);

        // Headers are read and ignored, including keys and values with newlines.
        let bytes = b64(
            "lQODo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6AbBFcnJvciBub3QgZm91bmQh",
        );
        let Some(HubMessage::Completion(completion)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(completion.invocation_id, "xyz");
        assert!(matches!(completion.body, CompletionBody::Error(e) if e == "Error not found!"));

        let bytes = b64("lAOAo3h5egI=");
        assert!(matches!(
            parse(&bytes).unwrap(),
            Some(HubMessage::Completion(Completion {
                body: CompletionBody::Void,
                ..
            }))
        ));
        let bytes = b64("lQOAo3h5egOmc3RyaW5n");
        let Some(HubMessage::Completion(Completion {
            body: CompletionBody::Result(value),
            ..
        })) = parse(&bytes).unwrap()
        else {
            panic!()
        };
        assert_eq!(value.decode::<String>().unwrap(), "string");

        let bytes = b64(
            "kwWDo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6",
        );
        assert!(matches!(
            parse(&bytes).unwrap(),
            Some(HubMessage::CancelInvocation { invocation_id }) if invocation_id == "xyz"
        ));
        assert!(matches!(
            parse(&b64("kQY=")).unwrap(),
            Some(HubMessage::Ping)
        ));
        let Some(HubMessage::Close(close)) = parse(&b64("kwemRXJyb3Ihww==")).unwrap() else {
            panic!()
        };
        assert_eq!(close.error.as_deref(), Some("Error!"));
        assert!(close.allow_reconnect);
        // The JS client sends Close as [7, nil].
        assert!(matches!(
            parse(&[0x92, 7, 0xc0]).unwrap(),
            Some(HubMessage::Close(Close {
                error: None,
                allow_reconnect: false
            }))
        ));
        // Unknown message types are ignored.
        assert!(parse(&[0x92, 99, 0xc0]).unwrap().is_none());
    }

    #[test]
    fn accepts_extra_trailing_elements() {
        let bytes = [
            0x98, 1, 0x80, 0xa3, b'x', b'y', b'z', 0xa6, b'm', b'e', b't', b'h', b'o', b'd', 0x90,
            0x90, 0xc3, 0xa2, b'e', b'x',
        ];
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(inv.target, "method");
    }

    #[test]
    fn rejects_the_aspnet_invalid_payloads() {
        let cases: &[&[u8]] = &[
            &[0x91, 0xa3, b'f', b'o', b'o'],
            &[0x92, 1, 0xa3, b'f', b'o', b'o'],
            &[0x92, 1, 0x82, 0x2a, 0xa3, b'f', b'o', b'o'],
            &[0x92, 1, 0x82, 0xa3, b'f', b'o', b'o', 42],
            &[0x92, 1, 0x80],
            &[0x91, 1, 0x80, 0xc2],
            &[0x95, 1, 0x80, 0xc2, 0xa1, b'x', 0x90],
            &[0x93, 1, 0x80, 0xa3, b'a', b'b', b'c'],
            &[0x95, 1, 0x80, 0xa3, b'a', b'b', b'c', 42, 0x90],
            &[0x95, 1, 0x80, 0xa3, b'a', b'b', b'c', 0xa1, b'm', 42],
            &[0x95, 4, 0x80, 0xc0, 0xa1, b'm', 0x90],
            &[0x92, 2, 0x80],
            &[0x94, 2, 0x80, 0xa3, b'x', b'y', b'z'],
            &[0x94, 3, 0x80, 0xa3, b'x', b'y', b'z'],
            &[0x94, 3, 0x80, 0xa3, b'x', b'y', b'z', 9],
            &[0x95, 3, 0x80, 0xa3, b'x', b'y', b'z', 1, 42],
            &[0x94, 3, 0x80, 0xa3, b'x', b'y', b'z', 3],
            &[0x92, 5, 0x80],
            &[0x93, 7, 42, 0xc2],
            &[0x93, 7, 0xc0, 42],
            &[0x92, 8, 0xa1, b'x'],
            &[0x90],
            &[0xc1],
            &[],
            // A string that is not UTF-8.
            &[0x95, 1, 0x80, 0xc0, 0xa2, 0xff, 0xfe, 0x90],
            // An argument count far beyond the bytes.
            &[
                0x95, 1, 0x80, 0xc0, 0xa1, b'm', 0xdd, 0xff, 0xff, 0xff, 0xff,
            ],
        ];
        for case in cases {
            assert!(parse(case).is_err(), "accepted {case:x?}");
        }
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let mut bytes = vec![0x95, 1, 0x80, 0xc0, 0xa1, b'm', 0x91];
        bytes.extend(std::iter::repeat_n(0x91, 100_000));
        bytes.push(0xc0);
        assert!(parse(&bytes).is_err());
    }

    #[test]
    fn framing() {
        let mut input = MessagePackEncoder::ping();
        input.extend(MessagePackEncoder::completion_void("1"));
        let long = MessagePackEncoder::completion_error("2", &"e".repeat(300));
        assert_eq!(
            &long[..2],
            &[
                0x80 | ((long.len() - 2) & 0x7f) as u8,
                ((long.len() - 2) >> 7) as u8
            ]
        );
        input.extend(&long[..10]);
        let (messages, rest, error) = split_messagepack_messages(&input, None);
        assert_eq!(messages.len(), 2);
        assert_eq!(rest, &long[..10]);
        assert!(error.is_none());
        let (_, _, error) = split_messagepack_messages(&long, Some(100));
        assert_eq!(error, Some(ProtocolError::MessageTooLarge { max: 100 }));
        // A length prefix of more than 5 bytes, or one over 2 GB, is refused.
        assert!(split_messagepack_messages(&[0xff; 6], None).2.is_some());
        assert!(
            split_messagepack_messages(&[0xff, 0xff, 0xff, 0xff, 0x0f], None)
                .2
                .is_some()
        );
        // Unfinished prefixes wait for more bytes.
        let (messages, rest, error) = split_messagepack_messages(&[0x80], None);
        assert!(messages.is_empty() && rest == [0x80] && error.is_none());
        // Framed messages are sized exactly, across the prefix's 1/2/3-byte boundaries.
        for len in [0, 1, 127, 128, 16_383, 16_384, 70_000] {
            let framed = framed(vec![7; len]);
            assert_eq!(framed.len(), framed.capacity(), "{len}");
            let (messages, rest, error) = split_messagepack_messages(&framed, None);
            assert_eq!((messages.len(), rest.len(), error), (1, 0, None), "{len}");
            assert_eq!(messages[0].len(), len);
        }
    }

    #[test]
    fn values_use_maps_strings_and_human_readable_forms() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        enum Color {
            Red,
        }
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Dto {
            name: String,
            color: Color,
        }
        let dto = Dto {
            name: "n".into(),
            color: Color::Red,
        };
        let framed = MessagePackEncoder::stream_item("1", &dto).unwrap();
        let message = unframe(&framed);
        // [2, {}, "1", {"name": "n", "color": "Red"}]
        assert_eq!(
            message,
            [
                0x94, 2, 0x80, 0xa1, b'1', 0x82, 0xa4, b'n', b'a', b'm', b'e', 0xa1, b'n', 0xa5,
                b'c', b'o', b'l', b'o', b'r', 0xa3, b'R', b'e', b'd'
            ]
        );
        let Some(HubMessage::StreamItem(item)) = parse(&message).unwrap() else {
            panic!()
        };
        assert_eq!(item.item.decode::<Dto>().unwrap(), dto);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A deterministic sweep of random and mutated inputs.
        let seeds = [
            b64("lgGAo3h5eqZtZXRob2SSKqZzdHJpbmeQ"),
            b64("lQOAo3h5egOmc3RyaW5n"),
            b64("lAKAo3h5espCKAAA"),
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let mut bytes = seeds[round % seeds.len()].clone();
            let edits = 1 + (next() % 4) as usize;
            for _ in 0..edits {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            if next() % 3 == 0 {
                bytes.truncate((next() as usize) % bytes.len());
            }
            if let Ok(Some(HubMessage::Invocation(inv))) = parse(&bytes) {
                for i in 0..inv.arguments.len() {
                    let _ = inv.arguments.decode::<serde_json::Value>(i);
                }
            }
            let _ = split_messagepack_messages(&bytes, Some(64));
        }
    }
}
