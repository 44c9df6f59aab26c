//! `{path}` with a WebSocket upgrade, and the WebSocket under a connection.

mod codec;
mod socket;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

#[cfg(feature = "fuzzing")]
pub(crate) use self::socket::read_chunks;
use self::socket::{Limits, WebSocketIo};
use super::cors::websocket_origin_allowed;
use super::endpoint::{Endpoint, TokenState};
use super::response::plain;
use crate::connection::{ConnectionId, Reattach, TransportType};

/// `GET {path}`: a WebSocket for a negotiated connection (`?id=<token>`), or a new one
/// (`skipNegotiation`, no id); without an upgrade, Server-Sent Events or a long poll.
pub(crate) async fn connect(
    endpoint: Arc<Endpoint>,
    query: HashMap<String, String>,
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
        None => return super::http::get(endpoint, parts).await,
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
    let limits = limits(&endpoint);
    let request = super::request::connection_request(parts);
    let endpoint = endpoint.clone();
    let Upgrade { accept, on_upgrade } = upgrade;
    // The connection's task. What it holds across an await is all it ever takes, for as long
    // as the connection lives: the socket is boxed once upgraded (the transport-agnostic
    // `TransportIo`), so the task holds no room for it.
    tokio::spawn(async move {
        let early = (!early.is_empty()).then(|| Bytes::from(early));
        let Some(io) = upgraded(on_upgrade, limits, early).await else {
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

fn limits(endpoint: &Endpoint) -> Limits {
    let options = &endpoint.options;
    Limits {
        read_size: options.websocket_read_buffer_size,
        max_message: options.websocket_max_message_size,
    }
}

/// A client connecting again after its socket was lost (stateful reconnect): the new socket
/// takes the old one's place in the connection, whether or not the server noticed yet that the
/// old one is gone.
fn reconnect(endpoint: &Arc<Endpoint>, upgrade: Upgrade, shared: Arc<Reattach>) -> Response {
    let limits = limits(endpoint);
    let Upgrade { accept, on_upgrade } = upgrade;
    tokio::spawn(async move {
        let Some(io) = upgraded(on_upgrade, limits, None).await else {
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

/// The socket once the 101 answer went out (`None` when the upgrade failed), boxed: the task
/// awaiting it keeps no room for the socket.
async fn upgraded(
    on_upgrade: OnUpgrade,
    limits: Limits,
    early: Option<Bytes>,
) -> Option<Box<WebSocketIo>> {
    let upgraded = on_upgrade.await.ok()?;
    Some(Box::new(WebSocketIo::new(
        TokioIo::new(upgraded),
        limits,
        early,
    )))
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
