//! Hub messages in full, both hub protocols: what the checking modes (`soak`, `burst`, `crowd`)
//! send and read. The benchmark modes only classify frames (`classify` in main.rs); these modes
//! read every field they check (invocation ids, arguments, stream items), so frames are decoded:
//! JSON records with serde_json, MessagePack messages with the small decoder below into the same
//! `serde_json::Value`s.

use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{BoxError, Frame, Proto, RS, msgpack_messages};

/// Hub message types.
pub const INVOCATION: u8 = 1;
pub const STREAM_INVOCATION: u8 = 4;

/// An argument of an invocation.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Str(&'a str),
    Int(u64),
}

/// One hub message from the server, as the checks read it.
#[derive(Debug, PartialEq)]
pub enum HubMessage {
    Invocation {
        target: String,
        arguments: Vec<Value>,
    },
    StreamItem {
        id: String,
        item: Value,
    },
    Completion {
        id: String,
        result: Option<Value>,
        error: Option<String>,
    },
    Ping,
    Close {
        error: Option<String>,
    },
    /// Any other type (the server sends none of them to these clients).
    Other(u64),
}

/// One record of `kind` (Invocation or StreamInvocation) in the connection's protocol, the JSON
/// record with its separator, the MessagePack message with its length prefix.
pub fn record(proto: Proto, kind: u8, id: Option<&str>, target: &str, args: &[Arg]) -> Vec<u8> {
    match proto {
        Proto::SignalRMessagePack => msgpack_record(kind, id, target, args),
        // The field order of the official clients: `type` first.
        _ => {
            let quoted = |text: &str| Value::from(text).to_string();
            let mut text = format!("{{\"type\":{kind},");
            if let Some(id) = id {
                text.push_str(&format!("\"invocationId\":{},", quoted(id)));
            }
            text.push_str(&format!("\"target\":{},\"arguments\":[", quoted(target)));
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                match *arg {
                    Arg::Str(value) => text.push_str(&quoted(value)),
                    Arg::Int(n) => text.push_str(&n.to_string()),
                }
            }
            text.push_str("]}");
            text.push(RS);
            text.into_bytes()
        }
    }
}

/// Records joined into one WebSocket message: text for JSON, binary for MessagePack.
pub fn message(proto: Proto, records: Vec<u8>) -> Message {
    match proto {
        Proto::SignalRMessagePack => Message::binary(records),
        _ => Message::text(String::from_utf8(records).expect("JSON records are UTF-8")),
    }
}

/// An invocation of `kind` as one WebSocket message.
pub fn invocation(proto: Proto, kind: u8, id: Option<&str>, target: &str, args: &[Arg]) -> Message {
    message(proto, record(proto, kind, id, target, args))
}

