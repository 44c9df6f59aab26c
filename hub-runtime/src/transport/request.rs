//! The request a connection keeps for its lifetime.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Extensions, Request};
use futures_util::FutureExt;
use tower_service::Service;

use crate::connection::RequestInfo;

/// What a connection keeps of the request that opened it: the URL, the headers and the
/// extensions that the app's layers inserted. Extensions that hold only axum's own routing
/// entries are not kept: they would cost every idle connection a map (some 200 bytes).
pub(super) fn connection_request(parts: Parts) -> RequestInfo {
    let mut extensions = parts.extensions;
    if extensions.len() <= routing_entries() {
        extensions = Extensions::new();
    }
    RequestInfo::with_extensions(parts.uri, &parts.headers, extensions)
}

/// How many extensions axum's router inserts in a request it routes (its URL parameters,
/// for one), learnt once from a request routed through a router of the same axum.
fn routing_entries() -> usize {
    static ENTRIES: OnceLock<usize> = OnceLock::new();
    *ENTRIES.get_or_init(|| {
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        let mut router = axum::Router::new().route(
            "/",
            axum::routing::get(|parts: Parts| async move {
                SEEN.store(parts.extensions.len(), Ordering::Relaxed);
            }),
        );
        let request = Request::get("/").body(Body::empty()).expect("a request");
        // The handler is ready at once: nothing in the router awaits.
        let _ = router.call(request).now_or_never();
        SEEN.load(Ordering::Relaxed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `&str` extension a connection keeps of a request routed with `with` inserted.
    fn routed(with: Option<&'static str>) -> String {
        let mut router = axum::Router::new().route(
            "/hub",
            axum::routing::get(|parts: Parts| async move {
                let request = connection_request(parts);
                request
                    .extensions()
                    .get::<&'static str>()
                    .copied()
                    .unwrap_or("none")
            }),
        );
        let mut request = Request::get("/hub").body(Body::empty()).expect("a request");
        if let Some(with) = with {
            request.extensions_mut().insert(with);
        }
        let response = router
            .call(request)
            .now_or_never()
            .expect("ready")
            .expect("a response");
        let body = axum::body::to_bytes(response.into_body(), 100)
            .now_or_never()
            .expect("ready")
            .expect("a body");
        String::from_utf8_lossy(&body).into_owned()
    }

    #[test]
    fn keeps_what_layers_inserted_and_drops_routing_entries() {
        assert_eq!(routed(Some("claims")), "claims");
        assert_eq!(routed(None), "none");
        assert!(routing_entries() <= 2, "{}", routing_entries());
    }
}
