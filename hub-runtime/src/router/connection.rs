//! Mounting a plain connection handler (no hub) on axum, as ASP.NET's `MapConnectionHandler`.

use std::fmt;
use std::sync::Arc;

use axum::Router;

use super::endpoint::{endpoint_router, normalize_path};
use super::service::{HubLayer, HubService};
use crate::connection::{ConnectionHandler, ConnectionOptions, ConnectionTracker};

/// A [`ConnectionHandler`] mounted at a path over negotiate, WebSockets, Server-Sent Events and
/// long polling: the official clients' `HttpConnection` (and anything speaking the SignalR
/// transport protocol) can connect, and the handler gets each connection's messages without
/// any hub protocol.
///
/// ```no_run
/// use hub_runtime::ConnectionRouter;
/// use hub_runtime::connection::{Connection, ConnectionHandler};
///
/// struct Echo;
///
/// impl ConnectionHandler for Echo {
///     async fn on_connected(&self, mut connection: Connection) {
///         while let Ok(Some(frame)) = connection.recv().await {
///             if connection.send(frame).await.is_err() {
///                 return;
///             }
///         }
///     }
/// }
///
/// # async fn run() {
/// let echo = ConnectionRouter::new("/echo", Echo);
/// let shutdown = echo.shutdown_handle();
/// let app = axum::Router::new().merge(echo);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await.unwrap();
/// axum::serve(listener, app)
///     .with_graceful_shutdown(async move {
///         tokio::signal::ctrl_c().await.ok();
///         shutdown.shutdown().await;
///     })
///     .await
///     .unwrap();
/// # }
/// ```
pub struct ConnectionRouter<C: ConnectionHandler> {
    path: String,
    handler: Arc<C>,
    options: ConnectionOptions,
    tracker: Arc<ConnectionTracker>,
}

impl<C: ConnectionHandler> fmt::Debug for ConnectionRouter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionRouter")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
}

impl<C: ConnectionHandler> ConnectionRouter<C> {
    /// Mounts `handler` at `path` with default options.
    pub fn new(path: impl Into<String>, handler: C) -> Self {
        Self::from_arc(path, Arc::new(handler))
    }

    /// Mounts a handler that other code shares.
    pub fn from_arc(path: impl Into<String>, handler: Arc<C>) -> Self {
        ConnectionRouter {
            path: normalize_path(path),
            handler,
            options: ConnectionOptions::default(),
            tracker: Arc::default(),
        }
    }

    /// Sets the endpoint's options.
    pub fn options(mut self, options: ConnectionOptions) -> Self {
        self.options = options;
        self
    }

    /// The path the endpoint is mounted at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A handle that shuts the endpoint down: new connections are refused, the connections'
    /// [shutdown signals](crate::connection::Connection::shutdown_signal) fire, and it waits
    /// for them to end (up to the [shutdown timeout](ConnectionOptions::shutdown_timeout)).
    pub fn shutdown_handle(&self) -> EndpointShutdown {
        EndpointShutdown {
            tracker: self.tracker.clone(),
            timeout: self.options.shutdown_timeout,
        }
    }

    /// The endpoint as a tower service of its own (404 for other paths).
    pub fn into_service(self) -> HubService<Router> {
        HubService::new(self.path.clone(), self.into(), Router::new())
    }

    /// The endpoint as a tower layer: requests to its path (ignoring case) reach it, others the
    /// service it wraps.
    pub fn into_layer(self) -> HubLayer {
        HubLayer::new(self.path.clone(), self.into())
    }
}

impl<C: ConnectionHandler, S: Clone + Send + Sync + 'static> From<ConnectionRouter<C>>
    for Router<S>
{
    fn from(router: ConnectionRouter<C>) -> Self {
        endpoint_router(
            &router.path,
            router.handler,
            router.options,
            router.tracker,
            Vec::new(),
        )
    }
}

/// Shuts a [`ConnectionRouter`]'s endpoint down; see
/// [`ConnectionRouter::shutdown_handle`].
#[derive(Clone)]
pub struct EndpointShutdown {
    tracker: Arc<ConnectionTracker>,
    timeout: std::time::Duration,
}

impl fmt::Debug for EndpointShutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointShutdown")
            .field("connections", &self.tracker.live_tasks())
            .finish()
    }
}

impl EndpointShutdown {
    /// Refuses new connections, signals the open ones, and waits until they ended or the
    /// shutdown timeout passed.
    pub async fn shutdown(&self) {
        self.tracker.begin_shutdown();
        if !self.tracker.drained(self.timeout).await {
            tracing::warn!(
                connections = self.tracker.live_tasks(),
                "shutdown timeout: connections still running are left behind"
            );
        }
    }
}
