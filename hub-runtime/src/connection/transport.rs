//! What a transport gives a connection: bytes in, frames out, and how it ends.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::frame::Frame;

/// A future boxed so that every transport returns the same type.
pub(crate) type IoFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a transport reads next.
#[derive(Debug)]
pub(crate) enum Received {
    /// A message (WebSockets), a POST body (the other transports), or bytes the client sent
    /// before its transport connected.
    Frame(Frame),
    /// The client closed the transport (WebSocket close, DELETE, dropped SSE stream).
    Closed,
    /// The transport was lost without the client closing it (a WebSocket without its Close
    /// frame): the same as `Closed`, unless the connection may reconnect statefully.
    Lost,
    /// The connection ended for an error.
    Failed(ConnectionError),
}

/// Why a connection ended other than by the client closing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// A WebSocket message beyond the endpoint's
    /// [limit](crate::ConnectionOptions::websocket_max_message_size).
    TooLarge,
    /// A long-polling client stopped polling for the
    /// [disconnect timeout](crate::ConnectionOptions::disconnect_timeout).
    TimedOut,
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionError::TooLarge => f.write_str("the client sent a message beyond the limit"),
            ConnectionError::TimedOut => f.write_str("the client stopped polling"),
        }
    }
}

impl std::error::Error for ConnectionError {}

/// A write failed: the client is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the connection is closed")
    }
}

impl std::error::Error for Closed {}

/// What a transport gives the connection: bytes in, frames out. Implemented by the WebSocket,
/// Server-Sent Events and long-polling transports.
pub(crate) trait TransportIo: Send + 'static {
    /// The next message from the client, or its leaving.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received>;
    /// Ready to take a frame with `start_send`.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>>;
    /// Adds a frame to what the next flush writes.
    fn start_send(&mut self, frame: Frame) -> Result<(), Closed>;
    /// Writes everything sent.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>>;
    /// Ends the transport after what was written. With `drain`, a long-polling connection also
    /// waits for the poll that takes what is buffered.
    fn close(&mut self, drain: bool) -> IoFuture<'_, ()>;
    /// Ends an HTTP transport at once, even if `close` did not get to it (later polls learn the
    /// connection ended); nothing for a WebSocket, which ends when dropped.
    fn finish(&self);
}
