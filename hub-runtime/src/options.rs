//! Per-hub options, with ASP.NET Core SignalR's defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::connection::{Authenticator, ConnectionOptions, Cors, RequestInfo, Transports};
use crate::dispatch::{Filters, HubFilter};
use crate::lifetime::HubLimits;
use crate::model::{AuthorizationContext, Policies};
use crate::protocol::Protocol;

type UserIdProvider = Arc<dyn Fn(&RequestInfo) -> Option<String> + Send + Sync>;

/// Options of one hub. `HubOptions::default()` has ASP.NET Core's defaults.
#[derive(Clone)]
pub struct HubOptions {
    pub(crate) keep_alive_interval: Duration,
    pub(crate) client_timeout_interval: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) maximum_receive_message_size: Option<usize>,
    pub(crate) detailed_errors: bool,
    pub(crate) maximum_parallel_invocations_per_client: usize,
    pub(crate) outbound_buffer_limit: usize,
    pub(crate) limits: HubLimits,
    pub(crate) slow_client_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) stream_buffer_capacity: usize,
    pub(crate) client_result_timeout: Duration,
    pub(crate) user_id_provider: Option<UserIdProvider>,
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) filters: Filters,
    pub(crate) policies: Policies,
    pub(crate) close_on_authentication_expiration: bool,
    pub(crate) stateful_reconnect_buffer_size: usize,
    /// The transports' options; the hub derives some of them (see [`connection_options`](Self::connection_options)).
    pub(crate) connection: ConnectionOptions,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            keep_alive_interval: Duration::from_secs(15),
            client_timeout_interval: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            maximum_receive_message_size: Some(32 * 1024),
            detailed_errors: false,
            maximum_parallel_invocations_per_client: 1,
            outbound_buffer_limit: 4 << 20,
            limits: HubLimits::default(),
            slow_client_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(5),
            stream_buffer_capacity: 10,
            client_result_timeout: Duration::from_secs(30),
            user_id_provider: None,
            protocols: Protocol::ALL.to_vec(),
            filters: Arc::new([]),
            policies: Policies::default(),
            close_on_authentication_expiration: false,
            stateful_reconnect_buffer_size: 100_000,
            connection: ConnectionOptions::default(),
        }
    }
}

impl fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubOptions")
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("client_timeout_interval", &self.client_timeout_interval)
            .field("handshake_timeout", &self.handshake_timeout)
            .field(
                "maximum_receive_message_size",
                &self.maximum_receive_message_size,
            )
            .field("detailed_errors", &self.detailed_errors)
            .field(
                "maximum_parallel_invocations_per_client",
                &self.maximum_parallel_invocations_per_client,
            )
            .field("outbound_buffer_limit", &self.outbound_buffer_limit)
            .field("limits", &self.limits)
            .field("slow_client_timeout", &self.slow_client_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("stream_buffer_capacity", &self.stream_buffer_capacity)
            .field("client_result_timeout", &self.client_result_timeout)
            .field("user_id_provider", &self.user_id_provider.is_some())
            .field("protocols", &self.protocols)
            .field("filters", &self.filters.len())
            .field("policies", &self.policies)
            .field(
                "close_on_authentication_expiration",
                &self.close_on_authentication_expiration,
            )
            .field("connection", &self.connection)
            .finish()
    }
}

