//! The SignalR hub protocols: message model, handshake, the JSON and MessagePack codecs.
//!
//! This layer is pure: bytes in, messages out, and back. It knows nothing of sockets or hubs, so
//! it can be unit-tested and fuzzed on its own. Parsing never panics: every malformed input is a
//! [`ProtocolError`].

mod binary;
mod error;
mod format;
mod forms;
mod framing;
mod handshake;
mod json;
mod message;
#[cfg(feature = "messagepack")]
mod msgpack;
mod timestamp;
mod value;

pub use binary::Binary;
pub use error::ProtocolError;
pub use format::{Protocol, TransferFormat};
pub use timestamp::{Timestamp, TimestampValue};
pub use value::OwnedValue;

// Generated code names these through `crate::__private`; hidden here, they are not this module's
// API.
#[doc(hidden)]
pub use message::{ArgumentError, Arguments};

pub(crate) use handshake::{HandshakeResponse, parse_handshake};
pub(crate) use json::{RECORD_SEPARATOR, parse_json_text};
pub(crate) use message::{
    ArgumentValue, Close, Completion, CompletionBody, HubMessage, Invocation, decode_argument,
};
pub(crate) use value::EncodedValue;
// What `crate::__fuzz` reaches besides the above.
#[cfg(feature = "fuzzing")]
pub(crate) use json::{parse_any_message, parse_plain_invocation};
#[cfg(all(feature = "fuzzing", feature = "messagepack"))]
pub(crate) use msgpack::skip_value;

use serde::Serialize;

use framing::SplitMessages;
use json::{JsonEncoder, JsonMessages, parse_json_message};
#[cfg(feature = "messagepack")]
use msgpack::{MessagePackEncoder, MessagePackMessages, parse_messagepack_message};

