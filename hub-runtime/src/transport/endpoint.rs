//! What every request of one mapped endpoint shares: its connection handler, its options, the
//! connection tokens negotiate handed out, and the tracker of its connection tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use dashmap::DashMap;

use super::http::state::HttpEndpoint;
use crate::connection::{
    Connection, ConnectionId, ConnectionMetrics, ConnectionOptions, ConnectionStatus,
    ConnectionTracker, ErasedHandler, Reattach, RequestInfo, TransportIo, TransportType, now_ms,
};

/// One mapped endpoint (a hub, or a plain connection handler).
pub(crate) struct Endpoint {
    handler: Arc<dyn ErasedHandler>,
    pub(crate) options: ConnectionOptions,
    pub(crate) tracker: Arc<ConnectionTracker>,
    /// Connection tokens handed out by negotiate.
    pub(crate) tokens: DashMap<Box<str>, TokenEntry>,
    /// Negotiated connections whose transport has not connected yet.
    pending: AtomicUsize,
    /// Bytes POSTed to those before their transport connected.
    early_bytes: AtomicUsize,
    /// Whether the task that forgets expired negotiations and closes long-polling connections
    /// without polls runs.
    sweeping: AtomicBool,
}

/// A connection token negotiate handed out.
pub(crate) struct TokenEntry {
    /// The id of the user who negotiated it (`None`: anonymous). Only that user may present
    /// the token: another one, or nobody, is answered 403.
    pub(crate) owner: Option<Box<str>>,
    pub(crate) state: TokenState,
    /// Negotiated with stateful reconnect: a WebSocket connection lost without its Close
    /// frame waits here for its client to connect again.
    pub(crate) reattach: Option<Arc<Reattach>>,
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
    /// When negotiate answered, on the connection clock.
    negotiated_ms: u64,
    /// Bytes the client POSTed before its transport connected (a long-polling client may send
    /// its handshake before its first poll); they are read first once it connects.
    early: Vec<u8>,
}

/// Bytes one negotiated connection may receive before its transport connected (as ASP.NET's
/// 64 KiB application buffer).
pub(crate) const MAX_EARLY_BYTES: usize = 64 << 10;

/// Why a POST before the transport connected was not kept.
pub(crate) enum EarlyRefused {
    /// Beyond what one connection may send early.
    TooLarge,
    /// Beyond what all pending connections together may hold.
    Busy,
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
            pending: AtomicUsize::new(0),
            early_bytes: AtomicUsize::new(0),
            sweeping: AtomicBool::new(false),
        }
    }

    /// Registers a negotiated connection; `false` when the endpoint holds its maximum of
    /// connections waiting for their transport.
    pub(crate) fn add_pending(
        self: &Arc<Self>,
        token: &str,
        id: ConnectionId,
        owner: Option<&str>,
        stateful: bool,
    ) -> bool {
        let max = self.options.max_pending_connections;
        if self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_err()
        {
            return false;
        }
        let pending = PendingConnection {
            id,
            negotiated_ms: now_ms(),
            early: Vec::new(),
        };
        let entry = TokenEntry {
            owner: owner.map(Box::from),
            state: TokenState::Pending(pending),
            reattach: stateful.then(Default::default),
        };
        self.tokens.insert(token.into(), entry);
        self.ensure_sweep();
        true
    }

    /// Keeps `body` for a connection whose transport has not connected yet.
    pub(crate) fn add_early(
        &self,
        pending: &mut PendingConnection,
        body: &[u8],
    ) -> Result<(), EarlyRefused> {
        if pending.early.len() + body.len() > MAX_EARLY_BYTES {
            return Err(EarlyRefused::TooLarge);
        }
        let budget = self.options.max_pending_bytes;
        if self
            .early_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n + body.len() <= budget).then_some(n + body.len())
            })
            .is_err()
        {
            return Err(EarlyRefused::Busy);
        }
        pending.early.extend_from_slice(body);
        Ok(())
    }

    /// The transport of a pending connection connected: its id and early bytes, which now
    /// belong to the connection.
    pub(crate) fn take_pending(&self, pending: &mut PendingConnection) -> (ConnectionId, Vec<u8>) {
        let early = std::mem::take(&mut pending.early);
        self.early_bytes.fetch_sub(early.len(), Ordering::AcqRel);
        self.pending.fetch_sub(1, Ordering::AcqRel);
        (pending.id.clone(), early)
    }

    /// Forgets a pending connection that never connected.
    fn forget_pending(&self, pending: &PendingConnection) {
        self.early_bytes
            .fetch_sub(pending.early.len(), Ordering::AcqRel);
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }

    pub(crate) fn forget_token(&self, token: &str) {
        if let Some((_, entry)) = self.tokens.remove(token) {
            if let TokenState::Pending(pending) = &entry.state {
                self.forget_pending(pending);
            }
        }
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
        reattach: Option<Arc<Reattach>>,
    ) -> impl Future<Output = ()> + Send + 'static + use<> {
        let live = self.tracker.task_started();
        let mut connection = Connection::new(io, id, request, transport, self.tracker.clone());
        if let Some(reattach) = reattach {
            connection = connection.with_reattach(reattach, self.options.disconnect_timeout);
        }
        let endpoint = self.clone();
        let running = self.handler.clone().run(connection);
        let metrics = ConnectionMetrics::start(transport);
        async move {
            let _live = live;
            running.await;
            metrics.finish(if endpoint.tracker.is_shutting_down() {
                ConnectionStatus::AppShutdown
            } else {
                ConnectionStatus::NormalClosure
            });
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

    /// Starts, once, the task that forgets negotiated connections whose transport did not
    /// connect within the negotiate timeout, and closes long-polling connections whose client
    /// stopped polling for the disconnect timeout (ASP.NET's connection manager scan). It ends
    /// with the endpoint.
    pub(crate) fn ensure_sweep(self: &Arc<Self>) {
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let disconnect = self.options.disconnect_timeout;
        let negotiate = self.options.negotiate_timeout;
        let tick = (disconnect.min(negotiate) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let disconnect_ms = disconnect.as_millis() as u64;
        let negotiate_ms = negotiate.as_millis() as u64;
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
                endpoint.tokens.retain(|_, entry| match &entry.state {
                    TokenState::Pending(pending)
                        if now.saturating_sub(pending.negotiated_ms) >= negotiate_ms =>
                    {
                        endpoint.forget_pending(pending);
                        false
                    }
                    TokenState::Connected(Some(http)) => {
                        http.time_out_if_idle(now, disconnect_ms);
                        true
                    }
                    _ => true,
                });
            }
        });
    }
}