impl HubOptions {
    /// How long the server may stay silent before it sends a Ping (default 15 s).
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval;
        self
    }

    /// How long a client may stay silent before the server closes its connection (default 30 s).
    /// Keep it at least twice the client's keep-alive interval.
    pub fn client_timeout_interval(mut self, interval: Duration) -> Self {
        self.client_timeout_interval = interval;
        self
    }

    /// How long a client has to complete the handshake (default 15 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long a negotiated connection may wait for its transport before it is forgotten
    /// (default 15 s).
    pub fn negotiate_timeout(mut self, timeout: Duration) -> Self {
        self.connection = self.connection.negotiate_timeout(timeout);
        self
    }

    /// The largest hub message a client may send, in bytes (default 32 KiB); `None` for no limit.
    pub fn maximum_receive_message_size(mut self, size: Option<usize>) -> Self {
        self.maximum_receive_message_size = size;
        self
    }

    /// Whether clients see the detail of unexpected errors (default off). Errors raised on purpose
    /// with [`HubError::new`](crate::HubError::new) always reach the client.
    pub fn detailed_errors(mut self, enabled: bool) -> Self {
        self.detailed_errors = enabled;
        self
    }

    /// How many hub method invocations of one client run at once (default 1: one after another,
    /// in the order they arrived). Further invocations wait their turn.
    pub fn maximum_parallel_invocations_per_client(mut self, count: usize) -> Self {
        self.maximum_parallel_invocations_per_client = count.max(1);
        self
    }

    /// How many bytes of messages from others (broadcasts, group messages, `HubContext`) may
    /// wait to be written to one client (default 4 MiB; each message counts its bytes and a
    /// few dozen for its place in the queue). A client whose queue holds this much does not
    /// take what it is sent: it is disconnected (Close with an error, `allowReconnect`), so that
    /// it never holds up the others or grows without bound. A client that reads promptly is
    /// never dropped by a burst below this; the answers to its own calls and its stream items
    /// do not count (it produces them only as fast as it reads and writes).
    pub fn outbound_buffer_limit(mut self, bytes: usize) -> Self {
        self.outbound_buffer_limit = bytes.max(1);
        self
    }

    /// Lets clients that ask for it reconnect statefully (ASP.NET 8's stateful reconnect, the
    /// JS client's `withStatefulReconnect()`, default off as in ASP.NET): over WebSockets with
    /// hub protocol version 2, a socket lost without a Close frame is waited for during the
    /// client timeout, and when the client connects again in that time no message is lost in
    /// either direction: each side sends again what the other did not acknowledge. See
    /// [`stateful_reconnect_buffer_size`](Self::stateful_reconnect_buffer_size).
    pub fn allow_stateful_reconnects(mut self, allow: bool) -> Self {
        self.connection = self.connection.allow_stateful_reconnects(allow);
        self
    }

    /// The bytes of messages sent and not yet acknowledged that a statefully reconnecting
    /// connection keeps to send again (default 100,000, ASP.NET's `StatefulReconnectBufferSize`).
    /// Beyond it nothing more is taken from the connection's queue until the client
    /// acknowledges (its queue then holds what waits, within
    /// [`outbound_buffer_limit`](Self::outbound_buffer_limit)).
    pub fn stateful_reconnect_buffer_size(mut self, bytes: usize) -> Self {
        self.stateful_reconnect_buffer_size = bytes.max(1);
        self
    }

    /// How many server streams one connection may run at once (default 1,000). A
    /// StreamInvocation beyond is refused with an error Completion.
    pub fn max_streams_per_connection(mut self, count: usize) -> Self {
        self.limits.streams_per_connection = count;
        self
    }

    /// How many upload streams (`ClientStream` parameters) one connection may have open at once
    /// (default 100). An invocation that would open more is refused with an error Completion.
    pub fn max_uploads_per_connection(mut self, count: usize) -> Self {
        self.limits.uploads_per_connection = count;
        self
    }

    /// How many groups one connection may be in (default 1,000). Adding it to another fails
    /// with [`LifetimeError::Refused`](crate::lifetime::LifetimeError::Refused).
    pub fn max_groups_per_connection(mut self, count: usize) -> Self {
        self.limits.groups_per_connection = count;
        self
    }

    /// The longest group name, in bytes (default 1,024). Adding a connection to a group with a
    /// longer name fails with [`LifetimeError::Refused`](crate::lifetime::LifetimeError::Refused).
    pub fn max_group_name_length(mut self, bytes: usize) -> Self {
        self.limits.group_name_length = bytes;
        self
    }

    /// How long a write to a client may make no progress at all (the client takes none of the
    /// data waiting for it) before the client is disconnected as too slow (default 30 s).
    pub fn slow_client_timeout(mut self, timeout: Duration) -> Self {
        self.slow_client_timeout = timeout;
        self
    }

    /// The most a WebSocket reads from its socket at once (default 16 KiB). The buffer read into
    /// belongs to the worker thread, not to the connection: a connection keeps bytes of its own
    /// only while a frame is unfinished (at most the
    /// [largest message](Self::maximum_receive_message_size)), so an idle one keeps none.
    pub fn websocket_read_buffer_size(mut self, size: usize) -> Self {
        self.connection = self.connection.websocket_read_buffer_size(size);
        self
    }

    /// How long [`HubContext::shutdown`](crate::HubContext::shutdown) waits for connections to
    /// close after it sent them Close, and how long calls a client sent before it left may still
    /// run (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How many items a stream buffers, both ways (default 10, as ASP.NET Core's
    /// `StreamBufferCapacity`): a server stream's producer runs at most this far ahead of what
    /// the connection writes, and at most this many items of a client upload stream wait for the
    /// hub method to read them (when that buffer is full, the server stops reading that client's
    /// connection until the method catches up).
    pub fn stream_buffer_capacity(mut self, capacity: usize) -> Self {
        self.stream_buffer_capacity = capacity.max(1);
        self
    }

    /// How long a client result (a `#[client]` method with a return value) is awaited before it
    /// fails with [`ClientResultError::Timeout`](crate::ClientResultError::Timeout) (default 30 s).
    pub fn client_result_timeout(mut self, timeout: Duration) -> Self {
        self.client_result_timeout = timeout;
        self
    }

    /// The transports the hub accepts (default: all).
    pub fn transports(mut self, transports: Transports) -> Self {
        self.connection = self.connection.transports(transports);
        self
    }

    /// The hub protocols the hub accepts (default: every protocol of this build, JSON and, with
    /// the `messagepack` feature, MessagePack).
    pub fn protocols(mut self, protocols: impl IntoIterator<Item = Protocol>) -> Self {
        self.protocols = protocols.into_iter().collect();
        self
    }

    /// How long a long poll waits for messages before it returns empty (default 90 s, below the
    /// clients' 100 s).
    pub fn long_polling_timeout(mut self, timeout: Duration) -> Self {
        self.connection = self.connection.long_polling_timeout(timeout);
        self
    }

    /// The lowest negotiate protocol version accepted (default 0); see
    /// [`ConnectionOptions::minimum_negotiate_version`]. Set 1 so that a connection's public id
    /// can never be used as its token.
    pub fn minimum_negotiate_version(mut self, version: u32) -> Self {
        self.connection = self.connection.minimum_negotiate_version(version);
        self
    }

    /// How many negotiated connections may wait for their transport at once (default 10,000);
    /// see [`ConnectionOptions::max_pending_connections`].
    pub fn max_pending_connections(mut self, count: usize) -> Self {
        self.connection = self.connection.max_pending_connections(count);
        self
    }

    /// How many bytes connections waiting for their transport may have POSTed early, in total
    /// (default 16 MiB, one connection at most 64 KiB); see
    /// [`ConnectionOptions::max_pending_bytes`].
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.connection = self.connection.max_pending_bytes(bytes);
        self
    }

    /// Cross-origin access for browser clients (default: none, same origin only).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.connection = self.connection.cors(cors);
        self
    }

    /// How a connection's user id is found in its HTTP request (for [`user`](crate::HubClients::user)
    /// targets). By default it is the id of the authenticated [`User`](crate::User) (a JWT's
    /// `sub`), and an anonymous connection has none.
    pub fn user_id_provider(
        mut self,
        provider: impl Fn(&RequestInfo) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user_id_provider = Some(Arc::new(provider));
        self
    }

    /// Finds the user of every request to the hub's paths with `authenticator` (such as
    /// `hub_runtime::auth::JwtAuthenticator` of the `jwt` feature): see
    /// [`ConnectionOptions::authenticate`]. It runs on the hub's paths only, so the
    /// `access_token` query parameter that browsers must use is accepted nowhere else.
    pub fn authenticate(mut self, authenticator: impl Authenticator) -> Self {
        self.connection = self.connection.authenticate(authenticator);
        self
    }

    /// Registers policy `name` for `#[authorize(policy = "name")]`: a function of the user and,
    /// for a hub method, the call (its name and arguments). Every policy a hub names must be
    /// registered: mounting the hub panics otherwise.
    ///
    /// ```
    /// # use hub_runtime::HubOptions;
    /// let options = HubOptions::default()
    ///     .policy("verified-email", |cx| {
    ///         cx.user().claim("email_verified").and_then(|v| v.as_bool()) == Some(true)
    ///     })
    ///     // Moderators may delete only in the rooms they moderate.
    ///     .policy("room-moderator", |cx| match cx.call() {
    ///         Some(call) => call.argument::<String>(0).is_ok_and(|room| {
    ///             cx.user().is_in_role(&format!("moderator:{room}"))
    ///         }),
    ///         None => true,
    ///     });
    /// ```
    pub fn policy(
        mut self,
        name: &str,
        policy: impl Fn(&AuthorizationContext<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.policies.insert(name, policy);
        self
    }

    /// Closes a connection when its user's credentials expire ([`User::expires_at`](crate::User::expires_at),
    /// a JWT's `exp`), as ASP.NET's `CloseOnAuthenticationExpiration` (default off, as there).
    /// The client gets a Close message with the error `Connection closed because its
    /// authentication expired.` and `allowReconnect`, so a client with automatic reconnect
    /// comes back with fresh credentials.
    pub fn close_on_authentication_expiration(mut self, enabled: bool) -> Self {
        self.close_on_authentication_expiration = enabled;
        self
    }

    /// Adds a filter that runs around every hub method invocation and around connect and
    /// disconnect (ASP.NET's `AddFilter`). Filters run in the order they were added: the first
    /// added is the outermost.
    pub fn add_filter(mut self, filter: impl HubFilter) -> Self {
        let mut filters: Vec<Arc<dyn HubFilter>> = self.filters.iter().cloned().collect();
        filters.push(Arc::new(filter));
        self.filters = filters.into();
        self
    }

    /// The options of the hub's transports: those set here, with the largest WebSocket message
    /// derived from the largest hub message (twice it, at least 64 KiB, so that a message over
    /// the hub limit reaches the hub and gets its Close message), long-polling connections
    /// closed after the client timeout without a poll, and the hub's shutdown timeout.
    pub(crate) fn connection_options(&self) -> ConnectionOptions {
        /// The largest WebSocket message accepted when no hub message limit is set.
        const UNLIMITED_WEBSOCKET_MESSAGE: usize = 64 << 20;
        let max_message = self
            .maximum_receive_message_size
            .map_or(UNLIMITED_WEBSOCKET_MESSAGE, |max| {
                max.saturating_mul(2).max(64 << 10)
            });
        self.connection
            .clone()
            .websocket_max_message_size(max_message)
            .disconnect_timeout(self.client_timeout_interval)
            .shutdown_timeout(self.shutdown_timeout)
    }
}
