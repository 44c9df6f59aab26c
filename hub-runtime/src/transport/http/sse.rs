//! The Server-Sent Events response of a connection.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::stream;
use tokio::sync::mpsc;

use crate::transport::response::no_cache;

/// The event stream: a comment first (the client waits for the stream to open before it sends
/// its handshake), then the connection's events.
pub(super) fn response(events: mpsc::Receiver<Bytes>) -> Response {
    let opening = stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b":\r\n")) });
    let events = stream::unfold(events, |mut events| async move {
        events
            .recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), events))
    });
    let mut response = Response::new(Body::from_stream(futures_util::StreamExt::chain(
        opening, events,
    )));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    no_cache(&mut response);
    response
}
