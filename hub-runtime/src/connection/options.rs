//! What a mapped endpoint accepts: transports, timeouts, sizes, cross-origin access.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::request::RequestInfo;
use super::user::{Access, Authenticator, User};

/// The options of an endpoint's transports, as ASP.NET's `HttpConnectionDispatcherOptions`.
///
/// [`HubOptions`](crate::HubOptions) holds one (its transport setters write here); a
/// [`ConnectionRouter`](crate::ConnectionRouter) takes one directly.
#[derive(Clone, Debug)]
pub struct ConnectionOptions {
    pub(crate) transports: Transports,
    pub(crate) negotiate_timeout: Duration,
    pub(crate) long_polling_timeout: Duration,
    pub(crate) disconnect_timeout: Duration,
    pub(crate) allow_stateful_reconnects: bool,
    pub(crate) websocket_read_buffer_size: usize,
    pub(crate) websocket_max_message_size: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) cors: Option<Cors>,
    pub(crate) minimum_negotiate_version: u32,
    pub(crate) max_pending_connections: usize,
    pub(crate) max_pending_bytes: usize,
    pub(crate) authenticator: Option<SharedAuthenticator>,
    pub(crate) access: Option<AccessCheck>,
}

/// The endpoint's authenticator.
#[derive(Clone)]
pub(crate) struct SharedAuthenticator(pub(crate) Arc<dyn Authenticator>);

impl fmt::Debug for SharedAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authenticator")
    }
}

type AccessFn = dyn Fn(Option<&User>, &RequestInfo) -> Access + Send + Sync;

/// Who may open a connection: checked on negotiate and on every transport request.
#[derive(Clone)]
pub(crate) struct AccessCheck(pub(crate) Arc<AccessFn>);

impl AccessCheck {
    pub(crate) fn new(
        check: impl Fn(Option<&User>, &RequestInfo) -> Access + Send + Sync + 'static,
    ) -> Self {
        AccessCheck(Arc::new(check))
    }
}

impl fmt::Debug for AccessCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCheck")
    }
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            transports: Transports::default(),
            negotiate_timeout: Duration::from_secs(15),
            long_polling_timeout: Duration::from_secs(90),
            disconnect_timeout: Duration::from_secs(15),
            allow_stateful_reconnects: false,
            websocket_read_buffer_size: 16 * 1024,
            websocket_max_message_size: 64 * 1024,
            shutdown_timeout: Duration::from_secs(5),
            cors: None,
            minimum_negotiate_version: 0,
            max_pending_connections: 10_000,
            max_pending_bytes: 16 << 20,
            authenticator: None,
            access: None,
        }
    }
}

impl ConnectionOptions {
    /// The transports the endpoint accepts (default: all).
    pub fn transports(mut self, transports: Transports) -> Self {
        self.transports = transports;
        self
    }

    /// How long a negotiated connection may wait for its transport before it is forgotten
    /// (default 15 s).
    pub fn negotiate_timeout(mut self, timeout: Duration) -> Self {
        self.negotiate_timeout = timeout;
        self
    }

    /// How long a long poll waits for data before it returns empty (default 90 s, below the
    /// clients' 100 s).
    pub fn long_polling_timeout(mut self, timeout: Duration) -> Self {
        self.long_polling_timeout = timeout;
        self
    }

    /// How long a long-polling connection lives without a poll before it is closed (default
    /// 15 s, as ASP.NET's `DisconnectTimeout`; a hub uses its client timeout).
    pub fn disconnect_timeout(mut self, timeout: Duration) -> Self {
        self.disconnect_timeout = timeout;
        self
    }

    /// Lets clients that ask for it (`useStatefulReconnect=true` on negotiate) reconnect
    /// statefully over WebSockets: a socket lost without a Close frame is waited for during the
    /// [disconnect timeout](Self::disconnect_timeout), and a client that connects again with its
    /// connection token in that time gets its connection back (ASP.NET's
    /// `AllowStatefulReconnects`; default off, as there).
    pub fn allow_stateful_reconnects(mut self, allow: bool) -> Self {
        self.allow_stateful_reconnects = allow;
        self
    }

    /// The most a WebSocket reads from its socket at once (default 16 KiB). The buffer read into
    /// belongs to the worker thread, not to the connection: a connection keeps bytes of its own
    /// only while a frame is unfinished (at most the
    /// [largest message](Self::websocket_max_message_size)), so an idle one keeps none.
    pub fn websocket_read_buffer_size(mut self, size: usize) -> Self {
        self.websocket_read_buffer_size = size.max(256);
        self
    }

