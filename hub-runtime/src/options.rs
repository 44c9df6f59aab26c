//! Per-hub options, with ASP.NET Core SignalR's defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::context::RequestInfo;
use crate::protocol::Protocol;

type UserIdProvider = Arc<dyn Fn(&RequestInfo) -> Option<String> + Send + Sync>;

/// Options of one hub. `HubOptions::default()` has ASP.NET Core's defaults.
#[derive(Clone)]
pub struct HubOptions {
    pub(crate) keep_alive_interval: Duration,
    pub(crate) client_timeout_interval: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) negotiate_timeout: Duration,
    pub(crate) maximum_receive_message_size: Option<usize>,
    pub(crate) detailed_errors: bool,
    pub(crate) maximum_parallel_invocations_per_client: usize,
    pub(crate) outbound_queue_capacity: usize,
    pub(crate) websocket_read_buffer_size: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) stream_buffer_capacity: usize,
    pub(crate) client_result_timeout: Duration,
    pub(crate) user_id_provider: Option<UserIdProvider>,
    pub(crate) transports: Transports,
    pub(crate) protocols: Vec<Protocol>,
    pub(crate) long_polling_timeout: Duration,
    pub(crate) cors: Option<Cors>,
}

/// The transports a hub accepts. All are on by default; negotiate lists only the enabled ones,
/// and the official clients fall back from WebSockets to Server-Sent Events to long polling.
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

/// Cross-origin access for browser clients on other origins.
///
/// The SignalR browser client sends credentials (cookies) by default, so allowed origins are
/// echoed back with `Access-Control-Allow-Credentials: true`; a wildcard is never sent.
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

    /// Allows every origin (each request's own origin is echoed, with credentials). For
    /// development; prefer a list in production.
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

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            keep_alive_interval: Duration::from_secs(15),
            client_timeout_interval: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            negotiate_timeout: Duration::from_secs(15),
            maximum_receive_message_size: Some(32 * 1024),
            detailed_errors: false,
            maximum_parallel_invocations_per_client: 1,
            outbound_queue_capacity: 1024,
            websocket_read_buffer_size: 4 * 1024,
            shutdown_timeout: Duration::from_secs(5),
            stream_buffer_capacity: 10,
            client_result_timeout: Duration::from_secs(30),
            user_id_provider: None,
            transports: Transports::default(),
            protocols: Protocol::ALL.to_vec(),
            long_polling_timeout: Duration::from_secs(90),
            cors: None,
        }
    }
}

impl fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubOptions")
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("client_timeout_interval", &self.client_timeout_interval)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("negotiate_timeout", &self.negotiate_timeout)
            .field(
                "maximum_receive_message_size",
                &self.maximum_receive_message_size,
            )
            .field("detailed_errors", &self.detailed_errors)
            .field(
                "maximum_parallel_invocations_per_client",
                &self.maximum_parallel_invocations_per_client,
            )
            .field("outbound_queue_capacity", &self.outbound_queue_capacity)
            .field(
                "websocket_read_buffer_size",
                &self.websocket_read_buffer_size,
            )
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("stream_buffer_capacity", &self.stream_buffer_capacity)
            .field("client_result_timeout", &self.client_result_timeout)
            .field("user_id_provider", &self.user_id_provider.is_some())
            .field("transports", &self.transports)
            .field("protocols", &self.protocols)
            .field("long_polling_timeout", &self.long_polling_timeout)
            .field("cors", &self.cors)
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
        self.negotiate_timeout = timeout;
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

    /// How many messages may wait to be written to one client (default 1024). A client whose
    /// queue is full is too slow: it is disconnected so that it never holds up the others.
    pub fn outbound_queue_capacity(mut self, capacity: usize) -> Self {
        self.outbound_queue_capacity = capacity.max(1);
        self
    }

    /// The read buffer of each WebSocket (default 4 KiB, against tungstenite's 128 KiB): the
    /// largest part of an idle connection's memory.
    pub fn websocket_read_buffer_size(mut self, size: usize) -> Self {
        self.websocket_read_buffer_size = size.max(256);
        self
    }

    /// How long [`HubContext::shutdown`](crate::HubContext::shutdown) waits for connections to
    /// close after it sent them Close, and how long calls a client sent before it left may still
    /// run (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How many items of a client upload stream may wait for the hub method to read them
    /// (default 10, as ASP.NET Core's `StreamBufferCapacity`). When a stream's buffer is full, the
    /// server stops reading that client's connection until the method catches up.
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
        self.transports = transports;
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
        self.long_polling_timeout = timeout;
        self
    }

    /// Cross-origin access for browser clients (default: none, same origin only).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// How a connection's user id is found in its HTTP request (for [`user`](crate::HubClients::user)
    /// targets). By default no connection has a user id.
    pub fn user_id_provider(
        mut self,
        provider: impl Fn(&RequestInfo) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user_id_provider = Some(Arc::new(provider));
        self
    }
}
