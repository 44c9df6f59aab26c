//! What a call to a hub can fail with.

use std::fmt;

/// Why a call to a hub method failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The hub answered with an error: the Completion's text, as ASP.NET writes it (for
    /// example `Unknown hub method 'X'`, or `An unexpected error occurred invoking 'X' on the
    /// server. HubException: ...`).
    Hub(String),
    /// The connection is not connected (not started, stopped, or reconnecting).
    NotConnected,
    /// The connection was lost or closed before the call completed; the text says why.
    ConnectionClosed(String),
    /// The arguments or an uploaded item could not be encoded.
    Encode(String),
    /// The result or a stream item could not be decoded into the expected type.
    Decode(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Hub(text) => write!(f, "the hub answered with an error: {text}"),
            CallError::NotConnected => {
                f.write_str("cannot send data if the connection is not in the 'Connected' state")
            }
            CallError::ConnectionClosed(why) => {
                write!(f, "the connection closed before the call completed: {why}")
            }
            CallError::Encode(detail) => write!(f, "cannot encode the call: {detail}"),
            CallError::Decode(detail) => write!(f, "cannot decode the hub's answer: {detail}"),
        }
    }
}

impl std::error::Error for CallError {}
