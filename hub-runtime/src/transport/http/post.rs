//! The client-to-server half of Server-Sent Events and long polling: `POST {path}?id=`, and
//! `DELETE {path}?id=` that ends a long-polling connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::connection::{TransportType, query_value};
use crate::transport::access;
use crate::transport::endpoint::{EarlyRefused, Endpoint, TokenState};
use crate::transport::response::plain;

/// POST bodies up to this size are copied out of hyper's read buffer (see `send`).
const COPIED_BODY: usize = 4 << 10;

/// `POST {path}?id=`: messages from an SSE or long-polling client.
pub(crate) async fn send(endpoint: Arc<Endpoint>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(refused) = access::check(&endpoint, &mut parts).await {
        return refused;
    }
    // A clone shares the URI's bytes: the token borrows from it while `parts` moves on.
    let uri = parts.uri.clone();
    // Read after the access check, with the limit axum's `Bytes` extractor applies.
    let body = match Bytes::from_request(Request::from_parts(parts, body), &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(token) = uri.query().and_then(|query| query_value(query, "id")) else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    // The entry's guard locks a shard of the table: it must not live across an await.
    let http = match endpoint
        .tokens
        .get_mut(&*token)
        .as_deref_mut()
        .map(|entry| &mut entry.state)
    {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(TokenState::Pending(pending)) => {
            // Sent before the transport connected: kept for the connection, as ASP.NET Core
            // buffers it in the connection's pipe, within bounds.
            return match endpoint.add_early(pending, &body) {
                Ok(()) => StatusCode::OK.into_response(),
                Err(EarlyRefused::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
                Err(EarlyRefused::Busy) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            };
        }
        Some(TokenState::Connected(None)) => {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST requests are not allowed for WebSocket connections.",
            );
        }
        Some(TokenState::Connected(Some(http))) => http.clone(),
    };
    if http.post_busy.swap(true, Ordering::AcqRel) {
        return StatusCode::CONFLICT.into_response();
    }
    // hyper hands a small body over as a part of its read buffer, and can reuse that buffer for
    // the next request only if nothing holds a part of it by then; the connection may not have
    // read this body yet when hyper reads again.
    let body = if body.len() <= COPIED_BODY {
        Bytes::copy_from_slice(&body)
    } else {
        body
    };
    let delivered = http.post.send(body).await;
    http.post_busy.store(false, Ordering::Release);
    match delivered {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
    }
}

/// `DELETE {path}?id=`: a long-polling client ends its connection.
pub(crate) async fn delete(endpoint: Arc<Endpoint>, mut parts: Parts) -> Response {
    if let Err(refused) = access::check(&endpoint, &mut parts).await {
        return refused;
    }
    let uri = &parts.uri;
    let Some(token) = uri.query().and_then(|query| query_value(query, "id")) else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    let http = match endpoint
        .tokens
        .get(&*token)
        .as_deref()
        .map(|entry| &entry.state)
    {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(TokenState::Connected(Some(http))) if http.kind == TransportType::LongPolling => {
            http.clone()
        }
        Some(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "Cannot terminate this connection using the DELETE endpoint.",
            );
        }
    };
    // The poll waiting now returns 204.
    http.delete();
    plain(StatusCode::ACCEPTED, "")
}
