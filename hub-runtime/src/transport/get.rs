//! `GET {path}`: a WebSocket upgrade, or a request of Server-Sent Events or long polling.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Query;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::access;
use super::endpoint::Endpoint;
use super::http;
use super::websocket;

/// A request that asks for an upgrade goes to the WebSocket transport, as it always did; the
/// others (every long poll) go straight to the HTTP transports, which read the connection token
/// from the query without building a map of it.
pub(crate) async fn connect(endpoint: Arc<Endpoint>, mut parts: Parts) -> Response {
    if let Err(refused) = access::check(&endpoint, &mut parts).await {
        return refused;
    }
    if parts.headers.contains_key(header::UPGRADE) {
        let query = match Query::<HashMap<String, String>>::try_from_uri(&parts.uri) {
            Ok(query) => query,
            Err(rejection) => return rejection.into_response(),
        };
        return websocket::connect(endpoint, query.0, parts).await;
    }
    http::get(endpoint, parts).await
}
