//! Mounting a hub on axum.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::endpoint::{endpoint_router, normalize_path};
use super::service::HubService;
use crate::connection::{AccessCheck, HubMetrics};
use crate::context::HubContext;
use crate::hub::{Hub, HubDispatcher};
use crate::hub_connection::{HubConnectionHandler, HubRuntime};
use crate::lifetime::{HubLifetime, HubLifetimeManager, LocalConnections};
use crate::manifest::Manifest;
use crate::model::authorize;
use crate::options::HubOptions;

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
/// upgrade; `POST` and `DELETE` answer with the statuses the SignalR clients expect). The
/// hub's connections run on the [connection handler](crate::connection) API, like any other
/// endpoint's.
pub struct HubRouter<H: Hub> {
    path: String,
    hub: Arc<H>,
    options: HubOptions,
    lifetime: Arc<HubLifetime>,
    serve_manifest: bool,
    serve_explorer: bool,
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
        HubRouter {
            path: normalize_path(path),
            hub,
            options: HubOptions::default(),
            lifetime: Arc::default(),
            serve_manifest: false,
            serve_explorer: false,
        }
    }

    /// Sets the hub's options.
    pub fn options(mut self, options: HubOptions) -> Self {
        self.options = options;
        self
    }

    /// Replaces the in-memory lifetime manager (connections, groups, users, delivery) with
    /// the one `make` builds from this node's [`LocalConnections`]: a backplane that reaches
    /// the hub's connections on other servers too.
    ///
    /// # Panics
    ///
    /// When the hub's lifetime manager is in use already (a [`context`](Self::context) taken
    /// earlier sent a message): install it first.
    pub fn lifetime_manager<M: HubLifetimeManager>(
        self,
        make: impl FnOnce(Arc<LocalConnections>) -> M + Send + 'static,
    ) -> Self {
        let installed = self.lifetime.install_manager(Box::new(move |local| {
            Arc::new(make(local)) as Arc<dyn HubLifetimeManager>
        }));
        assert!(
            installed,
            "the hub's lifetime manager is in use already: install it before using the hub"
        );
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

    /// Also serves the hub explorer at `GET {path}/explorer` (and its script at
    /// `{path}/explorer.js`), and the manifest as [`serve_manifest`](Self::serve_manifest)
    /// does, which the explorer reads: a page that lists every hub method and client method
    /// with its parameter types and docs, invokes methods with JSON arguments, runs streams, and
    /// shows the client calls that arrive (answering client results with a JSON value).
    ///
    /// Off by default, and meant for development: anyone who can open the page can call every
    /// method the hub lets them call. Its routes are the hub's own, so a `route_layer` the app
    /// puts on the merged router (authentication) guards them as it guards the manifest; the
    /// hub's connections, which the explorer opens with an access token given on the page, are
    /// checked as every client's are. Do not expose it in production without such a layer.
    pub fn serve_explorer(mut self) -> Self {
        self.serve_explorer = true;
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

    /// The hub as a tower service of its own: requests to its path (ignoring case) reach the
    /// hub, others get 404. Wrap another service instead with [`into_layer`](Self::into_layer).
    pub fn into_service(self) -> HubService<Router> {
        HubService::new(self.path.clone(), self.into(), Router::new())
    }

    /// The hub as a tower layer: requests to its path (ignoring case) reach the hub, others
    /// the service it wraps.
    pub fn into_layer(self) -> super::service::HubLayer {
        super::service::HubLayer::new(self.path.clone(), self.into())
    }
}

impl<H: Hub, S: Clone + Send + Sync + 'static> From<HubRouter<H>> for Router<S> {
    fn from(router: HubRouter<H>) -> Self {
        let options = router.options;
        router.lifetime.configure(
            options.shutdown_timeout,
            options.client_result_timeout,
            options.limits,
        );
        let mut extra = Vec::new();
        if router.serve_manifest || router.serve_explorer {
            let mut manifest = H::manifest();
            for hub in &mut manifest.hubs {
                hub.path = Some(router.path.clone());
            }
            let json = bytes::Bytes::from(manifest.to_json_pretty());
            // The contract hash, which generated clients carry (`MANIFEST_HASH`).
            let etag = format!("\"{}\"", manifest.contract_hash());
            let serve = get(move || {
                let json = json.clone();
                let etag = etag.clone();
                async move {
                    (
                        [
                            (
                                axum::http::header::CONTENT_TYPE,
                                "application/json".to_owned(),
                            ),
                            (axum::http::header::ETAG, etag),
                        ],
                        json,
                    )
                }
            });
            extra.push(("/manifest", serve));
        }
        if router.serve_explorer {
            extra.extend(super::explorer::routes());
        }
        let mut connection_options = options.connection_options();
        check_policies::<H>(&options);
        if !H::AUTHORIZE.is_empty() {
            // `#[authorize]` on the hub: who may negotiate and connect.
            let policies = options.policies.clone();
            connection_options.access = Some(AccessCheck::new(move |user, request| {
                authorize(H::AUTHORIZE, &policies, user, request, None)
            }));
        }
        let tracker = router.lifetime.tracker().clone();
        let runtime = Arc::new(HubRuntime {
            dispatcher: Arc::new(HubDispatcher(router.hub)),
            lifetime: router.lifetime,
            options,
            metrics: HubMetrics::new(&router.path),
        });
        endpoint_router(
            &router.path,
            Arc::new(HubConnectionHandler(runtime)),
            connection_options,
            tracker,
            extra,
        )
    }
}

/// Panics unless every policy the hub's `#[authorize]` attributes name is registered: a typo in
/// a policy name would otherwise refuse every call at run time.
fn check_policies<H: Hub>(options: &HubOptions) {
    let methods = H::METHODS.iter().map(|method| method.authorize);
    for requirements in std::iter::once(H::AUTHORIZE).chain(methods) {
        if let Some(name) = options.policies.missing(requirements) {
            panic!(
                "#[authorize] of hub `{}` names policy \"{name}\", which is not registered: add `HubOptions::policy(\"{name}\", ...)`",
                std::any::type_name::<H>()
            );
        }
    }
}
