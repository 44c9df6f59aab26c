//! What each fuzz target checks, over `hub_runtime::__fuzz`: nothing a client sends may panic a
//! parser, and where the parsers make promises (a split tiles its input, the fast readers agree
//! with the libraries they shortcut, POST bodies and WebSocket frames give the same messages
//! however they are cut),
//! they hold.
//!
//! hub-runtime's `tests/fuzz_corpus.rs` includes this file and replays `corpus/<target>/` through
//! [`TARGETS`], so the seeds are checked on stable too.

use std::collections::HashMap;

use hub_runtime::__fuzz::{self, Protocol, ProtocolError, Value};
use serde::Deserialize;

/// What a target checks of one input: it panics where a check fails.
pub type Check = fn(&[u8]);

/// Every target by name, as `fuzz_targets/` and `corpus/` name them.
pub const TARGETS: &[(&str, Check)] = &[
    ("json_messages", json_messages),
    ("messagepack_messages", messagepack_messages),
    ("handshake", handshake),
    ("negotiate_query", negotiate_query),
    ("post_body", post_body),
    ("argument_binding", argument_binding),
    ("websocket_frames", websocket_frames),
];

/// The message size limit the targets split with besides none: small, so that short inputs
/// reach it.
const LIMIT: usize = 64;

const RECORD_SEPARATOR: u8 = 0x1e;

/// JSON hub messages: split (without and with a size limit) and each parsed. The split tiles the
/// input, messages and their separators, in order, then the rest; every message and the rest
/// keep to the limit; the plain Invocation reader, where it answers, answers as serde does, and
/// what the parser accepts is well-formed JSON.
pub fn json_messages(data: &[u8]) {
    let split = split_checked(Protocol::Json, data, None);
    for range in &split.messages {
        let message = &data[range.clone()];
        let parsed = __fuzz::parse(Protocol::Json, message);
        let Ok(text) = std::str::from_utf8(message) else {
            assert!(
                matches!(parsed, Err(ProtocolError::InvalidJson(_))),
                "{parsed:?}"
            );
            continue;
        };
        let serde = __fuzz::json_serde(text);
        match __fuzz::json_plain(text) {
            Some(plain) => {
                assert_eq!(plain, serde, "the plain reader disagrees on {text:?}");
                assert_eq!(parsed, plain, "{text:?}");
            }
            None => assert_eq!(parsed, serde, "{text:?}"),
        }
        if parsed.is_ok() {
            assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(),
                "accepted malformed JSON {text:?}"
            );
        }
    }
}

/// MessagePack hub messages: split (without and with a size limit) and each parsed. The split
/// tiles the input, each message after a varint prefix of its length; the reader skips a value
/// over exactly the bytes rmpv reads for it, and refuses only what rmpv refuses, what is nested
/// deeper than it allows, or the marker 0xc1, which the format reserves (rmpv reads it as nil).
pub fn messagepack_messages(data: &[u8]) {
    let split = split_checked(Protocol::MessagePack, data, None);
    for range in &split.messages {
        let message = &data[range.clone()];
        let _ = __fuzz::parse(Protocol::MessagePack, message);
        let ours = __fuzz::messagepack_value_len(message);
        let mut rest = message;
        let theirs =
            rmpv::decode::read_value(&mut rest).map(|value| (message.len() - rest.len(), value));
        match (ours, theirs) {
            (Ok(ours), Ok((theirs, _))) => assert_eq!(ours, theirs, "{message:x?}"),
            (Ok(ours), Err(error)) => {
                panic!("skipped {ours} bytes that rmpv refuses ({error}): {message:x?}")
            }
            (Err(error), Ok((_, value))) => assert!(
                depth(&value) > 64 || error.to_string().contains("0xc1"),
                "refused what rmpv reads ({error}): {message:x?}"
            ),
            (Err(_), Err(_)) => {}
        }
    }
}

