//! The routes of one mapped endpoint: negotiate, the transports, and extra routes (a hub's
//! manifest), with CORS when configured.

use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodRouter, post};

use super::paths;
use crate::connection::{ConnectionOptions, ConnectionTracker, ErasedHandler};
use crate::transport::{self, Endpoint};

/// A path as an endpoint is mapped at: a leading `/`, no trailing one.
pub(crate) fn normalize_path(path: impl Into<String>) -> String {
    let path = path.into();
    let trimmed = path.trim_end_matches('/');
    if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// The router of an endpoint at `path` served by `handler`.
pub(crate) fn endpoint_router<S: Clone + Send + Sync + 'static>(
    path: &str,
    handler: Arc<dyn ErasedHandler>,
    options: ConnectionOptions,
    tracker: Arc<ConnectionTracker>,
    extra: Vec<(&'static str, MethodRouter<S>)>,
) -> Router<S> {
    paths::register(path);
    let cors = options.cors.clone();
    let endpoint = Arc::new(Endpoint::new(handler, options, tracker));
    let base = if path == "/" { "" } else { path };
    // The access check runs before negotiate as a middleware, and inside the transport's
    // handlers for their requests (one per message on Server-Sent Events and long polling).
    let mut router = Router::new()
        .route(&format!("{base}/negotiate"), post(transport::negotiate))
        .route_layer(axum::middleware::from_fn_with_state(
            endpoint.clone(),
            transport::admit,
        ))
        .route_service(
            if base.is_empty() { "/" } else { base },
            transport::TransportRoute(endpoint.clone()),
        )
        .with_state(endpoint);
    for (suffix, route) in extra {
        router = router.route(&format!("{base}{suffix}"), route);
    }
    match cors {
        Some(cors) => router.layer(transport::cors_layer(&cors)),
        None => router,
    }
}
