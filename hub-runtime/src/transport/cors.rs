//! Cross-origin access for browser clients: tower-http's `CorsLayer`, configured from [`Cors`];
//! and the origin check of WebSocket upgrades.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::connection::Cors;

/// The headers the SignalR clients send cross-origin.
const ALLOWED_HEADERS: [&str; 4] = [
    "x-requested-with",
    "x-signalr-user-agent",
    "authorization",
    "content-type",
];

/// The CORS layer for an endpoint: listed origins are echoed with
/// `Access-Control-Allow-Credentials: true` (the browser client sends cookies by default); any
/// origin is answered `*` and never with credentials, so that no page can call the endpoint
/// with a user's cookies.
pub(crate) fn cors_layer(cors: &Cors) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .max_age(Duration::from_secs(600));
    match &cors.origins {
        None => layer.allow_origin(AllowOrigin::any()),
        Some(origins) => layer
            .allow_origin(AllowOrigin::list(
                origins
                    .iter()
                    .filter_map(|origin| HeaderValue::from_str(origin).ok()),
            ))
            .allow_credentials(true),
    }
}

/// Whether a WebSocket upgrade may proceed (ASP.NET's `WebSocketOptions.AllowedOrigins`): with
/// CORS configured, a request from a browser page (it has an `Origin`) must come from an allowed
/// origin; requests without `Origin` (non-browser clients) and endpoints without CORS are not
/// checked.
pub(crate) fn websocket_origin_allowed(
    cors: Option<&Cors>,
    headers: &axum::http::HeaderMap,
) -> bool {
    let (Some(cors), Some(origin)) = (cors, headers.get(header::ORIGIN)) else {
        return true;
    };
    origin.to_str().is_ok_and(|origin| cors.allows(origin))
}
