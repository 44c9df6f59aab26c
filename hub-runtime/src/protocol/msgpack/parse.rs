//! Reading one MessagePack hub message. Arguments, items and results are not decoded: each is
//! kept as the bytes it spans, found by skipping over it.

use std::borrow::Cow;

use super::reader::{Reader, invalid};
use crate::protocol::error::ProtocolError;
use crate::protocol::message::{
    ArgumentValue, ArgumentValues, Arguments, Close, Completion, CompletionBody, HubMessage,
    Invocation, StreamItem,
};
use crate::protocol::value::EncodedValue;

/// Parses one MessagePack hub message (without its length prefix). `Ok(None)` for a message
/// type this server does not know.
pub(crate) fn parse_messagepack_message(
    bytes: &[u8],
) -> Result<Option<HubMessage<'_>>, ProtocolError> {
    let mut r = Reader::new(bytes);
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
            let mut arguments = ArgumentValues::with_capacity(count);
            for _ in 0..count {
                arguments.push(ArgumentValue::MessagePack(r.value()?));
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

#[cfg(test)]
mod tests {
    use super::parse_messagepack_message as parse;
    use crate::protocol::message::HubMessage;
    use crate::protocol::value::OwnedValue;

    #[test]
    fn arguments_become_owned_values_as_they_arrived() {
        // [1, {}, nil, "m", [42, [1, "x"]]]
        let bytes = [
            0x95, 1, 0x80, 0xc0, 0xa1, b'm', 0x92, 42, 0x92, 1, 0xa1, b'x',
        ];
        let Some(HubMessage::Invocation(inv)) = parse(&bytes).unwrap() else {
            panic!()
        };
        let owned = inv.arguments.to_owned_values();
        let owned_bytes: Vec<&[u8]> = owned
            .iter()
            .map(|value| match value {
                OwnedValue::MessagePack(owned) => owned.as_slice(),
                OwnedValue::Json(_) => panic!("not MessagePack: {value:?}"),
            })
            .collect();
        assert_eq!(owned_bytes, [&[42][..], &[0x92, 1, 0xa1, b'x'][..]]);
        assert_eq!(owned[0].decode::<u8>().unwrap(), 42);
        assert_eq!(
            owned[1].decode::<(u8, String)>().unwrap(),
            (1, "x".to_owned())
        );
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
}
