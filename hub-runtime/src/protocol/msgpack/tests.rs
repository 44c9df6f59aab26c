//! The codec as a whole: ASP.NET Core's baselines written and read, framing, round trips and
//! hostile input, and the reader against rmpv.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::encode::MessagePackEncoder;
use super::framing::{MessagePackMessages, framed};
use super::parse::parse_messagepack_message as parse;
use crate::protocol::error::ProtocolError;
use crate::protocol::framing::SplitMessages;
use crate::protocol::message::{Close, Completion, CompletionBody, HubMessage};
use crate::protocol::{Binary, Timestamp, TimestampValue};

fn split_messagepack_messages(
    input: &[u8],
    max_message_size: Option<usize>,
) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
    MessagePackMessages::new(input, max_message_size).collect_all()
}

fn b64(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

/// Unframes what an encoder wrote: exactly one message.
fn unframe(bytes: &[u8]) -> Vec<u8> {
    let (messages, rest, error) = split_messagepack_messages(bytes, None);
    assert!(error.is_none() && rest.is_empty() && messages.len() == 1);
    messages[0].to_vec()
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
            0x94, 2, 0x80, 0xa1, b'1', 0x82, 0xa4, b'n', b'a', b'm', b'e', 0xa1, b'n', 0xa5, b'c',
            b'o', b'l', b'o', b'r', 0xa3, b'R', b'e', b'd'
        ]
    );
    let Some(HubMessage::StreamItem(item)) = parse(&message).unwrap() else {
        panic!()
    };
    assert_eq!(item.item.decode::<Dto>().unwrap(), dto);
}

/// ASP.NET Core's `CustomObject` (MessagePackHubProtocolTests.cs): a `DateTime` and a `byte[]`
/// among other properties, as a Rust type of the same wire shape.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
#[serde(rename_all = "PascalCase")]
struct CustomObject {
    string_prop: String,
    double_prop: f64,
    int_prop: i32,
    date_time_prop: Timestamp<SystemTime>,
    null_prop: Option<()>,
    byte_arr_prop: Binary,
}

impl CustomObject {
    fn aspnet() -> Self {
        CustomObject {
            string_prop: "SignalR!".into(),
            // ASP.NET's value, which is not quite τ.
            #[allow(clippy::approx_constant)]
            double_prop: 6.2831853071,
            int_prop: 42,
            // 2017-04-11T00:00:00Z
            date_time_prop: Timestamp(UNIX_EPOCH + Duration::from_secs(1_491_868_800)),
            null_prop: None,
            byte_arr_prop: Binary(vec![1, 2, 3]),
        }
    }
}

#[test]
fn bytes_and_dates_as_aspnet_writes_and_reads_them() {
    // CompletionWithNoHeadersAndCustomObjectResult: ... DateTimeProp d6 ff 58 ec 1c 80 ...
    // ByteArrProp c4 03 01 02 03.
    let completion = b64(
        "lQOAo3h5egOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgM=",
    );
    assert_eq!(
        unframe(&MessagePackEncoder::completion_result("xyz", &CustomObject::aspnet()).unwrap()),
        completion
    );
    let Some(HubMessage::Completion(Completion {
        body: CompletionBody::Result(value),
        ..
    })) = parse(&completion).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        value.decode::<CustomObject>().unwrap(),
        CustomObject::aspnet()
    );

    // InvocationWithNoHeadersNoIdAndCustomObjectArg, both ways.
    let invocation = b64(
        "lgGAwKZtZXRob2STKqZzdHJpbmeGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOQ",
    );
    let arguments = (42, "string", CustomObject::aspnet());
    assert_eq!(
        unframe(&MessagePackEncoder::invocation(None, "method", &arguments).unwrap()),
        invocation
    );
    let Some(HubMessage::Invocation(inv)) = parse(&invocation).unwrap() else {
        panic!()
    };
    assert_eq!(
        inv.arguments.decode::<CustomObject>(2).unwrap(),
        CustomObject::aspnet()
    );
}

/// The item of a StreamItem `[2, {}, "1", item]` the encoder writes.
fn item_bytes<T: serde::Serialize>(item: &T) -> Vec<u8> {
    let message = unframe(&MessagePackEncoder::stream_item("1", item).unwrap());
    assert_eq!(message[..4], [0x94, 2, 0x80, 0xa1]);
    message[5..].to_vec()
}

/// `item` read as a StreamItem's item.
fn read_item<T: serde::de::DeserializeOwned>(item: &[u8]) -> Result<T, String> {
    let mut message = vec![0x94, 2, 0x80, 0xa1, b'1'];
    message.extend(item);
    let Some(HubMessage::StreamItem(stream_item)) = parse(&message).unwrap() else {
        panic!()
    };
    stream_item.item.decode()
}

