//! The JSON hub protocol: each message is one JSON object followed by `0x1E`.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::error::ProtocolError;
use super::framing::SplitMessages;
use super::message::{
    ArgumentValue, ArgumentValues, Arguments, Close, Completion, CompletionBody, HubMessage,
    Invocation, StreamItem,
};
use super::value::EncodedValue;

/// The record separator that ends every JSON hub message and handshake message.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Splits `input` at record separators: the complete messages (without separator) and the bytes
/// of an unfinished message at the end.
///
/// A message that does not fit in `max_message_size` bytes with its separator is an error, as
/// in ASP.NET Core; so is an unfinished tail longer than that, so an unterminated flood is
/// refused before it is buffered.
pub fn split_json_messages(
    input: &[u8],
    max_message_size: Option<usize>,
) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
    JsonMessages::new(input, max_message_size).collect_all()
}

/// The messages of `input` one by one, as [`split_json_messages`] splits them, without
/// collecting them.
#[derive(Debug)]
pub(crate) struct JsonMessages<'a> {
    rest: &'a [u8],
    max: Option<usize>,
    done: bool,
}

impl<'a> JsonMessages<'a> {
    pub(crate) fn new(input: &'a [u8], max: Option<usize>) -> Self {
        JsonMessages {
            rest: input,
            max,
            done: false,
        }
    }
}

impl<'a> SplitMessages<'a> for JsonMessages<'a> {
    fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for JsonMessages<'a> {
    type Item = Result<&'a [u8], ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(end) = memchr::memchr(RECORD_SEPARATOR, self.rest) else {
            self.done = true;
            let max = self.max.filter(|&max| self.rest.len() > max)?;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        };
        if let Some(max) = self.max.filter(|&max| end >= max) {
            self.done = true;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        }
        let message = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Some(Ok(message))
    }
}

/// Every property a hub message may have; unknown properties are ignored and order is free.
#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(rename = "type")]
    kind: Option<serde_json::Number>,
    #[serde(rename = "invocationId", borrow)]
    invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<JsonArguments<'a>>,
    #[serde(rename = "streamIds", borrow)]
    stream_ids: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow, deserialize_with = "present")]
    item: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
    #[serde(rename = "allowReconnect")]
    allow_reconnect: Option<bool>,
    #[serde(rename = "sequenceId")]
    sequence_id: Option<u64>,
}

/// The arguments array, each kept as its raw JSON text, nothing copied: what the general parser
/// reads.
struct JsonArguments<'a>(Vec<ArgumentValue<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonArguments<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_seq(Values::<Vec<_>>(std::marker::PhantomData))
            .map(JsonArguments)
    }
}

/// The same for the common Invocation: a few arguments are kept inline, with no allocation.
struct InlineArguments<'a>(ArgumentValues<'a>);

impl<'de> Deserialize<'de> for InlineArguments<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_seq(Values::<ArgumentValues<'de>>(std::marker::PhantomData))
            .map(InlineArguments)
    }
}

/// Reads an array of raw values into `C`.
struct Values<C>(std::marker::PhantomData<C>);

impl<'de, C: Default + Extend<ArgumentValue<'de>>> serde::de::Visitor<'de> for Values<C> {
    type Value = C;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of arguments")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<C, A::Error> {
        let mut values = C::default();
        while let Some(value) = seq.next_element::<&'de RawValue>()? {
            values.extend(Some(ArgumentValue::Json(value.get())));
        }
        Ok(values)
    }
}

/// Keeps a present property even when its value is `null` (`"result": null` is a result).
fn present<'de, D: Deserializer<'de>>(de: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(de).map(Some)
}

/// Parses one JSON hub message (without its record separator).
///
/// Returns `Ok(None)` for a message type this server does not know: newer clients may send
/// types an older server ignores.
pub fn parse_json_message(bytes: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
    // One UTF-8 check of the whole message, then a reader that trusts it: cheaper than
    // checking every string and raw value on its own.
    let text = std::str::from_utf8(bytes).map_err(|e| ProtocolError::InvalidJson(e.to_string()))?;
    parse_json_text(text)
}

/// Parses one JSON hub message already known to be UTF-8 (a WebSocket text message is checked
/// by the transport).
pub(crate) fn parse_json_text(text: &str) -> Result<Option<HubMessage<'_>>, ProtocolError> {
    if let Some(invocation) = parse_plain_invocation(text) {
        return invocation.map(Some);
    }
    parse_any_message(text)
}

