//! One hub's view of its connections: the local ones, the lifetime manager that reaches every
//! one (on this node or others), the heartbeat, and shutdown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use super::handle::{CloseReason, ConnectionHandle, HeartbeatTiming};
use super::local::LocalConnections;
use super::manager::HubLifetimeManager;
use super::memory::InMemoryLifetimeManager;
use super::message::{SerializedMessage, frame};
use crate::connection::{ConnectionTracker, random_token, tick};
use crate::model::LifetimeError;
use crate::protocol::Protocol;

/// Builds the lifetime manager of a hub from its local connections.
pub(crate) type ManagerFactory =
    Box<dyn FnOnce(Arc<LocalConnections>) -> Arc<dyn HubLifetimeManager> + Send>;

/// The per-connection limits of a hub (see the `max_*` options of
/// [`HubOptions`](crate::HubOptions)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HubLimits {
    pub(crate) streams_per_connection: usize,
    pub(crate) uploads_per_connection: usize,
    pub(crate) groups_per_connection: usize,
    pub(crate) group_name_length: usize,
}

impl Default for HubLimits {
    fn default() -> Self {
        HubLimits {
            streams_per_connection: 1_000,
            uploads_per_connection: 100,
            groups_per_connection: 1_000,
            group_name_length: 1_024,
        }
    }
}

/// What every connection, proxy and [`HubContext`](crate::HubContext) of one hub shares.
pub(crate) struct HubLifetime {
    local: Arc<LocalConnections>,
    manager: OnceLock<Arc<dyn HubLifetimeManager>>,
    /// The connection tasks of the hub's endpoint, and its shutdown.
    tracker: Arc<ConnectionTracker>,
    heartbeat_started: AtomicBool,
    /// How long `shutdown` waits for connection tasks, in milliseconds.
    shutdown_timeout_ms: AtomicU64,
    /// How long a client result is awaited, in milliseconds.
    client_result_timeout_ms: AtomicU64,
    /// Ids of the invocations the server sends for client results: a random prefix of this
    /// hub on this server, so that the ids of several servers (on a backplane) differ too, and
    /// a count.
    invocation_prefix: Box<str>,
    next_invocation_id: AtomicU64,
    limits: OnceLock<HubLimits>,
}

impl Default for HubLifetime {
    fn default() -> Self {
        HubLifetime {
            local: Arc::default(),
            manager: OnceLock::new(),
            tracker: Arc::default(),
            heartbeat_started: AtomicBool::new(false),
            shutdown_timeout_ms: AtomicU64::new(5_000),
            client_result_timeout_ms: AtomicU64::new(30_000),
            invocation_prefix: random_token()[..8].into(),
            next_invocation_id: AtomicU64::new(1),
            limits: OnceLock::new(),
        }
    }
}

impl HubLifetime {
    /// The lifetime manager: the one installed with [`install_manager`](Self::install_manager),
    /// or the in-memory one.
    pub(crate) fn manager(&self) -> &dyn HubLifetimeManager {
        &**self
            .manager
            .get_or_init(|| Arc::new(InMemoryLifetimeManager::new(self.local.clone())))
    }

    /// Installs the lifetime manager `make` builds; false if one is in use already.
    pub(crate) fn install_manager(&self, make: ManagerFactory) -> bool {
        let mut installed = false;
        self.manager.get_or_init(|| {
            installed = true;
            make(self.local.clone())
        });
        installed
    }

    pub(crate) fn tracker(&self) -> &Arc<ConnectionTracker> {
        &self.tracker
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.tracker.is_shutting_down()
    }

    /// Adds a connection that completed its handshake.
    pub(crate) async fn add(&self, handle: &Arc<ConnectionHandle>) {
        self.local.add(handle);
        self.manager().on_connected(handle).await;
        // A shutdown that began while this connection was handshaking did not see it.
        if self.is_shutting_down() {
            handle.close(CloseReason::Shutdown);
        }
    }

    /// Removes a connection from everything: the local connections, its groups and its user.
    pub(crate) async fn remove(&self, handle: &Arc<ConnectionHandle>) {
        handle.outbound.close();
        self.local.remove(handle);
        handle.fail_results();
        self.manager().on_disconnected(handle).await;
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.local.len()
    }

