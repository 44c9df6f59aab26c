//! Hub paths are case-insensitive, as in ASP.NET Core: `/Hubs/Chat/negotiate` reaches the hub
//! mapped at `/hubs/chat`. axum routes match exactly, so the paths of mapped endpoints are kept
//! here and [`CaseInsensitivePaths`] rewrites a request to an endpoint's own spelling before
//! the router sees it.

use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::task::{Context, Poll};

use axum::http::{Request, Uri};
use tower_layer::Layer;
use tower_service::Service;

/// The paths of every endpoint mapped in this process.
static PATHS: RwLock<Vec<Box<str>>> = RwLock::new(Vec::new());

/// The sub-paths of an endpoint that are routed.
const SUFFIXES: &[&str] = &["", "/negotiate", "/manifest", "/explorer", "/explorer.js"];

/// Remembers an endpoint's path.
pub(crate) fn register(path: &str) {
    let mut paths = PATHS.write().unwrap_or_else(|e| e.into_inner());
    if !paths.iter().any(|known| **known == *path) {
        paths.push(path.into());
    }
}

/// The spelling of a mapped endpoint's path (or sub-path) that `path` names ignoring ASCII
/// case, if it is spelt otherwise.
pub(crate) fn canonical(path: &str) -> Option<String> {
    let paths = PATHS.read().unwrap_or_else(|e| e.into_inner());
    for known in paths.iter() {
        for suffix in SUFFIXES {
            let full = known.len() + suffix.len();
            if path.len() != full {
                continue;
            }
            let Some((head, tail)) = path.split_at_checked(known.len()) else {
                continue;
            };
            if head.eq_ignore_ascii_case(known) && tail.eq_ignore_ascii_case(suffix) {
                if head == &**known && tail == *suffix {
                    return None;
                }
                return Some(format!("{known}{suffix}"));
            }
        }
    }
    None
}

/// `uri` with its path replaced by `path`, its query kept.
fn with_path(uri: &Uri, path: &str) -> Option<Uri> {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// Rewrites a request to the spelling of the mapped endpoint it names ignoring case.
pub(crate) fn normalize<B>(request: &mut Request<B>) {
    if let Some(path) = canonical(request.uri().path()) {
        if let Some(uri) = with_path(request.uri(), &path) {
            *request.uri_mut() = uri;
        }
    }
}

/// Makes the paths of the hubs and connection endpoints mapped in this process
/// case-insensitive for the service it wraps (ASP.NET Core's routing ignores case), by rewriting
/// a request's path to the endpoint's own spelling before the router sees it.
///
/// axum matches routes exactly, and a `Router::layer` runs after routing, so wrap the whole
/// app where it is served:
///
/// ```no_run
/// # use hub_runtime::prelude::*;
/// # pub struct EchoHub;
/// # #[hub_runtime::hub] impl EchoHub { pub fn echo(&self, text: String) -> String { text } }
/// use axum::ServiceExt;
/// use hub_runtime::CaseInsensitivePaths;
///
/// # async fn run() {
/// let app = axum::Router::new().merge(HubRouter::new("/hubs/echo", EchoHub));
/// let app = CaseInsensitivePaths::wrap(app);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await.unwrap();
/// axum::serve(listener, ServiceExt::<axum::extract::Request>::into_make_service(app))
///     .await
///     .unwrap();
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CaseInsensitivePaths;

impl CaseInsensitivePaths {
    /// Wraps `service` (an app `Router`): `CaseInsensitivePaths.layer(service)` without
    /// importing `tower_layer::Layer`.
    pub fn wrap<S>(service: S) -> CaseInsensitive<S> {
        CaseInsensitive(service)
    }
}

impl<S> CaseInsensitive<S> {
    pub(crate) fn new(service: S) -> Self {
        CaseInsensitive(service)
    }
}

impl<S> Layer<S> for CaseInsensitivePaths {
    type Service = CaseInsensitive<S>;

    fn layer(&self, inner: S) -> CaseInsensitive<S> {
        CaseInsensitive(inner)
    }
}

/// A service whose mapped endpoint paths are case-insensitive; see [`CaseInsensitivePaths`].
#[derive(Clone, Debug)]
pub struct CaseInsensitive<S>(S);

impl<S, B> Service<Request<B>> for CaseInsensitive<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        normalize(&mut request);
        self.0.call(request)
    }
}

/// A boxed response future (for the services of this module that pick a branch).
pub(crate) type ResponseFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_ignoring_case_and_keep_their_query() {
        register("/tests/Paths/Hub");
        assert_eq!(
            canonical("/tests/paths/hub").as_deref(),
            Some("/tests/Paths/Hub")
        );
        assert_eq!(
            canonical("/TESTS/PATHS/HUB/NEGOTIATE").as_deref(),
            Some("/tests/Paths/Hub/negotiate")
        );
        assert_eq!(canonical("/tests/Paths/Hub"), None);
        assert_eq!(canonical("/tests/Paths/Hub/negotiate"), None);
        assert_eq!(canonical("/tests/paths/hubx"), None);
        assert_eq!(canonical("/other"), None);
        let mut request = Request::builder()
            .uri("http://127.0.0.1/Tests/PATHS/hub?id=x%20y&negotiateVersion=1")
            .body(())
            .unwrap();
        normalize(&mut request);
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1/tests/Paths/Hub?id=x%20y&negotiateVersion=1"
        );
    }
}
