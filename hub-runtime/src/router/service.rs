//! The tower form of a mapped endpoint: a [`Layer`] that sends the requests of an endpoint's
//! path to it and every other request to the service it wraps.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tower_layer::Layer;
use tower_service::Service;

use super::paths::{ResponseFuture, normalize};

/// Whether `path` is `base` or one of its sub-paths, ignoring ASCII case.
fn under(path: &str, base: &str) -> bool {
    if base == "/" {
        return true;
    }
    match path.split_at_checked(base.len()) {
        Some((head, rest)) => {
            head.eq_ignore_ascii_case(base) && (rest.is_empty() || rest.starts_with('/'))
        }
        None => false,
    }
}

/// A hub (or connection endpoint) as a tower [`Layer`]: made by
/// [`HubRouter::into_layer`](crate::HubRouter::into_layer) or
/// [`ConnectionRouter::into_layer`](crate::ConnectionRouter::into_layer).
///
/// ```no_run
/// # use hub_runtime::prelude::*;
/// # pub struct EchoHub;
/// # #[hub_runtime::hub] impl EchoHub { pub fn echo(&self, text: String) -> String { text } }
/// use axum::ServiceExt;
/// use tower_layer::Layer;
///
/// # async fn run() {
/// let api = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
/// let app = HubRouter::new("/hubs/echo", EchoHub).into_layer().layer(api);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await.unwrap();
/// axum::serve(listener, app.into_make_service()).await.unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct HubLayer {
    path: Arc<str>,
    endpoint: Router,
}

impl std::fmt::Debug for HubLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLayer")
            .field("path", &self.path)
            .finish()
    }
}

impl HubLayer {
    pub(crate) fn new(path: String, endpoint: Router) -> Self {
        HubLayer {
            path: path.into(),
            endpoint,
        }
    }
}

impl<S> Layer<S> for HubLayer {
    type Service = HubService<S>;

    fn layer(&self, inner: S) -> HubService<S> {
        HubService {
            path: self.path.clone(),
            endpoint: self.endpoint.clone(),
            inner,
        }
    }
}

/// The service of a [`HubLayer`]: requests to the endpoint's path (ignoring case) reach it,
/// others `S`.
#[derive(Clone)]
pub struct HubService<S> {
    path: Arc<str>,
    endpoint: Router,
    inner: S,
}

impl<S> std::fmt::Debug for HubService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubService")
            .field("path", &self.path)
            .finish()
    }
}

impl<S> HubService<S> {
    pub(crate) fn new(path: String, endpoint: Router, inner: S) -> Self {
        HubLayer::new(path, endpoint).layer(inner)
    }
}

impl<S> Service<Request> for HubService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture<Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is checked on the service each request goes to, in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if under(request.uri().path(), &self.path) {
            normalize(&mut request);
            let mut endpoint = self.endpoint.clone();
            Box::pin(async move {
                std::future::poll_fn(|cx| {
                    <Router as Service<Request<Body>>>::poll_ready(&mut endpoint, cx)
                })
                .await?;
                endpoint.call(request).await
            })
        } else {
            let mut inner = self.inner.clone();
            Box::pin(async move {
                std::future::poll_fn(|cx| inner.poll_ready(cx)).await?;
                inner.call(request).await
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn sub_paths_ignoring_case() {
        assert!(under("/hubs/chat", "/hubs/chat"));
        assert!(under("/Hubs/Chat/negotiate", "/hubs/chat"));
        assert!(!under("/hubs/chatty", "/hubs/chat"));
        assert!(!under("/hubs", "/hubs/chat"));
        assert!(under("/anything", "/"));
    }
}