    /// The largest WebSocket message (and frame) accepted, in bytes (default 64 KiB); a larger
    /// one ends the connection.
    pub fn websocket_max_message_size(mut self, size: usize) -> Self {
        self.websocket_max_message_size = size.max(1);
        self
    }

    /// How long a shutdown waits for the endpoint's connections to end (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The lowest negotiate protocol version accepted (default 0, ASP.NET's
    /// `MinimumProtocolVersion`). Version 0 has no secret connection token: the client sends
    /// the public connection id back as `id`, so anyone who learns a connection's id can post,
    /// poll and close as that connection. Set 1 to refuse version 0 clients (every official
    /// client sends version 1).
    pub fn minimum_negotiate_version(mut self, version: u32) -> Self {
        self.minimum_negotiate_version = version;
        self
    }

    /// How many negotiated connections may wait for their transport at once (default 10,000;
    /// each waits at most the negotiate timeout). Negotiate answers 503 beyond: a flood of
    /// negotiations without connections cannot grow the server's tables without bound.
    pub fn max_pending_connections(mut self, count: usize) -> Self {
        self.max_pending_connections = count;
        self
    }

    /// How many bytes all connections waiting for their transport may have POSTed early, in
    /// total (default 16 MiB; one connection at most 64 KiB, answered 413 beyond). A POST beyond
    /// the total is answered 503.
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.max_pending_bytes = bytes;
        self
    }

    /// Cross-origin access for browser clients (default: none, same origin only).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Finds the user of every request to the endpoint's paths with `authenticator` (such as
    /// the JWT bearer one of the `jwt` feature), and puts it in the request's extensions. A
    /// user a layer of the app put there already is kept. Without an authenticator (the
    /// default) every request is anonymous unless such a layer says otherwise.
    pub fn authenticate(mut self, authenticator: impl Authenticator) -> Self {
        self.authenticator = Some(SharedAuthenticator(Arc::new(authenticator)));
        self
    }

    /// Lets only authenticated users whom `check` allows open connections: negotiate and every
    /// transport request are answered 401 (with `WWW-Authenticate: Bearer`) without a user, 403
    /// when `check` refuses. (A hub says this with `#[authorize]` instead.)
    pub fn authorize(
        mut self,
        check: impl Fn(&User, &RequestInfo) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.access = Some(AccessCheck::new(move |user, request| match user {
            None => Access::Unauthenticated,
            Some(user) if check(user, request) => Access::Allowed,
            Some(_) => Access::Forbidden,
        }));
        self
    }
}

/// The transports an endpoint accepts. All are on by default; negotiate lists only the enabled
/// ones, and the official clients fall back from WebSockets to Server-Sent Events to long
/// polling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transports {
    /// WebSockets (text and binary).
    pub web_sockets: bool,
    /// Server-Sent Events (text only: not with MessagePack).
    pub server_sent_events: bool,
    /// Long polling (text and binary).
    pub long_polling: bool,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            web_sockets: true,
            server_sent_events: true,
            long_polling: true,
        }
    }
}

/// Cross-origin access for browser clients on other origins, and the origins a WebSocket
/// upgrade may come from.
///
/// The SignalR browser client sends credentials (cookies) by default, so listed origins are
/// echoed back with `Access-Control-Allow-Credentials: true`. Any origin
/// ([`allow_any_origin`](Self::allow_any_origin)) is answered `*` and never with credentials:
/// otherwise every web page could call the endpoint with its visitors' cookies. Browser clients
/// of such an endpoint set `withCredentials: false` (and send tokens in `accessTokenFactory`).
/// With CORS configured, a WebSocket upgrade from a page of another origin is refused (403).
#[derive(Clone, Debug, Default)]
pub struct Cors {
    pub(crate) origins: Option<Vec<String>>,
}

impl Cors {
    /// Allows these origins (e.g. `https://app.example.com`), compared exactly.
    pub fn allow_origins<I: IntoIterator<Item = S>, S: Into<String>>(origins: I) -> Self {
        Cors {
            origins: Some(origins.into_iter().map(Into::into).collect()),
        }
    }

    /// Allows every origin, without credentials (`Access-Control-Allow-Origin: *`; the browser
    /// client must set `withCredentials: false`).
    pub fn allow_any_origin() -> Self {
        Cors { origins: None }
    }

    pub(crate) fn allows(&self, origin: &str) -> bool {
        match &self.origins {
            None => true,
            Some(origins) => origins.iter().any(|allowed| allowed == origin),
        }
    }
}
