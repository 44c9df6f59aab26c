//! Mounting a hub on axum.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use dashmap::DashMap;

use crate::connection::ConnectionId;
use crate::context::HubContext;
use crate::dispatch::Hub;
use crate::lifetime::Lifetime;
use crate::manifest::Manifest;
use crate::options::HubOptions;
use crate::transport::{self, HttpEndpoint};

/// A hub mounted at a path: merge it into your axum `Router`.
///
/// ```no_run
/// # use hub_runtime::prelude::*;
/// # #[hub_runtime::client] pub trait EchoClient { async fn said(&self, text: String); }
/// # pub struct EchoHub;
/// # #[hub_runtime::hub(client = EchoClient)] impl EchoHub { pub fn echo(&self, text: String) -> String { text } }
/// # async fn run() {
/// let hub = HubRouter::new("/hubs/echo", EchoHub).options(HubOptions::default());
/// let context = hub.context(); // for axum handlers and background tasks
/// let app = axum::Router::new().merge(hub);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await.unwrap();
/// axum::serve(listener, app)
///     .with_graceful_shutdown(async move {
///         tokio::signal::ctrl_c().await.ok();
///         context.shutdown().await; // Close with allowReconnect to every client
///     })
///     .await
///     .unwrap();
/// # }
/// ```
///
/// Routes: `POST {path}/negotiate`, and `{path}` for the transports (`GET` with a WebSocket
/// upgrade; `POST` and `DELETE` answer with the statuses the SignalR clients expect).
pub struct HubRouter<H: Hub> {
    path: String,
    hub: Arc<H>,
    options: HubOptions,
    lifetime: Arc<Lifetime>,
    serve_manifest: bool,
}

impl<H: Hub> fmt::Debug for HubRouter<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubRouter")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
}

impl<H: Hub> HubRouter<H> {
    /// Mounts `hub` at `path` (e.g. `/hubs/chat`) with default options.
    pub fn new(path: impl Into<String>, hub: H) -> Self {
        Self::from_arc(path, Arc::new(hub))
    }

    /// Mounts a hub that other code shares.
    pub fn from_arc(path: impl Into<String>, hub: Arc<H>) -> Self {
        let path = path.into();
        let trimmed = path.trim_end_matches('/');
        let path = if trimmed.starts_with('/') {
            trimmed.to_owned()
        } else {
            format!("/{trimmed}")
        };
        HubRouter {
            path,
            hub,
            options: HubOptions::default(),
            lifetime: Arc::default(),
            serve_manifest: false,
        }
    }

    /// Sets the hub's options.
    pub fn options(mut self, options: HubOptions) -> Self {
        self.options = options;
        self
    }

    /// Also serves the hub's manifest (see [`Hub::manifest`]) at `GET {path}/manifest`, with
    /// `path` filled in, for `hub-codegen --manifest http://host/hubs/chat/manifest`.
    ///
    /// Off by default: the manifest describes every method and type of the hub.
    pub fn serve_manifest(mut self) -> Self {
        self.serve_manifest = true;
        self
    }

    /// The hub's manifest (see [`Hub::manifest`]) with the path it is mounted at.
    pub fn manifest(&self) -> Manifest {
        let mut manifest = H::manifest();
        for hub in &mut manifest.hubs {
            hub.path = Some(self.path.clone());
        }
        manifest
    }

    /// A handle to reach this hub's clients from outside the hub.
    pub fn context(&self) -> HubContext<H> {
        HubContext::new(self.lifetime.clone())
    }

    /// The path the hub is mounted at.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl<H: Hub, S: Clone + Send + Sync + 'static> From<HubRouter<H>> for Router<S> {
    fn from(router: HubRouter<H>) -> Self {
        router.lifetime.configure(&router.options);
        let manifest = router.serve_manifest.then(|| {
            let json = bytes::Bytes::from(router.manifest().to_json_pretty());
            let manifest = get(move || {
                let json = json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json,
                    )
                }
            });
            (
                format!("{}/manifest", router.path.trim_end_matches('/')),
                manifest,
            )
        });
        let shared = Arc::new(HubShared {
            hub: router.hub,
            options: router.options,
            lifetime: router.lifetime,
            tokens: DashMap::new(),
        });
        let path = if router.path == "/" {
            String::new()
        } else {
            router.path
        };
        let cors = shared.options.cors.clone();
        let router = Router::new()
            .route(
                &format!("{path}/negotiate"),
                post(transport::negotiate::<H>),
            )
            .route(
                if path.is_empty() { "/" } else { &path },
                get(transport::connect::<H>)
                    .post(transport::send::<H>)
                    .delete(transport::delete::<H>),
            )
            .with_state(shared);
        let router = match manifest {
            Some((path, manifest)) => router.route(&path, manifest),
            None => router,
        };
        match cors {
            Some(cors) => router.layer(axum::middleware::from_fn(move |request, next| {
                transport::cors(cors.clone(), request, next)
            })),
            None => router,
        }
    }
}

/// What every request and connection of one hub shares.
pub(crate) struct HubShared<H: Hub> {
    pub(crate) hub: Arc<H>,
    pub(crate) options: HubOptions,
    pub(crate) lifetime: Arc<Lifetime>,
    /// Connection tokens handed out by negotiate.
    pub(crate) tokens: DashMap<Box<str>, TokenState>,
}

/// Where a negotiated connection stands.
pub(crate) enum TokenState {
    /// Negotiated; its transport has not connected yet.
    Pending(PendingConnection),
    /// Its transport is connected; SSE and long polling keep their HTTP side here.
    Connected(Option<Arc<HttpEndpoint>>),
}

/// A negotiated connection waiting for its transport.
pub(crate) struct PendingConnection {
    pub(crate) id: ConnectionId,
    /// Bytes the client POSTed before its transport connected (a long-polling client may send
    /// its handshake before its first poll); they are read first once it connects.
    pub(crate) early: Vec<u8>,
}

impl PendingConnection {
    pub(crate) fn new(id: ConnectionId) -> Self {
        PendingConnection {
            id,
            early: Vec::new(),
        }
    }
}

impl<H: Hub> HubShared<H> {
    pub(crate) fn forget_token(&self, token: &str) {
        self.tokens.remove(token);
    }
}