impl Protocol {
    /// Splits input bytes into complete messages and an unfinished rest, with the error that
    /// stopped the split: [`Protocol::messages`], collected.
    #[cfg(test)]
    pub(crate) fn split(
        self,
        input: &[u8],
        max_message_size: Option<usize>,
    ) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
        match self.messages(input, max_message_size) {
            Messages::Json(messages) => messages.collect_all(),
            #[cfg(feature = "messagepack")]
            Messages::MessagePack(messages) => messages.collect_all(),
        }
    }

    /// The messages of `input` one by one, as [`Protocol::split`] splits them.
    pub(crate) fn messages(self, input: &[u8], max_message_size: Option<usize>) -> Messages<'_> {
        match self {
            Protocol::Json => Messages::Json(JsonMessages::new(input, max_message_size)),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => {
                Messages::MessagePack(MessagePackMessages::new(input, max_message_size))
            }
        }
    }

    /// Parses one message, as split by [`Protocol::split`].
    pub(crate) fn parse(self, message: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
        match self {
            Protocol::Json => parse_json_message(message),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => parse_messagepack_message(message),
        }
    }

    /// An Invocation from the server (with an id for a client result).
    pub(crate) fn invocation<A: Serialize + ?Sized>(
        self,
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, String> {
        match self {
            Protocol::Json => match invocation_id {
                Some(id) => JsonEncoder::invocation_with_id(id, target, arguments),
                None => JsonEncoder::invocation(target, arguments),
            }
            .map_err(|e| e.to_string()),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => {
                MessagePackEncoder::invocation(invocation_id, target, arguments)
            }
        }
    }

    /// An Invocation or, `streaming`, a StreamInvocation from a client; `invocation_id` is
    /// `None` for a call that expects no Completion, `stream_ids` names the streams it uploads.
    #[cfg(feature = "client")]
    pub(crate) fn client_invocation<A: Serialize + ?Sized>(
        self,
        streaming: bool,
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
        stream_ids: &[String],
    ) -> Result<Vec<u8>, String> {
        let kind = if streaming { 4 } else { 1 };
        match self {
            Protocol::Json => {
                JsonEncoder::client_invocation(kind, invocation_id, target, arguments, stream_ids)
                    .map_err(|e| e.to_string())
            }
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::client_invocation(
                kind,
                invocation_id,
                target,
                arguments,
                stream_ids,
            ),
        }
    }

    /// A CancelInvocation.
    #[cfg(feature = "client")]
    pub(crate) fn cancel_invocation(self, invocation_id: &str) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::cancel_invocation(invocation_id),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::cancel_invocation(invocation_id),
        }
    }

    /// A StreamItem.
    pub(crate) fn stream_item<T: Serialize + ?Sized>(
        self,
        invocation_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, String> {
        match self {
            Protocol::Json => {
                JsonEncoder::stream_item(invocation_id, item).map_err(|e| e.to_string())
            }
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::stream_item(invocation_id, item),
        }
    }

    /// A Completion with a result.
    pub(crate) fn completion_result<T: Serialize + ?Sized>(
        self,
        invocation_id: &str,
        result: &T,
    ) -> Result<Vec<u8>, String> {
        match self {
            Protocol::Json => {
                JsonEncoder::completion_result(invocation_id, result).map_err(|e| e.to_string())
            }
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::completion_result(invocation_id, result),
        }
    }

    /// A Completion with a result that is encoded already (a client's, passed on to the node
    /// that asked for it); a value of the other protocol is converted.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn completion_encoded(
        self,
        invocation_id: &str,
        result: &OwnedValue,
    ) -> Result<Vec<u8>, String> {
        match (self, result) {
            (Protocol::Json, OwnedValue::Json(raw)) => {
                JsonEncoder::completion_result(invocation_id, raw).map_err(|e| e.to_string())
            }
            #[cfg(feature = "messagepack")]
            (Protocol::MessagePack, OwnedValue::MessagePack(bytes)) => {
                Ok(MessagePackEncoder::completion_encoded(invocation_id, bytes))
            }
            #[cfg(feature = "messagepack")]
            (protocol, value) => {
                let value: serde_json::Value = value.decode()?;
                protocol.completion_result(invocation_id, &value)
            }
        }
    }

    /// Reads the one Completion in `framed` (a message with its framing): its invocation id
    /// and what it completes with (a result, `null` for none, or an error text).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn read_completion(
        self,
        framed: &[u8],
    ) -> Result<(String, Result<OwnedValue, String>), String> {
        let mut messages = self.messages(framed, None);
        let message = match messages.next() {
            Some(Ok(message)) => message,
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("no complete message".to_owned()),
        };
        match self.parse(message) {
            Ok(Some(HubMessage::Completion(completion))) => {
                let reply = match completion.body {
                    CompletionBody::Result(value) => Ok(value.to_owned_value()),
                    CompletionBody::Void => Ok(OwnedValue::null()),
                    CompletionBody::Error(error) => Err(error.into_owned()),
                };
                Ok((completion.invocation_id.into_owned(), reply))
            }
            Ok(_) => Err("not a Completion".to_owned()),
            Err(error) => Err(error.to_string()),
        }
    }

    /// A Completion without result.
    pub(crate) fn completion_void(self, invocation_id: &str) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::completion_void(invocation_id),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::completion_void(invocation_id),
        }
    }

    /// A Completion with an error.
    pub(crate) fn completion_error(self, invocation_id: &str, error: &str) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::completion_error(invocation_id, error),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::completion_error(invocation_id, error),
        }
    }

    /// A Ping.
    pub(crate) fn ping(self) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::PING.as_bytes().to_vec(),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::ping(),
        }
    }

    /// An Ack: the client's messages up to `sequence_id` arrived (stateful reconnect).
    pub(crate) fn ack(self, sequence_id: u64) -> Vec<u8> {
        self.sequence_message(8, sequence_id)
    }

    /// A Sequence: the messages that follow start at `sequence_id` (stateful reconnect).
    pub(crate) fn sequence(self, sequence_id: u64) -> Vec<u8> {
        self.sequence_message(9, sequence_id)
    }

    fn sequence_message(self, kind: u8, sequence_id: u64) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::sequence_message(kind, sequence_id),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::sequence_message(kind, sequence_id),
        }
    }

    /// Whether a message this server encoded counts for stateful reconnect (an Invocation, a
    /// StreamItem or a Completion: ASP.NET's `HubInvocationMessage`) rather than being a Ping, a
    /// Close, an Ack or a Sequence. Reads the type the encoders write first.
    pub(crate) fn is_sequenced(self, encoded: &[u8]) -> bool {
        let kind = match self {
            Protocol::Json => encoded
                .strip_prefix(br#"{"type":"#)
                .and_then(|rest| rest.first().copied())
                .map(|digit| digit.wrapping_sub(b'0')),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => {
                // The length prefix (7 bits a byte), the array header, then the type.
                let body = encoded
                    .iter()
                    .position(|byte| byte & 0x80 == 0)
                    .map_or(&[][..], |end| &encoded[end + 1..]);
                match body {
                    [0x90..=0x9f, kind, ..] => Some(*kind),
                    _ => None,
                }
            }
        };
        matches!(kind, Some(1..=5))
    }

    /// A Close message.
    pub(crate) fn close(self, close: &Close) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::close(close),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::close(close),
        }
    }
}

