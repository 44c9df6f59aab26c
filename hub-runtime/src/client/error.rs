//! Why a connection could not start, or ended.

use std::fmt;

/// Why a connection failed to start, or why it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be used: not `http`/`ws`, no host, or TLS (`https`/`wss`, not built in).
    InvalidUrl(String),
    /// An HTTP request (negotiate) failed: the network, or an unexpected status.
    Http(String),
    /// Negotiate answered something unusable, or an `error`.
    Negotiate(String),
    /// The WebSocket could not be opened, or failed.
    WebSocket(String),
    /// The server refused the handshake (its text), or answered it wrongly.
    Handshake(String),
    /// The server sent something that is not the hub protocol; the connection was closed.
    Protocol(String),
    /// The server sent nothing for the server timeout.
    ServerTimeout,
    /// The server closed the connection; with its error, if it gave one.
    ServerClosed(Option<String>),
    /// The connection was lost (the socket closed or failed).
    ConnectionLost(String),
    /// The connection was stopped while it started or reconnected.
    Stopped,
    /// `start` on a connection that is not disconnected.
    AlreadyStarted,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(detail) => write!(f, "invalid URL: {detail}"),
            ClientError::Http(detail) => write!(f, "HTTP request failed: {detail}"),
            ClientError::Negotiate(detail) => write!(f, "negotiation failed: {detail}"),
            ClientError::WebSocket(detail) => write!(f, "WebSocket failed: {detail}"),
            ClientError::Handshake(detail) => write!(f, "handshake failed: {detail}"),
            ClientError::Protocol(detail) => {
                write!(f, "the server sent an invalid message: {detail}")
            }
            ClientError::ServerTimeout => {
                f.write_str("Server timeout elapsed without receiving a message from the server.")
            }
            ClientError::ServerClosed(Some(error)) => {
                write!(f, "Server returned an error on close: {error}")
            }
            ClientError::ServerClosed(None) => f.write_str("the server closed the connection"),
            ClientError::ConnectionLost(detail) => write!(f, "connection lost: {detail}"),
            ClientError::Stopped => f.write_str("the connection was stopped"),
            ClientError::AlreadyStarted => {
                f.write_str("Cannot start a HubConnection that is not in the 'Disconnected' state.")
            }
        }
    }
}

impl std::error::Error for ClientError {}
