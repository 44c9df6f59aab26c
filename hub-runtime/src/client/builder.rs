//! Building a [`HubConnection`]: the URL, the protocol and the options.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};

use super::connection::HubConnection;
use super::options::Options;
use super::retry::{DefaultRetryPolicy, RetryPolicy};
use crate::protocol::Protocol;
use crate::remote::{ClientHandlers, HandlerResult, Handlers, ReceivedArguments};

impl HubConnection {
    /// A builder for a connection to the hub at `url` (`http://host:port/hubs/chat`).
    pub fn builder(url: impl Into<String>) -> HubConnectionBuilder {
        HubConnectionBuilder::new(url)
    }
}

/// Builds a [`HubConnection`]: `HubConnection::builder(url)`, options, handlers, `build()`.
///
/// The defaults are the official clients': JSON, negotiate, keep-alive ping every 15 s, server
/// timeout 30 s, handshake timeout 15 s, no automatic reconnect, no stateful reconnect.
pub struct HubConnectionBuilder {
    options: Options,
    handlers: Handlers,
}

impl std::fmt::Debug for HubConnectionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConnectionBuilder")
            .field("url", &self.options.url)
            .field("protocol", &self.options.protocol)
            .field("handlers", &self.handlers)
            .finish_non_exhaustive()
    }
}

impl HubConnectionBuilder {
    fn new(url: impl Into<String>) -> Self {
        HubConnectionBuilder {
            options: Options {
                url: url.into(),
                protocol: Protocol::Json,
                skip_negotiation: false,
                headers: Vec::new(),
                access_token: None,
                keep_alive_interval: Duration::from_secs(15),
                server_timeout: Duration::from_secs(30),
                handshake_timeout: Duration::from_secs(15),
                http_timeout: Duration::from_secs(100),
                retry_policy: None,
                stateful_reconnect: false,
                stateful_reconnect_buffer_size: 100_000,
                stateful_reconnect_window: Duration::from_secs(30),
                max_message_size: 64 << 20,
            },
            handlers: Handlers::new(),
        }
    }

    /// The hub protocol: [`Protocol::Json`] (the default) or `Protocol::MessagePack`.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.options.protocol = protocol;
        self
    }

    /// Connects the WebSocket directly, without negotiate (the official clients'
    /// `skipNegotiation`). There is no connection token then, so no stateful reconnect.
    pub fn skip_negotiation(mut self, skip: bool) -> Self {
        self.options.skip_negotiation = skip;
        self
    }

    /// A header sent with negotiate and the WebSocket request.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.options.headers.push((name, value));
        self
    }

    /// Asks `provider` for an access token before each connect (and reconnect); it is sent as
    /// `Authorization: Bearer`.
    pub fn access_token_provider<F, Fut>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<String>> + Send + 'static,
    {
        self.options.access_token = Some(Arc::new(move || Box::pin(provider())));
        self
    }

    /// Sends a Ping when the client sent nothing for this long (15 s by default); keep it
    /// below the server's client timeout.
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.options.keep_alive_interval = interval;
        self
    }

    /// Considers the connection lost when the server sent nothing for this long (30 s by
    /// default); keep it above the server's keep-alive interval.
    pub fn server_timeout(mut self, timeout: Duration) -> Self {
        self.options.server_timeout = timeout;
        self
    }

    /// How long the server has to answer the handshake (15 s by default).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.options.handshake_timeout = timeout;
        self
    }

    /// Reconnects after a lost connection, waiting 0, 2, 10 and 30 seconds before the
    /// attempts, then gives up (the official clients' `withAutomaticReconnect()`).
    pub fn with_automatic_reconnect(self) -> Self {
        self.with_retry_policy(DefaultRetryPolicy::default())
    }

    /// Reconnects after a lost connection with the delays `policy` gives.
    pub fn with_retry_policy(mut self, policy: impl RetryPolicy) -> Self {
        self.options.retry_policy = Some(Arc::new(policy));
        self
    }

    /// Asks the server for stateful reconnect (hub protocol version 2): a lost WebSocket is
    /// replaced by a new one for the same connection, and no message is lost or repeated in
    /// either direction (the official clients' `withStatefulReconnect()`).
    pub fn with_stateful_reconnect(mut self) -> Self {
        self.options.stateful_reconnect = true;
        self
    }

    /// The bytes of sent messages kept until the server acknowledges them (100,000 by
    /// default); beyond it, sending waits for an acknowledgement.
    pub fn stateful_reconnect_buffer_size(mut self, bytes: usize) -> Self {
        self.options.stateful_reconnect_buffer_size = bytes;
        self
    }

    /// How long a lost WebSocket is tried again with stateful reconnect before the connection
    /// counts as lost (30 s by default, the server's default client timeout).
    pub fn stateful_reconnect_window(mut self, window: Duration) -> Self {
        self.options.stateful_reconnect_window = window;
        self
    }

    /// The largest message accepted from the server (64 MiB by default).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.options.max_message_size = bytes;
        self
    }

    /// Handles the calls of a `#[client]` trait with `receiver`, its implementation: every
    /// method of the trait, its arguments decoded into the method's types, its client results
    /// sent back. The trait is named by its proxy type:
    /// `.receiver::<ChatClientProxy, _>(MyClient)`.
    pub fn receiver<P: ClientHandlers<R>, R>(mut self, receiver: R) -> Self {
        self.handlers.extend(Handlers::of::<P, R>(receiver));
        self
    }

    /// Adds handlers.
    pub fn handlers(mut self, handlers: Handlers) -> Self {
        self.handlers.extend(handlers);
        self
    }

    /// Handles the client method `method` with `handler` (untyped).
    pub fn on<F, Fut>(mut self, method: impl Into<String>, handler: F) -> Self
    where
        F: Fn(ReceivedArguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.handlers.on(method, handler);
        self
    }

    /// The connection, not started: call [`HubConnection::start`].
    pub fn build(self) -> HubConnection {
        HubConnection::new(self.options, self.handlers)
    }
}
