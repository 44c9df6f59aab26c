//! One interface over every transport for the connection task: receive bytes, write frames.
//!
//! The core is poll-based (`poll_recv`, `poll_ready`/`start_send`/`poll_flush`), so the
//! connection loop keeps no read or write futures in its state; the `async` wrappers serve the
//! handshake and the ending.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{Sink, Stream};

use super::http::{HttpEndpoint, HttpKind};
use crate::connection::Frame;
use crate::protocol::TransferFormat;

/// What the connection reads next.
pub(crate) enum Incoming {
    /// Bytes of hub messages (any part of one, or several).
    Data(Bytes),
    /// A WebSocket text message: the same, known to be UTF-8.
    Text(Utf8Bytes),
    /// The client closed the transport (WebSocket close, DELETE, dropped SSE stream).
    Closed,
    /// A WebSocket message beyond the size limit.
    TooLarge,
}

/// A failed write: the client is gone.
#[derive(Debug)]
pub(crate) struct Gone;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The transport under one connection.
// WebSockets are the common case: kept inline rather than boxed, one allocation less per
// connection.
#[allow(clippy::large_enum_variant)]
pub(crate) enum TransportIo {
    WebSocket(WebSocket),
    Http(HttpIo),
}

/// Server-Sent Events or long polling: bytes come from POST requests, go out through the SSE
/// response or the polls.
pub(crate) struct HttpIo {
    pub(crate) endpoint: Arc<HttpEndpoint>,
    pub(crate) incoming: tokio::sync::mpsc::Receiver<Bytes>,
    /// Resolves when the client ends the connection (DELETE, dropped event stream); `None`
    /// once it has.
    client_gone: Option<BoxFuture<()>>,
    /// Frames fed since the last flush.
    pending: Vec<u8>,
    /// The write of the last flush, while it waits (a long-polling client that does not poll).
    writing: Option<BoxFuture<Result<(), Gone>>>,
}

impl HttpIo {
    pub(crate) fn new(
        endpoint: Arc<HttpEndpoint>,
        incoming: tokio::sync::mpsc::Receiver<Bytes>,
    ) -> Self {
        let client_gone = {
            let endpoint = endpoint.clone();
            Some(Box::pin(async move { endpoint.closed_by_client().await }) as BoxFuture<()>)
        };
        HttpIo {
            endpoint,
            incoming,
            client_gone,
            pending: Vec::new(),
            writing: None,
        }
    }

    /// Waits for the write in progress, if any.
    fn poll_writing(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Gone>> {
        if let Some(writing) = &mut self.writing {
            let result = ready!(writing.as_mut().poll(cx));
            self.writing = None;
            result?;
        }
        Poll::Ready(Ok(()))
    }
}

impl TransportIo {
    /// The formats the transport can carry.
    pub(crate) fn transfer_format(&self) -> TransferFormat {
        match self {
            TransportIo::WebSocket(_) => TransferFormat::Binary,
            TransportIo::Http(http) => match http.endpoint.kind {
                HttpKind::ServerSentEvents => TransferFormat::Text,
                HttpKind::LongPolling => TransferFormat::Binary,
            },
        }
    }

    /// Whether the transport keeps itself alive (long polling): no Pings, no client timeout
    /// counted from messages.
    pub(crate) fn poll_activity(&self) -> Option<Arc<super::http::PollActivity>> {
        match self {
            TransportIo::Http(http) => http
                .endpoint
                .poll
                .as_ref()
                .map(|poll| poll.activity.clone()),
            TransportIo::WebSocket(_) => None,
        }
    }

    /// The next bytes from the client, or its leaving.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Incoming> {
        match self {
            TransportIo::WebSocket(socket) => loop {
                return Poll::Ready(match ready!(Pin::new(&mut *socket).poll_next(cx)) {
                    Some(Ok(Message::Text(text))) => Incoming::Text(text),
                    Some(Ok(Message::Binary(bytes))) => Incoming::Data(bytes),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => Incoming::Closed,
                    Some(Err(err)) => {
                        let too_large = std::error::Error::source(&err)
                            .and_then(|source| source.downcast_ref::<tungstenite::Error>())
                            .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
                        if too_large {
                            Incoming::TooLarge
                        } else {
                            Incoming::Closed
                        }
                    }
                });
            },
            TransportIo::Http(http) => {
                if let Poll::Ready(data) = http.incoming.poll_recv(cx) {
                    return Poll::Ready(match data {
                        Some(data) => Incoming::Data(data),
                        None => Incoming::Closed,
                    });
                }
                if let Some(gone) = &mut http.client_gone {
                    ready!(gone.as_mut().poll(cx));
                    http.client_gone = None;
                }
                Poll::Ready(Incoming::Closed)
            }
        }
    }

    /// Ready to take a frame with [`start_send`](Self::start_send).
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Gone>> {
        match self {
            TransportIo::WebSocket(socket) => Pin::new(socket).poll_ready(cx).map_err(|_| Gone),
            TransportIo::Http(http) => http.poll_writing(cx),
        }
    }

    /// Adds a frame to what the next flush writes.
    pub(crate) fn start_send(&mut self, frame: Frame) -> Result<(), Gone> {
        match self {
            TransportIo::WebSocket(socket) => {
                let message = match frame {
                    Frame::Text(text) => Message::Text(text),
                    Frame::Binary(bytes) => Message::Binary(bytes),
                };
                Pin::new(socket).start_send(message).map_err(|_| Gone)
            }
            TransportIo::Http(http) => {
                http.pending.extend_from_slice(frame.as_bytes());
                Ok(())
            }
        }
    }

    /// Writes everything sent.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Gone>> {
        match self {
            TransportIo::WebSocket(socket) => Pin::new(socket).poll_flush(cx).map_err(|_| Gone),
            TransportIo::Http(http) => loop {
                ready!(http.poll_writing(cx))?;
                if http.pending.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                let pending = std::mem::take(&mut http.pending);
                let endpoint = http.endpoint.clone();
                http.writing = Some(Box::pin(async move { endpoint.write(pending).await }));
            },
        }
    }

    pub(crate) async fn recv(&mut self) -> Incoming {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Ends an HTTP transport at once, even if [`close`](Self::close) did not get to it (later
    /// polls learn the connection ended); nothing for a WebSocket, which ends when dropped.
    pub(crate) fn finish(&self) {
        if let TransportIo::Http(http) = self {
            http.endpoint.finish();
        }
    }

    /// Writes one frame.
    pub(crate) async fn send(&mut self, frame: Frame) -> Result<(), Gone> {
        poll_fn(|cx| self.poll_ready(cx)).await?;
        self.start_send(frame)?;
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Ends the transport after what was written (WebSocket close frame 1000; the end of the
    /// SSE stream; the last poll). With `drain`, a long-polling connection also waits for the
    /// poll that takes what is buffered: a server about to exit must not leave it unpolled.
    pub(crate) async fn close(&mut self, drain: bool) {
        match self {
            TransportIo::WebSocket(socket) => {
                let close = CloseFrame {
                    code: 1000,
                    reason: "".into(),
                };
                let _ = futures_util::SinkExt::send(socket, Message::Close(Some(close))).await;
            }
            TransportIo::Http(http) if drain => http.endpoint.finish_and_drain().await,
            TransportIo::Http(http) => http.endpoint.finish(),
        }
    }
}
