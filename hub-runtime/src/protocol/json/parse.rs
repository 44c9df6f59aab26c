//! Reading one JSON hub message: the plain reader tries the common Invocation, serde reads
//! everything else.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::arguments::JsonArguments;
use super::plain::parse_plain_invocation;
use crate::protocol::error::ProtocolError;
use crate::protocol::message::{
    ArgumentValues, Arguments, Close, Completion, CompletionBody, HubMessage, Invocation,
    StreamItem,
};
use crate::protocol::value::EncodedValue;

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

/// Keeps a present property even when its value is `null` (`"result": null` is a result).
fn present<'de, D: Deserializer<'de>>(de: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(de).map(Some)
}

/// Parses one JSON hub message (without its record separator).
///
/// Returns `Ok(None)` for a message type this server does not know: newer clients may send
/// types an older server ignores.
pub(crate) fn parse_json_message(bytes: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
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
pub(crate) fn parse_any_message(text: &str) -> Result<Option<HubMessage<'_>>, ProtocolError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::OwnedValue;

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
    fn arguments_become_owned_values_as_they_arrived() {
        // Read by the plain reader, then by serde.
        let cases: [(&str, &[&str]); 2] = [
            (
                r#"{"type":1,"target":"T","arguments":[1, "a" ,null]}"#,
                &["1", r#""a""#, "null"],
            ),
            (
                r#"{"type":1,"target":"T","arguments":[{"k": [1.5]},"\u00e9"],"streamIds":[]}"#,
                &[r#"{"k": [1.5]}"#, r#""\u00e9""#],
            ),
        ];
        for (message, texts) in cases {
            let Some(HubMessage::Invocation(inv)) = parse(message).unwrap() else {
                panic!("{message}")
            };
            let owned = inv.arguments.to_owned_values();
            let owned_texts: Vec<&str> = owned
                .iter()
                .map(|value| match value {
                    OwnedValue::Json(raw) => raw.get(),
                    #[cfg(feature = "messagepack")]
                    OwnedValue::MessagePack(_) => panic!("not JSON: {value:?}"),
                })
                .collect();
            assert_eq!(owned_texts, texts);
            for (index, value) in owned.iter().enumerate() {
                assert_eq!(
                    value.decode::<serde_json::Value>().unwrap(),
                    inv.arguments.decode::<serde_json::Value>(index).unwrap()
                );
            }
        }
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
    }
}