/// Parses any JSON hub message with serde.
fn parse_any_message(text: &str) -> Result<Option<HubMessage<'_>>, ProtocolError> {
    let raw: RawMessage<'_> =
        serde_json::from_str(text).map_err(|e| ProtocolError::InvalidJson(e.to_string()))?;
    let kind = raw.kind.ok_or(ProtocolError::MissingProperty("type"))?;
    let Some(kind) = kind.as_u64() else {
        return Err(ProtocolError::InvalidType);
    };
    let message = match kind {
        1 | 4 => {
            let invocation = Invocation {
                invocation_id: raw.invocation_id,
                target: raw.target.ok_or(ProtocolError::MissingProperty("target"))?,
                arguments: Arguments::new(ArgumentValues::from_vec(
                    raw.arguments
                        .ok_or(ProtocolError::MissingProperty("arguments"))?
                        .0,
                )),
                stream_ids: raw.stream_ids.unwrap_or_default(),
            };
            invocation.into_message(kind == 4)?
        }
        2 => HubMessage::StreamItem(StreamItem {
            invocation_id: raw
                .invocation_id
                .ok_or(ProtocolError::MissingProperty("invocationId"))?,
            item: EncodedValue::Json(raw.item.ok_or(ProtocolError::MissingProperty("item"))?),
        }),
        3 => {
            let invocation_id = raw
                .invocation_id
                .ok_or(ProtocolError::MissingProperty("invocationId"))?;
            let body = match (raw.result, raw.error) {
                (Some(_), Some(_)) => return Err(ProtocolError::ResultAndError),
                (Some(result), None) => CompletionBody::Result(EncodedValue::Json(result)),
                (None, Some(error)) => CompletionBody::Error(error),
                (None, None) => CompletionBody::Void,
            };
            HubMessage::Completion(Completion {
                invocation_id,
                body,
            })
        }
        5 => HubMessage::CancelInvocation {
            invocation_id: raw
                .invocation_id
                .ok_or(ProtocolError::MissingProperty("invocationId"))?,
        },
        6 => HubMessage::Ping,
        7 => HubMessage::Close(Close {
            error: raw.error.map(Cow::into_owned),
            allow_reconnect: raw.allow_reconnect.unwrap_or(false),
        }),
        8 => HubMessage::Ack {
            sequence_id: raw
                .sequence_id
                .ok_or(ProtocolError::MissingProperty("sequenceId"))?,
        },
        9 => HubMessage::Sequence {
            sequence_id: raw
                .sequence_id
                .ok_or(ProtocolError::MissingProperty("sequenceId"))?,
        },
        _ => return Ok(None),
    };
    Ok(Some(message))
}

