//! The SignalR hub protocols: message model, handshake, the JSON and MessagePack codecs.
//!
//! This layer is pure: bytes in, messages out, and back. It knows nothing of sockets or hubs, so
//! it can be unit-tested and fuzzed on its own. Parsing never panics: every malformed input is a
//! [`ProtocolError`].

mod handshake;
mod json;
mod message;
#[cfg(feature = "messagepack")]
mod msgpack;
mod value;

pub use handshake::{HandshakeRequest, HandshakeResponse, parse_handshake};
pub(crate) use json::parse_json_text;
pub use json::{JsonEncoder, parse_json_message, split_json_messages};
pub use message::{
    ArgumentError, Arguments, Close, Completion, CompletionBody, HubMessage, Invocation, StreamItem,
};
#[cfg(feature = "messagepack")]
pub use msgpack::{MessagePackEncoder, parse_messagepack_message, split_messagepack_messages};
pub use value::{EncodedValue, OwnedValue};

use serde::Serialize;

use std::fmt;

/// The record separator that ends every JSON hub message and handshake message.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// A hub protocol the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The JSON hub protocol (`"json"`), text frames, messages ended by `0x1E`.
    Json,
    /// The MessagePack hub protocol (`"messagepack"`), binary frames, length-prefixed messages.
    #[cfg(feature = "messagepack")]
    MessagePack,
}

/// How a transport carries bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferFormat {
    /// Text only (Server-Sent Events).
    Text,
    /// Any bytes.
    Binary,
}

impl TransferFormat {
    /// The name negotiate and the handshake errors use.
    pub fn name(self) -> &'static str {
        match self {
            TransferFormat::Text => "Text",
            TransferFormat::Binary => "Binary",
        }
    }
}

impl Protocol {
    /// Every protocol this build speaks.
    pub const ALL: &'static [Protocol] = &[
        Protocol::Json,
        #[cfg(feature = "messagepack")]
        Protocol::MessagePack,
    ];

    /// The name the handshake uses for this protocol.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => "messagepack",
        }
    }

    /// The highest protocol version the server accepts for this protocol.
    pub fn max_version(self) -> u32 {
        // Clients send 1; 2 is sent when stateful reconnect was negotiated.
        2
    }

    /// The transfer format the protocol needs.
    pub fn transfer_format(self) -> TransferFormat {
        match self {
            Protocol::Json => TransferFormat::Text,
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => TransferFormat::Binary,
        }
    }

    /// Looks a protocol up by its handshake name (case-sensitive, as in ASP.NET Core).
    pub fn from_name(name: &str) -> Option<Self> {
        Protocol::ALL.iter().copied().find(|p| p.name() == name)
    }

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

    /// The complete messages, the unfinished rest, and the error that stopped the split.
    fn collect_all(mut self) -> (Vec<&'a [u8]>, &'a [u8], Option<ProtocolError>) {
        let mut messages = Vec::new();
        for message in self.by_ref() {
            match message {
                Ok(message) => messages.push(message),
                Err(error) => return (messages, self.rest(), Some(error)),
            }
        }
        (messages, self.rest(), None)
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

/// Why bytes from a client could not be read as a hub message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes are not valid JSON, or a property has the wrong JSON type. The text is the
    /// parser's detail, for logs; clients see ASP.NET Core's `Error reading JSON.`.
    InvalidJson(String),
    /// `type` is not a non-negative integer.
    InvalidType,
    /// A property the message type requires is absent.
    MissingProperty(&'static str),
    /// A message carries both `result` and `error`.
    ResultAndError,
    /// A message is larger than the configured maximum.
    MessageTooLarge {
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// The handshake is malformed.
    InvalidHandshake(String),
    /// The bytes are not a valid MessagePack hub message.
    InvalidMessagePack(String),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidJson(_) => f.write_str("Error reading JSON."),
            ProtocolError::InvalidType => f.write_str("Expected 'type' to be of type Number."),
            ProtocolError::MissingProperty(name) => {
                write!(f, "Missing required property '{name}'.")
            }
            ProtocolError::ResultAndError => {
                f.write_str("The 'error' and 'result' properties are mutually exclusive.")
            }
            ProtocolError::MessageTooLarge { max } => write!(
                f,
                "The maximum message size of {max}B was exceeded. The message size can be configured in AddHubOptions."
            ),
            ProtocolError::InvalidHandshake(detail) | ProtocolError::InvalidMessagePack(detail) => {
                f.write_str(detail)
            }
        }
    }
}

impl std::error::Error for ProtocolError {}