/// How deeply a value nests: 0 for a scalar or an empty array or map.
fn depth(value: &rmpv::Value) -> usize {
    match value {
        rmpv::Value::Array(items) => items.iter().map(|item| 1 + depth(item)).max().unwrap_or(0),
        rmpv::Value::Map(entries) => entries
            .iter()
            .flat_map(|(key, value)| [key, value])
            .map(|item| 1 + depth(item))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

/// Splits `data` and checks the split; without a limit, checks the split with [`LIMIT`] too.
fn split_checked(protocol: Protocol, data: &[u8], max: Option<usize>) -> __fuzz::Split {
    let split = __fuzz::split(protocol, data, max);
    let mut at = 0;
    for range in &split.messages {
        match protocol {
            Protocol::Json => {
                assert_eq!(range.start, at);
                assert_eq!(data.get(range.end), Some(&RECORD_SEPARATOR));
                assert!(!data[range.clone()].contains(&RECORD_SEPARATOR));
                at = range.end + 1;
            }
            _ => {
                let prefix = &data[at..range.start];
                assert!((1..=5).contains(&prefix.len()), "{prefix:x?}");
                let (last, more) = prefix.split_last().unwrap();
                assert!(last & 0x80 == 0 && more.iter().all(|byte| byte & 0x80 != 0));
                let length = prefix.iter().rev().fold(0usize, |length, byte| {
                    length << 7 | usize::from(byte & 0x7f)
                });
                assert_eq!(length, range.len(), "{prefix:x?}");
                at = range.end;
            }
        }
        if let Some(max) = max {
            // A JSON message's separator counts.
            let framing = usize::from(protocol == Protocol::Json);
            assert!(range.len() + framing <= max, "{range:?} over {max}");
        }
    }
    assert_eq!(split.rest, at..data.len());
    match &split.error {
        None => {
            if protocol == Protocol::Json {
                assert!(!data[at..].contains(&RECORD_SEPARATOR));
                if let Some(max) = max {
                    assert!(split.rest.len() <= max);
                }
            }
        }
        Some(ProtocolError::MessageTooLarge { max: limit }) => assert_eq!(Some(*limit), max),
        Some(ProtocolError::InvalidMessagePack(_)) if protocol != Protocol::Json => {}
        Some(error) => panic!("a split failed with {error:?}"),
    }
    if max.is_none() {
        // With a limit, the same messages up to the first one over it.
        let limited = split_checked(protocol, data, Some(LIMIT));
        assert!(split.messages.starts_with(&limited.messages));
        if limited.error.is_none() {
            assert_eq!(split.messages, limited.messages);
        }
    }
    split
}

/// A handshake request, and what the connection reads after it. The request ends at the first
/// record separator; a protocol is selected only under its own name and versions; the response
/// is `{}` or an `error` object carrying the refusal, framed; an unterminated request waits.
pub fn handshake(data: &[u8]) {
    let first_separator = data.iter().position(|&byte| byte == RECORD_SEPARATOR);
    match __fuzz::handshake(data) {
        Ok(None) => assert_eq!(first_separator, None),
        Err(error) => {
            assert!(first_separator.is_some());
            assert!(
                matches!(error, ProtocolError::InvalidHandshake(_)),
                "{error:?}"
            );
        }
        Ok(Some(request)) => {
            assert_eq!(Some(request.used - 1), first_separator);
            match &request.selected {
                Ok(protocol) => {
                    assert_eq!(protocol.name(), request.protocol);
                    assert!(request.version <= protocol.max_version());
                    assert_eq!(request.response, "{}\u{1e}");
                }
                Err(refusal) => {
                    let response = request.response.strip_suffix('\u{1e}').unwrap();
                    let response: serde_json::Value = serde_json::from_str(response).unwrap();
                    assert_eq!(response, serde_json::json!({ "error": refusal }));
                }
            }
            if let Ok(protocol) = request.selected {
                let rest = &data[request.used..];
                let split = split_checked(protocol, rest, None);
                for range in split.messages {
                    let _ = __fuzz::parse(protocol, &rest[range]);
                }
            }
        }
    }
    if let Some(end) = first_separator {
        assert!(matches!(__fuzz::handshake(&data[..end]), Ok(None)));
    }
}

/// A request's query as negotiate and the transports read it. `RequestInfo::query_param` finds
/// what `application/x-www-form-urlencoded` parsing finds first under the name, percent- and
/// `+`-decoded, and what axum's `Query` extractor gives for a name that occurs once; negotiate
/// answers version 0 or 1.
pub fn negotiate_query(data: &[u8]) {
    let Some(query) = __fuzz::query(data) else {
        return;
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.raw.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    for (name, param) in __fuzz::QUERY_NAMES.iter().zip(&query.params) {
        let mut found = pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value);
        assert_eq!(param.as_ref(), found.next(), "{name} in {:?}", query.raw);
        if let Some(fields) = &query.fields {
            if found.next().is_none() {
                assert_eq!(
                    fields.get(*name),
                    param.as_ref(),
                    "{name} in {:?}",
                    query.raw
                );
            }
        }
    }
    if let Some(Ok(version)) = query.negotiate_version {
        assert!(version <= 1);
    }
}

/// A connection's input as POST bodies deliver it: the first byte chooses the protocol (bit 0),
/// the size limit (bits 1-2) and how the rest is cut into bodies (bits 3-7). Cut in pieces,
/// byte by byte or whole, the same messages are parsed, the same error ends the connection, and
/// the same unfinished message is left.
pub fn post_body(data: &[u8]) {
    let Some((&config, body)) = data.split_first() else {
        return;
    };
    let protocol = if config & 1 == 0 {
        Protocol::Json
    } else {
        Protocol::MessagePack
    };
    let max = [None, Some(16), Some(LIMIT), Some(1024)][usize::from(config >> 1 & 3)];
    let whole = feed(protocol, max, [body]);
    let mut state = (u32::from(config >> 3) << 16 | body.len() as u32 & 0xffff) + 1;
    let mut pieces = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        // Empty bodies too: a client may POST nothing.
        let take = (state % 24) as usize;
        let (piece, after) = rest.split_at(take.min(rest.len()));
        pieces.push(piece);
        rest = after;
    }
    let cut = feed(protocol, max, pieces);
    assert_eq!(cut, whole, "cut into bodies");
    if body.len() <= 512 {
        let bytes = feed(protocol, max, body.chunks(1));
        assert_eq!(bytes, whole, "byte by byte");
    }
}

/// What a connection parsed from `bodies`, and what it kept of an unfinished message.
fn feed<'a>(
    protocol: Protocol,
    max: Option<usize>,
    bodies: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<__fuzz::Parsed>, Option<Vec<u8>>) {
    let mut connection = __fuzz::PostBodies::new(protocol, max);
    for body in bodies {
        if !connection.receive(body) {
            break;
        }
    }
    let pending = (!connection.ended()).then(|| connection.pending().to_vec());
    (connection.parsed, pending)
}

