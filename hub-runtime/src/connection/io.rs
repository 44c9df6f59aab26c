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
use super::reattach::{Detached, Reattach};
use super::request::RequestInfo;
use super::tracker::ConnectionTracker;
use super::transport::{Closed, ConnectionError, Received, TransportIo};
use crate::protocol::TransferFormat;

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
    /// For a connection that may reconnect statefully (boxed: most connections may not).
    reattach: Option<Box<Reattaching>>,
}

/// A connection's side of stateful reconnect.
struct Reattaching {
    shared: Arc<Reattach>,
    /// How long a lost socket is waited for.
    window: std::time::Duration,
    /// While the socket is lost: when the wait ends.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// What a connection reads next, as the hub layer sees it.
#[derive(Debug)]
pub(crate) enum Event {
    Frame(Frame),
    Closed,
    Failed(ConnectionError),
    /// The client connected again after its socket was lost (stateful reconnect): what was
    /// written meanwhile was dropped.
    Reattached,
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
            reattach: None,
        }
    }

    /// Lets the connection wait up to `window` for its client to connect again when its socket
    /// is lost (stateful reconnect).
    pub(crate) fn with_reattach(
        mut self,
        shared: Arc<Reattach>,
        window: std::time::Duration,
    ) -> Self {
        self.reattach = Some(Box::new(Reattaching {
            shared,
            window,
            deadline: None,
        }));
        self
    }

    /// Ends the connection when its socket is lost after all (its handler cannot reconnect).
    pub(crate) fn without_reattach(&mut self) {
        if let Some(reattaching) = self.reattach.take() {
            reattaching.shared.end();
        }
    }

    /// The socket is lost: a connection that may reconnect waits for its client (and says
    /// so), any other ends.
    fn lose(&mut self) -> bool {
        let Some(reattaching) = &mut self.reattach else {
            return false;
        };
        if reattaching.deadline.is_none() {
            tracing::debug!(connection_id = %self.id, "socket lost: waiting for the client to connect again");
            reattaching.deadline = Some(Box::pin(tokio::time::sleep(reattaching.window)));
            self.io = Box::new(Detached);
        }
        true
    }

    /// A write failed: for a connection that may reconnect, the socket is lost and what was
    /// written is sent again later.
    fn written(&mut self, result: Result<(), Closed>) -> Result<(), Closed> {
        match result {
            Err(Closed) if self.lose() => Ok(()),
            result => result,
        }
    }

    /// Whether the connection may reconnect statefully (negotiated, and on a WebSocket).
    pub(crate) fn is_stateful(&self) -> bool {
        self.reattach.is_some()
    }

    /// The next event: a frame, the end, or (stateful reconnect) a new socket.
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        loop {
            if let Some(reattaching) = &mut self.reattach {
                if let Poll::Ready(io) = reattaching.shared.poll_take(cx) {
                    tracing::debug!(connection_id = %self.id, "the client connected again");
                    reattaching.deadline = None;
                    self.io = io;
                    return Poll::Ready(Event::Reattached);
                }
                if let Some(deadline) = &mut reattaching.deadline {
                    if deadline.as_mut().poll(cx).is_ready() {
                        reattaching.shared.end();
                        return Poll::Ready(Event::Closed);
                    }
                    return Poll::Pending;
                }
            }
            return Poll::Ready(match std::task::ready!(self.io.poll_recv(cx)) {
                Received::Frame(frame) => Event::Frame(frame),
                Received::Closed => Event::Closed,
                Received::Failed(error) => Event::Failed(error),
                Received::Lost if self.lose() => continue,
                Received::Lost => Event::Closed,
            });
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
        loop {
            return Poll::Ready(match std::task::ready!(self.poll_event(cx)) {
                Event::Frame(frame) => Ok(Some(frame)),
                Event::Closed => Ok(None),
                Event::Failed(error) => Err(error),
                Event::Reattached => continue,
            });
        }
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
        let result = std::task::ready!(self.io.poll_ready(cx));
        Poll::Ready(self.written(result))
    }

    /// Adds a frame to what the next flush writes (several frames share one flush).
    pub fn start_send(&mut self, frame: Frame) -> Result<(), Closed> {
        let result = self.io.start_send(frame);
        self.written(result)
    }

    /// Writes everything sent.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let result = std::task::ready!(self.io.poll_flush(cx));
        Poll::Ready(self.written(result))
    }

    /// Ends the connection after what was sent: a WebSocket Close frame (1000), the end of the
    /// event stream, or the last poll (which takes what is still buffered; later polls get
    /// 204).
    pub async fn close(mut self) {
        if let Some(reattaching) = &self.reattach {
            reattaching.shared.end();
        }
        self.io.close(false).await;
        self.io.finish();
    }

    /// [`close`](Self::close) without giving the connection up; with `drain`, a long-polling
    /// connection also waits for the poll that takes what is buffered (a server about to exit
    /// must not leave it unpolled). The caller bounds the wait.
    pub(crate) async fn close_in_place(&mut self, drain: bool) {
        if let Some(reattaching) = &self.reattach {
            reattaching.shared.end();
        }
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
        if let Some(reattaching) = &self.reattach {
            reattaching.shared.end();
        }
        self.io.finish();
    }
}

impl Stream for Connection {
    type Item = Result<Frame, ConnectionError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx).map(Result::transpose)
    }
}