fn at(seconds: i64, nanos: u32) -> Timestamp<SystemTime> {
    Timestamp(<SystemTime as TimestampValue>::from_unix(seconds, nanos).unwrap())
}

#[test]
fn bytes_are_bin_and_dates_the_timestamp_extension() {
    assert_eq!(item_bytes(&Binary(vec![1, 2, 3])), [0xc4, 3, 1, 2, 3]);
    assert_eq!(
        item_bytes(&Binary(bytes::Bytes::from_static(&[]))),
        [0xc4, 0]
    );
    // 2000-01-01T00:00:00Z: 32-bit seconds.
    assert_eq!(
        item_bytes(&at(946_684_800, 0)),
        [0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]
    );
    // 2000-01-01T00:00:00.5Z: 30-bit nanoseconds and 34-bit seconds.
    let mut ts64 = vec![0xd7, 0xff];
    ts64.extend(((500_000_000u64 << 34) | 946_684_800).to_be_bytes());
    assert_eq!(item_bytes(&at(946_684_800, 500_000_000)), ts64);
    // 1969-12-31T23:59:59.5Z: 32-bit nanoseconds and signed 64-bit seconds.
    let mut ts96 = vec![0xc7, 12, 0xff];
    ts96.extend(500_000_000u32.to_be_bytes());
    ts96.extend((-1i64).to_be_bytes());
    assert_eq!(item_bytes(&at(-1, 500_000_000)), ts96);
    // Inside other values too, and a plain `Vec<u8>` stays an array.
    assert_eq!(
        item_bytes(&(Some(Binary(vec![7])), vec![7u8])),
        [0x92, 0xc4, 1, 7, 0x91, 7]
    );

    for (bytes, time) in [
        (vec![0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80], at(946_684_800, 0)),
        (ts64, at(946_684_800, 500_000_000)),
        (ts96, at(-1, 500_000_000)),
    ] {
        assert_eq!(read_item::<Timestamp<SystemTime>>(&bytes).unwrap(), time);
    }
    assert_eq!(
        read_item::<Binary>(&[0xc4, 3, 1, 2, 3]).unwrap(),
        Binary(vec![1, 2, 3])
    );
}

#[test]
fn the_text_forms_are_read_in_messagepack_too() {
    let text = |text: &str| {
        let mut bytes = Vec::new();
        rmp::encode::write_str(&mut bytes, text).unwrap();
        bytes
    };
    assert_eq!(
        read_item::<Binary>(&text("AQID")).unwrap(),
        Binary(vec![1, 2, 3])
    );
    assert_eq!(
        read_item::<Binary>(&[0x93, 1, 2, 3]).unwrap(),
        Binary(vec![1, 2, 3])
    );
    assert_eq!(
        read_item::<Timestamp<SystemTime>>(&text("2000-01-01T00:00:00.000Z")).unwrap(),
        at(946_684_800, 0)
    );
    // What cannot be a date or bytes is a binding error.
    assert!(
        read_item::<Timestamp<SystemTime>>(&[0xd6, 0x01, 0, 0, 0, 0])
            .unwrap_err()
            .contains("extension type 1")
    );
    assert!(read_item::<Timestamp<SystemTime>>(&[0x2a]).is_err());
    assert!(read_item::<Binary>(&[0xc3]).is_err());
}

/// Values in untagged enums and flattened structs are buffered by serde before they are read:
/// the extension and bin survive that.
#[test]
fn buffered_values_keep_their_forms() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    #[serde(untagged)]
    enum Either {
        Date(Timestamp<SystemTime>),
        Bytes(Binary),
    }
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Inner {
        when: Timestamp<SystemTime>,
        data: Binary,
    }
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Outer {
        name: String,
        #[serde(flatten)]
        inner: Inner,
    }
    for value in [
        Either::Date(at(946_684_800, 0)),
        Either::Bytes(Binary(vec![1])),
    ] {
        assert_eq!(read_item::<Either>(&item_bytes(&value)).unwrap(), value);
    }
    let outer = Outer {
        name: "n".into(),
        inner: Inner {
            when: at(-1, 500_000_000),
            data: Binary(vec![1, 2, 3]),
        },
    };
    assert_eq!(read_item::<Outer>(&item_bytes(&outer)).unwrap(), outer);
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_and_time_date_times() {
    use chrono::{DateTime, TimeZone, Utc};
    let date = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        item_bytes(&Timestamp(date)),
        [0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]
    );
    let read: Timestamp<DateTime<Utc>> = read_item(&[0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]).unwrap();
    assert_eq!(read.0, date);
    // A plain chrono date stays a string.
    assert_eq!(item_bytes(&date)[0], 0xb4);
}