/// A hub method's parameter of a struct type.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoded")]
struct Dto {
    name: String,
    count: u32,
    ratio: f64,
    tags: Vec<String>,
    child: Option<Box<Dto>>,
    #[serde(default)]
    flag: bool,
}

/// A hub method's parameter of an enum type.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoded")]
enum Kind {
    Unit,
    Newtype(i32),
    Tuple(u8, String),
    Struct { x: i64 },
}

/// Each argument, item and result of every message, in both protocols, decoded into typical
/// parameter types as a hub binds them: never a panic, a missing argument is an error, and an
/// argument kept for later decodes as it does where it arrived.
pub fn argument_binding(data: &[u8]) {
    for &protocol in Protocol::ALL {
        let split = __fuzz::split(protocol, data, None);
        for range in split.messages {
            // Each argument as bound, to compare with the same argument kept for later.
            let mut bound: Vec<Result<serde_json::Value, String>> = Vec::new();
            __fuzz::values(protocol, &data[range], |value| match value {
                Value::Arguments(arguments) => {
                    for index in 0..arguments.len() {
                        bound.push(
                            arguments
                                .decode::<serde_json::Value>(index)
                                .map_err(|error| error.detail),
                        );
                        let _ = arguments.decode::<String>(index);
                        let _ = arguments.decode::<i64>(index);
                        let _ = arguments.decode::<u64>(index);
                        let _ = arguments.decode::<f64>(index);
                        let _ = arguments.decode::<bool>(index);
                        let _ = arguments.decode::<char>(index);
                        let _ = arguments.decode::<Option<String>>(index);
                        let _ = arguments.decode::<Option<i64>>(index);
                        let _ = arguments.decode::<Vec<i64>>(index);
                        let _ = arguments.decode::<Vec<Option<String>>>(index);
                        let _ = arguments.decode::<Vec<u8>>(index);
                        let _ = arguments.decode::<(i32, String)>(index);
                        let _ = arguments.decode::<Dto>(index);
                        let _ = arguments.decode::<Vec<Dto>>(index);
                        let _ = arguments.decode::<Kind>(index);
                        let _ = arguments.decode::<HashMap<String, i32>>(index);
                    }
                    assert!(
                        arguments
                            .decode::<serde_json::Value>(arguments.len())
                            .is_err()
                    );
                }
                Value::Owned(value) => {
                    let decoded = value.decode::<serde_json::Value>();
                    if !bound.is_empty() {
                        assert_eq!(decoded, bound.remove(0), "kept for later");
                    }
                    let _ = value.decode::<String>();
                    let _ = value.decode::<i64>();
                    let _ = value.decode::<f64>();
                    let _ = value.decode::<bool>();
                    let _ = value.decode::<Option<i64>>();
                    let _ = value.decode::<Vec<String>>();
                    let _ = value.decode::<Dto>();
                    let _ = value.decode::<Kind>();
                    let _ = value.decode::<HashMap<String, i32>>();
                }
            });
        }
    }
}

