//! Why bytes from a client could not be read as a hub message.

use std::fmt;

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
    /// A Sequence message (stateful reconnect) names a message the server never received.
    SequenceAhead,
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
            ProtocolError::SequenceAhead => {
                f.write_str("Sequence ID greater than amount of messages we've received.")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}
