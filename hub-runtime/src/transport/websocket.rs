//! `{path}` with a WebSocket upgrade, and the WebSocket under a connection.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::ws::{
    CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Sink, Stream, StreamExt};

use super::cors::websocket_origin_allowed;
use super::endpoint::{Endpoint, TokenState};
use super::response::plain;
use crate::connection::{
    Closed, ConnectionError, ConnectionId, Frame, IoFuture, Received, RequestInfo, TransportIo,
    TransportType,
};

/// `GET {path}`: a WebSocket for a negotiated connection (`?id=<token>`), or a new one
/// (`skipNegotiation`, no id); without an upgrade, Server-Sent Events or a long poll.
pub(crate) async fn connect(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    parts: Parts,
) -> Response {
    let upgrade = match upgrade {
        // A shutting-down endpoint takes no new connections.
        Ok(_) if endpoint.tracker.is_shutting_down() => {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Ok(_) if !websocket_origin_allowed(endpoint.options.cors.as_ref(), &parts.headers) => {
            return plain(StatusCode::FORBIDDEN, "Origin not allowed");
        }
        Ok(upgrade) if endpoint.options.transports.web_sockets => upgrade,
        Ok(_) => {
            return plain(
                StatusCode::NOT_FOUND,
                "WebSockets transport not supported by this end point type",
            );
        }
        // Not a WebSocket: Server-Sent Events or long polling.
        Err(_) => return super::http::get(endpoint, query, parts).await,
    };
    let (id, token, early) = match query.get("id") {
        None => (ConnectionId::random(), None, Vec::new()),
        Some(token) => {
            let Some(mut entry) = endpoint.tokens.get_mut(token.as_str()) else {
                return plain(StatusCode::NOT_FOUND, "No Connection with that ID");
            };
            let (id, early) = match &mut entry.state {
                TokenState::Pending(pending) => endpoint.take_pending(pending),
                TokenState::Connected(None) => return StatusCode::CONFLICT.into_response(),
                TokenState::Connected(Some(_)) => {
                    return plain(
                        StatusCode::BAD_REQUEST,
                        "Cannot change transports mid-connection",
                    );
                }
            };
            entry.state = TokenState::Connected(None);
            (id, Some(Box::<str>::from(token.as_str())), early)
        }
    };
    let options = &endpoint.options;
    let max_message = options.websocket_max_message_size;
    let request = RequestInfo::with_extensions(parts.uri, &parts.headers, parts.extensions);
    let endpoint = endpoint.clone();
    upgrade
        .read_buffer_size(options.websocket_read_buffer_size)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let early = (!early.is_empty()).then(|| Bytes::from(early));
            let io = Box::new(WebSocketIo {
                socket: Some(socket),
                early,
                peer_closed: false,
                too_large: false,
            });
            endpoint.run(io, id, token, request, TransportType::WebSockets)
        })
}

/// A WebSocket under a connection.
struct WebSocketIo {
    /// `None` once closed: the socket then lingers in a task of its own (see `close`).
    socket: Option<WebSocket>,
    /// Bytes the client POSTed before the socket connected: read first.
    early: Option<Bytes>,
    /// The client sent its Close frame (the socket queued the reply).
    peer_closed: bool,
    /// The client sent a message beyond the limit, whose rest is still unread.
    too_large: bool,
}

/// How long a socket left with unread data (a message beyond the limit) stays open after the
/// server's Close: closed at once, it would answer the client with a reset, and a reset makes
/// the client drop what it had not read yet, the Close message among it.
const LINGER_AFTER_UNREAD: Duration = Duration::from_millis(500);

/// How long the server waits for the client's Close frame after sending its own (ASP.NET's
/// `WebSocketOptions.CloseTimeout`), before it drops the socket.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

impl WebSocketIo {
    fn socket(&mut self) -> Result<Pin<&mut WebSocket>, Closed> {
        self.socket.as_mut().map(Pin::new).ok_or(Closed)
    }
}

impl TransportIo for WebSocketIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        if let Some(early) = self.early.take() {
            return Poll::Ready(Received::Frame(Frame::binary(early)));
        }
        let Some(socket) = &mut self.socket else {
            return Poll::Ready(Received::Closed);
        };
        loop {
            return Poll::Ready(match ready!(Pin::new(&mut *socket).poll_next(cx)) {
                Some(Ok(Message::Text(text))) => Received::Frame(Frame::from_utf8_bytes(text)),
                Some(Ok(Message::Binary(bytes))) => Received::Frame(Frame::binary(bytes)),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_))) => {
                    self.peer_closed = true;
                    Received::Closed
                }
                None => Received::Closed,
                Some(Err(err)) => {
                    let too_large = std::error::Error::source(&err)
                        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
                        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
                    if too_large {
                        self.too_large = true;
                        Received::Failed(ConnectionError::TooLarge)
                    } else {
                        Received::Closed
                    }
                }
            });
        }
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.socket()?.poll_ready(cx).map_err(|_| Closed)
    }

    fn start_send(&mut self, frame: Frame) -> Result<(), Closed> {
        self.socket()?
            .start_send(frame.into_message())
            .map_err(|_| Closed)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.socket()?.poll_flush(cx).map_err(|_| Closed)
    }

    fn close(&mut self, _drain: bool) -> IoFuture<'_, ()> {
        Box::pin(async move {
            let Some(mut socket) = self.socket.take() else {
                return;
            };
            if self.peer_closed {
                // The reply to the client's Close frame is queued: write it (RFC 6455 5.5.1).
                let _ = futures_util::SinkExt::flush(&mut socket).await;
                return;
            }
            let close = CloseFrame {
                code: 1000,
                reason: "".into(),
            };
            if futures_util::SinkExt::send(&mut socket, Message::Close(Some(close)))
                .await
                .is_err()
            {
                return;
            }
            // The socket stays open for the client's Close frame (or, after a message beyond
            // the limit, a moment for the client to read ours), in a task of its own: the
            // connection ends now.
            let too_large = self.too_large;
            tokio::spawn(async move {
                if too_large {
                    tokio::time::sleep(LINGER_AFTER_UNREAD).await;
                    return;
                }
                let answered = async {
                    while let Some(Ok(message)) = socket.next().await {
                        if let Message::Close(_) = message {
                            return;
                        }
                    }
                };
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, answered).await;
            });
        })
    }

    fn finish(&self) {}
}
