//! The codec as a whole: ASP.NET Core's baselines written and read, framing, round trips and
//! hostile input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::encode::MessagePackEncoder;
use super::framing::{MessagePackMessages, framed};
use super::parse::parse_messagepack_message as parse;
use crate::protocol::error::ProtocolError;
use crate::protocol::framing::SplitMessages;
use crate::protocol::message::{Close, Completion, CompletionBody, HubMessage};

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
