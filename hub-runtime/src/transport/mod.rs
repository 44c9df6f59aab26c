//! The HTTP side: negotiate, and the transports that carry hub messages.
//!
//! Transports know nothing of hubs: they hand a connected socket to the connection layer.

mod cors;
mod http;
mod io;
mod negotiate;
mod websocket;

pub(crate) use cors::cors;
pub(crate) use http::{HttpEndpoint, PollActivity, delete, forget_later, send};
pub(crate) use io::{Gone, Incoming, TransportIo};
pub(crate) use negotiate::negotiate;
pub(crate) use websocket::connect;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A plain-text response, as ASP.NET Core's connection dispatcher writes them.
pub(crate) fn plain(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}