#[cfg(feature = "time")]
#[test]
fn time_date_times() {
    use time::OffsetDateTime;
    let date = OffsetDateTime::from_unix_timestamp(946_684_800).unwrap();
    assert_eq!(
        item_bytes(&Timestamp(date)),
        [0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]
    );
    let read: Timestamp<OffsetDateTime> = read_item(&[0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80]).unwrap();
    assert_eq!(read.0, date);
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

// The reader against rmpv: what rmpv writes, in every form the format has, is skipped over and
// read exactly.

mod against_rmpv {
    use proptest::prelude::*;
    use rmpv::Value;

    use super::parse;
    use crate::protocol::message::HubMessage;
    use crate::protocol::msgpack::reader::Reader;

    fn encode(value: &Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, value).unwrap();
        bytes
    }

    /// How deeply a value nests: 0 for a scalar or an empty array or map.
    fn depth(value: &Value) -> usize {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        };
        items
            .into_iter()
            .map(|item| 1 + depth(item))
            .max()
            .unwrap_or(0)
    }

    /// Lengths on both sides of the format's size classes: fix, 8-bit and 16-bit, and with
    /// `large`, 32-bit.
    fn length(large: bool) -> impl Strategy<Value = usize> {
        let classes = prop_oneof![8 => 0usize..34, 1 => 250usize..260];
        let large = if large { 1 } else { 0 };
        prop_oneof![20 => classes, large => prop::sample::select(vec![65_535usize, 65_536])]
    }

    fn text(large: bool) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => any::<String>(),
            1 => (length(large), prop::char::range('a', 'z'))
                .prop_map(|(len, c)| std::iter::repeat_n(c, len).collect()),
        ]
    }

    fn bytes(large: bool) -> impl Strategy<Value = Vec<u8>> {
        (length(large), any::<u8>()).prop_map(|(len, byte)| vec![byte; len])
    }

    /// Every kind of value: integers of every width, floats, strings, binaries, extensions
    /// (fixext 1 to 16 and ext 8/16), arrays and maps of every size class, nested; and at the
    /// top, now and then, a string, binary or extension of the 32-bit class.
    fn value() -> impl Strategy<Value = Value> {
        let large = prop_oneof![
            text(true).prop_map(Value::from),
            bytes(true).prop_map(Value::Binary),
            (any::<i8>(), bytes(true)).prop_map(|(kind, data)| Value::Ext(kind, data)),
        ];
        prop_oneof![9 => nested(), 1 => large]
    }

    fn nested() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-40i64..300).prop_map(Value::from),
            any::<f32>().prop_map(Value::F32),
            any::<f64>().prop_map(Value::F64),
            text(false).prop_map(Value::from),
            bytes(false).prop_map(Value::Binary),
            (any::<i8>(), bytes(false)).prop_map(|(kind, data)| Value::Ext(kind, data)),
        ];
        leaf.prop_recursive(4, 32, 18, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..18).prop_map(Value::Array),
                prop::collection::vec((inner.clone(), inner), 0..17).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A value rmpv wrote is skipped over exactly, whatever follows it; every shorter
        /// prefix of it is refused, as rmpv refuses it.
        #[test]
        fn values_are_skipped_over_exactly(
            value in value(),
            after in prop::collection::vec(any::<u8>(), 0..4),
        ) {
            let encoded = encode(&value);
            let mut bytes = encoded.clone();
            bytes.extend(&after);
            prop_assert_eq!(Reader::new(&bytes).value(), Ok(&encoded[..]));
            let len = encoded.len();
            for cut in (0..len.min(300)).chain(len.saturating_sub(300)..len) {
                prop_assert!(Reader::new(&encoded[..cut]).value().is_err(), "{}", cut);
            }
            for cut in [len / 2, len - 1] {
                prop_assert!(rmpv::decode::read_value(&mut &encoded[..cut]).is_err(), "{}", cut);
            }
        }

        /// Values nested up to 64 deep are skipped, deeper ones refused (rmpv reads both).
        #[test]
        fn nesting_is_bounded_at_64(levels in 0usize..80, maps in any::<u64>()) {
            let mut value = Value::Nil;
            for level in 0..levels {
                value = if maps >> (level % 64) & 1 == 1 {
                    Value::Map(vec![(Value::from(level), value)])
                } else {
                    Value::Array(vec![value])
                };
            }
            prop_assert_eq!(depth(&value), levels);
            let bytes = encode(&value);
            prop_assert!(rmpv::decode::read_value(&mut &bytes[..]).is_ok());
            prop_assert_eq!(Reader::new(&bytes).value().is_ok(), levels <= 64);
        }

        /// An integer is read from each of the forms that holds it; a uint 64 beyond `i64` is
        /// refused.
        #[test]
        fn integers_are_read_from_every_width(n in prop_oneof![any::<i64>(), -300i64..300]) {
            let mut forms: Vec<Vec<u8>> = Vec::new();
            let mut form = |write: &dyn Fn(&mut Vec<u8>)| {
                let mut bytes = Vec::new();
                write(&mut bytes);
                forms.push(bytes);
            };
            form(&|b| rmp::encode::write_i64(b, n).unwrap());
            form(&|b| rmp::encode::write_sint(b, n).map(drop).unwrap());
            if let Ok(n) = u64::try_from(n) {
                form(&|b| rmp::encode::write_uint(b, n).map(drop).unwrap());
            }
            // Each fixed width that holds `n`.
            macro_rules! widths {
                ($($ty:ty => $write:path),*) => {
                    $(if let Ok(n) = <$ty>::try_from(n) {
                        form(&|b| $write(b, n).unwrap());
                    })*
                };
            }
            widths!(
                u64 => rmp::encode::write_u64,
                u32 => rmp::encode::write_u32,
                i32 => rmp::encode::write_i32,
                u16 => rmp::encode::write_u16,
                i16 => rmp::encode::write_i16,
                u8 => rmp::encode::write_u8,
                i8 => rmp::encode::write_i8
            );
            if (0..128).contains(&n) {
                form(&|b| rmp::encode::write_pfix(b, n as u8).unwrap());
            }
            if (-32..0).contains(&n) {
                form(&|b| rmp::encode::write_nfix(b, n as i8).unwrap());
            }
            for bytes in &forms {
                prop_assert_eq!(Reader::new(bytes).int(), Ok(n), "{:x?}", bytes);
                let read = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
                prop_assert_eq!(read.as_i64(), Some(n));
            }
            let big = u64::MAX - n.unsigned_abs() / 2;
            let mut bytes = Vec::new();
            rmp::encode::write_u64(&mut bytes, big).unwrap();
            prop_assert_eq!(Reader::new(&bytes).int().is_ok(), i64::try_from(big).is_ok());
        }

        /// A string is read from each of the forms that holds it.
        #[test]
        fn strings_are_read_from_every_width(text in text(true)) {
            let len = text.len();
            let mut forms = vec![encode(&Value::from(text.as_str()))];
            if len < 32 {
                forms.push([&[0xa0 | len as u8][..], text.as_bytes()].concat());
            }
            if let Ok(short) = u8::try_from(len) {
                forms.push([&[0xd9, short][..], text.as_bytes()].concat());
            }
            if let Ok(short) = u16::try_from(len) {
                forms.push([&[0xda][..], &short.to_be_bytes(), text.as_bytes()].concat());
            }
            forms.push([&[0xdb][..], &(len as u32).to_be_bytes(), text.as_bytes()].concat());
            for bytes in &forms {
                prop_assert_eq!(Reader::new(bytes).str(), Ok(text.as_str()));
                prop_assert_eq!(Reader::new(bytes).value(), Ok(&bytes[..]));
            }
        }

        /// An Invocation rmpv wrote: its id, target and stream ids are read, and each argument
        /// is kept as the bytes rmpv wrote for it.
        #[test]
        fn invocations_keep_the_arguments_rmpv_wrote(
            id in prop::option::of(text(false)),
            target in text(false),
            arguments in prop::collection::vec(value(), 0..6),
            streams in prop::option::of(prop::collection::vec("[a-z0-9]{1,8}", 0..3)),
        ) {
            let mut message = vec![
                Value::from(1),
                Value::Map(Vec::new()),
                id.as_deref().map_or(Value::Nil, Value::from),
                Value::from(target.as_str()),
                Value::Array(arguments.clone()),
            ];
            if let Some(streams) = &streams {
                message.push(Value::Array(streams.iter().map(|s| Value::from(s.as_str())).collect()));
            }
            let bytes = encode(&Value::Array(message));
            let Ok(Some(HubMessage::Invocation(invocation))) = parse(&bytes) else {
                panic!("not an invocation: {:?}", parse(&bytes));
            };
            prop_assert_eq!(invocation.invocation_id.as_deref(), id.as_deref());
            prop_assert_eq!(&invocation.target, &target);
            prop_assert_eq!(&invocation.stream_ids, &streams.unwrap_or_default());
            let kept: Vec<Vec<u8>> = invocation
                .arguments
                .to_owned_values()
                .into_iter()
                .map(|value| match value {
                    crate::protocol::value::OwnedValue::MessagePack(bytes) => bytes,
                    other => panic!("not MessagePack: {other:?}"),
                })
                .collect();
            let written: Vec<Vec<u8>> = arguments.iter().map(encode).collect();
            prop_assert_eq!(kept, written);
        }
    }
}
