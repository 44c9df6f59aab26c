//! The client-to-server half of Server-Sent Events and long polling: `POST {path}?id=`, and
//! `DELETE {path}?id=` that ends a long-polling connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Bytes, HttpBody};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{BoxError, RequestExt};
use bytes::BytesMut;

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
    let body = match read_body(Request::from_parts(parts, body)).await {
        Ok(body) => body,
        Err(refused) => return refused,
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

/// A request's body, read as axum's `Bytes` extractor reads it: within the limit of its
/// `DefaultBodyLimit` (2 MB unless the app set another), refused with the same statuses and
/// texts. Frames are appended as they come; the usual body, one frame, is taken as it is,
/// without `collect`'s list of frames.
async fn read_body(request: Request) -> Result<Bytes, Response> {
    let mut body = request.into_limited_body();
    let mut read = Bytes::new();
    let mut more: Option<BytesMut> = None;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(refused)?;
        // Trailers end the body, as for the extractor.
        let Ok(data) = frame.into_data() else {
            break;
        };
        match &mut more {
            Some(more) => more.extend_from_slice(&data),
            None if read.is_empty() => read = data,
            None => {
                let mut joined = BytesMut::with_capacity(read.len() + data.len());
                joined.extend_from_slice(&read);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
        }
    }
    Ok(more.map_or(read, BytesMut::freeze))
}

/// The answer of axum's `Bytes` extractor to a body that could not be read: 413 beyond the
/// limit, 400 for another error, each with its text.
fn refused(error: axum::Error) -> Response {
    const FAILED: &str = "Failed to buffer the request body";
    // The body's error wraps the limit's, which wraps the request's own: unwrapped as the
    // extractor does.
    let error: BoxError = match error.into_inner().downcast::<axum::Error>() {
        Ok(inner) => inner.into_inner(),
        Err(error) => error,
    };
    let status = if error.is::<http_body_util::LengthLimitError>() {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, format!("{FAILED}: {error}")).into_response()
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::extract::FromRequest;

    use super::*;

    /// What axum's `Bytes` extractor makes of a request: the bytes, or its rejection's status
    /// and text.
    async fn extracted(request: Request) -> Result<Bytes, (StatusCode, String)> {
        Bytes::from_request(request, &())
            .await
            .map_err(|rejection| (rejection.status(), rejection.body_text()))
    }

    async fn read(request: Request) -> Result<Bytes, (StatusCode, String)> {
        match read_body(request).await {
            Ok(bytes) => Ok(bytes),
            Err(response) => {
                let status = response.status();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                Err((status, String::from_utf8(body.to_vec()).unwrap()))
            }
        }
    }

    fn chunked(chunks: Vec<Result<&'static [u8], std::io::Error>>) -> Request {
        Request::new(Body::from_stream(futures_util::stream::iter(chunks)))
    }

    #[tokio::test]
    async fn bodies_read_as_the_extractor_reads_them() {
        let requests: Vec<fn() -> Request> = vec![
            || Request::new(Body::empty()),
            || Request::new(Body::from("{\"type\":6}\u{1e}")),
            || chunked(vec![Ok(b"ab"), Ok(b""), Ok(b"cd"), Ok(b"e")]),
            // Beyond the default limit (2 MB): 413.
            || Request::new(Body::from(vec![b'x'; (2 << 20) + 1])),
            || chunked(vec![Ok(&[b'x'; 1 << 20]), Ok(&[b'x'; 1 << 20]), Ok(b"x")]),
            // A body that fails: 400 with its error.
            || {
                chunked(vec![
                    Ok(b"ab"),
                    Err(std::io::Error::other("connection reset")),
                ])
            },
        ];
        for make in requests {
            let expected = extracted(make()).await;
            assert_eq!(read(make()).await, expected);
        }
        assert_eq!(
            read(chunked(vec![Ok(b"ab"), Ok(b"cd")])).await,
            Ok(Bytes::from_static(b"abcd"))
        );
        let refused = read(Request::new(Body::from(vec![b'x'; (2 << 20) + 1]))).await;
        assert_eq!(
            refused,
            Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                "Failed to buffer the request body: length limit exceeded".to_owned()
            ))
        );
    }
}
