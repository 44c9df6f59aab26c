//! The SignalR hub protocols: message model, handshake, the JSON and MessagePack codecs.
//!
//! This layer is pure: bytes in, messages out, and back. It knows nothing of sockets or hubs, so
//! it can be unit-tested and fuzzed on its own. Parsing never panics: every malformed input is a
//! [`ProtocolError`].

mod error;
mod format;
mod framing;
mod handshake;
mod json;
mod message;
#[cfg(feature = "messagepack")]
mod msgpack;
mod value;

pub use error::ProtocolError;
pub use format::{Protocol, TransferFormat};
pub use handshake::{HandshakeRequest, HandshakeResponse, parse_handshake};
pub(crate) use json::parse_json_text;
pub use json::{JsonEncoder, RECORD_SEPARATOR, parse_json_message, split_json_messages};
pub use message::{
    ArgumentError, Arguments, Close, Completion, CompletionBody, HubMessage, Invocation, StreamItem,
};
#[cfg(feature = "messagepack")]
pub use msgpack::{MessagePackEncoder, parse_messagepack_message, split_messagepack_messages};
pub use value::{EncodedValue, OwnedValue};

use serde::Serialize;

use framing::SplitMessages;

impl Protocol {
    /// Splits input bytes into complete messages and an unfinished rest; see
    /// [`split_json_messages`].
    pub fn split(
        self,
        input: &[u8],
        max_message_size: Option<usize>,
    ) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
        match self {
            Protocol::Json => split_json_messages(input, max_message_size),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => split_messagepack_messages(input, max_message_size),
        }
    }

    /// The messages of `input` one by one, as [`Protocol::split`] splits them.
    pub(crate) fn messages(self, input: &[u8], max_message_size: Option<usize>) -> Messages<'_> {
        match self {
            Protocol::Json => Messages::Json(json::JsonMessages::new(input, max_message_size)),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => {
                Messages::MessagePack(msgpack::MessagePackMessages::new(input, max_message_size))
            }
        }
    }

    /// Parses one message, as split by [`Protocol::split`].
    pub fn parse(self, message: &[u8]) -> Result<Option<HubMessage<'_>>, ProtocolError> {
        match self {
            Protocol::Json => parse_json_message(message),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => parse_messagepack_message(message),
        }
    }

    /// An Invocation from the server (with an id for a client result).
    pub fn invocation<A: Serialize + ?Sized>(
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

    /// A StreamItem.
    pub fn stream_item<T: Serialize + ?Sized>(
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
    pub fn completion_result<T: Serialize + ?Sized>(
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

    /// A Completion without result.
    pub fn completion_void(self, invocation_id: &str) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::completion_void(invocation_id),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::completion_void(invocation_id),
        }
    }

    /// A Completion with an error.
    pub fn completion_error(self, invocation_id: &str, error: &str) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::completion_error(invocation_id, error),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::completion_error(invocation_id, error),
        }
    }

    /// A Ping.
    pub fn ping(self) -> Vec<u8> {
        match self {
            Protocol::Json => JsonEncoder::PING.as_bytes().to_vec(),
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => MessagePackEncoder::ping(),
        }
    }

    /// A Close message.
    pub fn close(self, close: &Close) -> Vec<u8> {
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
    Json(json::JsonMessages<'a>),
    #[cfg(feature = "messagepack")]
    MessagePack(msgpack::MessagePackMessages<'a>),
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
