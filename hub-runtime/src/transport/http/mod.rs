//! Server-Sent Events and long polling: the HTTP requests that carry one connection.
//!
//! A connection on these transports is an [`HttpEndpoint`] in the token table: `POST {path}?id=`
//! hands request bodies to the connection, and its output leaves through the SSE response
//! stream or through the long polls.

mod io;
mod long_polling;
mod post;
mod sse;
pub(crate) mod state;

pub(crate) use post::{delete, send};

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::mpsc;

use self::io::HttpIo;
use self::state::HttpEndpoint;
use super::endpoint::{Endpoint, TokenState};
use super::response::{no_cache, plain};
use crate::connection::{ConnectionId, RequestInfo, TransportType, now_ms, query_value};

/// How many POST bodies may wait for the connection.
const POST_QUEUE: usize = 4;

/// `GET {path}` without a WebSocket upgrade: Server-Sent Events (`Accept: text/event-stream`)
/// or a long poll. The connection token (`id`, its first value, as the access check reads it)
/// is read from the URI in place.
pub(crate) async fn get(endpoint: Arc<Endpoint>, parts: Parts) -> Response {
    // A clone shares the URI's bytes: the token borrows from it while `parts` moves on.
    let uri = parts.uri.clone();
    let token = uri.query().and_then(|query| query_value(query, "id"));
    let token = token.as_deref();
    let sse = parts
        .headers
        .get(header::ACCEPT)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let kind = if sse {
        TransportType::ServerSentEvents
    } else {
        TransportType::LongPolling
    };
    let Some(token) = token else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    let state = match endpoint.tokens.get_mut(token) {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(mut entry) => match &mut entry.state {
            // A shutting-down endpoint takes no new connections, but still answers the polls
            // of the connections it has: their last poll carries the last messages.
            TokenState::Pending(_) if endpoint.tracker.is_shutting_down() => {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            TokenState::Pending(pending) => Err(endpoint.take_pending(pending)),
            TokenState::Connected(http) => Ok(http.clone()),
        },
    };
    let enabled = match kind {
        TransportType::ServerSentEvents => endpoint.options.transports.server_sent_events,
        _ => endpoint.options.transports.long_polling,
    };
    match state {
        Err(_) | Ok(Some(_)) if !enabled => plain(
            StatusCode::NOT_FOUND,
            match kind {
                TransportType::ServerSentEvents => {
                    "ServerSentEvents transport not supported by this end point type"
                }
                _ => "LongPolling transport not supported by this end point type",
            },
        ),
        Err((id, early)) => {
            let request = super::request::connection_request(parts);
            match kind {
                TransportType::ServerSentEvents => {
                    let (events, receiver) = mpsc::channel::<Bytes>(16);
                    start(&endpoint, kind, id, token, request, Some(events), early);
                    sse::response(receiver)
                }
                _ => {
                    start(&endpoint, kind, id, token, request, None, early);
                    endpoint.ensure_sweep();
                    // The first poll returns at once: the client sends its handshake after it.
                    let mut response = StatusCode::OK.into_response();
                    no_cache(&mut response);
                    response
                }
            }
        }
        Ok(Some(http)) if http.kind == kind && kind == TransportType::LongPolling => {
            long_polling::poll(&endpoint, &http, token).await
        }
        Ok(Some(http)) if http.kind == kind => StatusCode::CONFLICT.into_response(),
        Ok(_) => plain(
            StatusCode::BAD_REQUEST,
            "Cannot change transports mid-connection",
        ),
    }
}

/// Starts the connection of a negotiated token on an HTTP transport.
fn start(
    endpoint: &Arc<Endpoint>,
    kind: TransportType,
    id: ConnectionId,
    token: &str,
    request: RequestInfo,
    sse: Option<mpsc::Sender<Bytes>>,
    early: Vec<u8>,
) {
    let (post, incoming) = mpsc::channel(POST_QUEUE);
    let http = Arc::new(HttpEndpoint::new(kind, post, sse));
    if let Some(poll) = &http.poll {
        // The first poll (this request) counts as the client's last sign of life.
        poll.activity.last_ms.store(now_ms(), Ordering::Relaxed);
    }
    if let Some(mut entry) = endpoint.tokens.get_mut(token) {
        entry.state = TokenState::Connected(Some(http.clone()));
    }
    let io = Box::new(HttpIo::new(http, incoming, early));
    tokio::spawn(endpoint.run(io, id, Some(token.into()), request, kind, None));
}