    /// The hub's per-connection limits.
    pub(crate) fn limits(&self) -> HubLimits {
        self.limits.get().copied().unwrap_or_default()
    }

    /// Checks that `connection_id` may join `group`: the name's length, and (for a connection
    /// of this node) how many groups it is in already.
    pub(crate) fn check_join(&self, connection_id: &str, group: &str) -> Result<(), LifetimeError> {
        let limits = self.limits();
        if group.len() > limits.group_name_length {
            return Err(LifetimeError::Refused(format!(
                "The group name is {} bytes long; at most {} are allowed.",
                group.len(),
                limits.group_name_length
            )));
        }
        let groups = self
            .local
            .with(connection_id, |handle| handle.group_count(group))
            .unwrap_or(0);
        if groups >= limits.groups_per_connection {
            return Err(LifetimeError::Refused(format!(
                "The connection is in {groups} groups, the most allowed."
            )));
        }
        Ok(())
    }

    /// Takes the settings the lifetime needs from the hub's options.
    pub(crate) fn configure(
        &self,
        shutdown_timeout: Duration,
        client_result_timeout: Duration,
        limits: HubLimits,
    ) {
        let _ = self.limits.set(limits);
        self.shutdown_timeout_ms
            .store(shutdown_timeout.as_millis() as u64, Ordering::Relaxed);
        self.client_result_timeout_ms
            .store(client_result_timeout.as_millis() as u64, Ordering::Relaxed);
    }

    pub(crate) fn client_result_timeout(&self) -> Duration {
        Duration::from_millis(self.client_result_timeout_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn next_invocation_id(&self) -> String {
        let n = self.next_invocation_id.fetch_add(1, Ordering::Relaxed);
        format!("{}.{n}", self.invocation_prefix)
    }

    /// Starts the once-per-hub task that sends keep-alive pings and ends silent and slow
    /// connections.
    pub(crate) fn ensure_heartbeat(
        self: &Arc<Self>,
        keep_alive: Duration,
        client_timeout: Duration,
        slow_client_timeout: Duration,
    ) {
        if self.heartbeat_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let tick = (keep_alive.min(client_timeout).min(slow_client_timeout) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let timing = HeartbeatTiming {
            keep_alive_ms: keep_alive.as_millis() as u64,
            timeout_ms: client_timeout.as_millis() as u64,
            slow_ms: slow_client_timeout.as_millis() as u64,
        };
        tokio::spawn(heartbeat(Arc::downgrade(self), tick, timing));
    }

    /// Sends Close (with `allowReconnect`) to every connection, refuses new ones, and waits until
    /// every connection task has ended, or the shutdown timeout passed.
    pub(crate) async fn shutdown(&self) {
        self.tracker.begin_shutdown();
        self.local
            .for_each(|handle| handle.close(CloseReason::Shutdown));
        let timeout = Duration::from_millis(self.shutdown_timeout_ms.load(Ordering::Relaxed));
        let started = tokio::time::Instant::now();
        if !self.tracker.drained(timeout).await {
            tracing::warn!(
                tasks = self.tracker.live_tasks(),
                "shutdown timeout: connections still running are left behind"
            );
        }
        // What the ended connections sent to other nodes (their on_disconnected handlers' calls).
        let left = timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(500));
        if tokio::time::timeout(left, self.manager().shutdown())
            .await
            .is_err()
        {
            tracing::warn!("shutdown timeout: messages for other servers may be lost");
        }
    }
}

async fn heartbeat(lifetime: Weak<HubLifetime>, period: Duration, timing: HeartbeatTiming) {
    let mut pings = SerializedMessage::default();
    for &protocol in Protocol::ALL {
        pings.set(protocol, frame(protocol, protocol.ping()));
    }
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(lifetime) = lifetime.upgrade() else {
            return;
        };
        let now = tick();
        lifetime.local.for_each(|handle| {
            if let Some(ping) = pings.get(handle.protocol()) {
                handle.heartbeat(now, &timing, ping);
            }
        });
    }
}
