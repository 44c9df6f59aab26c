//! The SignalR hub protocol: message model, handshake and the JSON codec.
//!
//! This layer is pure: bytes in, messages out, and back. It knows nothing of sockets or hubs, so
//! it can be unit-tested and fuzzed on its own. Parsing never panics: every malformed input is a
//! [`ProtocolError`].

mod handshake;
mod json;
mod message;

pub use handshake::{HandshakeRequest, HandshakeResponse, parse_handshake};
pub use json::{JsonEncoder, parse_json_message, split_json_messages};
pub use message::{
    ArgumentError, Arguments, Close, Completion, CompletionBody, HubMessage, Invocation, StreamItem,
};

use std::fmt;

/// The record separator that ends every JSON hub message and handshake message.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// A hub protocol the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The JSON hub protocol (`"json"`), text frames, messages ended by `0x1E`.
    Json,
}

impl Protocol {
    /// The name the handshake uses for this protocol.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
        }
    }

    /// The highest protocol version the server accepts for this protocol.
    pub fn max_version(self) -> u32 {
        match self {
            // Clients send 1; 2 is sent when stateful reconnect was negotiated.
            Protocol::Json => 2,
        }
    }

    /// Looks a protocol up by its handshake name (case-sensitive, as in ASP.NET Core).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "json" => Some(Protocol::Json),
            _ => None,
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
            ProtocolError::InvalidHandshake(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for ProtocolError {}