/// The common shape of an Invocation, read without serde's derive: the properties `type` (1 or
/// 4), `target`, `arguments` and optionally `invocationId`, once each and in any order, with
/// strings and names free of escapes. The arguments array itself is read by serde_json.
///
/// `None` for anything else (other properties or types, escapes, `null`s, malformed input): the
/// general parser then decides, so both accept and refuse exactly the same messages.
fn parse_plain_invocation(text: &str) -> Option<Result<HubMessage<'_>, ProtocolError>> {
    let bytes = text.as_bytes();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let (mut kind, mut invocation_id, mut target, mut arguments) = (None, None, None, None);
    loop {
        let (name, next) = plain_string(text, skip_whitespace(bytes, at + 1))?;
        at = skip_whitespace(bytes, next);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_whitespace(bytes, at + 1);
        match name {
            "type" if kind.is_none() => {
                let (value, next) = small_integer(bytes, at)?;
                kind = Some(value);
                at = next;
            }
            "invocationId" if invocation_id.is_none() => {
                let (value, next) = plain_string(text, at)?;
                invocation_id = Some(value);
                at = next;
            }
            "target" if target.is_none() => {
                let (value, next) = plain_string(text, at)?;
                target = Some(value);
                at = next;
            }
            "arguments" if arguments.is_none() && bytes.get(at) == Some(&b'[') => {
                let (parsed, next) = match plain_arguments(text, at) {
                    Some(found) => found,
                    None => {
                        let mut values = serde_json::Deserializer::from_str(&text[at..])
                            .into_iter::<InlineArguments<'_>>();
                        let InlineArguments(parsed) = values.next()?.ok()?;
                        (parsed, at + values.byte_offset())
                    }
                };
                at = next;
                arguments = Some(parsed);
            }
            _ => return None,
        }
        at = skip_whitespace(bytes, at);
        match bytes.get(at) {
            Some(b',') => {}
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_whitespace(bytes, at + 1) != bytes.len() {
        return None;
    }
    let streaming = match kind? {
        1 => false,
        4 => true,
        _ => return None,
    };
    let invocation = Invocation {
        invocation_id: invocation_id.map(Cow::Borrowed),
        target: Cow::Borrowed(target?),
        arguments: Arguments::new(arguments?),
        stream_ids: Vec::new(),
    };
    Some(invocation.into_message(streaming))
}

/// An arguments array at `at` (its `[`) of plain scalars only (strings without escapes,
/// integers, `true`, `false`, `null`): the text of each, and where the array ends. `None` for
/// anything else, which serde_json then reads.
fn plain_arguments(text: &str, at: usize) -> Option<(ArgumentValues<'_>, usize)> {
    let bytes = text.as_bytes();
    let mut values = ArgumentValues::new();
    let mut at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Some((values, at + 1));
    }
    loop {
        let end = match *bytes.get(at)? {
            b'"' => plain_string(text, at)?.1,
            b'-' | b'0'..=b'9' => plain_integer(bytes, at)?,
            b't' => literal(bytes, at, b"true")?,
            b'f' => literal(bytes, at, b"false")?,
            b'n' => literal(bytes, at, b"null")?,
            _ => return None,
        };
        // Every end found above is an ASCII byte, hence a character boundary.
        values.push(ArgumentValue::Json(&text[at..end]));
        at = skip_whitespace(bytes, end);
        match bytes.get(at)? {
            b',' => at = skip_whitespace(bytes, at + 1),
            b']' => return Some((values, at + 1)),
            _ => return None,
        }
    }
}

/// A JSON integer at `at` (`-?(0|[1-9][0-9]*)`, no fraction or exponent): where it ends.
fn plain_integer(bytes: &[u8], at: usize) -> Option<usize> {
    let start = at + usize::from(bytes[at] == b'-');
    let digits = bytes
        .get(start..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || (digits > 1 && bytes[start] == b'0') {
        return None;
    }
    let end = start + digits;
    match bytes.get(end) {
        Some(b'.' | b'e' | b'E') => None,
        _ => Some(end),
    }
}

/// `word` at `at`: where it ends.
fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    bytes[at..].starts_with(word).then_some(at + word.len())
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// A JSON string at `at` without escapes or control characters: its text and where it ends.
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + string_end(&bytes[start..])?;
    // Both ends are ASCII, so `text[start..end]` is on character boundaries.
    (bytes[end] == b'"').then(|| (&text[start..end], end + 1))
}

/// Where the text of a JSON string ends in `bytes` (what follows its opening quote): the first
/// `"`, `\` or control character. Eight bytes at a time: a byte that matches gets its high bit
/// set in `found`, and the lowest such bit is always a true match.
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
        let found = (control | quote | backslash) & HIGHS;
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    let len = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(at + len)
}

/// A non-negative JSON integer of at most three digits at `at`, not followed by a fraction or
/// an exponent.
fn small_integer(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 3 || (digits > 1 && bytes[at] == b'0') {
        return None;
    }
    if let Some(b'.' | b'e' | b'E') = bytes.get(at + digits) {
        return None;
    }
    let value = bytes[at..at + digits]
        .iter()
        .fold(0, |value, &b| value * 10 + u64::from(b - b'0'));
    Some((value, at + digits))
}

/// Writes `text` as a JSON string: as it is between quotes when nothing in it needs escaping
/// (ids and method names, nearly always), else escaped by serde_json.
fn write_str(out: &mut Vec<u8>, text: &str) {
    if string_end(text.as_bytes()).is_none() {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, text).expect("a string always serializes");
    }
}

/// Writes a value as JSON, exactly as serde_json does. A string or scalar at the top (the common
/// result and stream item) is written directly, strings by `write_str`; anything else by
/// serde_json from the start.
fn write_value<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    if value.serialize(Scalar { out: &mut *out }).is_ok() {
        return Ok(());
    }
    out.truncate(start);
    serde_json::to_writer(out, value)
}

