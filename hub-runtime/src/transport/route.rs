//! `{path}`, the transports' path, as one tower service: each request goes straight to its
//! transport's function, without axum's method router, extractors and response mapping around
//! it. On Server-Sent Events and long polling that is every message.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_service::Service;

use super::endpoint::Endpoint;
use super::{get, http};

/// The methods `{path}` answers, as the `Allow` header of a 405 says them (axum's order).
const ALLOWED: &str = "GET,HEAD,POST,DELETE";

/// The service of an endpoint's `{path}`: `GET` (and `HEAD`) a WebSocket upgrade, an event
/// stream or a long poll; `POST` messages of SSE and long-polling clients; `DELETE` the end of
/// a long-polling connection; any other method 405 with `Allow`, as a method router answers.
#[derive(Clone)]
pub(crate) struct TransportRoute(pub(crate) Arc<Endpoint>);

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl Service<Request> for TransportRoute {
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> ResponseFuture {
        let endpoint = self.0.clone();
        match *request.method() {
            Method::GET | Method::HEAD => Box::pin(async move {
                let (parts, _) = request.into_parts();
                Ok(get::connect(endpoint, parts).await)
            }),
            Method::POST => Box::pin(async move { Ok(http::send(endpoint, request).await) }),
            Method::DELETE => Box::pin(async move {
                let (parts, _) = request.into_parts();
                Ok(http::delete(endpoint, parts).await)
            }),
            _ => Box::pin(std::future::ready(Ok(method_not_allowed()))),
        }
    }
}

fn method_not_allowed() -> Response {
    let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(ALLOWED));
    response
}