/// Bytes a WebSocket client sends (after two bytes choosing the message limit and how the
/// bytes are cut into reads). However they are cut, the server receives the same messages and
/// answers the same frames; no message exceeds the limit; nothing is received after the end;
/// what the server answers is well-formed server frames (unmasked, whole), a Close at most
/// once and last.
pub fn websocket_frames(data: &[u8]) {
    use hub_runtime::__fuzz::WebSocketEvent;
    let [limit, cut, bytes @ ..] = data else {
        return;
    };
    let max_message = 1 + usize::from(*limit) * 8;
    let whole = __fuzz::websocket_read(&[bytes], max_message);
    let pieces: Vec<&[u8]> = bytes.chunks(1 + usize::from(*cut % 16)).collect();
    let cut = __fuzz::websocket_read(&pieces, max_message);
    assert_eq!(
        whole,
        cut,
        "cut into reads of {}",
        pieces.first().map_or(0, |p| p.len())
    );
    let (events, written) = whole;
    for (at, event) in events.iter().enumerate() {
        match event {
            WebSocketEvent::Message { text, bytes } => {
                assert!(bytes.len() <= max_message);
                assert!(!text || std::str::from_utf8(bytes).is_ok());
            }
            WebSocketEvent::Closed | WebSocketEvent::TooLarge => {
                assert_eq!(at, events.len() - 1, "received after the end")
            }
        }
    }
    let mut rest = &written[..];
    let mut closed = false;
    while let [first, second, after @ ..] = rest {
        assert!(!closed, "a frame after the Close");
        assert_eq!(first & 0xF0, 0x80, "FIN, no reserved bits");
        let opcode = first & 0x0F;
        assert!(
            matches!(opcode, 0x8 | 0xA),
            "only pongs and a Close: {opcode}"
        );
        assert_eq!(second & 0x80, 0, "server frames are not masked");
        let len = usize::from(second & 0x7F);
        assert!(len <= 125, "control frames are short");
        assert!(after.len() >= len);
        closed = opcode == 0x8;
        rest = &after[len..];
    }
    assert!(rest.is_empty(), "a cut frame: {rest:?}");
}
