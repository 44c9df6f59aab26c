//! One interface over every transport for the connection task: receive bytes, write frames.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;

use super::http::{HttpEndpoint, HttpKind};
use crate::connection::Frame;
use crate::protocol::TransferFormat;

/// What the connection reads next.
pub(crate) enum Incoming {
    /// Bytes of hub messages (any part of one, or several).
    Data(Bytes),
    /// The client closed the transport (WebSocket close, DELETE, dropped SSE stream).
    Closed,
    /// A WebSocket message beyond the size limit.
    TooLarge,
}

/// A failed write: the client is gone.
#[derive(Debug)]
pub(crate) struct Gone;

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
    /// Frames fed since the last flush.
    pending: Vec<u8>,
}

impl HttpIo {
    pub(crate) fn new(
        endpoint: Arc<HttpEndpoint>,
        incoming: tokio::sync::mpsc::Receiver<Bytes>,
    ) -> Self {
        HttpIo {
            endpoint,
            incoming,
            pending: Vec::new(),
        }
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

    pub(crate) async fn recv(&mut self) -> Incoming {
        match self {
            TransportIo::WebSocket(socket) => loop {
                return match socket.recv().await {
                    Some(Ok(Message::Text(text))) => Incoming::Data(text.into()),
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
                };
            },
            TransportIo::Http(http) => {
                tokio::select! {
                    data = http.incoming.recv() => match data {
                        Some(data) => Incoming::Data(data),
                        None => Incoming::Closed,
                    },
                    () = http.endpoint.closed_by_client() => Incoming::Closed,
                }
            }
        }
    }

    /// Adds a frame to what the next flush writes.
    pub(crate) async fn feed(&mut self, frame: Frame) -> Result<(), Gone> {
        match self {
            TransportIo::WebSocket(socket) => {
                let message = match frame {
                    Frame::Text(text) => Message::Text(text),
                    Frame::Binary(bytes) => Message::Binary(bytes),
                };
                socket.feed(message).await.map_err(|_| Gone)
            }
            TransportIo::Http(http) => {
                http.pending.extend_from_slice(frame.as_bytes());
                Ok(())
            }
        }
    }

    /// Writes everything fed.
    pub(crate) async fn flush(&mut self) -> Result<(), Gone> {
        match self {
            TransportIo::WebSocket(socket) => socket.flush().await.map_err(|_| Gone),
            TransportIo::Http(http) => {
                if http.pending.is_empty() {
                    return Ok(());
                }
                let pending = std::mem::take(&mut http.pending);
                // Boxed: every write future of the connection loop embeds this one, and an idle
                // WebSocket connection should not carry the HTTP transports' state.
                Box::pin(http.endpoint.write(pending)).await
            }
        }
    }

    /// Writes one frame.
    pub(crate) async fn send(&mut self, frame: Frame) -> Result<(), Gone> {
        self.feed(frame).await?;
        self.flush().await
    }

    /// Ends the transport after what was written (WebSocket close frame 1000; the end of the
    /// SSE stream; the last poll).
    pub(crate) async fn close(&mut self) {
        match self {
            TransportIo::WebSocket(socket) => {
                let close = CloseFrame {
                    code: 1000,
                    reason: "".into(),
                };
                let _ = socket.send(Message::Close(Some(close))).await;
            }
            TransportIo::Http(http) => http.endpoint.finish(),
        }
    }
}
