//! The Server-Sent Events response of a connection.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper::body::Frame;
use tokio::sync::mpsc;

use crate::transport::response::no_cache;

/// The event stream: a comment first (the client waits for the stream to open before it sends
/// its handshake), then the connection's events.
pub(super) fn response(events: mpsc::Receiver<Bytes>) -> Response {
    let mut response = Response::new(Body::new(EventStream {
        opening: true,
        events,
    }));
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

/// The body of the event stream: the opening comment, then each event as the connection queued
/// it (already formatted), read straight from the queue.
struct EventStream {
    opening: bool,
    events: mpsc::Receiver<Bytes>,
}

impl HttpBody for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.opening {
            self.opening = false;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b":\r\n")))));
        }
        self.events
            .poll_recv(cx)
            .map(|event| event.map(|event| Ok(Frame::data(event))))
    }
}
