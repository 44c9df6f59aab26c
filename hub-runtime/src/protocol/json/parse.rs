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

    /// Generated messages for the plain reader against serde: a JSON value as written, numbers
    /// kept as their text so that every form of them is tried.
    mod generated {
        use proptest::prelude::*;
        use proptest::sample::select;

        /// A JSON value as written.
        #[derive(Debug, Clone)]
        pub(super) enum Json {
            Null,
            Bool(bool),
            Number(String),
            Text(String),
            Array(Vec<Json>),
            Object(Vec<(String, Json)>),
        }

        /// Strings: mostly plain, else with what must or may be escaped, and non-ASCII text.
        pub(super) fn text() -> impl Strategy<Value = String> {
            let special = prop::collection::vec(
                prop_oneof![
                    6 => prop::char::range('a', 'z'),
                    1 => select(vec![' ', '"', '\\', '/', '\u{7f}', 'é', '日', '😀', '\u{2028}']),
                    1 => prop::char::range('\u{0}', '\u{1f}'),
                ],
                0..10,
            )
            .prop_map(String::from_iter);
            prop_oneof![2 => "[a-zA-Z0-9_.-]{0,12}", 1 => special]
        }

        /// Numbers in every form JSON allows.
        pub(super) fn number() -> impl Strategy<Value = String> {
            let parts = (
                any::<bool>(),
                "0|[1-9][0-9]{0,24}",
                prop::option::of("[0-9]{1,6}"),
                prop::option::of(("[eE]", "[+-]?", "[0-9]{1,3}")),
            )
                .prop_map(|(minus, int, fraction, exponent)| {
                    let mut text = if minus { format!("-{int}") } else { int };
                    if let Some(fraction) = fraction {
                        text = format!("{text}.{fraction}");
                    }
                    if let Some((e, sign, digits)) = exponent {
                        text = format!("{text}{e}{sign}{digits}");
                    }
                    text
                });
            prop_oneof![
                3 => any::<i64>().prop_map(|n| n.to_string()),
                3 => any::<u64>().prop_map(|n| n.to_string()),
                3 => parts,
                1 => malformed(),
            ]
        }

        /// Near misses of numbers and literals, which both readers must refuse.
        fn malformed() -> impl Strategy<Value = String> {
            select(vec![
                "01", "-01", "00", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1_0", "NaN",
                "Infinity", "--1", "tru", "nul", "True", "1 2", "\"a", "'a'",
            ])
            .prop_map(str::to_owned)
        }

        /// Arguments the plain reader reads by hand: integers, strings without escapes, `true`,
        /// `false` and `null`, and near misses of them.
        fn plain_arguments() -> impl Strategy<Value = Vec<Json>> {
            let scalar = prop_oneof![
                3 => any::<i64>().prop_map(|n| Json::Number(n.to_string())),
                3 => "[a-z0-9 ]{0,8}".prop_map(Json::Text),
                1 => any::<bool>().prop_map(Json::Bool),
                1 => Just(Json::Null),
                1 => malformed().prop_map(Json::Number),
            ];
            prop::collection::vec(scalar, 0..6)
        }

        pub(super) fn json() -> impl Strategy<Value = Json> {
            let leaf = prop_oneof![
                Just(Json::Null),
                any::<bool>().prop_map(Json::Bool),
                number().prop_map(Json::Number),
                text().prop_map(Json::Text),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                    prop::collection::vec((text(), inner), 0..4).prop_map(Json::Object),
                ]
            })
        }

        /// Writes JSON with the given whitespace between tokens, escaping every string whose bit
        /// is set in `escapes` beyond what it must (each non-alphanumeric character as `\uXXXX`).
        pub(super) struct Writer {
            pub(super) out: String,
            spaces: Vec<&'static str>,
            escapes: u64,
            written: usize,
            /// How many arrays and objects are open.
            depth: usize,
            /// Whether a string written outside the arrays and objects within the outermost
            /// object (a property name, or a property's value) had an escape.
            pub(super) escaped_outside: bool,
        }

        impl Writer {
            pub(super) fn new(spaces: Vec<&'static str>, escapes: u64) -> Self {
                Writer {
                    out: String::new(),
                    spaces,
                    escapes,
                    written: 0,
                    depth: 0,
                    escaped_outside: false,
                }
            }

            pub(super) fn space(&mut self) {
                self.out
                    .push_str(self.spaces[self.written % self.spaces.len()]);
                self.written += 1;
            }

            pub(super) fn string(&mut self, text: &str) {
                let escape_all = self.escapes >> (self.written % 64) & 1 == 1;
                self.written += 1;
                let plain = serde_json::to_string(text).unwrap();
                let outside = self.depth <= 1;
                if !escape_all {
                    self.escaped_outside |= outside && plain.len() != text.len() + 2;
                    self.out.push_str(&plain);
                    return;
                }
                self.out.push('"');
                for c in text.chars() {
                    if c.is_ascii_alphanumeric() {
                        self.out.push(c);
                        continue;
                    }
                    self.escaped_outside |= outside;
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        let upper = self.written % 3 == 0;
                        self.out.push_str(&if upper {
                            format!("\\u{unit:04X}")
                        } else {
                            format!("\\u{unit:04x}")
                        });
                    }
                }
                self.out.push('"');
            }

            pub(super) fn value(&mut self, value: &Json) {
                match value {
                    Json::Null => self.out.push_str("null"),
                    Json::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
                    Json::Number(text) => self.out.push_str(text),
                    Json::Text(text) => self.string(text),
                    Json::Array(items) => {
                        self.sequence(('[', ']'), items, |writer, item| writer.value(item));
                    }
                    Json::Object(entries) => {
                        let entries: Vec<_> =
                            entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
                        self.object(&entries);
                    }
                }
            }

            pub(super) fn object(&mut self, entries: &[(&str, &Json)]) {
                self.sequence(('{', '}'), entries, |writer, (name, value)| {
                    writer.string(name);
                    writer.space();
                    writer.out.push(':');
                    writer.space();
                    writer.value(value);
                });
            }

            /// An array or object: `items` between `ends`, separated by commas.
            fn sequence<T>(
                &mut self,
                ends: (char, char),
                items: &[T],
                mut write: impl FnMut(&mut Self, &T),
            ) {
                self.depth += 1;
                self.out.push(ends.0);
                for (i, item) in items.iter().enumerate() {
                    self.space();
                    if i > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    write(self, item);
                }
                self.space();
                self.out.push(ends.1);
                self.depth -= 1;
            }
        }

        /// An Invocation as clients write it, or nearly: its text, and whether the plain reader
        /// must take it (type 1 or 4, the four properties once each, no escapes among them, and
        /// well-formed arguments).
        pub(super) fn invocation() -> impl Strategy<Value = (String, bool)> {
            let kind = prop_oneof![
                6 => Just("1"),
                3 => Just("4"),
                1 => select(vec!["0", "2", "3", "6", "7", "10", "99", "100", "1000", "01", "1.0", "1e0", "-1"]),
            ];
            let id = prop_oneof![
                2 => Just(None),
                6 => text().prop_map(|id| Some(Json::Text(id))),
                1 => Just(Some(Json::Null)),
            ];
            let extra = prop::option::weighted(
                0.2,
                (
                    select(vec![
                        "streamIds",
                        "headers",
                        "extra",
                        "type",
                        "target",
                        "arguments",
                        "invocationId",
                    ]),
                    json(),
                ),
            );
            let spaces =
                prop::collection::vec(select(vec!["", "", " ", "\n", "\t", "\r\n  "]), 1..4);
            let escapes = prop_oneof![3 => Just(0u64), 1 => any::<u64>()];
            (
                kind,
                id,
                prop::option::weighted(0.95, text()),
                prop_oneof![prop::collection::vec(json(), 0..5), plain_arguments()],
                extra,
                Just(vec![0, 1, 2, 3, 4]).prop_shuffle(),
                spaces,
                escapes,
            )
                .prop_map(
                    |(kind, id, target, arguments, extra, order, spaces, escapes)| {
                        let kind = Json::Number(kind.to_owned());
                        let target = target.map(Json::Text);
                        let arguments = Json::Array(arguments);
                        let properties = [
                            Some(("type", &kind)),
                            Some(("arguments", &arguments)),
                            id.as_ref().map(|id| ("invocationId", id)),
                            target.as_ref().map(|target| ("target", target)),
                            extra.as_ref().map(|(name, value)| (*name, value)),
                        ];
                        // In one of their orders.
                        let mut ordered: Vec<_> = order.iter().zip(properties).collect();
                        ordered.sort_by_key(|&(position, _)| position);
                        let properties: Vec<_> = ordered
                            .into_iter()
                            .filter_map(|(_, property)| property)
                            .collect();
                        let mut writer = Writer::new(spaces, escapes);
                        writer.space();
                        writer.object(&properties);
                        writer.space();
                        let plain = !writer.escaped_outside
                            && matches!(&kind, Json::Number(kind) if kind == "1" || kind == "4")
                            && !matches!(id, Some(Json::Null))
                            && target.is_some()
                            && extra.is_none();
                        (writer.out, plain)
                    },
                )
        }
    }

    /// Where the plain reader answers, it answers as serde does.
    fn agree(text: &str) -> Result<(), TestCaseError> {
        if let Some(plain) = parse_plain_invocation(text) {
            prop_assert_eq!(
                format!("{:?}", plain.map(Some)),
                format!("{:?}", parse_any_message(text)),
                "{}",
                text
            );
        }
        Ok(())
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Generated Invocations (ids, targets, escapes, unicode, numbers, nesting, whitespace,
        /// property order, extra properties and types), each also with one character dropped
        /// or one inserted: where the plain reader answers, it answers as serde does, and it
        /// answers every plain one.
        #[test]
        fn the_plain_reader_agrees_with_serde_on_generated_invocations(
            (text, plain) in generated::invocation(),
            at in any::<prop::sample::Index>(),
            inserted in prop::sample::select(vec!['"', ',', ':', '{', '}', '[', ']', '\\', '0', '-', '.', 'e', ' ', 'é']),
        ) {
            agree(&text)?;
            // (A malformed argument leaves even a plain one to serde, which refuses it.)
            prop_assert!(
                !plain
                    || parse_plain_invocation(&text).is_some()
                    || matches!(parse_any_message(&text), Err(ProtocolError::InvalidJson(_))),
                "{}",
                text
            );
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let cut = boundaries[at.index(boundaries.len())];
            let next = boundaries.iter().copied().find(|&i| i > cut).unwrap_or(cut);
            agree(&format!("{}{}", &text[..cut], &text[next..]))?;
            agree(&format!("{}{inserted}{}", &text[..cut], &text[cut..]))?;
        }
    }
}