/// A serializer of top-level scalars: refuses everything else, which serde_json then writes.
struct Scalar<'a> {
    out: &'a mut Vec<u8>,
}

/// Not a scalar (or a failing `Serialize` impl, which serde_json then reports).
#[derive(Debug)]
struct NotScalar;

impl std::fmt::Display for NotScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a scalar")
    }
}

impl std::error::Error for NotScalar {}

impl serde::ser::Error for NotScalar {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotScalar
    }
}

impl Scalar<'_> {
    fn serde_json<T: Serialize>(self, value: T) -> Result<(), NotScalar> {
        serde_json::to_writer(self.out, &value).map_err(|_| NotScalar)
    }
}

impl serde::Serializer for Scalar<'_> {
    type Ok = ();
    type Error = NotScalar;
    type SerializeSeq = serde::ser::Impossible<(), NotScalar>;
    type SerializeTuple = serde::ser::Impossible<(), NotScalar>;
    type SerializeTupleStruct = serde::ser::Impossible<(), NotScalar>;
    type SerializeTupleVariant = serde::ser::Impossible<(), NotScalar>;
    type SerializeMap = serde::ser::Impossible<(), NotScalar>;
    type SerializeStruct = serde::ser::Impossible<(), NotScalar>;
    type SerializeStructVariant = serde::ser::Impossible<(), NotScalar>;

    fn serialize_str(self, v: &str) -> Result<(), NotScalar> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), NotScalar> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_unit(self) -> Result<(), NotScalar> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), NotScalar> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), NotScalar> {
        Err(NotScalar)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotScalar> {
        Err(NotScalar)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotScalar> {
        Err(NotScalar)
    }
}

/// Writes JSON hub messages, each ended by the record separator.
///
/// Values are written with serde; a value that cannot be serialized (a map with non-string keys,
/// a failing `Serialize` impl) is an error and nothing half-written is returned.
#[derive(Debug, Default)]
pub struct JsonEncoder;

thread_local! {
    /// Where messages are written before they are copied out at their exact size.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A scratch buffer that grew beyond this is given back after use.
const KEEP_SCRATCH: usize = 64 << 10;

/// Writes one message with `write` into this thread's scratch buffer and returns an exactly
/// sized copy: one allocation per message, and bytes that become a shared frame without another
/// (a `Vec` whose capacity exceeds its length costs `Bytes` an extra allocation).
fn encode(
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), serde_json::Error>,
) -> Result<Vec<u8>, serde_json::Error> {
    SCRATCH.with(|scratch| {
        // A `Serialize` impl that itself encodes a hub message gets a buffer of its own.
        let Ok(mut out) = scratch.try_borrow_mut() else {
            let mut out = Vec::with_capacity(64);
            write(&mut out)?;
            return Ok(out);
        };
        out.clear();
        let result = write(&mut out).map(|()| out.to_vec());
        if out.capacity() > KEEP_SCRATCH {
            *out = Vec::new();
        }
        result
    })
}

impl JsonEncoder {
    /// A fire-and-forget Invocation from the server: no `invocationId` at all (the JS client
    /// drops the connection on `"invocationId": null`).
    pub fn invocation<A: Serialize + ?Sized>(
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        Self::invocation_message(None, target, arguments)
    }

    /// An Invocation from the server that expects a Completion (a client result).
    pub fn invocation_with_id<A: Serialize + ?Sized>(
        invocation_id: &str,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        Self::invocation_message(Some(invocation_id), target, arguments)
    }

    fn invocation_message<A: Serialize + ?Sized>(
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":1"#);
            if let Some(id) = invocation_id {
                out.extend_from_slice(br#","invocationId":"#);
                write_str(out, id);
            }
            out.extend_from_slice(br#","target":"#);
            write_str(out, target);
            out.extend_from_slice(br#","arguments":"#);
            serde_json::to_writer(&mut *out, arguments)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A StreamItem.
    pub fn stream_item<T: Serialize + ?Sized>(
        invocation_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":2,"invocationId":"#);
            write_str(out, invocation_id);
            out.extend_from_slice(br#","item":"#);
            write_value(out, item)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A Completion with a result.
    pub fn completion_result<T: Serialize + ?Sized>(
        invocation_id: &str,
        result: &T,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(br#","result":"#);
            write_value(out, result)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A Completion without result: a void method returned, or a stream ended.
    pub fn completion_void(invocation_id: &str) -> Vec<u8> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
        .expect("a string always serializes")
    }

    /// A Completion with an error text.
    pub fn completion_error(invocation_id: &str, error: &str) -> Vec<u8> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut *out, error)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
        .expect("a string always serializes")
    }

    fn completion_head(out: &mut Vec<u8>, invocation_id: &str) -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"type":3,"invocationId":"#);
        write_str(out, invocation_id);
        Ok(())
    }

    /// A Ping.
    pub const PING: &'static str = "{\"type\":6}\u{1e}";

    /// A Close message.
    pub fn close(close: &Close) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(br#"{"type":7"#);
        if let Some(error) = &close.error {
            out.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut out, error).expect("a string always serializes");
        }
        if close.allow_reconnect {
            out.extend_from_slice(br#","allowReconnect":true"#);
        }
        out.extend_from_slice(b"}\x1e");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<HubMessage<'_>>, ProtocolError> {
        parse_json_message(text.as_bytes())
    }

    #[test]
    fn invocation_with_type_last_and_unknown_properties() {
        let msg = parse(
            r#"{"arguments":["a",1],"extra":{"x":[1,2]},"invocationId":"7","target":"Send","type":1}"#,
        )
        .unwrap()
        .unwrap();
        let HubMessage::Invocation(inv) = msg else {
            panic!("not an invocation: {msg:?}")
        };
        assert_eq!(inv.invocation_id.as_deref(), Some("7"));
        assert_eq!(inv.target, "Send");
        assert_eq!(inv.arguments.len(), 2);
        assert_eq!(inv.arguments.decode::<String>(0).unwrap(), "a");
        assert_eq!(inv.arguments.decode::<u32>(1).unwrap(), 1);
        assert!(inv.arguments.decode::<u32>(0).is_err());
        assert!(inv.stream_ids.is_empty());

        let msg = parse(r#"{"type":1,"target":"T","arguments":[ {"a":[1,{"b":"]"}]} , [] ,null]}"#)
            .unwrap()
            .unwrap();
        let HubMessage::Invocation(inv) = msg else {
            panic!("not an invocation: {msg:?}")
        };
        assert_eq!(inv.arguments.len(), 3);
        let first: serde_json::Value = inv.arguments.decode(0).unwrap();
        assert_eq!(first, serde_json::json!({"a": [1, {"b": "]"}]}));
        assert!(inv.arguments.decode::<Vec<u8>>(1).unwrap().is_empty());
        assert_eq!(inv.arguments.decode::<Option<u8>>(2).unwrap(), None);
    }

    #[test]
    fn fire_and_forget_invocation_and_stream_ids() {
        let HubMessage::Invocation(inv) =
            parse(r#"{"type":1,"target":"Up","arguments":[],"streamIds":["1","2"]}"#)
                .unwrap()
                .unwrap()
        else {
            panic!()
        };
        assert!(inv.invocation_id.is_none());
        assert_eq!(inv.stream_ids, ["1", "2"]);
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let HubMessage::Invocation(inv) =
            parse(r#"{"type":1,"target":"Se\u006ed","arguments":["a\"b"]}"#)
                .unwrap()
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(inv.target, "Send");
        assert_eq!(inv.arguments.decode::<String>(0).unwrap(), "a\"b");
    }

    #[test]
    fn completion_kinds() {
        let void = parse(r#"{"type":3,"invocationId":"1"}"#).unwrap().unwrap();
        assert!(matches!(
            void,
            HubMessage::Completion(Completion {
                body: CompletionBody::Void,
                ..
            })
        ));
        let null = parse(r#"{"type":3,"invocationId":"1","result":null}"#)
            .unwrap()
            .unwrap();
        let HubMessage::Completion(Completion {
            body: CompletionBody::Result(EncodedValue::Json(raw)),
            ..
        }) = null
        else {
            panic!()
        };
        assert_eq!(raw.get(), "null");
        let err = parse(r#"{"type":3,"invocationId":"1","error":"boom"}"#)
            .unwrap()
            .unwrap();
        assert!(matches!(
            err,
            HubMessage::Completion(Completion { body: CompletionBody::Error(e), .. }) if e == "boom"
        ));
    }

    #[test]
    fn other_types() {
        assert!(matches!(
            parse(r#"{"type":6}"#).unwrap().unwrap(),
            HubMessage::Ping
        ));
        assert!(matches!(
            parse(r#"{"type":5,"invocationId":"3"}"#).unwrap().unwrap(),
            HubMessage::CancelInvocation { invocation_id } if invocation_id == "3"
        ));
        assert!(matches!(
            parse(r#"{"type":2,"invocationId":"3","item":null}"#).unwrap().unwrap(),
            HubMessage::StreamItem(StreamItem { item: EncodedValue::Json(item), .. }) if item.get() == "null"
        ));
        let HubMessage::Close(close) = parse(r#"{"type":7,"error":"bye","allowReconnect":true}"#)
            .unwrap()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(close.error.as_deref(), Some("bye"));
        assert!(close.allow_reconnect);
        assert!(matches!(
            parse(r#"{"type":8,"sequenceId":4}"#).unwrap().unwrap(),
            HubMessage::Ack { sequence_id: 4 }
        ));
        assert!(matches!(
            parse(r#"{"type":9,"sequenceId":5}"#).unwrap().unwrap(),
            HubMessage::Sequence { sequence_id: 5 }
        ));
        assert!(parse(r#"{"type":99,"whatever":true}"#).unwrap().is_none());
    }

    #[test]
    fn malformed_messages_are_errors() {
        let cases = [
            "",
            "{",
            "[]",
            "null",
            "42",
            r#"{"type":1,"#,
            r#"{"target":"x","arguments":[]}"#,
            r#"{"type":"1","target":"x","arguments":[]}"#,
            r#"{"type":-1}"#,
            r#"{"type":1.5}"#,
            r#"{"type":1,"arguments":[]}"#,
            r#"{"type":1,"target":"x"}"#,
            r#"{"type":1,"target":5,"arguments":[]}"#,
            r#"{"type":1,"target":"x","arguments":{}}"#,
            r#"{"type":1,"target":"x","arguments":null}"#,
            r#"{"type":1,"target":"x","arguments":[1,]}"#,
            r#"{"type":1,"target":"x","arguments":[tru]}"#,
            r#"{"type":1,"target":"x","arguments":[],"invocationId":5}"#,
            r#"{"type":4,"target":"x","arguments":[]}"#,
            r#"{"type":2,"invocationId":"1"}"#,
            r#"{"type":3}"#,
            r#"{"type":3,"invocationId":"1","result":1,"error":"e"}"#,
            r#"{"type":5}"#,
            r#"{"type":7,"allowReconnect":"yes"}"#,
            r#"{"type":8}"#,
            r#"{"type":1,"type":1,"target":"x","arguments":[]}"#,
            "{\"type\":1,\"target\":\"\u{0}\"}",
        ];
        for case in cases {
            assert!(parse(case).is_err(), "accepted: {case}");
        }
        assert!(parse_json_message(&[0xff, 0xfe, 0x7b]).is_err());
    }

    #[test]
    fn split_keeps_partial_tail_and_limits_size() {
        let (msgs, rest, err) = split_json_messages(b"{\"type\":6}\x1e{\"type\":6}\x1e{\"ty", None);
        assert_eq!(msgs.len(), 2);
        assert_eq!(rest, b"{\"ty");
        assert!(err.is_none());

        let (msgs, _, err) = split_json_messages(b"1234\x1e12345\x1e", Some(5));
        assert_eq!(msgs, [b"1234"]);
        assert_eq!(err, Some(ProtocolError::MessageTooLarge { max: 5 }));

        let (_, _, err) = split_json_messages(b"123456", Some(5));
        assert!(err.is_some());
    }

    #[test]
    fn encoding() {
        assert_eq!(
            JsonEncoder::invocation("ReceiveMessage", &("a", "b\"")).unwrap(),
            b"{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[\"a\",\"b\\\"\"]}\x1e"
        );
        assert_eq!(
            JsonEncoder::invocation("Ping", &[(); 0]).unwrap(),
            b"{\"type\":1,\"target\":\"Ping\",\"arguments\":[]}\x1e"
        );
        assert_eq!(
            JsonEncoder::invocation_with_id("7", "Confirm", &("q",)).unwrap(),
            b"{\"type\":1,\"invocationId\":\"7\",\"target\":\"Confirm\",\"arguments\":[\"q\"]}\x1e"
        );
        assert_eq!(
            JsonEncoder::stream_item("3", &[1, 2]).unwrap(),
            b"{\"type\":2,\"invocationId\":\"3\",\"item\":[1,2]}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_result("1", &42).unwrap(),
            b"{\"type\":3,\"invocationId\":\"1\",\"result\":42}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_void("1"),
            b"{\"type\":3,\"invocationId\":\"1\"}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_error("1", "no"),
            b"{\"type\":3,\"invocationId\":\"1\",\"error\":\"no\"}\x1e"
        );
        assert_eq!(
            JsonEncoder::close(&Close {
                error: Some("x".into()),
                allow_reconnect: true
            }),
            b"{\"type\":7,\"error\":\"x\",\"allowReconnect\":true}\x1e"
        );
        assert_eq!(JsonEncoder::close(&Close::default()), b"{\"type\":7}\x1e");
        let map: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(JsonEncoder::invocation("X", &(map,)).is_err());
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        #[derive(Serialize)]
        struct Id(u32);
        #[derive(Serialize)]
        struct Point {
            x: i32,
        }
        #[derive(Serialize)]
        enum Kind {
            Unit,
            Wrapped(u8),
        }
        #[derive(Serialize)]
        struct Unit;
        fn check<T: Serialize + ?Sized>(value: &T) {
            let mut out = b"head".to_vec();
            write_value(&mut out, value).unwrap();
            let mut expected = b"head".to_vec();
            expected.extend(serde_json::to_vec(value).unwrap());
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
        }
        check("plain");
        check("esc\"aped\n\u{1}");
        check(&'\u{e9}');
        check(&'"');
        check(&String::from("owned"));
        check(&true);
        check(&-5i8);
        check(&u64::MAX);
        check(&i128::MIN);
        check(&1.5f64);
        check(&f64::NAN);
        check(&f32::INFINITY);
        check(&());
        check(&None::<u8>);
        check(&Some("x"));
        check(&Some(Some(3)));
        check(&Id(7));
        check(&Unit);
        check(&Kind::Unit);
        check(&Kind::Wrapped(1));
        check(&Point { x: 1 });
        check(&[1, 2]);
        check(&("a", 1));
        check(&vec![Some("a"), None]);
        check(&std::collections::BTreeMap::from([("k", 1)]));
        check(serde_bytes_like());
        // A failing impl fails as it does with serde_json.
        let mut out = Vec::new();
        let map = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(write_value(&mut out, &map).is_err());
    }

    /// Bytes serialize as a sequence of numbers in serde_json.
    fn serde_bytes_like() -> &'static [u8] {
        b"ab"
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "12",
            "Echo",
            "caf\u{e9} \u{1F600}",
            "a\"b",
            "a\\b",
            "tab\there",
            "\u{7f}\u{1f}",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_control_character() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        // Every length up to three words, every position of one special byte among ordinary
        // ASCII, UTF-8 and high bytes, and pseudo-random mixes.
        let fillers = [
            b'a',
            0x7f,
            0x80,
            0xc3,
            0xff,
            b'!',
            b'#',
            b'[',
            b']',
            b'!' + 1,
        ];
        let specials = [b'"', b'\\', 0x00, 0x1f, 0x0a];
        for len in 0..24 {
            for &filler in &fillers {
                let mut bytes = vec![filler; len];
                assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
                for at in 0..len {
                    for &special in &specials {
                        bytes[at] = special;
                        assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
                        bytes[at] = filler;
                    }
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let byte = (seed >> (i % 8 * 8)) as u8 ^ (i as u8).wrapping_mul(37);
                    // Mostly printable, sometimes special.
                    if byte % 7 == 0 { byte } else { byte | 0x20 }
                })
                .collect();
            assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
        }
    }

    #[test]
    fn the_plain_invocation_reader_agrees_with_serde() {
        let bases = [
            r#"{"type":1,"invocationId":"12","target":"Echo","arguments":["x"]}"#,
            r#"{"type":1,"target":"Send","arguments":["a",{"b":[1,2,"]}"]},null,true,-1.5e3]}"#,
            r#" { "arguments" : [ ] , "target" : "T" , "type" : 4 , "invocationId" : "s1" } "#,
            r#"{"type":4,"target":"T","arguments":[]}"#,
            r#"{"type":1,"invocationId":"7","target":"Add","arguments":[1,-20,0,true,false,null,"s",-0, 5 ]}"#,
            r#"{"type":1,"invocationId":"caf\u00e9","target":"é","arguments":["\"q\""]}"#,
        ];
        let mut cases: Vec<String> = Vec::new();
        for base in bases {
            cases.push(base.to_owned());
            for cut in 0..base.len() {
                if base.is_char_boundary(cut) {
                    // Every prefix, and every message with one character left out or doubled.
                    cases.push(base[..cut].to_owned());
                    let next = (cut + 1..=base.len())
                        .find(|&i| base.is_char_boundary(i))
                        .unwrap_or(base.len());
                    cases.push(format!("{}{}", &base[..cut], &base[next..]));
                    cases.push(format!("{}{}", &base[..next], &base[cut..]));
                }
            }
        }
        for extra in [
            r#"{"type":1,"type":1,"target":"x","arguments":[]}"#,
            r#"{"type":01,"target":"x","arguments":[]}"#,
            r#"{"type":1.0,"target":"x","arguments":[]}"#,
            r#"{"type":1e0,"target":"x","arguments":[]}"#,
            r#"{"type":1000,"target":"x","arguments":[]}"#,
            r#"{"type":6}"#,
            r#"{"type":1,"target":"x\u0041","arguments":[]}"#,
            r#"{"typ\u0065":1,"target":"x","arguments":[]}"#,
            r#"{"type":1,"target":"x","arguments":[],"streamIds":["a"]}"#,
            r#"{"type":1,"target":"x","arguments":[],"invocationId":null}"#,
            r#"{"type":1,"target":null,"arguments":[]}"#,
            r#"{"type":1,"target":"x","arguments":null}"#,
            r#"{"type":1,"target":"x","arguments":[1]}x"#,
            r#"{"type":1,"target":"x","arguments":[1]},"#,
            "{\"type\":1,\"target\":\"a\tb\",\"arguments\":[]}",
            "{\"type\":1,\"target\":\"x\",\"arguments\":[]}\u{0b}",
            r#"{"type":1,"target":"x","arguments":[01]}"#,
            r#"{"type":1,"target":"x","arguments":[-]}"#,
            r#"{"type":1,"target":"x","arguments":[-01]}"#,
            r#"{"type":1,"target":"x","arguments":[1.5]}"#,
            r#"{"type":1,"target":"x","arguments":[1e5]}"#,
            r#"{"type":1,"target":"x","arguments":[1E5]}"#,
            r#"{"type":1,"target":"x","arguments":[truex]}"#,
            r#"{"type":1,"target":"x","arguments":[nul]}"#,
            r#"{"type":1,"target":"x","arguments":[1 2]}"#,
            r#"{"type":1,"target":"x","arguments":[1,]}"#,
            r#"{"type":1,"target":"x","arguments":[,1]}"#,
            r#"{"type":1,"target":"x","arguments":["a""b"]}"#,
            r#"{"type":1,"target":"x","arguments":[99999999999999999999999]}"#,
            "{\"type\":1,\"target\":\"x\",\"arguments\":[\"a\u{7f}\u{1f}\"]}",
        ] {
            cases.push(extra.to_owned());
        }
        let mut fast = 0;
        for case in &cases {
            let Some(plain) = parse_plain_invocation(case) else {
                continue;
            };
            fast += 1;
            assert_eq!(
                format!("{:?}", plain.map(Some)),
                format!("{:?}", parse_any_message(case)),
                "{case}"
            );
        }
        // The well-formed messages above, and those of their variants that stay well formed
        // (a doubled space, a dropped digit of an id), took the plain path.
        assert!(fast >= bases.len(), "{fast}");
        // All but the last, whose escapes leave it to serde.
        for base in &bases[..bases.len() - 1] {
            assert!(parse_plain_invocation(base).is_some(), "{base}");
        }
        assert!(parse_plain_invocation(bases[bases.len() - 1]).is_none());
        // Arrays of plain scalars are read without serde; anything else is left to it.
        let (values, end) = plain_arguments(r#"[1,"a", true ,null] "#, 0).unwrap();
        assert_eq!(
            format!("{values:?}"),
            r#"[Json("1"), Json("\"a\""), Json("true"), Json("null")]"#
        );
        assert_eq!(end, 19);
        assert!(plain_arguments(r#"[1,{"a":1}]"#, 0).is_none());
        assert!(plain_arguments(r#"["a\"b"]"#, 0).is_none());
        assert!(plain_arguments("[1.5]", 0).is_none());
    }
}
