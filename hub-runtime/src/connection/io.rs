//! [`Connection`]: one client connection as its handler sees it, whatever the transport.
//!
//! The core is poll-based (`poll_recv`, `poll_ready`/`start_send`/`poll_flush`), so a handler
//! that runs a loop of its own (the hub connection) keeps no read or write futures in its
//! state; `recv`, `send` and `close` are the async forms.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;

use super::frame::Frame;
use super::id::ConnectionId;
use super::request::RequestInfo;
use super::tracker::ConnectionTracker;
use crate::protocol::TransferFormat;

/// A future boxed so that every transport returns the same type.
pub(crate) type IoFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The transport a connection uses (ASP.NET's `HttpTransportType`, `IHttpTransportFeature`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportType {
    /// WebSockets.
    WebSockets,
    /// Server-Sent Events (server to client), with POST requests (client to server).
    ServerSentEvents,
    /// Long polling (server to client), with POST requests (client to server).
    LongPolling,
}

impl TransportType {
    /// The name negotiate uses (`WebSockets`, `ServerSentEvents`, `LongPolling`).
    pub fn name(self) -> &'static str {
        match self {
            TransportType::WebSockets => "WebSockets",
            TransportType::ServerSentEvents => "ServerSentEvents",
            TransportType::LongPolling => "LongPolling",
        }
    }

    /// What the transport can carry: everything but Server-Sent Events carries binary.
    pub fn transfer_format(self) -> TransferFormat {
        match self {
            TransportType::ServerSentEvents => TransferFormat::Text,
            TransportType::WebSockets | TransportType::LongPolling => TransferFormat::Binary,
        }
    }
}

impl fmt::Display for TransportType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a transport reads next.
#[derive(Debug)]
pub(crate) enum Received {
    /// A message (WebSockets), a POST body (the other transports), or bytes the client sent
    /// before its transport connected.
    Frame(Frame),
    /// The client closed the transport (WebSocket close, DELETE, dropped SSE stream).
    Closed,
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

/// One client connection, handed to a [`ConnectionHandler`](super::ConnectionHandler) once its
/// transport connected: messages in and out, the request that opened it, the transport, close.
///
/// It is a [`Stream`] of received frames; `recv` and `send` are the async forms of the poll
/// methods. Dropping it ends the connection at once; [`close`](Self::close) ends it after what
/// was sent.
pub struct Connection {
    io: Box<dyn TransportIo>,
    id: ConnectionId,
    request: RequestInfo,
    transport: TransportType,
    tracker: Arc<ConnectionTracker>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("transport", &self.transport)
            .finish()
    }
}

impl Connection {
    pub(crate) fn new(
        io: Box<dyn TransportIo>,
        id: ConnectionId,
        request: RequestInfo,
        transport: TransportType,
        tracker: Arc<ConnectionTracker>,
    ) -> Self {
        Connection {
            io,
            id,
            request,
            transport,
            tracker,
        }
    }

    /// The connection's public id (what negotiate answered as `connectionId`).
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// The HTTP request that opened the connection.
    pub fn request(&self) -> &RequestInfo {
        &self.request
    }

    /// The transport in use.
    pub fn transport(&self) -> TransportType {
        self.transport
    }

    /// What the transport can carry.
    pub fn transfer_format(&self) -> TransferFormat {
        self.transport.transfer_format()
    }

    /// Whether the transport keeps itself alive (long polling: the polls show the client is
    /// there, and the transport closes the connection when they stop), so that nothing needs
    /// to be sent to keep it open (ASP.NET's `IConnectionInherentKeepAliveFeature`).
    pub fn has_inherent_keep_alive(&self) -> bool {
        self.transport == TransportType::LongPolling
    }

    /// Resolves once the endpoint shuts down (its router's shutdown began): a handler that
    /// waits on its client should end then.
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        self.tracker.shutdown_signal()
    }

    /// The next frame from the client: `Ok(None)` once it closed the connection.
    ///
    /// On Server-Sent Events and long polling a frame is the body of one POST request, which
    /// may hold part of a message of the application's protocol or several.
    pub async fn recv(&mut self) -> Result<Option<Frame>, ConnectionError> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll.
    pub fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Frame>, ConnectionError>> {
        self.io.poll_recv(cx).map(|received| match received {
            Received::Frame(frame) => Ok(Some(frame)),
            Received::Closed => Ok(None),
            Received::Failed(error) => Err(error),
        })
    }

    /// Writes one frame and flushes it.
    pub async fn send(&mut self, frame: impl Into<Frame>) -> Result<(), Closed> {
        let frame = frame.into();
        poll_fn(|cx| self.io.poll_ready(cx)).await?;
        self.io.start_send(frame)?;
        poll_fn(|cx| self.io.poll_flush(cx)).await
    }

    /// Ready to take a frame with [`start_send`](Self::start_send).
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.io.poll_ready(cx)
    }

    /// Adds a frame to what the next flush writes (several frames share one flush).
    pub fn start_send(&mut self, frame: Frame) -> Result<(), Closed> {
        self.io.start_send(frame)
    }

    /// Writes everything sent.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.io.poll_flush(cx)
    }

    /// Ends the connection after what was sent: a WebSocket Close frame (1000), the end of the
    /// event stream, or the last poll (which takes what is still buffered; later polls get
    /// 204).
    pub async fn close(mut self) {
        self.io.close(false).await;
        self.io.finish();
    }

    /// [`close`](Self::close) without giving the connection up; with `drain`, a long-polling
    /// connection also waits for the poll that takes what is buffered (a server about to exit
    /// must not leave it unpolled). The caller bounds the wait.
    pub(crate) async fn close_in_place(&mut self, drain: bool) {
        self.io.close(drain).await;
    }

    /// Ends an HTTP transport at once (see [`TransportIo::finish`]).
    pub(crate) fn finish(&self) {
        self.io.finish();
    }

    /// The request, shared (cloning it clones a reference count).
    pub(crate) fn shared_request(&self) -> RequestInfo {
        self.request.clone()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.io.finish();
    }
}

impl Stream for Connection {
    type Item = Result<Frame, ConnectionError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Result::transpose)
    }
}
