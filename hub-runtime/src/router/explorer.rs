//! The hub explorer ([`HubRouter::serve_explorer`](super::HubRouter::serve_explorer)): a page
//! that reads the hub's manifest and lets a developer call the hub from a browser. Its script is
//! bundled from `hub-runtime/explorer/` (TypeScript on `@microsoft/signalr`, by esbuild) and
//! committed, so serving it needs no Node.js.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get};

const PAGE: &str = include_str!("../../explorer/index.html");
const SCRIPT: &str = include_str!("../../explorer/dist/explorer.js");

/// What the page may load and reach: its own script and the hub's own URLs, nothing else; no
/// other site may frame it (its buttons call the hub).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

/// The explorer's routes, below the hub's path: the page and its script.
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> [(&'static str, MethodRouter<S>); 2] {
    [("/explorer", get(page)), ("/explorer.js", get(script))]
}