/// A MessagePack `[kind, {}, id or nil, target, [arguments...], []]` with its varint length
/// prefix.
pub fn msgpack_record(kind: u8, id: Option<&str>, target: &str, args: &[Arg]) -> Vec<u8> {
    let mut body = vec![0x96, kind, 0x80];
    match id {
        Some(id) => msgpack_str(&mut body, id),
        None => body.push(0xc0),
    }
    msgpack_str(&mut body, target);
    body.push(0x90 | args.len() as u8);
    for arg in args {
        match *arg {
            Arg::Str(text) => msgpack_str(&mut body, text),
            Arg::Int(n) if n < 0x80 => body.push(n as u8),
            Arg::Int(n) => {
                body.push(0xcf);
                body.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
    body.push(0x90);
    let mut message = Vec::with_capacity(body.len() + 5);
    let mut len = body.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            message.push(byte);
            break;
        }
        message.push(byte | 0x80);
    }
    message.extend_from_slice(&body);
    message
}

fn msgpack_str(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    match len {
        0..=31 => out.push(0xa0 | len as u8),
        32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
        _ => {
            out.push(0xda);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(text.as_bytes());
}

/// Every hub message of a frame.
pub fn parse(frame: &Frame) -> Result<Vec<HubMessage>, BoxError> {
    match frame {
        Frame::Text(text) => text
            .split(RS)
            .filter(|record| !record.is_empty())
            .map(|record| from_json(serde_json::from_str(record)?))
            .collect(),
        Frame::Binary(bytes) => msgpack_messages(bytes)
            .into_iter()
            .map(|(_, mut message)| from_msgpack(msgpack_value(&mut message, 0)?))
            .collect(),
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn from_json(value: Value) -> Result<HubMessage, BoxError> {
    let field = |name: &str| value.get(name).and_then(text);
    Ok(match value["type"].as_u64() {
        Some(1) => HubMessage::Invocation {
            target: field("target").ok_or("an Invocation without a target")?,
            arguments: value["arguments"].as_array().cloned().unwrap_or_default(),
        },
        Some(2) => HubMessage::StreamItem {
            id: field("invocationId").ok_or("a StreamItem without an id")?,
            item: value["item"].clone(),
        },
        Some(3) => HubMessage::Completion {
            id: field("invocationId").ok_or("a Completion without an id")?,
            result: value.get("result").cloned(),
            error: field("error"),
        },
        Some(6) => HubMessage::Ping,
        Some(7) => HubMessage::Close {
            error: field("error"),
        },
        Some(other) => HubMessage::Other(other),
        None => return Err(format!("a record without a type: {value}").into()),
    })
}

/// A MessagePack hub message (an array, its type first) in the shape of the JSON one.
fn from_msgpack(value: Value) -> Result<HubMessage, BoxError> {
    let fields = value
        .as_array()
        .ok_or("a MessagePack message that is not an array")?;
    let at = |i: usize| fields.get(i).cloned().unwrap_or(Value::Null);
    let id = |i: usize| text(&at(i)).ok_or("a message without an id");
    Ok(match at(0).as_u64() {
        // [1, headers, id, target, arguments, streamIds?]
        Some(1) => HubMessage::Invocation {
            target: text(&at(3)).ok_or("an Invocation without a target")?,
            arguments: at(4).as_array().cloned().unwrap_or_default(),
        },
        // [2, headers, id, item]
        Some(2) => HubMessage::StreamItem {
            id: id(2)?,
            item: at(3),
        },
        // [3, headers, id, 1 (error) | 2 (void) | 3 (result), error or result]
        Some(3) => {
            let (result, error) = match at(3).as_u64() {
                Some(1) => (None, text(&at(4))),
                Some(3) => (Some(at(4)), None),
                _ => (None, None),
            };
            HubMessage::Completion {
                id: id(2)?,
                result,
                error,
            }
        }
        Some(6) => HubMessage::Ping,
        // [7, error, allowReconnect?]
        Some(7) => HubMessage::Close {
            error: text(&at(1)),
        },
        Some(other) => HubMessage::Other(other),
        None => return Err("a MessagePack message without a type".into()),
    })
}

/// Nesting deeper than this is refused (hub messages nest three levels).
const MAX_DEPTH: usize = 32;

/// Decodes one MessagePack value from the front of `input`. Binary and extension values become
/// `null`: hub messages to these clients carry none.
fn msgpack_value(input: &mut &[u8], depth: usize) -> Result<Value, BoxError> {
    if depth > MAX_DEPTH {
        return Err("MessagePack nested too deeply".into());
    }
    let (&tag, rest) = input.split_first().ok_or("MessagePack cut short")?;
    *input = rest;
    let value = match tag {
        0x00..=0x7f => Value::from(tag),
        0xe0..=0xff => Value::from(tag as i8),
        0x80..=0x8f => msgpack_map(input, usize::from(tag & 0x0f), depth)?,
        0x90..=0x9f => msgpack_array(input, usize::from(tag & 0x0f), depth)?,
        0xa0..=0xbf => msgpack_text(input, usize::from(tag & 0x1f))?,
        0xc0 => Value::Null,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xc4..=0xc6 => {
            let len = be(input, 1 << (tag - 0xc4))? as usize;
            take(input, len)?;
            Value::Null
        }
        0xc7..=0xc9 => {
            let len = be(input, 1 << (tag - 0xc7))? as usize;
            take(input, len + 1)?;
            Value::Null
        }
        0xca => Value::from(f32::from_bits(be(input, 4)? as u32)),
        0xcb => Value::from(f64::from_bits(be(input, 8)?)),
        0xcc..=0xcf => Value::from(be(input, 1 << (tag - 0xcc))?),
        0xd0 => Value::from(be(input, 1)? as u8 as i8),
        0xd1 => Value::from(be(input, 2)? as u16 as i16),
        0xd2 => Value::from(be(input, 4)? as u32 as i32),
        0xd3 => Value::from(be(input, 8)? as i64),
        0xd4..=0xd8 => {
            take(input, 1 + (1 << (tag - 0xd4)))?;
            Value::Null
        }
        0xd9..=0xdb => {
            let len = be(input, 1 << (tag - 0xd9))? as usize;
            msgpack_text(input, len)?
        }
        0xdc | 0xdd => {
            let len = be(input, 2 << (tag - 0xdc))? as usize;
            msgpack_array(input, len, depth)?
        }
        0xde | 0xdf => {
            let len = be(input, 2 << (tag - 0xde))? as usize;
            msgpack_map(input, len, depth)?
        }
        0xc1 => return Err("MessagePack: the unused tag 0xc1".into()),
    };
    Ok(value)
}

fn take<'a>(input: &mut &'a [u8], len: usize) -> Result<&'a [u8], BoxError> {
    if input.len() < len {
        return Err("MessagePack cut short".into());
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    Ok(head)
}

/// A big-endian unsigned integer of `len` bytes.
fn be(input: &mut &[u8], len: usize) -> Result<u64, BoxError> {
    Ok(take(input, len)?
        .iter()
        .fold(0u64, |n, &byte| (n << 8) | u64::from(byte)))
}

fn msgpack_text(input: &mut &[u8], len: usize) -> Result<Value, BoxError> {
    Ok(Value::String(
        std::str::from_utf8(take(input, len)?)?.to_owned(),
    ))
}

fn msgpack_array(input: &mut &[u8], len: usize, depth: usize) -> Result<Value, BoxError> {
    // Every element takes a byte at least: a length beyond the input is refused before any
    // allocation.
    if len > input.len() {
        return Err("MessagePack cut short".into());
    }
    (0..len)
        .map(|_| msgpack_value(input, depth + 1))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn msgpack_map(input: &mut &[u8], len: usize, depth: usize) -> Result<Value, BoxError> {
    if len > input.len() {
        return Err("MessagePack cut short".into());
    }
    let mut map = Map::new();
    for _ in 0..len {
        let key = msgpack_value(input, depth + 1)?;
        let value = msgpack_value(input, depth + 1)?;
        let key = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What both frames of the tests below hold: a ReceiveMessage, a stream item, an echo's
    /// Completion, a stream's, an error's, a Ping and a Close.
    fn expected(
        arguments: Vec<Value>,
        item: Value,
        result: Value,
        close: Option<&str>,
    ) -> Vec<HubMessage> {
        let completion =
            |id: &str, result: Option<Value>, error: Option<&str>| HubMessage::Completion {
                id: id.into(),
                result,
                error: error.map(str::to_owned),
            };
        vec![
            HubMessage::Invocation {
                target: "ReceiveMessage".into(),
                arguments,
            },
            HubMessage::StreamItem {
                id: "s1".into(),
                item,
            },
            completion("e2", Some(result), None),
            completion("s1", None, None),
            completion("x", None, Some("boom")),
            HubMessage::Ping,
            HubMessage::Close {
                error: close.map(str::to_owned),
            },
        ]
    }

    fn json_frame(records: &[&str]) -> Frame {
        Frame::Text(records.iter().map(|r| format!("{r}{RS}")).collect())
    }

    #[test]
    fn json_messages() {
        let frame = json_frame(&[
            r#"{"type":1,"target":"ReceiveMessage","arguments":["b0","7@123"]}"#,
            r#"{"type":2,"invocationId":"s1","item":4}"#,
            r#"{"type":3,"invocationId":"e2","result":"2@9"}"#,
            r#"{"type":3,"invocationId":"s1"}"#,
            r#"{"type":3,"invocationId":"x","error":"boom"}"#,
            r#"{"type":6}"#,
            r#"{"type":7,"error":"bye","allowReconnect":true}"#,
        ]);
        let expected = expected(
            vec!["b0".into(), "7@123".into()],
            4.into(),
            "2@9".into(),
            Some("bye"),
        );
        assert_eq!(parse(&frame).unwrap(), expected);
    }

    /// Length-prefixed MessagePack messages, as the server writes them.
    fn msgpack_frame(messages: &[&[u8]]) -> Frame {
        let mut frame = Vec::new();
        for message in messages {
            assert!(message.len() < 0x80);
            frame.push(message.len() as u8);
            frame.extend_from_slice(message);
        }
        Frame::Binary(frame)
    }

    #[test]
    fn msgpack_messages_decoded() {
        let invocation = msgpack_record(INVOCATION, None, "ReceiveMessage", &[Arg::Str("b0")]);
        let stream = msgpack_record(STREAM_INVOCATION, Some("s1"), "Count", &[Arg::Int(300)]);
        let frame = msgpack_frame(&[
            &invocation[1..],
            // [2, {}, "s1", 300]
            &[0x94, 2, 0x80, 0xa2, b's', b'1', 0xcd, 0x01, 0x2c],
            // [3, {}, "e2", 3, -1]
            &[0x95, 3, 0x80, 0xa2, b'e', b'2', 3, 0xff],
            // [3, {}, "s1", 2]
            &[0x94, 3, 0x80, 0xa2, b's', b'1', 2],
            // [3, {}, "x", 1, "boom"]
            &[0x95, 3, 0x80, 0xa1, b'x', 1, 0xa4, b'b', b'o', b'o', b'm'],
            // [6]
            &[0x91, 6],
            // [7, nil, false]
            &[0x93, 7, 0xc0, 0xc2],
        ]);
        let expected = expected(vec!["b0".into()], 300.into(), (-1).into(), None);
        assert_eq!(parse(&frame).unwrap(), expected);
        // The stream invocation: [4, {}, "s1", "Count", [300], []].
        let mut input = &stream[1..];
        assert_eq!(
            msgpack_value(&mut input, 0).unwrap(),
            serde_json::json!([4, {}, "s1", "Count", [300], []])
        );
    }

    #[test]
    fn msgpack_refuses_what_is_cut_short() {
        for bytes in [
            &[0x92, 1][..],
            &[0xa3, b'a'],
            &[0xdc, 0xff, 0xff],
            &[0xcd, 1],
        ] {
            assert!(msgpack_value(&mut &bytes[..], 0).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn json_record_shape() {
        let record = record(
            Proto::SignalR,
            STREAM_INVOCATION,
            Some("s1"),
            "Count",
            &[Arg::Int(20)],
        );
        assert_eq!(
            String::from_utf8(record).unwrap(),
            format!(r#"{{"type":4,"invocationId":"s1","target":"Count","arguments":[20]}}{RS}"#)
        );
    }
}
