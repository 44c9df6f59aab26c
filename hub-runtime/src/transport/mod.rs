//! The HTTP side: negotiate, and the transports that carry a connection's messages
//! (WebSockets, Server-Sent Events, long polling), serving one
//! [`ConnectionHandler`](crate::connection::ConnectionHandler) per endpoint.
//!
//! Transports know nothing of hubs: they hand a connected [`Connection`](crate::connection::Connection)
//! to the endpoint's handler. They import only the connection layer (and the protocol layer's
//! transfer formats).

mod access;
mod cors;
mod endpoint;
mod get;
mod http;
mod negotiate;
mod request;
mod response;
mod route;
mod websocket;

pub(crate) use access::admit;
pub(crate) use cors::cors_layer;
pub(crate) use endpoint::Endpoint;
pub(crate) use negotiate::negotiate;
pub(crate) use route::TransportRoute;
#[cfg(feature = "fuzzing")]
pub(crate) use websocket::read_chunks as websocket_read_chunks;
