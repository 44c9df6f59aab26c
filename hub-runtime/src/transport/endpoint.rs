//! What every request of one mapped endpoint shares: its connection handler, its options, the
//! connection tokens negotiate handed out, and the tracker of its connection tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dashmap::DashMap;

use super::http::state::HttpEndpoint;
use crate::connection::{
    Connection, ConnectionId, ConnectionOptions, ConnectionTracker, ErasedHandler, RequestInfo,
    TransportIo, TransportType, now_ms,
};

/// One mapped endpoint (a hub, or a plain connection handler).
pub(crate) struct Endpoint {
    handler: Arc<dyn ErasedHandler>,
    pub(crate) options: ConnectionOptions,
    pub(crate) tracker: Arc<ConnectionTracker>,
    /// Connection tokens handed out by negotiate.
    pub(crate) tokens: DashMap<Box<str>, TokenState>,
    /// Whether the task that closes long-polling connections without polls runs.
    sweeping: AtomicBool,
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

impl Endpoint {
    pub(crate) fn new(
        handler: Arc<dyn ErasedHandler>,
        options: ConnectionOptions,
        tracker: Arc<ConnectionTracker>,
    ) -> Self {
        Endpoint {
            handler,
            options,
            tracker,
            tokens: DashMap::new(),
            sweeping: AtomicBool::new(false),
        }
    }

    pub(crate) fn forget_token(&self, token: &str) {
        self.tokens.remove(token);
    }

    /// The connection's task: the handler runs it, counted as live until it ends. `token`, if
    /// any, is forgotten when it ends (for long polling a little later: the client still polls
    /// for what was buffered, then gets 204).
    pub(crate) fn run(
        self: &Arc<Self>,
        io: Box<dyn TransportIo>,
        id: ConnectionId,
        token: Option<Box<str>>,
        request: RequestInfo,
        transport: TransportType,
    ) -> impl Future<Output = ()> + Send + 'static + use<> {
        let live = self.tracker.task_started();
        let connection = Connection::new(io, id, request, transport, self.tracker.clone());
        let endpoint = self.clone();
        let running = self.handler.clone().run(connection);
        async move {
            let _live = live;
            running.await;
            if let Some(token) = token {
                if transport == TransportType::LongPolling {
                    let linger = endpoint.options.disconnect_timeout;
                    endpoint.forget_later(token, linger);
                } else {
                    endpoint.forget_token(&token);
                }
            }
        }
    }

    /// Forgets a token a while after its connection ended, in case the client never polls
    /// again to learn it.
    pub(crate) fn forget_later(self: &Arc<Self>, token: Box<str>, after: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Some(endpoint) = weak.upgrade() {
                endpoint.forget_token(&token);
            }
        });
    }

    /// Forgets a negotiated token whose transport did not connect in time.
    pub(crate) fn expire_pending(self: &Arc<Self>, token: String) {
        let expiry = self.options.negotiate_timeout;
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(expiry).await;
            if let Some(endpoint) = weak.upgrade() {
                endpoint.tokens.remove_if(token.as_str(), |_, state| {
                    matches!(state, TokenState::Pending(_))
                });
            }
        });
    }

    /// Starts, once, the task that closes long-polling connections whose client stopped
    /// polling for the disconnect timeout (ASP.NET's connection manager scan). It ends with
    /// the endpoint.
    pub(crate) fn ensure_sweep(self: &Arc<Self>) {
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let timeout = self.options.disconnect_timeout;
        let tick = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let timeout_ms = timeout.as_millis() as u64;
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(endpoint) = weak.upgrade() else {
                    return;
                };
                let now = now_ms();
                for entry in &endpoint.tokens {
                    if let TokenState::Connected(Some(http)) = entry.value() {
                        http.time_out_if_idle(now, timeout_ms);
                    }
                }
            }
        });
    }
}
