//! `{path}` with a WebSocket upgrade, and the WebSocket under a connection.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Sink, Stream, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};

use super::cors::websocket_origin_allowed;
use super::endpoint::{Endpoint, TokenState};
use super::response::plain;
use crate::connection::{
    Closed, ConnectionError, ConnectionId, Frame, IoFuture, Reattach, Received, TransportIo,
    TransportType,
};

/// `GET {path}`: a WebSocket for a negotiated connection (`?id=<token>`), or a new one
/// (`skipNegotiation`, no id); without an upgrade, Server-Sent Events or a long poll.
pub(crate) async fn connect(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<HashMap<String, String>>,
    mut parts: Parts,
) -> Response {
    let upgrade = match Upgrade::from_parts(&mut parts) {
        // A shutting-down endpoint takes no new connections.
        Some(_) if endpoint.tracker.is_shutting_down() => {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Some(_) if !websocket_origin_allowed(endpoint.options.cors.as_ref(), &parts.headers) => {
            return plain(StatusCode::FORBIDDEN, "Origin not allowed");
        }
        Some(upgrade) if endpoint.options.transports.web_sockets => upgrade,
        Some(_) => {
            return plain(
                StatusCode::NOT_FOUND,
                "WebSockets transport not supported by this end point type",
            );
        }
        // Not a WebSocket: Server-Sent Events or long polling.
        None => return super::http::get(endpoint, query, parts).await,
    };
    let (id, token, early, reattach) = match query.get("id") {
        None => (ConnectionId::random(), None, Vec::new(), None),
        Some(token) => {
            let Some(mut entry) = endpoint.tokens.get_mut(token.as_str()) else {
                return plain(StatusCode::NOT_FOUND, "No Connection with that ID");
            };
            let reattach = entry.reattach.clone();
            let (id, early) = match &mut entry.state {
                TokenState::Pending(pending) => endpoint.take_pending(pending),
                // A connection whose socket was lost, and that waits for its client.
                TokenState::Connected(None)
                    if reattach.as_ref().is_some_and(|shared| !shared.has_ended()) =>
                {
                    drop(entry);
                    let shared = reattach.expect("checked above");
                    return reconnect(&endpoint, upgrade, shared);
                }
                TokenState::Connected(None) => return StatusCode::CONFLICT.into_response(),
                TokenState::Connected(Some(_)) => {
                    return plain(
                        StatusCode::BAD_REQUEST,
                        "Cannot change transports mid-connection",
                    );
                }
            };
            entry.state = TokenState::Connected(None);
            (id, Some(Box::<str>::from(token.as_str())), early, reattach)
        }
    };
    let config = socket_config(&endpoint);
    let request = super::request::connection_request(parts);
    let endpoint = endpoint.clone();
    let Upgrade { accept, on_upgrade } = upgrade;
    // The connection's task. What it holds across an await is all it ever takes, for as long
    // as the connection lives: the socket is boxed once upgraded (the transport-agnostic
    // `TransportIo`), so the task holds no room for it.
    tokio::spawn(async move {
        let early = (!early.is_empty()).then(|| Bytes::from(early));
        let Some(io) = WebSocketIo::upgraded(on_upgrade, config, early).await else {
            if let Some(token) = token {
                endpoint.forget_token(&token);
            }
            return;
        };
        endpoint
            .run(io, id, token, request, TransportType::WebSockets, reattach)
            .await
    });
    switching(accept)
}

fn socket_config(endpoint: &Endpoint) -> WebSocketConfig {
    let options = &endpoint.options;
    let max_message = options.websocket_max_message_size;
    WebSocketConfig::default()
        .read_buffer_size(options.websocket_read_buffer_size)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// A client connecting again after its socket was lost (stateful reconnect): the new socket
/// takes the old one's place in the connection, whether or not the server noticed yet that the
/// old one is gone.
fn reconnect(endpoint: &Arc<Endpoint>, upgrade: Upgrade, shared: Arc<Reattach>) -> Response {
    let config = socket_config(endpoint);
    let Upgrade { accept, on_upgrade } = upgrade;
    tokio::spawn(async move {
        let Some(io) = WebSocketIo::upgraded(on_upgrade, config, None).await else {
            return;
        };
        // The connection ended meanwhile: the new socket is dropped, and its client learns it.
        let _ = shared.offer(io);
    });
    switching(accept)
}

/// `101 Switching Protocols` for an opening handshake.
fn switching(accept: HeaderValue) -> Response {
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// A WebSocket opening handshake (RFC 6455 section 4.2.1, HTTP/1.1): what the answer needs.
struct Upgrade {
    /// `Sec-WebSocket-Accept` for the client's key.
    accept: HeaderValue,
    /// The upgraded connection, once the 101 answer is written.
    on_upgrade: OnUpgrade,
}

impl Upgrade {
    /// The upgrade `parts` asks for, if it is a well-formed WebSocket opening handshake;
    /// anything else is a plain request (Server-Sent Events or long polling).
    fn from_parts(parts: &mut Parts) -> Option<Upgrade> {
        let headers = &parts.headers;
        if parts.method != Method::GET
            || parts.version != Version::HTTP_11
            || !header_has_token(headers, header::CONNECTION, "upgrade")
            || !header_has_token(headers, header::UPGRADE, "websocket")
            || headers
                .get(header::SEC_WEBSOCKET_VERSION)
                .is_none_or(|version| version.as_bytes() != b"13")
        {
            return None;
        }
        let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
        let accept =
            HeaderValue::from_str(&tungstenite::handshake::derive_accept_key(key.as_bytes()))
                .ok()?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>()?;
        Some(Upgrade { accept, on_upgrade })
    }
}

/// Whether a comma-separated header (`Connection: keep-alive, Upgrade`) names `token`, in any
/// case.
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .as_bytes()
            .split(|&byte| byte == b',')
            .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// A WebSocket under a connection.
struct WebSocketIo {
    /// `None` once closed: the socket then lingers in a task of its own (see `close`).
    socket: Option<WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>>,
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
    /// The socket once the 101 answer went out (`None` when the upgrade failed), boxed, and
    /// built in a box of its own: the task awaiting it keeps no room for the socket.
    async fn upgraded(
        on_upgrade: OnUpgrade,
        config: WebSocketConfig,
        early: Option<Bytes>,
    ) -> Option<Box<WebSocketIo>> {
        let upgraded = on_upgrade.await.ok()?;
        let socket = Box::pin(WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(config),
        ))
        .await;
        Some(Box::new(WebSocketIo {
            socket: Some(socket),
            early,
            peer_closed: false,
            too_large: false,
        }))
    }

    fn socket(
        &mut self,
    ) -> Result<Pin<&mut WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>>, Closed> {
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
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) => {
                    self.peer_closed = true;
                    Received::Closed
                }
                // Lost without a Close frame: a stateful connection waits for its client.
                None => Received::Lost,
                Some(Err(err)) => {
                    if matches!(err, tungstenite::Error::Capacity(_)) {
                        self.too_large = true;
                        Received::Failed(ConnectionError::TooLarge)
                    } else {
                        Received::Lost
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
                code: CloseCode::Normal,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::get("/hub");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).expect("a request").into_parts();
        let mut empty = axum::http::Request::new(());
        parts.extensions.insert(hyper::upgrade::on(&mut empty));
        parts
    }

    const HANDSHAKE: [(&str, &str); 4] = [
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "WebSocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn an_opening_handshake_is_answered_with_its_accept_key() {
        let upgrade = Upgrade::from_parts(&mut parts(&HANDSHAKE)).expect("an upgrade");
        // RFC 6455 section 1.3's example.
        assert_eq!(upgrade.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn anything_else_is_a_plain_request() {
        for missing in 0..HANDSHAKE.len() {
            let mut headers = HANDSHAKE.to_vec();
            headers.remove(missing);
            assert!(
                Upgrade::from_parts(&mut parts(&headers)).is_none(),
                "{missing}"
            );
        }
        let mut headers = HANDSHAKE.to_vec();
        headers[2].1 = "8";
        assert!(Upgrade::from_parts(&mut parts(&headers)).is_none());
        let mut post = parts(&HANDSHAKE);
        post.method = Method::POST;
        assert!(Upgrade::from_parts(&mut post).is_none());
    }
}