/// The messages of some input, one by one; see [`Protocol::messages`].
#[derive(Debug)]
pub(crate) enum Messages<'a> {
    Json(JsonMessages<'a>),
    #[cfg(feature = "messagepack")]
    MessagePack(MessagePackMessages<'a>),
}

impl<'a> Messages<'a> {
    /// What follows the messages taken so far: an unfinished message, or the one that failed.
    pub(crate) fn rest(&self) -> &'a [u8] {
        match self {
            Messages::Json(messages) => messages.rest(),
            #[cfg(feature = "messagepack")]
            Messages::MessagePack(messages) => messages.rest(),
        }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<&'a [u8], ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Messages::Json(messages) => messages.next(),
            #[cfg(feature = "messagepack")]
            Messages::MessagePack(messages) => messages.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;

    #[test]
    fn the_invocation_family_is_sequenced_and_control_messages_are_not() {
        for protocol in Protocol::ALL.iter().copied() {
            let counted = [
                protocol.invocation(None, "Note", &["a"]).unwrap(),
                protocol.invocation(Some("7"), "Confirm", &["q"]).unwrap(),
                // Long enough for a two-byte MessagePack length prefix.
                protocol
                    .invocation(None, "Note", &["x".repeat(300)])
                    .unwrap(),
                protocol.stream_item("1", &42).unwrap(),
                protocol.completion_void("1"),
                protocol.completion_result("1", &"r").unwrap(),
                protocol.completion_error("1", "no"),
            ];
            for encoded in &counted {
                assert!(protocol.is_sequenced(encoded), "{protocol:?} {encoded:?}");
            }
            let control = [
                protocol.ping(),
                protocol.close(&Close::default()),
                protocol.ack(3),
                protocol.sequence(3),
            ];
            for encoded in &control {
                assert!(!protocol.is_sequenced(encoded), "{protocol:?} {encoded:?}");
            }
            // Ack and Sequence read back as what they were written as.
            for (encoded, kind) in [(protocol.ack(300), 8), (protocol.sequence(70_000), 9)] {
                let mut messages = protocol.messages(&encoded, None);
                let raw = messages.next().unwrap().unwrap();
                match (protocol.parse(raw).unwrap().unwrap(), kind) {
                    (HubMessage::Ack { sequence_id: 300 }, 8)
                    | (
                        HubMessage::Sequence {
                            sequence_id: 70_000,
                        },
                        9,
                    ) => {}
                    (other, _) => panic!("{protocol:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn bytes_and_dates_take_each_protocols_form() {
        let date = Timestamp(UNIX_EPOCH + Duration::from_secs(946_684_800));
        let bytes = Binary(vec![1, 2, 3]);
        assert_eq!(
            Protocol::Json.completion_result("1", &bytes).unwrap(),
            b"{\"type\":3,\"invocationId\":\"1\",\"result\":\"AQID\"}\x1e"
        );
        assert_eq!(
            Protocol::Json.stream_item("1", &date).unwrap(),
            b"{\"type\":2,\"invocationId\":\"1\",\"item\":\"2000-01-01T00:00:00Z\"}\x1e"
        );
        assert_eq!(
            Protocol::Json
                .invocation(None, "M", &(&bytes, date))
                .unwrap(),
            b"{\"type\":1,\"target\":\"M\",\"arguments\":[\"AQID\",\"2000-01-01T00:00:00Z\"]}\x1e"
        );
        for &protocol in Protocol::ALL {
            let message = protocol.invocation(None, "M", &(&bytes, date)).unwrap();
            let (messages, _, _) = protocol.split(&message, None);
            let Some(HubMessage::Invocation(invocation)) = protocol.parse(messages[0]).unwrap()
            else {
                panic!("{protocol:?}")
            };
            assert_eq!(invocation.arguments.decode::<Binary>(0).unwrap(), bytes);
            assert_eq!(
                invocation
                    .arguments
                    .decode::<Timestamp<SystemTime>>(1)
                    .unwrap(),
                date
            );
        }
    }

    #[test]
    fn split_collects_the_messages_one_by_one_reads() {
        for &protocol in Protocol::ALL {
            let mut input = protocol.ping();
            input.extend(protocol.completion_void("1"));
            let unfinished = protocol.completion_error("2", "e");
            input.extend(&unfinished[..unfinished.len() - 1]);
            let (messages, rest, error) = protocol.split(&input, None);
            let one_by_one: Vec<_> = protocol
                .messages(&input, None)
                .map(Result::unwrap)
                .collect();
            assert_eq!(messages, one_by_one, "{protocol:?}");
            assert_eq!(messages.len(), 2, "{protocol:?}");
            assert_eq!(rest, &unfinished[..unfinished.len() - 1], "{protocol:?}");
            assert!(error.is_none(), "{protocol:?}");
            let (_, _, error) = protocol.split(&input, Some(2));
            assert_eq!(
                error,
                Some(ProtocolError::MessageTooLarge { max: 2 }),
                "{protocol:?}"
            );
        }
    }
}
