//! Connections without hubs: the transport-agnostic connection API that the SignalR transports
//! serve, as ASP.NET's `ConnectionHandler` and `MapConnectionHandler`.
//!
//! A [`ConnectionHandler`] gets a [`Connection`] once the client's transport connected
//! (negotiate, then WebSockets, Server-Sent Events or long polling) and runs it to its end. The
//! hub protocol is one such handler; any other protocol can be served the same way with
//! [`ConnectionRouter`](crate::ConnectionRouter), and the official clients' `HttpConnection`
//! talks to it:
//!
//! ```no_run
//! use hub_runtime::connection::{Connection, ConnectionHandler};
//! use hub_runtime::ConnectionRouter;
//!
//! /// Sends every message back.
//! struct Echo;
//!
//! impl ConnectionHandler for Echo {
//!     async fn on_connected(&self, mut connection: Connection) {
//!         while let Ok(Some(frame)) = connection.recv().await {
//!             if connection.send(frame).await.is_err() {
//!                 return;
//!             }
//!         }
//!         connection.close().await;
//!     }
//! }
//!
//! let app: axum::Router = axum::Router::new().merge(ConnectionRouter::new("/echo", Echo));
//! ```
//!
//! This layer knows nothing of hubs: it sits below them, and the transports know only it.

mod clock;
mod frame;
mod id;
mod io;
mod metrics;
mod options;
mod reattach;
mod request;
mod tracker;
mod transport;
mod user;

pub use frame::Frame;
pub use id::ConnectionId;
pub use io::{Connection, TransportType};
pub use options::{ConnectionOptions, Cors, Transports};
pub use request::{RequestInfo, bearer_token};
pub use transport::{Closed, ConnectionError};
pub use user::{AuthError, AuthFuture, Authenticator, User};

pub(crate) use options::AccessCheck;
pub(crate) use request::query_value;
pub(crate) use user::Access;

pub(crate) use clock::{coarse_now_ms, now_ms, tick};
pub(crate) use id::random_token;
pub(crate) use io::Event;
pub(crate) use metrics::{ConnectionMetrics, ConnectionStatus, HubMetrics};
pub(crate) use reattach::Reattach;
pub(crate) use tracker::ConnectionTracker;
pub(crate) use transport::{IoFuture, Received, TransportIo};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Runs the connections of an endpoint (ASP.NET's `ConnectionHandler`): each one is handed over
/// once its transport connected, and ends when `on_connected` returns (the connection is then
/// closed if the handler did not close it).
pub trait ConnectionHandler: Send + Sync + 'static {
    /// Runs one connection to its end.
    fn on_connected(&self, connection: Connection) -> impl Future<Output = ()> + Send;
}

/// The future of one connection, boxed: the transports run every handler the same way.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A [`ConnectionHandler`] behind one type, so that the transports are compiled once.
pub(crate) trait ErasedHandler: Send + Sync + 'static {
    fn run(self: Arc<Self>, connection: Connection) -> HandlerFuture;
}

impl<C: ConnectionHandler> ErasedHandler for C {
    fn run(self: Arc<Self>, connection: Connection) -> HandlerFuture {
        // Boxed: what an async block captures stays in its future for its whole life.
        let connection = Box::new(connection);
        Box::pin(async move { self.on_connected(*connection).await })
    }
}
